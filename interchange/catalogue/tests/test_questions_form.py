"""ServiceQuestionsForm: the service's questions as GOV.UK form fields, checked by
validate_answers."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from interchange.catalogue.forms import ServiceQuestionsForm
from interchange.catalogue.models import Service
from interchange.catalogue.services import validate_answers

pytestmark = pytest.mark.django_db


def test_each_kind_of_question_renders_as_its_gov_uk_component(pothole):
    html = str(ServiceQuestionsForm(pothole))
    # Numbers get a text input with a numeric keyboard, as GOV.UK advises.
    assert (
        '<input type="text" name="answers-depth" class="govuk-input govuk-input--width-10" '
        'inputmode="decimal" aria-describedby="id_answers-depth-hint" id="id_answers-depth">'
    ) in html
    assert '<div id="id_answers-depth-hint" class="govuk-hint">In centimetres</div>' in html
    assert 'class="govuk-radios"' in html
    assert (
        '<input class="govuk-radios__input" id="id_answers-size_0" name="answers-size" '
        'type="radio" value="small">'
    ) in html
    assert 'for="id_answers-size_0">Smaller than a plate</label>' in html
    assert 'class="govuk-checkboxes"' in html
    assert 'name="answers-hazards" type="checkbox" value="walkers"' in html
    assert '<textarea name="answers-details" cols="40" rows="5" class="govuk-textarea"' in html
    assert "For example, 27/3/2026 14:30" in html
    assert "For example, a shop or a bus stop" in html


def test_optional_questions_say_so_and_required_ones_do_not(pothole):
    form = ServiceQuestionsForm(pothole)
    assert form["depth"].label == "How deep is the pothole?"
    assert form["landmark"].label == "Nearest landmark (optional)"
    # The rules, not the browser, decide what is required, so every edge says the same.
    assert "required" not in str(form["depth"])


def test_questions_that_only_inform_are_notices_in_their_place_not_fields(pothole):
    form = ServiceQuestionsForm(pothole)
    assert "safety" not in form.fields
    assert [q.code for q in form.notices] == ["safety"]
    assert [(q.code, field is None) for q, field in form.entries] == [
        ("depth", False),
        ("size", False),
        ("seen_at", False),
        ("hazards", False),
        ("safety", True),
        ("details", False),
        ("landmark", False),
    ]
    depth = form.entries[0][1]
    assert depth is not None and depth.name == "depth"


def test_valid_answers_give_what_validate_answers_gives(pothole):
    data = {
        "answers-depth": "12",
        "answers-size": "small",
        "answers-hazards": ["cyclists"],
        "answers-landmark": "The Crown",
    }
    form = ServiceQuestionsForm(pothole, data)
    assert form.is_valid(), form.errors
    assert form.answers == {
        "depth": 12,
        "size": "small",
        "hazards": ["cyclists"],
        "landmark": "The Crown",
    }
    assert form.answers == validate_answers(
        pothole, {"depth": "12", "size": "small", "hazards": ["cyclists"], "landmark": "The Crown"}
    )


def test_local_times_typed_in_are_stored_with_their_offset_either_side_of_the_clock_change(
    pothole,
):
    base = {"answers-depth": "3", "answers-size": "small"}
    with timezone.override("Europe/London"):
        winter = ServiceQuestionsForm(pothole, base | {"answers-seen_at": "27/3/2026 14:30"})
        summer = ServiceQuestionsForm(pothole, base | {"answers-seen_at": "27/6/2026 14:30"})
        assert winter.is_valid() and summer.is_valid()
    assert winter.answers["seen_at"] == "2026-03-27T14:30:00+00:00"
    assert summer.answers["seen_at"] == "2026-06-27T14:30:00+01:00"


def test_problems_show_beside_their_fields_with_the_shared_messages(pothole):
    form = ServiceQuestionsForm(
        pothole, {"answers-size": "enormous", "answers-hazards": ["drivers", "horses"]}
    )
    assert not form.is_valid()
    assert form.errors == {
        "depth": ["Enter how deep the pothole is"],
        "size": ["Choose one of: small, medium, large"],
        "hazards": ["Choose only from: drivers, cyclists, walkers"],
    }
    html = render_to_string("web/includes/error_summary.html", {"form": form}) + str(form)
    assert '<a href="#id_answers-depth">Enter how deep the pothole is</a>' in html
    # A radio group's error links to its first option.
    assert '<a href="#id_answers-size_0">' in html
    assert '<p id="id_answers-depth-error" class="govuk-error-message">' in html
    assert form.answers == {}


def test_a_date_that_cannot_be_read_is_one_error_not_two(pothole):
    form = ServiceQuestionsForm(
        pothole, {"answers-depth": "3", "answers-size": "small", "answers-seen_at": "Tuesday"}
    )
    assert not form.is_valid()
    assert form.errors == {
        "seen_at": ["Enter “When did you see it?” as a date and time, like 27/3/2026 14:30"]
    }


def test_a_required_date_that_cannot_be_read_is_still_one_error(pothole):
    pothole.questions.filter(code="seen_at").update(required=True)
    service = Service.objects.get(pk=pothole.pk)
    form = ServiceQuestionsForm(service, {"answers-seen_at": "soon"})
    assert not form.is_valid()
    assert len(form.errors["seen_at"]) == 1


def test_the_prefix_keeps_question_codes_apart_from_the_page_s_own_fields(pothole):
    form = ServiceQuestionsForm(pothole, {"q-depth": "4", "q-size": "large"}, prefix="q")
    assert form.is_valid()
    assert form["depth"].html_name == "q-depth"


def test_existing_answers_fill_the_form_for_staff_to_edit(pothole):
    form = ServiceQuestionsForm(pothole, initial={"depth": 12, "hazards": ["drivers"]})
    assert form["depth"].value() == 12
    assert 'value="drivers" checked' in str(form["hazards"].as_field_group())


def test_building_and_checking_the_form_takes_two_queries(pothole, django_assert_num_queries):
    service = Service.objects.get(pk=pothole.pk)
    with django_assert_num_queries(2):
        form = ServiceQuestionsForm(service, {"answers-depth": "3", "answers-size": "small"})
        assert form.is_valid()
        str(form)
