"""mySociety's servicerequestupdates: public changes going out with FixMyStreet's statuses,
residents' updates coming in, both by the one status table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from interchange.core.models import IdempotencyKey
from interchange.frontdoor.open311 import statuses
from interchange.frontdoor.open311.statuses import TABLE, Inbound, incoming, outgoing
from interchange.frontdoor.tests import open311_shapes as shapes
from interchange.frontdoor.tests.open311_world import JURISDICTION, build_world, media_in, report
from interchange.servicedesk.actors import System
from interchange.servicedesk.models import ResolutionCode, Status, Ticket, TicketEvent
from interchange.servicedesk.services import (
    ticket_acknowledge,
    ticket_add_note,
    ticket_attach,
    ticket_cancel,
    ticket_close,
    ticket_mark_duplicate,
    ticket_resolve,
    ticket_resume,
    ticket_start,
    ticket_wait,
)

pytestmark = pytest.mark.django_db
SYSTEM = System()
URL = "/open311/v2/servicerequestupdates.{fmt}"


@pytest.fixture
def world(administrator, supplier_a, settings, tmp_path):
    media_in(settings, tmp_path)
    return build_world(administrator, supplier_a)


@pytest.fixture
def ticket(client, world):
    response = client.post("/open311/v2/requests.xml", report(world))
    assert response.status_code == 201
    return Ticket.objects.get()


def feed(client, fmt="xml", **params):
    response = client.get(URL.format(fmt=fmt), {"jurisdiction_id": JURISDICTION, **params})
    assert response.status_code == 200, response.content
    if fmt == "xml":
        return shapes.updates_xml(response.content)
    return shapes.updates_json(response.json())


def update(world, ticket, **fields):
    body = {
        "jurisdiction_id": JURISDICTION,
        "api_key": world.secret,
        "service_request_id": ticket.reference,
        "update_id": "456",
        "status": "OPEN",
        "updated_datetime": timezone.now().isoformat(),
        "description": "Still there this morning",
        "first_name": "Jo",
        "last_name": "Bloggs",
        "email": "jo@example.org",
        "title": "MS",
        "email_alerts_requested": "FALSE",
        "service_code": "pothole",
    }
    body.update(fields)
    return {name: value for name, value in body.items() if value is not None}


# --- The table ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "resolution", "acknowledged", "expected"),
    [
        (Status.NEW, "", False, "open"),
        (Status.ASSIGNED, "", False, "open"),
        (Status.ASSIGNED, "", True, "investigating"),
        (Status.WAITING_RESIDENT, "", True, "investigating"),
        (Status.IN_PROGRESS, "", True, "in_progress"),
        (Status.WAITING_THIRD_PARTY, "", True, "action_scheduled"),
        (Status.RESOLVED, ResolutionCode.FIXED, True, "fixed"),
        (Status.CLOSED, ResolutionCode.WORKAROUND, True, "fixed"),
        (Status.RESOLVED, ResolutionCode.REQUEST_FULFILLED, True, "fixed"),
        (Status.CLOSED, ResolutionCode.DUPLICATE, True, "duplicate"),
        (Status.RESOLVED, ResolutionCode.NOT_COUNCIL, True, "not_councils_responsibility"),
        (Status.RESOLVED, ResolutionCode.NO_FURTHER_ACTION, True, "no_further_action"),
        (Status.CLOSED, ResolutionCode.NO_FAULT_FOUND, True, "no_further_action"),
        (Status.CLOSED, "", True, "closed"),
        (Status.CANCELLED, "", False, "closed"),
    ],
)
def test_every_state_goes_out_as_one_fixmystreet_status(status, resolution, acknowledged, expected):
    assert outgoing(status, resolution_code=resolution, acknowledged=acknowledged) == expected


def test_every_ticket_state_and_resolution_has_a_status_going_out():
    for status in Status:
        for code in ["", *ResolutionCode.values]:
            for acknowledged in (False, True):
                assert outgoing(status, resolution_code=code, acknowledged=acknowledged) in {
                    row.status for row in TABLE
                }


@pytest.mark.parametrize(
    ("sent", "does"),
    [
        ("OPEN", Inbound.REOPEN),
        ("REOPEN", Inbound.REOPEN),
        ("open", Inbound.REOPEN),
        ("FIXED", Inbound.NOTE),
        ("CLOSED", Inbound.NOTE),
        ("IN_PROGRESS", Inbound.NOTE),
        ("ACTION_SCHEDULED", Inbound.NOTE),
        ("INVESTIGATING", Inbound.NOTE),
        ("DUPLICATE", Inbound.NOTE),
        ("NOT_COUNCILS_RESPONSIBILITY", Inbound.NOTE),
        ("NO_FURTHER_ACTION", Inbound.NOTE),
        ("INTERNAL_REFERRAL", Inbound.NOTE),
        ("SIDEWAYS", None),
    ],
)
def test_every_fixmystreet_status_coming_in_does_one_thing(sent, does):
    assert incoming(sent) == does


def test_the_table_names_every_status_fixmystreet_sends():
    sent = {
        "open",
        "closed",
        "fixed",
        "in_progress",
        "action_scheduled",
        "investigating",
        "duplicate",
        "not_councils_responsibility",
        "no_further_action",
        "internal_referral",
    }
    assert sent <= set(statuses.INBOUND)


# --- Going out --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_public_changes_go_out_in_order_with_their_statuses(client, world, ticket, fmt):
    ticket_acknowledge(ticket=ticket, actor=SYSTEM)
    ticket_add_note(ticket=ticket, actor=SYSTEM, body="Internal: cones", public=False)
    ticket_start(ticket=ticket, actor=SYSTEM)
    ticket_wait(ticket=ticket, actor=SYSTEM, on="third_party", reason="Gas board first")
    ticket_add_note(ticket=ticket, actor=SYSTEM, body="Booked in while we wait", public=True)
    ticket_resume(ticket=ticket, actor=SYSTEM)
    ticket_add_note(ticket=ticket, actor=SYSTEM, body="Booked for Tuesday", public=True)
    ticket_resolve(ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, note="Filled")
    found = feed(client, fmt)
    # The wait on a third party is not public; a public note during it shows where it stands.
    assert [(u["status"], u["description"]) for u in found] == [
        ("investigating", ""),
        ("in_progress", ""),
        ("action_scheduled", "Booked in while we wait"),
        ("in_progress", ""),
        ("in_progress", "Booked for Tuesday"),
        ("fixed", "Filled"),
    ]
    assert {u["service_request_id"] for u in found} == {ticket.reference}
    assert all(u["external_status_code"] for u in found)
    events = TicketEvent.objects.filter(public=True).exclude(kind="opened").order_by("at", "id")
    assert [u["update_id"] for u in found] == [str(e.pk) for e in events]


def test_closing_and_duplicates_and_cancelling_go_out(client, world, ticket):
    ticket_resolve(ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.NOT_COUNCIL)
    ticket_close(ticket=ticket, actor=SYSTEM)
    second = posted(client, world, "Same pothole")
    third = posted(client, world, "Another one")
    ticket_mark_duplicate(ticket=second, actor=SYSTEM, master=third, reason="Same one")
    ticket_cancel(ticket=third, actor=SYSTEM, reason="Reported twice by mistake")
    found = [(u["service_request_id"], u["status"]) for u in feed(client, "json")]
    assert found == [
        (ticket.reference, "not_councils_responsibility"),
        (ticket.reference, "not_councils_responsibility"),
        (second.reference, "duplicate"),
        (third.reference, "closed"),
    ]


def posted(client, world, description):
    client.post("/open311/v2/requests.json", report(world, description=description))
    return Ticket.objects.latest("pk")


def test_a_public_photo_goes_out_with_its_url(client, world, ticket):
    attachment = ticket_attach(
        ticket=ticket, actor=SYSTEM, name="after.txt", data=b"done", public=True
    )
    (item,) = feed(client, "json")
    assert item["media_url"] == f"http://testserver/open311/v2/media/{attachment.pk}"


def test_the_window_defaults_to_a_day_and_follows_the_dates(client, world, ticket):
    ticket_add_note(ticket=ticket, actor=SYSTEM, body="Today", public=True)
    assert len(feed(client)) == 1
    now = timezone.now()
    assert feed(client, start_date=(now + timedelta(minutes=1)).isoformat()) == []
    two_hours = feed(
        client,
        start_date=(now - timedelta(hours=2)).isoformat(),
        end_date=(now + timedelta(minutes=1)).isoformat(),
    )
    assert [u["description"] for u in two_hours] == ["Today"]
    TicketEvent.objects.filter(kind="note").update(at=now - timedelta(days=2))
    assert feed(client) == []


def test_bad_dates_are_a_400(client, world):
    response = client.get(URL.format(fmt="xml"), {"start_date": "soon"})
    assert response.status_code == 400
    assert shapes.errors_xml(response.content)[0][0] == "400"


def test_updates_of_services_not_offered_stay_private(client, world):
    from interchange.servicedesk.tests.factories import make_ticket

    hidden = make_ticket(service=world.laptop, at=timezone.now() - timedelta(minutes=5))
    ticket_add_note(ticket=hidden, actor=SYSTEM, body="Laptop fixed", public=True)
    assert feed(client, "json") == []


def test_the_update_feed_pages_when_asked(client, world, ticket):
    for n in range(3):
        ticket_add_note(ticket=ticket, actor=SYSTEM, body=f"Note {n}", public=True)
    response = client.get(URL.format(fmt="json"), {"page_size": "2"})
    assert [u["description"] for u in response.json()] == ["Note 0", "Note 1"]
    assert 'rel="next"' in response["Link"]
    second = client.get(URL.format(fmt="json"), {"page_size": "2", "page": "2"})
    assert [u["description"] for u in second.json()] == ["Note 2"]


# --- Coming in ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_comment_on_an_open_report_is_a_public_note(client, world, ticket, fmt):
    response = client.post(URL.format(fmt=fmt), update(world, ticket, status="IN_PROGRESS"))
    assert response.status_code == 201, response.content
    update_id = (
        shapes.update_received_xml(response.content)
        if fmt == "xml"
        else shapes.update_received_json(response.json())
    )
    event = TicketEvent.objects.get(pk=update_id)
    assert event.kind == TicketEvent.Kind.NOTE and event.public
    assert event.new["body"] == "Still there this morning"
    assert event.actor_label == "FixMyStreet"
    assert "Bloggs" not in str(event.new) and "jo@example.org" not in str(event.new)
    # It comes back in the feed with the id the client was given, so it is not shown twice.
    assert update_id in [u["update_id"] for u in feed(client)]


def test_open_on_a_resolved_report_reopens_it(client, world, ticket):
    ticket_resolve(ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.FIXED)
    response = client.post(URL.format(fmt="xml"), update(world, ticket, status="OPEN"))
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    event = TicketEvent.objects.get(pk=shapes.update_received_xml(response.content))
    assert event.kind == TicketEvent.Kind.REOPENED and event.reason == "Still there this morning"


def test_open_on_a_report_closed_too_long_ago_is_a_note(client, world, ticket, settings):
    ticket_resolve(ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.FIXED)
    ticket_close(ticket=ticket, actor=SYSTEM)
    Ticket.objects.filter(pk=ticket.pk).update(
        closed_at=timezone.now() - timedelta(days=settings.TICKET_REOPEN_WINDOW_DAYS + 1)
    )
    response = client.post(URL.format(fmt="xml"), update(world, ticket, status="OPEN"))
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert TicketEvent.objects.get(pk=shapes.update_received_xml(response.content)).kind == "note"


def test_fixed_from_a_resident_is_a_note_not_a_resolution(client, world, ticket):
    response = client.post(URL.format(fmt="json"), update(world, ticket, status="FIXED"))
    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED


def test_a_photo_the_client_holds_is_linked_from_the_note(client, world, ticket):
    body = update(world, ticket, media_url="https://fms.example/c/456.0.full.jpeg")
    response = client.post(URL.format(fmt="json"), body)
    event = TicketEvent.objects.get(pk=response.json()[0]["update_id"])
    assert "https://fms.example/c/456.0.full.jpeg" in event.new["body"]


def test_the_same_update_sent_again_is_taken_once_however_late(client, world, ticket):
    first = client.post(URL.format(fmt="xml"), update(world, ticket))
    later = client.post(
        URL.format(fmt="xml"), update(world, ticket, updated_datetime="2030-01-01T00:00:00Z")
    )
    assert later.content == first.content
    assert TicketEvent.objects.filter(kind="note").count() == 1
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert client.post(URL.format(fmt="xml"), update(world, ticket)).content == first.content
    assert TicketEvent.objects.filter(kind="note").count() == 1
    client.post(URL.format(fmt="xml"), update(world, ticket, update_id="457"))
    assert TicketEvent.objects.filter(kind="note").count() == 2


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"service_request_id": None}, "service_request_id:"),
        ({"update_id": None}, "update_id:"),
        ({"status": None}, "status:"),
        ({"status": "SIDEWAYS"}, "status: SIDEWAYS is not a status"),
        ({"description": None}, "description:"),
        ({"media_url": "not a url"}, "media_url:"),
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_bad_update_is_a_400_and_changes_nothing(client, world, ticket, fields, fragment, fmt):
    before = (TicketEvent.objects.count(), Ticket.objects.get().version)
    response = client.post(URL.format(fmt=fmt), update(world, ticket, **fields))
    assert response.status_code == 400
    problems = (
        shapes.errors_xml(response.content) if fmt == "xml" else shapes.errors_json(response.json())
    )
    assert any(fragment in text for _, text in problems), problems
    assert (TicketEvent.objects.count(), Ticket.objects.get().version) == before


def test_an_update_to_an_unknown_or_hidden_request_is_a_404(client, world, ticket):
    from interchange.servicedesk.tests.factories import make_ticket

    hidden = make_ticket(service=world.laptop, at=timezone.now() - timedelta(minutes=5))
    for reference in ("INC-999999", hidden.reference):
        response = client.post(
            URL.format(fmt="xml"), update(world, ticket, service_request_id=reference)
        )
        assert response.status_code == 404
        assert shapes.errors_xml(response.content)[0][0] == "404"
    assert hidden.events.count() == 1


def test_clients_post_updates_without_a_csrf_token(world, ticket):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(URL.format(fmt="xml"), update(world, ticket)).status_code == 201


def test_an_update_needs_a_client_key(client, world, ticket):
    before = TicketEvent.objects.count()
    for key in (None, "nonsense", world.supplier_secret):
        response = client.post(URL.format(fmt="xml"), update(world, ticket, api_key=key))
        assert response.status_code == 403
    assert TicketEvent.objects.count() == before
