"""`manage.py seed_demo --tickets N`: the demo council with N seeded tickets over two years,
in bulk, with a progress bar on standard error."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from interchange.demo import history, reference
from interchange.demo.dates import DemoDates
from interchange.servicedesk.models import Ticket


class Command(BaseCommand):
    help = (
        "Load the demo council's reference data (if missing) and N seeded tickets with their "
        "timelines, holdings, search documents and SLA clocks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=history.DEMO_TICKETS)
        parser.add_argument("--seed", type=int, default=history.DEMO_SEED)
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add to the tickets already there (new ids) instead of refusing.",
        )
        parser.add_argument(
            "--workers", type=int, default=None, help="Processes that build batches (one a CPU)."
        )
        parser.add_argument("--no-clocks", action="store_true", help="Leave the SLA clocks out.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            # The demo people's passwords are printed for all to read.
            raise CommandError("Demo data is for development only: set DEBUG=1.")
        count = options["tickets"]
        if count < 0:
            raise CommandError("--tickets cannot be negative.")
        existing = Ticket.objects.count()
        if existing and not options["append"]:
            raise CommandError(
                f"The database already has {existing:,} tickets. Use a fresh database, or "
                "--append to add more."
            )
        dates = DemoDates.today()
        reference.load(dates)
        started = time.monotonic()
        written = history.load(
            count=count,
            seed=options["seed"],
            dates=dates,
            progress=True,
            clocks=not options["no_clocks"],
            workers=options["workers"],
        )
        elapsed = time.monotonic() - started
        rate = written / elapsed if elapsed else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {written:,} tickets in {elapsed:,.1f}s ({rate:,.0f} tickets/s), "
                f"up to {dates.anchor_day.isoformat()}."
            )
        )
