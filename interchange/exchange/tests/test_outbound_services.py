"""Managing endpoints, secrets and the delivery log: who may, secrets shown once and never
stored in plain sight, rotation and retirement rules, test events, replays, and the log's
filters and keyset pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from interchange.core.models import ChangeRecord
from interchange.exchange import signing
from interchange.exchange.models import Delivery, EndpointSecret, EventType
from interchange.exchange.selectors import DeliveryFilters, delivery_page, endpoints_for
from interchange.exchange.services import (
    active_secrets,
    endpoint_create,
    endpoint_disable,
    endpoint_enable,
    endpoint_send_test,
    endpoint_update,
    secret_add,
    secret_retire,
    secret_rotate,
)
from interchange.exchange.tests import outbound_helpers
from interchange.exchange.tests.outbound_helpers import T0
from interchange.servicedesk.actors import System
from interchange.servicedesk.services import ticket_add_note

# The shared fixtures, by name.
local_targets = outbound_helpers.local_targets
outbound = outbound_helpers.outbound

pytestmark = pytest.mark.django_db


def test_a_supplier_administrator_manages_only_their_own_suppliers_endpoints(
    local_targets, supplier_a, supplier_b, supplier_a_admin, supplier_a_agent
):
    made = endpoint_create(
        actor=supplier_a_admin,
        supplier=supplier_a,
        url="https://hooks.a.example/in",
        event_types=[EventType.ASSIGNED],
    )
    assert made.endpoint.supplier == supplier_a

    with pytest.raises(PermissionDenied):
        endpoint_create(
            actor=supplier_a_admin,
            supplier=supplier_b,
            url="https://hooks.b.example/in",
            event_types=[EventType.ASSIGNED],
        )
    with pytest.raises(PermissionDenied):
        secret_rotate(actor=supplier_a_agent, endpoint=made.endpoint)
    assert list(endpoints_for(supplier_a_admin)) == [made.endpoint]


def test_bad_input_names_each_field_and_saves_nothing(local_targets, supplier_a, integrator_lead):
    local_targets.EXCHANGE_ALLOW_HTTP = False
    with pytest.raises(ValidationError) as raised:
        endpoint_create(
            actor=integrator_lead,
            supplier=supplier_a,
            url="http://hooks.a.example/in",
            event_types=["ticket.exploded"],
        )

    assert set(raised.value.message_dict) == {"url", "event_types"}
    assert not EndpointSecret.objects.exists()


def test_a_secret_is_shown_once_and_stored_only_as_a_salt(outbound):
    record = EndpointSecret.objects.get(endpoint=outbound.endpoint)

    assert outbound.secret.startswith("whsec_")
    stored = [str(v) for v in EndpointSecret.objects.values_list().get()]
    assert not any(outbound.secret[6:] in value for value in stored)
    assert str(record) == f"whsec_…{signing.hint_for(outbound.secret)}"
    assert outbound.secret.rstrip("=").endswith(record.hint)
    assert signing.secret_for(record.salt) == outbound.secret
    audited = " ".join(str(c.changes) for c in ChangeRecord.objects.all())
    assert record.salt not in audited and outbound.secret not in audited


def test_rotation_keeps_two_secrets_active_until_the_overlap_ends(outbound):
    new = secret_rotate(
        actor=outbound.admin, endpoint=outbound.endpoint, overlap=timedelta(hours=2), at=T0
    )

    assert active_secrets(outbound.endpoint, T0)[0] == new.record
    assert len(active_secrets(outbound.endpoint, T0 + timedelta(hours=1))) == 2
    assert active_secrets(outbound.endpoint, T0 + timedelta(hours=3)) == [new.record]
    with pytest.raises(ValidationError, match="two active secrets"):
        secret_add(actor=outbound.admin, endpoint=outbound.endpoint, at=T0)


def test_the_last_active_secret_cannot_be_retired(outbound):
    (only,) = active_secrets(outbound.endpoint)

    with pytest.raises(ValidationError, match="only active secret"):
        secret_retire(actor=outbound.admin, secret=only)

    added = secret_add(actor=outbound.admin, endpoint=outbound.endpoint)
    secret_retire(actor=outbound.admin, secret=only)
    assert active_secrets(outbound.endpoint) == [added.record]


def test_a_test_event_reaches_the_receiver_signed(outbound):
    test = endpoint_send_test(actor=outbound.admin, endpoint=outbound.endpoint, at=T0)

    outbound.deliver(at=T0)

    test.refresh_from_db()
    assert test.status == Delivery.Status.DELIVERED
    (received,) = outbound.receiver.requests
    assert received.verified_by == [0]
    assert outbound.receiver.applied[test.message_id]["type"] == EventType.TEST


def test_turning_an_endpoint_off_dead_letters_its_queue_and_on_again_allows_replay(outbound):
    outbound.ticket()
    outbound.fan_out(at=T0)

    endpoint_disable(actor=outbound.admin, endpoint=outbound.endpoint, reason="Migrating")

    assert list(Delivery.objects.values_list("status", flat=True)) == [Delivery.Status.DEAD]
    with pytest.raises(ValidationError):
        endpoint_send_test(actor=outbound.admin, endpoint=outbound.endpoint)
    endpoint_enable(actor=outbound.admin, endpoint=outbound.endpoint)
    endpoint_update(actor=outbound.admin, endpoint=outbound.endpoint, description="New desk")
    outbound.endpoint.refresh_from_db()
    assert outbound.endpoint.active and outbound.endpoint.description == "New desk"


def test_the_log_pages_through_every_delivery_once_newest_first_with_filters(
    outbound, supplier_b_agent, django_assert_num_queries
):
    ticket = outbound.ticket()
    for n in range(6):
        ticket_add_note(ticket=ticket, actor=System(), body=f"n{n}", public=True, at=T0)
    other = outbound.ticket()
    outbound.fan_out(at=T0)
    everything = list(Delivery.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    assert len(everything) == 8

    seen, cursor = [], None
    while True:
        with django_assert_num_queries(1):
            page = delivery_page(outbound.admin, after=cursor, limit=3)
        seen += [d.pk for d in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == everything

    notes = delivery_page(
        outbound.admin, DeliveryFilters(event_type=EventType.NOTE_ADDED, ticket_id=ticket.pk)
    )
    assert len(notes.items) == 6
    assert (
        delivery_page(outbound.admin, DeliveryFilters(ticket_id=other.pk)).items[0].ticket == other
    )
    assert delivery_page(outbound.admin, DeliveryFilters(status=Delivery.Status.DEAD)).items == []
    assert (
        delivery_page(
            outbound.admin, DeliveryFilters(since=(T0 + timedelta(days=400)).date())
        ).items
        == []
    )
    assert delivery_page(supplier_b_agent).items == []
