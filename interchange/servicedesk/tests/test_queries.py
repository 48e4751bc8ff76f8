"""The domain functions pages and APIs call run a small, fixed number of queries, however
long the ticket's timeline already is."""

from __future__ import annotations

from datetime import timedelta

import pytest

from interchange.servicedesk.actors import System
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.services import (
    DESK,
    ticket_acknowledge,
    ticket_add_note,
    ticket_assign,
)
from interchange.servicedesk.tests.factories import (
    T0,
    make_area,
    make_provision,
    make_service,
    make_ticket,
)

pytestmark = pytest.mark.django_db

# Area by point (boundaries already parsed in this process), provision (area, then all
# areas), ticket with its private link's hash (from a seed known before the insert),
# holding, event, search document. No savepoint, no second write.
OPEN_QUERIES = 7
# savepoint, lock, update, event, release.
ACKNOWLEDGE_QUERIES = 5
# As acknowledging, then the search document: notes, write (the ticket is locked already).
NOTE_QUERIES = 7
# savepoint, lock, the new holder's provision, update, event, holding, release.
ASSIGN_TO_SUPPLIER_QUERIES = 7
# savepoint, lock, update, event, release.
ASSIGN_TO_DESK_QUERIES = 5


@pytest.fixture
def service(supplier_a):
    service = make_service()
    make_provision(service=service, supplier=supplier_a)
    make_area("N", west=-2.5, south=53.5, east=-2.0, north=53.6)
    return service


def with_history(service, events: int) -> Ticket:
    """A ticket with `events` events on its timeline (the opening, then notes)."""
    ticket = make_ticket(service=service, latitude=53.55, longitude=-2.25)
    for n in range(1, events):
        ticket = ticket_add_note(
            ticket=ticket, actor=System(), body=f"note {n}", public=False, at=T0 + timedelta(n)
        )
    assert ticket.version == events
    return ticket


def later(ticket: Ticket):
    return ticket.updated_at + timedelta(minutes=1)


def test_opening(django_assert_num_queries, service):
    # The first look-up in this process parses the area's boundary; later ones do not.
    make_ticket(service=service, latitude=53.55, longitude=-2.25)
    with django_assert_num_queries(OPEN_QUERIES):
        make_ticket(service=service, latitude=53.55, longitude=-2.25)


@pytest.mark.parametrize("events", [1, 50])
def test_acknowledging(django_assert_num_queries, service, supplier_a_agent, events):
    ticket = with_history(service, events)
    with django_assert_num_queries(ACKNOWLEDGE_QUERIES):
        ticket_acknowledge(ticket=ticket, actor=supplier_a_agent, at=later(ticket))


@pytest.mark.parametrize("events", [1, 50])
def test_adding_a_note(django_assert_num_queries, service, supplier_a_agent, events):
    ticket = with_history(service, events)
    with django_assert_num_queries(NOTE_QUERIES):
        ticket_add_note(
            ticket=ticket, actor=supplier_a_agent, body="On site", public=True, at=later(ticket)
        )


@pytest.mark.parametrize("events", [1, 50])
def test_assigning(django_assert_num_queries, service, integrator_agent, supplier_b, events):
    ticket = with_history(service, events)
    with django_assert_num_queries(ASSIGN_TO_SUPPLIER_QUERIES):
        ticket = ticket_assign(
            ticket=ticket,
            actor=integrator_agent,
            holder=supplier_b,
            reason="B's patch",
            at=later(ticket),
        )
    with django_assert_num_queries(ASSIGN_TO_DESK_QUERIES):
        ticket_assign(
            ticket=ticket, actor=integrator_agent, holder=DESK, reason="Back", at=later(ticket)
        )
