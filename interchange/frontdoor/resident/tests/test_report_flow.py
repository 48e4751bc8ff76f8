"""Reporting a problem on the web, one question per page: each page, each rule, the check
page, and that nothing reaches the service desk until the resident sends it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from interchange.catalogue.models import Question
from interchange.core.models import IdempotencyKey
from interchange.frontdoor.resident import draft as drafts
from interchange.frontdoor.resident.tests.conftest import (
    GPS_IFD,
    HERE,
    north_of_here,
    open_report,
    photo_bytes,
)
from interchange.servicedesk.models import (
    Attachment,
    Channel,
    ContactPreference,
    Follower,
    Status,
    Ticket,
    TicketEvent,
)
from interchange.servicedesk.selectors import ticket_for_private_token

pytestmark = pytest.mark.django_db


def post(client, path: str, data: dict[str, Any] | None = None, **extra: Any):
    return client.post(path, data or {}, **extra)


def choose(client, service: str = "potholes"):
    return post(client, "/report/", {"service": service})


def say_where(client, **data: Any):
    data.setdefault("address", "Corn Street")
    return post(client, "/report/where", data)


def describe(client, **data: Any):
    data.setdefault("description", "A deep hole by the kerb")
    data.setdefault("answers-depth", "12")
    return post(client, "/report/details", data)


def no_photos(client):
    return post(client, "/report/photos", {"action": "continue"})


def give_contact(client, **data: Any):
    data.setdefault("contact", "email")
    data.setdefault("email", "rita@example.org")
    return post(client, "/report/contact", data)


def walk_to_check(client, **where: Any):
    choose(client)
    say_where(client, **where)
    describe(client)
    no_photos(client)
    response = give_contact(client)
    assert response.status_code == 302 and response.url == "/report/check"
    return response


def draft_of(client) -> drafts.Draft:
    draft = drafts.load(client.session)
    assert draft is not None
    return draft


def error_summary(response) -> str:
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html, "expected an error summary"
    return html


# --- Start and category ----------------------------------------------------------------------


def test_the_home_page_has_a_start_button_for_the_report(client):
    html = client.get("/").content.decode()
    assert 'href="/report/"' in html and "govuk-button--start" in html
    assert 'href="/track/"' in html


def test_the_category_page_groups_the_services_residents_may_report(client, world):
    html = client.get("/report/").content.decode()
    assert html.index("Roads and pavements") < html.index("Noise and nuisance")
    for name in ("Pothole", "Street light not working", "Noise from a neighbour"):
        assert name in html
    # Staff ICT services and withdrawn ones are not for residents.
    assert "Laptop broken" not in html and "Abandoned trolley" not in html
    assert 'id="id_service_0"' in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("pothole", ["Pothole"], ["Street light not working"]),
        ("LAMP", ["Street light not working"], ["Pothole"]),
        ("road surface", ["Pothole"], ["Noise from a neighbour"]),
    ],
)
def test_the_search_filters_by_name_and_keywords_on_the_server(client, world, query, shown, hidden):
    html = client.get("/report/", {"q": query}).content.decode()
    for name in shown:
        assert f">{name}</label>" in html
    for name in hidden:
        assert f">{name}</label>" not in html
    assert "Show every type of problem" in html


def test_a_search_that_matches_nothing_says_so(client, world):
    html = client.get("/report/", {"q": "unicorns"}).content.decode()
    assert "No types of problem match" in html and 'name="service"' not in html


def test_choosing_nothing_is_an_error_next_to_the_field_and_keeps_nothing(client, world):
    response = post(client, "/report/", {})
    html = error_summary(response)
    assert 'href="#id_service_0">Select the type of problem' in html
    assert 'id="id_service-error"' in html
    assert "<title>Error:" in html
    assert drafts.SESSION_KEY not in client.session


def test_an_unknown_or_staff_service_cannot_be_chosen(client, world):
    for code in ("laptops", "old-service", "nonsense"):
        error_summary(choose(client, code))


def test_a_later_page_without_a_report_in_progress_goes_back_to_the_start(client, world):
    for path in ("/report/where", "/report/details", "/report/photos", "/report/check"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == "/report/"


def test_pages_must_be_taken_in_order(client, world):
    choose(client)
    response = client.get("/report/check")
    assert response.url == "/report/where"


# --- Where ---------------------------------------------------------------------------------


def test_where_needs_words_or_a_point(client, world):
    choose(client)
    html = error_summary(say_where(client, address="", place=""))
    assert 'href="#id_address">Enter the address or postcode, or describe where' in html


@pytest.mark.parametrize(
    "data",
    [
        {"address": "BS1 1JQ", "place": ""},
        {"address": "", "place": "By the bus stop opposite the library"},
        {"address": "", "latitude": "51.4545", "longitude": "-2.5879"},
    ],
)
def test_an_address_a_description_or_a_point_each_will_do(client, world, data):
    choose(client)
    response = say_where(client, **data)
    assert response.status_code == 302 and response.url == "/report/details"


def test_a_point_off_the_earth_is_an_error(client, world):
    choose(client)
    html = error_summary(say_where(client, latitude="95", longitude="0"))
    assert "The place on the map could not be used" in html


def test_half_a_point_counts_as_none(client, world):
    choose(client)
    say_where(client, address="Corn Street", latitude="51.45")
    draft = draft_of(client)
    assert draft.latitude is None and draft.longitude is None


def test_the_map_is_hidden_until_javascript_shows_it(client, world):
    choose(client)
    html = client.get("/report/where").content.decode()
    assert 'data-module="app-location-picker" hidden' in html
    assert 'name="latitude"' in html and 'type="hidden"' in html
    assert "frontdoor/js/location-picker.js" in html


# --- Already reported ----------------------------------------------------------------------


def test_an_open_report_nearby_is_offered_before_the_questions(client, potholes):
    nearby = open_report(potholes, point=north_of_here(20)).ticket
    choose(client)
    response = say_where(client, latitude=str(HERE[0]), longitude=str(HERE[1]))
    assert response.url == "/report/already-reported"
    html = client.get("/report/already-reported").content.decode()
    assert nearby.reference in html and "About 20 metres away" in html


def test_nothing_nearby_goes_straight_to_the_questions(client, world):
    open_report(world["lights"], point=HERE)
    choose(client)
    response = say_where(client, latitude=str(HERE[0]), longitude=str(HERE[1]))
    assert response.url == "/report/details"


def test_saying_it_is_a_different_problem_goes_on(client, potholes):
    open_report(potholes, point=HERE)
    choose(client)
    say_where(client, latitude=str(HERE[0]), longitude=str(HERE[1]))
    error_summary(post(client, "/report/already-reported", {}))
    response = post(client, "/report/already-reported", {"report": "new"})
    assert response.url == "/report/details"


def test_following_a_nearby_report_instead_creates_no_ticket(client, potholes):
    nearby = open_report(potholes, point=HERE).ticket
    choose(client)
    say_where(client, latitude=str(HERE[0]), longitude=str(HERE[1]))
    response = post(client, "/report/already-reported", {"report": str(nearby.pk)})
    follow_url = f"/track/{nearby.reference}/follow?from=report"
    assert response.url == follow_url
    assert 'href="/report/already-reported"' in client.get(follow_url).content.decode()
    response = post(client, follow_url, {"email": "sam@example.org", "name": "Sam"})
    assert response.url == f"/track/{nearby.reference}"
    follower = Follower.objects.get()
    assert (follower.ticket, follower.email) == (nearby, "sam@example.org")
    assert Ticket.objects.count() == 1
    assert drafts.SESSION_KEY not in client.session


# --- Details -------------------------------------------------------------------------------


def test_the_details_page_asks_the_services_questions(client, potholes):
    potholes.notice = "Roadworks on Corn Street this week"
    potholes.save()
    choose(client)
    say_where(client)
    html = client.get("/report/details").content.decode()
    assert "Roadworks on Corn Street this week" in html
    assert "How deep is it, in centimetres?" in html
    assert "Where in the road is it? (optional)" in html


def test_details_errors_from_both_forms_are_listed_together(client, potholes):
    choose(client)
    say_where(client)
    html = error_summary(describe(client, description="", **{"answers-depth": ""}))
    assert 'href="#id_description">Describe the problem' in html
    assert 'href="#id_answers-depth">Enter how deep the pothole is' in html
    assert "<title>Error:" in html


def test_answers_are_kept_when_the_resident_comes_back(client, potholes):
    choose(client)
    say_where(client)
    describe(client, **{"answers-lane": "pavement"})
    html = client.get("/report/details?change=1").content.decode()
    assert "A deep hole by the kerb" in html and 'value="12"' in html
    assert 'value="pavement" checked' in html
    assert 'href="/report/check"' in html


# --- Photos --------------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "hole.jpg", action: str = "upload"):
    file = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post("/report/photos", {"photo": file, "action": action})


def to_photos(client):
    choose(client)
    say_where(client)
    describe(client)


def test_a_photo_is_held_without_its_location_and_shown_back(client, world):
    to_photos(client)
    response = upload(client, photo_bytes())
    assert response.status_code == 302 and response.url == "/report/photos"
    (held,) = draft_of(client).photos
    shown = client.get(f"/report/photos/{held['key']}")
    assert shown["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(shown.content)) as image:
        assert not image.getexif().get_ifd(GPS_IFD)
    assert f"/report/photos/{held['key']}" in client.get("/report/photos").content.decode()


def test_someone_elses_session_cannot_see_a_held_photo(client, world, resident_client):
    to_photos(client)
    upload(client, photo_bytes())
    (held,) = draft_of(client).photos
    assert resident_client.get(f"/report/photos/{held['key']}").status_code == 404
    assert resident_client.post(f"/report/photos/{held['key']}/remove").status_code == 404


def test_a_file_that_is_not_a_photo_is_refused(client, world):
    to_photos(client)
    html = error_summary(upload(client, b"%PDF-1.4\n" + b"0" * 100, name="hole.jpg"))
    assert "must be a photo" in html
    assert draft_of(client).photos == []


def test_uploading_without_choosing_a_file_is_an_error(client, world):
    to_photos(client)
    html = error_summary(client.post("/report/photos", {"action": "upload"}))
    assert "Select a photo to upload" in html


def test_a_photo_too_big_is_refused(client, world, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    to_photos(client)
    assert "must be smaller than" in error_summary(upload(client, photo_bytes()))


def test_no_more_photos_than_allowed(client, world, settings):
    settings.FRONTDOOR_MAX_PHOTOS = 1
    to_photos(client)
    upload(client, photo_bytes())
    html = error_summary(upload(client, photo_bytes()))
    assert "You can add up to 1 photos" in html
    assert len(draft_of(client).photos) == 1


def test_a_photo_can_be_removed(client, world, tmp_path):
    to_photos(client)
    upload(client, photo_bytes())
    (held,) = draft_of(client).photos
    response = client.post(f"/report/photos/{held['key']}/remove")
    assert response.url == "/report/photos"
    assert draft_of(client).photos == []
    assert client.get(f"/report/photos/{held['key']}").status_code == 404
    assert not list((tmp_path / "media").rglob("*.*"))


def test_choosing_a_photo_and_continuing_keeps_it(client, world):
    to_photos(client)
    response = upload(client, photo_bytes(), action="continue")
    assert response.url == "/report/contact"
    assert len(draft_of(client).photos) == 1


# --- Contact -------------------------------------------------------------------------------


def to_contact(client):
    to_photos(client)
    no_photos(client)


def test_the_contact_page_explains_privacy_and_allows_anonymity(client, world):
    to_contact(client)
    html = client.get("/report/contact").content.decode()
    assert 'href="/privacy"' in html and "without telling us who you are" in html
    assert "Without an email address we cannot send you updates" in html
    assert post(client, "/report/contact", {"contact": "none"}).url == "/report/check"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select how we should contact you"),
        ({"contact": "email"}, "Enter your email address"),
        ({"contact": "email", "email": "rita@"}, "Enter an email address in the correct format"),
        ({"contact": "phone"}, "Enter your phone number"),
        ({"contact": "phone", "phone": "12ab"}, "Enter a phone number, like"),
        ({"contact": "phone", "phone": "0117 123"}, "Enter a phone number, like"),
    ],
)
def test_contact_errors(client, world, data, message):
    to_contact(client)
    assert message in error_summary(post(client, "/report/contact", data))


def test_only_the_chosen_way_of_contact_is_kept(client, world):
    to_contact(client)
    post(
        client,
        "/report/contact",
        {"contact": "phone", "phone": "07700 900982", "email": "rita@example.org"},
    )
    draft = draft_of(client)
    assert (draft.contact, draft.phone, draft.email) == ("phone", "07700 900982", "")


# --- Check and send ------------------------------------------------------------------------


def test_the_check_page_shows_every_answer_with_a_change_link(client, world):
    walk_to_check(client, address="Corn Street", place="By the bank")
    html = client.get("/report/check").content.decode()
    for text in ("Pothole", "A deep hole by the kerb", "How deep is it, in centimetres?", "12"):
        assert text in html
    assert "Corn Street" in html and "By the bank" in html and "rita@example.org" in html
    for step in ("/report/", "/report/where", "/report/details", "/report/photos"):
        assert f'href="{step}?change=1"' in html
    assert 'href="/report/contact?change=1"' in html
    assert not Ticket.objects.exists()


def test_changing_an_answer_returns_to_the_check_page(client, world):
    walk_to_check(client)
    response = say_where(client, address="Broad Street")
    assert response.url == "/report/check"


def test_changing_the_type_of_problem_asks_its_questions_again(client, world):
    walk_to_check(client)
    response = choose(client, "street-lights")
    assert response.url == "/report/details"
    assert draft_of(client).answers == {}
    response = describe(client, **{"answers-depth": ""})
    assert response.url == "/report/check"


def test_sending_opens_one_ticket_with_everything_the_resident_said(client, potholes, tmp_path):
    to_photos(client)
    upload(client, photo_bytes())
    no_photos(client)
    give_contact(client, name="Rita Patel")
    response = post(client, "/report/check")
    assert response.url == "/report/sent"
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.service, ticket.status) == (
        Channel.WEB,
        potholes,
        Status.ASSIGNED,
    )
    assert ticket.title == "Pothole: Corn Street"
    assert ticket.description == "A deep hole by the kerb"
    assert ticket.answers == {"depth": 12}
    assert (ticket.reporter_first_name, ticket.reporter_last_name) == ("Rita", "Patel")
    assert ticket.reporter_email == "rita@example.org"
    assert ticket.reporter_contact_preference == ContactPreference.EMAIL
    assert ticket.reporter_anonymous
    opened = ticket.events.get(kind=TicketEvent.Kind.OPENED)
    assert opened.actor_kind == TicketEvent.ActorKind.RESIDENT
    attachment = Attachment.objects.get()
    assert not attachment.public and attachment.content_type == "image/jpeg"
    with attachment.file.open("rb") as stored, Image.open(stored) as image:
        assert not image.getexif().get_ifd(GPS_IFD)
    # The draft and its held photo are gone; only the ticket's own copy remains.
    assert drafts.SESSION_KEY not in client.session
    assert not list((tmp_path / "media" / "frontdoor-drafts").glob("*"))


def test_the_confirmation_shows_the_reference_and_the_private_link(client, world):
    walk_to_check(client)
    post(client, "/report/check")
    ticket = Ticket.objects.get()
    response = client.get("/report/sent")
    html = response.content.decode()
    assert "govuk-panel--confirmation" in html and ticket.reference in html
    token = client.session[drafts.SENT_KEY]["token"]
    assert f"http://testserver/my-report/{token}" in html
    assert ticket_for_private_token(token) == ticket
    assert "no-store" in response["Cache-Control"]


def test_sending_twice_opens_one_ticket(client, world):
    walk_to_check(client)
    saved = client.session[drafts.SESSION_KEY]
    post(client, "/report/check")
    session = client.session
    session[drafts.SESSION_KEY] = saved
    session.save()
    response = post(client, "/report/check")
    assert response.url == "/report/sent"
    assert Ticket.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_a_map_point_without_words_is_sent_as_a_point(client, world):
    choose(client)
    say_where(client, address="", latitude="51.4545", longitude="-2.5879")
    describe(client)
    no_photos(client)
    give_contact(client, contact="none")
    post(client, "/report/check")
    ticket = Ticket.objects.get()
    assert (ticket.latitude, ticket.longitude, ticket.address) == (51.4545, -2.5879, "")
    assert ticket.title == "Pothole"
    assert ticket.reporter_contact_preference == ContactPreference.NONE
    assert ticket.reporter_email == ""


def test_questions_changed_since_they_were_answered_are_asked_again(client, potholes):
    walk_to_check(client)
    Question.objects.create(
        service=potholes, code="width", label="How wide?", datatype="number", required=True
    )
    response = client.get("/report/check")
    assert response.url == "/report/details"
    assert not Ticket.objects.exists()


def test_an_expired_photo_sends_the_resident_back_to_add_it(client, world, tmp_path):
    to_photos(client)
    upload(client, photo_bytes())
    no_photos(client)
    give_contact(client)
    for held in (tmp_path / "media" / "frontdoor-drafts").glob("*"):
        held.unlink()
    response = post(client, "/report/check")
    assert response.url == "/report/photos"
    assert not Ticket.objects.exists()


def test_the_confirmation_page_without_a_report_goes_home(client, world):
    assert client.get("/report/sent").url == "/"


def test_a_withdrawn_service_sends_the_resident_back_to_choose(client, potholes):
    walk_to_check(client)
    potholes.active = False
    potholes.save()
    assert client.get("/report/check").url == "/report/"
