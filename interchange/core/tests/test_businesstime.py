"""Examples of business time: weekends, bank holidays, clock changes, exceptions and limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from interchange.core.businesstime import (
    MAX_INSTANT,
    BusinessTime,
    CalendarRangeError,
    CalendarSpec,
    DateSpan,
    NoWorkingTimeError,
    build_table,
    epoch_us,
    from_epoch_us,
)

LONDON = ZoneInfo("Europe/London")
NINE_TO_FIVE = ((time(9), time(17)),)
WEEKDAYS_ONLY = (NINE_TO_FIVE,) * 5 + ((), ())

OFFICE = CalendarSpec(weekly=WEEKDAYS_ONLY, holiday_subdiv="ENG")
SPLIT_DAY = CalendarSpec(
    weekly=(((time(8), time(12)), (time(13), time(17))),) * 5 + ((), ()), holiday_subdiv="ENG"
)
ALWAYS = CalendarSpec(is_24x7=True)
WHOLE_DAYS = CalendarSpec(weekly=(((time(0), time(0)),),) * 7)
NOTHING = CalendarSpec()
HOUR = timedelta(hours=1)


def london(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=LONDON)


def with_region(subdiv: str | None) -> BusinessTime:
    return BusinessTime(CalendarSpec(weekly=WEEKDAYS_ONLY, holiday_subdiv=subdiv))


def works_on(engine: BusinessTime, day: date) -> bool:
    start = datetime.combine(day, time(0), tzinfo=LONDON)
    return engine.between(start, start + timedelta(days=1)) > timedelta(0)


# --- The basic rules ---------------------------------------------------------


def test_it_skips_the_weekend() -> None:
    friday = london(2026, 3, 13, 16)
    assert BusinessTime(OFFICE).add(friday, 2 * HOUR) == london(2026, 3, 16, 10)


def test_deadline_at_closing_time_is_closing_time() -> None:
    assert BusinessTime(OFFICE).add(london(2026, 3, 13, 9), 8 * HOUR) == london(2026, 3, 13, 17)


def test_adding_zero_is_the_start_even_outside_hours() -> None:
    saturday_night = london(2026, 3, 14, 3, 17, 5, 123)
    assert BusinessTime(OFFICE).add(saturday_night, timedelta(0)) == saturday_night


def test_time_before_opening_counts_from_opening() -> None:
    assert BusinessTime(OFFICE).add(london(2026, 3, 16, 7), HOUR) == london(2026, 3, 16, 10)


def test_a_start_after_closing_moves_to_the_next_opening() -> None:
    wednesday_evening = london(2026, 3, 11, 19, 30)
    assert BusinessTime(OFFICE).add(wednesday_evening, HOUR) == london(2026, 3, 12, 10)


def test_it_is_exact_to_the_microsecond() -> None:
    engine = BusinessTime(OFFICE)
    tick = timedelta(microseconds=1)
    assert engine.add(london(2026, 3, 16, 8), tick) == london(2026, 3, 16, 9) + tick
    assert engine.add(london(2026, 3, 16, 16, 59, 59, 999_999), tick) == london(2026, 3, 16, 17)


def test_between_counts_only_working_time() -> None:
    engine = BusinessTime(OFFICE)
    assert engine.between(london(2026, 3, 13, 12), london(2026, 3, 16, 12)) == 8 * HOUR


def test_between_is_zero_when_the_end_is_not_after_the_start() -> None:
    engine = BusinessTime(OFFICE)
    noon = london(2026, 3, 16, 12)
    assert engine.between(noon, noon) == timedelta(0)
    assert engine.between(noon, noon - HOUR) == timedelta(0)


def test_answers_are_aware_utc_datetimes() -> None:
    answer = BusinessTime(OFFICE).add(london(2026, 7, 1, 9), HOUR)
    assert answer.tzinfo is UTC
    assert answer == datetime(2026, 7, 1, 9, tzinfo=UTC)


def test_several_intervals_a_day_skip_the_gap() -> None:
    engine = BusinessTime(SPLIT_DAY)
    assert engine.add(london(2026, 3, 16, 11), 2 * HOUR) == london(2026, 3, 16, 14)
    assert engine.between(london(2026, 3, 16, 0), london(2026, 3, 17, 0)) == 8 * HOUR


def test_a_deadline_at_the_start_of_lunch_is_the_start_of_lunch() -> None:
    engine = BusinessTime(SPLIT_DAY)
    assert engine.add(london(2026, 3, 16, 11), HOUR) == london(2026, 3, 16, 12)


# --- Bank holidays -----------------------------------------------------------


def test_it_skips_bank_holidays() -> None:
    # Good Friday 3 April and Easter Monday 6 April 2026.
    maundy_thursday = london(2026, 4, 2, 16)
    assert BusinessTime(OFFICE).add(maundy_thursday, 2 * HOUR) == london(2026, 4, 7, 10)


def test_it_skips_substitute_days_when_christmas_falls_on_a_weekend() -> None:
    # Christmas 2027 is a Saturday: the substitute days are Monday 27 and Tuesday 28.
    engine = BusinessTime(OFFICE)
    assert not works_on(engine, date(2027, 12, 27))
    assert not works_on(engine, date(2027, 12, 28))
    assert engine.add(london(2027, 12, 24, 16), 2 * HOUR) == london(2027, 12, 29, 10)


def test_it_skips_the_boxing_day_substitute_in_2026() -> None:
    # Boxing Day 2026 is a Saturday, so Monday 28 December is the bank holiday.
    assert not works_on(BusinessTime(OFFICE), date(2026, 12, 28))


def test_scotland_closes_on_2_january_and_st_andrews_day_but_england_does_not() -> None:
    england, scotland = with_region("ENG"), with_region("SCT")
    for day in (date(2026, 1, 2), date(2026, 11, 30)):
        assert works_on(england, day)
        assert not works_on(scotland, day)


def test_england_closes_on_easter_monday_but_scotland_does_not() -> None:
    assert not works_on(with_region("ENG"), date(2026, 4, 6))
    assert works_on(with_region("SCT"), date(2026, 4, 6))


def test_northern_ireland_closes_on_st_patricks_day() -> None:
    assert not works_on(with_region("NIR"), date(2026, 3, 17))
    assert works_on(with_region("ENG"), date(2026, 3, 17))


def test_wales_shares_englands_bank_holidays() -> None:
    for day in (date(2026, 4, 6), date(2026, 8, 31), date(2027, 12, 28)):
        assert not works_on(with_region("WLS"), day)


def test_a_calendar_without_a_region_works_bank_holidays() -> None:
    assert works_on(with_region(None), date(2026, 4, 6))


# --- Clock changes -----------------------------------------------------------


def test_office_hours_stay_at_local_time_across_the_spring_change() -> None:
    # The clocks go forward on Sunday 29 March 2026: 09:00 is 09:00 UTC before, 08:00 UTC after.
    engine = BusinessTime(OFFICE)
    assert engine.add(london(2026, 3, 27, 16), 2 * HOUR) == datetime(2026, 3, 30, 9, tzinfo=UTC)
    assert engine.between(london(2026, 3, 27, 9), london(2026, 3, 30, 17)) == 16 * HOUR


def test_office_hours_stay_at_local_time_across_the_autumn_change() -> None:
    # The clocks go back on Sunday 25 October 2026.
    engine = BusinessTime(OFFICE)
    assert engine.add(london(2026, 10, 23, 16), 2 * HOUR) == datetime(2026, 10, 26, 10, tzinfo=UTC)
    assert engine.between(london(2026, 10, 23, 9), london(2026, 10, 26, 17)) == 16 * HOUR


def test_a_24x7_day_is_23_hours_when_the_clocks_go_forward() -> None:
    engine = BusinessTime(ALWAYS)
    assert engine.between(london(2026, 3, 29), london(2026, 3, 30)) == 23 * HOUR
    assert engine.add(london(2026, 3, 29), 23 * HOUR) == london(2026, 3, 30)


def test_a_24x7_day_is_25_hours_when_the_clocks_go_back() -> None:
    engine = BusinessTime(ALWAYS)
    assert engine.between(london(2026, 10, 25), london(2026, 10, 26)) == 25 * HOUR
    assert engine.add(london(2026, 10, 25), 24 * HOUR) == london(2026, 10, 25, 23)


def test_a_midnight_to_midnight_day_counts_the_real_elapsed_time() -> None:
    engine = BusinessTime(WHOLE_DAYS)
    assert engine.between(london(2026, 3, 29), london(2026, 3, 30)) == 23 * HOUR
    assert engine.between(london(2026, 10, 25), london(2026, 10, 26)) == 25 * HOUR
    assert engine.between(london(2026, 6, 1), london(2026, 6, 2)) == 24 * HOUR


def test_hours_the_clocks_skip_are_not_worked_and_repeated_hours_count_twice() -> None:
    # 00:30-02:30 local: 01:00-02:00 does not exist in March and happens twice in October.
    engine = BusinessTime(CalendarSpec(weekly=(((time(0, 30), time(2, 30)),),) * 7))
    assert engine.between(london(2026, 3, 29), london(2026, 3, 30)) == HOUR
    assert engine.between(london(2026, 10, 25), london(2026, 10, 26)) == 3 * HOUR
    assert engine.between(london(2026, 6, 7), london(2026, 6, 8)) == 2 * HOUR


def test_working_hours_follow_the_calendars_own_time_zone() -> None:
    new_york = CalendarSpec(time_zone="America/New_York", weekly=WEEKDAYS_ONLY)
    start = datetime(2026, 3, 9, 9, tzinfo=ZoneInfo("America/New_York"))
    assert BusinessTime(new_york).add(start, HOUR) == datetime(2026, 3, 9, 14, tzinfo=UTC)


# --- Closures and openings ---------------------------------------------------


def office_with(
    *, closures: tuple[DateSpan, ...] = (), openings: tuple[DateSpan, ...] = ()
) -> BusinessTime:
    return BusinessTime(
        CalendarSpec(
            weekly=WEEKDAYS_ONLY, holiday_subdiv="ENG", closures=closures, openings=openings
        )
    )


def test_a_whole_day_closure_is_skipped() -> None:
    move = date(2026, 3, 17)
    engine = office_with(closures=(DateSpan(move, move),))
    assert engine.add(london(2026, 3, 16, 16), 2 * HOUR) == london(2026, 3, 18, 10)


def test_a_closure_of_part_of_a_day_removes_only_those_hours() -> None:
    training = date(2026, 3, 17)
    engine = office_with(closures=(DateSpan(training, training, time(12), time(17)),))
    assert engine.between(london(2026, 3, 17), london(2026, 3, 18)) == 3 * HOUR
    assert engine.add(london(2026, 3, 17, 11), 2 * HOUR) == london(2026, 3, 18, 10)


def test_a_closure_over_several_days_applies_its_times_on_each_day() -> None:
    engine = office_with(
        closures=(DateSpan(date(2026, 3, 16), date(2026, 3, 18), time(9), time(13)),)
    )
    assert engine.between(london(2026, 3, 16), london(2026, 3, 19)) == 12 * HOUR
    assert engine.between(london(2026, 3, 19), london(2026, 3, 20)) == 8 * HOUR


def test_a_saturday_opening_adds_time() -> None:
    saturday = date(2026, 3, 14)
    engine = office_with(openings=(DateSpan(saturday, saturday, time(9), time(13)),))
    assert engine.add(london(2026, 3, 13, 16), 2 * HOUR) == london(2026, 3, 14, 10)


def test_an_opening_beats_a_bank_holiday() -> None:
    # The council opens on the May Day bank holiday for an election count.
    may_day = date(2026, 5, 4)
    engine = office_with(openings=(DateSpan(may_day, may_day, time(10), time(16)),))
    assert engine.between(london(2026, 5, 4), london(2026, 5, 5)) == 6 * HOUR
    assert engine.add(london(2026, 5, 1, 16), 2 * HOUR) == london(2026, 5, 4, 11)


def test_an_opening_beats_a_closure_on_the_times_it_covers() -> None:
    day = date(2026, 3, 17)
    engine = office_with(
        closures=(DateSpan(day, day),), openings=(DateSpan(day, day, time(14), time(15)),)
    )
    assert engine.between(london(2026, 3, 17), london(2026, 3, 18)) == HOUR


def test_an_opening_that_overlaps_working_hours_adds_only_the_extra_time() -> None:
    day = date(2026, 3, 17)
    engine = office_with(openings=(DateSpan(day, day, time(16), time(19)),))
    assert engine.between(london(2026, 3, 17), london(2026, 3, 18)) == 10 * HOUR


def test_an_opening_to_midnight_runs_to_the_end_of_the_day() -> None:
    day = date(2026, 3, 14)
    engine = office_with(openings=(DateSpan(day, day, time(20), time(0)),))
    assert engine.between(london(2026, 3, 14), london(2026, 3, 15)) == 4 * HOUR


# --- Long durations and the engine's range -----------------------------------


def test_five_years_of_business_time_is_exact() -> None:
    engine = BusinessTime(OFFICE)
    start = london(2026, 3, 16, 10)
    five_years = timedelta(days=5 * 365)
    answer = engine.add(start, five_years)
    assert engine.between(start, answer) == five_years
    # About 2,000 working hours a year, so five years of business time is about 22 years.
    assert 2046 <= answer.year <= 2049


def test_a_year_of_24x7_time_is_a_year_of_real_time() -> None:
    start = london(2026, 3, 16, 10)
    assert BusinessTime(ALWAYS).add(start, timedelta(days=365)) == start + timedelta(days=365)


def test_a_long_between_spans_many_years() -> None:
    engine = BusinessTime(ALWAYS)
    start, end = datetime(1975, 1, 1, tzinfo=UTC), datetime(2150, 1, 1, tzinfo=UTC)
    assert engine.between(start, end) == end - start


def test_instants_before_1970_are_out_of_range() -> None:
    engine = BusinessTime(OFFICE)
    with pytest.raises(CalendarRangeError):
        engine.add(datetime(1969, 12, 31, 23, 59, tzinfo=UTC), HOUR)
    with pytest.raises(CalendarRangeError):
        engine.between(datetime(1969, 12, 31, tzinfo=UTC), london(2026, 1, 1))


def test_instants_after_2200_are_out_of_range() -> None:
    engine = BusinessTime(ALWAYS)
    with pytest.raises(CalendarRangeError):
        engine.between(london(2026, 1, 1), MAX_INSTANT + timedelta(microseconds=1))
    with pytest.raises(CalendarRangeError):
        engine.add(MAX_INSTANT + timedelta(microseconds=1), timedelta(0))


def test_the_range_ends_are_included() -> None:
    engine = BusinessTime(ALWAYS)
    start = datetime(1970, 1, 1, tzinfo=UTC)
    assert engine.between(start, MAX_INSTANT) == MAX_INSTANT - start
    assert engine.add(MAX_INSTANT - HOUR, HOUR) == MAX_INSTANT


def test_an_answer_beyond_2200_is_an_error_not_a_wrong_answer() -> None:
    engine = BusinessTime(OFFICE)
    with pytest.raises(CalendarRangeError):
        engine.add(datetime(2199, 12, 1, tzinfo=UTC), 1000 * HOUR)
    with pytest.raises(CalendarRangeError):
        engine.add_many(np.array([epoch_us(datetime(2199, 12, 1, tzinfo=UTC))]), [10**12])


def test_a_calendar_without_working_time_cannot_give_a_deadline() -> None:
    engine = BusinessTime(NOTHING)
    start = london(2026, 3, 16, 10)
    with pytest.raises(NoWorkingTimeError):
        engine.add(start, HOUR)
    assert engine.add(start, timedelta(0)) == start
    assert engine.between(start, start + timedelta(days=30)) == timedelta(0)


def test_a_calendar_whose_only_opening_is_past_runs_out_of_range() -> None:
    day = date(2026, 3, 14)
    engine = BusinessTime(CalendarSpec(openings=(DateSpan(day, day, time(9), time(10)),)))
    assert engine.add(london(2026, 3, 1), HOUR) == london(2026, 3, 14, 10)
    with pytest.raises(CalendarRangeError):
        engine.add(london(2026, 3, 1), 2 * HOUR)


# --- Bad input -----------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    engine = BusinessTime(OFFICE)
    with pytest.raises(ValueError, match="naive"):
        engine.add(datetime(2026, 3, 16, 10), HOUR)
    with pytest.raises(ValueError, match="naive"):
        engine.between(london(2026, 3, 16, 10), datetime(2026, 3, 17, 10))


def test_negative_durations_are_rejected() -> None:
    engine = BusinessTime(OFFICE)
    with pytest.raises(ValueError, match="negative"):
        engine.add(london(2026, 3, 16, 10), -HOUR)
    with pytest.raises(ValueError, match="negative"):
        engine.add_many(np.array([epoch_us(london(2026, 3, 16, 10))]), np.array([-1]))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time_zone": "Europe/Londres"},
        {"weekly": (NINE_TO_FIVE,) * 5},
        {"weekly": ((time(17), time(9)),) * 7},
        {"weekly": (((time(17), time(9)),),) * 7},
        {"holiday_subdiv": "XYZ"},
    ],
)
def test_a_malformed_spec_is_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CalendarSpec(**kwargs)  # type: ignore[arg-type]


def test_a_malformed_date_span_is_rejected() -> None:
    with pytest.raises(ValueError):
        DateSpan(date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(ValueError):
        DateSpan(date(2026, 1, 1), date(2026, 1, 2), start=time(9))
    with pytest.raises(ValueError):
        DateSpan(date(2026, 1, 1), date(2026, 1, 2), time(10), time(9))


def test_specs_are_hashable_values() -> None:
    again = CalendarSpec(weekly=WEEKDAYS_ONLY, holiday_subdiv="ENG")
    assert again == OFFICE
    assert hash(again) == hash(OFFICE)


# --- Bulk API --------------------------------------------------------------------


def test_bulk_add_agrees_with_scalar_add() -> None:
    engine = BusinessTime(OFFICE)
    starts = [london(2026, 3, 13, 16), london(2026, 4, 2, 16), london(2026, 3, 14, 3)]
    durations = [2 * HOUR, 2 * HOUR, timedelta(0)]
    got = engine.add_many(
        np.array([epoch_us(s) for s in starts]),
        np.array([d // timedelta(microseconds=1) for d in durations]),
    )
    assert [from_epoch_us(v) for v in got] == [
        engine.add(s, d) for s, d in zip(starts, durations, strict=True)
    ]


def test_bulk_accepts_datetime64_and_timedelta64() -> None:
    engine = BusinessTime(OFFICE)
    starts = np.array(["2026-03-13T16:00", "2026-03-16T08:00"], dtype="datetime64[m]")
    got = engine.add_many(starts, np.array([2, 1], dtype="timedelta64[h]"))
    assert got.tolist() == [
        epoch_us(datetime(2026, 3, 16, 10, tzinfo=UTC)),
        epoch_us(datetime(2026, 3, 16, 10, tzinfo=UTC)),
    ]
    spent = engine.between_many(starts, np.datetime64("2026-03-16T12:00", "us"))
    assert spent.tolist() == [4 * 3600 * 10**6, 3 * 3600 * 10**6]


def test_bulk_rejects_nanoseconds_and_floats() -> None:
    engine = BusinessTime(OFFICE)
    with pytest.raises(ValueError, match="finer"):
        engine.add_many(np.array(["2026-03-13T16:00"], dtype="datetime64[ns]"), [0])
    with pytest.raises(ValueError):
        engine.add_many(np.array([1.5e15]), [0])


def test_bulk_rejects_not_a_time() -> None:
    with pytest.raises(CalendarRangeError):
        BusinessTime(OFFICE).add_many(np.array(["NaT"], dtype="datetime64[us]"), [0])


def test_bulk_handles_empty_arrays() -> None:
    engine = BusinessTime(OFFICE)
    empty = np.array([], dtype=np.int64)
    assert engine.add_many(empty, empty).shape == (0,)
    assert engine.between_many(empty, empty).shape == (0,)


def test_bulk_agrees_with_scalar_when_days_have_many_intervals() -> None:
    # Ten short spans a day defeats the bucket index, so the bulk path falls back to a search.
    spans = tuple((time(h), time(h, 10)) for h in range(8, 18))
    engine = BusinessTime(CalendarSpec(weekly=(spans,) * 7))
    rng = np.random.default_rng(7)
    lo, hi = epoch_us(london(2026, 1, 1)), epoch_us(london(2027, 1, 1))
    starts = rng.integers(lo, hi, 500)
    durations = rng.integers(0, 30 * 3600 * 10**6, 500)
    got = engine.add_many(starts, durations)
    for s, d, g in zip(starts.tolist(), durations.tolist(), got.tolist(), strict=True):
        assert engine.add(from_epoch_us(s), timedelta(microseconds=d)) == from_epoch_us(g)
    assert (engine.between_many(starts, got) == durations).all()


def test_a_table_is_sorted_disjoint_and_merged() -> None:
    table = build_table(WHOLE_DAYS, 2026, 2027)
    assert len(table) == 1
    office = build_table(OFFICE, 2026, 2027)
    assert (office.starts[1:] > office.ends[:-1]).all()
    assert (office.ends > office.starts).all()
    assert office.total == (253 * 8) * 3600 * 10**6  # 261 weekdays less 8 bank holidays
