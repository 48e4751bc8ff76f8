"""The notification record in the admin: read only, and only for the integrator's leads and
administrators (recipients include every supplier's contacts)."""

from __future__ import annotations

import pytest

from interchange.core.models import Job
from interchange.notifications.models import Notification, ReporterOptOut
from interchange.notifications.services import notify, send_job_key
from interchange.servicedesk.tests.factories import T0, make_service, make_ticket

pytestmark = pytest.mark.django_db

LIST = "/admin/notifications/notification/"
CONTEXT = {
    "reference": "INC-000042",
    "title": "Street light out",
    "ticket_type": "Incident",
    "priority": "P3 – moderate",
    "service": "Street lights",
    "area": "",
    "address": "",
    "link": "https://interchange.example.gov.uk/staff/tickets/INC-000042",
    "supplier": "Streetwise Roads Ltd",
}


@pytest.fixture
def notification(db) -> Notification:
    return notify(
        kind=Notification.Kind.SUPPLIER_ASSIGNED,
        recipient="desk@streetwise.example",
        context=CONTEXT,
        at=T0,
    )


def test_an_administrator_sees_the_list_and_filters_it(client, administrator, notification):
    client.force_login(administrator)

    page = client.get(LIST).content.decode()
    assert "desk@streetwise.example" in page
    assert "INC-000042 assigned to Streetwise Roads Ltd" in page

    assert "desk@streetwise.example" in client.get(f"{LIST}?state__exact=queued").content.decode()
    assert "desk@streetwise.example" not in client.get(f"{LIST}?state__exact=sent").content.decode()
    assert (
        "desk@streetwise.example"
        in client.get(f"{LIST}?kind__exact=supplier_assigned").content.decode()
    )


def test_the_detail_is_read_only_and_shows_the_send_job(client, integrator_lead, notification):
    Job.objects.filter(dedupe_key=send_job_key(notification.pk)).update(
        attempts=2, last_error="SMTPServerDisconnected: Connection unexpectedly closed"
    )
    client.force_login(integrator_lead)

    response = client.get(f"{LIST}{notification.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="_save"' not in page
    assert "attempt 2 of 20" in page
    assert "Connection unexpectedly closed" in page


def test_the_detail_says_when_the_send_job_was_deleted_after_its_keeping_time(
    client, integrator_lead, notification, settings
):
    settings.JOB_RETENTION_DAYS = 30
    Job.objects.filter(dedupe_key=send_job_key(notification.pk)).delete()
    client.force_login(integrator_lead)

    page = client.get(f"{LIST}{notification.pk}/change/").content.decode()

    assert "Finished, and deleted after 30 days" in page


def test_nobody_adds_changes_or_deletes_notifications(client, administrator, notification):
    client.force_login(administrator)

    assert client.get(f"{LIST}add/").status_code == 403
    response = client.post(f"{LIST}{notification.pk}/change/", {"recipient": "x@example.org"})
    assert response.status_code == 403
    assert client.post(f"{LIST}{notification.pk}/delete/", {"post": "yes"}).status_code == 403
    notification.refresh_from_db()
    assert notification.recipient == "desk@streetwise.example"


def test_a_suppliers_administrator_cannot_see_notifications(client, supplier_a_admin, notification):
    client.force_login(supplier_a_admin)

    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{notification.pk}/change/").status_code == 403
    assert "Notifications" not in client.get("/admin/").content.decode()


def test_people_who_are_not_staff_are_sent_to_sign_in(client, integrator_agent, notification):
    client.force_login(integrator_agent)

    response = client.get(LIST)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_leads_see_which_reporters_stopped_their_emails_and_agents_do_not(
    client, integrator_lead, integrator_agent
):
    ticket = make_ticket(service=make_service("lights"), title="Street light out")
    ReporterOptOut.objects.create(ticket=ticket, created_at=T0)
    opt_outs = "/admin/notifications/reporteroptout/"

    client.force_login(integrator_lead)
    assert ticket.reference in client.get(opt_outs).content.decode()
    assert client.post(f"{opt_outs}add/").status_code == 403

    client.force_login(integrator_agent)
    assert client.get(opt_outs).status_code in (302, 403)
