"""The queues: who may open which, what each holds, filters, sort, keyset pages, counts,
htmx partial updates and the query count per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from interchange.accounts.models import User
from interchange.core.priorities import Level
from interchange.servicedesk.models import ClockKind, ClockState, Ticket
from interchange.servicedesk.services import ticket_set_major_incident, ticket_set_priority
from interchange.suppliers.models import Supplier
from interchange.workspace import queues
from interchange.workspace.queues import Sort, keyset_page, with_row_data
from interchange.workspace.tests.queue_fixtures import World, make_tickets, set_clock, world

__all__ = ["world"]

pytestmark = pytest.mark.django_db


def signed_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def references(response) -> list[str]:
    return [row.ticket.reference for row in response.context["rows"]]


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    for url in ["/staff/queues/desk", "/staff/queues/suppliers/", "/staff/queues/mine"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/staff/sign-in?next=")


def test_a_governance_viewer_cannot_open_any_queue(governance_viewer: User) -> None:
    client = signed_in(governance_viewer)
    for url in [
        "/staff/queues/desk",
        "/staff/queues/breaching-soon",
        "/staff/queues/suppliers/",
        "/staff/queues/waiting/export.csv",
    ]:
        assert client.get(url).status_code == 403


def test_a_supplier_agent_cannot_open_the_integrator_desk(
    supplier_a_agent: User, world: World
) -> None:
    client = signed_in(supplier_a_agent)
    assert client.get("/staff/queues/desk").status_code == 403
    assert client.get("/staff/queues/suppliers/").status_code == 403


def test_a_supplier_agent_never_learns_of_another_suppliers_queue(
    supplier_a_agent: User, supplier_b: Supplier, world: World
) -> None:
    client = signed_in(supplier_a_agent)
    assert client.get(f"/staff/queues/suppliers/{supplier_b.code}").status_code == 404


def test_a_supplier_agent_sees_only_their_suppliers_tickets(
    supplier_a_agent: User, supplier_a: Supplier, world: World
) -> None:
    client = signed_in(supplier_a_agent)
    response = client.get(f"/staff/queues/suppliers/{supplier_a.code}")
    assert sorted(references(response)) == sorted(t.reference for t in world.a)
    # Every other queue is limited to the supplier's tickets too.
    for ticket in world.a + world.b:
        ticket_set_major_incident(
            ticket=Ticket.objects.get(pk=ticket.pk), actor=_integrator(), major=True, reason="x"
        )
    response = client.get("/staff/queues/major-incidents")
    assert sorted(references(response)) == sorted(t.reference for t in world.a)


def _integrator() -> User:
    return User.objects.get(username="integrator_agent")


def test_the_desk_lists_its_open_tickets_newest_first_with_links_to_each(
    integrator_agent: User, world: World
) -> None:
    response = signed_in(integrator_agent).get("/staff/queues/desk")
    assert references(response) == [t.reference for t in reversed(world.desk)]
    body = response.content.decode()
    assert f'href="/staff/tickets/{world.desk[0].reference}"' in body
    assert "3 tickets" in body


def test_filtering_works_without_javascript(integrator_agent: User, world: World) -> None:
    urgent = world.desk[1]
    ticket_set_priority(
        ticket=urgent, actor=integrator_agent, impact=Level.HIGH, urgency=Level.HIGH
    )
    response = signed_in(integrator_agent).get("/staff/queues/desk?priority=1")
    assert references(response) == [urgent.reference]
    assert "Priority: P1" in response.content.decode()


def test_a_bad_filter_is_shown_next_to_the_field_and_lists_nothing(
    integrator_agent: User, world: World
) -> None:
    response = signed_in(integrator_agent).get(
        "/staff/queues/desk?created_from=2026-03-05&created_to=2026-03-01"
    )
    assert references(response) == []
    assert "The end date must be the same as or after the start date." in (
        response.content.decode()
    )


def test_sorting_is_done_by_the_server_over_the_whole_queue(
    integrator_agent: User, world: World
) -> None:
    response = signed_in(integrator_agent).get("/staff/queues/desk?sort=created&order=asc")
    assert references(response) == [t.reference for t in world.desk]
    body = response.content.decode()
    assert 'aria-sort="ascending"' in body


def test_htmx_gets_only_the_queue_without_the_page_around_it(
    integrator_agent: User, world: World
) -> None:
    response = signed_in(integrator_agent).get(
        "/staff/queues/desk?priority=3", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-layout"
    )
    body = response.content.decode()
    assert 'id="queue-layout"' in body
    assert "<html" not in body


def test_counts_stop_at_the_cap(
    integrator_agent: User, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    response = signed_in(integrator_agent).get("/staff/queues/desk")
    assert "2+ tickets" in response.content.decode()


def test_breaching_soon_and_breached_read_the_stored_clocks(
    integrator_agent: User, world: World
) -> None:
    now = timezone.now()
    soon, later, late = world.desk
    paused = make_tickets(1, holder=None, actor=integrator_agent)[0]
    set_clock(soon, deadline=now + timedelta(hours=1))
    set_clock(soon, clock=ClockKind.RESPONSE, state=ClockState.MET)
    set_clock(later, deadline=now + timedelta(days=3))
    set_clock(late, deadline=now + timedelta(days=1))
    set_clock(late, clock=ClockKind.RESPONSE, state=ClockState.MET, breached=True)
    set_clock(paused, state=ClockState.PAUSED)
    client = signed_in(integrator_agent)
    assert references(client.get("/staff/queues/breaching-soon")) == [soon.reference]
    assert references(client.get("/staff/queues/breached")) == [late.reference]
    assert references(client.get("/staff/queues/desk?sla=paused")) == [paused.reference]
    assert references(client.get("/staff/queues/desk?sla=on_track")) == [later.reference]
    soon_row = client.get("/staff/queues/breaching-soon").context["rows"][0]
    assert soon_row.sla_label == "Breaching soon"


@pytest.mark.parametrize("key", ["created", "updated", "priority", "deadline"])
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_cover_the_queue_once_in_order_forwards_and_back(
    integrator_agent: User, key: str, descending: bool
) -> None:
    tickets = make_tickets(7, holder=None, actor=integrator_agent)
    now = timezone.now()
    # Ties on every key, and some tickets without a deadline.
    for i, ticket in enumerate(tickets):
        if i % 3:
            set_clock(ticket, deadline=now + timedelta(hours=i // 2))
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=tickets[0].created_at)
    sort = Sort(key, descending)
    everything = Ticket.objects.all()
    expected = [t.pk for t in with_row_data(everything).order_by(*sort.order_by())]
    seen, pages, cursor = [], [], None
    while True:
        page = keyset_page(everything, sort, size=2, after=cursor)
        pages.append(page)
        seen += [t.pk for t in page.tickets]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected
    # Back from the last page, page by page, to the first.
    back, page = [], pages[-1]
    back = [t.pk for t in page.tickets]
    while page.previous_cursor:
        page = keyset_page(everything, sort, size=2, before=page.previous_cursor)
        back = [t.pk for t in page.tickets] + back
    assert back == expected


def test_a_broken_page_link_shows_the_first_page_with_a_message(
    integrator_agent: User, world: World
) -> None:
    response = signed_in(integrator_agent).get("/staff/queues/desk?after=not-a-cursor")
    assert references(response) == [t.reference for t in reversed(world.desk)]
    assert "That page link no longer works" in response.content.decode()


def test_the_next_page_link_carries_the_filters_and_sort(integrator_agent: User) -> None:
    made = make_tickets(27, holder=None, actor=integrator_agent)
    client = signed_in(integrator_agent)
    first = client.get("/staff/queues/desk?sort=created&order=asc&type=incident")
    assert references(first) == [t.reference for t in made[:25]]
    second = client.get(first.context["next_href"])
    assert references(second) == [t.reference for t in made[25:]]
    assert "type=incident" in first.context["next_href"]


@pytest.mark.parametrize("size", [25, 100])
def test_a_queue_page_costs_the_same_queries_however_many_rows(
    size: int,
    integrator_agent: User,
    supplier_a: Supplier,
    django_assert_num_queries,
) -> None:
    tickets = make_tickets(30, holder=supplier_a, actor=integrator_agent)
    for t in tickets:
        set_clock(t, deadline=timezone.now() + timedelta(hours=2))
        set_clock(t, clock=ClockKind.RESPONSE, state=ClockState.MET)
    client = signed_in(integrator_agent)
    url = f"/staff/queues/suppliers/{supplier_a.code}?size={size}"
    # Session, person, supplier, page, count, the filter panel's services, areas and suppliers,
    # then the session's idle-timeout stamp (a savepoint, an update, a release): the same 11
    # for 25 rows as for 100.
    with django_assert_num_queries(11):
        response = client.get(url)
    assert len(response.context["rows"]) == min(size, 30)
