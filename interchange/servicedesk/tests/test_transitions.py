"""Every (status, action) pair: the legal ones lead where the table says, the illegal ones
are refused with a message naming the state and the allowed moves, and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from interchange.core.priorities import Level, Priority
from interchange.servicedesk.actors import System
from interchange.servicedesk.errors import IllegalTransition
from interchange.servicedesk.models import ResolutionCode, Status, Ticket, TicketLink
from interchange.servicedesk.services import (
    follower_add,
    satisfaction_record,
    ticket_acknowledge,
    ticket_add_note,
    ticket_assign,
    ticket_attach,
    ticket_cancel,
    ticket_close,
    ticket_link,
    ticket_mark_duplicate,
    ticket_override_priority,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_route,
    ticket_set_major_incident,
    ticket_set_priority,
    ticket_set_supplier_reference,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import TRANSITIONS, Action, WaitingOn, allowed_actions
from interchange.servicedesk.tests.factories import (
    T0,
    make_provision,
    make_service,
    make_supplier,
    make_ticket,
    make_user,
)

pytestmark = pytest.mark.django_db

SYSTEM = System()
# Supplier A hands the potholes service to supplier B on this date, when B also takes on
# laptops: routing after it always picks B, whoever holds the ticket.
TRANSITION = date(2026, 3, 3)
LATER = T0 + timedelta(days=2)


@pytest.fixture
def world(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    a, b = make_supplier("streetwise"), make_supplier("cleanway")
    potholes, laptops = make_service("potholes"), make_service("laptops")
    make_provision(service=potholes, supplier=a, valid_to=TRANSITION)
    make_provision(service=potholes, supplier=b, valid_from=TRANSITION)
    make_provision(service=laptops, supplier=b, valid_from=TRANSITION)
    return {
        "a": a,
        "b": b,
        "potholes": potholes,
        "laptops": laptops,
        "desk_agent": make_user("integrator_agent"),
        "a_agent": make_user("supplier_agent", a),
        "master": make_ticket(service=potholes, title="The first report"),
    }


def drive_to(world, status: Status) -> Ticket:
    """A ticket brought to `status` through the domain functions (new: at the desk; every
    other: with supplier A)."""
    service = world["laptops"] if status == Status.NEW else world["potholes"]
    ticket = make_ticket(service=service)
    at = T0
    plan: dict[Status, list[Callable[..., Ticket]]] = {
        Status.NEW: [],
        Status.ASSIGNED: [],
        Status.IN_PROGRESS: [ticket_start],
        Status.WAITING_RESIDENT: [
            ticket_start,
            lambda **kw: ticket_wait(on=WaitingOn.RESIDENT, reason="Which lamp?", **kw),
        ],
        Status.WAITING_THIRD_PARTY: [
            ticket_start,
            lambda **kw: ticket_wait(on=WaitingOn.THIRD_PARTY, reason="Parts", **kw),
        ],
        Status.RESOLVED: [
            ticket_start,
            lambda **kw: ticket_resolve(resolution_code=ResolutionCode.FIXED, **kw),
        ],
        Status.CLOSED: [
            ticket_start,
            lambda **kw: ticket_resolve(resolution_code=ResolutionCode.FIXED, **kw),
            ticket_close,
        ],
        Status.CANCELLED: [lambda **kw: ticket_cancel(reason="Reported in error", **kw)],
    }
    for step in plan[status]:
        at += timedelta(minutes=10)
        ticket = step(ticket=ticket, actor=SYSTEM, at=at)
    assert ticket.status == status
    return ticket


def perform(world, ticket: Ticket, action: Action) -> Ticket:
    """Do `action` to `ticket` with valid arguments, as the system, two days on."""
    kw: dict[str, Any] = {"ticket": ticket, "actor": SYSTEM, "at": LATER}
    person = world["desk_agent"] if ticket.held_by_desk else world["a_agent"]
    calls: dict[Action, Callable[[], object]] = {
        Action.ACKNOWLEDGE: lambda: ticket_acknowledge(**kw),
        Action.START: lambda: ticket_start(**kw),
        Action.WAIT_RESIDENT: lambda: ticket_wait(on=WaitingOn.RESIDENT, reason="Photo?", **kw),
        Action.WAIT_THIRD_PARTY: lambda: ticket_wait(
            on=WaitingOn.THIRD_PARTY, reason="Utility", **kw
        ),
        Action.RESUME: lambda: ticket_resume(**kw),
        Action.RESOLVE: lambda: ticket_resolve(resolution_code=ResolutionCode.FIXED, **kw),
        Action.CLOSE: lambda: ticket_close(**kw),
        Action.REOPEN: lambda: ticket_reopen(reason="Still broken", **kw),
        Action.CANCEL: lambda: ticket_cancel(reason="Withdrawn", **kw),
        Action.MARK_DUPLICATE: lambda: ticket_mark_duplicate(master=world["master"], **kw),
        Action.REASSIGN: lambda: ticket_assign(holder=world["b"], reason="B's patch", **kw),
        Action.ROUTE: lambda: ticket_route(**kw),
        Action.ASSIGN_PERSON: lambda: ticket_assign(assignee=person, **kw),
        Action.SET_PRIORITY: lambda: ticket_set_priority(
            impact=Level.HIGH, urgency=Level.HIGH, **kw
        ),
        Action.OVERRIDE_PRIORITY: lambda: ticket_override_priority(
            priority=Priority.P1, reason="School route", **kw
        ),
        Action.SET_MAJOR_INCIDENT: lambda: ticket_set_major_incident(
            major=True, reason="Whole estate", **kw
        ),
        Action.ADD_NOTE: lambda: ticket_add_note(body="Called the crew", public=False, **kw),
        Action.ADD_ATTACHMENT: lambda: ticket_attach(
            name="note.txt",
            data=b"hello",
            **kw,
        ),
        Action.LINK: lambda: ticket_link(
            to_ticket=world["master"], kind=TicketLink.Kind.RELATED, **kw
        ),
        Action.SET_SUPPLIER_REFERENCE: lambda: ticket_set_supplier_reference(
            reference="SW-1", **kw
        ),
        Action.FOLLOW: lambda: follower_add(email="neighbour@example.org", **kw),
        Action.RECORD_SATISFACTION: lambda: satisfaction_record(score=4, **kw),
    }
    calls[action]()
    return Ticket.objects.get(pk=ticket.pk)


def test_every_action_is_allowed_somewhere_and_every_status_allows_something():
    assert {action for (_, action) in TRANSITIONS} == set(Action)
    assert {status for (status, _) in TRANSITIONS} == set(Status)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(Status))
def test_each_action_from_each_status_goes_where_the_table_says(world, status, action):
    ticket = drive_to(world, status)
    before_events = ticket.events.count()
    target = TRANSITIONS.get((status, action))
    if target is None:
        with pytest.raises(IllegalTransition) as refused:
            perform(world, ticket, action)
        after = Ticket.objects.get(pk=ticket.pk)
        assert (after.status, after.version, after.updated_at) == (
            ticket.status,
            ticket.version,
            ticket.updated_at,
        )
        assert after.events.count() == before_events
        message = str(refused.value)
        assert f"A ticket that is {status.label} cannot" in message
        assert "Allowed:" in message or "cannot move on" in message
        return
    after = perform(world, ticket, action)
    assert after.status == target
    # Acknowledging a ticket its holder has already acknowledged changes nothing.
    unchanged = action == Action.ACKNOWLEDGE and ticket.holder_acknowledged_at is not None
    assert after.version == ticket.version + (0 if unchanged else 1)
    assert list(after.events.values_list("sequence", flat=True)) == list(
        range(1, after.version + 1)
    )
    if not unchanged:
        event = after.events.get(sequence=after.version)
        assert (event.status, event.holder_supplier_id, event.priority) == (
            after.status,
            after.holder_supplier_id,
            after.priority,
        )


def test_a_closed_ticket_names_its_state_and_the_way_out(world):
    ticket = drive_to(world, Status.CLOSED)
    with pytest.raises(IllegalTransition) as refused:
        ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=LATER)
    assert str(refused.value) == "A ticket that is Closed cannot be acknowledged. Allowed: reopen."
    assert refused.value.allowed == ["reopen"]


def test_a_cancelled_ticket_cannot_move_on(world):
    ticket = drive_to(world, Status.CANCELLED)
    with pytest.raises(IllegalTransition) as refused:
        ticket_reopen(ticket=ticket, actor=SYSTEM, reason="Oops", at=LATER)
    assert str(refused.value) == (
        "A ticket that is Cancelled cannot be reopened. It cannot move on from there."
    )


def test_a_closed_ticket_reopens_only_within_the_window(world, settings):
    settings.TICKET_REOPEN_WINDOW_DAYS = 3
    ticket = drive_to(world, Status.CLOSED)
    assert ticket.closed_at is not None
    late = ticket.closed_at + timedelta(days=3, seconds=1)
    assert Action.REOPEN not in allowed_actions(ticket, at=late)
    with pytest.raises(IllegalTransition) as refused:
        ticket_reopen(ticket=ticket, actor=SYSTEM, reason="Back again", at=late)
    assert str(refused.value) == (
        "A ticket closed more than 3 days ago cannot be reopened. It cannot move on from there."
    )
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version
    in_time = ticket.closed_at + timedelta(days=3)
    assert Action.REOPEN in allowed_actions(ticket, at=in_time)
    reopened = ticket_reopen(ticket=ticket, actor=SYSTEM, reason="Back again", at=in_time)
    assert reopened.status == Status.IN_PROGRESS


def test_a_closed_ticket_can_be_reopened_within_the_window(world, settings):
    settings.TICKET_REOPEN_WINDOW_DAYS = 14
    ticket = drive_to(world, Status.CLOSED)
    assert ticket.closed_at is not None
    assert Action.REOPEN in allowed_actions(ticket, at=ticket.closed_at + timedelta(days=14))
    assert Action.REOPEN not in allowed_actions(ticket, at=ticket.closed_at + timedelta(days=15))


@pytest.mark.parametrize("status", list(Status))
def test_allowed_actions_are_the_tables_less_what_would_change_nothing(world, status):
    ticket = drive_to(world, status)
    acknowledged = ticket.holder_acknowledged_at is not None
    expected = [
        a
        for a in Action
        if (status, a) in TRANSITIONS and not (a == Action.ACKNOWLEDGE and acknowledged)
    ]
    assert allowed_actions(ticket, at=LATER) == expected
