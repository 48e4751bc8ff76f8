"""The ticket page: who may see it, what each role sees, the timeline paged, attachments, and
a number of queries that does not grow with the ticket's history."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from PIL import Image

from interchange.servicedesk.models import TicketType
from interchange.servicedesk.services import ticket_add_note, ticket_attach, ticket_link
from interchange.servicedesk.tests.factories import make_ticket
from interchange.workspace.tests.ticket_world import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def url(ticket, name="workspace:ticket", *args):
    return reverse(name, args=[ticket.reference, *args])


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    ticket = world.ticket()
    response = client.get(url(ticket))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:sign-in"))


@pytest.mark.parametrize("who", ["governance_viewer", "supplier_b_agent"])
def test_people_who_may_not_see_the_ticket_get_not_found(client, world, who, request):
    ticket = world.ticket()
    client.force_login(request.getfixturevalue(who))
    for path in (url(ticket), url(ticket, "workspace:ticket-timeline")):
        assert client.get(path).status_code == 404


def test_a_reference_of_the_wrong_type_or_nonsense_is_not_found(client, world, integrator_agent):
    ticket = world.ticket()
    client.force_login(integrator_agent)
    assert client.get(f"/staff/tickets/REQ-{ticket.pk:06d}").status_code == 404
    assert client.get("/staff/tickets/not-a-reference").status_code == 404
    assert client.get(f"/staff/tickets/inc{ticket.pk}").status_code == 200


def test_the_integrator_sees_the_whole_ticket(client, world, integrator_agent):
    ticket = world.ticket()
    ticket_add_note(ticket=ticket, actor=integrator_agent, body="Checked the CCTV", public=False)
    client.force_login(integrator_agent)
    page = client.get(url(ticket)).content.decode()
    assert "Pothole outside number 12" in page
    # The reporter, to a role that may see personal data.
    assert "Rita Reporter" in page and "0117 496 0000" in page
    # Answers by question and choice label, not codes.
    assert "How deep is it?" in page and "5cm or more" in page
    # Where, in words and on a map.
    assert "12 High Street" in page and 'data-module="app-map"' in page
    # The clocks with the calendar that applies, and the holder's policy in the breakdown.
    assert "Business time left" in page and "Office hours" in page
    assert "Streetwise Roads Ltd" in page and "version 1" in page
    assert "Streetwise Roads Ltd's own targets" in page
    # Public and internal entries told apart in words.
    assert "Checked the CCTV" in page
    assert ">Internal</strong>" in page and ">Public</strong>" in page
    for action in ("assign", "priority", "override-priority", "major-incident", "cancel"):
        assert reverse("workspace:ticket-action", args=[ticket.reference, action]) in page


def test_a_commissioner_reads_the_ticket_without_personal_data_or_actions(
    client, world, commissioner
):
    ticket = world.ticket()
    client.force_login(commissioner)
    page = client.get(url(ticket)).content.decode()
    assert "Pothole outside number 12" in page
    assert "Rita Reporter" not in page and "0117 496 0000" not in page
    assert "not shown to your role" in page
    assert "You can read this ticket but not change it." in page


def test_the_holding_suppliers_agent_gets_its_actions_but_not_the_integrators(
    client, world, supplier_a_agent
):
    ticket = world.ticket()
    client.force_login(supplier_a_agent)
    page = client.get(url(ticket)).content.decode()
    assert "Rita Reporter" in page
    assert reverse("workspace:ticket-action", args=[ticket.reference, "acknowledge"]) in page
    assert reverse("workspace:ticket-action", args=[ticket.reference, "resolve"]) in page
    for action in ("priority", "override-priority", "major-incident"):
        assert reverse("workspace:ticket-action", args=[ticket.reference, action]) not in page


def test_a_supplier_that_held_the_ticket_before_reads_it_without_the_reporter(
    client, world, integrator_agent, supplier_a_agent
):
    from interchange.servicedesk.services import DESK, ticket_assign

    ticket = world.ticket()
    ticket_assign(ticket=ticket, actor=integrator_agent, holder=DESK, reason="Wrong supplier")
    client.force_login(supplier_a_agent)
    page = client.get(url(ticket)).content.decode()
    assert "Rita Reporter" not in page
    assert "You can read this ticket but not change it." in page


def test_links_name_the_other_ticket_and_its_title_only_where_visible(
    client, world, integrator_agent, supplier_a_agent
):
    ticket = world.ticket()
    problem = make_ticket(
        service=world.sla.laptops,
        type=TicketType.PROBLEM,
        title="Roads batch failure",
        at=world.opened_at,
    )
    ticket_link(ticket=ticket, actor=integrator_agent, to_ticket=problem, kind="problem")
    client.force_login(integrator_agent)
    page = client.get(url(ticket)).content.decode()
    assert "Caused by problem" in page and problem.reference in page
    assert "Roads batch failure" in page
    client.force_login(supplier_a_agent)
    page = client.get(url(ticket)).content.decode()
    assert problem.reference in page and "Roads batch failure" not in page


def test_the_timeline_is_paged_newest_first(client, world, integrator_agent):
    ticket = world.ticket()
    for n in range(60):
        ticket_add_note(
            ticket=ticket, actor=integrator_agent, body=f"Note number {n}", public=False
        )
    client.force_login(integrator_agent)
    page = client.get(url(ticket)).content.decode()
    assert "Note number 59" in page and "Note number 39" not in page
    assert page.index("Note number 59") < page.index("Note number 58")
    older = url(ticket, "workspace:ticket-timeline") + "?before=42"
    assert older in page
    second = client.get(older).content.decode()
    assert "Note number 39" in second and "Note number 40" not in second
    # htmx asks for the next entries alone, without the layout.
    fragment = client.get(older, headers={"HX-Request": "true"}).content.decode()
    assert "Note number 39" in fragment and "<html" not in fragment


def _page_queries(client, django_assert_num_queries, ticket, count):
    with django_assert_num_queries(count):
        response = client.get(url(ticket))
    assert response.status_code == 200


# Session, person, ticket, timeline page, the service's questions and their choices, attachments,
# links, the whole timeline for the clocks, deliveries. Reference data (SLA rules, supplier
# and policy names) is kept between requests.
QUERIES = 10


def test_the_page_costs_the_same_queries_however_long_the_history(
    client, world, integrator_agent, django_assert_num_queries
):
    short = world.ticket()
    long = world.ticket()
    for n in range(80):
        ticket_add_note(ticket=long, actor=integrator_agent, body=f"Note {n}", public=n % 2 == 0)
    client.force_login(integrator_agent)
    client.get(url(short))  # the first request loads the reference data later ones reuse
    _page_queries(client, django_assert_num_queries, short, QUERIES)
    _page_queries(client, django_assert_num_queries, long, QUERIES)


def test_a_supplier_agent_s_page_costs_the_same_queries(
    client, world, supplier_a_agent, django_assert_num_queries
):
    ticket = world.ticket()
    for n in range(30):
        ticket_add_note(ticket=ticket, actor=supplier_a_agent, body=f"Note {n}", public=False)
    client.force_login(supplier_a_agent)
    client.get(url(ticket))
    # One more, from the layout: the queues' navigation names the person's own supplier.
    _page_queries(client, django_assert_num_queries, ticket, QUERIES + 1)


def test_attachments_download_through_the_scoped_view(
    client, world, integrator_agent, supplier_b_agent, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    ticket = world.ticket()
    attachment = ticket_attach(
        ticket=ticket, actor=integrator_agent, name="photo.png", data=png(), public=False
    )
    link = url(ticket, "workspace:ticket-attachment", attachment.pk)
    client.force_login(integrator_agent)
    page = client.get(url(ticket)).content.decode()
    assert link in page and "photo.png" in page
    response = client.get(link)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.force_login(supplier_b_agent)
    assert client.get(link).status_code == 404
    client.logout()
    assert client.get(link).url.startswith(reverse("web:sign-in"))


def test_the_deliveries_to_supplier_systems_are_shown_and_open_in_the_exchange_pages(
    client, world, integrator_lead, supplier_a, supplier_a_agent
):
    from interchange.exchange.models import Delivery, EventType
    from interchange.exchange.services import endpoint_create
    from interchange.servicedesk.dispatch import dispatch_batch

    endpoint_create(
        actor=integrator_lead,
        supplier=supplier_a,
        url="https://desk.supplier-a.example/hooks",
        event_types=[str(EventType.ASSIGNED)],
        description="Supplier A's service desk",
        at=world.opened_at - timedelta(days=1),
    )
    ticket = world.ticket()  # routed to supplier A when opened
    dispatch_batch()
    delivery = Delivery.objects.get(ticket=ticket)
    detail = reverse("exchange:delivery", args=[supplier_a.code, delivery.pk])

    client.force_login(integrator_lead)
    page = client.get(url(ticket)).content.decode()
    assert "A ticket is assigned to the supplier" in page
    assert f'href="{detail}"' in page
    # A supplier's agent sees their own system's deliveries, without the administrators' pages.
    client.force_login(supplier_a_agent)
    page = client.get(url(ticket)).content.decode()
    assert "A ticket is assigned to the supplier" in page
    assert detail not in page
