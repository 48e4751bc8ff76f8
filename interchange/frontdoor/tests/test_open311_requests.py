"""GET requests and requests/{id}: the specification's filters and limits, the mapping from
tickets, paging, extensions, and the public attachments media_url points at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from interchange.catalogue.models import Service
from interchange.core.priorities import Level
from interchange.frontdoor.open311 import views
from interchange.frontdoor.tests import open311_shapes as shapes
from interchange.frontdoor.tests.open311_world import (
    build_world,
    jpeg_with_location,
    media_in,
    report,
)
from interchange.servicedesk.actors import System
from interchange.servicedesk.models import (
    Channel,
    ClockKind,
    ClockState,
    ResolutionCode,
    Ticket,
    TicketClock,
    TicketType,
)
from interchange.servicedesk.services import (
    ticket_add_note,
    ticket_attach,
    ticket_open,
    ticket_resolve,
    ticket_start,
    ticket_wait,
)

pytestmark = pytest.mark.django_db
SYSTEM = System()


@pytest.fixture
def world(administrator, supplier_a, settings, tmp_path):
    media_in(settings, tmp_path)
    return build_world(administrator, supplier_a)


def open_ticket(service: Service, *, days_ago: float = 1, **fields) -> Ticket:
    fields.setdefault("title", f"{service.name} report")
    fields.setdefault("description", "Seen on the way to work")
    return ticket_open(
        actor=SYSTEM,
        type=fields.pop("type", TicketType.INCIDENT),
        service=service,
        channel=Channel.WEB,
        impact=Level.MEDIUM,
        urgency=Level.MEDIUM,
        at=timezone.now() - timedelta(days=days_ago),
        **fields,
    ).ticket


def listed(client, fmt="json", **params):
    response = client.get(f"/open311/v2/requests.{fmt}", params)
    assert response.status_code == 200, response.content
    if fmt == "json":
        return shapes.requests_json(response.json())
    return shapes.requests_xml(response.content)


def ids(items):
    return [item["service_request_id"] for item in items]


# --- The mapping ------------------------------------------------------------------------


def test_a_request_maps_the_ticket_in_both_formats(client, world, settings):
    ticket = open_ticket(
        world.pothole,
        latitude=51.4545,
        longitude=-2.5879,
        address="12 Harbour Road",
        address_id="100012",
        answers={"depth": "deep"},
    )
    (xml,) = listed(client, "xml")
    (data,) = listed(client, "json")
    assert xml["service_request_id"] == data["service_request_id"] == ticket.reference
    assert xml["status"] == data["status"] == "open"
    assert data["service_code"] == "pothole" and data["service_name"] == "Pothole"
    assert data["agency_responsible"] == "Streetwise Roads"  # the holder's public name
    assert data["service_notice"] == world.pothole.notice
    assert data["description"] == "Seen on the way to work"
    assert (data["lat"], data["long"]) == (51.4545, -2.5879)
    assert (xml["lat"], xml["long"]) == ("51.4545", "-2.5879")
    assert data["address"] == "12 Harbour Road" and data["address_id"] == "100012"
    assert data["status_notes"] is None and xml["status_notes"] == ""
    assert data["media_url"] is None
    assert data["expected_datetime"] is None  # the clocks have not measured it yet
    assert data["requested_datetime"].endswith(("+00:00", "+01:00"))
    assert "reporter" not in str(data) and "rita" not in str(data).lower()


def test_the_expected_date_is_the_running_resolution_clocks_deadline(client, world):
    ticket = open_ticket(world.pothole)
    deadline = timezone.now().replace(microsecond=0) + timedelta(days=3)
    clock = TicketClock.objects.create(
        ticket=ticket,
        clock=ClockKind.RESOLUTION,
        state=ClockState.RUNNING,
        elapsed=timedelta(hours=1),
        paused=timedelta(0),
        target=timedelta(days=5),
        deadline=deadline,
        measured_at=timezone.now(),
    )
    TicketClock.objects.create(
        ticket=ticket,
        clock=ClockKind.RESPONSE,
        state=ClockState.RUNNING,
        elapsed=timedelta(hours=1),
        paused=timedelta(0),
        deadline=deadline - timedelta(days=2),
        measured_at=timezone.now(),
    )
    (xml,) = listed(client, "xml")
    (data,) = listed(client)
    assert parse_datetime(xml["expected_datetime"]) == deadline
    assert parse_datetime(data["expected_datetime"]) == deadline
    # Waiting, the clock is paused and promises no date.
    TicketClock.objects.filter(pk=clock.pk).update(state=ClockState.PAUSED, deadline=None)
    assert listed(client)[0]["expected_datetime"] is None


def test_the_desk_is_the_council_by_name(client, world, settings):
    settings.COUNCIL_NAME = "Harbourside City Council"
    open_ticket(world.graffiti)
    assert listed(client)[0]["agency_responsible"] == "Harbourside City Council"


def test_status_notes_are_the_latest_public_words_and_closed_follows_resolution(client, world):
    ticket = open_ticket(world.pothole)
    ticket_add_note(ticket=ticket, actor=SYSTEM, body="Inspector booked", public=True)
    ticket_add_note(ticket=ticket, actor=SYSTEM, body="Internal: cones needed", public=False)
    assert listed(client)[0]["status_notes"] == "Inspector booked"
    ticket_resolve(
        ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, note="Filled today"
    )
    (item,) = listed(client)
    assert item["status"] == "closed" and item["status_notes"] == "Filled today"


def test_media_url_is_the_first_public_attachment_served_here(client, world):
    ticket = open_ticket(world.pothole)
    ticket_attach(ticket=ticket, actor=SYSTEM, name="private.jpg", data=jpeg_with_location())
    first = ticket_attach(
        ticket=ticket, actor=SYSTEM, name="first.jpg", data=jpeg_with_location(), public=True
    )
    ticket_attach(
        ticket=ticket, actor=SYSTEM, name="second.jpg", data=jpeg_with_location(), public=True
    )
    (item,) = listed(client)
    assert item["media_url"] == f"http://testserver/open311/v2/media/{first.pk}"
    photo = client.get(item["media_url"])
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"
    assert photo["X-Content-Type-Options"] == "nosniff"
    assert photo["Content-Disposition"].startswith("inline")
    assert b"".join(photo.streaming_content) == first.file.open("rb").read()


def test_a_document_is_served_as_a_download_and_private_files_not_at_all(client, world):
    ticket = open_ticket(world.pothole)
    text = ticket_attach(ticket=ticket, actor=SYSTEM, name="notes.txt", data=b"hi", public=True)
    private = ticket_attach(ticket=ticket, actor=SYSTEM, name="p.txt", data=b"secret")
    response = client.get(f"/open311/v2/media/{text.pk}")
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/open311/v2/media/{private.pk}").status_code == 404
    hidden = open_ticket(world.laptop)
    staff_only = ticket_attach(ticket=hidden, actor=SYSTEM, name="x.txt", data=b"x", public=True)
    assert client.get(f"/open311/v2/media/{staff_only.pk}").status_code == 404
    assert client.get("/open311/v2/media/999999").status_code == 404


def test_a_clients_own_photo_url_is_given_when_there_is_no_attachment(client, world):
    client.post(
        "/open311/v2/requests.json",
        report(world, media_url="https://fms.example/photo/1.jpeg"),
    )
    assert listed(client)[0]["media_url"] == "https://fms.example/photo/1.jpeg"


# --- Which requests -----------------------------------------------------------------------


def test_newest_first_and_only_services_offered_through_open311(client, world):
    older = open_ticket(world.pothole, days_ago=3)
    newer = open_ticket(world.graffiti, days_ago=2)
    open_ticket(world.laptop, days_ago=1)
    assert ids(listed(client)) == [newer.reference, older.reference]


def test_the_default_window_is_90_days(client, world):
    recent = open_ticket(world.pothole, days_ago=89)
    open_ticket(world.pothole, days_ago=91)
    assert ids(listed(client)) == [recent.reference]


def test_service_request_ids_override_every_other_parameter(client, world):
    old = open_ticket(world.pothole, days_ago=200)
    new = open_ticket(world.graffiti)
    hidden = open_ticket(world.laptop)
    found = listed(
        client,
        service_request_id=f"{old.reference},{new.pk}, {hidden.reference},REQ-{new.pk},junk",
        service_code="nonsense",
        status="sideways",
        start_date="not a date",
    )
    assert ids(found) == [new.reference, old.reference]
    xml = listed(client, "xml", service_request_id=old.reference)
    assert ids(xml) == [old.reference]


def test_service_codes_filter_and_unknown_codes_are_an_error(client, world):
    pothole = open_ticket(world.pothole)
    graffiti = open_ticket(world.graffiti)
    assert ids(listed(client, service_code="pothole")) == [pothole.reference]
    assert ids(listed(client, service_code="pothole,graffiti")) == [
        graffiti.reference,
        pothole.reference,
    ]
    response = client.get("/open311/v2/requests.json", {"service_code": "pothole,laptop"})
    assert response.status_code == 400
    assert shapes.errors_json(response.json()) == [
        (400, "service_code: There is no service with code laptop.")
    ]


def test_status_filters_open_and_closed(client, world):
    still_open = open_ticket(world.pothole)
    done = open_ticket(world.pothole)
    ticket_resolve(ticket=done, actor=SYSTEM, resolution_code=ResolutionCode.FIXED)
    assert ids(listed(client, status="open")) == [still_open.reference]
    assert ids(listed(client, status="closed")) == [done.reference]
    assert len(listed(client, status="open,closed")) == 2


def test_dates_filter_the_requested_time(client, world):
    a = open_ticket(world.pothole, days_ago=30)
    b = open_ticket(world.pothole, days_ago=10)
    now = timezone.now()
    start = (now - timedelta(days=20)).isoformat()
    assert ids(listed(client, start_date=start)) == [b.reference]
    end = (now - timedelta(days=20)).isoformat()
    assert ids(listed(client, end_date=end)) == [a.reference]
    both = listed(
        client,
        start_date=(now - timedelta(days=40)).isoformat(),
        end_date=(now - timedelta(days=5)).isoformat(),
    )
    assert ids(both) == [b.reference, a.reference]


def test_an_unencoded_plus_in_an_offset_is_understood(client, world):
    ticket = open_ticket(world.pothole, days_ago=1)
    start = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    response = client.get(f"/open311/v2/requests.json?start_date={start}")
    assert ids(shapes.requests_json(response.json())) == [ticket.reference]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"start_date": "yesterday"}, "start_date: start_date must be an ISO 8601"),
        ({"end_date": "2026-13-45"}, "end_date: end_date must be an ISO 8601"),
        (
            {"start_date": "2026-03-10T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"},
            "end_date must not be before start_date",
        ),
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"},
            "at most 90 days apart",
        ),
        ({"status": "pending"}, "status must be open or closed"),
        ({"page_size": "0"}, "page_size must be from 1 to 500"),
        ({"page_size": "501"}, "page_size must be from 1 to 500"),
        ({"page": "0"}, "page must be at least 1"),
        ({"page": "two"}, "page must be a whole number"),
        ({"page": "²"}, "page must be a whole number"),
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_parameters_are_a_400_error_document(client, world, params, fragment, fmt):
    response = client.get(f"/open311/v2/requests.{fmt}", params)
    assert response.status_code == 400
    problems = (
        shapes.errors_xml(response.content) if fmt == "xml" else shapes.errors_json(response.json())
    )
    assert any(fragment in text for _, text in problems), problems


def test_all_bad_parameters_are_listed_at_once(client, world):
    response = client.get(
        "/open311/v2/requests.json",
        {"start_date": "x", "status": "pending", "page_size": "0", "service_code": "volcano"},
    )
    names = sorted(text.split(":")[0] for _, text in shapes.errors_json(response.json()))
    assert names == ["page_size", "service_code", "start_date", "status"]


def test_a_thousand_is_the_most_without_paging(client, world, monkeypatch):
    monkeypatch.setattr(views, "MAX_RESULTS", 3)
    made = [open_ticket(world.pothole, days_ago=5 - n) for n in range(5)]
    assert ids(listed(client)) == [t.reference for t in reversed(made)][:3]


def test_paging_is_used_only_when_asked_and_links_to_the_next_page(client, world):
    made = [open_ticket(world.pothole, days_ago=10 - n) for n in range(5)]
    newest_first = [t.reference for t in reversed(made)]
    response = client.get("/open311/v2/requests.json", {"page_size": "2"})
    assert ids(response.json()) == newest_first[:2]
    assert response["Link"] == (
        '<http://testserver/open311/v2/requests.json?page_size=2&page=2>; rel="next"'
    )
    second = client.get("/open311/v2/requests.json", {"page_size": "2", "page": "2"})
    assert ids(second.json()) == newest_first[2:4]
    last = client.get("/open311/v2/requests.xml", {"page_size": "2", "page": "3"})
    assert ids(shapes.requests_xml(last.content)) == newest_first[4:]
    assert "Link" not in last
    assert len(listed(client, page="1")) == 5  # page_size defaults to 50


def test_an_empty_list_is_an_empty_document(client, world):
    response = client.get("/open311/v2/requests.xml")
    assert shapes.requests_xml(response.content) == []
    assert response.content.decode().endswith("<service_requests />")
    assert client.get("/open311/v2/requests.json").json() == []


@pytest.mark.parametrize("extensions", ["false", "true"])
def test_the_list_costs_the_same_queries_for_few_or_many(
    client, world, django_assert_num_queries, extensions
):
    for _ in range(2):
        open_ticket(world.pothole)
    # The rate limit's counter; the tickets with all they show, their expected dates; with
    # extensions, their notes, questions and choices.
    with django_assert_num_queries(6 if extensions == "true" else 3) as few:
        client.get("/open311/v2/requests.json", {"extensions": extensions})
    for _ in range(6):
        ticket = open_ticket(world.graffiti)
        ticket_add_note(ticket=ticket, actor=SYSTEM, body="Seen", public=True)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/open311/v2/requests.json", {"extensions": extensions})


# --- One request --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_one_request_by_reference_or_number(client, world, fmt):
    ticket = open_ticket(world.pothole)
    for reference in (ticket.reference, str(ticket.pk), ticket.reference.lower()):
        response = client.get(f"/open311/v2/requests/{reference}.{fmt}")
        assert response.status_code == 200
        found = (
            shapes.requests_xml(response.content)
            if fmt == "xml"
            else shapes.requests_json(response.json())
        )
        assert ids(found) == [ticket.reference]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_unknown_or_hidden_request_is_a_404_error_document(client, world, fmt):
    ticket = open_ticket(world.pothole)
    hidden = open_ticket(world.laptop)
    for reference in (f"REQ-{ticket.pk:06d}", hidden.reference, "INC-999999", "nonsense"):
        response = client.get(f"/open311/v2/requests/{reference}.{fmt}")
        assert response.status_code == 404
        problems = (
            shapes.errors_xml(response.content)
            if fmt == "xml"
            else shapes.errors_json(response.json())
        )
        assert str(problems[0][0]) == "404"
        assert reference in problems[0][1]


def test_extensions_add_attributes_and_public_notes(client, world):
    ticket = open_ticket(world.pothole, answers={"depth": "deep", "hazards": ["school", "bus"]})
    ticket_add_note(ticket=ticket, actor=SYSTEM, body="Inspector booked", public=True)
    ticket_add_note(ticket=ticket, actor=SYSTEM, body="Internal only", public=False)
    ticket_start(ticket=ticket, actor=SYSTEM)
    ticket_wait(ticket=ticket, actor=SYSTEM, on="resident", reason="Which side of the road?")
    (data,) = shapes.requests_json(
        client.get(f"/open311/v2/requests/{ticket.reference}.json?extensions=true").json()
    )
    assert data["attributes"] == [
        {"label": "How deep is it?", "name": "depth", "code": "deep", "value": "5cm or more"},
        {"label": "What is near it?", "name": "hazards", "code": "school", "value": "A school"},
        {"label": "What is near it?", "name": "hazards", "code": "bus", "value": "A bus stop"},
    ]
    descriptions = [note["description"] for note in data["notes"]]
    assert "Inspector booked" in descriptions and "Which side of the road?" in descriptions
    assert "Internal only" not in descriptions
    assert data["notes"][0]["type"] == "opened"
    (xml,) = shapes.requests_xml(
        client.get(f"/open311/v2/requests/{ticket.reference}.xml?extensions=true").content
    )
    assert [a["code"] for a in xml["attributes"]] == ["deep", "school", "bus"]
    assert len(xml["notes"]) == len(data["notes"])
    plain = client.get(f"/open311/v2/requests/{ticket.reference}.json").json()[0]
    assert "notes" not in plain and "attributes" not in plain


# --- Callers ----------------------------------------------------------------------------


def test_a_client_key_sees_what_the_public_sees_and_a_bad_key_is_refused(client, world):
    ticket = open_ticket(world.pothole)
    assert ids(listed(client, api_key=world.secret)) == [ticket.reference]
    assert client.get("/open311/v2/requests.json", {"api_key": "bad"}).status_code == 403
    response = client.get("/open311/v2/requests.xml", {"api_key": world.supplier_secret})
    assert response.status_code == 403
    assert shapes.errors_xml(response.content)[0][0] == "403"
