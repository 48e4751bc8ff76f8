"""Working a ticket through the supplier API: acknowledge, notes, status moves, the
supplier's reference, handing back and attachments; with Idempotency-Key and If-Match on
every write, and the domain's refusals as problems."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from interchange.exchange.tests.api_helpers import World, call, is_problem, world_fixture  # noqa: F401
from interchange.servicedesk.actors import System
from interchange.servicedesk.models import Attachment, Status, Ticket, TicketEvent
from interchange.servicedesk.services import ticket_start

pytestmark = pytest.mark.django_db


def _fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def _last_event(ticket: Ticket) -> TicketEvent:
    event = TicketEvent.objects.filter(ticket=ticket).order_by("-sequence").first()
    assert event is not None
    return event


def _path(world: World, suffix: str = "") -> str:
    return f"/tickets/{world.ticket_a.reference}{suffix}"


def test_acknowledging_stops_the_wait_for_a_response(client, world: World) -> None:
    response = call(client, "POST", _path(world, "/acknowledge"), world.secret_a)
    assert response.status_code == 200
    ticket = _fresh(world.ticket_a)
    assert ticket.holder_acknowledged_at is not None
    assert response.json()["acknowledged"] is True
    assert response["ETag"] == f'"{ticket.version}"'
    event = _last_event(ticket)
    assert event.kind == TicketEvent.Kind.ACKNOWLEDGED
    assert event.actor_key == world.key_a


def test_a_note_is_added_public_or_internal(client, world: World) -> None:
    public = call(
        client,
        "POST",
        _path(world, "/notes"),
        world.secret_a,
        json={"text": "On our way", "public": True},
    )
    assert public.status_code == 201
    assert public.json()["text"] == "On our way"
    assert public.json()["public"] is True
    assert public.json()["author"] == "Streetwise works system"
    internal = call(client, "POST", _path(world, "/notes"), world.secret_a, json={"text": "Crew 4"})
    assert internal.json()["public"] is False
    notes = call(client, "GET", _path(world, "/notes"), world.secret_a).json()["items"]
    assert [(n["text"], n["public"]) for n in notes] == [("On our way", True), ("Crew 4", False)]
    # A first public reply by the holder's system acknowledges for the holder.
    assert _fresh(world.ticket_a).holder_acknowledged_at is not None


def test_an_empty_note_is_refused_with_the_field_named(client, world: World) -> None:
    body = is_problem(
        call(client, "POST", _path(world, "/notes"), world.secret_a, json={"text": ""}), 422
    )
    assert body["errors"][0]["location"] == "body"
    assert body["errors"][0]["field"] == "text"
    assert _fresh(world.ticket_a).version == world.ticket_a.version


def test_a_body_that_is_not_json_is_a_problem(client, world: World) -> None:
    response = call(client, "POST", _path(world, "/notes"), world.secret_a, json='{"text": ')
    is_problem(response, 400)
    assert _fresh(world.ticket_a).version == world.ticket_a.version


def _move(client, world: World, body: dict, version: int | None = None):
    version = _fresh(world.ticket_a).version if version is None else version
    return call(
        client, "POST", _path(world, "/status"), world.secret_a, json=body, if_match=version
    )


def test_the_status_moves_through_work_waits_and_resolution(client, world: World) -> None:
    assert (
        _move(client, world, {"status": "in_progress"}).json()["interchangeStatus"] == "in_progress"
    )
    waiting = _move(client, world, {"status": "waiting_third_party", "reason": "Gas board"})
    assert waiting.json()["interchangeStatus"] == "waiting_third_party"
    assert _last_event(world.ticket_a).reason == "Gas board"
    waiting = _move(client, world, {"status": "waiting_resident", "reason": "Which side?"})
    assert waiting.json()["interchangeStatus"] == "waiting_resident"
    resumed = _move(client, world, {"status": "in_progress", "reason": "Answered"})
    assert resumed.json()["interchangeStatus"] == "in_progress"
    assert _last_event(world.ticket_a).kind == "resumed"
    resolved = _move(
        client, world, {"status": "resolved", "resolutionCode": "fixed", "note": "Filled"}
    )
    assert resolved.json()["interchangeStatus"] == "resolved"
    assert resolved.json()["resolution"] == {"code": "fixed", "note": "Filled"}


def test_a_wait_without_a_reason_and_a_resolution_without_a_code_are_refused(
    client, world: World
) -> None:
    ticket_start(ticket=world.ticket_a, actor=System())
    is_problem(_move(client, world, {"status": "waiting_resident"}), 422)
    body = is_problem(_move(client, world, {"status": "resolved"}), 422)
    assert "resolutionCode" in body["errors"][0]["detail"]
    is_problem(_move(client, world, {"status": "resolved", "resolutionCode": "duplicate"}), 422)
    assert _fresh(world.ticket_a).status == Status.IN_PROGRESS


def test_a_move_the_state_does_not_allow_is_a_conflict_naming_the_allowed_moves(
    client, world: World
) -> None:
    body = is_problem(_move(client, world, {"status": "waiting_resident", "reason": "?"}), 409)
    assert body["type"] == "urn:interchange:problem:illegal-transition"
    assert "Assigned" in body["detail"]
    assert "start" in body["allowed"]
    assert _fresh(world.ticket_a).status == Status.ASSIGNED


def test_a_stale_if_match_is_412_and_changes_nothing(client, world: World) -> None:
    stale = world.ticket_a.version
    ticket_start(ticket=world.ticket_a, actor=System())
    before = _fresh(world.ticket_a)
    response = _move(client, world, {"status": "waiting_resident", "reason": "?"}, version=stale)
    body = is_problem(response, 412)
    assert body["currentVersion"] == before.version
    assert response["ETag"] == f'"{before.version}"'
    after = _fresh(world.ticket_a)
    assert (after.status, after.version) == (before.status, before.version)
    stale_note = call(
        client, "POST", _path(world, "/notes"), world.secret_a, json={"text": "x"}, if_match=stale
    )
    is_problem(stale_note, 412)
    assert _fresh(world.ticket_a).version == before.version


def test_if_match_is_required_to_move_the_status(client, world: World) -> None:
    response = call(
        client, "POST", _path(world, "/status"), world.secret_a, json={"status": "in_progress"}
    )
    body = is_problem(response, 428)
    assert body["errors"][0]["field"] == "If-Match"
    assert _fresh(world.ticket_a).status == Status.ASSIGNED
    starred = call(
        client,
        "POST",
        _path(world, "/status"),
        world.secret_a,
        json={"status": "in_progress"},
        if_match="*",
    )
    assert starred.json()["interchangeStatus"] == "in_progress"
    garbled = call(
        client, "POST", _path(world, "/notes"), world.secret_a, json={"text": "x"}, if_match="W/x"
    )
    is_problem(garbled, 422)


def test_the_supplier_sets_its_own_reference(client, world: World) -> None:
    response = call(
        client,
        "PUT",
        _path(world, "/supplier-reference"),
        world.secret_a,
        json={"supplierReference": "SW-2026-0042"},
        if_match=world.ticket_a.version,
    )
    assert response.json()["externalId"] == "SW-2026-0042"
    assert _fresh(world.ticket_a).supplier_reference == "SW-2026-0042"
    too_long = call(
        client,
        "PUT",
        _path(world, "/supplier-reference"),
        world.secret_a,
        json={"supplierReference": "x" * 101},
        if_match=_fresh(world.ticket_a).version,
    )
    is_problem(too_long, 422)


def test_handing_back_gives_the_ticket_to_the_desk_with_the_reason(client, world: World) -> None:
    response = call(
        client,
        "POST",
        _path(world, "/handback"),
        world.secret_a,
        json={"reason": "This is a private road"},
        if_match=world.ticket_a.version,
    )
    assert response.status_code == 200
    assert response.json()["yours"] is False
    ticket = _fresh(world.ticket_a)
    assert ticket.holder_supplier_id is None
    assert _last_event(ticket).reason == "This is a private road"
    # Its own history stays readable; changing it is no longer its to do.
    assert call(client, "GET", _path(world), world.secret_a).status_code == 200
    refused = call(client, "POST", _path(world, "/notes"), world.secret_a, json={"text": "x"})
    is_problem(refused, 403)


def test_handing_back_needs_a_reason(client, world: World) -> None:
    response = call(
        client,
        "POST",
        _path(world, "/handback"),
        world.secret_a,
        json={"reason": ""},
        if_match=world.ticket_a.version,
    )
    is_problem(response, 422)
    assert _fresh(world.ticket_a).holder_supplier_id == world.supplier_a.pk


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "grey").save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_file_is_attached_through_multipart(client, world: World) -> None:
    upload = SimpleUploadedFile("hole.jpg", _photo(), content_type="image/jpeg")
    response = call(
        client,
        "POST",
        _path(world, "/attachments"),
        world.secret_a,
        data={"file": upload, "public": "true"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["contentType"] == "image/jpeg"
    assert body["public"] is True
    attachment = Attachment.objects.get()
    assert attachment.ticket_id == world.ticket_a.pk
    assert response["ETag"] == f'"{body["ticketVersion"]}"'
    empty = SimpleUploadedFile("empty.txt", b"", content_type="text/plain")
    refused = call(
        client, "POST", _path(world, "/attachments"), world.secret_a, data={"file": empty}
    )
    problem = is_problem(refused, 422)
    assert problem["errors"][0]["field"] == "file"
    assert Attachment.objects.count() == 1


# --- Idempotency ------------------------------------------------------------------------------


def test_a_repeated_write_gets_the_first_response_and_applies_nothing(client, world: World) -> None:
    path = _path(world, "/notes")
    first = call(client, "POST", path, world.secret_a, json={"text": "Once"}, idempotency_key="k-1")
    again = call(client, "POST", path, world.secret_a, json={"text": "Once"}, idempotency_key="k-1")
    assert again.status_code == first.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    assert TicketEvent.objects.filter(ticket=world.ticket_a, kind="note").count() == 1


def test_the_same_key_with_another_body_is_422(client, world: World) -> None:
    path = _path(world, "/notes")
    call(client, "POST", path, world.secret_a, json={"text": "One"}, idempotency_key="k-2")
    other = call(client, "POST", path, world.secret_a, json={"text": "Two"}, idempotency_key="k-2")
    body = is_problem(other, 422)
    assert body["type"] == "urn:interchange:problem:idempotency-key-reused"
    assert TicketEvent.objects.filter(ticket=world.ticket_a, kind="note").count() == 1


def test_a_refused_write_keeps_no_key_so_its_retry_runs_afresh(client, world: World) -> None:
    path = _path(world, "/status")
    body = {"status": "in_progress"}
    stale = call(
        client, "POST", path, world.secret_a, json=body, idempotency_key="k-3", if_match=99
    )
    is_problem(stale, 412)
    retried = call(
        client,
        "POST",
        path,
        world.secret_a,
        json=body,
        idempotency_key="k-3",
        if_match=world.ticket_a.version,
    )
    assert retried.json()["interchangeStatus"] == "in_progress"


def test_every_write_needs_an_idempotency_key(client, world: World) -> None:
    response = call(
        client, "POST", _path(world, "/acknowledge"), world.secret_a, idempotency_key=None
    )
    body = is_problem(response, 400)
    assert body["errors"][0]["field"] == "Idempotency-Key"
    assert _fresh(world.ticket_a).holder_acknowledged_at is None


def test_keys_are_per_supplier(client, world: World) -> None:
    """Two suppliers may pick the same key without meeting each other's responses."""
    a = call(client, "POST", _path(world, "/acknowledge"), world.secret_a, idempotency_key="shared")
    b = call(
        client,
        "POST",
        f"/tickets/{world.ticket_b.reference}/acknowledge",
        world.secret_b,
        idempotency_key="shared",
    )
    assert a.status_code == b.status_code == 200
    assert b.json()["id"] == world.ticket_b.reference
    assert "Idempotent-Replayed" not in b
