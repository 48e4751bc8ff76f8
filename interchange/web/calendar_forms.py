"""The deadline calculator's form: a start in local time and a business-time duration."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _


class DeadlineForm(forms.Form):
    start_date = forms.DateField(
        label=_("Start date"),
        help_text=_("For example, 27/3/2026"),
        input_formats=["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"],
        error_messages={
            "required": _("Enter the start date"),
            "invalid": _("Start date must be a real date, for example 27/3/2026"),
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )
    start_time = forms.TimeField(
        label=_("Start time"),
        help_text=_("Local time on the 24-hour clock, for example 14:30"),
        input_formats=["%H:%M", "%H.%M"],
        error_messages={
            "required": _("Enter the start time"),
            "invalid": _("Start time must be a time on the 24-hour clock, for example 14:30"),
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )
    hours = forms.IntegerField(
        label=_("Business hours"),
        min_value=0,
        max_value=100_000,
        error_messages={
            "required": _("Enter the number of business hours, or 0"),
            "invalid": _("Business hours must be a whole number, for example 8"),
            "min_value": _("Business hours must be 0 or more"),
            "max_value": _("Business hours must be 100,000 or fewer"),
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric"}),
    )
    minutes = forms.IntegerField(
        label=_("and minutes"),
        min_value=0,
        max_value=59,
        initial=0,
        required=False,
        error_messages={
            "invalid": _("Minutes must be a whole number from 0 to 59"),
            "min_value": _("Minutes must be a whole number from 0 to 59"),
            "max_value": _("Minutes must be a whole number from 0 to 59"),
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
    )

    def start(self, time_zone: str) -> datetime:
        """The start as an aware instant, reading the wall-clock time in the calendar's zone."""
        day: date = self.cleaned_data["start_date"]
        clock: time = self.cleaned_data["start_time"]
        return datetime.combine(day, clock, tzinfo=ZoneInfo(time_zone))

    def duration(self) -> timedelta:
        return timedelta(
            hours=self.cleaned_data["hours"], minutes=self.cleaned_data["minutes"] or 0
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("minutes") is None:
            data["minutes"] = 0
        return data
