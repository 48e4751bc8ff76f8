"""Random sequences of actions on one ticket, checked against the table and the invariants
the SLA clocks rely on: exactly one holder, a complete and ordered timeline whose event
snapshots agree with its old/new values, and one version per change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from interchange.accounts.models import User
from interchange.core.priorities import Level, Priority
from interchange.servicedesk.actors import Actor, System
from interchange.servicedesk.errors import IllegalTransition
from interchange.servicedesk.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    ResolutionCode,
    Service,
    Status,
    Ticket,
    TicketEvent,
    TicketHolding,
)
from interchange.servicedesk.services import (
    DESK,
    ticket_acknowledge,
    ticket_add_note,
    ticket_assign,
    ticket_cancel,
    ticket_close,
    ticket_mark_duplicate,
    ticket_override_priority,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_route,
    ticket_set_priority,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import TRANSITIONS, Action, WaitingOn, allowed_actions
from interchange.servicedesk.tests.factories import T0, make_provision, make_service, make_ticket
from interchange.suppliers.models import Supplier

pytestmark = pytest.mark.django_db

SYSTEM = System()
LEVELS = st.sampled_from(list(Level))
# Up to three days between actions, often none: same-instant changes must stay in order.
PAUSES = st.one_of(st.just(0), st.integers(min_value=1, max_value=3 * 24 * 60))


@dataclass
class World:
    a: Supplier
    b: Supplier
    potholes: Service
    laptops: Service
    people: dict[int | None, User]
    master: Ticket


class TicketMachine(RuleBasedStateMachine):
    # Set on a subclass per test: the suppliers, services and people made by its fixtures.
    world: World

    def __init__(self) -> None:
        super().__init__()
        # Each run in a savepoint of its own, rolled back at the end: runs never meet.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.now = T0
        self.ticket: Ticket

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @initialize(at_desk=st.booleans())
    def open(self, at_desk: bool) -> None:
        service = self.world.laptops if at_desk else self.world.potholes
        self.ticket = make_ticket(service=service, at=self.now)

    # --- doing things ----------------------------------------------------------------------

    def act(self, action: Action, pause: int, call: Callable[[Ticket, datetime], Any]) -> None:
        """Do `action`; it must succeed exactly when the table (and its guards) allow it,
        move where the table says, and add one version and one event, or none at all."""
        self.now += timedelta(minutes=pause)
        before = Ticket.objects.get(pk=self.ticket.pk)
        status = Status(before.status)
        legal = action in allowed_actions(before, at=self.now) or (
            action == Action.ACKNOWLEDGE and (status, action) in TRANSITIONS
        )
        try:
            call(before, self.now)
        except IllegalTransition:
            assert not legal, f"{action} refused from {status}"
            after = Ticket.objects.get(pk=before.pk)
            assert (after.version, after.status) == (before.version, before.status)
            return
        assert legal, f"{action} allowed from {status}"
        after = Ticket.objects.get(pk=before.pk)
        assert after.version in (before.version, before.version + 1)
        if after.version == before.version + 1:
            assert after.status == TRANSITIONS[(status, action)]
        self.ticket = after

    def person_of_holder(self) -> User:
        return self.world.people[self.ticket.holder_supplier_id]

    @rule(pause=PAUSES, to=st.sampled_from(["a", "b", "desk", "same"]), person=st.booleans())
    def assign(self, pause: int, to: str, person: bool) -> None:
        holder: Supplier | Any = {"a": self.world.a, "b": self.world.b, "desk": DESK}.get(to)
        holder_id = {"a": self.world.a.pk, "b": self.world.b.pk, "desk": None}.get(
            to, self.ticket.holder_supplier_id
        )
        assignee = self.world.people[holder_id] if person else None
        action = (
            Action.ASSIGN_PERSON
            if holder_id == self.ticket.holder_supplier_id
            else (Action.REASSIGN)
        )
        self.act(
            action,
            pause,
            lambda t, at: ticket_assign(
                ticket=t, actor=SYSTEM, holder=holder, assignee=assignee, reason="Over", at=at
            ),
        )

    @rule(pause=PAUSES)
    def route(self, pause: int) -> None:
        self.act(Action.ROUTE, pause, lambda t, at: ticket_route(ticket=t, actor=SYSTEM, at=at))

    @rule(pause=PAUSES, by_holder=st.booleans())
    def acknowledge(self, pause: int, by_holder: bool) -> None:
        actor: Actor = self.person_of_holder() if by_holder else SYSTEM
        self.act(
            Action.ACKNOWLEDGE,
            pause,
            lambda t, at: ticket_acknowledge(ticket=t, actor=actor, at=at),
        )

    @rule(pause=PAUSES)
    def start(self, pause: int) -> None:
        self.act(Action.START, pause, lambda t, at: ticket_start(ticket=t, actor=SYSTEM, at=at))

    @rule(pause=PAUSES, on=st.sampled_from(list(WaitingOn)))
    def wait(self, pause: int, on: WaitingOn) -> None:
        action = Action.WAIT_RESIDENT if on == WaitingOn.RESIDENT else Action.WAIT_THIRD_PARTY
        self.act(
            action,
            pause,
            lambda t, at: ticket_wait(ticket=t, actor=SYSTEM, on=on, reason="Info", at=at),
        )

    @rule(pause=PAUSES)
    def resume(self, pause: int) -> None:
        self.act(Action.RESUME, pause, lambda t, at: ticket_resume(ticket=t, actor=SYSTEM, at=at))

    @rule(pause=PAUSES)
    def resolve(self, pause: int) -> None:
        self.act(
            Action.RESOLVE,
            pause,
            lambda t, at: ticket_resolve(
                ticket=t, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, at=at
            ),
        )

    @rule(pause=PAUSES)
    def reopen(self, pause: int) -> None:
        self.act(
            Action.REOPEN,
            pause,
            lambda t, at: ticket_reopen(ticket=t, actor=SYSTEM, reason="Again", at=at),
        )

    @rule(pause=PAUSES)
    def close(self, pause: int) -> None:
        self.act(Action.CLOSE, pause, lambda t, at: ticket_close(ticket=t, actor=SYSTEM, at=at))

    @rule(pause=PAUSES)
    def cancel(self, pause: int) -> None:
        self.act(
            Action.CANCEL,
            pause,
            lambda t, at: ticket_cancel(ticket=t, actor=SYSTEM, reason="Gone", at=at),
        )

    @rule(pause=PAUSES)
    def mark_duplicate(self, pause: int) -> None:
        self.act(
            Action.MARK_DUPLICATE,
            pause,
            lambda t, at: ticket_mark_duplicate(
                ticket=t, actor=SYSTEM, master=self.world.master, at=at
            ),
        )

    @rule(pause=PAUSES, public=st.booleans(), by_holder=st.booleans())
    def note(self, pause: int, public: bool, by_holder: bool) -> None:
        actor: Actor = self.person_of_holder() if by_holder else SYSTEM
        self.act(
            Action.ADD_NOTE,
            pause,
            lambda t, at: ticket_add_note(ticket=t, actor=actor, body="n", public=public, at=at),
        )

    @rule(pause=PAUSES, impact=LEVELS, urgency=LEVELS)
    def set_priority(self, pause: int, impact: Level, urgency: Level) -> None:
        self.act(
            Action.SET_PRIORITY,
            pause,
            lambda t, at: ticket_set_priority(
                ticket=t, actor=SYSTEM, impact=impact, urgency=urgency, at=at
            ),
        )

    @rule(pause=PAUSES, priority=st.sampled_from(list(Priority)))
    def override_priority(self, pause: int, priority: Priority) -> None:
        self.act(
            Action.OVERRIDE_PRIORITY,
            pause,
            lambda t, at: ticket_override_priority(
                ticket=t, actor=SYSTEM, priority=priority, reason="Judgement", at=at
            ),
        )

    # --- what must always hold ------------------------------------------------------------

    @invariant()
    def invariants_hold(self) -> None:
        # One fresh read of the ticket per step, shared by the checks.
        ticket = Ticket.objects.get(pk=self.ticket.pk)
        self.timeline_is_complete_ordered_and_agrees_with_the_ticket(ticket)
        self.exactly_one_holder(ticket)
        self.times_fit_the_status(ticket)

    def timeline_is_complete_ordered_and_agrees_with_the_ticket(self, ticket: Ticket) -> None:
        events = list(TicketEvent.objects.filter(ticket=ticket).order_by("sequence"))
        assert [e.sequence for e in events] == list(range(1, ticket.version + 1))
        assert all(a.at <= b.at for a, b in pairwise(events))
        assert events[0].kind == TicketEvent.Kind.OPENED and events[-1].at == ticket.updated_at
        assert all(e.dispatched_at is None for e in events)
        last = events[-1]
        assert (last.status, last.holder_supplier_id, last.priority) == (
            ticket.status,
            ticket.holder_supplier_id,
            ticket.priority,
        )
        assert last.holder_acknowledged == (ticket.holder_acknowledged_at is not None)
        # Each event's old and new values agree with the snapshots either side of it, so a
        # reader may use either.
        for previous, event in pairwise(events):
            for key, attribute in (
                ("status", "status"),
                ("holder_supplier", "holder_supplier_id"),
                ("priority", "priority"),
            ):
                if key in event.new:
                    assert event.new[key] == getattr(event, attribute)
                    assert event.old[key] == getattr(previous, attribute)
                else:
                    assert getattr(event, attribute) == getattr(previous, attribute)

    def exactly_one_holder(self, ticket: Ticket) -> None:
        assert ticket.holder_supplier_id in {None, self.world.a.pk, self.world.b.pk}
        if ticket.assignee_id is not None:
            assert ticket.assignee == self.world.people[ticket.holder_supplier_id]
        if ticket.holder_supplier_id is not None:
            assert TicketHolding.objects.filter(
                ticket=ticket, supplier_id=ticket.holder_supplier_id
            ).exists()

    def times_fit_the_status(self, ticket: Ticket) -> None:
        if ticket.status in OPEN_STATUSES:
            assert ticket.resolved_at is None and ticket.closed_at is None
        if ticket.status == Status.RESOLVED:
            assert ticket.resolved_at is not None and ticket.closed_at is None
        if ticket.status in {Status.CLOSED, Status.CANCELLED}:
            assert ticket.closed_at is not None
        if ticket.holder_acknowledged_at is not None:
            assert ticket.acknowledged_at is not None
            assert ticket.acknowledged_at <= ticket.holder_acknowledged_at
        # Starting, resolving and marking a duplicate acknowledge; waits and reopening
        # follow one of those.
        worked_on = {Status.IN_PROGRESS, Status.RESOLVED, *WAITING_STATUSES}
        if ticket.status in worked_on or ticket.resolution_code:
            assert ticket.holder_acknowledged_at is not None


def test_random_sequences_of_actions_keep_the_invariants(
    supplier_a, supplier_b, integrator_agent, supplier_a_agent, supplier_b_agent
):
    potholes, laptops = make_service("potholes"), make_service("laptops")
    make_provision(service=potholes, supplier=supplier_a)
    world = World(
        a=supplier_a,
        b=supplier_b,
        potholes=potholes,
        laptops=laptops,
        people={
            None: integrator_agent,
            supplier_a.pk: supplier_a_agent,
            supplier_b.pk: supplier_b_agent,
        },
        master=make_ticket(service=potholes, title="The first report"),
    )
    machine = type("TicketMachineInThisWorld", (TicketMachine,), {"world": world})
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=50, stateful_step_count=40, deadline=None),
    )
