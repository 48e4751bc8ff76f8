"""Fan-out from the timeline: which supplier hears of which event, as what; one delivery per
subscribed active endpoint; replaying history creates nothing twice; what a supplier may
see of notes and of the reporter; the ticket page's delivery list in one query."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from interchange.exchange import fanout
from interchange.exchange.models import Delivery, EventType
from interchange.exchange.selectors import deliveries_for_ticket
from interchange.exchange.services import endpoint_create
from interchange.exchange.tests import outbound_helpers
from interchange.exchange.tests.outbound_helpers import T0
from interchange.servicedesk import dispatch
from interchange.servicedesk.actors import System
from interchange.servicedesk.models import ResolutionCode
from interchange.servicedesk.services import (
    DESK,
    ticket_add_note,
    ticket_assign,
    ticket_cancel,
    ticket_close,
    ticket_resolve,
    ticket_set_major_incident,
)

# The shared fixtures, by name.
local_targets = outbound_helpers.local_targets
outbound = outbound_helpers.outbound

pytestmark = pytest.mark.django_db
LATER = T0 + timedelta(minutes=5)


def _types(endpoint):
    return list(
        Delivery.objects.filter(endpoint=endpoint)
        .order_by("id")
        .values_list("event_type", "sequence")
    )


def test_the_holder_hears_of_assignment_updates_notes_and_closure(outbound):
    ticket = outbound.ticket()
    ticket_add_note(ticket=ticket, actor=System(), body="Public", public=True, at=LATER)
    ticket_set_major_incident(ticket=ticket, actor=System(), major=True, reason="Big", at=LATER)
    ticket_resolve(
        ticket=ticket, actor=System(), resolution_code=ResolutionCode.FIXED, note="Done", at=LATER
    )
    ticket_close(ticket=ticket, actor=System(), at=LATER)
    outbound.fan_out(at=LATER)

    assert _types(outbound.endpoint) == [
        (EventType.ASSIGNED, 1),
        (EventType.NOTE_ADDED, 2),
        (EventType.UPDATED, 3),
        (EventType.UPDATED, 4),
        (EventType.CLOSED, 5),
    ]


def test_reassigned_away_the_old_holder_hears_it_once_and_then_nothing(
    outbound, supplier_b, integrator_lead
):
    other = endpoint_create(
        actor=integrator_lead,
        supplier=supplier_b,
        url=outbound.receiver.url,
        event_types=[EventType.ASSIGNED, EventType.CANCELLED],
        at=T0 - timedelta(days=1),
    ).endpoint
    ticket = outbound.ticket()
    ticket_assign(ticket=ticket, actor=System(), holder=supplier_b, reason="Theirs", at=LATER)
    ticket_add_note(ticket=ticket, actor=System(), body="Later", public=True, at=LATER)
    ticket_cancel(ticket=ticket, actor=System(), reason="Not needed", at=LATER)
    outbound.fan_out(at=LATER)

    assert _types(outbound.endpoint) == [(EventType.ASSIGNED, 1), (EventType.UNASSIGNED, 2)]
    # B subscribed to assignments and cancellations only: not to notes.
    assert _types(other) == [(EventType.ASSIGNED, 2), (EventType.CANCELLED, 4)]


def test_once_back_at_the_desk_its_notes_go_to_no_supplier(outbound):
    ticket = outbound.ticket()
    ticket_assign(ticket=ticket, actor=System(), holder=DESK, reason="Ours", at=LATER)
    ticket_add_note(ticket=ticket, actor=System(), body="Desk only", public=False, at=LATER)
    ticket_add_note(ticket=ticket, actor=System(), body="Desk reply", public=True, at=LATER)
    outbound.fan_out(at=LATER)

    assert _types(outbound.endpoint) == [(EventType.ASSIGNED, 1), (EventType.UNASSIGNED, 2)]


def test_replaying_history_creates_no_delivery_twice_and_none_for_a_newer_endpoint(
    outbound, integrator_lead
):
    ticket = outbound.ticket()
    ticket_add_note(ticket=ticket, actor=System(), body="A note", public=True, at=LATER)
    outbound.fan_out(at=LATER)
    before = list(Delivery.objects.values_list("pk", "event_id", "endpoint_id"))
    endpoint_create(
        actor=integrator_lead,
        supplier=outbound.supplier,
        url=outbound.receiver.url,
        event_types=[EventType.NOTE_ADDED],
        at=LATER + timedelta(minutes=1),
    )

    assert dispatch.replay("exchange.webhooks") == 2
    fanout.on_timeline_event(ticket.events.get(sequence=2))

    assert list(Delivery.objects.values_list("pk", "event_id", "endpoint_id")) == before


def test_the_holder_sees_public_notes_and_its_own_internal_ones_never_another_holders(
    outbound, supplier_b
):
    ticket = outbound.ticket()
    ticket_add_note(ticket=ticket, actor=System(), body="Public", public=True, at=LATER)
    ticket_add_note(ticket=ticket, actor=System(), body="Internal to A", public=False, at=LATER)
    ticket_assign(ticket=ticket, actor=System(), holder=supplier_b, reason="Theirs", at=LATER)
    ticket_add_note(ticket=ticket, actor=System(), body="Internal to B", public=False, at=LATER)
    outbound.fan_out(at=LATER)

    *_, last = outbound.deliveries()
    notes = [n["text"] for n in json.loads(last.body)["ticket"]["note"]]
    assert notes == ["Public", "Internal to A"]
    assert "reporter" not in last.body  # no longer the holder: no resident's details


def test_the_ticket_page_lists_a_tickets_deliveries_in_one_query(
    outbound, supplier_a_admin, supplier_b_agent, django_assert_num_queries
):
    ticket = outbound.ticket()
    for n in range(3):
        ticket_add_note(ticket=ticket, actor=System(), body=f"n{n}", public=True, at=LATER)
    outbound.fan_out(at=LATER)

    with django_assert_num_queries(1):
        shown = deliveries_for_ticket(ticket, supplier_a_admin)
        assert [d.ticket_id for d in shown] == [ticket.pk] * 4
        assert {d.endpoint.url for d in shown} == {outbound.endpoint.url}
    assert deliveries_for_ticket(ticket, supplier_b_agent) == []
