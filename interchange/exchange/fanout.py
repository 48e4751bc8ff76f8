"""The exchange's timeline listener: turns each event a supplier should see into one
delivery per active endpoint of that supplier subscribed to its type.

The dispatcher calls it inside its own transaction, so deliveries commit with the event's
"dispatched" mark or not at all. It is idempotent (one delivery per event and endpoint, by a
unique constraint), and an endpoint receives only events from its creation on, so replaying
history (`dispatch.replay`) never sends a supplier its past twice or a new endpoint the past.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from interchange.catalogue.models import Service
from interchange.exchange import envelope
from interchange.exchange.models import UNFINISHED, Delivery, Endpoint, EventType
from interchange.servicedesk.models import Status, Ticket, TicketEvent

Kind = TicketEvent.Kind
_HANDOVERS = frozenset({Kind.OPENED, Kind.ROUTED, Kind.ASSIGNED})
# Events about the resident or the clocks, not the work: suppliers get none of these.
_NOT_SENT = frozenset({Kind.FOLLOWER, Kind.SATISFACTION, Kind.SLA_WARNING, Kind.SLA_BREACH})


def supplier_event_types(event: TicketEvent) -> list[tuple[int, EventType]]:
    """Which suppliers should hear of `event`, and as what (no query: the event's columns
    say who held the ticket before and after)."""
    holder = event.holder_supplier_id
    if event.kind in _HANDOVERS:
        changed = event.kind == Kind.OPENED or "holder_supplier" in (event.new or {})
        if changed:
            before = (event.old or {}).get("holder_supplier")
            targets: list[tuple[int, EventType]] = []
            if isinstance(before, int) and before != holder:
                targets.append((before, EventType.UNASSIGNED))
            if holder is not None and before != holder:
                targets.append((holder, EventType.ASSIGNED))
            return targets
    if holder is None or event.kind in _NOT_SENT:
        return []
    if event.kind in (Kind.CLOSED, Kind.CANCELLED, Kind.DUPLICATE):
        if event.status == Status.CANCELLED:
            return [(holder, EventType.CANCELLED)]
        if event.status == Status.CLOSED:
            return [(holder, EventType.CLOSED)]
    if event.kind == Kind.NOTE:
        return [(holder, EventType.NOTE_ADDED)]
    return [(holder, EventType.UPDATED)]


def on_timeline_event(event: TicketEvent) -> None:
    """Write the deliveries `event` calls for (none twice)."""
    targets = supplier_event_types(event)
    if not targets:
        return
    endpoints = list(
        Endpoint.objects.filter(
            supplier_id__in=[supplier_id for supplier_id, _type in targets],
            active=True,
            created_at__lte=event.at,
        )
        .select_related("supplier")
        .order_by("pk")
    )
    if not endpoints:
        return
    # The dispatcher loaded the ticket with the event; the service is all it lacks.
    ticket: Ticket | None = None
    now = timezone.now()
    for supplier_id, event_type in targets:
        mine = [
            e for e in endpoints if e.supplier_id == supplier_id and e.subscribes_to(event_type)
        ]
        if not mine:
            continue
        if ticket is None:
            ticket = event.ticket
            ticket.service = Service.objects.get(pk=ticket.service_id)
        body = envelope.dumps(
            envelope.event_envelope(
                event=event, event_type=event_type, supplier=mine[0].supplier, ticket=ticket
            )
        )
        # A second hand-over of the event (a retried batch, a replay) inserts nothing.
        Delivery.objects.bulk_create(
            [
                Delivery(
                    message_id=envelope.message_id_for_event(event),
                    event=event,
                    event_type=event_type,
                    endpoint=endpoint,
                    supplier_id=supplier_id,
                    ticket_id=event.ticket_id,
                    sequence=event.sequence,
                    occurred_at=event.at,
                    body=body,
                    # Due from the moment it happened; the dispatcher may hand it over later.
                    next_attempt_at=None if _waits(endpoint, event) else event.at,
                    created_at=now,
                )
                for endpoint in mine
            ],
            ignore_conflicts=True,
        )


def _waits(endpoint: Endpoint, event: TicketEvent) -> bool:
    """Whether an earlier delivery of this ticket to this endpoint is still unfinished.

    The latest such row is locked, so a worker finishing it at this moment either commits
    first (and the recheck under the lock finds it finished: this one is due now) or waits
    for this transaction and then finds this delivery to release (see delivery.py).
    """
    earlier = Delivery.objects.filter(
        endpoint=endpoint,
        ticket_id=event.ticket_id,
        sequence__lt=event.sequence,
        status__in=UNFINISHED,
    ).order_by("-sequence")
    if connection.features.has_select_for_update:
        earlier = earlier.select_for_update(of=("self",))
    return earlier.values_list("pk", flat=True).first() is not None
