"""Changes made from the queues: bulk actions on a selection of tickets (each through the
service desk's domain functions) and saved views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.accounts.models import User
from interchange.servicedesk import services as desk
from interchange.servicedesk.errors import (
    IllegalTransition,
    NotPermitted,
    StaleVersion,
    TicketValidationError,
)
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.states import WaitingOn
from interchange.servicedesk.visibility import visible_to
from interchange.suppliers.models import Supplier
from interchange.workspace.models import SavedView
from interchange.workspace.queue_forms import MAX_BULK, BulkAction


@dataclass(frozen=True)
class BulkOutcome:
    reference: str
    ticket_id: int
    done: bool
    reason: str = ""


@dataclass(frozen=True)
class BulkRequest:
    action: str
    supplier: Supplier | None = None
    resolution_code: str = ""
    text: str = ""
    public: bool = False


def bulk_apply(
    *, actor: User, selection: Sequence[tuple[int, int]], request: BulkRequest
) -> list[BulkOutcome]:
    """Apply one action to each selected (ticket id, version seen), each in its own savepoint:
    a ticket that may not be changed, has moved on since it was seen, or cannot make that
    move is skipped with the reason; the others are changed."""
    if len(selection) > MAX_BULK:
        raise ValueError(f"At most {MAX_BULK} tickets at a time.")
    change = _CHANGES[request.action]
    found = {t.pk: t for t in visible_to(actor).filter(pk__in=[pk for pk, _v in selection])}
    outcomes: list[BulkOutcome] = []
    with transaction.atomic():
        for pk, version in selection:
            ticket = found.get(pk)
            if ticket is None:
                outcomes.append(
                    BulkOutcome(f"#{pk}", pk, False, _("Not found, or not yours to see."))
                )
                continue
            try:
                with transaction.atomic():
                    changed = change(ticket, actor, request, version)
            except StaleVersion as error:
                outcomes.append(BulkOutcome(ticket.reference, pk, False, error.message))
            except IllegalTransition as error:
                outcomes.append(BulkOutcome(ticket.reference, pk, False, error.message))
            except NotPermitted as error:
                outcomes.append(BulkOutcome(ticket.reference, pk, False, str(error)))
            except TicketValidationError as error:
                outcomes.append(BulkOutcome(ticket.reference, pk, False, " ".join(error.messages)))
            else:
                if changed.version == version:
                    outcomes.append(
                        BulkOutcome(ticket.reference, pk, False, _("Nothing to change."))
                    )
                else:
                    outcomes.append(BulkOutcome(ticket.reference, pk, True))
    return outcomes


def outcomes_as_data(outcomes: Sequence[BulkOutcome]) -> list[dict[str, Any]]:
    """Outcomes as plain data (the session keeps them for the summary page)."""
    return [asdict(o) for o in outcomes]


Change = Callable[[Ticket, User, BulkRequest, int], Ticket]


def _assign_supplier(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
    return desk.ticket_assign(
        ticket=t, actor=a, holder=r.supplier, reason=r.text, expected_version=v
    )


def _assign_desk(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
    return desk.ticket_assign(
        ticket=t, actor=a, holder=desk.DESK, reason=r.text, expected_version=v
    )


def _acknowledge(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
    return desk.ticket_acknowledge(ticket=t, actor=a, expected_version=v)


def _start(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
    return desk.ticket_start(ticket=t, actor=a, expected_version=v)


def _wait(on: str) -> Change:
    def wait(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
        return desk.ticket_wait(ticket=t, actor=a, on=on, reason=r.text, expected_version=v)

    return wait


def _resume(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
    return desk.ticket_resume(ticket=t, actor=a, reason=r.text, expected_version=v)


def _resolve(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
    return desk.ticket_resolve(
        ticket=t, actor=a, resolution_code=r.resolution_code, note=r.text, expected_version=v
    )


def _close(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
    return desk.ticket_close(ticket=t, actor=a, expected_version=v)


def _cancel(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
    return desk.ticket_cancel(ticket=t, actor=a, reason=r.text, expected_version=v)


def _note(t: Ticket, a: User, r: BulkRequest, v: int) -> Ticket:
    return desk.ticket_add_note(ticket=t, actor=a, body=r.text, public=r.public, expected_version=v)


_CHANGES: dict[str, Change] = {
    BulkAction.ASSIGN_SUPPLIER: _assign_supplier,
    BulkAction.ASSIGN_DESK: _assign_desk,
    BulkAction.ACKNOWLEDGE: _acknowledge,
    BulkAction.START: _start,
    BulkAction.WAIT_RESIDENT: _wait(WaitingOn.RESIDENT),
    BulkAction.WAIT_THIRD_PARTY: _wait(WaitingOn.THIRD_PARTY),
    BulkAction.RESUME: _resume,
    BulkAction.RESOLVE: _resolve,
    BulkAction.CLOSE: _close,
    BulkAction.CANCEL: _cancel,
    BulkAction.NOTE: _note,
}


# --- Saved views ----------------------------------------------------------------------------


class DuplicateViewName(ValueError):
    """The person already has a view with that name."""


def saved_view_create(*, owner: User, name: str, queue: str, query: str) -> SavedView:
    """Save a queue's filters and sort under a name (unique per person)."""
    try:
        with transaction.atomic():
            return SavedView.objects.create(
                owner=owner, name=name.strip(), queue=queue, query=query, created_at=timezone.now()
            )
    except IntegrityError as error:
        raise DuplicateViewName(name) from error


def saved_view_delete(*, owner: User, view_id: int) -> bool:
    """Delete one of the person's own views; False if they have no such view."""
    deleted, _rows = SavedView.objects.filter(owner=owner, pk=view_id).delete()
    return deleted > 0
