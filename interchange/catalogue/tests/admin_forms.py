"""Test helper: the POST data a browser would send back for an admin page, unchanged."""

from __future__ import annotations

from typing import Any

from django import forms


def _put(data: dict[str, Any], field: forms.BoundField) -> None:
    widget = field.field.widget
    value = field.value()
    name = field.html_name
    if isinstance(widget, forms.CheckboxInput):
        if widget.check_test(value):
            data[name] = "on"
    elif isinstance(widget, forms.MultiWidget):
        parts = (value if isinstance(value, list) else widget.decompress(value)) or []
        for index, part in enumerate(parts):
            data[f"{name}_{index}"] = "" if part is None else str(part)
    elif value is None:
        # Left out, as a browser leaves out an empty multiple select.
        return
    elif isinstance(value, list | tuple):
        data[name] = [str(v) for v in value]
    else:
        data[name] = str(value)


def form_data(response: Any) -> dict[str, Any]:
    """The admin change or add page's main form and inline formsets as POST data."""
    data: dict[str, Any] = {}
    all_forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        all_forms.append(inline.formset.management_form)
        all_forms.extend(inline.formset.forms)
    for form in all_forms:
        for field in form:
            _put(data, field)
    return data


def errors(response: Any) -> list[str]:
    """Every error on the admin page: the form's, each field's and each inline's."""
    found: list[str] = []
    form = response.context["adminform"].form
    for messages in form.errors.values():
        found.extend(messages)
    for inline in response.context["inline_admin_formsets"]:
        found.extend(inline.formset.non_form_errors())
        for inline_errors in inline.formset.errors:
            for messages in inline_errors.values():
                found.extend(messages)
    return found
