"""Property: along any run of moves, the ticket page offers a move to a person exactly when
the service desk would accept it from them, so no button leads to a refusal and no allowed
move is hidden."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interchange.servicedesk.errors import IllegalTransition, NotPermitted
from interchange.servicedesk.models import Ticket
from interchange.workspace.tests.ticket_world import world_fixture  # noqa: F401
from interchange.workspace.ticket_actions import ACTIONS, offered

pytestmark = pytest.mark.django_db

MOVES = ["start", "wait-resident", "wait-third-party", "resume", "resolve", "close"]
MOVES += ["reopen", "cancel"]
DATA = {"reason": "Because", "resolution_code": "fixed", "note": "Done"}
PEOPLE = ["integrator_agent", "supplier_a_agent", "supplier_b_agent", "commissioner"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.tuples(st.sampled_from(MOVES), st.sampled_from(PEOPLE)), max_size=8))
def test_a_move_is_offered_exactly_when_the_service_desk_accepts_it(world, request, steps):
    people = {name: request.getfixturevalue(name) for name in PEOPLE}
    ticket = world.ticket()
    for key, name in steps:
        person = people[name]
        ticket = Ticket.objects.select_related("holder_supplier").get(pk=ticket.pk)
        shown = ACTIONS[key] in offered(person, ticket)
        try:
            ACTIONS[key].perform(ticket, person, {**DATA, "version": ticket.version})
        except (IllegalTransition, NotPermitted):
            accepted = False
        else:
            accepted = True
        assert shown == accepted, f"{key} by {name} on a {ticket.status} ticket"
