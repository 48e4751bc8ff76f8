"""A client that behaves like FixMyStreet, over real HTTP: XML only, the jurisdiction on
every call, the key on writes, multipart reports with photos, a retry after a timeout, and
polling for updates."""

from __future__ import annotations

import secrets
import socket
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from interchange.accounts.models import ApiKey
from interchange.frontdoor.open311 import views
from interchange.frontdoor.tests import open311_shapes as shapes
from interchange.frontdoor.tests.open311_world import (
    JURISDICTION,
    LOCMEM,
    build_world,
    has_gps,
    jpeg_with_location,
    media_in,
)
from interchange.servicedesk.actors import System
from interchange.servicedesk.models import Attachment, ResolutionCode, Status, Ticket
from interchange.servicedesk.services import ticket_add_note, ticket_resolve

pytestmark = pytest.mark.django_db(transaction=True)


class FixMyStreetLike:
    """The calls FixMyStreet makes, as it makes them."""

    def __init__(self, base: str, api_key: str) -> None:
        assert base.startswith("http://")
        self.base = base.rstrip("/") + "/open311/v2"
        self.api_key = api_key

    def get(self, path: str, **params: str) -> tuple[int, dict[str, str], bytes]:
        query = urlencode({"jurisdiction_id": JURISDICTION, **params})
        url = f"{self.base}/{path}?{query}"
        return self._send(urllib.request.Request(url))  # noqa: S310 - the live server, http

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        body = urlencode({"jurisdiction_id": JURISDICTION, "api_key": self.api_key, **fields})
        request = urllib.request.Request(  # noqa: S310 - the live server, http
            f"{self.base}/{path}",
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        return self._send(request)

    def post_multipart(
        self,
        path: str,
        fields: list[tuple[str, str]],
        files: list[tuple[str, str, bytes]],
        *,
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], bytes]:
        # A new boundary every time, as LWP makes one.
        boundary = f"xYzZY{secrets.token_hex(8)}"
        fields = [("jurisdiction_id", JURISDICTION), ("api_key", self.api_key), *fields]
        chunks: list[bytes] = []
        for name, value in fields:
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, filename, data in files:
            chunks.append(
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
                ).encode()
                + data
                + b"\r\n"
            )
        chunks.append(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(  # noqa: S310 - the live server, http
            f"{self.base}/{path}",
            data=b"".join(chunks),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        return self._send(request, timeout=timeout)

    def _send(
        self, request: urllib.request.Request, timeout: float = 10
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture
def world(administrator, supplier_a, settings, tmp_path):
    settings.CACHES = LOCMEM
    media_in(settings, tmp_path)
    return build_world(administrator, supplier_a)


@pytest.fixture
def fms(live_server, world):
    return FixMyStreetLike(live_server.url, world.secret)


def report_fields(**extra: str) -> list[tuple[str, str]]:
    fields = {
        "service_code": "pothole",
        "lat": "51.4545",
        "long": "-2.5879",
        "description": "Pothole outside the bakery\n\nSubmitted via FixMyStreet",
        "first_name": "Jo",
        "last_name": "Bloggs",
        "email": "jo@example.org",
        "attribute[depth]": "deep",
        "attribute[fixmystreet_id]": "4321",
        "attribute[title]": "Pothole outside the bakery",
        **extra,
    }
    return list(fields.items())


def test_it_reads_the_catalogue_in_xml(fms):
    status, headers, body = fms.get("services.xml")
    assert status == 200 and headers["Content-Type"] == "text/xml; charset=utf-8"
    codes = [s["service_code"] for s in shapes.services_xml(body)]
    assert codes == ["bulky", "graffiti", "pothole"]
    status, _, body = fms.get("services/pothole.xml")
    assert [a["code"] for a in shapes.definition_xml(body)["attributes"]] == [
        "depth",
        "hazards",
        "width",
    ]
    status, headers, _ = fms.get("discovery.xml")
    assert headers["Content-Type"] == "text/xml"


def test_a_report_with_a_photo_survives_a_timeout_and_its_updates_come_back(
    fms, world, monkeypatch
):
    # The first answer is slow: the client gives up waiting, as FixMyStreet does, and sends
    # the same report again later (with a new multipart boundary).
    answered, release = threading.Event(), threading.Event()
    slow_threads: list[threading.Thread] = []
    real_once = views.once

    def slow_once(*args: Any, **kwargs: Any):
        response = real_once(*args, **kwargs)
        if not slow_threads:
            slow_threads.append(threading.current_thread())
            answered.set()
            release.wait(10)
        return response

    monkeypatch.setattr(views, "once", slow_once)
    photo = jpeg_with_location()
    assert has_gps(photo)
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        fms.post_multipart(
            "requests.xml", report_fields(), [("photo1", "photo1.jpeg", photo)], timeout=0.5
        )
    assert answered.wait(10)
    status, headers, body = fms.post_multipart(
        "requests.xml", report_fields(), [("photo1", "photo1.jpeg", photo)]
    )
    release.set()
    # The first request's thread finishes (its answer goes nowhere) before the test goes on.
    slow_threads[0].join(10)
    assert status == 201, body
    assert headers["Idempotent-Replayed"] == "true"
    created = shapes.created_xml(body)
    ticket = Ticket.objects.get()
    assert created["service_request_id"] == ticket.reference
    assert ticket.title == "Pothole outside the bakery"
    (attachment,) = Attachment.objects.all()
    with attachment.file.open("rb") as stored:
        assert not has_gps(stored.read())

    # It polls the request list by id, then the updates of the last two hours.
    status, _, body = fms.get("requests.xml", service_request_id=ticket.reference)
    (listed,) = shapes.requests_xml(body)
    assert listed["status"] == "open" and listed["media_url"].endswith(f"/{attachment.pk}")
    status, headers, photo_back = _fetch(listed["media_url"])
    assert headers["Content-Type"] == "image/jpeg" and not has_gps(photo_back)

    ticket_add_note(ticket=ticket, actor=System(), body="Inspector on the way", public=True)
    ticket_resolve(
        ticket=ticket, actor=System(), resolution_code=ResolutionCode.FIXED, note="Filled"
    )
    now = timezone.now()
    window = {
        "start_date": (now - timedelta(hours=2)).isoformat(),
        "end_date": (now + timedelta(minutes=1)).isoformat(),
        "api_key": world.secret,
    }
    status, _, body = fms.get("servicerequestupdates.xml", **window)
    assert status == 200
    updates = shapes.updates_xml(body)
    assert [(u["status"], u["description"]) for u in updates][-2:] == [
        ("open", "Inspector on the way"),
        ("fixed", "Filled"),
    ]
    seen = {u["update_id"] for u in updates}

    # The reporter says it is not fixed: FixMyStreet posts the update, form-encoded.
    update = {
        "service_request_id": ticket.reference,
        "update_id": "9001",
        "status": "OPEN",
        "updated_datetime": timezone.now().isoformat(),
        "description": "Still a hole",
        "first_name": "Jo",
        "last_name": "Bloggs",
        "email": "jo@example.org",
        "email_alerts_requested": "FALSE",
        "service_code": "pothole",
    }
    status, _, body = fms.post_form("servicerequestupdates.xml", update)
    assert status == 201, body
    update_id = shapes.update_received_xml(body)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    # Sent again (no answer seen), it is not applied twice.
    assert fms.post_form("servicerequestupdates.xml", update)[2] == body
    status, _, body = fms.get("servicerequestupdates.xml", **window)
    new = [u for u in shapes.updates_xml(body) if u["update_id"] not in seen]
    assert [(u["update_id"], u["status"]) for u in new] == [(update_id, "in_progress")]


def test_a_batch_service_gives_a_token_the_client_polls(fms, world):
    fields = [("service_code", "bulky"), ("address_string", "BS1 4DJ"), ("description", "Sofa")]
    status, _, body = fms.post_multipart("requests.xml", fields, [])
    assert status == 201, body
    token = shapes.created_xml(body)["token"]
    status, _, body = fms.get(f"tokens/{token}.xml")
    assert shapes.token_xml(body) == {
        "service_request_id": Ticket.objects.get().reference,
        "token": token,
    }


def test_errors_come_back_as_xml_documents_a_client_can_read(fms, world):
    status, _, body = fms.post_multipart(
        "requests.xml", report_fields(service_code="volcano", lat="north"), []
    )
    assert status == 400
    codes = [code for code, _ in shapes.errors_xml(body)]
    assert codes == ["400", "400"]
    fms.api_key = "ick_0000000000_not-a-real-key-at-all"
    status, _, body = fms.post_multipart("requests.xml", report_fields(), [])
    assert status == 403 and shapes.errors_xml(body)[0][0] == "403"
    assert not Ticket.objects.exists()


def test_a_busy_client_is_told_when_to_come_back(fms, world):
    ApiKey.objects.filter(pk=world.key.pk).update(rate_limit_per_minute=1)
    assert fms.get("services.xml", api_key=world.secret)[0] == 200
    status, headers, body = fms.get("services.xml", api_key=world.secret)
    assert status == 429
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert shapes.errors_xml(body)[0][0] == "429"


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()
