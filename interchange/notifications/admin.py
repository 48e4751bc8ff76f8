"""A read-only record of notifications for the integrator: what went to whom, and what failed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import Role
from interchange.core.models import Job
from interchange.notifications.models import Notification, ReporterOptOut
from interchange.notifications.services import send_job_key

# Recipients are every supplier's contacts: only the integrator's leads and administrators look.
VIEWER_ROLES = frozenset({Role.INTEGRATOR_LEAD, Role.ADMINISTRATOR})


def _may_view(request: HttpRequest) -> bool:
    user: Any = request.user
    if not (user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or user.role in VIEWER_ROLES)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "subject", "state", "attempts", "sent_at")
    list_filter = ("state", "kind", "created_at")
    search_fields = ("recipient", "subject")
    ordering = ("-created_at", "-id")
    # Counting a million rows on every page view costs more than the number is worth.
    show_full_result_count = False
    fields = (
        "kind",
        "recipient",
        "subject",
        "state",
        "attempts",
        "error",
        "created_at",
        "sent_at",
        "event",
        "template",
        "context",
        "send_job",
    )
    readonly_fields = fields

    @admin.display(description=_("send job"))
    def send_job(self, obj: Notification) -> str:
        """The durable job's own account: the worker keeps its attempts and last error even
        when a failed attempt's changes to this record were rolled back with it."""
        job = Job.objects.filter(dedupe_key=send_job_key(obj.pk)).first()
        if job is None:
            return "—"
        summary = gettext("#%(id)s %(state)s, attempt %(attempts)s of %(most)s") % {
            "id": job.pk,
            "state": job.get_state_display(),
            "attempts": job.attempts,
            "most": job.max_attempts,
        }
        return f"{summary}\n{job.last_error}" if job.last_error else summary

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_view(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_view(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReporterOptOut)
class ReporterOptOutAdmin(admin.ModelAdmin):
    """Which reporters stopped the emails about their report (with the link in one)."""

    list_display = ("ticket", "created_at")
    list_select_related = ("ticket",)
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    fields = ("ticket", "created_at")
    readonly_fields = fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_view(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_view(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
