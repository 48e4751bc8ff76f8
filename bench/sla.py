"""Benchmarks for business time: building a working table, and deadlines in bulk and one by one."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import holidays
import numpy as np

from bench.harness import Measure, benchmark, stopwatch
from interchange.core import businesstime
from interchange.core.businesstime import BusinessTime, CalendarSpec, build_table, epoch_us

OFFICE = CalendarSpec(
    time_zone="Europe/London",
    weekly=(((time(9), time(17)),),) * 5 + ((), ()),
    holiday_subdiv="ENG",
)
BULK_SIZE = 1_000_000
NAIVE_SAMPLE = 20_000
SCALAR_SIZE = 100_000
FIRST = datetime(2026, 1, 1, tzinfo=UTC)
LAST = datetime(2036, 1, 1, tzinfo=UTC)
MAX_DURATION_US = 40 * 3600 * 10**6


def _inputs(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    starts = rng.integers(epoch_us(FIRST), epoch_us(LAST), size, dtype=np.int64)
    durations = rng.integers(0, MAX_DURATION_US, size, endpoint=True, dtype=np.int64)
    return starts, durations


def _datetimes(starts: np.ndarray, durations: np.ndarray) -> list[tuple[datetime, timedelta]]:
    return [
        (businesstime.from_epoch_us(s), timedelta(microseconds=d))
        for s, d in zip(starts.tolist(), durations.tolist(), strict=True)
    ]


class NaiveOfficeHours:
    """The straightforward per-ticket way: walk day by day through local working intervals."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.zone: tzinfo = ZoneInfo(spec.time_zone)
        self.weekly = spec.weekly
        self.holidays = holidays.country_holidays("GB", subdiv=spec.holiday_subdiv)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        if duration == timedelta(0):
            return start
        remaining = duration
        day: date = start.astimezone(self.zone).date()
        while True:
            if day not in self.holidays:
                for opens, closes in self.weekly[day.weekday()]:
                    closing_day = day + timedelta(days=1) if closes == time(0) else day
                    begin = datetime.combine(day, opens, tzinfo=self.zone).astimezone(UTC)
                    end = datetime.combine(closing_day, closes, tzinfo=self.zone).astimezone(UTC)
                    begin = max(begin, start)
                    if end <= begin:
                        continue
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
            day += timedelta(days=1)


def _naive_rate(engine: BusinessTime) -> float:
    """Per-ticket rate of the naive walk, after checking it gives the engine's answers."""
    starts, durations = _inputs(NAIVE_SAMPLE, seed=7)
    rows = _datetimes(starts, durations)
    naive = NaiveOfficeHours(OFFICE)
    with stopwatch() as elapsed:
        answers = [naive.add(start, duration) for start, duration in rows]
    expected = engine.add_many(starts, durations)
    got = np.array([epoch_us(answer) for answer in answers], dtype=np.int64)
    if not np.array_equal(got, expected):
        wrong = int(np.count_nonzero(got != expected))
        raise AssertionError(f"The naive walk and the engine disagree on {wrong} deadlines.")
    return NAIVE_SAMPLE / elapsed[0]


@benchmark
def table_build() -> list[Measure]:
    """Build 20 years of an office-hours England calendar, from cold caches each time."""
    runs = []
    for _ in range(5):
        # Clear the holiday and time-zone caches too, so each run builds from nothing.
        businesstime._holidays_in.cache_clear()
        businesstime._offset_periods.cache_clear()
        with stopwatch() as elapsed:
            table = build_table(OFFICE, 2020, 2040)
        runs.append(elapsed[0] * 1000)
    with stopwatch() as warm:
        build_table(OFFICE, 2020, 2040)
    return [
        Measure(
            "sla.table_build_ms",
            statistics.median(runs),
            "ms",
            target="informational",
            notes={
                "years": 20,
                "intervals": len(table),
                "warm_caches_ms": round(warm[0] * 1000, 2),
            },
        )
    ]


@benchmark
def deadlines() -> list[Measure]:
    """Bulk and scalar `add` against the naive per-ticket walk (checked to agree first)."""
    engine = BusinessTime(OFFICE)
    starts, durations = _inputs(BULK_SIZE, seed=2026)
    engine.add_many(starts[:1000], durations[:1000])  # builds and caches the table
    naive_rate = _naive_rate(engine)

    bulk_runs = []
    for _ in range(5):
        with stopwatch() as elapsed:
            answers = engine.add_many(starts, durations)
        bulk_runs.append(elapsed[0])
    if not np.array_equal(engine.between_many(starts, answers), durations):
        raise AssertionError("between_many does not undo add_many.")

    rows = _datetimes(starts[:SCALAR_SIZE], durations[:SCALAR_SIZE])
    with stopwatch() as elapsed:
        scalar = [engine.add(start, duration) for start, duration in rows]
    scalar_time = elapsed[0]
    if [epoch_us(answer) for answer in scalar] != answers[:SCALAR_SIZE].tolist():
        raise AssertionError("Scalar add and add_many disagree.")

    return [
        Measure(
            "sla.bulk_deadlines_per_s",
            BULK_SIZE / min(bulk_runs),
            "deadlines/s",
            target="≥ 5,000,000",
            notes={"size": BULK_SIZE, "naive_sample": NAIVE_SAMPLE, "best_of": len(bulk_runs)},
            baseline="naive_python_per_ticket",
            baseline_value=naive_rate,
        ),
        Measure(
            "sla.scalar_deadlines_per_s",
            SCALAR_SIZE / scalar_time,
            "deadlines/s",
            target="informational",
            notes={"size": SCALAR_SIZE},
            baseline="naive_python_per_ticket",
            baseline_value=naive_rate,
        ),
    ]
