"""Staff pages for business calendars: the list, one calendar, and its deadline calculator."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
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
    Column(_("Working hours")),
]


@login_required
@require_GET
def calendar_list(request: HttpRequest) -> HttpResponse:
    sort = read_sort(request, LIST_COLUMNS, default="name")
    rows = [
        [
            Cell(cal.name, href=cal.get_absolute_url()),
            Cell(cal.code),
            Cell(cal.time_zone),
            Cell(cal.get_holiday_region_display() if cal.holiday_region else _("None")),
            Cell(calendars.describe_hours(cal)),
        ]
        for cal in BusinessCalendar.objects.prefetch_related("working_hours").order_by(
            *sort.order_by(LIST_COLUMNS)
        )
    ]
    table = Table(
        LIST_COLUMNS,
        rows,
        sort=sort,
        query=request.GET,
        caption=_("Business calendars"),
        empty_text=_("There are no business calendars yet."),
    )
    return render(request, "web/staff/calendar_list.html", {"table": table})


@login_required
@require_GET
def calendar_detail(request: HttpRequest, code: str) -> HttpResponse:
    calendar = get_object_or_404(
        BusinessCalendar.objects.prefetch_related("working_hours", "exceptions"), code=code
    )
    form = DeadlineForm(request.GET if "hours" in request.GET else None)
    result = None
    if form.is_bound and form.is_valid():
        result = calendars.deadline(
            calendar, start=form.start(calendar.time_zone), duration=form.duration()
        )
    context = {
        "calendar": calendar,
        "form": form,
        "result": result,
        "weekly": calendars.weekly_hours(calendar),
        "holidays": calendars.upcoming_holidays(
            calendar, since=timezone.now(), within=timedelta(days=366)
        ),
        "exceptions": calendar.exceptions.all(),
    }
    template = "web/staff/calendar_detail.html"
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "deadline-result":
        template = "web/staff/_deadline_result.html"
    return render(request, template, context)
