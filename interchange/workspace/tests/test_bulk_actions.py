"""Bulk actions: each ticket in its own savepoint, illegal ones skipped with the reason."""

from __future__ import annotations

import pytest
from django.test import Client

from interchange.accounts.models import User
from interchange.servicedesk.models import Status, Ticket
from interchange.suppliers.models import Supplier
from interchange.workspace.tests.queue_fixtures import World, world
from interchange.workspace.tests.test_queues import signed_in

__all__ = ["world"]

pytestmark = pytest.mark.django_db


def selection(*tickets: Ticket) -> list[str]:
    return [f"{t.pk}.{t.version}" for t in tickets]


def test_assigning_two_tickets_to_a_supplier_shows_a_summary(
    integrator_agent: User, supplier_a: Supplier, world: World
) -> None:
    client = signed_in(integrator_agent)
    first, second, _third = world.desk
    response = client.post(
        "/staff/bulk",
        {
            "tickets": selection(first, second),
            "action": "assign_supplier",
            "supplier": supplier_a.pk,
            "reason": "Their contract covers it",
            "next": "/staff/queues/desk",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "2 tickets changed" in body
    assert Ticket.objects.get(pk=first.pk).holder_supplier_id == supplier_a.pk
    assert Ticket.objects.get(pk=second.pk).holder_supplier_id == supplier_a.pk


def test_illegal_and_stale_tickets_are_skipped_and_listed_with_the_reason(
    integrator_agent: User, world: World
) -> None:
    client = signed_in(integrator_agent)
    fresh, stale, _other = world.desk
    seen_stale = f"{stale.pk}.{stale.version - 1}"
    response = client.post(
        "/staff/bulk",
        {"tickets": [*selection(fresh), seen_stale], "action": "close"},
        follow=True,
    )
    skipped = response.context["skipped"]
    assert {o["reference"] for o in skipped} == {fresh.reference, stale.reference}
    reasons = {o["reference"]: o["reason"] for o in skipped}
    assert "Someone else changed this ticket" in reasons[stale.reference]
    assert reasons[fresh.reference]  # the state machine's message: new tickets cannot close
    assert Ticket.objects.get(pk=fresh.pk).status == Status.NEW


def test_a_supplier_agent_cannot_touch_another_suppliers_tickets(
    supplier_a_agent: User, world: World
) -> None:
    client = signed_in(supplier_a_agent)
    mine, theirs = world.a[0], world.b[0]
    response = client.post(
        "/staff/bulk", {"tickets": selection(mine, theirs), "action": "acknowledge"}, follow=True
    )
    assert [o["reference"] for o in response.context["done"]] == [mine.reference]
    # Another supplier's ticket is not named: they must not learn of it.
    assert [o["reference"] for o in response.context["skipped"]] == [f"#{theirs.pk}"]
    assert Ticket.objects.get(pk=theirs.pk).holder_acknowledged_at is None


def test_a_supplier_agent_is_not_offered_assigning_to_a_supplier(
    supplier_a_agent: User, supplier_b: Supplier, world: World
) -> None:
    client = signed_in(supplier_a_agent)
    response = client.post(
        "/staff/bulk",
        {"tickets": selection(world.a[0]), "action": "assign_supplier", "supplier": supplier_b.pk},
        follow=True,
    )
    assert "Select a valid choice" in response.content.decode()
    assert Ticket.objects.get(pk=world.a[0].pk).holder_supplier_id != supplier_b.pk


def test_more_than_500_tickets_are_refused_and_nothing_changes(
    integrator_agent: User, world: World
) -> None:
    client = signed_in(integrator_agent)
    values = [f"{n}.1" for n in range(1, 502)]
    response = client.post(
        "/staff/bulk", {"tickets": values, "action": "acknowledge", "next": "/staff/queues/desk"}
    )
    assert response["Location"] == "/staff/queues/desk"
    page = client.get("/staff/queues/desk").content.decode()
    assert "Select at most 500 tickets at a time" in page
    assert not Ticket.objects.filter(holder_acknowledged_at__isnull=False).exists()


def test_roles_that_do_not_change_tickets_cannot_use_bulk_actions(
    commissioner: User, governance_viewer: User, client: Client, world: World
) -> None:
    data = {"tickets": selection(world.desk[0]), "action": "acknowledge"}
    assert signed_in(commissioner).post("/staff/bulk", data).status_code == 403
    assert signed_in(governance_viewer).post("/staff/bulk", data).status_code == 403
    assert client.post("/staff/bulk", data).status_code == 302  # to sign in


def test_a_note_on_many_tickets_is_added_to_each(integrator_agent: User, world: World) -> None:
    client = signed_in(integrator_agent)
    client.post(
        "/staff/bulk",
        {"tickets": selection(*world.desk), "action": "note", "reason": "Storm damage, crews out"},
    )
    for ticket in world.desk:
        assert Ticket.objects.get(pk=ticket.pk).events.filter(kind="note").count() == 1


def test_the_summary_belongs_to_the_session_that_made_it(
    integrator_agent: User, integrator_lead: User, world: World
) -> None:
    response = signed_in(integrator_agent).post(
        "/staff/bulk", {"tickets": selection(world.desk[0]), "action": "acknowledge"}
    )
    assert signed_in(integrator_lead).get(response["Location"]).status_code == 404
