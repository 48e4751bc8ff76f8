"""A resident's reply through their private link: a public note, any photos, and the wait on
them ends, so the clocks run again; a bad reply changes nothing."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from interchange.servicedesk.errors import TicketValidationError
from interchange.servicedesk.models import Attachment, Status, Ticket, TicketEvent
from interchange.servicedesk.services import (
    ticket_resident_reply,
    ticket_resolve,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn
from interchange.servicedesk.tests.factories import T0, make_provision, make_service, make_ticket

pytestmark = pytest.mark.django_db

Kind = TicketEvent.Kind


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (90, 90, 90)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


@pytest.fixture
def in_progress(supplier_a, supplier_a_agent):
    service = make_service("potholes")
    make_provision(service=service, supplier=supplier_a)
    ticket = make_ticket(service=service)
    return ticket_start(ticket=ticket, actor=supplier_a_agent, at=minutes(1))


@pytest.fixture
def waiting(in_progress, supplier_a_agent):
    return ticket_wait(
        ticket=in_progress,
        actor=supplier_a_agent,
        on=WaitingOn.RESIDENT,
        reason="Which side of the road is it?",
        at=minutes(2),
    )


def events_after(ticket: Ticket, sequence: int) -> list[TicketEvent]:
    return list(ticket.events.filter(sequence__gt=sequence).order_by("sequence"))


def test_a_reply_while_waiting_on_the_resident_resumes_the_ticket(waiting):
    replied = ticket_resident_reply(ticket=waiting, body=" The north side. ", at=minutes(30))
    assert replied.status == Status.IN_PROGRESS
    assert replied.version == waiting.version + 2
    note, resumed = events_after(replied, waiting.version)
    assert (note.kind, note.actor_kind, note.public) == (Kind.NOTE, "resident", True)
    assert note.new == {"body": "The north side."}
    assert (resumed.kind, resumed.actor_kind, resumed.public) == (Kind.RESUMED, "resident", True)
    # The clocks fold over each event's status: waiting until the reply, running from it.
    assert note.status == Status.WAITING_RESIDENT and note.at == minutes(30)
    assert resumed.status == Status.IN_PROGRESS and resumed.at == minutes(30)
    assert resumed.new["reply"] == note.sequence
    assert Ticket.objects.get(pk=waiting.pk).status == Status.IN_PROGRESS


def test_a_reply_at_another_time_is_only_a_note(in_progress):
    replied = ticket_resident_reply(ticket=in_progress, body="It is getting deeper", at=minutes(5))
    assert replied.status == Status.IN_PROGRESS
    (note,) = events_after(replied, in_progress.version)
    assert note.kind == Kind.NOTE and note.public


def test_a_reply_does_not_end_a_wait_on_a_third_party(in_progress, supplier_a_agent):
    third = ticket_wait(
        ticket=in_progress,
        actor=supplier_a_agent,
        on=WaitingOn.THIRD_PARTY,
        reason="Gas board",
        at=minutes(2),
    )
    replied = ticket_resident_reply(ticket=third, body="Any news?", at=minutes(10))
    assert replied.status == Status.WAITING_THIRD_PARTY
    assert [e.kind for e in events_after(replied, third.version)] == [Kind.NOTE]


def test_a_reply_to_a_resolved_ticket_leaves_it_resolved(in_progress, supplier_a_agent):
    resolved = ticket_resolve(
        ticket=in_progress, actor=supplier_a_agent, resolution_code="fixed", at=minutes(3)
    )
    replied = ticket_resident_reply(ticket=resolved, body="Thank you", at=minutes(4))
    assert replied.status == Status.RESOLVED


def test_photos_come_with_the_reply_before_work_resumes(waiting):
    replied = ticket_resident_reply(
        ticket=waiting, body="Here it is", files=[("spot.png", photo())], at=minutes(30)
    )
    kinds = [e.kind for e in events_after(replied, waiting.version)]
    assert kinds == [Kind.NOTE, Kind.ATTACHMENT, Kind.RESUMED]
    attachment = Attachment.objects.get(ticket=waiting)
    assert attachment.content_type == "image/png" and not attachment.public
    assert attachment.event is not None and attachment.event.actor_kind == "resident"
    assert replied.version == Ticket.objects.get(pk=waiting.pk).version


def test_a_bad_file_changes_nothing(waiting, tmp_path):
    with pytest.raises(ValidationError):
        ticket_resident_reply(
            ticket=waiting,
            body="Here",
            files=[("spot.png", photo()), ("virus.jpg", b"MZ" + b"\0" * 100)],
            at=minutes(30),
        )
    fresh = Ticket.objects.get(pk=waiting.pk)
    assert (fresh.version, fresh.status) == (waiting.version, Status.WAITING_RESIDENT)
    assert not Attachment.objects.exists()
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_an_empty_reply_is_refused_and_changes_nothing(waiting):
    with pytest.raises(TicketValidationError) as caught:
        ticket_resident_reply(ticket=waiting, body="   ", at=minutes(30))
    assert "body" in caught.value.message_dict
    assert Ticket.objects.get(pk=waiting.pk).version == waiting.version


def test_a_reply_cannot_be_dated_before_the_last_change(waiting):
    with pytest.raises(TicketValidationError):
        ticket_resident_reply(ticket=waiting, body="Early", at=minutes(1))
    assert Ticket.objects.get(pk=waiting.pk).status == Status.WAITING_RESIDENT
