"""Read-only, scoped admin views of tickets: changes go through the service desk's functions,
so the admin never writes a ticket without its timeline event."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from interchange.servicedesk.models import Ticket, TicketEvent
from interchange.servicedesk.search import parse_reference
from interchange.servicedesk.visibility import can_see_reporter, visible_to

REPORTER_FIELDS = (
    "reporter_first_name",
    "reporter_last_name",
    "reporter_email",
    "reporter_phone",
    "reporter_contact_preference",
    "reporter_account",
)


class ReadOnlyScopedAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ("sequence", "at", "kind", "actor_label", "public", "reason", "old", "new")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("sequence",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyScopedAdmin):
    list_display = ("reference", "title", "status", "priority", "holder_supplier", "created_at")
    list_filter = ("status", "priority", "type", "channel", "major_incident")
    list_select_related = ("holder_supplier",)
    search_fields = ("title",)
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    inlines = [TicketEventInline]
    exclude = ("private_token_hash",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return visible_to(request.user, super().get_queryset(request))  # type: ignore[arg-type]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self.has_module_permission(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or ())
        if obj is None or not can_see_reporter(request.user, obj):  # type: ignore[arg-type]
            excluded.extend(REPORTER_FIELDS)
        return excluded

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Ticket], search_term: str
    ) -> tuple[QuerySet[Ticket], bool]:
        reference = parse_reference(search_term)
        if reference is not None:
            return queryset.filter(pk=reference[1]), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("reference"), ordering="id")
    def reference(self, ticket: Ticket) -> str:
        return ticket.reference
