"""Admin for business calendars, with their working hours and exceptions inline."""

from __future__ import annotations

from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from interchange.core.models import (
    BusinessCalendar,
    CalendarException,
    WorkingHours,
    validate_working_hours,
)


class WorkingHoursFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        """Reject intervals that overlap on the same day, across all the rows being saved."""
        super().clean()
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            if (
                data.get("weekday") is None
                or not data.get("start_time")
                or not data.get("end_time")
            ):
                continue
            rows.append((data["weekday"], data["start_time"], data["end_time"]))
        validate_working_hours(rows)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    formset = WorkingHoursFormSet
    extra = 0


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "time_zone", "holiday_region", "is_24x7", "updated_at"]
    list_filter = ["holiday_region", "is_24x7"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [WorkingHoursInline, CalendarExceptionInline]
