"""`manage.py simulate_supplier --supplier CODE`: run a simulated supplier system that receives
the supplier's webhooks and works its tickets through the supplier API (see
`interchange.exchange.simulator`). Runs until Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from interchange.exchange.simulator import Config, Simulator
from interchange.suppliers.models import Supplier

KEY_VARIABLE = "SIMULATOR_API_KEY"
SECRET_VARIABLE = "SIMULATOR_WEBHOOK_SECRET"  # noqa: S105 (a variable's name)


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = "Simulate a supplier's system: receive its webhooks and work its tickets via the API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--supplier", required=True, help="The supplier's code.")
        parser.add_argument(
            "--listen",
            default="127.0.0.1:8001",
            help="host:port for the webhook receiver (port 0: any free port).",
        )
        parser.add_argument(
            "--api-url",
            default=f"{settings.SITE_URL}/api/v1",
            help="The supplier API's base address.",
        )
        parser.add_argument(
            "--api-key", default="", help=f"The supplier system's API key (or ${KEY_VARIABLE})."
        )
        parser.add_argument(
            "--secret",
            action="append",
            default=[],
            help=f"The endpoint's signing secret, whsec_… (repeat for two; or ${SECRET_VARIABLE}).",
        )
        parser.add_argument(
            "--ack-delay", type=_seconds, default=2.0, help="Seconds before acknowledging."
        )
        parser.add_argument(
            "--work-delay", type=_seconds, default=10.0, help="Seconds from starting to resolving."
        )
        parser.add_argument(
            "--failure-rate",
            type=_rate,
            default=0.0,
            help="Share of webhooks answered 500 (0.0 to 1.0), so Interchange retries them.",
        )
        parser.add_argument(
            "--handback-rate",
            type=_rate,
            default=0.0,
            help="Share of tickets handed back to the integrator instead of resolved.",
        )
        parser.add_argument("--seed", type=int, default=None, help="Seed for the random choices.")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["supplier"]
        if not Supplier.objects.filter(code=code).exists():
            raise CommandError(f"There is no supplier with the code {code!r}.")
        key = options["api_key"] or os.environ.get(KEY_VARIABLE, "")
        secrets = options["secret"] or [s for s in os.environ.get(SECRET_VARIABLE, "").split() if s]
        if not key:
            raise CommandError(f"Give the supplier system's key with --api-key or ${KEY_VARIABLE}.")
        if not secrets:
            raise CommandError(f"Give the signing secret with --secret or ${SECRET_VARIABLE}.")
        host, _sep, port = options["listen"].rpartition(":")
        if not host or not port.isdigit():
            raise CommandError("--listen must be host:port, for example 127.0.0.1:8001.")
        config = Config(
            supplier=code,
            api_url=options["api_url"],
            api_key=key,
            secrets=secrets,
            host=host,
            port=int(port),
            ack_delay=options["ack_delay"],
            work_delay=options["work_delay"],
            failure_rate=options["failure_rate"],
            handback_rate=options["handback_rate"],
            seed=options["seed"],
        )
        stop = threading.Event()
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with Simulator(config, log=self._log):
            stop.wait()
        self._log("stopped")

    def _log(self, line: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")  # noqa: DTZ005 (the reader's local time)
        self.stdout.write(f"{stamp} simulator {line}")
        self.stdout.flush()
