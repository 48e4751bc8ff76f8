"""POST requests: a report becomes a routed ticket, every bad input is a listed error that
creates nothing, and retries never duplicate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from interchange.accounts.models import ApiKey
from interchange.accounts.services import api_key_create
from interchange.core.models import IdempotencyKey
from interchange.frontdoor.models import Open311Request
from interchange.frontdoor.tests import open311_shapes as shapes
from interchange.frontdoor.tests.open311_world import (
    build_world,
    has_gps,
    jpeg_with_location,
    media_in,
    report,
)
from interchange.servicedesk.models import (
    Attachment,
    Channel,
    ContactPreference,
    Status,
    Ticket,
    TicketEvent,
)

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests.{fmt}"


@pytest.fixture
def world(administrator, supplier_a, settings, tmp_path):
    media_in(settings, tmp_path)
    return build_world(administrator, supplier_a)


def post(client, world, fmt="xml", headers=None, **fields):
    return client.post(URL.format(fmt=fmt), report(world, **fields), headers=headers or {})


def counts():
    return (
        Ticket.objects.count(),
        TicketEvent.objects.count(),
        Attachment.objects.count(),
        Open311Request.objects.count(),
        IdempotencyKey.objects.count(),
    )


# --- A good report ----------------------------------------------------------------------


def test_a_report_in_xml_opens_a_routed_ticket_and_answers_with_its_reference(client, world):
    response = post(client, world, "xml")
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    answer = shapes.created_xml(response.content)
    ticket = Ticket.objects.get()
    assert answer["service_request_id"] == ticket.reference
    assert answer["service_notice"] == "We inspect reported potholes within two working days."
    assert answer["account_id"] == ""
    assert ticket.channel == Channel.OPEN311
    assert ticket.holder_supplier == world.supplier and ticket.status == Status.ASSIGNED
    assert ticket.priority == 3  # medium impact and urgency: the documented default
    assert ticket.title == "Pothole: A deep pothole by the bus stop"
    assert ticket.answers == {"depth": "deep", "hazards": ["school", "bus"]}
    assert (ticket.latitude, ticket.longitude) == (51.4545, -2.5879)
    assert ticket.address == "12 Harbour Road"
    assert ticket.reporter_email == "rita@example.org"
    assert ticket.reporter_contact_preference == ContactPreference.EMAIL
    opening = ticket.events.get()
    assert opening.actor_key == world.key
    record = ticket.open311_request
    assert (record.device_id, record.account_id, record.token) == ("device-7", "acct-42", None)


def test_a_report_in_json_answers_in_json_with_string_ids(client, world):
    response = post(client, world, "json")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json; charset=utf-8"
    answer = shapes.created_json(response.json())
    assert answer["service_request_id"] == Ticket.objects.get().reference
    assert answer["account_id"] is None


def test_a_batch_service_answers_with_a_token_that_leads_to_the_request(client, world):
    response = client.post(
        URL.format(fmt="json"),
        report(
            world,
            service_code="bulky",
            **{"attribute[depth]": None, "attribute[hazards][]": None},
        ),
    )
    answer = shapes.created_json(response.json())
    ticket = Ticket.objects.get()
    token = answer["token"]
    assert token == ticket.open311_request.token
    found = shapes.token_xml(client.get(f"/open311/v2/tokens/{token}.xml").content)
    assert found == {"service_request_id": ticket.reference, "token": token}
    found = shapes.token_json(client.get(f"/open311/v2/tokens/{token}.json").json())
    assert found["service_request_id"] == ticket.reference


def test_an_unknown_token_is_a_404_error_document(client, world):
    response = client.get("/open311/v2/tokens/nope.xml")
    assert response.status_code == 404
    assert shapes.errors_xml(response.content)[0][0] == "404"


def test_a_report_without_a_pin_is_taken_by_address_or_as_not_pinpointed(client, world):
    by_postcode = post(client, world, lat=None, long=None, address_string="BS1 4DJ")
    assert by_postcode.status_code == 201
    ticket = Ticket.objects.get()
    assert ticket.latitude is None and ticket.address == "BS1 4DJ"
    not_pinpointed = post(
        client,
        world,
        lat=None,
        long=None,
        address_string=None,
        address_id="#NOTPINPOINTED#",
        description="Outside the library on Quay Street",
    )
    assert not_pinpointed.status_code == 201, not_pinpointed.content
    ticket = Ticket.objects.latest("pk")
    assert (ticket.latitude, ticket.address, ticket.address_id) == (None, "", "")
    by_uprn = post(client, world, lat=None, long=None, address_string=None, address_id="100012")
    assert by_uprn.status_code == 201
    assert Ticket.objects.latest("pk").address_id == "100012"


def test_a_multivalue_attribute_may_come_bare_or_as_a_list(client, world):
    post(client, world, **{"attribute[hazards][]": None, "attribute[hazards]": "junction"})
    assert Ticket.objects.get().answers["hazards"] == ["junction"]


def test_fixmystreets_own_attributes_are_not_answers_and_its_title_is_the_title(client, world):
    response = post(
        client,
        world,
        **{"attribute[fixmystreet_id]": "9876", "attribute[title]": "Crater on Harbour Road"},
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert ticket.title == "Crater on Harbour Road"
    assert "fixmystreet_id" not in ticket.answers


def test_a_reporter_with_only_a_phone_is_called_and_one_with_neither_is_not(client, world):
    post(client, world, email=None)
    assert Ticket.objects.get().reporter_contact_preference == ContactPreference.PHONE
    post(client, world, email=None, phone=None, description="Another one")
    assert Ticket.objects.latest("pk").reporter_contact_preference == ContactPreference.NONE


def test_photos_are_attached_public_with_their_location_removed(client, world):
    photo = jpeg_with_location()
    response = client.post(
        URL.format(fmt="xml"),
        {
            **report(world),
            "photo1": SimpleUploadedFile("pothole.jpg", photo, "image/jpeg"),
            "media": SimpleUploadedFile("wide.jpg", jpeg_with_location((80, 60)), "image/jpeg"),
        },
    )
    assert response.status_code == 201, response.content
    attachments = list(Attachment.objects.order_by("pk"))
    assert len(attachments) == 2
    for attachment in attachments:
        assert attachment.public and attachment.content_type == "image/jpeg"
        stored = attachment.file.read()
        assert not has_gps(stored)
    events = TicketEvent.objects.filter(kind=TicketEvent.Kind.ATTACHMENT)
    assert events.count() == 2 and all(e.public for e in events)


# --- Keys -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_report_without_a_key_is_refused_with_403_and_creates_nothing(client, world, fmt):
    before = counts()
    response = post(client, world, fmt, api_key=None)
    assert response.status_code == 403
    problems = (
        shapes.errors_xml(response.content) if fmt == "xml" else shapes.errors_json(response.json())
    )
    assert [str(code) for code, _ in problems] == ["403"]
    assert counts() == before


@pytest.mark.parametrize("bad", ["nonsense", "ick_0123456789_" + "x" * 43])
def test_a_wrong_key_is_refused(client, world, bad):
    assert post(client, world, api_key=bad).status_code == 403
    assert not Ticket.objects.exists()


def test_a_supplier_systems_key_cannot_report_through_open311(client, world):
    assert post(client, world, api_key=world.supplier_secret).status_code == 403


def test_a_revoked_or_expired_key_is_refused(client, world):
    ApiKey.objects.filter(pk=world.key.pk).update(revoked_at=timezone.now())
    assert post(client, world).status_code == 403
    ApiKey.objects.filter(pk=world.key.pk).update(
        revoked_at=None, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert post(client, world).status_code == 403
    assert not Ticket.objects.exists()


def test_clients_post_without_a_csrf_token(world):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(URL.format(fmt="xml"), report(world)).status_code == 201


def test_the_key_may_come_in_the_query_string(client, world):
    body = report(world, api_key=None)
    response = client.post(f"/open311/v2/requests.xml?api_key={world.secret}", body)
    assert response.status_code == 201


# --- Bad input: every problem at once, nothing created ------------------------------------

BAD_INPUTS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "no service code": ({"service_code": None}, ["service_code"]),
    "unknown service": ({"service_code": "volcano"}, ["service_code"]),
    "service not offered": ({"service_code": "laptop"}, ["service_code"]),
    "no location": (
        {"lat": None, "long": None, "address_string": None},
        ["Give the location"],
    ),
    "lat without long": ({"long": None}, ["lat and long"]),
    "lat not a number": ({"lat": "north"}, ["lat"]),
    "lat out of range": ({"lat": "91"}, ["lat"]),
    "long out of range": ({"long": "-181"}, ["long"]),
    "nan position": ({"lat": "nan"}, ["lat"]),
    "bad email": ({"email": "rita-at-example"}, ["email"]),
    "overlong name": ({"first_name": "R" * 101}, ["first_name"]),
    "overlong description": ({"description": "x" * 10_001}, ["description"]),
    "bad media url": ({"media_url": "not a url"}, ["media_url"]),
    "missing required attribute": ({"attribute[depth]": None}, ["attribute[depth]"]),
    "wrong choice": ({"attribute[depth]": "bottomless"}, ["attribute[depth]"]),
    "unknown attribute": ({"attribute[colour]": "red"}, ["attribute[colour]"]),
    "number attribute not a number": ({"attribute[width]": "wide"}, ["attribute[width]"]),
    "wrong jurisdiction": ({"jurisdiction_id": "elsewhere.gov.uk"}, ["jurisdiction_id"]),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_input_is_a_400_naming_the_problem_and_creates_nothing(client, world, case, fmt):
    fields, expected = BAD_INPUTS[case]
    before = counts()
    response = post(client, world, fmt, **fields)
    assert response.status_code == 400, response.content
    if fmt == "xml":
        problems = [(int(code), text) for code, text in shapes.errors_xml(response.content)]
    else:
        problems = shapes.errors_json(response.json())
    assert all(code == 400 for code, _ in problems)
    for word in expected:
        assert any(word in text for _, text in problems), (word, problems)
    assert counts() == before


def test_every_problem_is_listed_at_once(client, world):
    response = post(
        client,
        world,
        "json",
        lat="north",
        email="nope",
        first_name="R" * 101,
        **{"attribute[depth]": "bottomless", "attribute[width]": "wide"},
    )
    problems = [text for _, text in shapes.errors_json(response.json())]
    for name in ("lat:", "email:", "first_name:", "attribute[depth]:", "attribute[width]:"):
        assert any(text.startswith(name) for text in problems), (name, problems)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.exe", b"MZ\x90\x00" + b"\x00" * 64, "must be a photo"),
        ("empty.jpg", b"", "empty"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "could not be read"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_created(client, world, name, content, message):
    before = counts()
    response = client.post(
        URL.format(fmt="json"),
        {**report(world), "photo1": SimpleUploadedFile(name, content, "image/jpeg")},
    )
    assert response.status_code == 400
    problems = [text for _, text in shapes.errors_json(response.json())]
    assert any(text.startswith("photo1:") and message in text for text in problems), problems
    assert counts() == before


def test_a_file_too_large_is_refused_without_reading_it_all(client, world, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.jpg", jpeg_with_location((400, 400)), "image/jpeg")
    response = client.post(URL.format(fmt="json"), {**report(world), "media": big})
    assert response.status_code == 400
    assert "smaller than" in response.json()[0]["description"]
    assert not Ticket.objects.exists()


def test_a_file_under_another_name_is_refused(client, world):
    photo = SimpleUploadedFile("p.jpg", jpeg_with_location(), "image/jpeg")
    response = client.post(URL.format(fmt="json"), {**report(world), "picture": photo})
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("picture:")


def test_too_many_files_are_refused(client, world):
    files = {
        f"photo{n}": SimpleUploadedFile(f"p{n}.jpg", jpeg_with_location(), "image/jpeg")
        for n in range(1, 7)
    }
    response = client.post(URL.format(fmt="json"), {**report(world), **files})
    assert response.status_code == 400
    assert not Attachment.objects.exists() and not Ticket.objects.exists()


def test_a_body_that_cannot_be_parsed_is_a_400_error_document(client, world):
    response = client.post(
        URL.format(fmt="xml"),
        data=b"--broken\r\nContent-Disposition: form-data\r\n\r\n",
        content_type="multipart/form-data; boundary=",
    )
    assert response.status_code == 400
    assert shapes.errors_xml(response.content)[0][0] == "400"


def test_only_get_and_post_are_allowed(client, world):
    assert client.put(URL.format(fmt="xml")).status_code == 405
    assert client.delete(URL.format(fmt="json")).status_code == 405


# --- Retries ----------------------------------------------------------------------------


def test_the_same_body_again_within_the_window_gets_the_first_answer(client, world):
    first = post(client, world)
    again = post(client, world)
    assert again.status_code == first.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Ticket.objects.count() == 1


def test_a_multipart_retry_with_a_new_boundary_is_the_same_request(client, world):
    photo = jpeg_with_location()

    def send():
        body = {**report(world), "photo1": SimpleUploadedFile("p.jpg", photo, "image/jpeg")}
        return client.post(URL.format(fmt="xml"), body)

    first, again = send(), send()
    assert again.content == first.content
    assert Ticket.objects.count() == 1 and Attachment.objects.count() == 1


def test_the_same_body_after_the_window_is_a_new_report(client, world, settings):
    settings.OPEN311_RETRY_WINDOW_SECONDS = 600
    post(client, world)
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert post(client, world).status_code == 201
    assert Ticket.objects.count() == 2


def test_a_different_body_is_a_different_report(client, world):
    post(client, world)
    post(client, world, description="Another pothole further up")
    assert Ticket.objects.count() == 2


def test_an_idempotency_key_returns_the_first_answer_and_refuses_another_body(client, world):
    headers = {"Idempotency-Key": "report-1"}
    first = post(client, world, "json", headers=headers)
    again = post(client, world, "json", headers=headers)
    assert again.content == first.content and Ticket.objects.count() == 1
    other = post(client, world, "json", headers=headers, description="Something else")
    assert other.status_code == 409
    assert shapes.errors_json(other.json())[0][0] == 409
    assert Ticket.objects.count() == 1
    assert IdempotencyKey.objects.get(key="report-1").expires_at > timezone.now() + timedelta(
        hours=23
    )


def test_an_idempotency_key_too_long_is_a_400(client, world):
    response = post(client, world, headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_a_refused_report_leaves_no_key_so_the_corrected_retry_is_taken(client, world):
    headers = {"Idempotency-Key": "report-2"}
    assert post(client, world, headers=headers, email="nope").status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert post(client, world, headers=headers).status_code == 201


def test_retries_from_two_clients_are_their_own(client, world, administrator):
    _, other_secret = api_key_create(
        actor=administrator, name="Other app", kind=ApiKey.Kind.OPEN311_CLIENT
    )
    post(client, world)
    post(client, world, api_key=other_secret)
    assert Ticket.objects.count() == 2
