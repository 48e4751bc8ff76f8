"""The ticket state machine: one table of (status, action) → status, read by the domain
functions (to refuse illegal moves) and by the UI (to offer only the allowed ones)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interchange.servicedesk.errors import IllegalTransition
from interchange.servicedesk.models import Status, Ticket


class Action(models.TextChoices):
    """What can be done to a ticket. Labels are lower case: they are read in lists
    ("Allowed: reopen, close.") and capitalised where they stand alone."""

    ACKNOWLEDGE = "acknowledge", gettext_lazy("acknowledge")
    START = "start", gettext_lazy("start work")
    WAIT_RESIDENT = "wait_resident", gettext_lazy("wait on the resident")
    WAIT_THIRD_PARTY = "wait_third_party", gettext_lazy("wait on a third party")
    RESUME = "resume", gettext_lazy("resume work")
    RESOLVE = "resolve", gettext_lazy("resolve")
    CLOSE = "close", gettext_lazy("close")
    REOPEN = "reopen", gettext_lazy("reopen")
    CANCEL = "cancel", gettext_lazy("cancel")
    MARK_DUPLICATE = "mark_duplicate", gettext_lazy("mark as duplicate")
    REASSIGN = "reassign", gettext_lazy("hand to another holder")
    ROUTE = "route", gettext_lazy("route again")
    ASSIGN_PERSON = "assign_person", gettext_lazy("assign a person")
    SET_PRIORITY = "set_priority", gettext_lazy("set impact and urgency")
    OVERRIDE_PRIORITY = "override_priority", gettext_lazy("override priority")
    SET_MAJOR_INCIDENT = "set_major_incident", gettext_lazy("change major incident")
    ADD_NOTE = "add_note", gettext_lazy("add a note")
    ADD_ATTACHMENT = "add_attachment", gettext_lazy("add an attachment")
    LINK = "link", gettext_lazy("link")
    SET_SUPPLIER_REFERENCE = "set_supplier_reference", gettext_lazy("set supplier's reference")
    FOLLOW = "follow", gettext_lazy("follow")
    RECORD_SATISFACTION = "record_satisfaction", gettext_lazy("record satisfaction")


class WaitingOn(models.TextChoices):
    RESIDENT = "resident", gettext_lazy("the resident")
    THIRD_PARTY = "third_party", gettext_lazy("a third party")


OPEN: tuple[Status, ...] = (
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.WAITING_RESIDENT,
    Status.WAITING_THIRD_PARTY,
)
EVERY: tuple[Status, ...] = tuple(Status)


def _stays(action: Action, statuses: tuple[Status, ...]) -> dict[tuple[Status, Action], Status]:
    return {(status, action): status for status in statuses}


def _goes(
    action: Action, statuses: tuple[Status, ...], to: Status
) -> dict[tuple[Status, Action], Status]:
    return {(status, action): to for status in statuses}


# The whole state machine. A pair that is missing is an illegal transition.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    # Moves.
    **_goes(Action.START, (Status.NEW, Status.ASSIGNED), Status.IN_PROGRESS),
    **_goes(
        Action.WAIT_RESIDENT,
        (Status.IN_PROGRESS, Status.WAITING_THIRD_PARTY),
        Status.WAITING_RESIDENT,
    ),
    **_goes(
        Action.WAIT_THIRD_PARTY,
        (Status.IN_PROGRESS, Status.WAITING_RESIDENT),
        Status.WAITING_THIRD_PARTY,
    ),
    **_goes(
        Action.RESUME, (Status.WAITING_RESIDENT, Status.WAITING_THIRD_PARTY), Status.IN_PROGRESS
    ),
    **_goes(Action.RESOLVE, OPEN, Status.RESOLVED),
    **_goes(Action.CLOSE, (Status.RESOLVED,), Status.CLOSED),
    # From closed only within the reopen window (see `_guard`). The holder picks it up where
    # it left off, so it is in progress, not assigned.
    **_goes(Action.REOPEN, (Status.RESOLVED, Status.CLOSED), Status.IN_PROGRESS),
    **_goes(Action.CANCEL, OPEN, Status.CANCELLED),
    **_goes(Action.MARK_DUPLICATE, OPEN, Status.CLOSED),
    # A new holder must acknowledge and start again, whatever the last one had done.
    **_goes(Action.REASSIGN, OPEN, Status.ASSIGNED),
    **_goes(Action.ROUTE, OPEN, Status.ASSIGNED),
    # Changes that leave the status alone.
    **_stays(Action.ACKNOWLEDGE, OPEN),
    **_stays(Action.ASSIGN_PERSON, OPEN),
    **_stays(Action.SET_PRIORITY, OPEN),
    **_stays(Action.OVERRIDE_PRIORITY, OPEN),
    **_stays(Action.SET_MAJOR_INCIDENT, (*OPEN, Status.RESOLVED)),
    **_stays(Action.FOLLOW, (*OPEN, Status.RESOLVED)),
    **_stays(Action.RECORD_SATISFACTION, (Status.RESOLVED, Status.CLOSED)),
    **_stays(Action.ADD_NOTE, EVERY),
    **_stays(Action.ADD_ATTACHMENT, EVERY),
    **_stays(Action.LINK, EVERY),
    **_stays(Action.SET_SUPPLIER_REFERENCE, EVERY),
}

# Actions that change the status somewhere: the "moves" an error message lists.
MOVES: frozenset[Action] = frozenset(
    action for (status, action), target in TRANSITIONS.items() if target != status
)

_REFUSALS: dict[Action, Promise] = {
    Action.ACKNOWLEDGE: gettext_lazy("A ticket that is %(status)s cannot be acknowledged."),
    Action.START: gettext_lazy("A ticket that is %(status)s cannot be started."),
    Action.WAIT_RESIDENT: gettext_lazy(
        "A ticket that is %(status)s cannot be put to wait on the resident."
    ),
    Action.WAIT_THIRD_PARTY: gettext_lazy(
        "A ticket that is %(status)s cannot be put to wait on a third party."
    ),
    Action.RESUME: gettext_lazy("A ticket that is %(status)s cannot be resumed."),
    Action.RESOLVE: gettext_lazy("A ticket that is %(status)s cannot be resolved."),
    Action.CLOSE: gettext_lazy("A ticket that is %(status)s cannot be closed."),
    Action.REOPEN: gettext_lazy("A ticket that is %(status)s cannot be reopened."),
    Action.CANCEL: gettext_lazy("A ticket that is %(status)s cannot be cancelled."),
    Action.MARK_DUPLICATE: gettext_lazy(
        "A ticket that is %(status)s cannot be marked as a duplicate."
    ),
    Action.REASSIGN: gettext_lazy("A ticket that is %(status)s cannot be handed over."),
    Action.ROUTE: gettext_lazy("A ticket that is %(status)s cannot be routed."),
    Action.ASSIGN_PERSON: gettext_lazy("A ticket that is %(status)s cannot be assigned."),
    Action.SET_PRIORITY: gettext_lazy(
        "A ticket that is %(status)s cannot have its priority changed."
    ),
    Action.OVERRIDE_PRIORITY: gettext_lazy(
        "A ticket that is %(status)s cannot have its priority changed."
    ),
    Action.SET_MAJOR_INCIDENT: gettext_lazy(
        "A ticket that is %(status)s cannot be made or unmade a major incident."
    ),
    Action.FOLLOW: gettext_lazy("A ticket that is %(status)s cannot be followed."),
    Action.RECORD_SATISFACTION: gettext_lazy(
        "A ticket that is %(status)s cannot be rated: only a resolved or closed one can."
    ),
}


def reopen_window() -> timedelta:
    """How long after closing a ticket may still be reopened (TICKET_REOPEN_WINDOW_DAYS)."""
    return timedelta(days=settings.TICKET_REOPEN_WINDOW_DAYS)


def _guard(ticket: Ticket, action: Action, at: datetime) -> str | None:
    """Why an action the table allows is refused all the same, or None."""
    if action == Action.REOPEN and ticket.status == Status.CLOSED:
        closed_at = ticket.closed_at or ticket.updated_at
        if at - closed_at > reopen_window():
            return _("A ticket closed more than %(days)s days ago cannot be reopened.") % {
                "days": reopen_window().days
            }
    return None


def allowed_actions(ticket: Ticket, *, at: datetime | None = None) -> list[Action]:
    """The actions that would change `ticket` at `at` (default now), in a stable order.

    Acknowledging is left out once the current holder has acknowledged: asking again is
    harmless but changes nothing.
    """
    at = at or timezone.now()
    status = Status(ticket.status)
    allowed = []
    for action in Action:
        if (status, action) not in TRANSITIONS or _guard(ticket, action, at):
            continue
        if action == Action.ACKNOWLEDGE and ticket.holder_acknowledged_at is not None:
            continue
        allowed.append(action)
    return allowed


def check(ticket: Ticket, action: Action, *, at: datetime) -> Status:
    """The status `action` leads to from the ticket's state, or IllegalTransition naming the
    state and the moves that are allowed."""
    status = Status(ticket.status)
    target = TRANSITIONS.get((status, action))
    refusal = _guard(ticket, action, at)
    if target is not None and refusal is None:
        return target
    if refusal is None:
        template = _REFUSALS.get(
            action, gettext_lazy("A ticket that is %(status)s cannot be changed that way.")
        )
        refusal = str(template) % {"status": status.label}
    moves = [a for a in allowed_actions(ticket, at=at) if a in MOVES]
    if moves:
        allowed = _("Allowed: %(moves)s.") % {"moves": ", ".join(str(a.label) for a in moves)}
    else:
        allowed = _("It cannot move on from there.")
    raise IllegalTransition(
        f"{refusal} {allowed}",
        status=status,
        action=action,
        allowed=[a.value for a in moves],
    )
