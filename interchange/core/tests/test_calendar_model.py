"""Business calendars as rows: validation, the engine's spec, and the admin's checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import inlineformset_factory

from interchange.core.admin import WorkingHoursFormSet
from interchange.core.businesstime import BusinessTime, CalendarSpec, DateSpan
from interchange.core.models import (
    BusinessCalendar,
    CalendarException,
    Weekday,
    WorkingHours,
    validate_working_hours,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def make_calendar(**fields: object) -> BusinessCalendar:
    defaults: dict[str, object] = {"code": "office", "name": "Office hours"}
    return BusinessCalendar.objects.create(**(defaults | fields))


def add_weekday_hours(calendar: BusinessCalendar, *spans: tuple[time, time]) -> None:
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, start_time=start, end_time=end)
        for day in range(Weekday.MONDAY, Weekday.SATURDAY)
        for start, end in spans
    )


def test_a_new_calendar_is_london_with_english_holidays() -> None:
    calendar = make_calendar()
    assert calendar.time_zone == "Europe/London"
    assert calendar.holiday_region == BusinessCalendar.HolidayRegion.ENGLAND_AND_WALES
    assert not calendar.is_24x7


def test_spec_is_built_from_the_rows() -> None:
    calendar = make_calendar(holiday_region=BusinessCalendar.HolidayRegion.SCOTLAND)
    # Rows saved out of order still give a sorted, equal spec.
    add_weekday_hours(calendar, (time(13), time(17)), (time(8), time(12)))
    CalendarException.objects.create(
        calendar=calendar,
        kind=CalendarException.Kind.OPENING,
        date_from=date(2026, 3, 14),
        date_to=date(2026, 3, 14),
        start_time=time(9),
        end_time=time(13),
        reason="Council tax rush",
    )
    CalendarException.objects.create(
        calendar=calendar,
        kind=CalendarException.Kind.CLOSURE,
        date_from=date(2026, 3, 17),
        date_to=date(2026, 3, 18),
        reason="Office move",
    )
    day = ((time(8), time(12)), (time(13), time(17)))
    assert calendar.spec() == CalendarSpec(
        time_zone="Europe/London",
        weekly=(day,) * 5 + ((), ()),
        holiday_subdiv="SCT",
        closures=(DateSpan(date(2026, 3, 17), date(2026, 3, 18)),),
        openings=(DateSpan(date(2026, 3, 14), date(2026, 3, 14), time(9), time(13)),),
    )


def test_spec_drives_the_engine() -> None:
    calendar = make_calendar()
    add_weekday_hours(calendar, (time(9), time(17)))
    engine = BusinessTime(calendar.spec())
    good_friday_eve = datetime(2026, 4, 2, 16, tzinfo=LONDON)
    assert engine.add(good_friday_eve, timedelta(hours=2)) == datetime(2026, 4, 7, 9, tzinfo=UTC)


def test_spec_costs_two_queries(django_assert_num_queries) -> None:
    calendar = make_calendar()
    add_weekday_hours(calendar, (time(9), time(17)))
    with django_assert_num_queries(2):
        calendar.spec()


def test_spec_costs_no_queries_once_prefetched(django_assert_num_queries) -> None:
    for code in ("a", "b", "c"):
        add_weekday_hours(make_calendar(code=code, name=code), (time(9), time(17)))
    with django_assert_num_queries(3):
        specs = [calendar.spec() for calendar in BusinessCalendar.objects.with_rules()]
    assert len(specs) == 3


def test_a_calendar_without_a_holiday_region_has_no_subdivision() -> None:
    calendar = make_calendar(holiday_region=BusinessCalendar.HolidayRegion.NONE)
    assert calendar.spec().holiday_subdiv is None


def test_a_24x7_calendar_counts_every_hour() -> None:
    spec = make_calendar(is_24x7=True).spec()
    start = datetime(2026, 3, 29, tzinfo=LONDON)
    assert BusinessTime(spec).between(start, start + timedelta(days=1)) == timedelta(hours=23)


def test_an_unknown_time_zone_is_rejected() -> None:
    calendar = BusinessCalendar(code="x", name="X", time_zone="Europe/Londres")
    with pytest.raises(ValidationError) as caught:
        calendar.full_clean()
    assert "time_zone" in caught.value.message_dict


def test_working_hours_must_end_after_they_start() -> None:
    calendar = make_calendar()
    hours = WorkingHours(calendar=calendar, weekday=0, start_time=time(17), end_time=time(9))
    with pytest.raises(ValidationError):
        hours.full_clean()


def test_working_hours_may_end_at_midnight() -> None:
    calendar = make_calendar()
    WorkingHours(calendar=calendar, weekday=0, start_time=time(18), end_time=time(0)).full_clean()
    WorkingHours(calendar=calendar, weekday=1, start_time=time(0), end_time=time(0)).full_clean()


def test_the_database_refuses_hours_that_end_before_they_start() -> None:
    calendar = make_calendar()
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(
            calendar=calendar, weekday=0, start_time=time(17), end_time=time(9)
        )


def test_the_database_refuses_an_exception_with_only_one_time() -> None:
    calendar = make_calendar()
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarException.objects.create(
            calendar=calendar,
            kind=CalendarException.Kind.CLOSURE,
            date_from=date(2026, 3, 17),
            date_to=date(2026, 3, 17),
            start_time=time(9),
        )


def test_an_exception_must_end_on_or_after_its_first_day() -> None:
    exception = CalendarException(
        calendar=make_calendar(),
        kind=CalendarException.Kind.CLOSURE,
        date_from=date(2026, 3, 18),
        date_to=date(2026, 3, 17),
    )
    with pytest.raises(ValidationError):
        exception.full_clean()


def test_overlapping_working_hours_are_rejected() -> None:
    with pytest.raises(ValidationError, match="Monday"):
        validate_working_hours([(0, time(9), time(13)), (0, time(12), time(17))])
    with pytest.raises(ValidationError):
        validate_working_hours([(2, time(20), time(0)), (2, time(22), time(23))])


def test_touching_working_hours_and_other_days_are_allowed() -> None:
    validate_working_hours(
        [
            (0, time(8), time(12)),
            (0, time(12), time(17)),
            (1, time(9), time(17)),
            (2, time(9), time(17)),
            (2, time(17), time(0)),
        ]
    )


def test_the_admin_refuses_overlapping_hours_for_one_day() -> None:
    calendar = make_calendar()
    formset_class: Any = inlineformset_factory(
        BusinessCalendar,
        WorkingHours,
        formset=WorkingHoursFormSet,
        fields=["weekday", "start_time", "end_time"],
        extra=0,
    )
    rows = [("0", "09:00", "13:00"), ("0", "12:00", "17:00")]
    data = {
        "working_hours-TOTAL_FORMS": str(len(rows)),
        "working_hours-INITIAL_FORMS": "0",
    }
    for i, (weekday, start, end) in enumerate(rows):
        data |= {
            f"working_hours-{i}-weekday": weekday,
            f"working_hours-{i}-start_time": start,
            f"working_hours-{i}-end_time": end,
        }
    formset = formset_class(data, instance=calendar)
    assert not formset.is_valid()
    assert "overlap" in str(formset.non_form_errors())


def test_the_admin_registers_calendars_with_their_rules_inline() -> None:
    model_admin = admin.site._registry[BusinessCalendar]
    inline_models = {inline.model for inline in model_admin.inlines}
    assert inline_models == {WorkingHours, CalendarException}
