"""Why a change to a ticket was refused. Every one is raised before anything is written."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _


class TicketError(Exception):
    """A refused change to a ticket that is not bad input (that is TicketValidationError)."""


class IllegalTransition(TicketError):
    """The action is not allowed from the ticket's current state; the message names the
    state and the moves that are allowed."""

    def __init__(self, message: str, *, status: str, action: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.action = action
        self.allowed = allowed


class StaleVersion(TicketError):
    """The caller changed the ticket as it was at `expected`, but it is now at `current`."""

    def __init__(self, *, expected: int, current: int) -> None:
        self.expected = expected
        self.current = current
        self.message = _(
            "Someone else changed this ticket since you loaded it (you had version "
            "%(expected)s, it is now at version %(current)s). Reload it and try again."
        ) % {"expected": expected, "current": current}
        super().__init__(self.message)


class TicketValidationError(ValidationError):
    """Bad input for a ticket change, per field where there is one (forms and APIs show it
    next to the field)."""


class NotPermitted(PermissionDenied):
    """The caller may not make this change to this ticket (edges answer 403)."""
