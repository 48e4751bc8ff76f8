"""Saved views: a person saves a queue's filters and sort under a name, lists and deletes them."""

from __future__ import annotations

import pytest
from django.test import Client

from interchange.accounts.models import User
from interchange.workspace.models import SavedView
from interchange.workspace.tests.test_queues import signed_in

pytestmark = pytest.mark.django_db


def save(client: Client, name: str, query: str = "priority=1&sort=created&order=asc") -> object:
    return client.post(
        "/staff/views/save",
        {"name": name, "queue": "desk", "query": query, "next": "/staff/queues/desk"},
        follow=True,
    )


def test_a_saved_view_opens_the_queue_with_its_filters_and_sort(integrator_agent: User) -> None:
    client = signed_in(integrator_agent)
    response = save(client, "Urgent, oldest first")
    body = response.content.decode()  # type: ignore[attr-defined]
    assert "View “Urgent, oldest first” saved." in body
    assert 'href="/staff/queues/desk?priority=1&amp;sort=created&amp;order=asc"' in body


def test_a_name_is_used_once_per_person(integrator_agent: User, integrator_lead: User) -> None:
    save(signed_in(integrator_lead), "Mine")
    client = signed_in(integrator_agent)
    save(client, "Mine")
    response = save(client, "Mine")
    assert "You already have a view called “Mine”" in response.content.decode()  # type: ignore[attr-defined]
    assert SavedView.objects.filter(name="Mine").count() == 2


def test_people_see_and_delete_only_their_own_views(
    integrator_agent: User, integrator_lead: User
) -> None:
    save(signed_in(integrator_lead), "Lead's view")
    theirs = SavedView.objects.get(name="Lead's view")
    client = signed_in(integrator_agent)
    assert "Lead's view" not in client.get("/staff/views/").content.decode()
    assert client.post(f"/staff/views/{theirs.pk}/delete").status_code == 404
    assert SavedView.objects.filter(pk=theirs.pk).exists()
    save(client, "Own")
    own = SavedView.objects.get(name="Own")
    response = client.post(f"/staff/views/{own.pk}/delete", follow=True)
    assert "View deleted." in response.content.decode()
    assert not SavedView.objects.filter(pk=own.pk).exists()


def test_a_governance_viewer_cannot_save_or_list_views(
    governance_viewer: User, client: Client
) -> None:
    viewer = signed_in(governance_viewer)
    assert viewer.get("/staff/views/").status_code == 403
    assert viewer.post("/staff/views/save", {"name": "x", "queue": "desk"}).status_code == 403
    assert client.get("/staff/views/").status_code == 302
