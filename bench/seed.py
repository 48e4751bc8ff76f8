"""Benchmark of the demo seeder: `seed.tickets_per_s`, loading seeded tickets with every row
that comes with them (timeline events, SLA warnings and breaches, holdings, links, satisfaction
responses, search documents with their full-text index, SLA clocks and holder segments) into
PostgreSQL, indexes in place.

Each run loads into a fresh copy of a template database that holds only the migrated schema
and the demo's reference data. BENCH_SEED_TICKETS sets the number of tickets (1,000,000).

The baseline, measured in the same run on the same machine, is the way the issue's reference
peer loads: bare ticket rows (no timeline, search document or clock), made as model instances
and saved with Django's `bulk_create`, indexes in place, once before the load and once after
(the mean is the baseline). The machines these runs get differ in speed, twofold between
sessions and by a third within one: between runs on different machines, compare the ratio to
the baseline, not the rate. (Our ticket rows are wider and more indexed than the peer's, so
this baseline is slower than the peer's figure on the same machine.)
BENCH_SEED_BASELINE_TICKETS sets how many bare rows it saves (50,000).

`seed.write_only_per_s` is what the database alone takes on the machine: tickets made
beforehand (held as COPY text, about 3 KB a ticket), then only written the way the seeder
writes them, in one transaction with the indexes and foreign keys rebuilt and the tables
analysed. No client-side speed-up can take `seed.tickets_per_s` past it, so it is the
ceiling of that figure on the same machine. BENCH_SEED_WRITE_ONLY_TICKETS sets how many
(200,000, and no more than BENCH_SEED_TICKETS).

Both note the CPU a ticket costs: in the workers, the writing process and (where it runs on
this machine) the database server. The sum says what rate the machine's cores allow at best
(`cpu_ceiling_per_s`), whatever the machine's speed is doing at the moment.
"""

from __future__ import annotations

import os
import resource
from datetime import UTC, date, datetime
from typing import Any

from django.core.management import call_command

from bench.databases import django_uses, fresh_copy, schema_digest, server_cpu
from bench.harness import Measure, benchmark, stopwatch

TICKETS = int(os.environ.get("BENCH_SEED_TICKETS", "1000000"))
BASELINE_TICKETS = int(os.environ.get("BENCH_SEED_BASELINE_TICKETS", "50000"))
WRITE_ONLY_TICKETS = min(TICKETS, int(os.environ.get("BENCH_SEED_WRITE_ONLY_TICKETS", "200000")))
# A fixed anchor, so every run loads the same history.
ANCHOR = date(2026, 11, 1)


def _version() -> str:
    """Changes whenever a migration is added, so the template's schema is never stale."""
    return f"seed-reference-1-{ANCHOR.isoformat()}-{schema_digest()}"


def _build(url: str) -> None:
    from interchange.demo import reference
    from interchange.demo.dates import DemoDates

    with django_uses(url):
        call_command("migrate", verbosity=0)
        reference.load(DemoDates(ANCHOR))


def _cpu() -> dict[str, float]:
    """CPU seconds used so far by this process (the writer), by its children that have ended
    (the workers) and, where it runs on this machine, by the database server."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = {
        "writer": own.ru_utime + own.ru_stime,
        "workers": children.ru_utime + children.ru_stime,
    }
    server = server_cpu()
    if server is not None:
        used["server"] = server
    return used


def _cpu_notes(before: dict[str, float], tickets: int) -> dict[str, object]:
    """CPU a ticket since `before` (a `_cpu()`), by part, in microseconds: unlike seconds,
    barely changed by other load on the machine. With the server's share known, also the
    rate this CPU a ticket allows when every core works all the time: no client-side change
    alone takes a load past it."""
    after = _cpu()
    used = {part: round((after[part] - before[part]) / tickets * 1e6) for part in after}
    notes: dict[str, object] = {"cpu_us_per_ticket": used}
    if "server" in used:
        notes["cpu_ceiling_per_s"] = round((os.cpu_count() or 1) * 1e6 / sum(used.values()))
    return notes


def _bare_rows() -> list[dict[str, Any]]:
    """BASELINE_TICKETS of the seeder's own ticket rows, as model field values (instants as
    datetimes), made from the reference data of the database Django is connected to."""
    from interchange.demo.dates import DemoDates
    from interchange.demo.emulate import TICKET_COLUMNS, TIMES, Emulator
    from interchange.demo.generator import Generator
    from interchange.demo.world import World
    from interchange.demo.writer import next_ids

    world = World(DemoDates(ANCHOR))
    generator = Generator(world, count=BASELINE_TICKETS, seed=1)
    emulator = Emulator(world, first_ticket_id=next_ids()[0], first_satisfaction_id=1)
    for batch in generator.plan():
        emulator.apply_batch(generator.scripts(*batch))
    instants = [i for i, column in enumerate(TICKET_COLUMNS) if column in TIMES]
    rows = []
    for row in emulator.take().tickets:
        values = list(row)
        for i in instants:
            if values[i] is not None:
                values[i] = datetime.fromtimestamp(values[i], UTC)
        rows.append(dict(zip(TICKET_COLUMNS, values, strict=True)))
    return rows


def _bare_rows_per_s(
    rows: list[dict[str, Any]] | None = None,
) -> tuple[float, list[dict[str, Any]]]:
    """Bare ticket rows a second, saved as the reference peer saves them (see the module's
    docstring) into a fresh copy of the template, and the rows (`rows`, or made first): only
    building the instances and saving them is timed."""
    from interchange.servicedesk.models import Ticket

    with fresh_copy("seed_reference", _version(), _build, run="baseline") as url, django_uses(url):
        rows = rows or _bare_rows()
        with stopwatch() as elapsed:
            Ticket.objects.bulk_create((Ticket(**row) for row in rows), batch_size=2_000)
        if Ticket.objects.count() != len(rows):
            raise AssertionError("The baseline did not save every bare ticket row.")
    return len(rows) / elapsed[0], rows


@benchmark
def tickets_per_s() -> list[Measure]:
    """Seed TICKETS tickets into a fresh copy of the reference-data template."""
    from interchange.demo import history
    from interchange.demo.dates import DemoDates
    from interchange.servicedesk.models import (
        HolderSegment,
        SearchDocument,
        Ticket,
        TicketClock,
        TicketEvent,
    )

    # The baseline runs before the load and after it: the machine's speed drifts in minutes.
    baseline_before, bare = _bare_rows_per_s()
    with fresh_copy("seed_reference", _version(), _build) as url, django_uses(url):
        phases: dict[str, float] = {}
        before = _cpu()
        with stopwatch() as elapsed:
            written = history.load(count=TICKETS, dates=DemoDates(ANCHOR), timings=phases)
        tickets = Ticket.objects.count()
        if tickets != TICKETS or SearchDocument.objects.count() != TICKETS:
            raise AssertionError(f"Seeded {tickets} tickets, not {TICKETS}.")
        notes: dict[str, object] = {
            "tickets": written,
            "seconds": round(elapsed[0], 1),
            # Generating, emulating (SLA alerts and clocks included) and writing the rows,
            # then rebuilding the indexes and foreign keys.
            "rows_seconds": round(phases["rows"], 1),
            "finish_seconds": round(phases["finish"], 1),
            "events": TicketEvent.objects.count(),
            "sla_events": TicketEvent.objects.filter(kind__startswith="sla_").count(),
            "clocks": TicketClock.objects.count(),
            "segments": HolderSegment.objects.count(),
            "workers": os.cpu_count(),
            "baseline_tickets": BASELINE_TICKETS,
            # The workers generate, emulate, fold the clocks and pack the rows; this process
            # writes them.
            **_cpu_notes(before, written),
        }
    baseline_after, _bare = _bare_rows_per_s(bare)
    notes["baseline_runs"] = [round(baseline_before), round(baseline_after)]
    return [
        Measure(
            "seed.tickets_per_s",
            written / elapsed[0],
            "tickets/s",
            target="≥ 10,000",
            notes=notes,
            baseline="bare ticket rows, bulk_create",
            baseline_value=(baseline_before + baseline_after) / 2,
        )
    ]


@benchmark
def write_only_per_s() -> list[Measure]:
    """Make WRITE_ONLY_TICKETS tickets for a fresh copy of the template, then time writing
    them into it as a load does (see the module's docstring)."""
    from interchange.demo import history
    from interchange.demo.dates import DemoDates
    from interchange.demo.writer import Writer
    from interchange.servicedesk.models import SearchDocument

    count = WRITE_ONLY_TICKETS
    with (
        fresh_copy("seed_reference", _version(), _build, run="write_only") as url,
        django_uses(url),
    ):
        with history.batches(count=count, dates=DemoDates(ANCHOR)) as made:
            ready = [rows for rows, _tickets in made]
        writer = Writer()
        rebuilt = writer.rebuilds(count)
        before = _cpu()
        with stopwatch() as elapsed:
            with writer.loading(count):
                for rows in ready:
                    writer.write(rows)
            writer.finish()
        notes = {
            "tickets": count,
            "seconds": round(elapsed[0], 1),
            "rebuilt": rebuilt,
            **_cpu_notes(before, count),
        }
        if SearchDocument.objects.count() != count:
            raise AssertionError(f"Wrote {SearchDocument.objects.count()} tickets, not {count}.")
    return [Measure("seed.write_only_per_s", count / elapsed[0], "tickets/s", notes=notes)]
