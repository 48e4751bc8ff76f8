"""Template helpers that put GOV.UK Frontend classes and ARIA links on Django form fields."""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()

_CLASS_FOR_WIDGET = {
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "file": "govuk-file-upload",
    "clearablefile": "govuk-file-upload",
}
_CHOICE_WIDGETS = {"radioselect", "checkboxselectmultiple"}


@register.simple_tag
def field_anchor(field: BoundField) -> str:
    """The id the error summary links to: the input itself, or a group's first option."""
    if field.widget_type in _CHOICE_WIDGETS:
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id or field.html_name


@register.simple_tag
def described_by(field: BoundField) -> str:
    """The ids of the hint and error message that describe this field, space-separated."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.simple_tag
def govuk_widget(field: BoundField) -> SafeString:
    """Render a text-like widget with GOV.UK classes, error state and aria-describedby.

    Classes already on the widget (such as `govuk-input--width-10`) are kept.
    """
    base = _CLASS_FOR_WIDGET.get(field.widget_type, "govuk-input")
    css = [base, *str(field.field.widget.attrs.get("class", "")).split()]
    if field.errors:
        css.append(f"{base}--error")
    attrs: dict[str, str | bool] = {"class": " ".join(css)}
    describedby = described_by(field)
    if describedby:
        attrs["aria-describedby"] = describedby
    return field.as_widget(attrs=attrs)
