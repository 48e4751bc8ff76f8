"""Logging a ticket on someone's behalf: only the integrator's desk; the service's questions
are asked and checked; the ticket opens through the service desk and the agent lands on it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from interchange.servicedesk.models import Channel, Status, Ticket
from interchange.workspace.tests.ticket_world import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

CHOOSE = reverse("workspace:log-ticket")


def form_url(code: str = "potholes") -> str:
    return reverse("workspace:log-ticket-service", args=[code])


def caller(**overrides: str) -> dict[str, str]:
    data = {
        "channel": Channel.PHONE,
        "type": "incident",
        "title": "Pothole on Mill Lane",
        "description": "Deep, near the school gates",
        "impact": "medium",
        "urgency": "high",
        "reporter_first_name": "Pat",
        "reporter_last_name": "Caller",
        "reporter_phone": "0117 496 0123",
        "reporter_contact_preference": "phone",
        "address": "Mill Lane, by the school",
        "latitude": "",
        "longitude": "",
        "answers-depth": "deep",
    }
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for path in (CHOOSE, form_url()):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("web:sign-in"))


@pytest.mark.parametrize("who", ["supplier_a_agent", "governance_viewer", "commissioner"])
def test_only_the_integrators_desk_logs_tickets(client, world, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(CHOOSE).status_code == 403
    assert client.post(form_url(), caller()).status_code == 403
    assert not Ticket.objects.exists()


def test_the_agent_finds_the_service_by_searching(client, world, integrator_agent):
    client.force_login(integrator_agent)
    page = client.get(CHOOSE, {"q": "pothole"}).content.decode()
    assert form_url("potholes") in page and form_url("laptops") not in page
    assert "No service matches" in client.get(CHOOSE, {"q": "zebra"}).content.decode()


def test_the_form_asks_the_services_questions(client, world, integrator_agent):
    client.force_login(integrator_agent)
    page = client.get(form_url()).content.decode()
    assert "How deep is it?" in page and "5cm or more" in page


def test_logging_a_phone_call_opens_and_routes_the_ticket(client, world, integrator_agent):
    client.force_login(integrator_agent)
    response = client.post(form_url(), caller())
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("workspace:ticket", args=[ticket.reference])
    assert ticket.channel == Channel.PHONE and ticket.answers == {"depth": "deep"}
    assert ticket.priority == 2 and ticket.reporter_name == "Pat Caller"
    assert ticket.holder_supplier_id == world.sla.a.pk and ticket.status == Status.ASSIGNED
    opened = ticket.events.get()
    assert opened.actor_user_id == integrator_agent.pk
    page = client.get(response.url).content.decode()
    assert f"Ticket {ticket.reference} logged." in page


def test_a_walk_in_marks_the_place_on_the_map(client, world, integrator_agent):
    client.force_login(integrator_agent)
    client.post(form_url(), caller(channel=Channel.WALK_IN, latitude="51.45", longitude="-2.59"))
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WALK_IN
    assert (ticket.latitude, ticket.longitude) == (51.45, -2.59)


def test_missing_answers_and_details_are_shown_and_nothing_is_logged(
    client, world, integrator_agent
):
    client.force_login(integrator_agent)
    response = client.post(form_url(), caller(title="", reporter_phone="", **{"answers-depth": ""}))
    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text
    assert "Enter a title." in text
    assert "Enter a phone number to call with updates." in text
    assert "How deep is it?" in text and 'id="id_answers-depth-error"' in text
    assert not Ticket.objects.exists()


def test_an_inactive_or_unknown_service_is_not_found(client, world, integrator_agent):
    world.sla.laptops.active = False
    world.sla.laptops.save()
    client.force_login(integrator_agent)
    assert client.get(form_url("laptops")).status_code == 404
    assert client.get(form_url("no-such-service")).status_code == 404
