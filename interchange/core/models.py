"""Core's records: business calendars, idempotency keys, the reference data change record."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from functools import cache
from itertools import pairwise
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from interchange.core.businesstime import MIDNIGHT, CalendarSpec, DateSpan

# Rows whose end is 00:00 run to midnight, the end of the day.
_ENDS_AFTER_START = Q(end_time__gt=F("start_time")) | Q(end_time=MIDNIGHT)


@cache
def _time_zone_names() -> frozenset[str]:
    # available_timezones() walks the tz database on disk; once per process is enough.
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    """Reject a time zone name that the tz database does not know."""
    if value not in _time_zone_names():
        raise ValidationError(
            _("%(value)s is not a known time zone, for example Europe/London."),
            code="invalid_time_zone",
            params={"value": value},
        )


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def validate_working_hours(rows: Iterable[tuple[int, time, time]]) -> None:
    """Reject working hours (weekday, start, end) whose intervals overlap on the same day."""
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in rows:
        by_day.setdefault(weekday, []).append((start, end))
    for weekday, spans in sorted(by_day.items()):
        spans.sort()
        for (start, end), (next_start, next_end) in pairwise(spans):
            # An end of 00:00 is midnight, after every start on the same day.
            if end == MIDNIGHT or next_start < end:
                raise ValidationError(
                    _("Working hours on %(day)s overlap: %(first)s and %(second)s."),
                    code="overlapping_hours",
                    params={
                        "day": Weekday(weekday).label,
                        "first": _hours_label(start, end),
                        "second": _hours_label(next_start, next_end),
                    },
                )


def _hours_label(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


class BusinessCalendarQuerySet(models.QuerySet["BusinessCalendar"]):
    def with_rules(self) -> BusinessCalendarQuerySet:
        """Prefetch what `spec()` reads, so building specs costs two queries in all."""
        return self.prefetch_related("working_hours", "exceptions")


class BusinessCalendar(models.Model):
    """Working hours, public holidays and exceptions in one time zone; SLA clocks run on it."""

    class HolidayRegion(models.TextChoices):
        NONE = "", _("No public holidays")
        # England and Wales share their bank holidays.
        ENGLAND_AND_WALES = "ENG", _("England and Wales")
        SCOTLAND = "SCT", _("Scotland")
        NORTHERN_IRELAND = "NIR", _("Northern Ireland")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/London",
        validators=[validate_time_zone],
        help_text=_("Working hours are wall-clock times in this zone, for example Europe/London."),
    )
    is_24x7 = models.BooleanField(
        _("24 hours a day, 7 days a week"),
        default=False,
        help_text=_("Every hour counts; working hours, holidays and exceptions are ignored."),
    )
    holiday_region = models.CharField(
        _("public holidays"),
        max_length=3,
        choices=HolidayRegion.choices,
        default=HolidayRegion.ENGLAND_AND_WALES,
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = BusinessCalendarQuerySet.as_manager()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def spec(self) -> CalendarSpec:
        """The engine's immutable spec from this calendar's rows.

        Two queries, or none after `BusinessCalendar.objects.with_rules()` prefetched them.
        """
        weekly: list[list[tuple[time, time]]] = [[] for _ in Weekday]
        for hours in self.working_hours.all():
            weekly[hours.weekday].append((hours.start_time, hours.end_time))
        closures: list[DateSpan] = []
        openings: list[DateSpan] = []
        for exception in self.exceptions.all():
            target = openings if exception.kind == CalendarException.Kind.OPENING else closures
            target.append(exception.date_span())
        return CalendarSpec(
            time_zone=self.time_zone,
            # Sorted, so the same rows always make an equal spec whatever order they came in.
            weekly=tuple(tuple(sorted(day)) for day in weekly),
            holiday_subdiv=self.holiday_region or None,
            closures=tuple(sorted(closures, key=_span_key)),
            openings=tuple(sorted(openings, key=_span_key)),
            is_24x7=self.is_24x7,
        )


def _span_key(span: DateSpan) -> tuple[Any, ...]:
    return (span.date_from, span.date_to, span.start or MIDNIGHT, span.end or MIDNIGHT)


class WorkingHours(models.Model):
    """One interval of local working time on one weekday; a day may have several."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="working_hours",
        verbose_name=_("calendar"),
        # The unique constraint below leads with the calendar and serves its look-ups.
        db_index=False,
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(
        _("until"), help_text=_("00:00 means midnight, the end of the day.")
    )

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["calendar", "weekday", "start_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start_time"],
                name="core_workinghours_unique_start",
                violation_error_message=_("These working hours start at the same time as others."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="core_workinghours_weekday",
                violation_error_message=_("Choose a day from Monday to Sunday."),
            ),
            models.CheckConstraint(
                condition=_ENDS_AFTER_START,
                name="core_workinghours_ends_after_start",
                violation_error_message=_(
                    "Working hours must end after they start, or at 00:00 for midnight."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{Weekday(self.weekday).label} {_hours_label(self.start_time, self.end_time)}"


class CalendarException(models.Model):
    """A closure or an extra opening on a run of dates, all day or between two times each day."""

    class Kind(models.TextChoices):
        CLOSURE = "closure", _("Closure")
        OPENING = "opening", _("Opening")

    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.CASCADE,
        related_name="exceptions",
        verbose_name=_("calendar"),
        # The index below leads with the calendar and serves its look-ups.
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    date_from = models.DateField(_("from date"))
    date_to = models.DateField(_("to date"), help_text=_("The last day included."))
    start_time = models.TimeField(
        _("from time"),
        null=True,
        blank=True,
        help_text=_("Leave both times empty for whole days; otherwise they apply on each day."),
    )
    end_time = models.TimeField(
        _("until time"), null=True, blank=True, help_text=_("00:00 means midnight.")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["calendar", "date_from", "start_time"]
        indexes = [
            models.Index(fields=["calendar", "date_from"], name="core_calexc_calendar_from"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=F("date_from")),
                name="core_calendarexception_dates_in_order",
                violation_error_message=_("The to date must be on or after the from date."),
            ),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True, end_time__isnull=True)
                | (Q(start_time__isnull=False, end_time__isnull=False) & _ENDS_AFTER_START),
                name="core_calendarexception_times",
                violation_error_message=_(
                    "Give both times, the second after the first (00:00 for midnight), "
                    "or neither for whole days."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date_from}-{self.date_to}"

    def date_span(self) -> DateSpan:
        """This exception as the engine's DateSpan."""
        return DateSpan(self.date_from, self.date_to, self.start_time, self.end_time)


class IdempotencyKey(models.Model):
    """A client's idempotency key and the first response given for it, kept for 24 hours.

    `status_code` is null while the first request is still being worked on.
    """

    scope = models.CharField(_("scope"), max_length=100)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    response_body = models.BinaryField(_("response body"), default=b"", blank=True)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="core_idempotency_scope_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class RateCounter(models.Model):
    """One rate-limit window's count for one bucket, when there is no Redis (see ratelimit)."""

    key = models.CharField(_("key"), max_length=255, primary_key=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self) -> str:
        return f"{self.key}={self.count}"


class ChangeRecord(models.Model):
    """Who changed a piece of reference data, when, and each field's old and new value."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        DELETED = "deleted", _("Deleted")

    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, verbose_name=_("kind of record")
    )
    object_id = models.CharField(_("record id"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=255)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    actor_label = models.CharField(_("changed by (as recorded)"), max_length=255, blank=True)
    at = models.DateTimeField(_("when"))
    changes = models.JSONField(
        _("changes"), default=dict, help_text=_("Each changed field with [old, new] values.")
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"], name="core_change_object_at"),
            models.Index(fields=["-at"], name="core_change_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr} at {self.at:%Y-%m-%d %H:%M}"


class Job(models.Model):
    """Work that must happen: claimed by a worker, retried with backoff, failed for a person
    to see and replay. `locked_until` is the lease a killed worker loses."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to run")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("most attempts"), default=8)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    locked_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    locked_by = models.CharField(_("leased by"), max_length=100, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # Enqueueing the same key twice makes one job while the first is kept (finished jobs
    # are deleted after JOB_RETENTION_DAYS): listeners stay idempotent on replay.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state="pending"),
                name="core_job_due",
            ),
            models.Index(fields=["state", "kind"], name="core_job_state_kind"),
            # The finished jobs past their keeping time (`jobs.purge_finished`).
            models.Index(
                fields=["finished_at"], condition=Q(state="done"), name="core_job_finished"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="core_job_dedupe"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"


class WorkerHeartbeat(models.Model):
    """One row per worker process, touched every loop; /readyz reads the freshest."""

    name = models.CharField(_("worker"), max_length=100, unique=True)
    started_at = models.DateTimeField(_("started"))
    seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name


class PeriodicRun(models.Model):
    """When each periodic scan last ran, so several workers run it once per interval."""

    name = models.CharField(_("scan"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("last run"))

    class Meta:
        verbose_name = _("periodic scan")
        verbose_name_plural = _("periodic scans")

    def __str__(self) -> str:
        return self.name
