"""Loading the seeded history: generate scripts a batch at a time, emulate the domain's rows,
write them in bulk, then fold every ticket's SLA clocks from the timelines.

Generating and emulating is pure computation on in-memory reference data, so batches are
made by forked worker processes while this process writes the previous ones; a few batches
are in flight at most, so memory stays bounded whatever the number of tickets.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from multiprocessing.pool import AsyncResult, Pool

from django.db import connection, connections
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.demo.alerts import Planner
from interchange.demo.dates import DemoDates
from interchange.demo.emulate import Emulator, Rows
from interchange.demo.generator import Generator
from interchange.demo.progress import Progress
from interchange.demo.world import World
from interchange.demo.writer import Packed, Writer, next_ids

DEMO_SEED = 2026
DEMO_TICKETS = 50_000
BATCH_SIZE = 2_000
# Below this, starting worker processes costs more than it saves.
PARALLEL_FROM = 10_000

logger = logging.getLogger(__name__)

# What forked workers use: set before the pool starts, inherited by the children.
_JOB: tuple[Generator, Emulator, Writer, datetime] | None = None


def _make(batch: tuple[int, int, int]) -> tuple[Rows | Packed, int]:
    """One batch's rows with their SLA clocks (when the emulator plans alerts), ready for
    the writer, and its number of tickets (in a worker, or in this process)."""
    assert _JOB is not None
    generator, emulator, writer, measured_at = _JOB
    with _collector_paused():
        scripts = generator.scripts(*batch)
        emulator.apply_batch(scripts)
        rows = emulator.take()
        if emulator.planner is not None:
            rows.folded = emulator.planner.fold(rows.timelines, measured_at)
        rows.timelines = []
        return writer.prepare(rows), len(scripts)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a batch is made. A batch makes millions
    of small objects, nearly all freed by reference counting once it is handed on, and
    each collection they set off would trace everything alive, the reference data
    included: about a third of the time it takes to make a batch. One collection before
    each batch, when little but the frozen reference data is alive, takes what cycles the
    last one left. A worker keeps the collector off between batches too (`_start_worker`),
    so it never traces a batch's rows while they wait to be sent."""
    gc.collect()
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _start_worker() -> None:
    """Each worker process: the reference data it inherits stays for its life, frozen out
    of collections, and the collector runs only when `_collector_paused` asks."""
    gc.freeze()
    gc.disable()


def load(
    *,
    count: int,
    seed: int = DEMO_SEED,
    dates: DemoDates | None = None,
    progress: bool = False,
    batch_size: int = BATCH_SIZE,
    clocks: bool = True,
    workers: int | None = None,
    timings: dict[str, float] | None = None,
) -> int:
    """Add `count` seeded tickets (with their timelines, holdings, links, satisfaction
    responses and search documents) over the two years before `dates.anchor`, and their
    SLA clocks as of now (unless `clocks` is false), folded from the timelines as they are
    made. Returns the tickets written. Needs the reference data (`reference.load`).
    `workers` defaults to one per CPU for large loads; `timings`, if given, receives the
    seconds spent making and writing the rows ("rows") and then finishing the load
    ("finish": after a large load on PostgreSQL, rebuilding indexes and foreign keys)."""
    started = time.monotonic()
    writer = Writer()
    bar = Progress(count) if progress else None
    written = 0
    # The workers start before the writer's transaction does: a child must not share it.
    with (
        batches(
            count=count,
            seed=seed,
            dates=dates,
            batch_size=batch_size,
            clocks=clocks,
            workers=workers,
        ) as made,
        writer.loading(count),
    ):
        for rows, tickets in made:
            writer.write(rows)
            written += tickets
            if bar is not None:
                bar.advance(tickets)
        rows_done = time.monotonic()
        if bar is not None:
            bar.finish(_("Rebuilding the indexes…") if writer.rebuilds(count) else "")
    writer.finish()
    if timings is not None:
        timings["rows"] = rows_done - started
        timings["finish"] = time.monotonic() - rows_done
    return written


@contextmanager
def batches(
    *,
    count: int,
    seed: int = DEMO_SEED,
    dates: DemoDates | None = None,
    batch_size: int = BATCH_SIZE,
    clocks: bool = True,
    workers: int | None = None,
) -> Iterator[Iterator[tuple[Rows | Packed, int]]]:
    """Each batch of `load`'s tickets in order, as `Writer.write` takes it, and its number
    of tickets (the arguments are `load`'s): made by forked workers, started on entering
    and stopped on leaving, when there are enough tickets. Ticket ids follow those of the
    database Django is connected to."""
    global _JOB
    dates = dates or DemoDates.today()
    world = World(dates)
    first_ticket, first_response = next_ids()
    generator = Generator(world, count=count, seed=seed)
    # With the SLA clocks in place, seeded warnings and breaches are raised where a live
    # breach scan would have raised them (see `demo.alerts`).
    planner = Planner(generator.end) if clocks else None
    emulator = Emulator(
        world,
        first_ticket_id=first_ticket,
        first_satisfaction_id=first_response,
        planner=planner,
    )
    plan = generator.plan(batch_size)
    if workers is None:
        workers = (os.cpu_count() or 1) if count >= PARALLEL_FROM else 1
    _JOB = (generator, emulator, Writer(), timezone.now())
    try:
        with _batches(plan, workers) as made:
            yield made
    finally:
        _JOB = None


@contextmanager
def _batches(
    plan: list[tuple[int, int, int]], workers: int
) -> Iterator[Iterator[tuple[Rows | Packed, int]]]:
    """Each batch's rows in order, made by `workers` forked processes when that is safe
    (started on entering, stopped on leaving)."""
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if workers <= 1 or len(plan) < 2 or not forkable or connection.in_atomic_block:
        yield (_make(batch) for batch in plan)
        return
    # A child must not share this process's database connections.
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker) as pool:
        yield _in_order(pool, plan, depth=2 * workers)


def _in_order(
    pool: Pool, plan: list[tuple[int, int, int]], *, depth: int
) -> Iterator[tuple[Rows | Packed, int]]:
    todo = iter(plan)
    pending: deque[AsyncResult[tuple[Rows | Packed, int]]] = deque(
        # The range first: zip would otherwise take (and lose) one batch too many.
        pool.apply_async(_make, (batch,))
        for _n, batch in zip(range(depth), todo, strict=False)
    )
    while pending:
        result = pending.popleft().get()
        following = next(todo, None)
        if following is not None:
            pending.append(pool.apply_async(_make, (following,)))
        yield result
