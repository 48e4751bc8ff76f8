"""Demo business calendars: a council's office hours in each UK region, extended hours and 24x7."""

from __future__ import annotations

from datetime import date, time

from interchange.core.models import BusinessCalendar, CalendarException, Weekday

_OFFICE = [(time(8, 0), time(18, 0))]
_EXTENDED = [(time(7, 0), time(20, 0))]


def _calendar(
    code: str,
    name: str,
    *,
    region: str,
    weekdays: list[tuple[time, time]],
    saturday: list[tuple[time, time]] | None = None,
    is_24x7: bool = False,
) -> BusinessCalendar:
    calendar, _created = BusinessCalendar.objects.update_or_create(
        code=code,
        defaults={"name": name, "holiday_region": region, "is_24x7": is_24x7},
    )
    calendar.working_hours.all().delete()
    days = {day: weekdays for day in list(Weekday)[:5]}
    if saturday:
        days[Weekday.SATURDAY] = saturday
    calendar.working_hours.bulk_create(
        [
            calendar.working_hours.model(
                calendar=calendar, weekday=day, start_time=start, end_time=end
            )
            for day, spans in days.items()
            for start, end in spans
        ]
    )
    return calendar


def load() -> None:
    """Create or refresh the demo calendars; running it twice gives the same rows."""
    office = _calendar(
        "office-hours", "Council office hours (England and Wales)", region="ENG", weekdays=_OFFICE
    )
    office.exceptions.all().delete()
    office.exceptions.bulk_create(
        [
            CalendarException(
                calendar=office,
                kind=CalendarException.Kind.CLOSURE,
                date_from=date(2026, 12, 29),
                date_to=date(2026, 12, 31),
                reason="Council offices closed between Christmas and New Year",
            ),
            CalendarException(
                calendar=office,
                kind=CalendarException.Kind.OPENING,
                date_from=date(2027, 5, 8),
                date_to=date(2027, 5, 8),
                start_time=time(8, 0),
                end_time=time(13, 0),
                reason="Saturday opening for local election enquiries",
            ),
        ]
    )
    _calendar(
        "extended-hours",
        "Extended hours, Monday to Saturday",
        region="ENG",
        weekdays=_EXTENDED,
        saturday=[(time(8, 0), time(17, 0))],
    )
    _calendar("office-hours-scotland", "Office hours (Scotland)", region="SCT", weekdays=_OFFICE)
    _calendar("24x7", "Around the clock (24x7)", region="", weekdays=[], is_24x7=True)
