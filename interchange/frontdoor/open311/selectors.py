"""Reads behind the Open311 documents: service requests (filtered, newest first, each with
its latest public note and first public photo in the same query), their updates, tokens and
public attachments. Which tickets a caller sees is always `visibility.visible_to`.

Nothing here runs a query per ticket: a page of requests is one query, plus one for the
expected dates and three more for `extensions=true`. Requests are read as `RequestRow`s,
plain values: building model objects for a page of 1,000 would cost more than its query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Case,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    TextField,
    When,
)
from django.db.models.fields.json import KT

from interchange.catalogue.models import Question, QuestionChoice, Service
from interchange.frontdoor.models import Open311Request
from interchange.frontdoor.open311.params import Paging, Window
from interchange.servicedesk import sla
from interchange.servicedesk.actors import Actor, Public
from interchange.servicedesk.models import (
    OPEN_STATUSES,
    REFERENCE_DIGITS,
    REFERENCE_PREFIX,
    Attachment,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
)
from interchange.servicedesk.search import parse_reference
from interchange.servicedesk.visibility import visible_to

Kind = TicketEvent.Kind

# Public events whose text says why the ticket is as it is: `status_notes`.
NOTE_KINDS = (Kind.NOTE, Kind.RESOLVED, Kind.WAITING, Kind.DUPLICATE, Kind.CANCELLED, Kind.REOPENED)
# Public events a client is told about as updates (the opening is the report itself).
UPDATE_KINDS = (
    Kind.ACKNOWLEDGED,
    Kind.STATUS_CHANGED,
    Kind.WAITING,
    Kind.RESUMED,
    Kind.RESOLVED,
    Kind.CLOSED,
    Kind.REOPENED,
    Kind.CANCELLED,
    Kind.DUPLICATE,
    Kind.NOTE,
    Kind.ATTACHMENT,
)
STATUS_FILTER: dict[str, frozenset[str]] = {
    "open": frozenset(OPEN_STATUSES),
    "closed": frozenset({Status.RESOLVED, Status.CLOSED, Status.CANCELLED}),
}


def event_text() -> Case:
    """An event's words for the reporter: a note's body, a resolution's note, else the reason."""
    return Case(
        When(kind=Kind.NOTE, then=KT("new__body")),
        When(kind=Kind.RESOLVED, then=KT("new__resolution_note")),
        default=F("reason"),
        output_field=TextField(),
    )


@dataclass(frozen=True, slots=True)
class RequestRow:
    """What a request document shows of one ticket, read as plain values: a page of 1,000
    requests builds no model objects (they cost more than the query)."""

    pk: int
    type: str
    status: str
    description: str
    service_id: int
    service_code: str
    service_name: str
    service_notice: str
    holder_public_name: str | None
    latitude: float | None
    longitude: float | None
    address: str
    address_id: str
    answers: dict[str, object]
    created_at: datetime
    updated_at: datetime
    latest_note: str | None
    """The text of the latest public note, resolution or reason (`status_notes`)."""
    first_media_id: int | None
    """The first public attachment, which `media_url` points at."""
    client_media_url: str | None
    """A photo the client application keeps on its own site."""

    @property
    def reference(self) -> str:
        """The ticket's public reference, as `Ticket.reference` makes it."""
        return f"{REFERENCE_PREFIX[TicketType(self.type)]}-{self.pk:0{REFERENCE_DIGITS}d}"


# RequestRow's fields in order, as the query names them.
_ROW_VALUES = (
    "pk",
    "type",
    "status",
    "description",
    "service_id",
    "service__code",
    "service__name",
    "service__notice",
    "holder_supplier__public_name",
    "latitude",
    "longitude",
    "address",
    "address_id",
    "answers",
    "created_at",
    "updated_at",
    "latest_note",
    "first_media_id",
    "open311_request__media_url",
)


def _documented(tickets: QuerySet[Ticket]) -> QuerySet[Ticket, tuple[Any, ...]]:
    """What request documents need, in the one query: the service, the holder, the client's
    details, the latest public note and the first public attachment. Only what the documents
    show: the reporter's details never leave the database here."""
    latest_note = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), public=True, kind__in=NOTE_KINDS)
        .order_by("-sequence")
        .annotate(text=event_text())
        .values("text")[:1]
    )
    first_media = (
        Attachment.objects.filter(ticket=OuterRef("pk"), public=True)
        .order_by("uploaded_at", "pk")
        .values("pk")[:1]
    )
    return tickets.annotate(
        latest_note=Subquery(latest_note), first_media_id=Subquery(first_media)
    ).values_list(*_ROW_VALUES)


def _rows(values: Iterable[tuple[Any, ...]]) -> list[RequestRow]:
    return [RequestRow(*row) for row in values]


def services_by_code(codes: Sequence[str]) -> dict[str, Service]:
    """The services offered through Open311 with these codes (missing codes are absent)."""
    return {
        s.code: s
        for s in Service.objects.filter(code__in=list(codes), open311_exposed=True).only(
            "pk", "code"
        )
    }


def requests_by_reference(*, actor: Actor, references: Iterable[str]) -> list[RequestRow]:
    """The visible tickets with these references (or bare numbers), newest first; what does
    not parse or is not there is simply left out, as the specification's lists do."""
    by_id = _ids_of(references)
    rows = _rows(
        _documented(visible_to(actor).filter(pk__in=list(by_id)).order_by("-created_at", "-id"))
    )
    # A typed reference must name a ticket of that type: INC-000012 is not REQ-000012.
    return [row for row in rows if by_id[row.pk] & {None, row.type}]


def request_by_reference(*, actor: Actor, reference: str) -> Ticket | None:
    """The visible ticket `reference` names (a reference or a bare number), to change."""
    by_id = _ids_of([reference])
    for ticket in visible_to(actor).filter(pk__in=list(by_id)):
        if by_id[ticket.pk] & {None, ticket.type}:
            return ticket
    return None


def _ids_of(references: Iterable[str]) -> dict[int, set[str | None]]:
    """Ticket ids by the types the references give them (None: a bare number)."""
    by_id: dict[int, set[str | None]] = defaultdict(set)
    for text in references:
        parsed = parse_reference(text)
        if parsed is not None:
            ticket_type, pk = parsed
            by_id[pk].add(ticket_type)
    return by_id


def requests_list(
    *,
    actor: Actor,
    window: Window,
    services: Sequence[Service] | None,
    statuses: Iterable[str] | None,
    paging: Paging | None,
    limit: int,
) -> list[RequestRow]:
    """Visible tickets requested inside `window`, newest first, by service and Open311
    status when asked: `limit` of them, or one page (and one more, to tell if there is a
    next page) when paging."""
    tickets = visible_to(actor).filter(created_at__gte=window.start, created_at__lte=window.end)
    if services is not None:
        tickets = tickets.filter(service__in=list(services))
    if statuses is not None:
        wanted = set().union(*(STATUS_FILTER[s] for s in statuses))
        tickets = tickets.filter(status__in=sorted(wanted))
    ordered = tickets.order_by("-created_at", "-id")
    if paging is None:
        page = ordered[:limit]
    else:
        page = ordered[paging.offset : paging.offset + paging.size + 1]
    # The page's ids in a subquery (still one query), so the note and photo lookups run for
    # the page alone whichever plan the database picks to find it.
    chosen = visible_to(actor).filter(pk__in=page.values("pk"))
    return _rows(_documented(chosen.order_by("-created_at", "-id")))


def expected_datetime(tickets: Sequence[RequestRow]) -> dict[int, datetime | None]:
    """When each ticket is expected to be fixed (its running end-to-end resolution clock's
    deadline), for all of them in one query."""
    deadlines = sla.resolution_deadlines(t.pk for t in tickets)
    return {ticket.pk: deadlines.get(ticket.pk) for ticket in tickets}


def public_notes(tickets: Sequence[RequestRow]) -> dict[int, list[TicketEvent]]:
    """Each ticket's public timeline, oldest first (for `extensions=true`), in one query."""
    notes: dict[int, list[TicketEvent]] = defaultdict(list)
    events = (
        TicketEvent.objects.filter(ticket__in=[t.pk for t in tickets], public=True)
        .annotate(text=event_text())
        .only("ticket_id", "kind", "at", "reason", "new")
        .order_by("ticket_id", "sequence")
    )
    for event in events:
        notes[event.ticket_id].append(event)
    return notes


def questions_of(tickets: Sequence[RequestRow]) -> dict[int, dict[str, Question]]:
    """The questions of the tickets' services by service and code, with their choices (for
    `extensions=true`), in two queries."""
    questions = Question.objects.filter(
        service__in={t.service_id for t in tickets}
    ).prefetch_related(Prefetch("choices", queryset=QuestionChoice.objects.order_by("order")))
    found: dict[int, dict[str, Question]] = defaultdict(dict)
    for question in questions:
        found[question.service_id][question.code] = question
    return found


def updates(
    *, actor: Actor, window: Window, paging: Paging | None, limit: int
) -> list[TicketEvent]:
    """The public changes to visible tickets inside `window`, oldest first, with their
    ticket and any attachment: `limit` of them, or a page and one more."""
    events = (
        TicketEvent.objects.filter(
            public=True,
            kind__in=UPDATE_KINDS,
            at__gte=window.start,
            at__lte=window.end,
            ticket__in=visible_to(actor).values("pk"),
        )
        .select_related("ticket", "attachment")
        .annotate(text=event_text())
        .order_by("at", "id")
    )
    if paging is None:
        return list(events[:limit])
    return list(events[paging.offset : paging.offset + paging.size + 1])


def request_for_token(*, actor: Actor, token: str) -> Open311Request | None:
    """The report a batch service's token stands for, when the caller may see it."""
    return (
        Open311Request.objects.select_related("ticket")
        .filter(token=token, ticket__in=visible_to(actor).values("pk"))
        .first()
    )


def public_attachment(pk: int) -> Attachment | None:
    """A public attachment of a ticket the public may see; None for anything else."""
    return Attachment.objects.filter(
        pk=pk, public=True, ticket__in=visible_to(Public()).values("pk")
    ).first()
