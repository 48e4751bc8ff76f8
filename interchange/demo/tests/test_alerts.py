"""The seeded SLA alerts, planned in bulk, are what the breach scan would raise: at each scan,
the scalar fold of the ticket's timeline so far (earlier scans' alerts included) finds the
same warnings and breaches, with the same payloads, in the same order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from interchange.core.businesstime import epoch_us
from interchange.demo.alerts import Entry, Planner
from interchange.demo.emulate import Emulator
from interchange.demo.generator import Generator
from interchange.demo.scripts import Op
from interchange.demo.world import World
from interchange.servicedesk import clocks

pytestmark = pytest.mark.django_db


def _scanned(
    planner: Planner, ticket_id: int, service: int, timeline: list[Entry]
) -> dict[int, list[tuple[str, dict[str, Any]]]]:
    """What scans at `planner.scan_times` raise, one at a time by the scalar fold, each
    scan's alerts joining the timeline before the next (as the live scan does)."""
    times = planner.scan_times([(ticket_id, service, timeline)]).get(ticket_id, [])
    entries = list(timeline)
    raised: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    for at in times:
        due = planner.due(ticket_id, service, [e for e in entries if e[0] <= at], at)
        if due:
            raised[at] = due
            _add_alerts(planner, entries, at, due)
    return raised


def _add_alerts(
    planner: Planner, entries: list[Entry], at: int, due: list[tuple[str, dict[str, Any]]]
) -> None:
    """Put the alerts a scan at `at` raised into the timeline `entries`, after the entries of
    that moment, each as the emulator records it (the ticket's state unchanged)."""
    position = sum(1 for e in entries if e[0] <= at)
    last = entries[position - 1]
    entries[position:position] = [
        (at, kind, last[2], last[3], last[4], last[5], False, None, planner.alert_key(p), "")
        for kind, p in due
    ]


def _timelines(
    world: World, generator: Generator, batch: int, keep: Callable[[list[Entry]], bool]
) -> list[tuple[int, int, list[Entry]]]:
    """(ticket id, service id, timeline) of each generated ticket whose timeline `keep`s,
    emulated without alerts."""
    emulator = Emulator(world, first_ticket_id=1, first_satisfaction_id=1, planner=None)
    tickets = []
    for scripts in generator.batches(batch):
        for script in scripts:
            ticket = emulator.apply(script)
            if keep(ticket.timeline):
                tickets.append((ticket.state["id"], ticket.state["service_id"], ticket.timeline))
        emulator.take()
    return tickets


def test_bulk_planned_alerts_equal_one_scan_at_a_time(world: World) -> None:
    generator = Generator(
        world,
        count=400,
        seed=5,
        first_day=world.dates.anchor_day - timedelta(days=120),
        last_day=world.dates.anchor_day - timedelta(days=1),
    )
    planner = Planner(generator.end)
    tickets = _timelines(world, generator, 150, keep=lambda _timeline: True)

    planned, _timelines_with_alerts = planner.plan_with_timelines(tickets)

    expected: dict[int, dict[int, list[tuple[str, dict[str, Any]]]]] = {}
    for ticket_id, service, timeline in tickets:
        raised = _scanned(planner, ticket_id, service, timeline)
        if raised:
            expected[ticket_id] = raised
    assert planned == expected
    kinds = {kind for scans in planned.values() for due in scans.values() for kind, _p in due}
    assert kinds == {"sla_warning", "sla_breach"}, "the history should warn and breach"
    assert any(len(scans) > 1 for scans in planned.values()), "some tickets are scanned twice"


def test_fold_many_at_is_the_scalar_fold_at_each_tickets_own_moment(world: World) -> None:
    generator = Generator(
        world,
        count=120,
        seed=8,
        first_day=world.dates.anchor_day - timedelta(days=40),
        last_day=world.dates.anchor_day - timedelta(days=1),
    )
    planner = Planner(generator.end)
    emulator = Emulator(world, first_ticket_id=1, first_satisfaction_id=1, planner=None)
    scripts = [s for batch in generator.batches() for s in batch]
    tickets = [emulator.apply(script) for script in scripts]
    steps = {
        t.state["id"]: [
            clocks.Step(
                at=datetime.fromtimestamp(e[0], UTC),
                kind=e[1],
                status=e[2],
                holder=e[3],
                priority=e[4],
                holder_acknowledged=e[5],
                acknowledges=e[6],
                policy=e[7] if e[1] in clocks.HOLDER_KINDS else None,
            )
            for e in t.timeline
        ]
        for t in tickets
    }
    # Each ticket at its own moment: half way through its life, or (every seventh) a day
    # before it opened, when it has no timeline yet and is left out.
    moments = {
        t.state["id"]: t.timeline[0][0] - 86_400
        if t.state["id"] % 7 == 0
        else (t.timeline[0][0] + t.timeline[-1][0]) // 2
        for t in tickets
    }
    timelines = clocks.Timelines.from_steps(
        (t.state["id"], t.state["service_id"], steps[t.state["id"]]) for t in tickets
    )
    at_us = np.array([moments[t.state["id"]] * 1_000_000 for t in tickets], dtype=np.int64)
    bulk = clocks.fold_many_at(
        timelines, rules=planner.rules, at_us=at_us, warning_share=planner.share
    )

    folded = [t for t in tickets if t.timeline[0][0] <= moments[t.state["id"]]]
    assert bulk.ticket_ids.tolist() == [t.state["id"] for t in folded]
    assert any(t.timeline[0][0] > moments[t.state["id"]] for t in tickets)
    for i, ticket in enumerate(folded):
        at = datetime.fromtimestamp(moments[ticket.state["id"]], UTC)
        scalar = clocks.fold(
            steps[ticket.state["id"]],
            ticket_id=ticket.state["id"],
            service_id=ticket.state["service_id"],
            rules=planner.rules,
            at=at,
            warning_share=planner.share,
        )
        pairs = ((scalar.response, bulk.response), (scalar.resolution, bulk.resolution))
        for clock, arrays in pairs:
            assert arrays.elapsed[i] == clock.elapsed // clocks.ONE_US
            assert arrays.priority is not None and arrays.priority[i] == clock.priority
            for due, due_array in (
                (clock.breach_due_at, arrays.breach_due),
                (clock.warning_due_at, arrays.warning_due),
                (clock.deadline, arrays.deadline),
            ):
                assert due_array[i] == (clocks.NONE if due is None else epoch_us(due))
    assert any(op == Op.RESOLVE for s in scripts for op in (step.op for step in s.steps))


def test_an_alert_brought_forward_by_a_priority_change_is_raised_in_the_history(
    world: World,
) -> None:
    """A priority raised after the new target has already passed makes a warning or breach
    due at once: the live scan raises it the next minute, so the history must have it too,
    and nothing may be left due at the history's end for the worker to raise and mail."""
    generator = Generator(
        world,
        count=30_000,
        seed=21,
        first_day=world.dates.anchor_day - timedelta(days=700),
        last_day=world.dates.anchor_day - timedelta(days=1),
    )
    planner = Planner(generator.end)
    tickets = _timelines(
        world,
        generator,
        2000,
        keep=lambda timeline: any(e[1] == "priority_changed" for e in timeline),
    )
    assert len(tickets) > 200

    planned, _timelines_with_alerts = planner.plan_with_timelines(tickets)

    brought_forward = 0
    for ticket_id, service, timeline in tickets:
        entries = list(timeline)
        for at, due in sorted(planned.get(ticket_id, {}).items()):
            brought_forward += any(
                e[1] == "priority_changed" and at - 60 < e[0] <= at for e in entries
            )
            _add_alerts(planner, entries, at, due)
        assert planner.due(ticket_id, service, entries, generator.end) == [], ticket_id
    assert brought_forward, "some alert should be raised right after a priority change"
