"""The reads behind the supplier API: a supplier's tickets (always through the visibility
scope), one ticket by its public reference, and a ticket's notes, each paged by keyset with
an opaque, signed cursor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

from interchange.accounts.models import ApiKey
from interchange.exchange.tickets import NOTE_FIELDS, with_shape_data
from interchange.servicedesk.models import REFERENCE_PREFIX, Ticket, TicketEvent
from interchange.servicedesk.visibility import visible_to

_TYPE_OF_PREFIX = {prefix: ticket_type for ticket_type, prefix in REFERENCE_PREFIX.items()}
# Eighteen digits at most: every id a bigint can hold, and nothing that would overflow one.
_REFERENCE = re.compile(r"^(?P<prefix>[A-Za-z]{3})-(?P<id>\d{1,18})$")
_TICKET_CURSOR_SALT = "exchange.api.tickets"
_NOTE_CURSOR_SALT = "exchange.api.notes"


class BadCursor(ValueError):
    """A cursor this API did not give (or for another list)."""


@dataclass(frozen=True)
class TicketFilters:
    statuses: list[str]
    priorities: list[int]
    services: list[str]
    updated_since: datetime | None
    has_supplier_reference: bool | None
    yours: bool | None


def ticket_for_reference(key: ApiKey, reference: str) -> Ticket | None:
    """The ticket with public reference `reference` (INC-000123) if `key` may see it."""
    match = _REFERENCE.match(reference.strip())
    if match is None:
        return None
    ticket_type = _TYPE_OF_PREFIX.get(match["prefix"].upper())
    if ticket_type is None:
        return None
    return with_shape_data(visible_to(key)).filter(pk=int(match["id"]), type=ticket_type).first()


def _filtered(key: ApiKey, filters: TicketFilters) -> QuerySet[Ticket]:
    tickets = with_shape_data(visible_to(key))
    if filters.statuses:
        tickets = tickets.filter(status__in=filters.statuses)
    if filters.priorities:
        tickets = tickets.filter(priority__in=filters.priorities)
    if filters.services:
        tickets = tickets.filter(service__code__in=filters.services)
    if filters.updated_since is not None:
        tickets = tickets.filter(updated_at__gte=filters.updated_since)
    if filters.has_supplier_reference is True:
        tickets = tickets.exclude(supplier_reference="")
    elif filters.has_supplier_reference is False:
        tickets = tickets.filter(supplier_reference="")
    if filters.yours is True:
        tickets = tickets.filter(holder_supplier_id=key.supplier_id)
    elif filters.yours is False:
        tickets = tickets.exclude(holder_supplier_id=key.supplier_id)
    return tickets


def ticket_page(
    key: ApiKey, filters: TicketFilters, *, cursor: str | None, limit: int
) -> tuple[list[Ticket], str | None]:
    """Up to `limit` of the tickets `key` may see, least recently updated first (then by id),
    after `cursor`; and the cursor of the next page, or None on the last.

    A ticket changed while a client pages moves to the end, so paging from `updatedSince`
    never misses a change; the client may see such a ticket twice.
    """
    tickets = _filtered(key, filters)
    if cursor:
        updated_at, ticket_id = _read_ticket_cursor(cursor)
        tickets = tickets.filter(
            Q(updated_at__gt=updated_at) | Q(updated_at=updated_at, pk__gt=ticket_id)
        )
    rows = list(tickets.order_by("updated_at", "pk")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    token = signing.dumps(
        {"u": last.updated_at.isoformat(), "i": last.pk}, salt=_TICKET_CURSOR_SALT
    )
    return rows[:limit], token


def _read_ticket_cursor(cursor: str) -> tuple[datetime, int]:
    data = _unsign(cursor, _TICKET_CURSOR_SALT)
    try:
        return datetime.fromisoformat(data["u"]), int(data["i"])
    except (KeyError, TypeError, ValueError):
        raise BadCursor(cursor) from None


def note_page(
    key: ApiKey, ticket: Ticket, *, cursor: str | None, limit: int
) -> tuple[list[TicketEvent], str | None]:
    """Up to `limit` notes of `ticket` that `key`'s supplier may read, oldest first, after
    `cursor`; and the next cursor. It reads public notes, and internal ones written while it
    held the ticket (as the webhooks' envelope does); not another holder's internal notes."""
    after = 0
    if cursor:
        data = _unsign(cursor, _NOTE_CURSOR_SALT)
        try:
            after = int(data["s"])
            if int(data["t"]) != ticket.pk:
                raise BadCursor(cursor)
        except (KeyError, TypeError, ValueError):
            raise BadCursor(cursor) from None
    notes = list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.NOTE, sequence__gt=after)
        .filter(Q(public=True) | Q(holder_supplier_id=key.supplier_id))
        .order_by("sequence")
        .only(*NOTE_FIELDS)[: limit + 1]
    )
    if len(notes) <= limit:
        return notes, None
    token = signing.dumps({"t": ticket.pk, "s": notes[limit - 1].sequence}, salt=_NOTE_CURSOR_SALT)
    return notes[:limit], token


def _unsign(cursor: str, salt: str) -> dict[str, Any]:
    try:
        data = signing.loads(cursor, salt=salt)
    except signing.BadSignature:
        raise BadCursor(cursor) from None
    if not isinstance(data, dict):
        raise BadCursor(cursor)
    return data
