"""validate_answers: the one set of rules for answers to a service's questions."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from django.core.exceptions import ValidationError

from interchange.catalogue.models import Question, Service
from interchange.catalogue.selectors import service_questions
from interchange.catalogue.services import MAX_STRING_LENGTH, MAX_TEXT_LENGTH, validate_answers

pytestmark = pytest.mark.django_db

VALID = {"depth": "12", "size": "medium"}


def problems(service: Service, answers: Mapping[str, object]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        validate_answers(service, answers)
    return caught.value.message_dict


def test_valid_answers_come_back_clean_and_ready_to_store_as_json(pothole):
    cleaned = validate_answers(
        pothole,
        {
            "depth": " 12 ",
            "size": "large",
            "seen_at": "2026-03-27T14:30Z",
            "hazards": ["walkers", "drivers", "walkers"],
            "details": "  Near the lights  ",
            "landmark": "",
        },
    )
    assert cleaned == {
        "depth": 12,
        "size": "large",
        "seen_at": "2026-03-27T14:30:00+00:00",
        # The question's own order, each once.
        "hazards": ["drivers", "walkers"],
        "details": "Near the lights",
    }
    assert json.loads(json.dumps(cleaned)) == cleaned


def test_every_problem_is_listed_under_its_question_code(pothole):
    found = problems(
        pothole,
        {
            "size": "enormous",
            "seen_at": "yesterday",
            "hazards": ["drivers", "horses"],
            "safety": "ok",
            "colour": "black",
        },
    )
    assert found == {
        "depth": ["Enter how deep the pothole is"],
        "size": ["Choose one of: small, medium, large"],
        "seen_at": [
            "“When did you see it?” must be a date and time with its offset from UTC, "
            "like 2026-03-27T14:30:00+00:00"
        ],
        "hazards": ["Choose only from: drivers, cyclists, walkers"],
        "safety": [
            "“If someone is hurt or in danger, call 999.” is information only and takes no answer"
        ],
        "colour": ["There is no question “colour” for Potholes"],
    }


@pytest.mark.parametrize("empty", [None, "", "   ", []])
def test_a_required_question_left_empty_says_what_to_enter(pothole, empty):
    found = problems(pothole, {"depth": empty, "size": empty})
    assert found["depth"] == ["Enter how deep the pothole is"]
    # Without a message of its own, the question's label says what is missing.
    assert found["size"] == ["Choose an answer to “How big is it?”"]


def test_the_built_message_fits_the_kind_of_answer(pothole):
    Question.objects.filter(service=pothole).update(required=True, missing_message="")
    Question.objects.filter(service=pothole, variable=False).update(required=False)
    pothole = Service.objects.get(pk=pothole.pk)
    found = problems(pothole, {})
    assert found["depth"] == ["Enter a number for “How deep is the pothole?”"]
    assert found["seen_at"] == ["Enter a date and time for “When did you see it?”"]
    assert found["hazards"] == ["Choose at least one answer to “Who is at risk?”"]
    assert found["details"] == ["Enter an answer to “Anything else?”"]
    assert "safety" not in found


@pytest.mark.parametrize(
    ("given", "stored"),
    [(12, 12), ("0", 0), ("-3", -3), ("2.50", 2.5), (2.5, 2.5), ("1e2", 100), ("  7 ", 7)],
)
def test_a_number_is_stored_as_a_json_number(pothole, given, stored):
    assert validate_answers(pothole, VALID | {"depth": given})["depth"] == stored


@pytest.mark.parametrize("given", ["abc", "12cm", "NaN", "inf", True, [12], {"cm": 12}])
def test_an_answer_that_is_not_a_number_is_refused(pothole, given):
    assert problems(pothole, VALID | {"depth": given}) == {
        "depth": ["“How deep is the pothole?” must be a number, like 12 or 2.5"]
    }


def test_an_absurdly_large_number_is_refused_without_converting_it(pothole):
    assert problems(pothole, VALID | {"depth": "1e999999999"}) == {
        "depth": ["“How deep is the pothole?” is too large a number"]
    }


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-03-27T14:30:00+00:00", "2026-03-27T14:30:00+00:00"),
        ("2026-06-27T14:30+01:00", "2026-06-27T14:30:00+01:00"),
        ("2026-06-27 13:30:00Z", "2026-06-27T13:30:00+00:00"),
    ],
)
def test_a_date_and_time_with_an_offset_is_accepted(pothole, given, stored):
    assert validate_answers(pothole, VALID | {"seen_at": given})["seen_at"] == stored


@pytest.mark.parametrize(
    "given", ["2026-03-27T14:30", "2026-03-27", "27/03/2026 14:30", 1774621800]
)
def test_a_date_and_time_without_an_offset_is_refused(pothole, given):
    assert list(problems(pothole, VALID | {"seen_at": given})) == ["seen_at"]


def test_a_single_choice_must_be_one_key(pothole):
    for given in ["Large", ["large"], 1]:
        assert problems(pothole, VALID | {"size": given}) == {
            "size": ["Choose one of: small, medium, large"]
        }


def test_a_multiple_choice_takes_a_list_of_valid_keys_or_one_bare_key(pothole):
    assert validate_answers(pothole, VALID | {"hazards": "cyclists"})["hazards"] == ["cyclists"]
    assert validate_answers(pothole, VALID | {"hazards": ("cyclists",)})["hazards"] == ["cyclists"]
    for given in [["cyclists", 3], {"cyclists": True}, 5]:
        assert list(problems(pothole, VALID | {"hazards": given})) == ["hazards"]


def test_questions_that_only_inform_take_no_answer_but_an_empty_one_is_harmless(pothole):
    assert "safety" not in validate_answers(pothole, VALID | {"safety": ""})
    assert list(problems(pothole, VALID | {"safety": "understood"})) == ["safety"]


def test_optional_questions_left_empty_are_left_out(pothole):
    assert validate_answers(pothole, VALID | {"landmark": " ", "hazards": []}) == {
        "depth": 12,
        "size": "medium",
    }


def test_text_longer_than_its_limit_is_refused(pothole):
    assert validate_answers(pothole, VALID | {"landmark": "x" * MAX_STRING_LENGTH})
    assert problems(pothole, VALID | {"landmark": "x" * (MAX_STRING_LENGTH + 1)}) == {
        "landmark": [f"“Nearest landmark” must be {MAX_STRING_LENGTH} characters or fewer"]
    }
    assert validate_answers(pothole, VALID | {"details": "x" * MAX_TEXT_LENGTH})
    assert list(problems(pothole, VALID | {"details": "x" * (MAX_TEXT_LENGTH + 1)})) == ["details"]
    assert problems(pothole, VALID | {"landmark": 42}) == {
        "landmark": ["“Nearest landmark” must be text"]
    }


def test_a_service_without_questions_accepts_no_answers(db):
    service = Service.objects.create(code="printer", name="Printer", kind=Service.Kind.ICT)
    assert validate_answers(service, {}) == {}
    assert list(problems(service, {"depth": 1})) == ["depth"]


def test_loading_the_questions_with_their_choices_takes_two_queries(
    pothole, django_assert_num_queries
):
    service = Service.objects.get(pk=pothole.pk)
    with django_assert_num_queries(2):
        questions = service_questions(service)
        choices = {q.code: [c.key for c in q.choices.all()] for q in questions}
    assert [q.code for q in questions] == [
        "depth",
        "size",
        "seen_at",
        "hazards",
        "safety",
        "details",
        "landmark",
    ]
    assert choices["size"] == ["small", "medium", "large"]
    # Kept on the service: the form and then the rules ask again for nothing.
    with django_assert_num_queries(0):
        service_questions(service)
        validate_answers(service, VALID)
