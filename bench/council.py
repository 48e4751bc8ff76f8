"""The demo council at scale, for the benchmarks that measure pages and APIs: a PostgreSQL
template holding the reference data and BENCH_TICKETS (1,000,000) tickets of seeded history
with their clocks, built once (`seed_demo`'s loader) and copied per run.

The template keeps the logins `reference.load` creates; a benchmark that needs an API key or
a client application makes its own in its copy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from django.core.management import call_command
from django.db import connection

from bench.databases import django_uses, fresh_copy

TICKETS = int(os.environ.get("BENCH_TICKETS", "1000000"))
# A fixed anchor, so every build holds the same history.
ANCHOR = date(2026, 11, 1)
# Bump when the seeded history changes shape, so the template is built again.
DATA_VERSION = 2


def _version() -> str:
    # The data only: a template with an older schema is migrated forward, not rebuilt.
    return f"council-{DATA_VERSION}-{TICKETS}-{ANCHOR.isoformat()}"


def _build(url: str) -> None:
    from interchange.demo import history, reference
    from interchange.demo.dates import DemoDates

    dates = DemoDates(ANCHOR)
    with django_uses(url):
        call_command("migrate", verbosity=0)
        reference.load(dates)
        history.load(count=TICKETS, dates=dates, progress=True)
        # Planner statistics travel with the template into every copy; without them
        # PostgreSQL guesses, and picks plans no production database would.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


@contextmanager
def council(run: str) -> Iterator[str]:
    """The URL of a fresh copy of the council (named by `run`, so benchmarks never share a
    copy), with Django's default connection pointed at it for the block."""
    # The size is in the template's name: a small development council never replaces the
    # million-ticket one.
    with (
        fresh_copy(f"council{TICKETS}", _version(), _build, run=run, migrate_forward=True) as url,
        django_uses(url),
    ):
        yield url
