"""A read-only view of webhook endpoints and deliveries for the integrator, with a replay
action. Endpoints and secrets are changed through the self-service pages (services.py),
which show a new secret once; nothing here shows a secret."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import INTEGRATOR_ROLES
from interchange.core.admin import RoleReadOnlyAdmin
from interchange.exchange.models import Delivery, Endpoint
from interchange.exchange.services import delivery_replay


class ReadOnly(RoleReadOnlyAdmin):
    viewer_roles = INTEGRATOR_ROLES


@admin.register(Endpoint)
class EndpointAdmin(ReadOnly):
    list_display = ("url", "supplier", "active", "disabled_reason", "updated_at")
    list_filter = ("active", "supplier")
    list_select_related = ("supplier",)
    search_fields = ("url", "description")
    fields = (
        "supplier",
        "url",
        "description",
        "event_types",
        "active",
        "disabled_reason",
        "disabled_at",
        "dead_letter_notified_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = (
        "created_at",
        "event_type",
        "ticket",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type", "supplier")
    list_select_related = ("ticket", "endpoint")
    search_fields = ("message_id",)
    ordering = ("-created_at", "-id")
    # Counting millions of rows on every page view costs more than the number is worth.
    show_full_result_count = False
    fields = (
        "message_id",
        "event_type",
        "supplier",
        "endpoint",
        "ticket",
        "sequence",
        "occurred_at",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_response_ms",
        "last_error",
        "created_at",
        "delivered_at",
        "dead_at",
        "body",
    )
    readonly_fields = fields
    actions = ["replay"]

    @admin.action(description=_("Send the selected deliveries again"))
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        replayed, refused = 0, []
        for item in queryset.select_related("endpoint").order_by("sequence", "id"):
            try:
                delivery_replay(actor=request.user, delivery=item)
            except (ValidationError, PermissionDenied) as exc:
                reason = " ".join(getattr(exc, "messages", [str(exc)]))
                refused.append(f"{item.message_id}: {reason}")
                continue
            replayed += 1
        if replayed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery will be sent again.",
                    "%(count)d deliveries will be sent again.",
                    replayed,
                )
                % {"count": replayed},
                messages.SUCCESS,
            )
        for problem in refused:
            self.message_user(
                request,
                gettext("Not replayed: %(problem)s") % {"problem": problem},
                messages.WARNING,
            )
