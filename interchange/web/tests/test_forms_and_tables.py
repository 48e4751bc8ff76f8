"""The GOV.UK form renderer and the server-side sortable table."""

from django import forms
from django.template.loader import render_to_string
from django.test import RequestFactory

from interchange.web.tables import Cell, Column, PageLinks, Table, read_sort


class ReportForm(forms.Form):
    title = forms.CharField(label="Title", help_text="Say what the problem is")
    kind = forms.ChoiceField(
        label="Kind", choices=[("road", "Road"), ("light", "Light")], widget=forms.RadioSelect
    )
    details = forms.CharField(label="Details", widget=forms.Textarea, required=False)
    agree = forms.BooleanField(label="I agree")


def test_a_field_renders_as_a_gov_uk_form_group_with_hint_linked_to_the_input():
    html = str(ReportForm()["title"].as_field_group())
    assert 'class="govuk-form-group"' in html
    assert '<label class="govuk-label govuk-label--s" for="id_title">Title</label>' in html
    assert '<div id="id_title-hint" class="govuk-hint">Say what the problem is</div>' in html
    assert 'class="govuk-input"' in html
    assert 'aria-describedby="id_title-hint"' in html


def test_an_invalid_form_marks_each_field_and_the_summary_links_to_it():
    form = ReportForm(data={"details": "x"})
    assert not form.is_valid()
    html = render_to_string("web/includes/error_summary.html", {"form": form}) + str(form)
    assert "There is a problem" in html
    assert '<a href="#id_title">This field is required.</a>' in html
    # A radio group's link goes to its first option.
    assert '<a href="#id_kind_0">' in html
    assert "govuk-form-group--error" in html
    assert "govuk-input--error" in html
    assert 'aria-describedby="id_title-hint id_title-error"' in html
    assert '<p id="id_title-error" class="govuk-error-message">' in html


def test_radios_and_textarea_use_gov_uk_components():
    html = str(ReportForm())
    assert 'class="govuk-radios"' in html
    assert (
        '<input class="govuk-radios__input" id="id_kind_0" name="kind" type="radio" value="road">'
        in html
    )
    assert 'class="govuk-textarea"' in html
    assert 'class="govuk-checkboxes__input" id="id_agree"' in html


COLUMNS = [Column("Name", "name"), Column("Code", "code"), Column("Hours")]


def test_the_current_sort_column_says_its_direction_and_links_to_the_reverse():
    request = RequestFactory().get("/x", {"sort": "name", "order": "asc", "q": "roads"})
    sort = read_sort(request, COLUMNS, default="name")
    table = Table(COLUMNS, [[Cell("A"), Cell("a"), Cell("9-5")]], sort=sort, query=request.GET)
    name, code, hours = table.header
    assert name.aria_sort == "ascending"
    assert name.sort_href == "?sort=name&order=desc&q=roads"
    assert code.aria_sort == "none"
    assert code.sort_href == "?sort=code&order=asc&q=roads"
    assert hours.sort_href is None and hours.aria_sort is None
    html = render_to_string("web/includes/table.html", {"table": table})
    assert 'aria-sort="ascending"' in html


def test_an_unknown_sort_key_falls_back_to_the_default_and_orders_with_a_tiebreak():
    request = RequestFactory().get("/x", {"sort": "password", "order": "desc"})
    sort = read_sort(request, COLUMNS, default="code")
    assert sort.key == "code" and not sort.descending
    assert sort.order_by(COLUMNS) == ["code", "pk"]
    request = RequestFactory().get("/x", {"sort": "name", "order": "desc"})
    assert read_sort(request, COLUMNS, default="code").order_by(COLUMNS) == ["-name", "-pk"]


def test_pagination_offers_only_the_directions_that_exist():
    html = render_to_string(
        "web/includes/pagination.html", {"page": PageLinks(next_href="?after=9")}
    )
    assert 'href="?after=9" rel="next"' in html
    assert 'rel="prev"' not in html
    assert render_to_string("web/includes/pagination.html", {"page": PageLinks()}).strip() == ""


def test_summary_list_and_tag_includes_render_gov_uk_markup():
    html = render_to_string(
        "web/includes/summary_list.html",
        {
            "rows": [
                {"key": "Code", "value": "office", "action_href": "/e", "action_text": "Change"}
            ]
        },
    )
    assert '<dt class="govuk-summary-list__key">Code</dt>' in html
    assert (
        '<a class="govuk-link" href="/e">Change<span class="govuk-visually-hidden"> code</span></a>'
        in html
    )
    tag = render_to_string("web/includes/tag.html", {"text": "Closure", "colour": "orange"})
    assert tag.strip() == '<strong class="govuk-tag govuk-tag--orange">Closure</strong>'
