"""Properties of business time, and agreement with a naive minute-by-minute reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from interchange.core.businesstime import (
    BusinessTime,
    CalendarSpec,
    DateSpan,
    epoch_us,
    from_epoch_us,
)

US = timedelta(microseconds=1)
MINUTE_US = 60 * 10**6
HOUR_US = 60 * MINUTE_US
WEEKDAYS = 5
OFFICE_DAYS = ((time(9), time(17)),)

SPECS = {
    "office": CalendarSpec(weekly=(OFFICE_DAYS,) * WEEKDAYS + ((), ()), holiday_subdiv="ENG"),
    "split": CalendarSpec(
        weekly=(((time(8), time(12)), (time(13), time(17))),) * WEEKDAYS
        + (((time(9), time(12, 30)),), ()),
        holiday_subdiv="SCT",
    ),
    "always": CalendarSpec(is_24x7=True),
    "exceptions": CalendarSpec(
        weekly=(OFFICE_DAYS,) * WEEKDAYS + ((), ()),
        holiday_subdiv="ENG",
        closures=(
            DateSpan(date(2026, 3, 25), date(2026, 3, 25)),
            DateSpan(date(2026, 3, 31), date(2026, 3, 31), time(12), time(17)),
            DateSpan(date(2026, 10, 20), date(2026, 10, 22), time(13), time(0)),
        ),
        openings=(
            DateSpan(date(2026, 3, 28), date(2026, 3, 28), time(9), time(13)),
            DateSpan(date(2026, 4, 3), date(2026, 4, 3), time(10), time(14)),
            DateSpan(date(2026, 10, 21), date(2026, 10, 21), time(14), time(15)),
            DateSpan(date(2026, 10, 25), date(2026, 10, 25), time(0), time(3)),
        ),
    ),
    # Spans across 01:00-02:00, the hour London skips in March and repeats in October.
    "night": CalendarSpec(weekly=(((time(0, 30), time(2, 30)), (time(22), time(0))),) * 7),
    # Lord Howe Island moves its clocks by half an hour, at 02:00 local.
    "lord_howe": CalendarSpec(
        time_zone="Australia/Lord_Howe",
        weekly=(((time(1), time(3)), (time(9), time(17))),) * 7,
    ),
}
ENGINES = {name: BusinessTime(spec) for name, spec in SPECS.items()}

LO_US = epoch_us(datetime(2020, 1, 1, tzinfo=UTC))
HI_US = epoch_us(datetime(2032, 1, 1, tzinfo=UTC))
# Windows around the 2026 clock changes (London, Lord Howe), Easter and the exceptions above.
WINDOWS = [date(2026, 3, 23), date(2026, 4, 1), date(2026, 9, 30), date(2026, 10, 19)]
WINDOW_MINUTES = 9 * 24 * 60

names = st.sampled_from(sorted(SPECS))


@st.composite
def instants(draw: st.DrawFn) -> int:
    """Epoch microseconds: anywhere, or on a round local time give or take a microsecond."""
    if draw(st.booleans()):
        return draw(st.integers(LO_US, HI_US))
    day = draw(st.dates(date(2020, 1, 2), date(2031, 12, 30)))
    clock = draw(st.sampled_from([time(0), time(1), time(1, 30), time(2), time(9), time(12)]))
    clock = draw(st.sampled_from([clock, time(13), time(17), time(22), time(8, 59, 59)]))
    local = datetime.combine(day, clock, tzinfo=ZoneInfo("Europe/London"))
    return epoch_us(local) + draw(st.sampled_from([0, 0, 1, -1]))


durations = st.one_of(
    st.integers(0, 2_000 * HOUR_US),
    st.integers(0, 80).map(lambda hours: hours * HOUR_US),
    st.sampled_from([0, 1, MINUTE_US, 8 * HOUR_US - 1, 8 * HOUR_US, 8 * HOUR_US + 1]),
)


def add(name: str, t: int, d: int) -> int:
    return epoch_us(ENGINES[name].add(from_epoch_us(t), d * US))


def between(name: str, t: int, u: int) -> int:
    return ENGINES[name].between(from_epoch_us(t), from_epoch_us(u)) // US


# --- Algebraic properties ----------------------------------------------------


@given(names, instants(), durations)
def test_between_undoes_add(name: str, t: int, d: int) -> None:
    assert between(name, t, add(name, t, d)) == d


@given(names, instants(), durations.filter(bool))
def test_add_gives_the_earliest_such_instant(name: str, t: int, d: int) -> None:
    u = add(name, t, d)
    assert u > t
    assert between(name, t, u - 1) < d


@given(names, instants(), instants(), durations)
def test_add_is_monotonic_in_the_start(name: str, t1: int, t2: int, d: int) -> None:
    t1, t2 = sorted((t1, t2))
    assert add(name, t1, d) <= add(name, t2, d)


@given(names, instants(), durations, durations)
def test_add_is_monotonic_in_the_duration(name: str, t: int, d1: int, d2: int) -> None:
    d1, d2 = sorted((d1, d2))
    assert add(name, t, d1) <= add(name, t, d2)


@given(names, instants(), instants(), instants())
def test_between_is_additive(name: str, a: int, b: int, c: int) -> None:
    a, b, c = sorted((a, b, c))
    assert between(name, a, b) + between(name, b, c) == between(name, a, c)


@given(names, instants(), instants())
def test_between_never_exceeds_elapsed_time(name: str, t: int, u: int) -> None:
    spent = between(name, t, u)
    assert 0 <= spent <= max(u - t, 0)
    if name == "always":
        assert spent == max(u - t, 0)


@given(
    names,
    st.lists(st.tuples(instants(), instants(), durations), min_size=1, max_size=40),
)
def test_bulk_agrees_with_scalar(name: str, rows: list[tuple[int, int, int]]) -> None:
    t, u, d = (np.array(column, dtype=np.int64) for column in zip(*rows, strict=True))
    engine = ENGINES[name]
    assert engine.add_many(t, d).tolist() == [add(name, *pair) for pair in zip(t, d, strict=True)]
    assert engine.between_many(t, u).tolist() == [
        between(name, *pair) for pair in zip(t, u, strict=True)
    ]


# --- A deliberately naive reference --------------------------------------------


def _covers(span: DateSpan, day: date, clock: time) -> bool:
    if not span.date_from <= day <= span.date_to:
        return False
    if span.start is None or span.end is None:
        return True
    return span.start <= clock and (clock < span.end or span.end == time(0))


@cache
def _holidays(subdiv: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdiv, years=year))


@cache
def is_working_minute(name: str, minute: int) -> bool:
    """Read the wall clock at this UTC minute and apply the calendar's rules to it directly."""
    spec = SPECS[name]
    if spec.is_24x7:
        return True
    local = datetime.fromtimestamp(minute * 60, ZoneInfo(spec.time_zone))
    day, clock = local.date(), local.time()
    if any(_covers(span, day, clock) for span in spec.openings):
        return True
    if spec.holiday_subdiv and day in _holidays(spec.holiday_subdiv, day.year):
        return False
    if any(_covers(span, day, clock) for span in spec.closures):
        return False
    return any(
        start <= clock and (clock < end or end == time(0))
        for start, end in spec.weekly[day.weekday()]
    )


def naive_between(name: str, t_minute: int, u_minute: int) -> int:
    return sum(is_working_minute(name, m) for m in range(t_minute, u_minute)) * MINUTE_US


def naive_add(name: str, t_minute: int, d_minutes: int) -> int:
    minute, counted = t_minute, 0
    while counted < d_minutes:
        counted += is_working_minute(name, minute)
        minute += 1
    return minute * MINUTE_US


@st.composite
def minutes_in_a_window(draw: st.DrawFn) -> int:
    base = datetime.combine(draw(st.sampled_from(WINDOWS)), time(0), tzinfo=UTC)
    return epoch_us(base) // MINUTE_US + draw(st.integers(0, WINDOW_MINUTES))


@given(names, minutes_in_a_window(), st.integers(0, 3 * 24 * 60))
def test_between_agrees_with_the_naive_reference(name: str, t: int, length: int) -> None:
    assert between(name, t * MINUTE_US, (t + length) * MINUTE_US) == naive_between(
        name, t, t + length
    )


@given(names, minutes_in_a_window(), st.integers(0, 20 * 60))
def test_add_agrees_with_the_naive_reference(name: str, t: int, d: int) -> None:
    assert add(name, t * MINUTE_US, d * MINUTE_US) == naive_add(name, t, d)
