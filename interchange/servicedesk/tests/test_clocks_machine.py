"""Random sequences of real domain functions on one ticket, at explicit times stepping across
the spring and autumn clock changes, weekends and bank holidays, with breach scans between:
the clocks' invariants hold after every step."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
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

from interchange.core.priorities import Level, Priority
from interchange.servicedesk import clocks, sla
from interchange.servicedesk.actors import System
from interchange.servicedesk.clocks import ALERT_KINDS, ClockRef, Fold, Rules, fold_ticket
from interchange.servicedesk.errors import IllegalTransition, TicketValidationError
from interchange.servicedesk.models import ClockState, ResolutionCode, Ticket, TicketEvent
from interchange.servicedesk.services import (
    DESK,
    ticket_acknowledge,
    ticket_assign,
    ticket_cancel,
    ticket_close,
    ticket_mark_duplicate,
    ticket_override_priority,
    ticket_reopen,
    ticket_resolve,
    ticket_resume,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn
from interchange.servicedesk.tests.factories import make_ticket
from interchange.servicedesk.tests.sla_world import World, build_world

pytestmark = pytest.mark.django_db

SYSTEM = System()
# The spring clock change and Easter; the autumn clock change.
WINDOWS = [datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 22, tzinfo=UTC)]
# Often nothing, often minutes, sometimes most of a day: weekends and holidays get crossed.
PAUSES = st.one_of(st.just(0), st.integers(1, 120), st.integers(120, 20 * 60)).map(
    lambda minutes: timedelta(minutes=minutes)
)


class ClockMachine(RuleBasedStateMachine):
    world: World
    master: Ticket

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clock_rules = Rules.load()
        self.seen: dict[ClockRef, timedelta] = {}
        self.ticket: Ticket
        self.now: datetime

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    @initialize(
        window=st.sampled_from(WINDOWS),
        offset=st.integers(0, 2 * 24 * 60),
        at_desk=st.booleans(),
        urgency=st.sampled_from(list(Level)),
    )
    def open(self, window: datetime, offset: int, at_desk: bool, urgency: Level) -> None:
        self.now = window + timedelta(minutes=offset)
        service = self.world.laptops if at_desk else self.world.potholes
        self.ticket = make_ticket(service=service, at=self.now, urgency=urgency)

    def act(self, pause: timedelta, call: Callable[[Ticket, datetime], Any]) -> None:
        self.now += pause
        # An action the state machine refuses changes nothing; the invariants still hold.
        with suppress(IllegalTransition, TicketValidationError):
            call(Ticket.objects.get(pk=self.ticket.pk), self.now)

    # --- doing things ----------------------------------------------------------------------

    @rule(pause=PAUSES, to=st.sampled_from(["a", "b", "desk"]))
    def assign(self, pause: timedelta, to: str) -> None:
        holder: Any = {"a": self.world.a, "b": self.world.b, "desk": DESK}[to]
        self.act(
            pause,
            lambda t, at: ticket_assign(ticket=t, actor=SYSTEM, holder=holder, reason="r", at=at),
        )

    @rule(pause=PAUSES)
    def acknowledge(self, pause: timedelta) -> None:
        self.act(pause, lambda t, at: ticket_acknowledge(ticket=t, actor=SYSTEM, at=at))

    @rule(pause=PAUSES)
    def start(self, pause: timedelta) -> None:
        self.act(pause, lambda t, at: ticket_start(ticket=t, actor=SYSTEM, at=at))

    @rule(pause=PAUSES, on=st.sampled_from(list(WaitingOn)))
    def wait(self, pause: timedelta, on: WaitingOn) -> None:
        self.act(pause, lambda t, at: ticket_wait(ticket=t, actor=SYSTEM, on=on, reason="w", at=at))

    @rule(pause=PAUSES)
    def resume(self, pause: timedelta) -> None:
        self.act(pause, lambda t, at: ticket_resume(ticket=t, actor=SYSTEM, at=at))

    @rule(pause=PAUSES)
    def resolve(self, pause: timedelta) -> None:
        self.act(
            pause,
            lambda t, at: ticket_resolve(
                ticket=t, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, at=at
            ),
        )

    @rule(pause=PAUSES)
    def reopen(self, pause: timedelta) -> None:
        self.act(pause, lambda t, at: ticket_reopen(ticket=t, actor=SYSTEM, reason="r", at=at))

    @rule(pause=PAUSES)
    def close(self, pause: timedelta) -> None:
        self.act(pause, lambda t, at: ticket_close(ticket=t, actor=SYSTEM, at=at))

    @rule(pause=PAUSES)
    def cancel(self, pause: timedelta) -> None:
        self.act(pause, lambda t, at: ticket_cancel(ticket=t, actor=SYSTEM, reason="c", at=at))

    @rule(pause=PAUSES)
    def mark_duplicate(self, pause: timedelta) -> None:
        self.act(
            pause,
            lambda t, at: ticket_mark_duplicate(ticket=t, actor=SYSTEM, master=self.master, at=at),
        )

    @rule(pause=PAUSES, priority=st.sampled_from(list(Priority)))
    def override_priority(self, pause: timedelta, priority: Priority) -> None:
        self.act(
            pause,
            lambda t, at: ticket_override_priority(
                ticket=t, actor=SYSTEM, priority=priority, reason="p", at=at
            ),
        )

    @rule(pause=PAUSES)
    def scan(self, pause: timedelta) -> None:
        self.now += pause
        sla.recompute([self.ticket.pk], at=self.now, rules=self.clock_rules)
        sla.scan(at=self.now)

    # --- what must always hold ------------------------------------------------------------

    @invariant()
    def clocks_hold(self) -> None:
        ticket = Ticket.objects.get(pk=self.ticket.pk)
        # A change dated at `now` may have moved the ticket on: fold as of its last change.
        now = max(self.now, ticket.updated_at)
        result = fold_ticket(ticket, rules=self.clock_rules, at=now)
        self.elapsed_never_decreases(result)
        self.segments_add_up_to_the_life(result)
        self.breached_exactly_when_over_target(result)
        self.paused_time_does_not_count(ticket, result)
        self.stored_state_is_the_fold(ticket, result)
        self.each_alert_raised_at_most_once(ticket)

    def elapsed_never_decreases(self, result: Fold) -> None:
        for clock in result.clocks():
            assert clock.elapsed >= self.seen.get(clock.ref, timedelta(0)), clock.ref
            self.seen[clock.ref] = clock.elapsed

    def segments_add_up_to_the_life(self, result: Fold) -> None:
        segments = result.segments
        assert segments[0].started_at == result.created_at
        assert all(a.ended_at == b.started_at for a, b in pairwise(segments))
        assert segments[-1].ended_at == result.ended_at
        assert sum((s.wall(result.at) for s in segments), timedelta()) == result.life
        assert all(a.holder != b.holder for a, b in pairwise(segments))

    def breached_exactly_when_over_target(self, result: Fold) -> None:
        for clock in result.clocks():
            over = clock.target is not None and clock.elapsed > clock.target
            assert clock.breached == over, clock.ref
            assert (clock.state == ClockState.BREACHED) <= over
            assert (clock.deadline is not None) == (
                clock.state == ClockState.RUNNING and clock.target is not None
            )

    def paused_time_does_not_count(self, ticket: Ticket, result: Fold) -> None:
        later = fold_ticket(ticket, rules=self.clock_rules, at=result.at + timedelta(days=1))
        for before, after in zip(result.clocks(), later.clocks(), strict=True):
            if before.state != ClockState.RUNNING:
                # Nothing happens in the day after: a clock not running counts nothing.
                assert after.elapsed == before.elapsed, before.ref
            if before.state == ClockState.PAUSED:
                assert after.paused >= before.paused

    def stored_state_is_the_fold(self, ticket: Ticket, result: Fold) -> None:
        sla.recompute([ticket.pk], at=result.at, rules=self.clock_rules)
        assert sla.stored_rows([ticket.pk]) == clocks.fold_rows(result)

    def each_alert_raised_at_most_once(self, ticket: Ticket) -> None:
        raised = [
            (e.kind, e.new["clock"], e.new["segment"])
            for e in TicketEvent.objects.filter(ticket=ticket, kind__in=ALERT_KINDS)
        ]
        assert len(raised) == len(set(raised))


def test_random_histories_keep_the_clock_invariants(supplier_a, supplier_b):
    world = build_world(supplier_a, supplier_b)
    master = make_ticket(service=world.potholes, at=WINDOWS[0], title="The first report")
    machine = type("ClockMachineInThisWorld", (ClockMachine,), {"world": world, "master": master})
    run_state_machine_as_test(
        machine, settings=settings(max_examples=20, stateful_step_count=25, deadline=None)
    )
