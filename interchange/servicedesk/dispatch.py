"""The timeline dispatcher: hands each undispatched timeline event to the listeners that
higher apps registered at start-up, then marks it dispatched (the timeline is the outbox).

Listeners run inside the dispatcher's transaction, so the durable jobs they write commit
with the mark, or not at all: a crash anywhere loses nothing. They must be idempotent, since
a batch that fails is handed to every listener again, and `replay` hands them history.

Events are claimed by what is undispatched, never by an id cursor: ids are taken when a
transaction inserts and become visible when it commits, so a lower id can appear after a
higher one was dispatched. On PostgreSQL several dispatchers may run at once; each skips the
rows another has claimed, and leaves a ticket alone while another holds its earlier events,
so each ticket's events reach listeners in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Min, QuerySet
from django.utils import timezone

from interchange.core.jobs import periodic
from interchange.servicedesk import sla
from interchange.servicedesk.models import TicketEvent

logger = logging.getLogger(__name__)

Listener = Callable[[TicketEvent], None]
BatchListener = Callable[[list[TicketEvent]], None]

# Listener name → function; filled by the apps' AppConfig.ready(), read by the dispatcher.
LISTENERS: dict[str, Listener] = {}
# Listener name → (its per-event function, the function that takes a whole batch instead),
# for listeners that registered one: the dispatcher and `replay` hand such a listener each
# batch at once (in order), so it can look up what the batch needs in a few queries.
BATCH_LISTENERS: dict[str, tuple[Listener, BatchListener]] = {}

BATCH_SIZE = 500
# A periodic run stops after this many full batches, so a backlog of millions (say, after an
# outage) cannot keep the worker from its other jobs; the next run carries on.
MAX_BATCHES_PER_RUN = 20


def register_listener(name: str, func: Listener, *, batch: BatchListener | None = None) -> None:
    """Hand every timeline event to `func` from now on (called inside the dispatcher's
    transaction; it must be idempotent). Registering the same function again is harmless.

    `batch`, if given, must do what calling `func` on each of its events in turn would do:
    the dispatcher calls it once per batch instead (oldest event first)."""
    if name in LISTENERS and LISTENERS[name] != func:
        raise ValueError(f"A listener named {name!r} is already registered.")
    LISTENERS[name] = func
    if batch is not None:
        BATCH_LISTENERS[name] = (func, batch)


def _batch_listener(name: str, func: Listener) -> BatchListener | None:
    """The batch function registered with `func` under `name`, if any."""
    registered = BATCH_LISTENERS.get(name)
    if registered is None or registered[0] is not func:
        return None
    return registered[1]


def dispatch_batch(*, limit: int = BATCH_SIZE, at: datetime | None = None) -> int:
    """Claim up to `limit` undispatched events (oldest id first), hand each to every listener,
    and mark them dispatched, all in one transaction. Returns how many were dispatched.

    A listener's exception rolls the whole batch back (nothing is marked) and is re-raised,
    so the worker retries the scan.
    """
    at = at or timezone.now()
    # A plain read first, so an idle scan takes no lock (on SQLite, the database's write lock).
    if not TicketEvent.objects.filter(dispatched_at__isnull=True).exists():
        return 0
    with transaction.atomic():
        claimed = list(_claim(limit))
        events = _unblocked(claimed)
        singles: dict[str, Listener] = {}
        for name, listener in LISTENERS.items():
            batch = _batch_listener(name, listener)
            if batch is None:
                singles[name] = listener
            elif events:
                try:
                    batch(events)
                except Exception:
                    logger.exception(
                        "Listener %s failed on a batch of %s timeline events (%s to %s); "
                        "the batch is rolled back and will be retried.",
                        name,
                        len(events),
                        events[0].pk,
                        events[-1].pk,
                    )
                    raise
        for event in events:
            for name, listener in singles.items():
                try:
                    listener(event)
                except Exception:
                    logger.exception(
                        "Listener %s failed on timeline event %s (%s, ticket %s); "
                        "the batch is rolled back and will be retried.",
                        name,
                        event.pk,
                        event.kind,
                        event.ticket_id,
                    )
                    raise
        if events:
            # The clocks are derived from the timeline: bring these tickets' up to date once
            # per batch (the breach scan reads what this stores).
            sla.on_events({e.ticket_id for e in events}, at)
            TicketEvent.objects.filter(pk__in=[e.pk for e in events]).update(dispatched_at=at)
    return len(events)


def _claim(limit: int) -> QuerySet[TicketEvent]:
    events = (
        TicketEvent.objects.filter(dispatched_at__isnull=True)
        .select_related("ticket")
        .order_by("id")
    )
    if connection.features.has_select_for_update_skip_locked:
        # Only the event rows: locking their tickets too would hold up every change to them.
        events = events.select_for_update(skip_locked=True, of=("self",))
    # SQLite runs one worker and takes the write lock when the transaction starts.
    return events[:limit]


def _unblocked(claimed: list[TicketEvent]) -> list[TicketEvent]:
    """The claimed events less those of tickets whose earlier events another dispatcher still
    holds: they stay undispatched (and unlocked at commit) for a later batch."""
    if not claimed:
        return []
    ticket_ids = {e.ticket_id for e in claimed}
    waiting = dict(
        TicketEvent.objects.filter(
            ticket_id__in=ticket_ids,
            dispatched_at__isnull=True,
            pk__lt=claimed[-1].pk,
        )
        .exclude(pk__in=[e.pk for e in claimed])
        .order_by()
        .values("ticket_id")
        .annotate(first=Min("pk"))
        .values_list("ticket_id", "first")
    )
    return [e for e in claimed if e.ticket_id not in waiting or e.pk < waiting[e.ticket_id]]


@periodic("servicedesk.dispatch", every=timedelta(seconds=1))
def dispatch_pending(at: datetime) -> None:
    """The worker's scan: dispatch batches until the timeline is caught up (or the run's
    bound is reached)."""
    for _ in range(MAX_BATCHES_PER_RUN):
        if dispatch_batch(limit=BATCH_SIZE, at=at) < BATCH_SIZE:
            return


def replay(listener_name: str, *, since: datetime | None = None) -> int:
    """Hand the already-dispatched events (those at or after `since`, if given) to one
    listener again, oldest first, a batch per transaction. Returns how many were handed.

    For a listener added after the fact, or one that needs to redo its work; the listener's
    idempotency keeps a second pass from doing anything twice. Events not yet dispatched are
    left to the dispatcher, which hands them to every registered listener anyway.
    """
    listener = LISTENERS[listener_name]
    history = TicketEvent.objects.filter(dispatched_at__isnull=False)
    if since is not None:
        history = history.filter(at__gte=since)
    handed = 0
    last_id = 0
    while True:
        with transaction.atomic():
            # Keyset pages over a fixed set (dispatched events only), so an id cursor is
            # safe here: an event dispatched later was handed to this listener by then.
            page = list(
                history.filter(pk__gt=last_id).select_related("ticket").order_by("id")[:BATCH_SIZE]
            )
            batch = _batch_listener(listener_name, listener)
            if batch is not None and page:
                batch(page)
            else:
                for event in page:
                    listener(event)
        if not page:
            return handed
        handed += len(page)
        last_id = page[-1].pk
