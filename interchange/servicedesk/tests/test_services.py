"""The domain functions: what each changes, what it records on the timeline, who may call
it, and that bad input or a stale version changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from interchange.accounts.models import ApiKey
from interchange.core.priorities import Level, Priority
from interchange.servicedesk.actors import Resident, System
from interchange.servicedesk.errors import (
    IllegalTransition,
    NotPermitted,
    StaleVersion,
    TicketValidationError,
)
from interchange.servicedesk.models import (
    Attachment,
    Follower,
    ResolutionCode,
    SearchDocument,
    Status,
    Ticket,
    TicketEvent,
    TicketHolding,
    TicketLink,
    TicketType,
    hash_token,
)
from interchange.servicedesk.selectors import ticket_for_private_token, ticket_timeline
from interchange.servicedesk.services import (
    DESK,
    follower_add,
    follower_unsubscribe,
    satisfaction_record,
    ticket_acknowledge,
    ticket_add_note,
    ticket_assign,
    ticket_attach,
    ticket_cancel,
    ticket_close,
    ticket_link,
    ticket_mark_duplicate,
    ticket_open,
    ticket_override_priority,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_set_major_incident,
    ticket_set_priority,
    ticket_set_supplier_reference,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn
from interchange.servicedesk.tests.factories import (
    T0,
    make_provision,
    make_service,
    make_ticket,
)

pytestmark = pytest.mark.django_db

Kind = TicketEvent.Kind
SYSTEM = System()


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def potholes(supplier_a):
    service = make_service("potholes")
    make_provision(service=service, supplier=supplier_a)
    return service


@pytest.fixture
def laptops():
    return make_service("laptops", kind="ict")


@pytest.fixture
def at_a(potholes):
    """A ticket routed to supplier A at T0."""
    return make_ticket(service=potholes)


@pytest.fixture
def at_desk(laptops):
    """A ticket at the integrator desk since T0."""
    return make_ticket(service=laptops, title="Laptop will not start")


def last_event(ticket: Ticket) -> TicketEvent:
    return ticket.events.latest("sequence")


def unchanged(ticket: Ticket) -> bool:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return fresh.version == ticket.version and fresh.events.count() == ticket.version


# --- Opening ---------------------------------------------------------------------------------


def test_opening_takes_priority_from_impact_and_urgency(laptops):
    ticket = make_ticket(service=laptops, impact=Level.HIGH, urgency=Level.MEDIUM)
    assert ticket.priority == Priority.P2
    assert not ticket.priority_overridden


def test_opening_writes_one_public_event_with_the_whole_starting_state(at_a, supplier_a):
    (event,) = at_a.events.all()
    assert (event.sequence, event.kind, event.at, event.public) == (1, Kind.OPENED, T0, True)
    assert (event.status, event.holder_supplier_id, event.priority) == (
        Status.ASSIGNED,
        supplier_a.pk,
        Priority.P3,
    )
    assert event.new["holder_supplier"] == supplier_a.pk
    assert event.new["provision"] is not None and event.new["sla_policy"] is not None
    assert event.dispatched_at is None
    assert at_a.version == 1
    assert TicketHolding.objects.filter(ticket=at_a, supplier=supplier_a).exists()


def test_events_never_carry_the_reporters_personal_data(at_a):
    payload = str(at_a.events.values_list("old", "new").get())
    assert "Rita" not in payload and "rita@example.org" not in payload


def test_the_private_token_is_given_once_and_stored_only_as_its_hash(laptops):
    opened = ticket_open(
        actor=Resident(),
        type=TicketType.INCIDENT,
        service=laptops,
        title="Screen cracked",
        channel="web",
        impact=Level.LOW,
        urgency=Level.LOW,
        at=T0,
    )
    assert len(opened.private_token) >= 40
    assert opened.ticket.private_token_hash == hash_token(opened.private_token)
    assert opened.private_token not in str(Ticket.objects.filter(pk=opened.ticket.pk).values())
    assert ticket_for_private_token(opened.private_token) == opened.ticket
    assert ticket_for_private_token("guess") is None
    assert opened.ticket.events.get().actor_kind == TicketEvent.ActorKind.RESIDENT


def test_opening_indexes_the_ticket_for_search(at_a):
    body = SearchDocument.objects.get(ticket=at_a).body
    assert at_a.reference in body and "Pothole outside number 12" in body


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"latitude": 51.5}, "latitude"),
        ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
        ({"reporter_email": "not an address"}, "reporter_email"),
        ({"channel": "pigeon"}, "channel"),
        ({"impact": "huge"}, "impact"),
    ],
)
def test_bad_input_to_open_is_a_field_error_and_creates_nothing(laptops, fields, field):
    with pytest.raises(TicketValidationError) as refused:
        make_ticket(service=laptops, **fields)
    assert field in refused.value.message_dict
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_an_inactive_service_takes_no_tickets(laptops):
    laptops.active = False
    laptops.save()
    with pytest.raises(TicketValidationError) as refused:
        make_ticket(service=laptops)
    assert "service" in refused.value.message_dict


# --- Assigning ------------------------------------------------------------------------------


def test_the_desk_hands_a_new_ticket_to_a_supplier_without_a_reason(
    at_desk, integrator_agent, supplier_b
):
    ticket = ticket_assign(ticket=at_desk, actor=integrator_agent, holder=supplier_b, at=minutes(5))
    assert (ticket.status, ticket.holder_supplier_id, ticket.version) == (
        Status.ASSIGNED,
        supplier_b.pk,
        2,
    )
    event = last_event(ticket)
    assert event.kind == Kind.ASSIGNED and event.actor_user == integrator_agent
    assert event.old == {"holder_supplier": None, "status": Status.NEW}
    assert event.new == {
        "holder_supplier": supplier_b.pk,
        "status": Status.ASSIGNED,
        "provision": None,
        "sla_policy": None,
    }
    assert TicketHolding.objects.filter(ticket=ticket, supplier=supplier_b).exists()


def test_a_handover_of_work_under_way_needs_a_reason(at_a, integrator_agent, supplier_b):
    started = ticket_start(ticket=at_a, actor=SYSTEM, at=minutes(1))
    with pytest.raises(TicketValidationError) as refused:
        ticket_assign(ticket=started, actor=integrator_agent, holder=supplier_b, at=minutes(2))
    assert "reason" in refused.value.message_dict
    assert unchanged(started)


def test_a_supplier_hands_back_to_the_desk_and_the_desk_must_acknowledge_again(
    at_a, supplier_a_agent
):
    acked = ticket_acknowledge(ticket=at_a, actor=supplier_a_agent, at=minutes(1))
    back = ticket_assign(
        ticket=acked, actor=supplier_a_agent, holder=DESK, reason="Not ours", at=minutes(2)
    )
    assert back.held_by_desk and back.status == Status.ASSIGNED
    assert back.holder_acknowledged_at is None
    # The end-to-end acknowledgement stands: the resident had their response.
    assert back.acknowledged_at == minutes(1)
    event = last_event(back)
    assert event.reason == "Not ours" and event.new["holder_supplier"] is None
    assert not event.holder_acknowledged


def test_a_supplier_cannot_hand_a_ticket_to_another_supplier(at_a, supplier_a_agent, supplier_b):
    with pytest.raises(NotPermitted):
        ticket_assign(
            ticket=at_a, actor=supplier_a_agent, holder=supplier_b, reason="B's", at=minutes(1)
        )
    assert unchanged(at_a)


def test_a_supplier_cannot_change_a_ticket_another_supplier_holds(at_a, supplier_b_agent):
    with pytest.raises(NotPermitted):
        ticket_acknowledge(ticket=at_a, actor=supplier_b_agent, at=minutes(1))
    assert unchanged(at_a)


def test_a_supplier_system_acts_for_its_supplier(at_a, supplier_a):
    key = ApiKey.objects.create(
        name="Streetwise CRM",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=supplier_a,
        prefix="abc123",
        secret_hash="0" * 64,
        created_at=timezone.now(),
    )
    ticket = ticket_acknowledge(ticket=at_a, actor=key, at=minutes(1))
    event = last_event(ticket)
    assert (event.actor_kind, event.actor_key, event.actor_label) == (
        TicketEvent.ActorKind.API_KEY,
        key,
        "Streetwise CRM",
    )


def test_assigning_a_person_of_the_holder_keeps_the_status(at_a, supplier_a_agent):
    started = ticket_start(ticket=at_a, actor=SYSTEM, at=minutes(1))
    ticket = ticket_assign(
        ticket=started, actor=supplier_a_agent, assignee=supplier_a_agent, at=minutes(2)
    )
    assert (ticket.status, ticket.assignee) == (Status.IN_PROGRESS, supplier_a_agent)
    assert last_event(ticket).new == {"assignee": supplier_a_agent.pk}
    # Assigning the same person again changes nothing.
    again = ticket_assign(
        ticket=ticket, actor=supplier_a_agent, assignee=supplier_a_agent, at=minutes(3)
    )
    assert again.version == ticket.version


def test_only_the_holders_people_can_be_assigned(at_a, supplier_b_agent, integrator_agent):
    for person in (supplier_b_agent, integrator_agent):
        with pytest.raises(TicketValidationError) as refused:
            ticket_assign(ticket=at_a, actor=SYSTEM, assignee=person, at=minutes(1))
        assert "assignee" in refused.value.message_dict
    assert unchanged(at_a)


def test_residents_cannot_assign(at_a):
    with pytest.raises(NotPermitted):
        ticket_assign(ticket=at_a, actor=Resident(), holder=DESK, reason="x", at=minutes(1))


# --- Acknowledging and working --------------------------------------------------------------


def test_acknowledging_sets_both_times_once(at_a, supplier_a_agent):
    ticket = ticket_acknowledge(ticket=at_a, actor=supplier_a_agent, at=minutes(7))
    assert ticket.acknowledged_at == ticket.holder_acknowledged_at == minutes(7)
    event = last_event(ticket)
    assert event.kind == Kind.ACKNOWLEDGED and event.holder_acknowledged
    assert set(event.new) == {"acknowledged_at", "holder_acknowledged_at"}
    again = ticket_acknowledge(ticket=ticket, actor=supplier_a_agent, at=minutes(9))
    assert again.version == ticket.version and again.acknowledged_at == minutes(7)


def test_starting_acknowledges_if_nobody_had(at_a, supplier_a_agent):
    ticket = ticket_start(ticket=at_a, actor=supplier_a_agent, at=minutes(4))
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.holder_acknowledged_at == ticket.acknowledged_at == minutes(4)
    assert ticket.version == 2


def test_a_public_reply_by_the_holder_acknowledges(at_a, supplier_a_agent):
    ticket = ticket_add_note(
        ticket=at_a, actor=supplier_a_agent, body="On our way", public=True, at=minutes(3)
    )
    assert ticket.acknowledged_at == ticket.holder_acknowledged_at == minutes(3)
    event = last_event(ticket)
    assert event.kind == Kind.NOTE and event.public and event.new["body"] == "On our way"


def test_an_internal_note_acknowledges_nothing(at_a, supplier_a_agent):
    ticket = ticket_add_note(
        ticket=at_a, actor=supplier_a_agent, body="Crew busy", public=False, at=minutes(3)
    )
    assert ticket.acknowledged_at is None and ticket.holder_acknowledged_at is None


def test_a_public_reply_by_the_desk_answers_the_resident_but_not_for_the_supplier(
    at_a, integrator_agent
):
    ticket = ticket_add_note(
        ticket=at_a, actor=integrator_agent, body="Passed to the crew", public=True, at=minutes(3)
    )
    assert ticket.acknowledged_at == minutes(3)
    assert ticket.holder_acknowledged_at is None


def test_a_residents_reply_acknowledges_nothing_and_is_always_public(at_a):
    ticket = ticket_add_note(
        ticket=at_a, actor=Resident(), body="It is getting bigger", public=True, at=minutes(3)
    )
    assert ticket.acknowledged_at is None
    with pytest.raises(NotPermitted):
        ticket_add_note(ticket=ticket, actor=Resident(), body="psst", public=False, at=minutes(4))


def test_notes_are_found_by_search(at_a):
    ticket_add_note(ticket=at_a, actor=SYSTEM, body="Gas main nearby", public=False, at=minutes(1))
    assert "Gas main nearby" in SearchDocument.objects.get(ticket=at_a).body


def test_an_empty_note_is_refused(at_a):
    with pytest.raises(TicketValidationError):
        ticket_add_note(ticket=at_a, actor=SYSTEM, body="  ", public=True, at=minutes(1))
    assert unchanged(at_a)


def test_waiting_needs_a_reason_and_records_it(at_a, supplier_a_agent):
    started = ticket_start(ticket=at_a, actor=supplier_a_agent, at=minutes(1))
    with pytest.raises(TicketValidationError):
        ticket_wait(
            ticket=started, actor=supplier_a_agent, on=WaitingOn.RESIDENT, reason="", at=minutes(2)
        )
    waiting = ticket_wait(
        ticket=started,
        actor=supplier_a_agent,
        on=WaitingOn.RESIDENT,
        reason="Which side of the road?",
        at=minutes(2),
    )
    event = last_event(waiting)
    assert (event.kind, event.reason, event.public) == (
        Kind.WAITING,
        "Which side of the road?",
        True,
    )
    assert event.old == {"status": Status.IN_PROGRESS}
    assert event.new == {"status": Status.WAITING_RESIDENT}
    resumed = ticket_resume(ticket=waiting, actor=supplier_a_agent, at=minutes(30))
    assert resumed.status == Status.IN_PROGRESS and last_event(resumed).kind == Kind.RESUMED


def test_waiting_on_a_third_party_is_internal(at_a):
    started = ticket_start(ticket=at_a, actor=SYSTEM, at=minutes(1))
    waiting = ticket_wait(
        ticket=started, actor=SYSTEM, on=WaitingOn.THIRD_PARTY, reason="Utility", at=minutes(2)
    )
    assert waiting.status == Status.WAITING_THIRD_PARTY and not last_event(waiting).public


# --- Resolving, closing, reopening, cancelling ----------------------------------------------


def test_resolving_needs_a_resolution_and_acknowledges(at_a, supplier_a_agent):
    for code in ("", "shrug", ResolutionCode.DUPLICATE):
        with pytest.raises(TicketValidationError):
            ticket_resolve(ticket=at_a, actor=supplier_a_agent, resolution_code=code)
    ticket = ticket_resolve(
        ticket=at_a,
        actor=supplier_a_agent,
        resolution_code=ResolutionCode.FIXED,
        note="Filled",
        at=minutes(50),
    )
    assert (ticket.status, ticket.resolved_at, ticket.resolution_note) == (
        Status.RESOLVED,
        minutes(50),
        "Filled",
    )
    assert ticket.acknowledged_at == ticket.holder_acknowledged_at == minutes(50)
    event = last_event(ticket)
    assert event.kind == Kind.RESOLVED and event.public and event.holder_acknowledged


def test_reopening_clears_the_resolution_and_returns_to_the_holder(at_a, supplier_a):
    resolved = ticket_resolve(
        ticket=at_a, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, at=minutes(5)
    )
    closed = ticket_close(ticket=resolved, actor=SYSTEM, at=minutes(6))
    assert closed.closed_at == minutes(6)
    with pytest.raises(TicketValidationError):
        ticket_reopen(ticket=closed, actor=Resident(), reason=" ", at=minutes(7))
    reopened = ticket_reopen(ticket=closed, actor=Resident(), reason="Sunk again", at=minutes(7))
    assert (
        reopened.status,
        reopened.resolution_code,
        reopened.resolved_at,
        reopened.closed_at,
    ) == (
        Status.IN_PROGRESS,
        "",
        None,
        None,
    )
    event = last_event(reopened)
    # The event's holder is the one that resolved it: the reopen counts against them.
    assert (event.kind, event.holder_supplier_id, event.reason) == (
        Kind.REOPENED,
        supplier_a.pk,
        "Sunk again",
    )
    assert event.old["resolution_code"] == ResolutionCode.FIXED


def test_cancelling_needs_a_reason(at_a):
    with pytest.raises(TicketValidationError):
        ticket_cancel(ticket=at_a, actor=SYSTEM, reason="")
    ticket = ticket_cancel(ticket=at_a, actor=SYSTEM, reason="Reported twice", at=minutes(1))
    assert ticket.status == Status.CANCELLED and ticket.closed_at == minutes(1)


def test_marking_a_duplicate_closes_it_with_a_link(at_a, potholes):
    master = make_ticket(service=potholes, title="The first report")
    ticket = ticket_mark_duplicate(ticket=at_a, actor=SYSTEM, master=master, at=minutes(2))
    assert (ticket.status, ticket.resolution_code) == (Status.CLOSED, ResolutionCode.DUPLICATE)
    assert TicketLink.objects.filter(
        from_ticket=ticket, to_ticket=master, kind=TicketLink.Kind.DUPLICATE_OF
    ).exists()
    assert last_event(ticket).new["duplicate_of"] == master.pk
    assert Ticket.objects.get(pk=master.pk).version == master.version
    # Reopened, it is its own ticket again.
    reopened = ticket_reopen(ticket=ticket, actor=SYSTEM, reason="Different hole", at=minutes(3))
    assert not TicketLink.objects.filter(from_ticket=reopened).exists()
    assert last_event(reopened).old["duplicate_of"] == master.pk


def test_a_ticket_cannot_duplicate_itself_or_a_finished_ticket(at_a, potholes):
    with pytest.raises(TicketValidationError):
        ticket_mark_duplicate(ticket=at_a, actor=SYSTEM, master=at_a, at=minutes(1))
    master = make_ticket(service=potholes)
    ticket_cancel(ticket=master, actor=SYSTEM, reason="Test", at=minutes(1))
    with pytest.raises(TicketValidationError) as refused:
        ticket_mark_duplicate(ticket=at_a, actor=SYSTEM, master=master, at=minutes(2))
    assert "master" in refused.value.message_dict
    assert unchanged(at_a)


# --- Links, priority, flags -----------------------------------------------------------------


def test_a_problem_link_needs_a_problem(at_a, laptops):
    other_incident = make_ticket(service=laptops)
    with pytest.raises(TicketValidationError):
        ticket_link(ticket=at_a, actor=SYSTEM, to_ticket=other_incident, kind="problem")
    problem = make_ticket(service=laptops, type=TicketType.PROBLEM)
    ticket = ticket_link(
        ticket=at_a, actor=SYSTEM, to_ticket=problem, kind="problem", at=minutes(1)
    )
    assert last_event(ticket).new == {
        "link": "problem",
        "to_ticket": problem.pk,
        "to_reference": problem.reference,
    }


def test_related_links_are_made_once_whichever_way_round(at_a, laptops):
    other = make_ticket(service=laptops)
    ticket_link(ticket=at_a, actor=SYSTEM, to_ticket=other, kind="related", at=minutes(1))
    again = ticket_link(ticket=other, actor=SYSTEM, to_ticket=at_a, kind="related", at=minutes(2))
    assert again.version == 1
    assert TicketLink.objects.count() == 1


def test_setting_impact_and_urgency_recomputes_and_ends_an_override(at_a, integrator_agent):
    overridden = ticket_override_priority(
        ticket=at_a, actor=integrator_agent, priority=Priority.P1, reason="School", at=minutes(1)
    )
    assert (overridden.priority, overridden.priority_overridden) == (Priority.P1, True)
    assert last_event(overridden).new == {
        "priority": 1,
        "priority_overridden": True,
        "priority_reason": "School",
    }
    ticket = ticket_set_priority(
        ticket=overridden,
        actor=integrator_agent,
        impact=Level.LOW,
        urgency=Level.LOW,
        at=minutes(2),
    )
    assert (ticket.priority, ticket.priority_overridden, ticket.priority_reason) == (
        Priority.P4,
        False,
        "",
    )
    assert last_event(ticket).priority == Priority.P4


def test_an_override_needs_a_reason(at_a):
    with pytest.raises(TicketValidationError):
        ticket_override_priority(ticket=at_a, actor=SYSTEM, priority=1, reason="")
    with pytest.raises(TicketValidationError):
        ticket_override_priority(ticket=at_a, actor=SYSTEM, priority=7, reason="Why not")


def test_suppliers_never_set_the_priority_they_are_measured_by(at_a, supplier_a_agent):
    with pytest.raises(NotPermitted):
        ticket_set_priority(
            ticket=at_a, actor=supplier_a_agent, impact=Level.LOW, urgency=Level.LOW
        )
    with pytest.raises(NotPermitted):
        ticket_set_major_incident(ticket=at_a, actor=supplier_a_agent, major=True, reason="Big")
    assert unchanged(at_a)


def test_a_major_incident_is_declared_with_a_reason_once(at_a, integrator_lead):
    with pytest.raises(TicketValidationError):
        ticket_set_major_incident(ticket=at_a, actor=integrator_lead, major=True, reason="")
    ticket = ticket_set_major_incident(
        ticket=at_a, actor=integrator_lead, major=True, reason="Estate flooded", at=minutes(1)
    )
    assert ticket.major_incident and last_event(ticket).kind == Kind.MAJOR_INCIDENT
    again = ticket_set_major_incident(
        ticket=ticket, actor=integrator_lead, major=True, reason="Still", at=minutes(2)
    )
    assert again.version == ticket.version


def test_the_suppliers_reference_is_recorded_and_searchable(at_a, supplier_a_agent):
    ticket = ticket_set_supplier_reference(
        ticket=at_a, actor=supplier_a_agent, reference=" SW-88123 ", at=minutes(1)
    )
    assert ticket.supplier_reference == "SW-88123"
    assert last_event(ticket).new == {"supplier_reference": "SW-88123"}
    assert "SW-88123" in SearchDocument.objects.get(ticket=ticket).body
    with pytest.raises(TicketValidationError):
        ticket_set_supplier_reference(ticket=ticket, actor=supplier_a_agent, reference="x" * 101)


def test_an_attachment_is_stored_with_its_own_event(at_a, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    content = b"The hole is 20cm deep\n"
    attachment = ticket_attach(
        ticket=at_a, actor=Resident(), name="hole.txt", data=content, public=True, at=minutes(1)
    )
    event = attachment.event
    assert event is not None and (event.kind, event.sequence) == (Kind.ATTACHMENT, 2)
    with Attachment.objects.get().file.open("rb") as stored:
        assert stored.read() == content


# --- Followers and satisfaction -------------------------------------------------------------


def test_following_gives_a_secret_once_and_is_idempotent_by_email(at_a):
    first = follower_add(ticket=at_a, actor=Resident(), email="Ann@Example.org", at=minutes(1))
    assert first.unsubscribe_token
    assert first.follower.unsubscribe_token_hash == hash_token(first.unsubscribe_token)
    again = follower_add(ticket=at_a, actor=Resident(), email="ann@example.org", at=minutes(2))
    assert again.unsubscribe_token is None and again.follower == first.follower
    ticket = Ticket.objects.get(pk=at_a.pk)
    assert ticket.version == 2
    event = last_event(ticket)
    assert event.kind == Kind.FOLLOWER and "example.org" not in str(event.new)


def test_two_followers_never_share_an_unsubscribe_secret(at_a):
    followed = follower_add(ticket=at_a, actor=Resident(), email="ann@example.org", at=minutes(1))

    with pytest.raises(IntegrityError), transaction.atomic():
        Follower.objects.create(
            ticket=at_a,
            email="bob@example.org",
            unsubscribe_token_hash=followed.follower.unsubscribe_token_hash,
            created_at=minutes(2),
        )

    assert Follower.objects.count() == 1


def test_unsubscribing_by_secret_and_following_again(at_a):
    followed = follower_add(ticket=at_a, actor=Resident(), email="ann@example.org", at=minutes(1))
    assert follower_unsubscribe(token="nonsense") is None
    assert followed.unsubscribe_token is not None
    gone = follower_unsubscribe(token=followed.unsubscribe_token, at=minutes(2))
    assert gone is not None and gone.unsubscribed_at == minutes(2)
    # No event: unsubscribing never makes a member of staff's edit stale.
    assert Ticket.objects.get(pk=at_a.pk).version == 2
    back = follower_add(ticket=at_a, actor=Resident(), email="ann@example.org", at=minutes(3))
    assert back.unsubscribe_token and back.follower.unsubscribed_at is None
    assert Follower.objects.count() == 1


def test_a_bad_email_cannot_follow(at_a):
    with pytest.raises(TicketValidationError):
        follower_add(ticket=at_a, actor=Resident(), email="ann at home")


def test_satisfaction_only_once_resolved_and_scored_one_to_five(at_a):
    with pytest.raises(IllegalTransition):
        satisfaction_record(ticket=at_a, actor=Resident(), score=5, at=minutes(1))
    resolved = ticket_resolve(
        ticket=at_a, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, at=minutes(2)
    )
    bad: tuple[Any, ...] = (0, 6, True, "5")
    for score in bad:
        with pytest.raises(TicketValidationError):
            satisfaction_record(ticket=resolved, actor=Resident(), score=score, at=minutes(3))
    response = satisfaction_record(
        ticket=resolved, actor=Resident(), score=4, comment="Quick", at=minutes(3)
    )
    assert (response.score, response.comment, response.at) == (4, "Quick", minutes(3))
    assert last_event(Ticket.objects.get(pk=at_a.pk)).new == {"score": 4, "response": response.pk}


# --- Versions, time and actors --------------------------------------------------------------


def test_a_stale_version_is_a_conflict_and_changes_nothing(at_a, supplier_a_agent):
    ticket_add_note(ticket=at_a, actor=SYSTEM, body="First", public=False, at=minutes(1))
    with pytest.raises(StaleVersion) as refused:
        ticket_acknowledge(
            ticket=at_a, actor=supplier_a_agent, at=minutes(2), expected_version=at_a.version
        )
    assert (refused.value.expected, refused.value.current) == (1, 2)
    assert "version 1" in str(refused.value) and "version 2" in str(refused.value)
    fresh = Ticket.objects.get(pk=at_a.pk)
    assert fresh.version == 2 and fresh.holder_acknowledged_at is None


def test_the_current_version_is_accepted(at_a, supplier_a_agent):
    ticket = ticket_acknowledge(
        ticket=at_a, actor=supplier_a_agent, at=minutes(2), expected_version=1
    )
    assert ticket.version == 2


def test_a_change_cannot_be_dated_before_the_last_one(at_a):
    ticket = ticket_start(ticket=at_a, actor=SYSTEM, at=minutes(10))
    with pytest.raises(TicketValidationError):
        ticket_add_note(ticket=ticket, actor=SYSTEM, body="Late", public=False, at=minutes(9))
    with pytest.raises(ValueError, match="aware"):
        ticket_add_note(
            ticket=ticket, actor=SYSTEM, body="Naive", public=False, at=datetime(2026, 3, 2)
        )
    assert unchanged(ticket)


def test_each_kind_of_actor_is_recorded_in_its_own_field(at_a, supplier_a_agent):
    ticket = ticket_add_note(
        ticket=at_a, actor=supplier_a_agent, body="a", public=False, at=minutes(1)
    )
    ticket = ticket_add_note(
        ticket=ticket, actor=System("sla clock"), body="b", public=False, at=minutes(2)
    )
    person, system = ticket.events.filter(kind=Kind.NOTE).order_by("sequence")
    assert (person.actor_kind, person.actor_user, person.actor_label) == (
        TicketEvent.ActorKind.PERSON,
        supplier_a_agent,
        "Sam Streetwise",
    )
    assert (system.actor_kind, system.actor_user, system.actor_key, system.actor_label) == (
        TicketEvent.ActorKind.SYSTEM,
        None,
        None,
        "sla clock",
    )


def test_the_timeline_pages_by_sequence(at_a):
    ticket = at_a
    for n in range(1, 8):
        ticket = ticket_add_note(
            ticket=ticket, actor=SYSTEM, body=f"n{n}", public=n % 2 == 0, at=minutes(n)
        )
    first = ticket_timeline(ticket=ticket, limit=3)
    assert [e.sequence for e in first] == [1, 2, 3]
    assert [e.sequence for e in ticket_timeline(ticket=ticket, after=3, limit=3)] == [4, 5, 6]
    newest = ticket_timeline(ticket=ticket, newest_first=True, limit=3)
    assert [e.sequence for e in newest] == [8, 7, 6]
    older = ticket_timeline(ticket=ticket, newest_first=True, before=6, limit=3)
    assert [e.sequence for e in older] == [5, 4, 3]
    public = ticket_timeline(ticket=ticket, public_only=True)
    assert [e.sequence for e in public] == [1, 3, 5, 7]


def test_a_bad_upload_is_refused_and_changes_nothing(at_a):
    with pytest.raises(ValidationError):
        ticket_attach(ticket=at_a, actor=Resident(), name="hole.jpg", data=b"MZ" + b"0" * 50)
    at_a.refresh_from_db()
    assert at_a.version == 1
    assert not Attachment.objects.exists()
