"""`manage.py worker`: run durable jobs and periodic scans until SIGTERM or Ctrl-C."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import threading
from datetime import timedelta
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from interchange.core import worker

logger = logging.getLogger("interchange.worker")


class Command(BaseCommand):
    help = (
        "Run the durable-job worker: claim due jobs, run them, retry failures with backoff, "
        "and run the periodic scans. The first SIGTERM or Ctrl-C finishes the current job "
        "and stops; a second stops at once (the job runs again after its lease)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Run one turn of the loop, then stop."
        )
        parser.add_argument(
            "--name",
            default=f"{socket.gethostname()}:{os.getpid()}"[:100],
            help="This worker's name in heartbeats and leases (default host:pid).",
        )
        parser.add_argument(
            "--batch", type=int, default=settings.WORKER_BATCH, help="Jobs claimed at a time."
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=float(settings.WORKER_POLL_SECONDS),
            help="Seconds to sleep when no job is due.",
        )
        parser.add_argument(
            "--lease",
            type=float,
            default=float(settings.WORKER_LEASE_SECONDS),
            help="Seconds a claimed job stays this worker's (a killed worker's job runs after).",
        )
        parser.add_argument(
            "--import",
            dest="imports",
            action="append",
            default=[],
            metavar="MODULE",
            help="Also import MODULE, which registers handlers or scans (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1 or options["poll"] < 0 or options["lease"] <= 0:
            raise CommandError("--batch must be at least 1, --poll at least 0, --lease above 0.")
        for module in options["imports"]:
            importlib.import_module(module)
        name: str = options["name"]
        lease = timedelta(seconds=options["lease"])
        try:
            with worker.single_sqlite_worker():
                if options["once"]:
                    worker.work_once(
                        worker=name,
                        started_at=timezone.now(),
                        batch=options["batch"],
                        lease=lease,
                    )
                    return
                stop = threading.Event()
                self._stop_on_signals(stop)
                worker.run_forever(
                    worker=name,
                    stop_event=stop,
                    batch=options["batch"],
                    poll=options["poll"],
                    lease=lease,
                )
        except worker.AnotherWorkerIsRunning as exc:
            raise CommandError(str(exc)) from None

    def _stop_on_signals(self, stop: threading.Event) -> None:
        def on_signal(signum: int, _frame: FrameType | None) -> None:
            if stop.is_set():
                # A second signal: stop now. The current job's transaction rolls back and the
                # job runs again once its lease ends.
                raise SystemExit(128 + signum)
            logger.info(
                "stopping after the current job (signal %s)",
                signal.Signals(signum).name,
                extra={"event": "worker.stopping"},
            )
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
