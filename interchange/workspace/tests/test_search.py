"""The search box on every staff page: reference first, then full text, scoped and paged."""

from __future__ import annotations

import pytest
from django.test import Client

from interchange.accounts.models import User
from interchange.workspace.tests.queue_fixtures import World, make_tickets, world
from interchange.workspace.tests.test_queues import signed_in

__all__ = ["world"]

pytestmark = pytest.mark.django_db


def found(response) -> list[str]:
    return [t.reference for t, _href in response.context["results"]]


def test_a_reference_finds_its_ticket(integrator_agent: User, world: World) -> None:
    ticket = world.b[1]
    response = signed_in(integrator_agent).get("/staff/search", {"q": ticket.reference})
    assert found(response) == [ticket.reference]
    assert f'href="/staff/tickets/{ticket.reference}"' in response.content.decode()


def test_words_find_tickets_and_pages_follow(integrator_agent: User) -> None:
    make_tickets(27, holder=None, actor=integrator_agent, title="Flooded underpass")
    client = signed_in(integrator_agent)
    first = client.get("/staff/search", {"q": "flooded"})
    assert len(found(first)) == 25
    second = client.get(first.context["search_page"].next_href)
    assert len(found(second)) == 2
    assert not set(found(first)) & set(found(second))


def test_a_supplier_agent_finds_only_what_they_may_see(
    supplier_a_agent: User, world: World
) -> None:
    client = signed_in(supplier_a_agent)
    assert found(client.get("/staff/search", {"q": world.b[0].reference})) == []
    assert set(found(client.get("/staff/search", {"q": "pothole"}))) == {
        t.reference for t in world.a
    }


def test_the_search_box_is_on_staff_pages_for_people_who_work_tickets(
    integrator_agent: User, governance_viewer: User
) -> None:
    page = signed_in(integrator_agent).get("/staff/calendars/").content.decode()
    assert 'role="search"' in page and 'action="/staff/search"' in page
    page = signed_in(governance_viewer).get("/staff/").content.decode()
    assert 'action="/staff/search"' not in page


def test_governance_viewers_and_visitors_cannot_search(
    governance_viewer: User, client: Client
) -> None:
    assert signed_in(governance_viewer).get("/staff/search", {"q": "x"}).status_code == 403
    assert client.get("/staff/search", {"q": "x"}).status_code == 302
