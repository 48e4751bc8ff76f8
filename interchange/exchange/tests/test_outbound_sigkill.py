"""Real `manage.py worker` processes killed with SIGKILL at random moments while they
dispatch and deliver, twenty times, with changes committed all along: afterwards every
committed event reached the receiver at least once, was applied exactly once (it
deduplicates by webhook-id), and each ticket's events were applied in order.

PostgreSQL only: several processes share the database while the test writes to it, which
the SQLite test database (in memory, one writer) cannot do."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from interchange.core.models import WorkerHeartbeat
from interchange.core.tests.test_worker_sigkill import SharedDatabase
from interchange.exchange.models import SUBSCRIBABLE, Delivery
from interchange.exchange.services import endpoint_create
from interchange.exchange.tests.receiver import Receiver, Reply
from interchange.servicedesk.actors import System
from interchange.servicedesk.models import TicketEvent
from interchange.servicedesk.services import ticket_add_note
from interchange.servicedesk.tests.factories import make_provision, make_service, make_ticket

KILLS = 20
TICKETS = 4
WAIT_S = 60  # every wait is bounded: a broken worker fails the test, never hangs it


def _start(shared: SharedDatabase, name: str) -> subprocess.Popen[bytes]:
    log = (shared.tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(  # noqa: S603 - our own manage.py
        [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "worker",
            f"--name={name}",
            "--poll=0.05",
            "--lease=1",
        ],
        env={
            **shared.env,
            "EXCHANGE_ALLOW_PRIVATE_TARGETS": "1",
            "EXCHANGE_ALLOW_HTTP": "1",
            "EXCHANGE_LEASE_SECONDS": "1",
            "EXCHANGE_POLL_MS": "50",
            "EXCHANGE_READ_TIMEOUT_S": "1",
            "EXCHANGE_CONNECT_TIMEOUT_S": "1",
            "LOG_LEVEL": "WARNING",
        },
        cwd=settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _logs(shared: SharedDatabase) -> str:
    return "\n".join(p.read_text()[-1500:] for p in sorted(shared.tmp_path.glob("*.log")))


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL: worker processes share the database with the test",
)
@pytest.mark.django_db(transaction=True)
def test_workers_killed_at_random_while_delivering_lose_nothing_and_keep_each_tickets_order(
    tmp_path, supplier_a, integrator_lead, settings
):
    settings.EXCHANGE_ALLOW_PRIVATE_TARGETS = True
    settings.EXCHANGE_ALLOW_HTTP = True
    assert connection.vendor == "postgresql"
    chance = random.Random(6)
    shared = SharedDatabase(tmp_path)
    service = make_service()
    make_provision(service=service, supplier=supplier_a)
    with Receiver() as receiver:
        # Slow enough answers that kills land mid-request and mid-batch.
        receiver.default = Reply(204, delay=0.03)
        made = endpoint_create(
            actor=integrator_lead,
            supplier=supplier_a,
            url=receiver.url,
            event_types=[str(t) for t in SUBSCRIBABLE],
            at=timezone.now() - timedelta(minutes=1),
        )
        receiver.secrets = [made.secret.secret]
        tickets = [make_ticket(service=service, at=timezone.now()) for _ in range(TICKETS)]
        started = time.monotonic()
        for kill in range(KILLS):
            for n in range(3):
                ticket = chance.choice(tickets)
                ticket.refresh_from_db()
                ticket_add_note(ticket=ticket, actor=System(), body=f"k{kill}n{n}", public=True)
            seen = len(receiver.requests)
            doomed = _start(shared, f"doomed-{kill}")
            try:
                deadline = time.monotonic() + WAIT_S
                while len(receiver.requests) == seen:
                    if doomed.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"kill {kill}: no delivery began\n{_logs(shared)}")
                    time.sleep(0.005)
                time.sleep(chance.uniform(0, 0.25))
            finally:
                doomed.send_signal(signal.SIGKILL)
                doomed.wait(WAIT_S)

        survivor = _start(shared, "survivor")
        expected = set(TicketEvent.objects.filter(ticket__in=tickets).values_list("pk", flat=True))
        try:
            deadline = time.monotonic() + WAIT_S
            # Until every event is applied and every delivery recorded as delivered (a doomed
            # worker may have been killed between the receiver's answer and its record), and
            # the survivor's loop has begun (its heartbeat), so the SIGTERM below finds its
            # handler in place.
            survivor_started = WorkerHeartbeat.objects.filter(name="survivor")
            pending = Delivery.objects.exclude(status=Delivery.Status.DELIVERED)
            while (
                len(receiver.applied) < len(expected)
                or pending.exists()
                or not survivor_started.exists()
            ):
                if survivor.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"{len(receiver.applied)} of {len(expected)} applied\n{_logs(shared)}"
                    )
                time.sleep(0.05)
        finally:
            survivor.send_signal(signal.SIGTERM)
            assert survivor.wait(WAIT_S) == 0
        assert time.monotonic() - started < 420, "bounded"

    assert set(receiver.applied) == {f"evt_{pk}" for pk in expected}
    assert len(receiver.order) == len(set(receiver.order)) == len(expected)
    assert len(receiver.requests) >= len(expected)
    assert all(r.verified_by == [0] for r in receiver.requests)
    for ticket in tickets:
        versions = receiver.applied_versions()[ticket.reference]
        assert versions == list(range(1, ticket.events.count() + 1)), ticket.reference
    assert not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists()
