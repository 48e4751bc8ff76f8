"""The one shape of a ticket for supplier systems, on TM Forum's TMF621 Trouble Ticket
resource: the same fields, value formats and rules whether a supplier reads it in a webhook's
envelope (`envelope.py`) or from the supplier API (`api/tickets.py`; typed by
`api/schemas.TroubleTicket`).

Two entry points build it from the same `_trouble_ticket`:

- `ticket_after_event`: the ticket as a timeline event left it, for a webhook. Status,
  priority, holder and acknowledgement come from the event (the timeline records them with
  each event), so a delivery sent later still describes that moment; descriptive fields
  (title, description, answers, supplier's reference) and the expected resolution date (the
  resolution clock's deadline, as last measured) are read when the event is fanned out.
  Notes up to the event are embedded (the most recent NOTES_LIMIT).
- `ticket_now`: the ticket as it is, for the API. It reads only the loaded row, its
  `service`, `holder_supplier` and `area`, and two values annotated by `with_shape_data`
  (the expected resolution date and the reason of the last change of status): no query per
  ticket, however many are listed. Notes are by link (`notes.href`), paged on their own in
  the same note shape (`note_shape`).

Formats: dates are ISO 8601 strings in UTC to the millisecond, ending in `Z`; `priority` is
"P1" (most urgent) to "P4"; `status` is TMF621's status and `interchangeStatus` the desk's
own (the one the API's writes and filters use). The reporter's name and contact details go
to whoever `visibility.can_see_reporter` allows: for a supplier, only while it holds the
ticket (as of the event, for a webhook), whether or not the report was anonymous
("anonymous" hides the name from the public, not from the people working the ticket).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from interchange.accounts.models import ApiKey
from interchange.servicedesk.models import ClockKind, Status, Ticket, TicketClock, TicketEvent
from interchange.servicedesk.visibility import can_change, can_see_reporter
from interchange.suppliers.models import Supplier

NOTES_LIMIT = 100
TICKET_RELATED = ("service", "holder_supplier", "area")
INTEGRATOR_PARTY_ID = "integrator"
# TMF621 TroubleTicketStatusType for each of the desk's statuses.
TMF_STATUS = {
    Status.NEW: "acknowledged",
    Status.ASSIGNED: "acknowledged",
    Status.IN_PROGRESS: "inProgress",
    Status.WAITING_RESIDENT: "pending",
    Status.WAITING_THIRD_PARTY: "pending",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
    Status.CANCELLED: "cancelled",
}
_RESOLVED = frozenset({Status.RESOLVED, Status.CLOSED})
NOTE_FIELDS = ("sequence", "at", "actor_kind", "actor_label", "public", "new")
Kind = TicketEvent.Kind


_JSON = DjangoJSONEncoder()


def iso(value: datetime | None) -> str | None:
    """`value` as ISO 8601 in UTC to the millisecond, ending `Z` (the database hands back UTC
    times): exactly as the API's JSON encoder (Django's) writes a datetime."""
    return str(_JSON.default(value)) if value else None


def priority_label(priority: int) -> str:
    return f"P{int(priority)}"


def ticket_href(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("exchange-api:ticket_get", kwargs={"ref": ticket.reference})


def notes_href(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("exchange-api:notes_list", kwargs={"ref": ticket.reference})


# --- The API: the ticket now ----------------------------------------------------------------


def _status_changes() -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(new__has_key="status").order_by("-sequence")


def with_shape_data(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`tickets` with all `ticket_now` reads, in the same query."""
    return tickets.select_related(*TICKET_RELATED).annotate(
        shape_expected_resolution=Subquery(
            TicketClock.objects.filter(ticket_id=OuterRef("pk"), clock=ClockKind.RESOLUTION).values(
                "deadline"
            )[:1]
        ),
        shape_status_reason=Subquery(
            _status_changes().filter(ticket_id=OuterRef("pk")).values("reason")[:1]
        ),
    )


def ticket_now(ticket: Ticket, key: ApiKey) -> dict[str, Any]:
    """`ticket` as `key`'s supplier sees it now (loaded through `with_shape_data`)."""
    return _trouble_ticket(
        ticket,
        status=Status(ticket.status),
        priority=ticket.priority,
        holder=ticket.holder_supplier,
        acknowledged=ticket.holder_acknowledged_at is not None,
        status_reason=getattr(ticket, "shape_status_reason", None) or "",
        last_update=ticket.updated_at,
        version=ticket.version,
        expected_resolution=getattr(ticket, "shape_expected_resolution", None),
        yours=can_change(key, ticket),
        sees_reporter=can_see_reporter(key, ticket),
        notes=None,
    )


# --- Webhooks: the ticket as an event left it -----------------------------------------------


def ticket_after_event(*, event: TicketEvent, supplier: Supplier, ticket: Ticket) -> dict[str, Any]:
    """`ticket` as `event` left it, as `supplier` receives it in a webhook."""
    holds = event.holder_supplier_id == supplier.pk
    holder: Supplier | None = None
    if holds:
        holder = supplier
    elif event.holder_supplier_id is not None:
        holder = Supplier.objects.get(pk=event.holder_supplier_id)
    expected = (
        TicketClock.objects.filter(ticket_id=ticket.pk, clock=ClockKind.RESOLUTION)
        .values_list("deadline", flat=True)
        .first()
    )
    reason = (
        _status_changes()
        .filter(ticket_id=ticket.pk, sequence__lte=event.sequence)
        .values_list("reason", flat=True)
        .first()
    )
    return _trouble_ticket(
        ticket,
        status=Status(event.status),
        priority=event.priority,
        holder=holder,
        acknowledged=event.holder_acknowledged,
        status_reason=reason or "",
        last_update=event.at,
        version=event.sequence,
        expected_resolution=expected,
        # A supplier may change the ticket, and read the reporter's details, while it holds
        # it (`visibility.can_change`, `can_see_reporter`): here, as of the event.
        yours=holds,
        sees_reporter=holds,
        notes=_notes_up_to(event, ticket, supplier),
    )


def _notes_up_to(event: TicketEvent, ticket: Ticket, supplier: Supplier) -> list[dict[str, Any]]:
    """The notes up to `event` that `supplier` may read (as `api.selectors.note_page`)."""
    rows = (
        TicketEvent.objects.filter(
            ticket_id=event.ticket_id, kind=Kind.NOTE, sequence__lte=event.sequence
        )
        .filter(Q(public=True) | Q(holder_supplier_id=supplier.pk))
        .order_by("-sequence")
        .only(*NOTE_FIELDS)[:NOTES_LIMIT]
    )
    return [note_shape(ticket, note) for note in reversed(list(rows))]


# --- The shape ------------------------------------------------------------------------------


def note_shape(ticket: Ticket, note: TicketEvent) -> dict[str, Any]:
    """A note event on `ticket`'s timeline, as a TMF621 Note."""
    new = note.new if isinstance(note.new, dict) else {}
    return {
        "@type": "Note",
        "id": f"{ticket.reference}-{note.sequence}",
        "sequence": note.sequence,
        "date": iso(note.at),
        "author": note.actor_label,
        "authorKind": note.actor_kind,
        "public": note.public,
        "text": str(new.get("body", "")),
    }


def _parties(
    ticket: Ticket, *, holder: Supplier | None, sees_reporter: bool
) -> list[dict[str, Any]]:
    parties: list[dict[str, Any]] = [
        {
            "@type": "RelatedParty",
            "role": "serviceIntegrator",
            "id": INTEGRATOR_PARTY_ID,
            "name": settings.COUNCIL_NAME,
            "contactMedium": None,
            "contactPreference": None,
        },
        {
            "@type": "RelatedParty",
            "role": "assignee",
            "id": holder.code if holder is not None else INTEGRATOR_PARTY_ID,
            "name": (holder.public_name or holder.name)
            if holder is not None
            else settings.COUNCIL_NAME,
            "contactMedium": None,
            "contactPreference": None,
        },
    ]
    if sees_reporter:
        contact = [
            {"mediumType": medium, "characteristic": {key: value}}
            for medium, key, value in (
                ("email", "emailAddress", ticket.reporter_email),
                ("phone", "phoneNumber", ticket.reporter_phone),
            )
            if value
        ]
        parties.append(
            {
                "@type": "RelatedParty",
                "role": "reporter",
                "id": None,
                "name": ticket.reporter_name,
                "contactMedium": contact,
                "contactPreference": ticket.reporter_contact_preference or None,
            }
        )
    return parties


def _trouble_ticket(
    ticket: Ticket,
    *,
    status: Status,
    priority: int,
    holder: Supplier | None,
    acknowledged: bool,
    status_reason: str,
    last_update: datetime,
    version: int,
    expected_resolution: datetime | None,
    yours: bool,
    sees_reporter: bool,
    notes: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    answers = ticket.answers if isinstance(ticket.answers, dict) else {}
    resolved = status in _RESOLVED
    return {
        "@type": "TroubleTicket",
        "id": ticket.reference,
        "href": ticket_href(ticket),
        "externalId": ticket.supplier_reference or None,
        "name": ticket.title,
        "description": ticket.description,
        "ticketType": ticket.type,
        "status": TMF_STATUS[status],
        "interchangeStatus": status.value,
        "statusChangeReason": status_reason,
        "priority": priority_label(priority),
        "severity": ticket.impact,
        "urgency": ticket.urgency,
        "majorIncident": ticket.major_incident,
        "channel": {"name": ticket.channel},
        "service": {"id": ticket.service.code, "name": ticket.service.name},
        "location": {
            "address": ticket.address,
            "uprn": ticket.address_id or None,
            "area": ticket.area.code if ticket.area is not None else None,
            "latitude": ticket.latitude,
            "longitude": ticket.longitude,
        },
        "characteristic": [{"name": name, "value": value} for name, value in answers.items()],
        "relatedParty": _parties(ticket, holder=holder, sees_reporter=sees_reporter),
        "resolution": (
            {"code": ticket.resolution_code, "note": ticket.resolution_note}
            if resolved and ticket.resolution_code
            else None
        ),
        "creationDate": iso(ticket.created_at),
        "lastUpdate": iso(last_update),
        "resolutionDate": iso(ticket.resolved_at) if resolved else None,
        "closedDate": iso(ticket.closed_at) if status == Status.CLOSED else None,
        "expectedResolutionDate": iso(expected_resolution),
        "acknowledged": acknowledged,
        "yours": yours,
        "version": version,
        "notes": {"href": notes_href(ticket)},
        "note": notes,
    }
