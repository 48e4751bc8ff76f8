"""The visibility matrix: each kind of caller × the tickets it may list, read and change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from interchange.accounts.models import ApiKey
from interchange.catalogue.models import Service
from interchange.core.priorities import Level, Priority
from interchange.servicedesk.actors import Public, Resident, System
from interchange.servicedesk.models import Channel, Ticket, TicketHolding, TicketType
from interchange.servicedesk.visibility import (
    can_change,
    can_see_reporter,
    changeable_by,
    visible_to,
)

pytestmark = pytest.mark.django_db


def make_ticket(service, holder=None, title="Pothole", held_before=()):
    now = timezone.now()
    ticket = Ticket.objects.create(
        type=TicketType.INCIDENT,
        title=title,
        service=service,
        channel=Channel.WEB,
        impact=Level.MEDIUM,
        urgency=Level.MEDIUM,
        priority=Priority.P3,
        holder_supplier=holder,
        reporter_first_name="Rita",
        reporter_email="rita@example.org",
        created_at=now,
        updated_at=now,
    )
    for supplier in held_before:
        TicketHolding.objects.create(ticket=ticket, supplier=supplier, first_held_at=now)
    return ticket


@pytest.fixture
def world(supplier_a, supplier_b, service_owner):
    roads = Service.objects.create(
        code="potholes", name="Potholes", kind="resident", open311_exposed=True
    )
    laptops = Service.objects.create(code="laptops", name="Laptops", kind="ict")
    laptops.owners.add(service_owner)
    return {
        "a": make_ticket(roads, supplier_a, "A holds"),
        "b": make_ticket(roads, supplier_b, "B holds"),
        "desk": make_ticket(laptops, None, "Desk holds"),
        "a_before": make_ticket(
            roads, supplier_b, "B holds, A held before", held_before=[supplier_a]
        ),
    }


def names(queryset):
    return sorted(t.title for t in queryset)


ALL = ["A holds", "B holds", "B holds, A held before", "Desk holds"]


@pytest.mark.parametrize(
    ("person", "sees", "changes"),
    [
        ("integrator_agent", ALL, ALL),
        ("integrator_lead", ALL, ALL),
        ("administrator", ALL, ALL),
        ("supplier_a_agent", ["A holds", "B holds, A held before"], ["A holds"]),
        ("supplier_a_admin", ["A holds", "B holds, A held before"], ["A holds"]),
        (
            "supplier_b_agent",
            ["B holds", "B holds, A held before"],
            ["B holds", "B holds, A held before"],
        ),
        ("service_owner", ["Desk holds"], []),
        ("commissioner", ALL, []),
        ("governance_viewer", [], []),
    ],
)
def test_each_role_lists_and_changes_only_its_tickets(request, world, person, sees, changes):
    actor = request.getfixturevalue(person)
    assert names(visible_to(actor)) == sees
    assert names(changeable_by(actor)) == changes
    for ticket in world.values():
        assert can_change(actor, ticket) == (ticket.title in changes)


def test_a_supplier_never_sees_another_suppliers_ticket_even_by_id(world, supplier_a_agent):
    assert not visible_to(supplier_a_agent).filter(pk=world["b"].pk).exists()


def test_reporter_details_are_for_the_desk_and_the_supplier_holding_the_ticket(
    world, integrator_agent, supplier_a_agent, commissioner, service_owner
):
    assert can_see_reporter(integrator_agent, world["b"])
    assert can_see_reporter(supplier_a_agent, world["a"])
    # Held before, read-only: the history without the resident's details.
    assert not can_see_reporter(supplier_a_agent, world["a_before"])
    assert not can_see_reporter(commissioner, world["a"])
    assert not can_see_reporter(service_owner, world["desk"])


def test_a_signed_out_or_deactivated_person_sees_nothing(world, integrator_agent):
    integrator_agent.is_active = False
    assert names(visible_to(integrator_agent)) == []
    assert not can_change(integrator_agent, world["a"])


def test_supplier_systems_see_as_their_supplier_and_lose_access_when_revoked(world, supplier_a):
    now = timezone.now()
    key = ApiKey(
        name="A's system",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=supplier_a,
        prefix="aaaa",
        secret_hash="0" * 64,
        created_at=now,
    )
    assert names(visible_to(key)) == ["A holds", "B holds, A held before"]
    assert names(changeable_by(key)) == ["A holds"]
    key.revoked_at = now
    assert names(visible_to(key)) == []
    key.revoked_at, key.expires_at = None, now - timedelta(seconds=1)
    assert names(visible_to(key)) == []
    assert not can_change(key, world["a"])


def test_open311_clients_see_only_services_offered_through_open311(world):
    key = ApiKey(
        name="FixMyStreet",
        kind=ApiKey.Kind.OPEN311_CLIENT,
        prefix="fms",
        secret_hash="0" * 64,
        created_at=timezone.now(),
    )
    assert names(visible_to(key)) == ["A holds", "B holds", "B holds, A held before"]
    assert names(changeable_by(key)) == []
    assert not can_see_reporter(key, world["a"])


def test_residents_see_nothing_through_the_scope_and_the_system_sees_all(world):
    assert names(visible_to(Resident())) == []
    assert names(visible_to(System())) == ALL


def test_the_scope_is_one_query_whatever_the_role(
    world, supplier_a_agent, django_assert_num_queries
):
    with django_assert_num_queries(1):
        list(visible_to(supplier_a_agent))


def test_a_retired_suppliers_systems_lose_access(world, supplier_a):
    key = ApiKey(
        name="A's system",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=supplier_a,
        prefix="aaaa",
        secret_hash="0" * 64,
        created_at=timezone.now(),
    )
    supplier_a.active = False
    assert names(visible_to(key)) == []


def test_the_public_sees_only_reports_of_services_offered_through_open311(world):
    assert names(visible_to(Public())) == ["A holds", "B holds", "B holds, A held before"]
    assert names(changeable_by(Public())) == []
    assert not can_see_reporter(Public(), world["a"])
