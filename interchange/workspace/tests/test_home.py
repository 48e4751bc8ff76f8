"""The home after sign-in by role: the integrator's desk, a supplier's queue, a service
owner's services; nothing of the workspace for roles that do not work tickets."""

from __future__ import annotations

import pytest

from interchange.accounts.models import User
from interchange.catalogue.models import Service
from interchange.workspace.tests.queue_fixtures import World, world
from interchange.workspace.tests.test_queues import signed_in

__all__ = ["world"]

pytestmark = pytest.mark.django_db


def test_the_integrator_sees_the_desk_with_counts(integrator_agent: User, world: World) -> None:
    body = signed_in(integrator_agent).get("/staff/").content.decode()
    assert "The integrator&#x27;s desk" in body or "The integrator's desk" in body
    assert "3</span> Open at the desk" in body
    assert 'href="/staff/queues/desk"' in body
    assert 'href="/staff/tickets/new"' in body  # logging a call for someone


def test_a_supplier_agent_sees_their_suppliers_queue(supplier_a_agent: User, world: World) -> None:
    body = signed_in(supplier_a_agent).get("/staff/").content.decode()
    assert "3</span> Open, held by Streetwise Roads" in body
    assert "/staff/queues/desk" not in body
    assert "/staff/tickets/new" not in body


def test_a_service_owner_sees_their_services(service_owner: User, world: World) -> None:
    service = world.desk[0].service
    Service.objects.get(pk=service.pk).owners.add(service_owner)
    body = signed_in(service_owner).get("/staff/").content.decode()
    assert "Your services" in body
    assert service.name in body


def test_a_governance_viewer_sees_no_queues(governance_viewer: User, world: World) -> None:
    body = signed_in(governance_viewer).get("/staff/").content.decode()
    assert "/staff/queues/" not in body
