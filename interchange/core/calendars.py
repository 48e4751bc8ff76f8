"""Reads about business calendars for people: weekly hours, holidays ahead, a deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from interchange.core.businesstime import HOLIDAY_COUNTRY, BusinessTime
from interchange.core.models import BusinessCalendar, Weekday


def weekly_hours(calendar: BusinessCalendar) -> list[tuple[str, list[tuple[time, time]]]]:
    """Each weekday's label with its working spans in order (uses prefetched working_hours)."""
    spec = calendar.spec()
    return [(str(day.label), list(spec.weekly[day.value])) for day in Weekday]


def upcoming_holidays(
    calendar: BusinessCalendar, *, since: datetime, within: timedelta
) -> list[tuple[date, str]]:
    """Public holidays of the calendar's region from `since` (its local date) for `within`."""
    if calendar.is_24x7 or not calendar.holiday_region:
        return []
    first = since.astimezone(ZoneInfo(calendar.time_zone)).date()
    last = first + within
    region = holidays.country_holidays(
        HOLIDAY_COUNTRY, subdiv=calendar.holiday_region, years=range(first.year, last.year + 1)
    )
    return sorted((day, name) for day, name in region.items() if first <= day <= last)


@dataclass(frozen=True)
class Deadline:
    start: datetime
    duration: timedelta
    deadline: datetime
    time_zone: str

    @property
    def elapsed(self) -> timedelta:
        """Clock time from start to deadline, nights, weekends and holidays included."""
        return self.deadline - self.start


def deadline(calendar: BusinessCalendar, *, start: datetime, duration: timedelta) -> Deadline:
    """When `duration` of business time from `start` runs out in this calendar."""
    engine = BusinessTime(calendar.spec())
    return Deadline(start, duration, engine.add(start, duration), calendar.time_zone)
