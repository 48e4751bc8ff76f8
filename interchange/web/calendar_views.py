"""Staff pages for business calendars: the list, one calendar, and its deadline calculator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from interchange.core import calendars
from interchange.core.models import BusinessCalendar
from interchange.web.calendar_forms import DeadlineForm
from interchange.web.tables import Cell, Column, Table, read_sort

LIST_COLUMNS = [
    Column(_("Name"), "name"),
    Column(_("Code"), "code"),
    Column(_("Time zone"), "time_zone"),
    Column(_("Bank holidays"), "holidays", order_field="holiday_region"),
    Column(_("Working time")),
]


@login_required
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    sort = read_sort(request, LIST_COLUMNS, default="name")
    queryset = BusinessCalendar.objects.with_rules().order_by(*sort.order_by(LIST_COLUMNS))
    rows = [
        [
            Cell(cal.name, href=reverse("web:calendar-detail", args=[cal.code])),
            Cell(cal.code),
            Cell(cal.time_zone),
            Cell(cal.get_holiday_region_display()),
            Cell(describe_working_time(cal)),
        ]
        for cal in queryset
    ]
    table = Table(
        LIST_COLUMNS,
        rows,
        sort=sort,
        query=request.GET,
        empty_text=_("There are no business calendars yet."),
    )
    return render(request, "web/staff/calendar_list.html", {"table": table})


@login_required
@require_GET
def calendar_detail(request: HttpRequest, code: str) -> HttpResponse:
    calendar = get_object_or_404(BusinessCalendar.objects.with_rules(), code=code)
    form = DeadlineForm(request.GET if "hours" in request.GET else None)
    result = None
    if form.is_bound and form.is_valid():
        found = calendars.deadline(
            calendar, start=form.start(calendar.time_zone), duration=form.duration()
        )
        result = DeadlineView.of(found)
    context = {
        "calendar": calendar,
        "summary": [
            {"key": _("Code"), "value": calendar.code},
            {"key": _("Time zone"), "value": calendar.time_zone},
            {
                "key": _("Bank holidays"),
                "value": _("Counted as working time (24x7)")
                if calendar.is_24x7
                else calendar.get_holiday_region_display(),
            },
        ],
        "form": form,
        "result": result,
        "weekly": calendars.weekly_hours(calendar),
        "holidays": calendars.upcoming_holidays(
            calendar, since=timezone.now(), within=timedelta(days=365)
        ),
        "exceptions": calendar.exceptions.all(),
    }
    template = "web/staff/calendar_detail.html"
    if request.headers.get("HX-Target") == "deadline-result" and form.is_valid():
        template = "web/staff/_deadline_result.html"
    return render(request, template, context)


def describe_working_time(calendar: BusinessCalendar) -> str:
    """A one-line summary such as "Mon–Fri 08:00–18:00; Sat 08:00–17:00"."""
    if calendar.is_24x7:
        return _g("24 hours, every day")
    # Runs of consecutive days with the same hours: [first day, last day, hours].
    runs: list[list[str]] = []
    previous_text = None
    for day, spans in calendars.weekly_hours(calendar):
        text = ", ".join(f"{_clock(start)}–{_clock(end, end=True)}" for start, end in spans)
        if text and text == previous_text:
            runs[-1][1] = day[:3]
        elif text:
            runs.append([day[:3], day[:3], text])
        previous_text = text
    if not runs:
        return _g("No working hours")
    return "; ".join(
        f"{first}{'–' + last if last != first else ''} {text}" for first, last, text in runs
    )


def _clock(value: time, *, end: bool = False) -> str:
    return "24:00" if end and value == time(0) else f"{value:%H:%M}"


@dataclass(frozen=True)
class DeadlineView:
    """A deadline as the page shows it: wall-clock times and plain-English durations."""

    start_local: datetime
    deadline_local: datetime
    deadline_utc: datetime
    time_zone: str
    duration_text: str
    elapsed_text: str

    @classmethod
    def of(cls, found: calendars.Deadline) -> DeadlineView:
        zone = ZoneInfo(found.time_zone)
        return cls(
            # Naive wall-clock values, so templates show them as they are.
            start_local=found.start.astimezone(zone).replace(tzinfo=None),
            deadline_local=found.deadline.astimezone(zone).replace(tzinfo=None),
            deadline_utc=found.deadline.astimezone(ZoneInfo("UTC")).replace(tzinfo=None),
            time_zone=found.time_zone,
            duration_text=_duration_text(found.duration),
            elapsed_text=_duration_text(found.elapsed),
        )


def _duration_text(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if mins or not parts:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins})
    return " ".join(parts)
