"""`manage.py demo`: load the demo council, print the logins, run web, worker and a simulated
supplier system (Kerbline's) until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from interchange.demo import exchange as demo_exchange
from interchange.demo.history import DEMO_SEED, DEMO_TICKETS
from interchange.web import demo


class Command(BaseCommand):
    help = (
        "Load demo data and run the web server (on 127.0.0.1), the worker and a simulated "
        "supplier system."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--tickets",
            type=int,
            default=DEMO_TICKETS,
            help="Seeded tickets to load the first time (two years of history; 0 for none).",
        )
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help="The history's seed.")
        parser.add_argument(
            "--simulator-port",
            type=int,
            default=None,
            help="Where the simulated supplier system listens (default: the web port + 1).",
        )
        parser.add_argument(
            "--load-only",
            action="store_true",
            help="Load the demo data and print logins, then stop.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("The demo runs in development only: set DEBUG=1 (make demo does).")
        logins = demo.load(tickets=options["tickets"], seed=options["seed"], progress=True)
        # This process saves the simulator's local http:// endpoint, as the processes it starts
        # deliver to it: the same two settings, on for the demo only.
        flags = {name: True for name in demo_exchange.PROCESS_ENVIRONMENT}
        with override_settings(**flags):
            simulated = demo_exchange.load(port=options["simulator_port"] or options["port"] + 1)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_logins(logins, options["port"])
        self._print_simulator(simulated)
        if options["load_only"]:
            return
        self._run_processes(options["port"], simulated)

    def _print_logins(self, logins: list[demo.Login], port: int) -> None:
        base = f"http://127.0.0.1:{port}"
        self.stdout.write("")
        self.stdout.write(f"  Residents' service:  {base}/")
        self.stdout.write(f"  Staff sign-in:       {base}/staff/sign-in")
        self.stdout.write(f"  Administration:      {base}/admin/")
        self.stdout.write("")
        self.stdout.write("  Demo logins (demo only; never use these anywhere else):")
        for login in logins:
            self.stdout.write(f"    {login.role:<24} {login.username:<28} {login.password}")
        self.stdout.flush()

    def _print_simulator(self, simulated: demo_exchange.SimulatedSupplier) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"  Simulated supplier system: {simulated.supplier}'s, receiving webhooks at "
            f"{simulated.url}"
        )
        self.stdout.write(
            "    Report a pothole in a northern or western ward and watch Kerbline's system "
            "acknowledge and resolve it;"
        )
        self.stdout.write(
            "    kerbline.admin sees its endpoint and delivery log under Supplier systems."
        )
        self.stdout.flush()

    def _run_processes(self, port: int, simulated: demo_exchange.SimulatedSupplier) -> None:
        self.stdout.write("  Press Ctrl-C to stop.\n")
        self.stdout.flush()
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        commands = {
            "web": [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [*manage, "worker"],
            "simulator": [
                *manage,
                "simulate_supplier",
                "--supplier",
                simulated.supplier,
                "--listen",
                simulated.listen,
                "--api-url",
                f"http://127.0.0.1:{port}/api/v1",
                "--ack-delay",
                "5",
                "--work-delay",
                "30",
                # Some webhooks fail on purpose, so the delivery log shows retries.
                "--failure-rate",
                "0.1",
                "--handback-rate",
                "0.05",
            ],
        }
        environment = {**os.environ, **demo_exchange.PROCESS_ENVIRONMENT}
        # Secrets in the environment rather than the command line, which `ps` shows anyone.
        secrets = {
            "SIMULATOR_API_KEY": simulated.api_key,
            "SIMULATOR_WEBHOOK_SECRET": simulated.secret,
        }
        # Each child in its own process group: Ctrl-C reaches only this command, which then
        # stops each child once, so the worker finishes its current job instead of being cut
        # short by a second signal.
        children = {
            name: subprocess.Popen(  # noqa: S603 - our own manage.py
                cmd,
                env={**environment, **secrets} if name == "simulator" else environment,
                process_group=0,
            )
            for name, cmd in commands.items()
        }
        stopping = False

        def stop(_signum: int, _frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} stopped with exit code {child.returncode}.")
                        stopping = True
                time.sleep(0.2)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            for child in children.values():
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            self.stdout.write("Stopped.")
