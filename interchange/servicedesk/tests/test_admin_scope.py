"""The admin applies the same visibility scope: no leak of another supplier's tickets."""

import pytest

from interchange.catalogue.models import Service
from interchange.servicedesk.tests.test_visibility import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(supplier_a, supplier_b):
    roads = Service.objects.create(code="potholes", name="Potholes", kind="resident")
    return {
        "a": make_ticket(roads, supplier_a, "Pothole on A's patch"),
        "b": make_ticket(roads, supplier_b, "Pothole on B's patch"),
        "a_before": make_ticket(roads, supplier_b, "Handed from A to B", held_before=[supplier_a]),
    }


@pytest.fixture
def a_admin(client, supplier_a_admin):
    supplier_a_admin.is_staff = True
    supplier_a_admin.save()
    client.force_login(supplier_a_admin)
    return client


def test_the_ticket_list_shows_only_the_suppliers_own_tickets(a_admin, tickets):
    html = a_admin.get("/admin/servicedesk/ticket/").content.decode()
    assert "Pothole on A&#x27;s patch" in html
    assert "Handed from A to B" in html
    assert "Pothole on B&#x27;s patch" not in html


def test_another_suppliers_ticket_cannot_be_opened_by_its_url(a_admin, tickets):
    response = a_admin.get(f"/admin/servicedesk/ticket/{tickets['b'].pk}/change/", follow=True)
    html = response.content.decode()
    assert "Pothole on B" not in html
    assert "doesn’t exist" in html or "doesn't exist" in html


def test_a_formerly_held_ticket_shows_without_the_reporters_details(a_admin, tickets):
    own = a_admin.get(f"/admin/servicedesk/ticket/{tickets['a'].pk}/change/").content.decode()
    assert "rita@example.org" in own
    before = a_admin.get(f"/admin/servicedesk/ticket/{tickets['a_before'].pk}/change/")
    assert before.status_code == 200
    assert "rita@example.org" not in before.content.decode()


def test_tickets_cannot_be_added_changed_or_deleted_in_the_admin(client, integrator_lead, tickets):
    integrator_lead.is_staff = True
    integrator_lead.save()
    client.force_login(integrator_lead)
    pk = tickets["a"].pk
    assert client.get("/admin/servicedesk/ticket/add/").status_code == 403
    response = client.post(f"/admin/servicedesk/ticket/{pk}/change/", {"title": "Changed"})
    assert response.status_code == 403
    assert (
        client.post(f"/admin/servicedesk/ticket/{pk}/delete/", {"post": "yes"}).status_code == 403
    )


def test_people_without_staff_access_are_sent_to_the_admin_sign_in(
    client, supplier_a_agent, tickets
):
    client.force_login(supplier_a_agent)
    response = client.get("/admin/servicedesk/ticket/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
