"""The ticket page's actions through the Django client: each posts to its own URL with the
version it was rendered with; refusals show the service desk's message and change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from interchange.servicedesk.models import Status, Ticket, TicketEvent, TicketLink, TicketType
from interchange.servicedesk.services import (
    ticket_acknowledge,
    ticket_add_note,
    ticket_resolve,
)
from interchange.servicedesk.tests.factories import make_ticket
from interchange.workspace.tests.ticket_world import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def action(ticket: Ticket, key: str) -> str:
    return reverse("workspace:ticket-action", args=[ticket.reference, key])


def post(client, ticket, key, **data):
    data.setdefault("version", ticket.version)
    return client.post(action(ticket, key), data)


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def success_message(client, response) -> str:
    assert response.status_code == 302
    assert response.url == reverse("workspace:ticket", args=[response.url.rsplit("/", 1)[1]])
    return client.get(response.url).content.decode()


# --- Who may ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    ticket = world.ticket()
    for response in (client.get(action(ticket, "assign")), post(client, ticket, "acknowledge")):
        assert response.status_code == 302
        assert response.url.startswith(reverse("web:sign-in"))
    assert fresh(ticket).version == ticket.version


@pytest.mark.parametrize("who", ["governance_viewer", "supplier_b_agent"])
def test_people_who_may_not_see_the_ticket_get_not_found(client, world, who, request):
    ticket = world.ticket()
    client.force_login(request.getfixturevalue(who))
    assert client.get(action(ticket, "acknowledge")).status_code == 404
    assert post(client, ticket, "acknowledge").status_code == 404
    assert fresh(ticket).version == ticket.version


def test_a_reader_is_refused_with_the_service_desks_message(client, world, commissioner):
    ticket = world.ticket()
    client.force_login(commissioner)
    assert client.get(action(ticket, "note")).status_code == 403
    response = post(client, ticket, "note", body="Hello", visibility="internal")
    assert response.status_code == 403
    assert "You cannot change this ticket." in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    assert fresh(ticket).version == ticket.version


def test_a_supplier_agent_may_not_hand_the_ticket_to_another_supplier(
    client, world, supplier_a_agent, supplier_b
):
    ticket = world.ticket()
    client.force_login(supplier_a_agent)
    form = client.get(action(ticket, "assign")).content.decode()
    assert "Cleanway" not in form  # never offered
    response = post(client, ticket, "assign", holder=str(supplier_b.pk), reason="Not ours")
    assert response.status_code == 403
    assert "Only the integrator&#x27;s desk can hand a ticket to a supplier" in (
        response.content.decode()
    )
    assert fresh(ticket).holder_supplier_id == world.sla.a.pk


def test_a_supplier_agent_is_not_offered_the_integrators_actions(client, world, supplier_a_agent):
    ticket = world.ticket()
    client.force_login(supplier_a_agent)
    for key in ("priority", "override-priority", "major-incident"):
        assert client.get(action(ticket, key)).status_code == 403
    response = post(client, ticket, "priority", impact="high", urgency="high")
    assert response.status_code == 403
    assert fresh(ticket).priority == ticket.priority


def test_an_unknown_action_is_not_found(client, world, integrator_agent):
    ticket = world.ticket()
    client.force_login(integrator_agent)
    assert client.get(action(ticket, "explode")).status_code == 404


# --- Each action -------------------------------------------------------------------------------


def test_the_integrator_hands_the_ticket_to_another_supplier_with_a_reason(
    client, world, integrator_agent, supplier_b
):
    ticket = world.ticket()
    client.force_login(integrator_agent)
    response = post(client, ticket, "assign", holder=str(supplier_b.pk), reason="Their patch")
    assert "holder and person are saved" in success_message(client, response)
    changed = fresh(ticket)
    assert changed.holder_supplier_id == supplier_b.pk and changed.status == Status.ASSIGNED
    assert changed.events.order_by("sequence").values_list("reason", flat=True).last() == (
        "Their patch"
    )


def test_a_handover_without_a_reason_is_refused_next_to_the_field(
    client, world, integrator_agent, supplier_b
):
    ticket = world.ticket()
    client.force_login(integrator_agent)
    response = post(client, ticket, "assign", holder=str(supplier_b.pk), reason="")
    assert response.status_code == 200
    assert 'id="id_reason-error"' in response.content.decode()
    assert fresh(ticket).holder_supplier_id == world.sla.a.pk


def test_the_holder_assigns_one_of_its_own_people(client, world, supplier_a_agent):
    ticket = world.ticket()
    client.force_login(supplier_a_agent)
    response = post(client, ticket, "assign", assignee=str(supplier_a_agent.pk))
    assert response.status_code == 302
    assert fresh(ticket).assignee_id == supplier_a_agent.pk


def test_impact_and_urgency_set_the_priority(client, world, integrator_agent):
    ticket = world.ticket()
    client.force_login(integrator_agent)
    response = post(client, ticket, "priority", impact="high", urgency="high", reason="School")
    assert "the priority is P1" in success_message(client, response)
    assert fresh(ticket).priority == 1


def test_overriding_the_priority_needs_a_reason(client, world, integrator_agent):
    ticket = world.ticket()
    client.force_login(integrator_agent)
    refused = post(client, ticket, "override-priority", priority="1", reason="")
    assert "Say why the priority is overridden." in refused.content.decode()
    assert fresh(ticket).priority == ticket.priority
    response = post(client, ticket, "override-priority", priority="1", reason="Councillor")
    assert response.status_code == 302
    changed = fresh(ticket)
    assert changed.priority == 1 and changed.priority_overridden


def test_acknowledging_stops_the_holders_response_clock(client, world, supplier_a_agent):
    ticket = world.ticket()
    client.force_login(supplier_a_agent)
    response = post(client, ticket, "acknowledge")
    assert "Ticket acknowledged." in success_message(client, response)
    assert fresh(ticket).holder_acknowledged_at is not None
    # Once acknowledged it is no longer offered.
    page = client.get(reverse("workspace:ticket", args=[ticket.reference])).content.decode()
    assert action(ticket, "acknowledge") not in page


def test_only_legal_moves_are_offered_and_an_illegal_one_is_refused(
    client, world, supplier_a_agent
):
    ticket = world.ticket()
    client.force_login(supplier_a_agent)
    page = client.get(reverse("workspace:ticket", args=[ticket.reference])).content.decode()
    for legal in ("start", "resolve", "cancel"):
        assert action(ticket, legal) in page
    for illegal in ("close", "resume", "wait-resident", "reopen"):
        assert action(ticket, illegal) not in page
    assert client.get(action(ticket, "close")).status_code == 403
    response = post(client, ticket, "close")
    assert response.status_code == 409
    text = response.content.decode()
    assert "cannot be closed" in text and "Allowed:" in text
    assert fresh(ticket).status == Status.ASSIGNED


def test_waiting_needs_a_reason_and_pauses(client, world, supplier_a_agent):
    ticket = world.ticket()
    client.force_login(supplier_a_agent)
    assert post(client, ticket, "start").status_code == 302
    ticket = fresh(ticket)
    refused = post(client, ticket, "wait-resident", reason=" ")
    assert "Say what the ticket is waiting for." in refused.content.decode()
    response = post(client, ticket, "wait-resident", reason="Which lamp post?")
    assert response.status_code == 302
    assert fresh(ticket).status == Status.WAITING_RESIDENT
    response = post(client, fresh(ticket), "resume")
    assert response.status_code == 302
    assert fresh(ticket).status == Status.IN_PROGRESS


def test_resolving_needs_a_resolution_and_a_note(client, world, supplier_a_agent):
    ticket = world.ticket()
    client.force_login(supplier_a_agent)
    refused = post(client, ticket, "resolve", resolution_code="", note="")
    text = refused.content.decode()
    assert "Choose a resolution." in text and "Say what was done." in text
    response = post(client, ticket, "resolve", resolution_code="fixed", note="Filled it")
    assert "Ticket resolved." in success_message(client, response)
    changed = fresh(ticket)
    assert changed.status == Status.RESOLVED and changed.resolution_note == "Filled it"


def test_closing_and_reopening(client, world, integrator_agent):
    ticket = world.ticket()
    ticket_resolve(ticket=ticket, actor=integrator_agent, resolution_code="fixed", note="Done")
    client.force_login(integrator_agent)
    assert post(client, fresh(ticket), "close").status_code == 302
    assert fresh(ticket).status == Status.CLOSED
    refused = post(client, fresh(ticket), "reopen", reason="")
    assert "Give a reason." in refused.content.decode()
    assert post(client, fresh(ticket), "reopen", reason="Still there").status_code == 302
    assert fresh(ticket).status == Status.IN_PROGRESS


def test_notes_are_public_or_internal(client, world, integrator_agent):
    ticket = world.ticket()
    client.force_login(integrator_agent)
    response = post(client, ticket, "note", body="Crew booked", visibility="internal")
    assert "Internal note added." in success_message(client, response)
    post(client, fresh(ticket), "note", body="We will fix it this week", visibility="public")
    notes = fresh(ticket).events.filter(kind=TicketEvent.Kind.NOTE).order_by("sequence")
    assert [(n.new["body"], n.public) for n in notes] == [
        ("Crew booked", False),
        ("We will fix it this week", True),
    ]


def test_linking_to_a_problem_and_marking_a_duplicate(client, world, integrator_agent):
    ticket, other = world.ticket(), world.ticket()
    problem = make_ticket(service=world.sla.laptops, type=TicketType.PROBLEM, at=world.opened_at)
    client.force_login(integrator_agent)
    not_problem = post(client, ticket, "link", kind="problem", reference=other.reference)
    assert "is not a problem" in not_problem.content.decode()
    unknown = post(client, ticket, "link", kind="problem", reference="PRB-999999")
    assert "There is no ticket PRB-999999 that you can see." in unknown.content.decode()
    linked = post(client, ticket, "link", kind="problem", reference=problem.reference)
    assert linked.status_code == 302
    assert TicketLink.objects.filter(from_ticket=ticket, to_ticket=problem).exists()
    response = post(client, fresh(ticket), "duplicate", reference=other.reference, reason="Same")
    assert f"duplicate of {other.reference}" in success_message(client, response)
    assert fresh(ticket).status == Status.CLOSED


def test_raising_and_clearing_a_major_incident(client, world, integrator_agent):
    ticket = world.ticket()
    client.force_login(integrator_agent)
    assert "Raise a major incident" in client.get(action(ticket, "major-incident")).content.decode()
    assert post(client, ticket, "major-incident", reason="Road closed").status_code == 302
    assert fresh(ticket).major_incident
    page = client.get(action(ticket, "major-incident")).content.decode()
    assert "Clear the major incident" in page
    assert post(client, fresh(ticket), "major-incident", reason="Reopened").status_code == 302
    assert not fresh(ticket).major_incident


def test_cancelling_needs_a_reason(client, world, integrator_agent):
    ticket = world.ticket()
    client.force_login(integrator_agent)
    assert post(client, ticket, "cancel", reason="").status_code == 200
    assert fresh(ticket).status == Status.ASSIGNED
    assert post(client, ticket, "cancel", reason="Logged twice").status_code == 302
    assert fresh(ticket).status == Status.CANCELLED


# --- A stale form -------------------------------------------------------------------------------


def test_a_stale_form_is_refused_showing_what_changed_and_keeping_the_input(
    client, world, integrator_agent, supplier_a_agent
):
    ticket = world.ticket()
    rendered_at = ticket.version
    ticket_acknowledge(ticket=ticket, actor=supplier_a_agent)
    ticket_add_note(ticket=ticket, actor=supplier_a_agent, body="On site at 3pm", public=False)
    client.force_login(integrator_agent)
    response = client.post(
        action(ticket, "note"),
        {"version": rendered_at, "body": "Please call the resident", "visibility": "public"},
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "Someone else changed this ticket since you loaded it" in text
    assert "What changed since you opened this form" in text
    assert "Acknowledged" in text and "On site at 3pm" in text
    assert "Please call the resident" in text  # nothing lost
    current = fresh(ticket).version
    assert f'name="version" value="{current}"' in text
    assert not fresh(ticket).events.filter(new__body="Please call the resident").exists()
    # Sent again, at the version now shown, it goes through.
    again = client.post(
        action(ticket, "note"),
        {"version": current, "body": "Please call the resident", "visibility": "public"},
    )
    assert again.status_code == 302
    assert fresh(ticket).events.filter(new__body="Please call the resident").exists()
