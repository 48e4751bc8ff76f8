"""The bulk fold gives exactly what the scalar fold gives, ticket by ticket, on arbitrary
timelines (legal or not) across clock changes and bank holidays, with several calendars,
missing targets, versions that start later, zero targets and same-instant events."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from interchange.core.businesstime import CalendarSpec
from interchange.servicedesk import clockstore
from interchange.servicedesk.clocks import (
    CalendarRef,
    ClockRef,
    Rules,
    Step,
    Target,
    Timelines,
    VersionRef,
    fold,
    fold_many,
    fold_rows,
)
from interchange.servicedesk.models import ClockKind, Status, TicketEvent

Kind = TicketEvent.Kind
H = timedelta(hours=1)
M = timedelta(minutes=1)

OFFICE = CalendarRef(
    1,
    "office",
    "Office hours",
    CalendarSpec(weekly=(((time(9), time(17)),),) * 5 + ((), ()), holiday_subdiv="ENG"),
)
ALWAYS = CalendarRef(2, "always", "Every hour", CalendarSpec(is_24x7=True))
SCOTLAND = CalendarRef(
    3,
    "scotland",
    "Extended hours, Scotland",
    CalendarSpec(weekly=(((time(7), time(19)),),) * 6 + ((),), holiday_subdiv="SCT"),
)


def targets(**by_priority: tuple[timedelta, timedelta, CalendarRef]) -> dict[int, Target]:
    return {int(p[1]): Target(*values) for p, values in by_priority.items()}


def version(id: int, policy: int, number: int, effective: datetime, **by_priority) -> VersionRef:
    return VersionRef(id, policy, number, effective, targets(**by_priority))


RULES = Rules(
    end_to_end={
        (1, p): t
        for p, t in targets(
            p1=(H, 4 * H, ALWAYS), p2=(2 * H, 8 * H, OFFICE), p3=(4 * H, 16 * H, SCOTLAND)
        ).items()
    },
    desk=targets(p1=(15 * M, H, ALWAYS), p3=(30 * M, 2 * H, OFFICE), p4=(H, 3 * H, SCOTLAND)),
    versions={
        10: [
            version(
                100,
                10,
                1,
                datetime(2020, 1, 1, tzinfo=UTC),
                p1=(30 * M, 2 * H, ALWAYS),
                p2=(H, 4 * H, OFFICE),
                p3=(2 * H, 8 * H, OFFICE),
                p4=(4 * H, 24 * H, SCOTLAND),
            ),
            version(
                101,
                10,
                2,
                datetime(2026, 3, 30, 12, tzinfo=UTC),
                p2=(H, 3 * H, SCOTLAND),
                p3=(3 * H, 9 * H, ALWAYS),
            ),
        ],
        # Takes effect only in April; a zero target is allowed here, to test the edge.
        20: [
            version(
                200,
                20,
                1,
                datetime(2026, 4, 1, tzinfo=UTC),
                p1=(timedelta(0), H, ALWAYS),
                p2=(2 * H, 6 * H, OFFICE),
                p4=(M, 2 * M, OFFICE),
            )
        ],
    },
)

STARTS = [
    datetime(2026, 3, 26, 8, tzinfo=UTC),  # spring forward on 29 March, Easter 3-6 April
    datetime(2026, 10, 22, 8, tzinfo=UTC),  # fall back on 25 October
    datetime(2026, 12, 23, 16, tzinfo=UTC),  # Christmas and Boxing Day (observed)
]
GAPS = st.one_of(
    st.just(timedelta(0)),
    st.integers(1, 3 * 24 * 60).map(lambda n: n * M),
    st.integers(1, 10**7).map(lambda n: n * timedelta(microseconds=1)),
)
KINDS = [
    Kind.NOTE,
    Kind.ASSIGNED,
    Kind.ROUTED,
    Kind.ACKNOWLEDGED,
    Kind.STATUS_CHANGED,
    Kind.REOPENED,
    Kind.SLA_WARNING,
    Kind.SLA_BREACH,
    Kind.PRIORITY_CHANGED,
]
ALERTS = st.builds(ClockRef, st.sampled_from([None, 1, 2, 3, 7]), st.sampled_from(ClockKind))


@st.composite
def timelines(draw) -> tuple[int, list[Step], datetime]:
    """(service, steps, at): a few to a dozen events, each the state after it."""
    when = draw(st.sampled_from(STARTS)) + draw(st.integers(0, 3 * 24 * 60)) * M
    steps = []
    for index in range(draw(st.integers(1, 12))):
        when += draw(GAPS) if index else timedelta(0)
        kind = Kind.OPENED if index == 0 else draw(st.sampled_from(KINDS))
        steps.append(
            Step(
                at=when,
                kind=kind,
                status=draw(st.sampled_from(Status)),
                holder=draw(st.sampled_from([None, 1, 2])),
                priority=draw(st.integers(1, 4)),
                holder_acknowledged=draw(st.booleans()),
                acknowledges=draw(st.booleans()),
                policy=draw(st.sampled_from([None, 10, 20, 99])),
                alert=draw(ALERTS) if kind in (Kind.SLA_WARNING, Kind.SLA_BREACH) else None,
            )
        )
    at = when + draw(GAPS)
    return draw(st.sampled_from([1, 2])), steps, at


@settings(max_examples=200, deadline=None)
@given(
    tickets=st.lists(timelines(), min_size=1, max_size=4),
    share=st.sampled_from([0.0, 0.5, 0.75, 1.0]),
    cut=st.integers(0, 3),
)
def test_the_bulk_fold_equals_the_scalar_fold_ticket_by_ticket(tickets, share, cut):
    # One `at` for the batch, as recompute uses: some tickets' later events fall after it.
    at = sorted(t[2] for t in tickets)[min(cut, len(tickets) - 1)]
    expected_clocks, expected_segments = [], []
    for ticket_id, (service, steps, _at) in enumerate(tickets, start=1):
        if steps[0].at > at:
            continue
        result = fold(
            steps, ticket_id=ticket_id, service_id=service, rules=RULES, at=at, warning_share=share
        )
        clock_rows, segment_rows = fold_rows(result)
        expected_clocks += clock_rows
        expected_segments += segment_rows

    batch = Timelines.from_steps(
        (ticket_id, service, steps) for ticket_id, (service, steps, _at) in enumerate(tickets, 1)
    )
    bulk = fold_many(batch, rules=RULES, at=at, warning_share=share)
    got = clockstore.as_tuples(clockstore.clock_rows(bulk), clockstore.segment_rows(bulk))

    assert got == (expected_clocks, expected_segments)


def test_an_empty_batch_folds_to_nothing():
    batch = Timelines.from_steps([])
    result = fold_many(batch, rules=RULES, at=STARTS[0])
    assert clockstore.as_tuples(clockstore.clock_rows(result), clockstore.segment_rows(result)) == (
        [],
        [],
    )
