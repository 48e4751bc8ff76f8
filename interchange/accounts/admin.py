"""Admin for people and API keys, scoped: a supplier's administrator sees only their own.

Access here follows people's roles (`selectors`), not Django's model permissions, so the
scope cannot drift from the rest of the platform. Keys are issued, rotated and revoked only
through the services; a new key's plaintext is shown on the page that answers the request
and stored nowhere.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db.models import BLANK_CHOICE_DASH, Field, ForeignKey, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from interchange.accounts.forms import (
    CHANGE_FIELDS,
    CREATION_FIELDS,
    ApiKeyChangeForm,
    ApiKeyCreationForm,
    PersonChangeForm,
    PersonCreationForm,
)
from interchange.accounts.models import SUPPLIER_ROLES, ApiKey, User
from interchange.accounts.selectors import (
    api_keys_manageable_by,
    manages_any_api_keys,
    may_change_people,
    may_manage_api_keys,
    may_view_people,
    people_visible_to,
    roles_assignable_by,
)
from interchange.accounts.services import api_key_create, api_key_revoke, api_key_rotate
from interchange.core.audit import record_change, snapshot
from interchange.suppliers.models import Supplier


def _own_supplier_only(request: HttpRequest) -> int | None:
    """The supplier a supplier person's choices are limited to; None for council staff."""
    user = request.user
    if isinstance(user, User) and user.role in SUPPLIER_ROLES and not user.is_superuser:
        return user.supplier_id
    return None


def _person_record(person: User) -> dict[str, Any]:
    data = snapshot(person)
    data.pop("password", None)
    data.pop("last_login", None)
    return data


class OwnSupplierFieldMixin(admin.ModelAdmin):
    """A supplier administrator can only choose their own supplier."""

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        own = _own_supplier_only(request)
        if db_field.name == "supplier" and own is not None:
            kwargs["queryset"] = Supplier.objects.filter(pk=own)
            kwargs["required"] = True
            kwargs["empty_label"] = None
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class PersonAdmin(OwnSupplierFieldMixin, UserAdmin):
    form = PersonChangeForm
    add_form = PersonCreationForm
    list_display = ("username", "full_name", "email", "role", "supplier", "is_active", "is_staff")
    list_filter = ("role", ("supplier", admin.RelatedOnlyFieldListFilter), "is_active", "is_staff")
    list_select_related = ("supplier",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal details"), {"fields": ("first_name", "last_name", "email")}),
        (_("Access"), {"fields": ("role", "supplier", "is_active", "is_staff")}),
        (
            _("Superuser permissions"),
            {"fields": ("is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (_("Personal details"), {"fields": ("first_name", "last_name", "email")}),
        (_("Access"), {"fields": ("role", "supplier", "is_staff")}),
    )
    readonly_fields = ("last_login", "date_joined")

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, person: User) -> str:
        return person.get_full_name()

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return people_visible_to(request.user, super().get_queryset(request))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Only a superuser may make one, or hand out Django's own permissions.
        return [fs for fs in fieldsets if "is_superuser" not in fs[1]["fields"]]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_view_people(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_view_people(request.user) and self._in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_change_people(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_change_people(request.user) and self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # People are deactivated, not deleted: tickets and records point at them.
        return bool(request.user.is_superuser)

    def _in_scope(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or people_visible_to(request.user).filter(pk=obj.pk).exists()

    def formfield_for_choice_field(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.TypedChoiceField | None:
        if db_field.name == "role":
            roles = roles_assignable_by(request.user)
            kwargs["choices"] = BLANK_CHOICE_DASH + [(role.value, role.label) for role in roles]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: User, form: ModelForm[User], change: bool
    ) -> None:
        before = _person_record(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        record_change(obj, actor=request.user, before=before, after=_person_record(obj))


GRACE_CHOICES = [
    (0, _("Stop the old key now")),
    (3600, _("1 hour")),
    (86400, _("24 hours")),
    (7 * 86400, _("7 days")),
    (30 * 86400, _("30 days")),
]


class RotateForm(forms.Form):
    grace = forms.TypedChoiceField(
        label=_("How long should the old key keep working?"),
        choices=GRACE_CHOICES,
        coerce=int,
        initial=86400,
        widget=forms.RadioSelect,
        help_text=_("Long enough for the system using it to switch to the new key."),
    )


@admin.register(ApiKey)
class ApiKeyAdmin(OwnSupplierFieldMixin):
    list_display = (
        "name",
        "prefix",
        "kind",
        "supplier",
        "client_name",
        "status",
        "rate_limit_per_minute",
        "expires_at",
        "last_used_at",
    )
    list_filter = ("kind", ("supplier", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("supplier", "replaced_by")
    search_fields = ("name", "prefix", "client_name")
    ordering = ("-created_at",)
    actions = ["rotate_keys", "revoke_keys"]
    readonly_fields = (
        "prefix",
        "kind",
        "supplier",
        "status",
        "created_by",
        "created_at",
        "revoked_at",
        "last_used_at",
        "replaces",
        "replaced_by",
    )

    @admin.display(description=_("status"))
    def status(self, key: ApiKey) -> str:
        return str(key.status(timezone.now()).label)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return api_keys_manageable_by(request.user, super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return manages_any_api_keys(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_manage(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return manages_any_api_keys(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_manage(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoke instead: timelines name the key that made each change.
        return False

    def _may_manage(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return manages_any_api_keys(request.user)
        return may_manage_api_keys(request.user, supplier_id=obj.supplier_id)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[ApiKey]]:
        kwargs["form"] = ApiKeyChangeForm if obj is not None else ApiKeyCreationForm
        kwargs["fields"] = None
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return CREATION_FIELDS
        return (*CHANGE_FIELDS, *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def formfield_for_choice_field(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.TypedChoiceField | None:
        if db_field.name == "kind" and _own_supplier_only(request) is not None:
            kind = ApiKey.Kind.SUPPLIER_SYSTEM
            kwargs["choices"] = [(kind.value, kind.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: ModelForm[ApiKey], change: bool
    ) -> None:
        assert isinstance(request.user, User)  # the admin lets only signed-in staff this far
        if change:
            before = snapshot(ApiKey.objects.get(pk=obj.pk))
            super().save_model(request, obj, form, change)
            after = snapshot(obj)
            for record in (before, after):
                record.pop("secret_hash", None)
            record_change(obj, actor=request.user, before=before, after=after)
            return
        data = form.cleaned_data
        key, plaintext = api_key_create(
            actor=request.user,
            name=data["name"],
            kind=data["kind"],
            supplier=data.get("supplier"),
            client_name=data.get("client_name", ""),
            expires_at=data.get("expires_at"),
            rate_limit_per_minute=data["rate_limit_per_minute"],
        )
        # The admin goes on to log and answer with `obj`: make it the saved key.
        obj.pk = key.pk
        obj.refresh_from_db()
        obj._state.adding = False
        request._issued_api_keys = [(key, plaintext)]  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._show_issued(request, getattr(request, "_issued_api_keys", []))

    def _show_issued(self, request: HttpRequest, issued: list[tuple[ApiKey, str]]) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Copy the new key now"),
            "issued": issued,
            "changelist_url": reverse("admin:accounts_apikey_changelist"),
        }
        response = TemplateResponse(request, "admin/accounts/apikey/issued.html", context)
        # The plaintext must not linger in any cache between here and the person's screen.
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Rotate the selected keys (issue replacements)"))
    def rotate_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> HttpResponse | None:
        form = RotateForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            assert isinstance(request.user, User)
            grace = timedelta(seconds=form.cleaned_data["grace"])
            issued = []
            for key in queryset:
                try:
                    issued.append(api_key_rotate(actor=request.user, key=key, grace=grace))
                except ValidationError as error:
                    self.message_user(request, f"{key}: {' '.join(error.messages)}", messages.ERROR)
            return self._show_issued(request, issued) if issued else None
        return self._confirm(request, queryset, "rotate_keys", form, gettext("Rotate API keys"))

    @admin.action(description=_("Revoke the selected keys"))
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> HttpResponse | None:
        if "confirm" not in request.POST:
            return self._confirm(request, queryset, "revoke_keys", None, gettext("Revoke API keys"))
        assert isinstance(request.user, User)
        keys = list(queryset)
        for key in keys:
            api_key_revoke(actor=request.user, key=key)
        message = ngettext(
            "Revoked %(count)d key. It no longer works.",
            "Revoked %(count)d keys. They no longer work.",
            len(keys),
        )
        self.message_user(request, message % {"count": len(keys)}, messages.SUCCESS)
        return None

    def _confirm(
        self,
        request: HttpRequest,
        queryset: QuerySet[ApiKey],
        action: str,
        form: forms.Form | None,
        title: str,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "keys": queryset,
            "action": action,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/apikey/confirm_action.html", context)
