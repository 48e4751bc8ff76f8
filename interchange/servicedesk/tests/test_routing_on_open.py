"""Routing when a ticket is opened, and again on demand: the provision that covers the
service (and area) at that moment, across provision dates, areas and a supplier transition;
none → the integrator desk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from interchange.servicedesk.actors import System
from interchange.servicedesk.errors import NotPermitted
from interchange.servicedesk.models import Status, TicketEvent
from interchange.servicedesk.services import DESK, ticket_assign, ticket_route, ticket_start
from interchange.servicedesk.tests.factories import (
    T0,
    make_area,
    make_provision,
    make_service,
    make_ticket,
)

pytestmark = pytest.mark.django_db

# Two wards side by side; points are (latitude, longitude).
NORTH_WARD_POINT = (53.55, -2.25)
SOUTH_WARD_POINT = (53.45, -2.25)
NOWHERE = (10.0, 10.0)


@pytest.fixture
def wards():
    return {
        "north": make_area("N", west=-2.5, south=53.5, east=-2.0, north=53.6),
        "south": make_area("S", west=-2.5, south=53.4, east=-2.0, north=53.5 - 1e-9),
    }


def test_with_a_provision_it_goes_to_that_supplier_assigned(supplier_a):
    service = make_service()
    provision = make_provision(service=service, supplier=supplier_a)
    ticket = make_ticket(service=service)
    assert (ticket.status, ticket.holder_supplier) == (Status.ASSIGNED, supplier_a)
    opened = ticket.events.get()
    assert opened.holder_supplier_id == supplier_a.pk
    assert (opened.new["provision"], opened.new["sla_policy"]) == (
        provision.pk,
        provision.sla_policy_id,
    )


def test_without_a_provision_it_stays_with_the_desk_as_new():
    ticket = make_ticket(service=make_service())
    assert ticket.status == Status.NEW and ticket.held_by_desk
    opened = ticket.events.get()
    assert opened.holder_supplier_id is None
    assert opened.new["holder_supplier"] is None and opened.new["provision"] is None


@pytest.mark.parametrize(
    ("opened_on", "holder"),
    [
        (date(2026, 2, 28), None),  # before the provision starts
        (date(2026, 3, 1), "a"),  # its first day
        (date(2026, 5, 31), "a"),  # its last day
        (date(2026, 6, 1), "b"),  # the transition date: the successor's first day
        (date(2026, 12, 31), None),  # after the successor's provision ends
    ],
)
def test_provision_dates_and_a_supplier_transition(supplier_a, supplier_b, opened_on, holder):
    service = make_service()
    make_provision(
        service=service, supplier=supplier_a, valid_from=date(2026, 3, 1), valid_to=date(2026, 6, 1)
    )
    make_provision(
        service=service,
        supplier=supplier_b,
        valid_from=date(2026, 6, 1),
        valid_to=date(2026, 12, 1),
    )
    at = datetime.combine(opened_on, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    ticket = make_ticket(service=service, at=at)
    expected = {"a": supplier_a, "b": supplier_b, None: None}[holder]
    assert ticket.holder_supplier == expected


def test_the_transition_happens_at_local_midnight(supplier_a, supplier_b):
    service = make_service()
    make_provision(service=service, supplier=supplier_a, valid_to=date(2026, 7, 1))
    make_provision(service=service, supplier=supplier_b, valid_from=date(2026, 7, 1))
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time): the successor's day.
    ticket = make_ticket(service=service, at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    assert ticket.holder_supplier == supplier_b


def test_the_area_comes_from_the_point_and_picks_that_areas_supplier(wards, supplier_a, supplier_b):
    service = make_service()
    make_provision(service=service, supplier=supplier_a, areas=[wards["south"]])
    make_provision(service=service, supplier=supplier_b, areas=[wards["north"]])
    lat, lon = NORTH_WARD_POINT
    north = make_ticket(service=service, latitude=lat, longitude=lon)
    assert (north.area, north.holder_supplier) == (wards["north"], supplier_b)
    lat, lon = SOUTH_WARD_POINT
    south = make_ticket(service=service, latitude=lat, longitude=lon)
    assert (south.area, south.holder_supplier) == (wards["south"], supplier_a)
    lat, lon = NOWHERE
    outside = make_ticket(service=service, latitude=lat, longitude=lon)
    assert (outside.area, outside.holder_supplier) == (None, None)
    assert north.events.get().new["area"] == wards["north"].pk


def test_an_area_given_by_the_caller_wins_over_the_point(wards, supplier_b):
    service = make_service()
    make_provision(service=service, supplier=supplier_b, areas=[wards["north"]])
    lat, lon = SOUTH_WARD_POINT
    ticket = make_ticket(service=service, latitude=lat, longitude=lon, area=wards["north"])
    assert (ticket.area, ticket.holder_supplier) == (wards["north"], supplier_b)


def test_an_area_only_provision_leaves_other_areas_to_the_desk(wards, supplier_b):
    service = make_service()
    make_provision(service=service, supplier=supplier_b, areas=[wards["north"]])
    lat, lon = SOUTH_WARD_POINT
    assert make_ticket(service=service, latitude=lat, longitude=lon).held_by_desk


def test_routing_on_demand_follows_a_transition_and_restarts_the_holders_clock(
    supplier_a, supplier_b
):
    service = make_service()
    make_provision(service=service, supplier=supplier_a, valid_to=date(2026, 3, 10))
    make_provision(service=service, supplier=supplier_b, valid_from=date(2026, 3, 10))
    ticket = make_ticket(service=service)
    ticket = ticket_start(ticket=ticket, actor=System(), at=T0 + timedelta(hours=1))
    # Before the transition, routing again finds the holder it has: nothing happens.
    same = ticket_route(ticket=ticket, actor=System(), at=T0 + timedelta(days=1))
    assert same.version == ticket.version
    moved = ticket_route(
        ticket=ticket, actor=System(), reason="Contract ended", at=T0 + timedelta(days=9)
    )
    assert (moved.holder_supplier, moved.status, moved.holder_acknowledged_at) == (
        supplier_b,
        Status.ASSIGNED,
        None,
    )
    event = moved.events.get(sequence=moved.version)
    assert event.kind == TicketEvent.Kind.ROUTED and event.reason == "Contract ended"
    assert event.old["holder_supplier"] == supplier_a.pk
    assert event.new["holder_supplier"] == supplier_b.pk and event.new["provision"] is not None


def test_suppliers_cannot_reroute(supplier_a, supplier_a_agent):
    service = make_service()
    make_provision(service=service, supplier=supplier_a)
    ticket = make_ticket(service=service)
    with pytest.raises(NotPermitted):
        ticket_route(ticket=ticket, actor=supplier_a_agent, at=T0 + timedelta(days=1))


def test_a_hand_assignment_records_the_provision_the_supplier_works_under(
    wards, supplier_a, supplier_b, integrator_agent
):
    service = make_service()
    make_provision(service=service, supplier=supplier_a, areas=[wards["south"]])
    north_b = make_provision(service=service, supplier=supplier_b, areas=[wards["north"]])
    lat, lon = NORTH_WARD_POINT
    ticket = make_ticket(service=service, latitude=lat, longitude=lon)
    back = ticket_assign(
        ticket=ticket, actor=integrator_agent, holder=DESK, reason="Check", at=T0 + timedelta(1)
    )
    again = ticket_assign(
        ticket=back, actor=integrator_agent, holder=supplier_b, reason="Yes B", at=T0 + timedelta(2)
    )
    event = again.events.get(sequence=again.version)
    assert (event.new["provision"], event.new["sla_policy"]) == (north_b.pk, north_b.sla_policy_id)
    # Supplier A has no provision in the north ward, but a hand assignment still finds its own.
    to_a = ticket_assign(
        ticket=again, actor=integrator_agent, holder=supplier_a, reason="A", at=T0 + timedelta(3)
    )
    assert to_a.events.get(sequence=to_a.version).new["provision"] is not None
