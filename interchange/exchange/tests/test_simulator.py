"""The supplier simulator: its receiver judges signatures and duplicates over real HTTP, and
against a live server with real deliveries it works a ticket from assigned to resolved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from standardwebhooks import Webhook

from interchange.accounts.models import ApiKey, User
from interchange.accounts.services import api_key_create
from interchange.exchange import delivery
from interchange.exchange.models import SUBSCRIBABLE, Delivery
from interchange.exchange.services import delivery_replay as replay_delivery
from interchange.exchange.services import endpoint_create
from interchange.exchange.simulator import Config, Simulator
from interchange.exchange.tests.outbound_helpers import local_targets  # noqa: F401 (fixture)
from interchange.servicedesk.dispatch import dispatch_batch
from interchange.servicedesk.models import Status, Ticket, TicketEvent
from interchange.servicedesk.tests.factories import make_provision, make_service, make_ticket
from interchange.suppliers.models import Supplier

SECRET = "whsec_" + "c2ltdWxhdG9yLXRlc3Qtc2VjcmV0LTMyLWJ5dGVzISE="


def _signed(
    body: str, *, event_id: str, secret: str = SECRET, at: datetime | None = None
) -> dict[str, str]:
    at = at or datetime.now(UTC)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=event_id, timestamp=at, data=body),
        "Content-Type": "application/json",
    }


def _assigned(event_id: str, reference: str = "INC-000001") -> str:
    return json.dumps({"id": event_id, "type": "ticket.assigned", "ticket": {"id": reference}})


@pytest.fixture
def receiver() -> Iterator[Simulator]:
    """A simulator whose work never comes due during the test (it has no API to call)."""
    config = Config(
        supplier="streetwise",
        api_url="http://127.0.0.1:9/api/v1",
        api_key="ick_0000000000_unused-key-for-receiver-tests",
        secrets=[SECRET],
        ack_delay=3600,
        seed=1,
    )
    lines: list[str] = []
    with Simulator(config, log=lines.append) as simulator:
        simulator.lines = lines  # type: ignore[attr-defined]
        yield simulator


def _post(simulator: Simulator, body: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(simulator.url, content=body.encode(), headers=headers, timeout=5)


def test_a_signed_event_is_accepted_and_its_work_queued(receiver):
    body = _assigned("evt_1")
    response = _post(receiver, body, _signed(body, event_id="evt_1"))
    assert response.status_code == 202
    assert receiver.accepted == ["evt_1"]
    assert [task.reference for task in receiver.tasks] == ["INC-000001"]
    assert any("evt_1: accepted ticket.assigned for INC-000001" in line for line in receiver.lines)


def test_a_bad_signature_is_rejected_and_nothing_is_queued(receiver):
    body = _assigned("evt_2")
    other = "whsec_" + "YW5vdGhlci1zZWNyZXQtYW5vdGhlci1zZWNyZXQtMTI="
    response = _post(receiver, body, _signed(body, event_id="evt_2", secret=other))
    assert response.status_code == 401
    tampered = _signed(body, event_id="evt_2")
    assert _post(receiver, body.replace("INC", "REQ"), tampered).status_code == 401
    assert receiver.accepted == [] and receiver.tasks == []


def test_an_old_timestamp_is_rejected(receiver):
    body = _assigned("evt_3")
    old = datetime.now(UTC) - timedelta(minutes=10)
    assert _post(receiver, body, _signed(body, event_id="evt_3", at=old)).status_code == 401
    assert receiver.accepted == []


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_rejected(receiver, missing):
    body = _assigned("evt_4")
    headers = _signed(body, event_id="evt_4")
    del headers[missing]
    assert _post(receiver, body, headers).status_code == 400
    assert receiver.accepted == []


def test_a_duplicate_event_id_is_applied_once(receiver):
    body = _assigned("evt_5")
    for _ in range(3):
        assert _post(receiver, body, _signed(body, event_id="evt_5")).status_code == 202
    assert receiver.accepted == ["evt_5"]
    assert len(receiver.tasks) == 1


def test_with_a_failure_rate_of_one_every_event_gets_500_and_is_not_applied(receiver):
    receiver.config.failure_rate = 1.0
    body = _assigned("evt_6")
    assert _post(receiver, body, _signed(body, event_id="evt_6")).status_code == 500
    receiver.config.failure_rate = 0.0
    # Not applied, so the retry is.
    assert _post(receiver, body, _signed(body, event_id="evt_6")).status_code == 202
    assert receiver.accepted == ["evt_6"]


def test_the_command_refuses_an_unknown_supplier_or_no_key(db, supplier_a, monkeypatch):
    monkeypatch.delenv("SIMULATOR_API_KEY", raising=False)
    with pytest.raises(CommandError, match="no supplier"):
        call_command("simulate_supplier", "--supplier", "nobody")
    with pytest.raises(CommandError, match="key"):
        call_command("simulate_supplier", "--supplier", "streetwise", "--secret", SECRET)


# --- Against a live server, with real deliveries ---------------------------------------------


def _deliver_until(simulator: Simulator, ticket: Ticket, done: Any, rounds: int = 40) -> Ticket:
    """Fan out and deliver, then let the simulator work, until `done(ticket)` or `rounds`
    turns. The simulator's worker is paused while this thread writes, so SQLite sees one
    writer at a time."""
    for _ in range(rounds):
        simulator.pause()
        dispatch_batch()
        delivery.deliver_due(budget=None, rand=lambda: 1.0)
        simulator.resume()
        simulator.wait_idle(timeout=30)
        ticket.refresh_from_db()
        if done(ticket):
            return ticket
    return ticket


@pytest.fixture
def live_supplier(
    transactional_db: None,
    live_server: Any,
    local_targets: Any,  # noqa: F811
    supplier_a: Supplier,
    administrator: User,
) -> Iterator[tuple[Simulator, Any]]:
    cache.clear()
    service = make_service("pothole", name="Pothole")
    make_provision(service=service, supplier=supplier_a)
    _key, plaintext = api_key_create(
        actor=administrator,
        name="Streetwise works system",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=supplier_a,
    )
    config = Config(
        supplier=supplier_a.code,
        api_url=f"{live_server.url}/api/v1",
        api_key=plaintext,
        secrets=[],
        ack_delay=0,
        work_delay=0,
        seed=7,
    )
    with Simulator(config, log=print) as simulator:
        made = endpoint_create(
            actor=administrator,
            supplier=supplier_a,
            url=simulator.url,
            event_types=[str(t) for t in SUBSCRIBABLE],
        )
        simulator.secrets = [made.secret.secret]
        yield simulator, service


def test_a_ticket_assigned_to_the_supplier_is_acknowledged_and_resolved_by_it(live_supplier):
    simulator, service = live_supplier
    ticket = make_ticket(service=service, title="Pothole on Quay Street", at=datetime.now(UTC))
    assert ticket.holder_supplier is not None

    ticket = _deliver_until(simulator, ticket, lambda t: t.status == Status.RESOLVED)

    assert ticket.status == Status.RESOLVED
    assert ticket.resolution_code == "fixed"
    assert ticket.supplier_reference.startswith("SIM-")
    assert ticket.holder_acknowledged_at is not None
    assert TicketEvent.objects.filter(
        ticket=ticket, kind=TicketEvent.Kind.NOTE, public=True
    ).exists()
    assert simulator.done[ticket.reference] == "resolved (fixed)"
    # Every delivery to the simulator was accepted, none twice.
    delivered = Delivery.objects.filter(endpoint__url=simulator.url)
    assert set(delivered.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}
    assert sorted(simulator.accepted) == sorted(delivered.values_list("message_id", flat=True))

    # The assignment sent again (a replay keeps its event id): accepted, applied no more.
    assigned = delivered.get(event_type="ticket.assigned")
    version = ticket.version
    simulator.pause()
    replay_delivery(actor=User.objects.get(username="administrator"), delivery=assigned)
    delivery.deliver_due(budget=None, rand=lambda: 1.0)
    simulator.resume()
    simulator.wait_idle()
    assigned.refresh_from_db()
    assert assigned.status == Delivery.Status.DELIVERED and assigned.attempts == 1
    assert simulator.accepted.count(assigned.message_id) == 1
    ticket.refresh_from_db()
    assert ticket.version == version


def test_failed_answers_are_retried_and_the_ticket_still_gets_resolved(live_supplier):
    simulator, service = live_supplier
    simulator.config.failure_rate = 0.5
    ticket = make_ticket(service=service, at=datetime.now(UTC))
    for _ in range(40):
        ticket = _deliver_until(simulator, ticket, lambda t: t.status == Status.RESOLVED, rounds=1)
        if ticket.status == Status.RESOLVED:
            break
        # Make the retries due now rather than after their backoff.
        Delivery.objects.filter(status=Delivery.Status.FAILED).update(
            next_attempt_at=datetime.now(UTC)
        )
    assert ticket.status == Status.RESOLVED
    assert Delivery.objects.filter(attempts__gt=1).exists()
