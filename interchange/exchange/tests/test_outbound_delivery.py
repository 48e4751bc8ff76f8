"""Outbound webhooks against a real local receiver: signed, retried on the schedule when the
receiver is down, failing, rate-limiting, redirecting or hanging; turned off by 410; dead-
lettered after the last attempt with people told; replayable; in order per ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from standardwebhooks import Webhook

from interchange.exchange import delivery as sending
from interchange.exchange.delivery import MAX_ATTEMPTS, backoff
from interchange.exchange.models import Delivery, EventType
from interchange.exchange.services import (
    delivery_replay,
    endpoint_replay_dead,
    secret_rotate,
)
from interchange.exchange.tests import outbound_helpers
from interchange.exchange.tests.outbound_helpers import T0, Outbound
from interchange.exchange.tests.receiver import Receiver, Reply, free_port
from interchange.notifications.models import Notification
from interchange.notifications.services import render_message
from interchange.servicedesk.actors import System
from interchange.servicedesk.services import ticket_add_note
from interchange.suppliers.models import SupplierContact

# The shared fixtures, by name.
local_targets = outbound_helpers.local_targets
outbound = outbound_helpers.outbound

pytestmark = pytest.mark.django_db

Status = Delivery.Status


def _one(outbound: Outbound) -> Delivery:
    (only,) = outbound.deliveries()
    return only


def _assigned(outbound: Outbound) -> Delivery:
    outbound.ticket()
    outbound.fan_out(at=T0)
    return _one(outbound)


def _retry_times(outbound: Outbound, replies: list[Reply]) -> list[timedelta]:
    """Deliver one event against `replies`, moving the clock to each next attempt; the
    waits between attempts."""
    delivery = _assigned(outbound)
    outbound.receiver.script = list(replies)
    now, waits = T0, []
    for _reply in replies:
        outbound.deliver(at=now)
        delivery.refresh_from_db()
        if delivery.next_attempt_at is None:
            break
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at
    return waits


def test_an_event_arrives_signed_so_the_receiver_verifies_it_with_standardwebhooks(outbound):
    delivery = _assigned(outbound)

    assert outbound.deliver(at=T0) == 1

    (received,) = outbound.receiver.requests
    assert received.verified_by == [0]
    payload = Webhook(outbound.secret).verify(received.body, received.headers)
    assert received.headers["webhook-id"] == payload["id"] == delivery.message_id
    assert payload["type"] == EventType.ASSIGNED
    assert payload["ticket"]["@type"] == "TroubleTicket"
    assert payload["ticket"]["relatedParty"][1]["id"] == outbound.supplier.code
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.last_status_code == 204
    assert delivery.attempts == 1


def test_during_a_rotation_every_message_verifies_with_the_old_or_the_new_secret(outbound):
    new = secret_rotate(actor=outbound.admin, endpoint=outbound.endpoint, at=T0).secret
    outbound.receiver.secrets = [outbound.secret, new]
    _assigned(outbound)

    outbound.deliver(at=T0)

    (received,) = outbound.receiver.requests
    assert received.verified_by == [0, 1]
    assert len(received.headers["webhook-signature"].split(" ")) == 2


def test_after_the_overlap_only_the_new_secret_signs(outbound):
    new = secret_rotate(
        actor=outbound.admin, endpoint=outbound.endpoint, overlap=timedelta(hours=1), at=T0
    ).secret
    outbound.receiver.secrets = [outbound.secret, new]
    _assigned(outbound)

    outbound.deliver(at=T0 + timedelta(hours=2))

    assert outbound.receiver.requests[0].verified_by == [1]


def test_a_receiver_that_is_down_gets_the_event_when_it_is_back(outbound, local_targets):
    delivery = _assigned(outbound)
    port = free_port()
    delivery.endpoint.url = f"http://127.0.0.1:{port}/hooks"
    delivery.endpoint.save()

    outbound.deliver(at=T0)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "connect" in delivery.last_error.lower()
    assert delivery.next_attempt_at == T0 + backoff(1, rand=lambda: 1.0)

    delivery.endpoint.url = outbound.receiver.url
    delivery.endpoint.save()
    sending.close_clients()
    outbound.deliver(at=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert list(outbound.receiver.applied) == [delivery.message_id]


def test_server_errors_are_retried_on_the_backoff_schedule_and_nothing_is_lost(outbound):
    waits = _retry_times(outbound, [Reply(500)] * 4 + [Reply(200)])

    assert waits == [backoff(n, rand=lambda: 1.0) for n in range(1, 5)]
    assert waits == [timedelta(seconds=s) for s in (15, 30, 60, 120)]
    assert len(outbound.receiver.applied) == 1
    assert _one(outbound).status == Status.DELIVERED


def test_a_429_is_retried_no_sooner_than_its_retry_after(outbound):
    waits = _retry_times(outbound, [Reply(429, {"Retry-After": "600"}), Reply(204)])

    assert waits == [timedelta(seconds=600)]
    assert _one(outbound).status == Status.DELIVERED


def test_a_redirect_is_not_followed_and_counts_as_a_failure(outbound):
    with Receiver() as elsewhere:
        delivery = _assigned(outbound)
        outbound.receiver.script = [Reply(307, {"Location": elsewhere.url})]

        outbound.deliver(at=T0)

        assert elsewhere.requests == []
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.last_status_code == 307
    assert "redirect" in delivery.last_error


def test_a_receiver_hanging_past_the_timeout_is_a_failed_attempt_retried_later(outbound):
    delivery = _assigned(outbound)
    outbound.receiver.script = [Reply(200, delay=1.5)]

    outbound.deliver(at=T0)
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "in time" in delivery.last_error

    outbound.deliver(at=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.attempts == 2


def test_410_turns_the_endpoint_off_dead_letters_and_tells_the_supplier_and_leads(
    outbound, integrator_lead
):
    SupplierContact.objects.create(
        supplier=outbound.supplier,
        name="Tech",
        role=SupplierContact.Role.TECHNICAL,
        email="tech@supplier-a.example",
    )
    delivery = _assigned(outbound)
    outbound.receiver.script = [Reply(410)]

    outbound.deliver(at=T0)

    delivery.refresh_from_db()
    outbound.endpoint.refresh_from_db()
    assert delivery.status == Status.DEAD
    assert not outbound.endpoint.active
    assert "410" in outbound.endpoint.disabled_reason
    told = Notification.objects.filter(kind=Notification.Kind.WEBHOOK_ENDPOINT_DISABLED)
    assert sorted(told.values_list("recipient", flat=True)) == sorted(
        ["tech@supplier-a.example", integrator_lead.email.lower()]
    )
    _links_to_the_endpoints_delivery_log(told.first(), outbound)
    # Nothing more goes to it.
    assert delivery.ticket is not None
    ticket_add_note(ticket=delivery.ticket, actor=System(), body="More", public=True, at=T0)
    outbound.fan_out(at=T0)
    assert len(outbound.deliveries()) == 1


def _links_to_the_endpoints_delivery_log(notification, outbound) -> None:
    log = f"{settings.SITE_URL}/staff/exchange/{outbound.supplier.code}/deliveries/"
    message = render_message(notification.kind, notification.context)
    assert f"{log}?endpoint={outbound.endpoint.pk}" in message.text
    assert f'href="{log}?endpoint={outbound.endpoint.pk}"' in message.html


def test_after_the_last_attempt_it_is_dead_people_are_told_once_and_a_replay_delivers(
    outbound, integrator_lead
):
    delivery = _assigned(outbound)
    outbound.receiver.default = Reply(503)
    now = T0
    for _ in range(MAX_ATTEMPTS):
        outbound.deliver(at=now)
        delivery.refresh_from_db()
        now = delivery.next_attempt_at or now

    assert delivery.status == Status.DEAD
    assert delivery.attempts == MAX_ATTEMPTS
    assert len(outbound.receiver.requests) == MAX_ATTEMPTS
    dead_letters = Notification.objects.filter(kind=Notification.Kind.WEBHOOK_DEAD_LETTER)
    assert list(dead_letters.values_list("recipient", flat=True)) == [integrator_lead.email.lower()]
    assert "503" in dead_letters.get().context["error"]
    _links_to_the_endpoints_delivery_log(dead_letters.get(), outbound)

    outbound.receiver.default = Reply(204)
    delivery_replay(actor=outbound.admin, delivery=delivery, at=now)
    outbound.deliver(at=now)
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert list(outbound.receiver.applied) == [delivery.message_id]


def test_a_later_event_of_a_ticket_waits_until_the_earlier_one_is_delivered(outbound):
    ticket = outbound.ticket()
    ticket_add_note(ticket=ticket, actor=System(), body="First", public=True, at=T0)
    ticket_add_note(ticket=ticket, actor=System(), body="Second", public=True, at=T0)
    outbound.fan_out(at=T0)
    first, second, third = outbound.deliveries()
    assert first.next_attempt_at is not None
    assert second.next_attempt_at is None and third.next_attempt_at is None
    outbound.receiver.script = [Reply(500)]

    outbound.deliver(at=T0)  # the first fails: nothing else may overtake it
    assert [r.message_id for r in outbound.receiver.requests] == [first.message_id]

    later = T0 + timedelta(hours=1)
    for _ in range(3):
        outbound.deliver(at=later)
    assert outbound.receiver.applied_versions() == {ticket.reference: [1, 2, 3]}


def test_replaying_all_dead_letters_of_an_endpoint_keeps_each_tickets_order(outbound):
    ticket = outbound.ticket()
    for body in ("one", "two"):
        ticket_add_note(ticket=ticket, actor=System(), body=body, public=True, at=T0)
    outbound.fan_out(at=T0)
    Delivery.objects.update(status=Status.DEAD, next_attempt_at=None, dead_at=T0)

    assert endpoint_replay_dead(actor=outbound.admin, endpoint=outbound.endpoint, at=T0) == 3
    assert [d.next_attempt_at is not None for d in outbound.deliveries()] == [True, False, False]
    for _ in range(3):
        outbound.deliver(at=T0)
    assert outbound.receiver.applied_versions() == {ticket.reference: [1, 2, 3]}


def test_a_worker_that_died_holding_a_delivery_sends_it_again_after_the_lease(outbound):
    delivery = _assigned(outbound)
    lease = timedelta(seconds=60)
    sending.claim(worker="dead-worker", limit=10, at=T0, lease=lease)  # then it was killed

    assert outbound.deliver(at=T0 + timedelta(seconds=30)) == 0
    assert outbound.deliver(at=T0 + lease + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.attempts == 2
