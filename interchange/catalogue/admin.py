"""Admin for the catalogue: services with their questions and targets, the desk's OLA, areas."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interchange.catalogue.areas import parse_boundary
from interchange.catalogue.models import (
    Area,
    DeskTarget,
    Question,
    QuestionChoice,
    Service,
    ServiceGroup,
    ServiceTarget,
)
from interchange.catalogue.services import area_save
from interchange.core.admin import AuditedAdmin, adopt


@admin.register(ServiceGroup)
class ServiceGroupAdmin(AuditedAdmin):
    list_display = ["name", "code", "order"]
    list_editable = ["order"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class ServiceTargetInline(admin.TabularInline):
    model = ServiceTarget
    extra = 0


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["order", "code", "label", "datatype", "required", "variable"]
    # Choices and the longer texts are edited on the question's own page.
    show_change_link = True


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
    list_display = ["name", "code", "kind", "owner_team", "open311_exposed", "active"]
    list_filter = ["kind", "active", "open311_exposed", "groups"]
    search_fields = ["name", "code", "description", "owner_team"]
    prepopulated_fields = {"code": ["name"]}
    filter_horizontal = ["groups", "owners"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ServiceTargetInline, QuestionInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "description", "kind", "groups", "keywords", "active"]}),
        (_("Ownership"), {"fields": ["owner_team", "owners"]}),
        (_("Residents and Open311"), {"fields": ["open311_exposed", "open311_type", "notice"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]


class QuestionChoiceFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        """A choice question needs choices to choose from; other questions take none."""
        super().clean()
        kept = [
            form
            for form in self.forms
            if getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("key")
            and not form.cleaned_data.get("DELETE")
        ]
        question = self.instance
        if question.has_choices and not kept:
            raise ValidationError(gettext("Give at least one choice to choose from."))
        if not question.has_choices and kept:
            raise ValidationError(
                gettext("Only single and multiple choice questions have choices; remove them.")
            )


class QuestionChoiceInline(admin.TabularInline):
    model = QuestionChoice
    formset = QuestionChoiceFormSet
    extra = 0


@admin.register(Question)
class QuestionAdmin(AuditedAdmin):
    list_display = ["label", "code", "service", "datatype", "required", "variable", "order"]
    list_filter = ["datatype", "required", "variable", "service"]
    search_fields = ["label", "code", "service__name"]
    list_select_related = ["service"]
    autocomplete_fields = ["service"]
    inlines = [QuestionChoiceInline]


@admin.register(DeskTarget)
class DeskTargetAdmin(AuditedAdmin):
    list_display = ["priority", "response", "resolution", "calendar"]
    list_select_related = ["calendar"]


class AreaForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ["code", "name", "boundary"]

    def clean_boundary(self) -> Any:
        """The same check area_save makes, so a bad boundary is an error beside the field."""
        boundary = self.cleaned_data["boundary"]
        parse_boundary(boundary)
        return boundary


@admin.register(Area)
class AreaAdmin(AuditedAdmin):
    form = AreaForm
    list_display = ["name", "code", "kind"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # area_save finds the area by its code, so the code is fixed once it exists.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "code"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # area_save records the change itself; AuditedAdmin's record is not wanted twice.
        saved = area_save(
            actor=request.user,  # type: ignore[arg-type]
            code=obj.code,
            name=form.cleaned_data["name"],
            boundary=form.cleaned_data["boundary"],
        )
        adopt(obj, saved)
