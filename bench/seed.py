"""Benchmark of the demo seeder: `seed.tickets_per_s`, loading seeded tickets with every row
that comes with them (timeline events, SLA warnings and breaches, holdings, links, satisfaction
responses, search documents with their full-text index, SLA clocks and holder segments) into
PostgreSQL, indexes in place.

Each run loads into a fresh copy of a template database that holds only the migrated schema
and the demo's reference data. BENCH_SEED_TICKETS sets the number of tickets (1,000,000).
"""

from __future__ import annotations

import os
import resource
from datetime import date

from django.core.management import call_command

from bench.databases import django_uses, fresh_copy, schema_digest
from bench.harness import Measure, benchmark, stopwatch

TICKETS = int(os.environ.get("BENCH_SEED_TICKETS", "1000000"))
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


def _cpu() -> tuple[float, float]:
    """CPU seconds used so far by this process, and by its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


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

    with fresh_copy("seed_reference", _version(), _build) as url, django_uses(url):
        phases: dict[str, float] = {}
        before = _cpu()
        with stopwatch() as elapsed:
            written = history.load(count=TICKETS, dates=DemoDates(ANCHOR), timings=phases)
        own, workers = (after - start for after, start in zip(_cpu(), before, strict=True))
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
            # Client CPU per ticket (this process writing; the forked workers generating,
            # emulating, folding the clocks and packing the rows), which other load on the
            # machine barely changes; the database server's share is not counted.
            "cpu_us_per_ticket": {
                "writer": round(own / written * 1e6),
                "workers": round(workers / written * 1e6),
            },
        }
    return [
        Measure(
            "seed.tickets_per_s",
            written / elapsed[0],
            "tickets/s",
            target="≥ 10,000",
            notes=notes,
        )
    ]
