"""The form renderer that gives every Django form GOV.UK Frontend markup, and the one way a
service's refusal lands on a form."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting


class GovukFormRenderer(TemplatesSetting):
    """`{{ form }}` and `{{ field.as_field_group }}` render GOV.UK form groups.

    Pair with `web/includes/error_summary.html` at the top of the page.
    """

    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"


def place_errors(
    form: forms.Form, error: ValidationError, fields: Mapping[str, str | None] | None = None
) -> None:
    """Put a service's ValidationError on the form: next to the field it names (through
    `fields` where the service's name differs from the form's; None for the whole form),
    otherwise at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        name = (fields or {}).get(key, key)
        form.add_error(name if name in form.fields else None, messages)
