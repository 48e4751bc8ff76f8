"""Admin for suppliers, contracts, SLA policies and their versions, and service provisions.

Provisions and policy versions are saved through the same services the code uses, so the
admin cannot break the overlap rules or rewrite a version in force.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interchange.core.admin import AuditedAdmin, adopt
from interchange.core.models import BusinessCalendar
from interchange.core.priorities import Priority
from interchange.suppliers.models import (
    Contract,
    ServiceProvision,
    SlaPolicy,
    SlaPolicyVersion,
    SlaTarget,
    Supplier,
    SupplierContact,
)
from interchange.suppliers.services import (
    TargetSpec,
    policy_version_create,
    provision_save,
    validate_policy_version,
    validate_provision,
)


class SupplierContactInline(admin.TabularInline):
    model = SupplierContact
    extra = 0


@admin.register(Supplier)
class SupplierAdmin(AuditedAdmin):
    list_display = ["name", "code", "public_name", "tower", "active"]
    list_filter = ["tower", "active"]
    search_fields = ["name", "code", "public_name", "company_number"]
    prepopulated_fields = {"code": ["name"]}
    readonly_fields = ["created_at", "updated_at"]
    inlines = [SupplierContactInline]


@admin.register(SupplierContact)
class SupplierContactAdmin(AuditedAdmin):
    """Every supplier's contacts in one list, to find who hears about what."""

    list_display = ["name", "supplier", "role", "email", "phone", "receives_notifications"]
    list_filter = ["role", "receives_notifications", "supplier"]
    search_fields = ["name", "email", "supplier__name"]
    list_select_related = ["supplier"]


class SlaPolicyInline(admin.TabularInline):
    model = SlaPolicy
    extra = 0
    show_change_link = True


@admin.register(Contract)
class ContractAdmin(AuditedAdmin):
    list_display = ["reference", "title", "supplier", "start_date", "end_date", "status"]
    list_filter = ["status", "supplier"]
    search_fields = ["reference", "title", "supplier__name"]
    list_select_related = ["supplier"]
    date_hierarchy = "start_date"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [SlaPolicyInline]


class SlaPolicyVersionInline(admin.TabularInline):
    """The policy's versions, read only: a change is a new version, added on its own page."""

    model = SlaPolicyVersion
    fields = ["number", "effective_from", "notes"]
    readonly_fields = ["number", "effective_from", "notes"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    list_display = ["name", "contract", "supplier"]
    list_filter = ["contract__supplier"]
    search_fields = ["name", "contract__reference", "contract__supplier__name"]
    list_select_related = ["contract__supplier"]
    inlines = [SlaPolicyVersionInline]

    @admin.display(description=_("supplier"), ordering="contract__supplier__name")
    def supplier(self, obj: SlaPolicy) -> Supplier:
        return obj.contract.supplier


def _target_field(priority: Priority, part: str) -> str:
    return f"p{priority.value}_{part}"


class SlaPolicyVersionAddForm(forms.ModelForm):
    """A new version: when it takes effect and a target for every priority."""

    class Meta:
        model = SlaPolicyVersion
        fields = ["policy", "effective_from", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        calendars = BusinessCalendar.objects.all()
        for priority in Priority:
            code = priority.code
            self.fields[_target_field(priority, "response")] = forms.DurationField(
                label=_("%(priority)s respond within") % {"priority": code},
                help_text=_("For example 4:00:00 for four hours, or 2 00:00:00 for two days."),
            )
            self.fields[_target_field(priority, "resolution")] = forms.DurationField(
                label=_("%(priority)s resolve within") % {"priority": code}
            )
            self.fields[_target_field(priority, "calendar")] = forms.ModelChoiceField(
                calendars, label=_("%(priority)s calendar") % {"priority": code}
            )

    def targets(self) -> list[TargetSpec]:
        data = self.cleaned_data
        return [
            TargetSpec(
                priority,
                data[_target_field(priority, "response")],
                data[_target_field(priority, "resolution")],
                data[_target_field(priority, "calendar")],
            )
            for priority in Priority
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            validate_policy_version(
                policy=data["policy"],
                effective_from=data["effective_from"],
                targets=self.targets(),
                at=timezone.now(),
            )
        except ValidationError as exc:
            for name, errors in exc.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        return data


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    fields = ["priority", "response", "resolution", "calendar"]
    readonly_fields = ["priority", "response", "resolution", "calendar"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SlaPolicyVersion)
class SlaPolicyVersionAdmin(AuditedAdmin):
    """Versions are added, never edited; one not yet in force may be deleted and made again."""

    list_display = ["policy", "number", "effective_from", "in_force", "created_at"]
    list_filter = ["policy__contract__supplier", "policy"]
    search_fields = ["policy__name", "policy__contract__reference", "notes"]
    list_select_related = ["policy"]
    date_hierarchy = "effective_from"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = SlaPolicyVersionAddForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["policy", "effective_from", "notes"] + [
                _target_field(priority, part)
                for priority in Priority
                for part in ("response", "resolution", "calendar")
            ]
        return ["policy", "number", "effective_from", "notes", "created_at"]

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return [SlaTargetInline] if obj is not None else []

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """With ?policy=<id>, start from the targets of its latest version."""
        initial: dict[str, Any] = dict(super().get_changeform_initial_data(request))
        policy = str(initial.get("policy", ""))
        latest = (
            SlaPolicyVersion.objects.filter(policy_id=int(policy))
            .order_by("-effective_from")
            .prefetch_related("targets")
            .first()
            if policy.isdigit()
            else None
        )
        for target in latest.targets.all() if latest else []:
            priority = Priority(target.priority)
            initial[_target_field(priority, "response")] = target.response
            initial[_target_field(priority, "resolution")] = target.resolution
            initial[_target_field(priority, "calendar")] = target.calendar_id
        return initial

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj: SlaPolicyVersion) -> bool:
        return obj.effective_from <= timezone.now()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.effective_from > timezone.now())

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # policy_version_create checks again under a lock and records the new version.
        version = policy_version_create(
            actor=request.user,  # type: ignore[arg-type]
            policy=form.cleaned_data["policy"],
            effective_from=form.cleaned_data["effective_from"],
            targets=form.targets(),
            notes=form.cleaned_data["notes"],
        )
        adopt(obj, version)


class ServiceProvisionForm(forms.ModelForm):
    class Meta:
        model = ServiceProvision
        fields = ["contract", "service", "areas", "sla_policy", "valid_from", "valid_to"]

    def clean(self) -> dict[str, Any]:
        """The overlap and contract rules of provision_save, as errors on the form."""
        data = super().clean() or {}
        needed = ["contract", "service", "sla_policy", "valid_from"]
        if any(data.get(name) is None for name in needed):
            return data
        try:
            validate_provision(
                contract=data["contract"],
                service=data["service"],
                areas=data.get("areas") or [],
                sla_policy=data["sla_policy"],
                valid_from=data["valid_from"],
                valid_to=data.get("valid_to"),
                provision=self.instance if self.instance.pk else None,
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return data


@admin.register(ServiceProvision)
class ServiceProvisionAdmin(AuditedAdmin):
    form = ServiceProvisionForm
    list_display = [
        "service",
        "supplier",
        "contract",
        "areas_shown",
        "valid_from",
        "valid_to",
        "sla_policy",
    ]
    list_filter = ["contract__supplier", "service"]
    search_fields = ["service__name", "contract__reference", "contract__supplier__name"]
    list_select_related = ["service", "contract__supplier", "sla_policy"]
    date_hierarchy = "valid_from"
    filter_horizontal = ["areas"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceProvision]:
        return super().get_queryset(request).prefetch_related("areas")

    @admin.display(description=_("supplier"), ordering="contract__supplier__name")
    def supplier(self, obj: ServiceProvision) -> Supplier:
        return obj.contract.supplier

    @admin.display(description=_("areas"))
    def areas_shown(self, obj: ServiceProvision) -> str:
        return ", ".join(area.name for area in obj.areas.all()) or str(_("Every area"))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # provision_save checks the rules again under a lock, sets the areas and records it.
        data = form.cleaned_data
        saved = provision_save(
            actor=request.user,  # type: ignore[arg-type]
            contract=data["contract"],
            service=data["service"],
            areas=data["areas"],
            sla_policy=data["sla_policy"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            provision=obj if change else None,
        )
        adopt(obj, saved)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing more to save: provision_save has set the areas, and there are no inlines."""
