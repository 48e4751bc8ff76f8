"""A read-only record of notifications for the integrator: what went to whom, and what failed."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import Role
from interchange.core.admin import RoleReadOnlyAdmin
from interchange.core.models import Job
from interchange.notifications.models import Notification, ReporterOptOut
from interchange.notifications.services import send_job_key

# Recipients are every supplier's contacts: only the integrator's leads and administrators look.
VIEWER_ROLES = frozenset({Role.INTEGRATOR_LEAD, Role.ADMINISTRATOR})


@admin.register(Notification)
class NotificationAdmin(RoleReadOnlyAdmin):
    viewer_roles = VIEWER_ROLES
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
            return gettext("Finished, and deleted after %(days)s days") % {
                "days": settings.JOB_RETENTION_DAYS
            }
        summary = gettext("#%(id)s %(state)s, attempt %(attempts)s of %(most)s") % {
            "id": job.pk,
            "state": job.get_state_display(),
            "attempts": job.attempts,
            "most": job.max_attempts,
        }
        return f"{summary}\n{job.last_error}" if job.last_error else summary


@admin.register(ReporterOptOut)
class ReporterOptOutAdmin(RoleReadOnlyAdmin):
    """Which reporters stopped the emails about their report (with the link in one)."""

    viewer_roles = VIEWER_ROLES

    list_display = ("ticket", "created_at")
    list_select_related = ("ticket",)
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    fields = ("ticket", "created_at")
    readonly_fields = fields
