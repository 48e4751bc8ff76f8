"""Benchmarks of the exchange's outbound webhooks, against a real receiver on loopback and two
real `manage.py worker` processes (DEBUG off) on a fresh PostgreSQL database of our own: the
migrated schema with one supplier, one service it provides and one endpoint.

- exchange.deliveries_per_s: deliveries already fanned out (BENCH_EXCHANGE_TICKETS tickets,
  BENCH_EXCHANGE_EVENTS events each, so each ticket's order is kept) are made due at once
  with both workers idle; the rate until the receiver has verified them all. Baseline: raw
  POSTs of the same bodies from one process over one kept-alive connection.
- exchange.change_to_delivery_p95_ms: from a ticket change (a note added through the domain
  function, returned and committed) to the receiver getting its event, one change every
  BENCH_EXCHANGE_PACE_MS, with the workers at their default poll.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from bench.databases import django_uses, fresh_copy, schema_digest
from bench.harness import Measure, benchmark

ROOT = Path(__file__).resolve().parent.parent
TICKETS = int(os.environ.get("BENCH_EXCHANGE_TICKETS", "1000"))
EVENTS = int(os.environ.get("BENCH_EXCHANGE_EVENTS", "3"))
LATENCY_SAMPLES = int(os.environ.get("BENCH_EXCHANGE_SAMPLES", "200"))
PACE_MS = int(os.environ.get("BENCH_EXCHANGE_PACE_MS", "200"))
WORKERS = 2
WAIT_S = 300
SECRETS_KEY = secrets.token_urlsafe(32)
DATA_VERSION = 1


def _build(url: str) -> None:
    from interchange.servicedesk.tests.factories import make_provision, make_service
    from interchange.suppliers.models import Supplier

    with django_uses(url):
        call_command("migrate", verbosity=0)
        supplier = Supplier.objects.create(
            code="bench-supplier", name="Bench Supplier Ltd", public_name="Bench", tower="highways"
        )
        make_provision(service=make_service("bench-service"), supplier=supplier)


@contextmanager
def _workers(url: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "DEBUG": "0",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EXCHANGE_SECRETS_KEY": SECRETS_KEY,
        "EXCHANGE_ALLOW_PRIVATE_TARGETS": "1",
        "EXCHANGE_ALLOW_HTTP": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryDirectory(prefix="exchange-bench-") as folder:
        processes = []
        for n in range(WORKERS):
            log = (Path(folder) / f"worker-{n}.log").open("wb")
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
                    [sys.executable, "manage.py", "worker", f"--name=bench-{n}"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            _wait_for_heartbeats(processes, folder)
            yield processes
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_for_heartbeats(processes: list[subprocess.Popen[bytes]], folder: str) -> None:
    from interchange.core.models import WorkerHeartbeat

    deadline = time.monotonic() + WAIT_S
    while WorkerHeartbeat.objects.filter(name__startswith="bench-").count() < len(processes):
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            logs = "\n".join(p.read_text()[-2000:] for p in Path(folder).glob("*.log"))
            raise RuntimeError(f"the workers did not start:\n{logs}")
        time.sleep(0.1)


def _wait(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(0.005)


@benchmark
def outbound_webhooks() -> list[Measure]:
    from interchange.exchange.models import SUBSCRIBABLE, Delivery
    from interchange.exchange.services import endpoint_create
    from interchange.exchange.signing import sign_headers
    from interchange.exchange.tests.receiver import Receiver
    from interchange.servicedesk.actors import System
    from interchange.servicedesk.dispatch import dispatch_batch
    from interchange.servicedesk.models import TicketEvent
    from interchange.servicedesk.services import ticket_add_note
    from interchange.servicedesk.tests.factories import make_ticket
    from interchange.suppliers.models import Supplier

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per POST otherwise
    version = f"exchange-{DATA_VERSION}-{schema_digest()}"
    with (
        fresh_copy("exchange", version, _build, run="exchange") as url,
        django_uses(url),
        override_settings(
            EXCHANGE_ALLOW_PRIVATE_TARGETS=True,
            EXCHANGE_ALLOW_HTTP=True,
            EXCHANGE_SECRETS_KEY=SECRETS_KEY,
        ),
        Receiver() as receiver,
    ):
        from interchange.accounts.models import Role, User
        from interchange.catalogue.models import Service

        lead = User.objects.create_user(username="bench-lead", role=Role.INTEGRATOR_LEAD)
        supplier = Supplier.objects.get(code="bench-supplier")
        service = Service.objects.get(code="bench-service")
        made = endpoint_create(
            actor=lead,
            supplier=supplier,
            url=receiver.url,
            event_types=[str(t) for t in SUBSCRIBABLE],
            at=timezone.now() - timedelta(minutes=1),
        )
        receiver.secrets = [made.secret.secret]

        # Fan out the backlog here, parked far in the future until the workers are idle.
        tickets = [make_ticket(service=service, at=timezone.now()) for _ in range(TICKETS)]
        for ticket in tickets:
            for n in range(EVENTS - 1):
                ticket_add_note(ticket=ticket, actor=System(), body=f"Update {n}", public=True)
        while dispatch_batch():
            pass
        parked = timezone.now() + timedelta(days=1)
        total = Delivery.objects.count()
        Delivery.objects.exclude(next_attempt_at=None).update(next_attempt_at=parked)
        bodies = list(Delivery.objects.values_list("body", flat=True)[:total])

        # Baseline: the same bodies, signed the same way (so the receiver does the same work),
        # POSTed in turn from one process over one kept-alive connection.
        salt = made.secret.record.salt
        with httpx.Client() as client:
            started = time.perf_counter()
            for n, body in enumerate(bodies):
                headers = sign_headers(message_id=f"raw_{n}", body=body, salts=[salt])
                client.post(receiver.url, content=body.encode(), headers=headers)
            raw_per_s = len(bodies) / (time.perf_counter() - started)
        receiver.applied.clear()
        receiver.order.clear()
        receiver.requests.clear()
        receiver.secrets = [made.secret.secret]

        with _workers(url):
            started = time.perf_counter()
            Delivery.objects.filter(next_attempt_at=parked).update(next_attempt_at=timezone.now())
            _wait(lambda: len(receiver.applied) >= total, "the backlog to be delivered")
            rate = total / (time.perf_counter() - started)
            in_order = all(
                versions == sorted(versions) for versions in receiver.applied_versions().values()
            )
            verified = all(r.verified_by == [0] for r in receiver.requests)

            # Latency: a change, then its event at the receiver.
            arrived: dict[str, float] = {}

            def note_arrival(message_id: str, _payload: object) -> None:
                arrived.setdefault(message_id, time.perf_counter())

            receiver.on_apply = note_arrival
            changed: dict[str, float] = {}
            for n in range(LATENCY_SAMPLES):
                ticket = tickets[n % len(tickets)]
                ticket.refresh_from_db()
                ticket_add_note(ticket=ticket, actor=System(), body=f"Change {n}", public=True)
                changed[f"evt_{_last_event(TicketEvent, ticket.pk)}"] = time.perf_counter()
                time.sleep(PACE_MS / 1000)
            _wait(lambda: all(m in arrived for m in changed), "every change to arrive")
        latencies = sorted((arrived[m] - t) * 1000 for m, t in changed.items())
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]

    notes: dict[str, object] = {
        "deliveries": total,
        "tickets": TICKETS,
        "events_per_ticket": EVENTS,
        "workers": WORKERS,
        "in_order_per_ticket": in_order,
        "all_signatures_verified": verified,
        "database": "PostgreSQL, fresh copy of the migrated schema",
    }
    return [
        Measure(
            "exchange.deliveries_per_s",
            round(rate, 1),
            "deliveries/s",
            baseline="raw POSTs, one process",
            baseline_value=round(raw_per_s, 1),
            target=">= 250",
            notes=notes,
        ),
        Measure(
            "exchange.change_to_delivery_p95_ms",
            round(p95, 1),
            "ms",
            target="< 1000",
            notes={
                "samples": len(latencies),
                "median_ms": round(statistics.median(latencies), 1),
                "max_ms": round(latencies[-1], 1),
                "pace_ms": PACE_MS,
                "poll_ms": settings.EXCHANGE_POLL_MS,
                "workers": WORKERS,
            },
        ),
    ]


def _last_event(model: type, ticket_id: int) -> int:
    return int(
        model.objects.filter(ticket_id=ticket_id)  # type: ignore[attr-defined]
        .order_by("-sequence")
        .values_list("pk", flat=True)[0]
    )
