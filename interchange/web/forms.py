"""The form renderer that gives every Django form GOV.UK Frontend markup."""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class GovukFormRenderer(TemplatesSetting):
    """`{{ form }}` and `{{ field.as_field_group }}` render GOV.UK form groups.

    Pair with `web/includes/error_summary.html` at the top of the page.
    """

    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"
