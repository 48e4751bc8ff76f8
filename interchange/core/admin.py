"""Admin for business calendars and the change record, and `AuditedAdmin`, which records every
change made through the admin (inline rows and many-to-many included) in core.audit; read-only
views of durable jobs (with a queue summary and a replay action), worker heartbeats and scans."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import QuerySet

# _get_foreign_key is how inline formsets find their parent link; using it keeps the two agreeing.
from django.forms.models import BaseInlineFormSet, _get_foreign_key
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from interchange.core import worker
from interchange.core.audit import history, record_change, snapshot
from interchange.core.models import (
    BusinessCalendar,
    CalendarException,
    ChangeRecord,
    Job,
    PeriodicRun,
    WorkerHeartbeat,
    WorkingHours,
    validate_working_hours,
)

# How many change records the change form shows; the rest are a link away.
HISTORY_SHOWN = 20
# The snapshot taken before a change, kept on the form between save_model and save_related.
_BEFORE = "_audit_before"


def _label(model: type[models.Model], name: str) -> str:
    """A change's field name as people read it: the field's verbose name where there is one."""
    for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
        if name in (field.name, field.attname):
            return str(field.verbose_name)
    for relation in model._meta.related_objects:
        if relation.get_accessor_name() == name:
            related: Any = relation.related_model
            return str(related._meta.verbose_name_plural)
    return name


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's form instance `obj` the row a service saved as `saved`, so what the
    admin does after save_model (messages, the redirect) points at that row."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose creates, changes and deletes are recorded with request.user.

    The record of an object includes its many-to-many ids and the rows of its inlines, so a
    change to a supplier's contacts shows in the supplier's history; each inline row is also
    recorded on its own. Admins that save through a service (which records the change itself)
    override `save_model` without calling this one, and nothing is recorded twice.
    """

    def audit_snapshot(self, request: HttpRequest, obj: models.Model) -> dict[str, Any]:
        """The object's fields, many-to-many ids and inline rows as JSON-friendly values."""
        data = snapshot(obj)
        for inline in self.get_inline_instances(request, obj):
            fk: Any = _get_foreign_key(type(obj), inline.model, fk_name=inline.fk_name)
            rows = inline.model._default_manager.filter(**{fk.name: obj}).order_by("pk")
            accessor = fk.remote_field.get_accessor_name() or inline.model._meta.model_name
            data[accessor] = [
                {k: v for k, v in snapshot(row).items() if k != fk.attname} for row in rows
            ]
        return data

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change:
            # The form has already changed `obj` in memory; the database still has the old.
            stored = type(obj)._default_manager.get(pk=obj.pk)
            before = self.audit_snapshot(request, stored)
        super().save_model(request, obj, form, change)
        setattr(form, _BEFORE, (before,))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        pending = getattr(form, _BEFORE, None)
        if pending is None:
            return
        (before,) = pending
        record_change(
            form.instance,
            actor=request.user,
            before=before,
            after=self.audit_snapshot(request, form.instance),
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        model = formset.model
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        before = {row.pk: snapshot(row) for row in model._default_manager.filter(pk__in=pks)}
        # Deletions are recorded first, while the rows still have their ids.
        for deleted in formset.deleted_forms:
            row = deleted.instance
            if row.pk in before:
                record_change(row, actor=request.user, before=before[row.pk], after=None)
        super().save_formset(request, form, formset, change)
        for row in formset.new_objects:
            after = snapshot(row)
            record_change(row, actor=request.user, before=None, after=after)
        for row, _fields in formset.changed_objects:
            after = snapshot(row)
            record_change(row, actor=request.user, before=before.get(row.pk), after=after)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_change(obj, actor=request.user, before=self.audit_snapshot(request, obj), after=None)
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # The delete action, unlike the delete page, runs outside a transaction of its own.
        for obj in queryset:
            record_change(
                obj, actor=request.user, before=self.audit_snapshot(request, obj), after=None
            )
        super().delete_queryset(request, queryset)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "change_history"] if obj is not None else fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The history has a section of its own (get_fieldsets), after everything else.
        return [f for f in super().get_fields(request, obj) if f != "change_history"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        return [*fieldsets, (_("Change history"), {"fields": ["change_history"]})]

    @admin.display(description=_("Changes"))
    def change_history(self, obj: models.Model) -> SafeString:
        """The newest changes to this record: when, who, what, each field's old and new value."""
        records = list(history(obj)[:HISTORY_SHOWN])
        if not records:
            return format_html("<p>{}</p>", _("No changes recorded."))
        model = type(obj)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(record.at).strftime("%d/%m/%Y %H:%M"),
                    record.actor_label,
                    record.get_action_display(),
                    format_html_join(
                        "",
                        "<div><strong>{}</strong>: {} → {}</div>",
                        (
                            (_label(model, name), _shown(old), _shown(new))
                            for name, (old, new) in sorted(record.changes.items())
                        ),
                    ),
                )
                for record in records
            ),
        )
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        everything = (
            reverse("admin:core_changerecord_changelist")
            + f"?content_type={content_type.pk}&object_id={obj.pk}"
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            _("When"),
            _("Who"),
            _("What"),
            _("Old → new"),
            rows,
            everything,
            _("Every change to this record"),
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records the admin shows and never adds, changes or deletes: evidence and operations."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoleReadOnlyAdmin(ReadOnlyAdmin):
    """Read-only, and seen only by active staff whose role is in `viewer_roles` (and by
    superusers), whatever model permissions they hold."""

    viewer_roles: frozenset[str] = frozenset()

    def _may_view(self, request: HttpRequest) -> bool:
        user: Any = request.user
        if not (user.is_active and user.is_staff):
            return False
        return bool(user.is_superuser or getattr(user, "role", None) in self.viewer_roles)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_view(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_view(request)


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    """The record itself can be read, never written: it is the evidence."""

    list_display = ["at", "actor_label", "action", "content_type", "object_repr"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "actor_label", "reason"]
    date_hierarchy = "at"
    list_select_related = ["content_type"]


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
class BusinessCalendarAdmin(AuditedAdmin):
    list_display = ["name", "code", "time_zone", "holiday_region", "is_24x7", "updated_at"]
    list_filter = ["holiday_region", "is_24x7"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [WorkingHoursInline, CalendarExceptionInline]


class OperationsAdmin(ReadOnlyAdmin):
    """Read-only; seen by those with the model's view permission (superusers, or people an
    administrator granted it), never by staff in general."""


@admin.register(Job)
class JobAdmin(OperationsAdmin):
    """Jobs as the worker sees them; a failed job can be replayed, nothing else changed here."""

    change_list_template = "admin/core/job/change_list.html"
    list_display = [
        "id",
        "kind",
        "state",
        "attempts_made",
        "next_attempt_at",
        "locked_until",
        "short_error",
        "created_at",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["kind", "dedupe_key"]
    ordering = ["-id"]
    # Counting every row of a large queue on each page would be slow.
    show_full_result_count = False
    actions = ["replay_failed"]

    @admin.display(description=_("attempts"))
    def attempts_made(self, job: Job) -> str:
        return f"{job.attempts} / {job.max_attempts}"

    @admin.display(description=_("last error"))
    def short_error(self, job: Job) -> str:
        # The traceback ends with the exception's message, which is what a list needs.
        lines = job.last_error.strip().splitlines()
        return lines[-1][:120] if lines else ""

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_job")

    @admin.action(description=_("Replay the selected failed jobs"), permissions=["replay"])
    def replay_failed(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        replayed = 0
        for job in queryset.filter(state=Job.State.FAILED):
            if worker.replay(job):
                replayed += 1
                self.log_change(request, job, _("Replayed the failed job."))
        skipped = queryset.count() - replayed
        self.message_user(
            request,
            ngettext(
                "%(count)d failed job will run again.",
                "%(count)d failed jobs will run again.",
                replayed,
            )
            % {"count": replayed},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d job was not failed and was left alone.",
                    "%(count)d jobs were not failed and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = dict(extra_context or {})
        if self.has_view_permission(request):
            now = timezone.now()
            stats = worker.queue_stats(now)
            age = stats["oldest_due_age_seconds"]
            context["queue"] = stats
            context["oldest_due_at"] = now - timedelta(seconds=age) if age is not None else None
            context["workers_seen"] = WorkerHeartbeat.objects.filter(
                seen_at__gte=now - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)
            ).count()
        return super().changelist_view(request, extra_context=context)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(OperationsAdmin):
    list_display = ["name", "started_at", "seen_at"]
    ordering = ["-seen_at"]


@admin.register(PeriodicRun)
class PeriodicRunAdmin(OperationsAdmin):
    list_display = ["name", "last_run_at"]
    ordering = ["name"]
