"""The SLA clocks' rules, one example each: what counts, what pauses, what stops, whose time
it was, which target and calendar apply, across clock changes and bank holidays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from interchange.core.priorities import Level, Priority
from interchange.servicedesk import clocks
from interchange.servicedesk.actors import System
from interchange.servicedesk.clocks import (
    WALL_CLOCK,
    ClockRef,
    Fold,
    Segment,
    VersionRef,
    explain,
    fold_ticket,
)
from interchange.servicedesk.models import ClockKind, ClockState, ResolutionCode, Status, Ticket
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
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn
from interchange.servicedesk.tests.factories import (
    T0,
    make_service,
    make_supplier,
    make_ticket,
    make_user,
)
from interchange.servicedesk.tests.sla_world import LONG_AGO, H, M, World, add_version, build_world
from interchange.suppliers.models import Supplier

pytestmark = pytest.mark.django_db

SYSTEM = System()
RUNNING, PAUSED, MET, BREACHED, STOPPED = (
    ClockState.RUNNING,
    ClockState.PAUSED,
    ClockState.MET,
    ClockState.BREACHED,
    ClockState.STOPPED,
)


@pytest.fixture
def world(supplier_a: Supplier, supplier_b: Supplier) -> World:
    return build_world(supplier_a, supplier_b)


def at(hours: float = 0, minutes: float = 0) -> datetime:
    """T0 (Monday 2 March 2026, 09:00 GMT) plus some time."""
    return T0 + timedelta(hours=hours, minutes=minutes)


def fold(ticket: Ticket, when: datetime) -> Fold:
    return fold_ticket(ticket, rules=clocks.Rules.load(), at=when)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def version_of(segment: Segment) -> VersionRef:
    assert segment.version is not None
    return segment.version


# --- End to end ----------------------------------------------------------------------------


def test_acknowledging_stops_the_response_clocks_and_the_resolution_clock_runs_on(world):
    ticket = make_ticket(service=world.potholes, at=at())
    assert ticket.priority == Priority.P3 and ticket.holder_supplier == world.a
    ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=at(1, 30))

    result = fold(ticket, at(5))

    assert (result.response.state, result.response.elapsed) == (MET, 1.5 * H)
    assert result.response.target == 4 * H and result.response.deadline is None
    assert result.response.calendar.id == world.office.pk
    # Supplier A's own response target for P3 is 2 hours.
    own = result.segments[0].response
    assert (own.state, own.elapsed, own.target) == (MET, 1.5 * H, 2 * H)
    assert (result.resolution.state, result.resolution.elapsed) == (RUNNING, 5 * H)
    # 11 hours left: Monday 14:00-17:00, then Tuesday 09:00-17:00, ending at closing time.
    assert result.resolution.deadline == utc(2026, 3, 3, 17)


def test_a_late_acknowledgement_breaches_and_breached_means_over_target(world):
    ticket = make_ticket(service=world.potholes, at=at())
    ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=at(5))

    result = fold(ticket, at(6))

    assert (result.response.state, result.response.breached) == (BREACHED, True)
    assert result.segments[0].response.state == BREACHED
    assert not result.resolution.breached


def test_a_running_clock_past_its_target_is_running_and_breached_with_a_past_deadline(world):
    ticket = make_ticket(service=world.potholes, at=at())

    result = fold(ticket, at(4, 30))

    assert result.response.state == RUNNING and result.response.breached
    assert result.response.deadline == at(4)
    exactly = fold(ticket, at(4))
    assert exactly.response.elapsed == 4 * H and not exactly.response.breached


def test_waiting_pauses_every_clock_and_records_its_reason(world):
    ticket = make_ticket(service=world.potholes, at=at())
    ticket = ticket_start(ticket=ticket, actor=SYSTEM, at=at(1))
    ticket = ticket_wait(
        ticket=ticket, actor=SYSTEM, on=WaitingOn.RESIDENT, reason="Need a photo", at=at(2)
    )

    waiting = fold(ticket, at(4))
    assert (waiting.resolution.state, waiting.resolution.elapsed) == (PAUSED, 2 * H)
    assert waiting.resolution.deadline is None and waiting.resolution.paused == 2 * H
    assert waiting.segments[0].resolution.state == PAUSED

    ticket_resume(ticket=ticket, actor=SYSTEM, at=at(5))
    result = fold(ticket, at(6))

    assert (result.resolution.state, result.resolution.elapsed) == (RUNNING, 3 * H)
    assert result.resolution.paused == 3 * H
    assert result.segments[0].paused == 3 * H and result.segments[0].business == 3 * H
    [pause] = result.pauses
    assert (pause.started_at, pause.ended_at) == (at(2), at(5))
    assert (pause.status, pause.reason, pause.holder) == (
        Status.WAITING_RESIDENT,
        "Need a photo",
        world.a.pk,
    )


def test_reopening_resumes_where_it_stopped_and_counts_against_who_resolved(world):
    ticket = make_ticket(service=world.potholes, at=at())
    ticket = ticket_resolve(
        ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, at=at(3)
    )
    resolved = fold(ticket, at(25))
    assert (resolved.resolution.state, resolved.resolution.elapsed) == (MET, 3 * H)

    ticket = ticket_reopen(ticket=ticket, actor=SYSTEM, reason="Still there", at=at(25))
    reopened = fold(ticket, at(26))

    # The night and the morning while resolved do not count.
    assert (reopened.resolution.state, reopened.resolution.elapsed) == (RUNNING, 4 * H)
    assert reopened.segments[0].reopens == 1
    assert len(reopened.segments) == 1 and reopened.segments[0].holder == world.a.pk
    # As of before the reopening, the fold gives the old answer: events after `at` are unseen.
    assert fold(ticket, at(24)).resolution == resolved.resolution


def test_closing_a_resolved_ticket_keeps_its_result(world):
    ticket = make_ticket(service=world.potholes, at=at())
    ticket = ticket_resolve(
        ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, at=at(17 + 24)
    )
    ticket_close(ticket=ticket, actor=SYSTEM, at=at(48))

    result = fold(ticket, at(72))

    # Monday 09:00-17:00 and Tuesday 09:00-17:00: 16 hours, exactly the target.
    assert (result.resolution.state, result.resolution.elapsed) == (MET, 16 * H)
    assert result.ended_at == at(48)


def test_cancelling_stops_the_clocks(world):
    ticket = make_ticket(service=world.potholes, at=at())
    ticket_cancel(ticket=ticket, actor=SYSTEM, reason="Reported twice", at=at(2))

    result = fold(ticket, at(10))

    assert (result.resolution.state, result.resolution.elapsed) == (STOPPED, 2 * H)
    assert result.response.state == STOPPED and result.response.deadline is None
    segment = result.segments[0]
    assert (segment.response.state, segment.resolution.state) == (STOPPED, STOPPED)
    assert result.ended_at == at(2) and segment.ended_at == at(2)


def test_a_duplicate_stops_the_resolution_clock(world):
    master = make_ticket(service=world.potholes, at=at())
    ticket = make_ticket(service=world.potholes, at=at(1))
    ticket_mark_duplicate(ticket=ticket, actor=SYSTEM, master=master, at=at(2))

    result = fold(ticket, at(5))

    assert result.resolution.state == STOPPED
    # Marking a duplicate acknowledges, like resolving.
    assert (result.response.state, result.response.elapsed) == (MET, 1 * H)


def test_a_first_public_reply_by_staff_stops_the_end_to_end_response_clock(world):
    ticket = make_ticket(service=world.potholes, at=at())
    agent = make_user("integrator_agent")
    ticket_add_note(ticket=ticket, actor=agent, body="We are on it", public=True, at=at(1))

    result = fold(ticket, at(3))

    assert (result.response.state, result.response.elapsed) == (MET, 1 * H)
    # The desk replied, not the holder: supplier A's own response clock runs on.
    assert result.segments[0].response.state == RUNNING


# --- Whose time it was ---------------------------------------------------------------------


def handed_around(world: World) -> Ticket:
    """A to the desk to B: A acknowledges, hands back at 11:00; the desk acknowledges and
    hands to B at 12:00; B starts at 13:00 and resolves at 15:00."""
    ticket = make_ticket(service=world.potholes, at=at())
    ticket = ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=at(0, 30))
    ticket = ticket_assign(ticket=ticket, actor=SYSTEM, holder=DESK, reason="Not ours", at=at(2))
    ticket = ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=at(2, 30))
    ticket = ticket_assign(ticket=ticket, actor=SYSTEM, holder=world.b, reason="B's", at=at(3))
    ticket = ticket_start(ticket=ticket, actor=SYSTEM, at=at(4))
    return ticket_resolve(
        ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, at=at(6)
    )


def test_handovers_split_the_ticket_into_segments_that_add_up_to_its_life(world):
    ticket = handed_around(world)

    result = fold(ticket, at(7))

    a, desk, b = result.segments
    assert [(s.holder, s.started_at, s.ended_at) for s in result.segments] == [
        (world.a.pk, at(), at(2)),
        (None, at(2), at(3)),
        (world.b.pk, at(3), None),
    ]
    assert sum((s.wall(result.at) for s in result.segments), timedelta()) == result.life
    assert result.life == 7 * H
    # Each measured against its own targets, on its own time only.
    assert (a.response.state, a.response.elapsed, a.response.target) == (MET, 0.5 * H, 2 * H)
    assert (a.resolution.state, a.resolution.elapsed) == (STOPPED, 2 * H)
    assert (desk.response.state, desk.response.target) == (MET, 1 * H)
    assert (desk.resolution.state, desk.resolution.elapsed, desk.resolution.target) == (
        MET,
        1 * H,
        2 * H,
    )
    assert (b.response.state, b.response.elapsed, b.response.target) == (MET, 1 * H, 3 * H)
    assert (b.resolution.state, b.resolution.elapsed, b.resolution.target) == (
        MET,
        3 * H,
        12 * H,
    )
    assert version_of(a).policy_id == world.policy_a.pk
    assert version_of(b).policy_id == world.policy_b.pk
    assert desk.version is None
    # End to end, the council's promise spans all of them.
    assert (result.response.elapsed, result.resolution.elapsed) == (0.5 * H, 6 * H)


def test_the_desk_breaches_its_ola_by_holding_a_ticket_too_long(world):
    ticket = make_ticket(service=world.laptops, at=at())
    assert ticket.holder_supplier is None
    ticket = ticket_assign(ticket=ticket, actor=SYSTEM, holder=world.a, at=at(3))

    desk = fold(ticket, at(4)).segments[0]

    # The desk's P3 OLA: hand on or resolve within 2 hours.
    assert (desk.resolution.state, desk.resolution.elapsed) == (BREACHED, 3 * H)
    assert desk.response.state == STOPPED and desk.response.breached


def test_each_holder_counts_in_its_own_calendar(world):
    # B works around the clock from a revision that took effect long ago.
    add_version(
        world.policy_b,
        {p: (H, 12 * H) for p in range(1, 5)},
        office=world.always,
        always=world.always,
        effective_from=LONG_AGO + timedelta(days=1),
    )
    friday = utc(2026, 3, 6, 16)
    ticket = make_ticket(service=world.potholes, at=friday)
    ticket = ticket_assign(
        ticket=ticket, actor=SYSTEM, holder=world.b, reason="B's", at=friday + 30 * M
    )
    monday = utc(2026, 3, 9, 10)
    ticket_resolve(ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, at=monday)

    result = fold(ticket, monday + H)

    a, b = result.segments
    assert a.business == 30 * M
    assert b.business == monday - (friday + 30 * M)
    assert b.resolution.state == BREACHED and version_of(b).number == 2
    # End to end the office calendar counts: Friday 16:00-17:00 and Monday 09:00-10:00.
    assert result.resolution.elapsed == 2 * H


def test_a_supplier_without_a_provision_has_no_target_and_counts_wall_clock_time(world):
    stranger = make_supplier("stranger")
    ticket = make_ticket(service=world.potholes, at=at())
    ticket = ticket_assign(ticket=ticket, actor=SYSTEM, holder=stranger, reason="?", at=at(1))

    segment = fold(ticket, at(30)).segments[1]

    assert segment.version is None and segment.resolution.target is None
    assert segment.resolution.calendar == WALL_CLOCK
    assert segment.resolution.elapsed == 29 * H and not segment.resolution.breached


def test_a_service_without_targets_counts_wall_clock_time_and_never_breaches(world):
    graffiti = make_service("graffiti")
    ticket = make_ticket(service=graffiti, at=at())

    result = fold(ticket, at(100))

    assert result.resolution.target is None and result.resolution.deadline is None
    assert (result.resolution.state, result.resolution.elapsed) == (RUNNING, 100 * H)
    assert not result.resolution.breached and result.resolution.alert_due_at is None


# --- Calendars -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened", "seen", "elapsed", "deadline"),
    [
        # Friday 16:00 GMT; the clocks go forward on Sunday 29 March; Monday opens 08:00 UTC.
        (utc(2026, 3, 27, 16), utc(2026, 3, 30, 8, 30), 90 * M, utc(2026, 3, 30, 9)),
        # Friday 16:00 BST; the clocks go back on Sunday 25 October; Monday opens 09:00 UTC.
        (utc(2026, 10, 23, 15), utc(2026, 10, 26, 9, 30), 90 * M, utc(2026, 10, 26, 10)),
        # Thursday 2 April 16:00 BST, before Good Friday, the weekend and Easter Monday.
        (utc(2026, 4, 2, 15), utc(2026, 4, 7, 8, 30), 90 * M, utc(2026, 4, 7, 9)),
    ],
    ids=["spring-forward", "fall-back", "easter"],
)
def test_clocks_count_local_working_hours_across_clock_changes_and_bank_holidays(
    world, opened, seen, elapsed, deadline
):
    ticket = make_ticket(service=world.potholes, at=opened)

    own = fold(ticket, seen).segments[0].response

    # Supplier A's P3 response target is 2 office hours.
    assert (own.state, own.elapsed, own.deadline) == (RUNNING, elapsed, deadline)


def test_the_end_to_end_deadline_skips_a_bank_holiday_weekend(world):
    ticket = make_ticket(service=world.potholes, at=utc(2026, 4, 2, 15))

    response = fold(ticket, utc(2026, 4, 2, 15)).response

    # 4 office hours: one on Thursday, then Tuesday 7 April 09:00-12:00 BST.
    assert response.deadline == utc(2026, 4, 7, 11)


# --- Targets over time ---------------------------------------------------------------------


def test_a_policy_revision_never_changes_a_segment_that_started_before_it(world):
    first = make_ticket(service=world.potholes, at=at())
    before = fold(first, at(8))
    assert version_of(before.segments[0]).number == 1

    add_version(
        world.policy_a,
        {p: (10 * M, H) for p in range(1, 5)},
        office=world.office,
        always=world.always,
        effective_from=at(4),
    )
    second = make_ticket(service=world.potholes, at=at(5))

    assert fold(first, at(8)) == before
    newer = fold(second, at(8)).segments[0]
    assert (version_of(newer).number, newer.response.target) == (2, 10 * M)
    assert newer.response.state == RUNNING and newer.response.breached


def test_a_priority_change_counts_each_stretch_in_its_own_calendar(world):
    friday = utc(2026, 3, 6, 16)
    ticket = make_ticket(service=world.potholes, at=friday)
    ticket = ticket_override_priority(
        ticket=ticket, actor=SYSTEM, priority=Priority.P1, reason="Gas leak", at=friday + 30 * M
    )

    raised = fold(ticket, utc(2026, 3, 7, 10))

    # 30 office minutes as P3, then around the clock as P1 (24x7), against P1's 4 hours.
    assert raised.resolution.elapsed == 18 * H
    assert raised.resolution.target == 4 * H and raised.resolution.priority == Priority.P1
    assert raised.resolution.state == RUNNING and raised.resolution.breached
    assert raised.resolution.deadline == friday + 4 * H
    assert raised.resolution.calendar.id == world.always.pk
    assert raised.priority_changes == ((friday + 30 * M, Priority.P1),)

    ticket_override_priority(
        ticket=ticket, actor=SYSTEM, priority=Priority.P4, reason="Not gas", at=utc(2026, 3, 7, 10)
    )
    lowered = fold(ticket, utc(2026, 3, 7, 12))

    # Time already counted stays counted; the weekend does not count for P4.
    assert lowered.resolution.elapsed == 18 * H
    assert lowered.resolution.target == 40 * H and not lowered.resolution.breached


def test_an_acknowledged_response_keeps_the_target_of_its_priority_then(world):
    ticket = make_ticket(service=world.potholes, at=at(), impact=Level.LOW, urgency=Level.LOW)
    ticket = ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=at(3))
    ticket_override_priority(
        ticket=ticket, actor=SYSTEM, priority=Priority.P1, reason="Worse", at=at(4)
    )

    response = fold(ticket, at(5)).response

    assert (response.state, response.priority, response.target) == (MET, Priority.P4, 8 * H)


# --- Explain -------------------------------------------------------------------------------


def test_explain_names_the_segments_pauses_calendars_and_policy_versions(world):
    ticket = handed_around(world)
    ticket = ticket_reopen(ticket=ticket, actor=SYSTEM, reason="Back again", at=at(7))
    ticket_wait(
        ticket=ticket, actor=SYSTEM, on=WaitingOn.THIRD_PARTY, reason="Gas board", at=at(7, 30)
    )

    explanation = explain(Ticket.objects.get(pk=ticket.pk), at=at(8))

    assert explanation.reference == ticket.reference
    assert explanation.resolution.state == PAUSED
    assert (explanation.resolution.calendar.code, explanation.resolution.calendar.name) == (
        "office",
        "Office hours",
    )
    names = [s.holder_name for s in explanation.segments]
    assert names == [world.a.name, "", world.b.name]
    b = explanation.segments[2]
    assert (version_of(b).id, version_of(b).number, version_of(b).effective_from) == (
        world.policy_b.versions.get().pk,
        1,
        LONG_AGO,
    )
    assert b.reopens == 1
    [pause] = explanation.pauses
    assert (pause.started_at, pause.ended_at, pause.reason) == (at(7, 30), None, "Gas board")


def test_alerts_due_name_the_clock_and_prefer_a_breach_to_a_late_warning(world):
    ticket = make_ticket(service=world.potholes, at=at())

    early = fold(ticket, at(1, 30))
    late = fold(ticket, at(4, 30))

    # Supplier A's 2-hour response target warns at 75%: 1 hour 30 minutes.
    assert [(a.ref, a.kind, a.due_at) for a in early.alerts_due(at(1, 30))] == [
        (ClockRef(1, ClockKind.RESPONSE), "sla_warning", at(1, 30))
    ]
    refs = {(a.ref, a.kind) for a in late.alerts_due(at(4, 30))}
    assert (ClockRef(1, ClockKind.RESPONSE), "sla_breach") in refs
    assert (ClockRef(1, ClockKind.RESPONSE), "sla_warning") not in refs
    assert (ClockRef(None, ClockKind.RESPONSE), "sla_breach") in refs
