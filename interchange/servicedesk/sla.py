"""Stored SLA clock state: `recompute` folds timelines in bulk and stores what changed,
`on_events` is the dispatcher's hook after tickets change, and `breach_scan` (periodic)
raises each breach warning and breach once, as timeline events.

Nothing here decides a rule; `servicedesk.clocks` does. The stored rows are a cache of the
fold that lists, scans and reports can index: recomputing any ticket at any time gives the
same rows again, warnings and breaches included, since those are read from the timeline.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from interchange.core.jobs import periodic
from interchange.servicedesk import clocks, clockstore
from interchange.servicedesk.actors import System
from interchange.servicedesk.clocks import (
    ALERT_KINDS,
    Alert,
    ClockRef,
    Fold,
    Rules,
    warning_share,
)
from interchange.servicedesk.clockstore import Chunk
from interchange.servicedesk.models import (
    ClockKind,
    ClockState,
    HolderSegment,
    Ticket,
    TicketClock,
    TicketEvent,
)

# The services' own machinery, so an SLA event bumps the version like any other change.
from interchange.servicedesk.services import _change, _lock

logger = logging.getLogger(__name__)

SYSTEM = System()
# Tickets folded and written per transaction by `recompute`; also keeps each packed read
# (tens of megabytes) far below PostgreSQL's 1 GB limit on one value.
CHUNK_SIZE = 20_000
# The most tickets one scan handles; the next scan, a minute later, carries on.
SCAN_LIMIT = 1_000


# --- Recompute ----------------------------------------------------------------------------


def recompute(
    ticket_ids: Iterable[int] | None = None,
    *,
    at: datetime | None = None,
    rules: Rules | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Fold the timelines of `ticket_ids` (every ticket when None) as of `at` (now) and store
    the clocks and segments that differ from what is stored; returns the tickets folded.

    Works in chunks of tickets, a few queries each (none per ticket), one transaction each;
    on PostgreSQL rows travel packed in binary, and the next chunk is read while this one
    is folded and written.
    """
    at = at or timezone.now()
    rules = rules or Rules.load()
    share = warning_share()
    backend = clockstore.store()
    folded = 0
    for read in _reads(backend, list(_chunks(ticket_ids, chunk_size)), at):
        with transaction.atomic():
            result = clocks.fold_many(read.timelines, rules=rules, at=at, warning_share=share)
            _save(backend, read, result, at)
            folded += len(result.ticket_ids)
    return folded


class _Read(NamedTuple):
    """What one chunk's recompute reads: its timelines and its stored rows (with their ids)."""

    timelines: clocks.Timelines
    clock_ids: clockstore.I64
    clocks: clockstore.Rows
    segment_ids: clockstore.I64
    segments: clockstore.Rows


def _read(backend: clockstore.Store, chunk: Chunk, at: datetime) -> _Read:
    return _Read(
        backend.timelines(chunk, at),
        *backend.stored_clocks(chunk),
        *backend.stored_segments(chunk),
    )


def _reads(backend: clockstore.Store, chunks: list[Chunk], at: datetime) -> Iterator[_Read]:
    """Each chunk's reads. Where other connections see the same rows (PostgreSQL, outside
    a transaction), the next chunk is read on two of them (timelines on one, stored rows on
    the other) while this one is folded and written: reading is most of a recompute, and
    the server does it on cores of its own. Chunks hold different tickets, so writing one
    never changes what is read for another."""
    if not backend.reads_ahead or len(chunks) < 2 or connection.in_atomic_block:
        for chunk in chunks:
            yield _read(backend, chunk, at)
        return
    with (
        _Reader(chunks, lambda c: backend.timelines(c, at)) as timelines,
        _Reader(
            chunks, lambda c: (*backend.stored_clocks(c), *backend.stored_segments(c))
        ) as stored,
    ):
        for _chunk in chunks:
            yield _Read(timelines.next(), *stored.next())


class _Reader:
    """A thread that reads each chunk in turn on its own connection, one chunk ahead."""

    def __init__(self, chunks: list[Chunk], read: Callable[[Chunk], Any]) -> None:
        self.chunks = chunks
        self.read = read
        self.ready: queue.Queue[tuple[Any] | BaseException] = queue.Queue(1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sla-recompute-reader", daemon=True)

    def __enter__(self) -> _Reader:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        while self.thread.is_alive():
            # Unblock a reader waiting to hand over a chunk nobody will fold.
            with suppress(queue.Empty):
                self.ready.get(timeout=0.1)
        self.thread.join()

    def next(self) -> Any:
        item = self.ready.get()
        if isinstance(item, BaseException):
            raise item
        return item[0]

    def _run(self) -> None:
        try:
            for chunk in self.chunks:
                if self.stop.is_set():
                    return
                self.ready.put((self.read(chunk),))
        except BaseException as exc:  # handed to the caller, which raises it
            self.ready.put(exc)
        finally:
            # The thread's own connection: Django opens one per thread.
            connection.close()


def on_events(ticket_ids: Iterable[int], at: datetime) -> None:
    """The dispatcher's hook: these tickets' timelines grew, so recompute their clocks."""
    ids = sorted(set(ticket_ids))
    if ids:
        recompute(ids, at=at)


def _chunks(ticket_ids: Iterable[int] | None, size: int) -> Iterator[Chunk]:
    if ticket_ids is not None:
        ids = sorted(set(ticket_ids))
        for start in range(0, len(ids), size):
            yield Chunk(ids=ids[start : start + size])
        return
    bounds = Ticket.objects.order_by("pk").values_list("pk", flat=True)
    first, last = bounds.first(), bounds.last()
    if first is None or last is None:
        return
    for lo in range(first, last + 1, size):
        yield Chunk(lo=lo, hi=lo + size)


def _save(backend: clockstore.Store, read: _Read, result: clocks.BulkFold, at: datetime) -> None:
    """Write the rows that differ from the stored ones, and delete stored rows the fold no
    longer has (a recompute as of an earlier moment)."""
    new_clocks, changed_clocks, gone_clocks = _differences(
        clockstore.clock_rows(result), read.clocks, read.clock_ids, clockstore.clock_key
    )
    new_segments, changed_segments, gone_segments = _differences(
        clockstore.segment_rows(result), read.segments, read.segment_ids, clockstore.segment_key
    )
    backend.delete(gone_clocks, gone_segments)
    backend.write_clocks(changed_clocks, at)
    backend.write_clocks(new_clocks, at, new=True)
    backend.write_segments(changed_segments, at)
    backend.write_segments(new_segments, at, new=True)


def _differences(
    rows: clockstore.Rows,
    stored: clockstore.Rows,
    stored_ids: clockstore.I64,
    key: Callable[[clockstore.Rows], clockstore.I64],
) -> tuple[clockstore.Rows, clockstore.Rows, clockstore.I64]:
    """The rows not stored yet, the rows stored with other values (`stored` sorted by
    `key`), and the ids of stored rows no longer among them."""
    if not len(stored):
        return rows, rows[:0], stored_ids
    keys, stored_keys = key(rows), key(stored)
    where = np.minimum(np.searchsorted(stored_keys, keys), len(stored) - 1)
    matched = stored_keys[where] == keys
    changed = matched.copy()
    changed[matched] = rows[matched] != stored[where[matched]]
    kept = np.zeros(len(stored), dtype=np.bool_)
    kept[where[matched]] = True
    return rows[~matched], rows[changed], stored_ids[~kept]


def stored_rows(
    ticket_ids: Iterable[int] | None = None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The stored clocks and segments in the folds' row shapes (`clocks.fold_rows`), for
    checking a recompute against the fold."""
    backend = clockstore.Store()
    chunk = Chunk(ids=list(ticket_ids)) if ticket_ids is not None else Chunk(lo=0, hi=2**62)
    clock_rows = backend.stored_clocks(chunk)[1]
    segment_rows = backend.stored_segments(chunk)[1]
    return clockstore.as_tuples(clock_rows, segment_rows)


# --- Raising warnings and breaches ---------------------------------------------------------


def alert_payload(result: Fold, alert: Alert) -> dict[str, Any]:
    """What an SLA event says: which clock, whose, its priority, target, elapsed time and
    deadline (seconds and ISO 8601), and when the alert fell due."""
    clock = alert.clock
    holder = None
    if alert.ref.segment is not None:
        holder = result.segments[alert.ref.segment - 1].holder
    return payload_of(
        alert.ref,
        holder=holder,
        priority=clock.priority,
        target=clock.target,
        elapsed=clock.elapsed,
        due_at=alert.due_at,
        deadline=clock.deadline,
    )


def payload_of(
    ref: ClockRef,
    *,
    holder: int | None,
    priority: int,
    target: timedelta | None,
    elapsed: timedelta,
    due_at: datetime,
    deadline: datetime | None,
) -> dict[str, Any]:
    """`alert_payload` from the clock's values, for callers holding a bulk fold's arrays."""
    return {
        **ref.payload(),
        "holder_supplier": holder,
        "priority": priority,
        "target": target.total_seconds() if target is not None else None,
        "elapsed": elapsed.total_seconds(),
        "due_at": due_at.isoformat(),
        "deadline": deadline.isoformat() if deadline else None,
    }


def _raise(locked: Ticket, result: Fold, alert: Alert, at: datetime) -> TicketEvent:
    return _change(
        locked,
        kind=alert.kind,
        actor=SYSTEM,
        at=at,
        changes={},
        extra_new=alert_payload(result, alert),
    )


def _locked_fold(ticket_id: int, at: datetime, rules: Rules) -> tuple[Ticket, Fold, datetime]:
    locked = _lock(Ticket(pk=ticket_id), None)
    # The timeline is in time order: an event cannot come before the ticket's last change.
    when = max(at, locked.updated_at)
    result = clocks.fold_ticket(locked, rules=rules, at=when, warning_share=warning_share())
    return locked, result, when


def raise_due_alerts(
    ticket_id: int, *, at: datetime, rules: Rules | None = None
) -> list[TicketEvent]:
    """Raise every warning and breach of the ticket due by `at` and not yet raised, under the
    ticket's lock, so two scans at once still raise each only once."""
    rules = rules or Rules.load()
    with transaction.atomic():
        locked, result, when = _locked_fold(ticket_id, at, rules)
        return [_raise(locked, result, alert, when) for alert in result.alerts_due(when)]


def ticket_sla_event(
    *, ticket: Ticket, kind: str, clock: ClockRef, at: datetime, rules: Rules | None = None
) -> TicketEvent | None:
    """Raise one SLA warning or breach (`kind`) for one clock of the ticket, if it is due by
    `at` and not yet raised; otherwise None. Locks the ticket and bumps its version."""
    if kind not in ALERT_KINDS:
        raise ValueError(f"{kind!r} is not an SLA event kind.")
    rules = rules or Rules.load()
    with transaction.atomic():
        locked, result, when = _locked_fold(ticket.pk, at, rules)
        for alert in result.alerts_due(when):
            if alert.ref == clock and alert.kind == kind:
                return _raise(locked, result, alert, when)
    return None


@periodic("sla.breach_scan", every=timedelta(minutes=1))
def breach_scan(at: datetime) -> None:
    """Raise the breach warnings and breaches now due, each once (the periodic scan)."""
    scan(at=at)


def scan(*, at: datetime | None = None, limit: int = SCAN_LIMIT) -> int:
    """Find the stored clocks with an alert due by `at` (indexed), raise what a fresh fold of
    each ticket says is due, and recompute those tickets; returns the events raised."""
    at = at or timezone.now()
    due = set(
        TicketClock.objects.filter(alert_due_at__lte=at)
        .order_by("alert_due_at")
        .values_list("ticket_id", flat=True)[:limit]
    )
    due |= set(
        HolderSegment.objects.filter(alert_due_at__lte=at)
        .order_by("alert_due_at")
        .values_list("ticket_id", flat=True)[:limit]
    )
    if not due:
        return 0
    rules = Rules.load()
    raised = 0
    latest = at
    for ticket_id in sorted(due):
        try:
            events = raise_due_alerts(ticket_id, at=at, rules=rules)
        except Exception:  # one ticket that fails must not hold back every other's alerts
            logger.exception(
                "SLA alerts of ticket %s failed; the next scan tries again.",
                ticket_id,
                extra={"event": "sla.alert_failed", "ticket": ticket_id},
            )
            continue
        raised += len(events)
        latest = max([latest, *(e.at for e in events)])
    recompute(due, at=latest, rules=rules)
    return raised


def resolution_deadlines(ticket_ids: Iterable[int]) -> dict[int, datetime]:
    """The end-to-end resolution deadline of each ticket whose clock is running, as last
    stored, in one query: what residents are told to expect. A paused clock has none until it
    runs again, an ended one is past promising, an unmeasured ticket has none yet."""
    rows = TicketClock.objects.filter(
        ticket_id__in=list(ticket_ids),
        clock=ClockKind.RESOLUTION,
        state=ClockState.RUNNING,
        deadline__isnull=False,
    ).values_list("ticket_id", "deadline")
    return {ticket_id: deadline for ticket_id, deadline in rows if deadline is not None}
