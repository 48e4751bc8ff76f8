"""Business time: a calendar's working intervals in UTC, and exact `between` and `add` on them."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import numpy as np
from numpy.typing import ArrayLike, NDArray

Micros = NDArray[np.int64]
Span = tuple[time, time]
Side = Literal["left", "right"]

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND
MIDNIGHT = time(0)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)
_ONE_US = timedelta(microseconds=1)

# The engine answers for instants in [MIN_INSTANT, MAX_INSTANT], both ends included.
MIN_YEAR = 1970
MAX_YEAR = 2200
MIN_US = 0
MAX_US = (date(MAX_YEAR, 1, 1) - _EPOCH_DATE).days * US_PER_DAY
MIN_INSTANT = EPOCH
MAX_INSTANT = datetime(MAX_YEAR, 1, 1, tzinfo=UTC)

HOLIDAY_COUNTRY = "GB"
HOLIDAY_SUBDIVISIONS = frozenset({"ENG", "WLS", "SCT", "NIR"})

# Tables cover whole decades so that nearby requests share one cached table.
_TABLE_YEARS_ALIGN = 10
# Local days either side of a table's window, enough for any UTC offset (tzdata stays under 26 h).
_LOCAL_DAY_MARGIN = 2


class BusinessTimeError(ValueError):
    """A business-time question that has no right answer."""


class CalendarRangeError(BusinessTimeError):
    """An instant, or an answer, outside the years the engine covers (1970 to 2200)."""


class NoWorkingTimeError(BusinessTimeError):
    """A calendar with no working time at all cannot move a deadline forward."""


def _time_us(value: time) -> int:
    return (
        (value.hour * 60 + value.minute) * 60 + value.second
    ) * US_PER_SECOND + value.microsecond


def _end_us(value: time) -> int:
    # An end of 00:00 is midnight at the end of the day, not its start.
    return US_PER_DAY if value == MIDNIGHT else _time_us(value)


def _check_span(start: time, end: time) -> None:
    if not (isinstance(start, time) and isinstance(end, time)):
        raise ValueError(f"A span is a pair of times, not {start!r} and {end!r}.")
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("Working times are local wall-clock times and must be naive.")
    if not (end > start or end == MIDNIGHT):
        raise ValueError(f"A span must end after it starts (or at 00:00, midnight): {start}-{end}.")


@dataclass(frozen=True, slots=True)
class DateSpan:
    """Local days date_from..date_to inclusive: whole days, or start..end on each of those days."""

    date_from: date
    date_to: date
    start: time | None = None
    end: time | None = None

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValueError(f"{self.date_to} is before {self.date_from}.")
        if (self.start is None) != (self.end is None):
            raise ValueError("Give both a start and an end time, or neither for whole days.")
        if self.start is not None and self.end is not None:
            _check_span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    """An immutable, hashable calendar, the engine's only input. Working time is
    (weekly hours - holidays - closures) + openings, so an explicit opening beats a holiday."""

    time_zone: str = "Europe/London"
    # Seven days, Monday first, each a tuple of local (start, end); an end of 00:00 is midnight.
    weekly: tuple[tuple[Span, ...], ...] = ((),) * 7
    # A UK subdivision for the holidays package (ENG, WLS, SCT, NIR), or None for no holidays.
    holiday_subdiv: str | None = None
    closures: tuple[DateSpan, ...] = ()
    openings: tuple[DateSpan, ...] = ()
    # Every instant counts; hours, holidays and exceptions are then ignored.
    is_24x7: bool = False

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"Unknown time zone {self.time_zone!r}.") from None
        if len(self.weekly) != 7:
            raise ValueError("Weekly hours need exactly seven days, Monday first.")
        for spans in self.weekly:
            for span in spans:
                if not (isinstance(span, tuple) and len(span) == 2):
                    raise ValueError(f"Each day holds (start, end) pairs of times, not {span!r}.")
                _check_span(*span)
        if self.holiday_subdiv is not None and self.holiday_subdiv not in HOLIDAY_SUBDIVISIONS:
            raise ValueError(f"Unknown holiday subdivision {self.holiday_subdiv!r}.")

    @property
    def has_working_time(self) -> bool:
        """False when no instant could ever be working time (no hours, no openings)."""
        return self.is_24x7 or bool(self.openings) or any(self.weekly)


class _SortedIndex:
    """`np.searchsorted(keys, x, side)` for many x in [origin, origin + span], by fixed buckets."""

    # A binary search over unsorted needles is the bulk path's main cost. Each bucket keeps
    # the answer at its start and holds at most `probes` keys, so a few vectorised steps
    # finish the search; where keys bunch up, plain searchsorted is used instead.

    _MAX_PROBES = 4
    _INFINITY = np.iinfo(np.int64).max

    def __init__(self, keys: Micros, origin: int, span: int, width: int, side: Side) -> None:
        self.keys = keys
        self.origin = origin
        self.width = max(width, 1)
        self.side: Side = side
        self.left = side == "left"
        bounds = origin + np.arange(span // self.width + 2, dtype=np.int64) * self.width
        at_bounds = np.searchsorted(keys, bounds, side=side)
        self.first = at_bounds[:-1]
        self.probes = int(np.max(np.diff(at_bounds))) if len(keys) else 0
        self.padded = np.concatenate([keys, np.full(self.probes, self._INFINITY, dtype=np.int64)])

    def lookup(self, x: Micros) -> Micros:
        if self.probes > self._MAX_PROBES:
            return np.searchsorted(self.keys, x, side=self.side).astype(np.int64)
        k = self.first[(x - self.origin) // self.width]
        for _ in range(self.probes):
            k += self.padded[k] < x if self.left else self.padded[k] <= x
        return k


class WorkingTable:
    """Sorted, disjoint working intervals [starts, ends) in UTC epoch microseconds over [lo, hi],
    with the working time before each; exact for any instant in [lo, hi]."""

    # With cum[i] the working time in [lo, starts[i]), the working time up to x in interval i
    # is min(x - (starts[i] - cum[i]), cum[i] + length[i]): one search and two look-ups.
    # The arrays are read-only because tables are shared between callers.

    __slots__ = (
        "_by_time",
        "_by_work",
        "_cum_end_list",
        "_shift_list",
        "_starts_list",
        "cum_end",
        "ends",
        "first_year",
        "hi",
        "lo",
        "shift",
        "starts",
        "total",
        "years_end",
    )

    def __init__(self, first_year: int, years_end: int, starts: Micros, ends: Micros) -> None:
        self.first_year = first_year
        self.years_end = years_end
        self.lo = _year_start_us(first_year)
        self.hi = _year_start_us(years_end)
        self.starts = starts
        self.ends = ends
        lengths = ends - starts
        cum_end = np.cumsum(lengths, dtype=np.int64)
        self.total = int(cum_end[-1]) if len(cum_end) else 0
        # Index 0 is a zero-length interval at lo, so instants before the first interval and
        # a target of zero need no special case: index k+1 describes interval k.
        self.cum_end = np.concatenate([[0], cum_end]).astype(np.int64)
        self.shift = np.concatenate([[self.lo], starts - (cum_end - lengths)]).astype(np.int64)
        for array in (self.starts, self.ends, self.cum_end, self.shift):
            array.flags.writeable = False
        self._by_time = _SortedIndex(starts, self.lo, self.hi - self.lo, US_PER_DAY, "right")
        average = self.total // len(starts) if len(starts) else 1
        self._by_work = _SortedIndex(self.cum_end, 0, self.total, average, "left")
        # Plain lists make the scalar path several times faster than numpy on one value.
        self._starts_list: list[int] = starts.tolist()
        self._shift_list: list[int] = self.shift.tolist()
        self._cum_end_list: list[int] = self.cum_end.tolist()

    def __len__(self) -> int:
        return len(self.starts)

    def covers(self, lo_us: int, hi_us: int) -> bool:
        """True when the table is exact for every instant in [lo_us, hi_us]."""
        return self.lo <= lo_us and hi_us <= self.hi

    def worked(self, x: Micros) -> Micros:
        """Working microseconds in [lo, x) for each x in [lo, hi]."""
        self._check(x, self.lo, self.hi)
        k = self._by_time.lookup(x)
        return np.minimum(x - self.shift[k], self.cum_end[k])

    def reach(self, target: Micros) -> Micros:
        """The earliest instant with `worked == target`, for each target in [0, total]."""
        self._check(target, 0, self.total)
        return target + self.shift[self._by_work.lookup(target)]

    def worked_one(self, x: int) -> int:
        """`worked` for one instant."""
        self._check_one(x, self.lo, self.hi)
        k = bisect_right(self._starts_list, x)
        return min(x - self._shift_list[k], self._cum_end_list[k])

    def reach_one(self, target: int) -> int:
        """`reach` for one target."""
        self._check_one(target, 0, self.total)
        return target + self._shift_list[bisect_left(self._cum_end_list, target)]

    @staticmethod
    def _check(values: Micros, lo: int, hi: int) -> None:
        # The bucket index would wrap a negative position round silently; never let it.
        if values.size and (values.min() < lo or values.max() > hi):
            raise CalendarRangeError(f"Values outside this table's range [{lo}, {hi}].")

    @staticmethod
    def _check_one(value: int, lo: int, hi: int) -> None:
        if not lo <= value <= hi:
            raise CalendarRangeError(f"{value} is outside this table's range [{lo}, {hi}].")


def epoch_us(value: datetime) -> int:
    """An aware datetime as integer microseconds since 1970-01-01T00:00Z; naive is an error."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} is naive; business time needs timezone-aware datetimes.")
    return (value - EPOCH) // _ONE_US


def from_epoch_us(value: int) -> datetime:
    """Integer microseconds since the epoch as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=int(value))


def _year_start_us(year: int) -> int:
    return (date(year, 1, 1) - _EPOCH_DATE).days * US_PER_DAY


def _year_of(us: int) -> int:
    return from_epoch_us(us).year


def _check_range(lo_us: int, hi_us: int) -> None:
    if lo_us < MIN_US or hi_us > MAX_US:
        bad = lo_us if lo_us < MIN_US else hi_us
        try:
            shown = from_epoch_us(bad).isoformat()
        except OverflowError:
            shown = f"{bad} microseconds since the epoch"
        raise CalendarRangeError(
            f"{shown} is outside business time's range, "
            f"{MIN_INSTANT.isoformat()} to {MAX_INSTANT.isoformat()}."
        )


def build_table(spec: CalendarSpec, first_year: int, years_end: int) -> WorkingTable:
    """Build the working table for UTC years first_year..years_end - 1 (uncached)."""
    if not (MIN_YEAR <= first_year < years_end <= MAX_YEAR):
        raise CalendarRangeError(
            f"Years {first_year}-{years_end} are outside {MIN_YEAR}-{MAX_YEAR}."
        )
    lo, hi = _year_start_us(first_year), _year_start_us(years_end)
    if spec.is_24x7:
        return WorkingTable(
            first_year, years_end, np.array([lo], dtype=np.int64), np.array([hi], dtype=np.int64)
        )
    first_day = lo // US_PER_DAY - _LOCAL_DAY_MARGIN
    end_day = hi // US_PER_DAY + _LOCAL_DAY_MARGIN
    local_starts, local_ends = _local_working(spec, first_day, end_day)
    starts, ends = _local_to_utc(spec.time_zone, local_starts, local_ends, lo, hi)
    return WorkingTable(first_year, years_end, starts, ends)


@lru_cache(maxsize=32)
def _cached_table(spec: CalendarSpec, first_year: int, years_end: int) -> WorkingTable:
    return build_table(spec, first_year, years_end)


def _local_working(spec: CalendarSpec, first_day: int, end_day: int) -> tuple[Micros, Micros]:
    """Working time as intervals of local wall-clock microseconds (day * 24 h + time of day)."""
    days = np.arange(first_day, end_day, dtype=np.int64)
    weekdays = (days + 3) % 7  # 1970-01-01 was a Thursday
    weekly_starts, weekly_ends = [], []
    for weekday, spans in enumerate(spec.weekly):
        midnights = days[weekdays == weekday] * US_PER_DAY
        for start, end in spans:
            weekly_starts.append(midnights + _time_us(start))
            weekly_ends.append(midnights + _end_us(end))
    holiday_midnights = _holiday_days(spec.holiday_subdiv, first_day, end_day) * US_PER_DAY
    closed = _spans_local(spec.closures, first_day, end_day)
    opened = _spans_local(spec.openings, first_day, end_day)
    return _sweep(
        [
            (_concat(weekly_starts), _concat(weekly_ends)),
            (
                np.concatenate([holiday_midnights, closed[0]]),
                np.concatenate([holiday_midnights + US_PER_DAY, closed[1]]),
            ),
            opened,
        ],
        lambda weekly, shut, extra: ((weekly > 0) & (shut == 0)) | (extra > 0),
    )


def _concat(parts: list[Micros]) -> Micros:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _holiday_days(subdiv: str | None, first_day: int, end_day: int) -> Micros:
    if subdiv is None:
        return np.empty(0, dtype=np.int64)
    first_year = (_EPOCH_DATE + timedelta(days=int(first_day))).year
    last_year = (_EPOCH_DATE + timedelta(days=int(end_day))).year
    # A neighbouring year's observed days could spill over, so ask one year either side.
    found = {d for y in range(first_year - 1, last_year + 2) for d in _holidays_in(subdiv, y)}
    return np.array(sorted(d for d in found if first_day <= d < end_day), dtype=np.int64)


@lru_cache(maxsize=2048)
def _holidays_in(subdiv: str, year: int) -> tuple[int, ...]:
    dates = holidays.country_holidays(HOLIDAY_COUNTRY, subdiv=subdiv, years=year)
    return tuple(sorted((d - _EPOCH_DATE).days for d in dates))


def _spans_local(spans: Sequence[DateSpan], first_day: int, end_day: int) -> tuple[Micros, Micros]:
    starts, ends = [], []
    for span in spans:
        lo = max((span.date_from - _EPOCH_DATE).days, first_day)
        hi = min((span.date_to - _EPOCH_DATE).days + 1, end_day)
        if lo >= hi:
            continue
        if span.start is None or span.end is None:
            starts.append(np.array([lo * US_PER_DAY], dtype=np.int64))
            ends.append(np.array([hi * US_PER_DAY], dtype=np.int64))
        else:
            midnights = np.arange(lo, hi, dtype=np.int64) * US_PER_DAY
            starts.append(midnights + _time_us(span.start))
            ends.append(midnights + _end_us(span.end))
    return _concat(starts), _concat(ends)


def _sweep(
    groups: list[tuple[Micros, Micros]], keep: Callable[..., NDArray[np.bool_]]
) -> tuple[Micros, Micros]:
    """Combine groups of (possibly overlapping) intervals into the sorted, merged set where
    `keep(count_0, count_1, ...)` holds, each count being how many intervals of a group cover."""
    positions = np.concatenate([np.concatenate([s, e]) for s, e in groups])
    if not len(positions):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    positions = positions[order]
    counts = []
    offset = 0
    for s, e in groups:
        delta = np.zeros(len(positions), dtype=np.int64)
        delta[offset : offset + len(s)] = 1
        delta[offset + len(s) : offset + len(s) + len(e)] = -1
        offset += len(s) + len(e)
        counts.append(np.cumsum(delta[order]))
    # The count after the last event at each distinct position holds until the next position.
    last = np.flatnonzero(np.append(np.diff(positions) != 0, True))
    points = positions[last]
    kept = keep(*(c[last] for c in counts))[:-1]
    edges = np.diff(np.concatenate([[False], kept, [False]]).astype(np.int8))
    return points[np.flatnonzero(edges == 1)], points[np.flatnonzero(edges == -1)]


def _local_to_utc(
    time_zone: str, local_starts: Micros, local_ends: Micros, lo: int, hi: int
) -> tuple[Micros, Micros]:
    """The UTC instants in [lo, hi) whose local wall-clock reading falls in a local interval."""
    # Within one UTC-offset period local = utc + offset, so each local interval shifts by the
    # offset and is clipped to the period: an hour the clocks skip is never worked and an hour
    # they repeat is worked twice, which is the real elapsed time.
    starts, ends = [], []
    for period_start, period_end, offset in _offset_periods(time_zone, lo, hi):
        first = np.searchsorted(local_ends, period_start + offset, side="right")
        last = np.searchsorted(local_starts, period_end + offset, side="left")
        starts.append(np.maximum(local_starts[first:last] - offset, period_start))
        ends.append(np.minimum(local_ends[first:last] - offset, period_end))
    utc_starts, utc_ends = _concat(starts), _concat(ends)
    nonempty = utc_ends > utc_starts
    return _sweep([(utc_starts[nonempty], utc_ends[nonempty])], lambda covered: covered > 0)


@lru_cache(maxsize=64)
def _offset_periods(time_zone: str, lo: int, hi: int) -> tuple[tuple[int, int, int], ...]:
    """(start, end, UTC offset) in microseconds for each constant-offset stretch of [lo, hi)."""
    # zoneinfo has no public list of transitions, so sample the offset daily and bisect to the
    # second (transitions fall on whole seconds). No zone in tzdata since 1970 has two
    # transitions less than three days apart, so a daily sample cannot step over a pair.
    zone = ZoneInfo(time_zone)

    def offset_at(second: int) -> int:
        delta = datetime.fromtimestamp(second, zone).utcoffset()
        return 0 if delta is None else delta // _ONE_US

    lo_s, hi_s = lo // US_PER_SECOND, hi // US_PER_SECOND
    periods = []
    start, current, second = lo_s, offset_at(lo_s), lo_s
    while second < hi_s:
        probe = min(second + 86_400, hi_s)
        if offset_at(probe) == current:
            second = probe
            continue
        before, after = second, probe
        while after - before > 1:
            middle = (before + after) // 2
            if offset_at(middle) == current:
                before = middle
            else:
                after = middle
        periods.append((start * US_PER_SECOND, after * US_PER_SECOND, current))
        start, current, second = after, offset_at(after), after
    periods.append((start * US_PER_SECOND, hi_s * US_PER_SECOND, current))
    return tuple((s, e, o) for s, e, o in periods if e > s)


def _as_instants(values: ArrayLike) -> Micros:
    array = np.asarray(values)
    if array.dtype.kind == "M":
        return _from_datetime64(array, "datetime64[us]")
    if array.dtype.kind == "m":
        return _from_datetime64(array, "timedelta64[us]")
    if array.dtype.kind == "u" and array.size and array.max() > np.iinfo(np.int64).max:
        raise CalendarRangeError("Values beyond int64 are outside business time's range.")
    if array.dtype.kind in "iu":
        return array.astype(np.int64, casting="same_kind")
    raise ValueError(f"Expected int64 epoch microseconds or datetime64, not {array.dtype}.")


def _from_datetime64(array: NDArray[np.datetime64 | np.timedelta64], target: str) -> Micros:
    unit = np.datetime_data(array.dtype)[0]
    if unit not in ("Y", "M", "W", "D", "h", "m", "s", "ms", "us"):
        # Finer units would be truncated, and a deadline must never be rounded silently.
        raise ValueError(f"{array.dtype} is finer than microseconds; convert it first.")
    return array.astype(target).view(np.int64)


class BusinessTime:
    """Business-time arithmetic in one calendar: `between`, `add` and their bulk forms.
    Tables are built on demand, by decade, and cached per spec, so one per request is cheap."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self._table: WorkingTable | None = None

    def between(self, t: datetime, u: datetime) -> timedelta:
        """Working time inside [t, u); zero when u <= t."""
        t_us, u_us = epoch_us(t), epoch_us(u)
        _check_range(min(t_us, u_us), max(t_us, u_us))
        if u_us <= t_us:
            return timedelta(0)
        table = self._covering(t_us, u_us)
        return timedelta(microseconds=table.worked_one(u_us) - table.worked_one(t_us))

    def add(self, t: datetime, d: timedelta) -> datetime:
        """The earliest instant u >= t with between(t, u) == d, as an aware UTC datetime."""
        t_us, d_us = epoch_us(t), d // _ONE_US
        _check_range(t_us, t_us)
        self._check_durations(d_us, d_us)
        if d_us == 0:
            return from_epoch_us(t_us)
        table = self._covering(t_us, t_us)
        target = table.worked_one(t_us) + d_us
        if target > table.total:
            table = self._grown(table, target)
            target = table.worked_one(t_us) + d_us
        return from_epoch_us(table.reach_one(target))

    def between_many(self, t: ArrayLike, u: ArrayLike) -> Micros:
        """`between` element-wise on epoch-microsecond (or datetime64) arrays, in microseconds."""
        t_us, u_us = np.broadcast_arrays(_as_instants(t), _as_instants(u))
        if not t_us.size:
            return np.zeros(t_us.shape, dtype=np.int64)
        lo, hi = int(min(t_us.min(), u_us.min())), int(max(t_us.max(), u_us.max()))
        _check_range(lo, hi)
        table = self._covering(lo, hi)
        return np.where(u_us > t_us, table.worked(u_us) - table.worked(t_us), 0)

    def add_many(self, t: ArrayLike, d: ArrayLike) -> Micros:
        """`add` element-wise; t in epoch microseconds (or datetime64), d in microseconds
        (or timedelta64); returns epoch microseconds."""
        t_us, d_us = np.broadcast_arrays(_as_instants(t), _as_instants(d))
        if not t_us.size:
            return np.zeros(t_us.shape, dtype=np.int64)
        _check_range(int(t_us.min()), int(t_us.max()))
        self._check_durations(int(d_us.min()), int(d_us.max()))
        table = self._covering(int(t_us.min()), int(t_us.max()))
        target = table.worked(t_us) + d_us
        needed = int(target.max())
        if needed > table.total:
            table = self._grown(table, needed)
            target = table.worked(t_us) + d_us
        # With d == 0 the earliest instant of equal working time may lie before t; t is the answer.
        return np.maximum(table.reach(target), t_us)

    def _check_durations(self, lowest: int, highest: int) -> None:
        if lowest < 0:
            raise ValueError("A business-time duration cannot be negative.")
        if highest > MAX_US - MIN_US:
            raise CalendarRangeError(f"A duration of {highest} microseconds runs past {MAX_YEAR}.")
        if highest > 0 and not self.spec.has_working_time:
            raise NoWorkingTimeError("This calendar has no working time, so no deadline exists.")

    def _covering(self, lo_us: int, hi_us: int) -> WorkingTable:
        """A table exact on [lo_us, hi_us], with a year's margin before and two after."""
        current = self._table
        if current is not None and current.covers(lo_us, hi_us):
            return current
        first = _year_of(lo_us) - 1
        end = _year_of(hi_us) + 2
        if current is not None:
            first, end = min(first, current.first_year), max(end, current.years_end)
        return self._use(first, end)

    def _grown(self, table: WorkingTable, target: int) -> WorkingTable:
        """A table reaching further into the future until its total working time >= target."""
        while table.total < target:
            if table.years_end >= MAX_YEAR:
                raise CalendarRangeError(
                    f"The answer falls after {MAX_INSTANT.isoformat()}, "
                    "outside business time's range."
                )
            years = table.years_end - table.first_year
            if table.total:
                shortfall = target - table.total
                more = math.ceil(shortfall * years / table.total) + 1
            else:
                more = years
            table = self._use(table.first_year, table.years_end + more)
        return table

    def _use(self, first: int, end: int) -> WorkingTable:
        align = _TABLE_YEARS_ALIGN
        first = max(MIN_YEAR, first // align * align)
        end = min(MAX_YEAR, -(-end // align) * align)
        table = _cached_table(self.spec, first, end)
        self._table = table
        return table
