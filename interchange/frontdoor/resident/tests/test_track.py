"""Tracking a report: by reference (the public view, which grants nothing more) and by the
private link (the reporter's own view, where they reply, reopen and rate). Whoever lacks the
private link can do none of that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from interchange.frontdoor.resident import selectors
from interchange.frontdoor.resident.services import report_rate
from interchange.frontdoor.resident.tests.conftest import open_report, photo_bytes
from interchange.servicedesk.actors import Resident, System
from interchange.servicedesk.models import (
    Attachment,
    Follower,
    SatisfactionResponse,
    Status,
    Ticket,
    TicketEvent,
)
from interchange.servicedesk.services import (
    ticket_add_note,
    ticket_attach,
    ticket_close,
    ticket_resident_reply,
    ticket_resolve,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn

pytestmark = pytest.mark.django_db

Kind = TicketEvent.Kind


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def own_url(opened, suffix: str = "") -> str:
    return f"/my-report/{opened.private_token}{suffix}"


def waiting_on_resident(ticket, agent) -> Ticket:
    started = ticket_start(ticket=ticket, actor=agent)
    return ticket_wait(
        ticket=started, actor=agent, on=WaitingOn.RESIDENT, reason="Is it on the pavement side?"
    )


def resolved(ticket, agent) -> Ticket:
    return ticket_resolve(
        ticket=ticket, actor=agent, resolution_code="fixed", note="Filled on Tuesday"
    )


def photo_upload(name: str = "again.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or photo_bytes(), content_type="image/jpeg")


# --- Finding a report by its reference -----------------------------------------------------


def test_the_track_page_asks_for_a_reference(client):
    html = client.get("/track/").content.decode()
    assert 'name="reference"' in html and "govuk-error-summary" not in html


def test_an_empty_reference_is_an_error(client):
    html = client.get("/track/", {"reference": ""}).content.decode()
    assert 'href="#id_reference">Enter the reference number of the report' in html


@pytest.mark.parametrize("typed", ["{ref}", "{ref_lower}", " {number} "])
def test_a_reference_leads_to_the_report(client, ticket, typed):
    reference = ticket.reference
    text = typed.format(ref=reference, ref_lower=reference.lower(), number=ticket.pk)
    response = client.get("/track/", {"reference": text})
    assert response.status_code == 302 and response.url == f"/track/{reference}"


def test_an_unknown_reference_is_an_error_next_to_the_field(client, ticket):
    html = client.get("/track/", {"reference": "INC-999999"}).content.decode()
    assert "No report was found with that reference" in html
    assert 'id="id_reference-error"' in html


def test_a_report_not_offered_publicly_is_not_found_by_its_reference(client, world):
    hidden = open_report(world["noise"]).ticket
    html = client.get("/track/", {"reference": hidden.reference}).content.decode()
    assert "No report was found with that reference" in html
    assert client.get(f"/track/{hidden.reference}").status_code == 404
    assert client.get(f"/track/{hidden.reference}/follow").status_code == 404


def test_a_reference_with_the_wrong_type_is_not_found(client, ticket):
    assert client.get(f"/track/REQ-{ticket.pk:06d}").status_code == 404


def test_a_reference_typed_loosely_is_sent_to_its_proper_address(client, ticket):
    response = client.get(f"/track/{ticket.reference.lower()}")
    assert response.url == f"/track/{ticket.reference}"


# --- The public view -----------------------------------------------------------------------


def test_the_public_view_shows_status_and_updates_but_nobody_s_details(
    client, ticket, supplier_a_agent
):
    started = ticket_start(ticket=ticket, actor=supplier_a_agent)
    ticket_add_note(
        ticket=started, actor=supplier_a_agent, body="Crew booked for Friday", public=True
    )
    ticket_add_note(ticket=fresh(started), actor=supplier_a_agent, body="Secret", public=False)
    html = client.get(f"/track/{ticket.reference}").content.decode()
    assert "In progress" in html and "The team is working on it." in html
    assert "Crew booked for Friday" in html and "Work started" in html
    assert "Report received" in html
    assert "Secret" not in html
    for private in ("Rita", "rita@example.org", "Deep hole by the kerb", "Your details"):
        assert private not in html
    assert "Follow this report" in html


def test_a_residents_words_stay_out_of_the_public_view(client, ticket, supplier_a_agent):
    waiting = waiting_on_resident(ticket, supplier_a_agent)
    ticket_resident_reply(ticket=waiting, body="Call me on 07700 900982")
    html = client.get(f"/track/{ticket.reference}").content.decode()
    assert "07700 900982" not in html and "Is it on the pavement side?" not in html
    assert "The person who reported it sent more information" in html
    assert "Waiting for more information from the person who reported it" in html


def test_the_expected_date_shows_when_there_is_one(client, ticket, monkeypatch):
    url = f"/track/{ticket.reference}"
    assert "We aim to deal with it by" not in client.get(url).content.decode()
    monkeypatch.setattr(
        selectors, "expected_resolution", lambda t: datetime(2026, 3, 9, 17, tzinfo=UTC)
    )
    assert "We aim to deal with it by 9 March 2026" in client.get(url).content.decode()


def test_the_expected_date_has_one_place_to_be_wired_to_the_clocks(ticket):
    assert selectors.expected_resolution(ticket) is None


def test_the_public_view_shows_the_map_with_the_place_in_words(client, ticket):
    html = client.get(f"/track/{ticket.reference}").content.decode()
    assert 'data-module="app-map"' in html and "Corn Street (latitude 51.45450" in html


def test_a_resolved_report_says_how(client, ticket, supplier_a_agent):
    resolved(ticket, supplier_a_agent)
    html = client.get(f"/track/{ticket.reference}").content.decode()
    assert "Resolved: Fixed" in html and "Filled on Tuesday" in html
    assert "Outcome: Fixed." in html


# --- Following -----------------------------------------------------------------------------


def test_anyone_may_follow_a_public_report_with_an_email(client, ticket):
    url = f"/track/{ticket.reference}/follow"
    html = client.post(url, {"email": "not-an-email"}).content.decode()
    assert "Enter an email address in the correct format" in html
    assert not Follower.objects.exists()
    response = client.post(url, {"email": "sam@example.org"})
    assert response.url == f"/track/{ticket.reference}"
    assert Follower.objects.get().email == "sam@example.org"
    assert "You are now following this report" in client.get(response.url).content.decode()


def test_a_closed_report_cannot_be_followed(client, ticket, supplier_a_agent):
    ticket_close(ticket=resolved(ticket, supplier_a_agent), actor=supplier_a_agent)
    url = f"/track/{ticket.reference}/follow"
    assert "can no longer be followed" in client.get(url).content.decode()
    client.post(url, {"email": "sam@example.org"})
    assert not Follower.objects.exists()
    assert "Follow this report" not in client.get(f"/track/{ticket.reference}").content.decode()


# --- The reporter's own view ---------------------------------------------------------------


def test_the_private_link_shows_the_reporters_own_details(client, opened):
    response = client.get(own_url(opened))
    html = response.content.decode()
    for text in ("Rita", "rita@example.org", "Deep hole by the kerb", "Your details"):
        assert text in html
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Follow this report" not in html


def test_a_wrong_private_link_is_not_found(client, opened):
    for path in ("", "/reply", "/not-fixed", "/feedback", "/photos/1"):
        assert client.get(f"/my-report/nonsense{path}").status_code == 404
        assert client.post(f"/my-report/nonsense{path}").status_code in (404, 405)


def test_the_reference_does_not_work_as_a_private_link(client, opened):
    reference = opened.ticket.reference
    assert client.get(f"/my-report/{reference}").status_code == 404
    assert client.post(f"/my-report/{reference}/reply", {"body": "hi"}).status_code == 404


def test_the_reporter_sees_a_status_change_made_by_staff(client, opened, supplier_a_agent):
    ticket_start(ticket=opened.ticket, actor=supplier_a_agent)
    html = client.get(own_url(opened)).content.decode()
    assert "In progress" in html and "Work started" in html


def test_the_reporter_sees_their_photos_and_the_public_does_not(client, opened, resident_client):
    photo = ticket_attach(
        ticket=opened.ticket, actor=Resident(), name="hole.jpg", data=photo_bytes()
    )
    own = client.get(own_url(opened)).content.decode()
    assert f"/my-report/{opened.private_token}/photos/{photo.pk}" in own
    shown = client.get(own_url(opened, f"/photos/{photo.pk}"))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    public = f"/track/{opened.ticket.reference}"
    assert f"/photos/{photo.pk}" not in resident_client.get(public).content.decode()
    assert resident_client.get(f"{public}/photos/{photo.pk}").status_code == 404


def test_a_public_photo_is_shown_to_everyone(client, opened, supplier_a_agent):
    photo = ticket_attach(
        ticket=opened.ticket,
        actor=supplier_a_agent,
        name="done.png",
        data=photo_bytes("PNG"),
        public=True,
    )
    public = f"/track/{opened.ticket.reference}"
    assert f"{public}/photos/{photo.pk}" in client.get(public).content.decode()
    assert client.get(f"{public}/photos/{photo.pk}")["Content-Type"] == "image/png"


# --- Replying while the report waits on the reporter ---------------------------------------


def test_the_own_view_asks_for_a_reply_while_waiting(client, opened, supplier_a_agent):
    waiting_on_resident(opened.ticket, supplier_a_agent)
    html = client.get(own_url(opened)).content.decode()
    assert "The team needs more information from you" in html
    assert "Is it on the pavement side?" in html
    assert f'href="{own_url(opened, "/reply")}"' in html


def test_a_reply_resumes_the_report(client, opened, supplier_a_agent):
    waiting = waiting_on_resident(opened.ticket, supplier_a_agent)
    page = client.get(own_url(opened, "/reply")).content.decode()
    assert "Is it on the pavement side?" in page
    response = client.post(
        own_url(opened, "/reply"), {"body": "Yes, the pavement side", "photo": photo_upload()}
    )
    assert response.url == own_url(opened)
    ticket = fresh(waiting)
    assert ticket.status == Status.IN_PROGRESS
    kinds = list(ticket.events.filter(sequence__gt=waiting.version).values_list("kind", flat=True))
    assert kinds == [Kind.NOTE, Kind.ATTACHMENT, Kind.RESUMED]
    html = client.get(own_url(opened)).content.decode()
    assert "Your reply has been sent" in html and "Yes, the pavement side" in html


def test_an_empty_reply_changes_nothing(client, opened, supplier_a_agent):
    waiting = waiting_on_resident(opened.ticket, supplier_a_agent)
    html = client.post(own_url(opened, "/reply"), {"body": " "}).content.decode()
    assert 'href="#id_body">Enter your reply' in html
    assert fresh(waiting).version == waiting.version


def test_a_reply_with_a_file_that_is_not_a_photo_changes_nothing(client, opened, supplier_a_agent):
    waiting = waiting_on_resident(opened.ticket, supplier_a_agent)
    bad = SimpleUploadedFile("x.jpg", b"MZ" + b"\0" * 64, content_type="image/jpeg")
    html = client.post(own_url(opened, "/reply"), {"body": "Here", "photo": bad}).content.decode()
    assert "must be a photo" in html
    assert fresh(waiting).version == waiting.version and not Attachment.objects.exists()


def test_there_is_no_reply_when_the_report_is_not_waiting(client, opened):
    response = client.post(own_url(opened, "/reply"), {"body": "Hello?"})
    assert response.url == own_url(opened)
    assert fresh(opened.ticket).version == opened.ticket.version
    assert "not waiting for a reply" in client.get(own_url(opened)).content.decode()


# --- Still not fixed -----------------------------------------------------------------------


def test_a_resolved_report_can_be_reopened_with_a_comment_and_photo(
    client, opened, supplier_a_agent
):
    done = resolved(opened.ticket, supplier_a_agent)
    assert f'href="{own_url(opened, "/not-fixed")}"' in client.get(own_url(opened)).content.decode()
    html = client.post(own_url(opened, "/not-fixed"), {"reason": ""}).content.decode()
    assert 'href="#id_reason">Tell us what is still wrong' in html
    assert fresh(done).status == Status.RESOLVED
    response = client.post(
        own_url(opened, "/not-fixed"),
        {"reason": "It has opened up again", "photo": photo_upload()},
    )
    assert response.url == own_url(opened)
    ticket = fresh(done)
    assert ticket.status == Status.IN_PROGRESS
    reopened = ticket.events.get(kind=Kind.REOPENED)
    assert reopened.reason == "It has opened up again" and reopened.actor_kind == "resident"
    event = Attachment.objects.get().event
    assert event is not None and event.actor_kind == "resident"
    public = client.get(f"/track/{ticket.reference}").content.decode()
    assert "Reported as not fixed, and reopened" in public
    assert "It has opened up again" not in public


def test_an_open_report_cannot_be_reopened(client, opened):
    response = client.post(own_url(opened, "/not-fixed"), {"reason": "Why not"})
    assert response.url == own_url(opened)
    assert fresh(opened.ticket).version == opened.ticket.version


def test_a_report_closed_long_ago_cannot_be_reopened(client, opened, supplier_a_agent, settings):
    closed = ticket_close(ticket=resolved(opened.ticket, supplier_a_agent), actor=supplier_a_agent)
    settings.TICKET_REOPEN_WINDOW_DAYS = 0
    Ticket.objects.filter(pk=closed.pk).update(closed_at=timezone.now() - timedelta(days=1))
    assert "Tell us it is not fixed" not in client.get(own_url(opened)).content.decode()
    client.post(own_url(opened, "/not-fixed"), {"reason": "Still there"})
    assert fresh(closed).status == Status.CLOSED


# --- Satisfaction --------------------------------------------------------------------------


def closed(opened, agent) -> Ticket:
    return ticket_close(ticket=resolved(opened.ticket, agent), actor=agent)


def test_a_closed_report_asks_how_we_did_once(client, opened, supplier_a_agent):
    closed(opened, supplier_a_agent)
    assert "Give feedback" in client.get(own_url(opened)).content.decode()
    html = client.post(own_url(opened, "/feedback"), {"score": "9"}).content.decode()
    assert "Select how satisfied you are" in html
    response = client.post(own_url(opened, "/feedback"), {"score": "4", "comment": "Quick"})
    assert response.url == own_url(opened)
    answer = SatisfactionResponse.objects.get()
    assert (answer.score, answer.comment) == (4, "Quick")
    html = client.get(own_url(opened)).content.decode()
    assert "Thank you for your feedback" in html and "Give feedback" not in html
    client.post(own_url(opened, "/feedback"), {"score": "1"})
    assert SatisfactionResponse.objects.count() == 1


def test_an_open_report_is_not_rated(client, opened):
    client.post(own_url(opened, "/feedback"), {"score": "5"})
    assert not SatisfactionResponse.objects.exists()


def test_the_public_cannot_rate_reply_or_reopen(client, opened, supplier_a_agent):
    reference = opened.ticket.reference
    closed(opened, supplier_a_agent)
    for path in ("feedback", "reply", "not-fixed"):
        assert client.post(f"/track/{reference}/{path}", {"score": "5"}).status_code == 404
    assert not SatisfactionResponse.objects.exists()


def test_rating_twice_at_once_keeps_the_first(opened, supplier_a_agent):
    ticket = closed(opened, supplier_a_agent)
    assert report_rate(ticket=ticket, score=5) is not None
    stale = Ticket.objects.get(pk=ticket.pk)
    stale.version -= 1
    assert report_rate(ticket=stale, score=1) is None
    assert list(SatisfactionResponse.objects.values_list("score", flat=True)) == [5]


def test_a_system_rating_through_the_desk_also_counts(opened, supplier_a_agent):
    from interchange.servicedesk.services import satisfaction_record

    ticket = closed(opened, supplier_a_agent)
    satisfaction_record(ticket=ticket, actor=System(), score=3)
    assert report_rate(ticket=fresh(ticket), score=5) is None
