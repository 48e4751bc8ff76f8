"""Residents hear about their reports: the reporter (with an email address, not "no updates")
and the report's followers get the events of the table in `residents`, each with the right
links, and nothing internal; unsubscribing stops them; nothing is sent twice."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from interchange.catalogue.models import Service
from interchange.core.models import Job
from interchange.notifications.links import Recipient, unsubscribe_token
from interchange.notifications.listeners import on_timeline_event
from interchange.notifications.models import Notification, ReporterOptOut
from interchange.notifications.services import SEND_JOB, render_message
from interchange.notifications.tests.conftest import SITE, html_of
from interchange.servicedesk.actors import Resident, System
from interchange.servicedesk.dispatch import replay
from interchange.servicedesk.models import (
    ContactPreference,
    Follower,
    ResolutionCode,
    Ticket,
    TicketEvent,
)
from interchange.servicedesk.services import (
    DESK,
    follower_add,
    ticket_acknowledge,
    ticket_add_note,
    ticket_assign,
    ticket_close,
    ticket_mark_duplicate,
    ticket_reopen,
    ticket_resident_reply,
    ticket_resolve,
    ticket_resume,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn
from interchange.servicedesk.tests.factories import make_provision, make_service, make_ticket

pytestmark = pytest.mark.django_db

REPORTER = "rita@example.org"
FOLLOWER = "fred@example.net"
LINK = re.compile(r"https?://[^\s<>\"]+")
SUPPLIER_NAMES = ("Streetwise", "Cleanway")


@pytest.fixture
def roads(supplier_a) -> Service:
    """A pothole service residents report and the public may see, that supplier A delivers."""
    service = make_service("roads", name="Pothole", open311_exposed=True)
    make_provision(service=service, supplier=supplier_a)
    return service


def _open(service: Service, **fields: Any) -> Ticket:
    fields.setdefault("reporter_email", REPORTER)
    fields.setdefault("at", timezone.now() - timedelta(hours=1))
    return make_ticket(service=service, title="Pothole: Corn Street", **fields)


def _to(address: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [address]]


def _links(message: Any) -> list[str]:
    return LINK.findall(str(message.body))


def _path(link: str) -> str:
    assert link.startswith(SITE)
    return link[len(SITE) :]


def _link(message: Any, part: str) -> str:
    found = [link for link in _links(message) if part in link]
    assert len(found) == 1, _links(message)
    return found[0]


def _whole(message: Any) -> str:
    return "\n".join([str(message.subject), str(message.body), html_of(message)])


# --- Who hears -------------------------------------------------------------------------------


def test_the_reporter_hears_the_report_was_received_with_their_private_link(roads, deliver, client):
    ticket = _open(roads)

    deliver()

    [message] = _to(REPORTER)
    assert message.subject == f"We have received your report {ticket.reference}"
    private = _link(message, "/my-report/")
    unsubscribe = _link(message, "/unsubscribe/")
    for text in (message.body, html_of(message)):
        assert ticket.reference in text
        assert private in text
        assert unsubscribe in text
        assert "Pothole" in text
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The private link opens the reporter's own view: their own details are on it.
    own = client.get(_path(private))
    assert own.status_code == 200
    assert REPORTER in own.content.decode()
    assert ticket.reference in own.content.decode()


def test_the_record_of_what_was_sent_holds_no_secret(roads, deliver):
    ticket = _open(roads)
    deliver()

    [message] = _to(REPORTER)
    token = _link(message, "/my-report/").rsplit("/", 1)[1]
    notification = Notification.objects.get(recipient=REPORTER)
    assert token not in str(notification.context)
    assert token not in str(Ticket.objects.filter(pk=ticket.pk).values())
    assert notification.kind == Notification.Kind.REPORT_RECEIVED


@pytest.mark.parametrize(
    "fields",
    [
        {"reporter_email": ""},
        {"reporter_contact_preference": ContactPreference.NONE},
    ],
    ids=["no email address", "chose no updates"],
)
def test_a_reporter_without_an_address_or_who_chose_no_updates_gets_nothing(roads, deliver, fields):
    ticket = _open(roads, **fields)
    ticket_start(ticket=ticket, actor=System())
    ticket_resolve(ticket=ticket, actor=System(), resolution_code=ResolutionCode.FIXED)
    ticket_close(ticket=ticket, actor=System())

    deliver()

    assert not Notification.objects.filter(kind__startswith="report_").exists()
    assert not _to(REPORTER)


def test_a_reporter_who_chose_the_phone_is_not_emailed_even_with_an_address_on_file(roads, deliver):
    # Staff may record both; the privacy notice promises a phone choice means calls only.
    _open(roads, reporter_contact_preference=ContactPreference.PHONE)
    deliver()

    assert not _to(REPORTER)


def test_the_reporter_of_an_ict_fault_gets_no_resident_email(supplier_a, deliver):
    laptops = make_service("laptops", name="Laptop broken", kind=Service.Kind.ICT)
    _open(laptops)

    deliver()

    assert not _to(REPORTER)


# --- What they hear --------------------------------------------------------------------------


def test_the_reporter_hears_of_the_changes_they_should_know_about_and_no_internal_ones(
    roads, supplier_a_agent, deliver
):
    ticket = _open(roads)
    deliver()
    mail.outbox.clear()
    ref = ticket.reference

    ticket_acknowledge(ticket=ticket, actor=supplier_a_agent)
    ticket_add_note(
        ticket=ticket, actor=supplier_a_agent, body="Crew from Streetwise depot 4", public=False
    )
    ticket_start(ticket=ticket, actor=supplier_a_agent)
    ticket_add_note(
        ticket=ticket, actor=supplier_a_agent, body="We will fill it on Tuesday.", public=True
    )
    ticket_wait(ticket=ticket, actor=supplier_a_agent, on=WaitingOn.THIRD_PARTY, reason="Gas")
    ticket_resume(ticket=ticket, actor=supplier_a_agent)
    ticket_resolve(
        ticket=ticket,
        actor=supplier_a_agent,
        resolution_code=ResolutionCode.FIXED,
        note="Filled and sealed.",
    )
    ticket_close(ticket=ticket, actor=System())
    deliver()

    messages = _to(REPORTER)
    assert [m.subject for m in messages] == [
        f"Your report {ref}: Work has started",
        f"Your report {ref}: New update",
        f"Your report {ref}: Resolved: Fixed",
        f"Your report {ref} is closed: tell us how we did",
    ]
    _started, note, resolved, closed = messages
    assert "We will fill it on Tuesday." in note.body
    assert "Filled and sealed." in resolved.body
    assert "/not-fixed" in _link(resolved, "/not-fixed")
    assert _link(closed, "/feedback").endswith("/feedback")
    assert "from 1 (very dissatisfied) to 5 (very satisfied)" in closed.body
    for message in messages:
        whole = _whole(message)
        assert "depot 4" not in whole
        assert "Gas" not in whole
        for name in SUPPLIER_NAMES:
            assert name not in whole
        assert any("/my-report/" in link for link in _links(message))
        assert _link(message, "/unsubscribe/")


def test_the_satisfaction_link_opens_the_feedback_question(roads, deliver, client):
    ticket = _open(roads)
    ticket_resolve(ticket=ticket, actor=System(), resolution_code=ResolutionCode.FIXED)
    ticket_close(ticket=ticket, actor=System())
    deliver()

    closed = next(m for m in _to(REPORTER) if "closed" in m.subject)
    page = client.get(_path(_link(closed, "/feedback")))

    assert page.status_code == 200
    assert "Tell us how we did" in page.content.decode()


def test_waiting_on_the_reporter_says_what_is_asked_and_how_to_reply(
    roads, supplier_a_agent, deliver, client
):
    ticket = _open(roads)
    ticket_start(ticket=ticket, actor=supplier_a_agent)
    deliver()
    mail.outbox.clear()

    ticket_wait(
        ticket=ticket,
        actor=supplier_a_agent,
        on=WaitingOn.RESIDENT,
        reason="Which side of the road is it on?",
    )
    deliver()

    [message] = _to(REPORTER)
    assert message.subject == (f"Your report {ticket.reference}: we need more information from you")
    assert "Which side of the road is it on?" in message.body
    assert "Which side of the road is it on?" in html_of(message)
    reply = _link(message, "/reply")
    page = client.get(_path(reply))
    assert page.status_code == 200
    assert "Which side of the road is it on?" in page.content.decode()

    # Their reply resumes the work; they are not told of their own reply.
    mail.outbox.clear()
    ticket_resident_reply(ticket=ticket, body="The north side, by the bus stop.")
    deliver()
    assert not _to(REPORTER)


def test_a_report_handed_from_the_desk_to_a_team_is_news_but_a_later_handover_is_not(
    supplier_a, supplier_b, integrator_agent, deliver
):
    lights = make_service("lights", name="Street light", open311_exposed=True)
    ticket = _open(lights)
    assert ticket.holder_supplier is None
    deliver()
    [received] = _to(REPORTER)
    assert "We will pass it to the team" in received.body
    mail.outbox.clear()

    ticket_assign(ticket=ticket, actor=integrator_agent, holder=supplier_a)
    deliver()
    [message] = _to(REPORTER)
    assert message.subject == f"Your report {ticket.reference}: With the team responsible"
    assert "Streetwise" not in _whole(message)

    mail.outbox.clear()
    ticket_assign(ticket=ticket, actor=integrator_agent, holder=supplier_b, reason="Their area")
    ticket_assign(ticket=ticket, actor=integrator_agent, holder=DESK, reason="Back to us")
    deliver()
    assert not _to(REPORTER)


def test_the_reporter_is_not_told_of_their_own_reopening_but_followers_are(roads, deliver):
    ticket = _open(roads)
    follower_add(ticket=ticket, actor=Resident(), email=FOLLOWER)
    ticket_resolve(ticket=ticket, actor=System(), resolution_code=ResolutionCode.FIXED)
    deliver()
    mail.outbox.clear()

    ticket_reopen(ticket=ticket, actor=Resident(), reason="Still there, call me on 07700 900123")
    deliver()

    assert not _to(REPORTER)
    [message] = _to(FOLLOWER)
    assert message.subject == f"Report {ticket.reference} you follow: Report reopened"
    assert "07700 900123" not in _whole(message)


def test_a_reopening_by_staff_tells_everyone_why(roads, integrator_agent, deliver):
    ticket = _open(roads)
    follower_add(ticket=ticket, actor=Resident(), email=FOLLOWER)
    ticket_resolve(ticket=ticket, actor=System(), resolution_code=ResolutionCode.FIXED)
    deliver()
    mail.outbox.clear()

    ticket_reopen(ticket=ticket, actor=integrator_agent, reason="The repair has sunk.")
    deliver()

    for address in (REPORTER, FOLLOWER):
        [message] = _to(address)
        assert "Report reopened" in message.subject
        assert "The repair has sunk." in message.body


def test_a_duplicate_points_to_the_report_dealing_with_it(roads, integrator_agent, deliver):
    master = _open(roads, reporter_email="someone@example.com")
    ticket = _open(roads)
    deliver()
    mail.outbox.clear()

    ticket_mark_duplicate(ticket=ticket, actor=integrator_agent, master=master)
    deliver()

    [message] = _to(REPORTER)
    assert f"Already reported as {master.reference}" in message.subject


# --- Followers ---------------------------------------------------------------------------------


def test_followers_get_the_public_updates_with_their_own_links_and_never_the_private_one(
    roads, supplier_a_agent, deliver, client
):
    ticket = _open(roads)
    follower_add(ticket=ticket, actor=Resident(), email=FOLLOWER, name="Fred")
    deliver()
    assert not _to(FOLLOWER)  # following is not news

    ticket_start(ticket=ticket, actor=supplier_a_agent)
    ticket_add_note(ticket=ticket, actor=supplier_a_agent, body="Internal only", public=False)
    ticket_wait(ticket=ticket, actor=supplier_a_agent, on=WaitingOn.RESIDENT, reason="Which side?")
    ticket_resident_reply(ticket=ticket, body="North side, I am at 12 Corn Street")
    ticket_resolve(
        ticket=ticket, actor=supplier_a_agent, resolution_code=ResolutionCode.FIXED, note="Filled."
    )
    ticket_close(ticket=ticket, actor=System())
    deliver()

    messages = _to(FOLLOWER)
    ref = ticket.reference
    assert [m.subject for m in messages] == [
        f"Report {ref} you follow: Work has started",
        f"Report {ref} you follow: Resolved: Fixed",
        f"Report {ref} you follow: Report closed",
    ]
    reporter_unsubscribe = _link(_to(REPORTER)[0], "/unsubscribe/")
    for message in messages:
        whole = _whole(message)
        assert "/my-report/" not in whole
        assert "Internal only" not in whole
        assert "Which side?" not in whole
        assert "12 Corn Street" not in whole
        assert "Streetwise" not in whole
        assert _link(message, "/unsubscribe/") != reporter_unsubscribe
        public = _link(message, "/track/")
        assert client.get(_path(public)).status_code == 200
    assert "feedback" not in messages[-1].body


def test_a_follower_who_is_also_the_reporter_hears_once(roads, supplier_a_agent, deliver):
    ticket = _open(roads)
    follower_add(ticket=ticket, actor=Resident(), email=REPORTER.upper())
    deliver()
    mail.outbox.clear()

    ticket_start(ticket=ticket, actor=supplier_a_agent)
    deliver()

    assert len(mail.outbox) == 1
    assert Notification.objects.filter(kind=Notification.Kind.FOLLOWER_UPDATE).count() == 0


def test_a_follower_hears_nothing_of_what_happened_before_they_followed(
    roads, supplier_a_agent, deliver
):
    ticket = _open(roads)
    ticket_start(ticket=ticket, actor=supplier_a_agent)
    follower_add(ticket=ticket, actor=Resident(), email=FOLLOWER)

    deliver()

    assert not _to(FOLLOWER)


# --- Unsubscribing ---------------------------------------------------------------------------


def test_the_unsubscribe_link_asks_first_then_stops_the_reporters_emails(
    roads, supplier_a_agent, deliver, client
):
    ticket = _open(roads)
    deliver()
    path = _path(_link(_to(REPORTER)[0], "/unsubscribe/"))

    asked = client.get(path)
    assert asked.status_code == 200
    assert "Stop emails about this report" in asked.content.decode()
    assert ticket.reference in asked.content.decode()
    assert asked["X-Robots-Tag"] == "noindex, nofollow"
    assert not ReporterOptOut.objects.exists()  # a link scanner's GET changes nothing

    done = client.post(path)
    assert done.status_code == 302
    assert "Emails stopped" in client.get(path).content.decode()
    assert ReporterOptOut.objects.filter(ticket=ticket).exists()
    assert client.post(path).status_code == 302  # again: harmless

    mail.outbox.clear()
    ticket_start(ticket=ticket, actor=supplier_a_agent)
    ticket_resolve(ticket=ticket, actor=System(), resolution_code=ResolutionCode.FIXED)
    ticket_close(ticket=ticket, actor=System())
    deliver()
    assert not mail.outbox
    # Unsubscribing is a mail preference, not a change to the ticket.
    assert not ticket.events.filter(actor_kind=TicketEvent.ActorKind.RESIDENT).exists()


def test_a_follower_unsubscribes_from_their_own_emails_only(
    roads, supplier_a_agent, deliver, client
):
    ticket = _open(roads)
    follower_add(ticket=ticket, actor=Resident(), email=FOLLOWER)
    ticket_start(ticket=ticket, actor=supplier_a_agent)
    deliver()
    path = _path(_link(_to(FOLLOWER)[0], "/unsubscribe/"))

    assert "stop following report" in client.get(path).content.decode()
    client.post(path)

    assert Follower.objects.get(email=FOLLOWER).unsubscribed_at is not None
    assert not ReporterOptOut.objects.exists()
    mail.outbox.clear()
    ticket_add_note(ticket=ticket, actor=supplier_a_agent, body="Tuesday", public=True)
    deliver()
    assert [m.to for m in mail.outbox] == [[REPORTER]]


def test_a_mail_programs_one_click_unsubscribe_needs_no_csrf_token(roads, deliver):
    ticket = _open(roads)
    deliver()
    path = _path(_link(_to(REPORTER)[0], "/unsubscribe/"))

    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 302
    assert ReporterOptOut.objects.filter(ticket=ticket).exists()


def test_a_forged_or_altered_unsubscribe_link_is_not_found(roads, deliver, client):
    ticket = _open(roads)
    other = _open(roads, reporter_email="other@example.com")
    stranger = follower_add(ticket=other, actor=Resident(), email=FOLLOWER).follower
    deliver()
    good = _link(_to(REPORTER)[0], "/unsubscribe/").rsplit("/", 1)[1]
    value, _dot, signature = good.rpartition(".")
    forged = [
        f"{value}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        f"{other.pk}-r.{signature}",
        "nonsense",
        # Signed, but for a follower of another ticket.
        unsubscribe_token(Recipient(ticket_id=ticket.pk, follower_id=stranger.pk)),
    ]

    for token in forged:
        assert client.get(f"/unsubscribe/{token}").status_code == 404
        assert client.post(f"/unsubscribe/{token}").status_code == 404
    assert not ReporterOptOut.objects.exists()
    assert Follower.objects.get(pk=stranger.pk).unsubscribed_at is None


# --- Durable, and never twice ----------------------------------------------------------------


def test_replaying_the_dispatcher_sends_nothing_twice(roads, supplier_a_agent, deliver):
    ticket = _open(roads)
    follower_add(ticket=ticket, actor=Resident(), email=FOLLOWER)
    ticket_start(ticket=ticket, actor=supplier_a_agent)
    ticket_wait(ticket=ticket, actor=supplier_a_agent, on=WaitingOn.RESIDENT, reason="Where?")
    deliver()
    sent = len(mail.outbox)
    counts = (Notification.objects.count(), Job.objects.filter(kind=SEND_JOB).count())
    assert sent == 4  # received, started (both), waiting

    assert replay("notifications") > 0
    for event in ticket.events.all():
        on_timeline_event(event)

    assert (Notification.objects.count(), Job.objects.filter(kind=SEND_JOB).count()) == counts
    assert deliver() == 0
    assert len(mail.outbox) == sent
    assert set(Job.objects.filter(kind=SEND_JOB).values_list("dedupe_key", flat=True)) == {
        f"{SEND_JOB}:{pk}" for pk in Notification.objects.values_list("pk", flat=True)
    }


def test_seeded_history_already_dispatched_sends_nothing_even_when_replayed(roads, deliver):
    ticket = _open(roads, at=timezone.now() - timedelta(days=30))
    ticket_resolve(
        ticket=ticket,
        actor=System(),
        resolution_code=ResolutionCode.FIXED,
        at=timezone.now() - timedelta(days=29),
    )
    TicketEvent.objects.update(dispatched_at=timezone.now() - timedelta(days=29))

    assert deliver() == 0
    replay("notifications")
    assert deliver() == 0
    assert not Notification.objects.exists()
    assert not mail.outbox


# The ticket with its service, the reporter's opt-out, the followers; then the messages
# already recorded, the new ones inserted together, their ids, and their send jobs inserted
# together (see `notify_many`): however many followers hear.
EVENT_QUERIES = 7


@pytest.mark.parametrize("followers", [1, 5])
def test_telling_residents_of_an_event_takes_a_fixed_number_of_queries_whatever_the_followers(
    roads, supplier_a_agent, django_assert_num_queries, followers
):
    ticket = _open(roads)
    for n in range(followers):
        follower_add(ticket=ticket, actor=Resident(), email=f"follower{n}@example.org")
    ticket = ticket_add_note(ticket=ticket, actor=supplier_a_agent, body="News", public=True)
    event = ticket.events.get(sequence=ticket.version)

    with django_assert_num_queries(EVENT_QUERIES):
        on_timeline_event(event)

    assert Notification.objects.filter(event=event).count() == followers + 1
    assert Job.objects.filter(kind=SEND_JOB).count() == Notification.objects.count()


def test_an_event_residents_never_hear_about_takes_no_query(
    roads, supplier_a_agent, django_assert_num_queries
):
    ticket = _open(roads)
    ticket = ticket_acknowledge(ticket=ticket, actor=supplier_a_agent)
    event = ticket.events.get(sequence=ticket.version)

    with django_assert_num_queries(0):
        on_timeline_event(event)


# --- Rendering ---------------------------------------------------------------------------------


RESIDENT_KINDS = [
    Notification.Kind.REPORT_RECEIVED,
    Notification.Kind.REPORT_UPDATE,
    Notification.Kind.REPORT_WAITING,
    Notification.Kind.REPORT_CLOSED,
    Notification.Kind.FOLLOWER_UPDATE,
]
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.mark.parametrize("kind", RESIDENT_KINDS)
def test_resident_messages_escape_what_they_quote_in_html_and_keep_it_in_text(kind, roads):
    ticket = _open(roads)
    follower = None if kind != Notification.Kind.FOLLOWER_UPDATE else 1
    context = {
        "reference": ticket.reference,
        "service": "Pothole",
        "headline": "New update",
        "event": "note",
        "public": True,
        "detail": HOSTILE,
        "recipient": {"ticket": ticket.pk, "follower": follower},
    }

    message = render_message(kind, context)

    assert "\n" not in message.subject
    assert ticket.reference in message.subject
    assert "<script" not in message.html
    assert message.html.lstrip().startswith("<!DOCTYPE html>")
    assert "Report and track a problem" in message.html
    assert message.unsubscribe_link.startswith(f"{SITE}/unsubscribe/")
    assert message.unsubscribe_link in message.text
    if kind != Notification.Kind.REPORT_CLOSED:
        assert HOSTILE in message.text
        assert "&lt;script&gt;" in message.html
