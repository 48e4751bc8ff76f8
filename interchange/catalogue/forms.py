"""The form that asks a service's questions, for the resident front door and staff alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from interchange.catalogue.models import Question, Service
from interchange.catalogue.selectors import service_questions
from interchange.catalogue.services import validate_answers

Datatype = Question.Datatype


class _AnswerChoiceField(forms.ChoiceField):
    def validate(self, value: Any) -> None:
        """Leave "required" and "is it a choice" to validate_answers, which both edges share."""


class _AnswerMultipleChoiceField(forms.MultipleChoiceField):
    def validate(self, value: Any) -> None:
        """Leave "required" and "are they choices" to validate_answers, which both edges share."""


def _field_for(question: Question) -> forms.Field:
    label = (
        question.label
        if question.required
        else _("%(label)s (optional)") % {"label": question.label}
    )
    hint = " ".join(text for text in (question.description, question.datatype_description) if text)
    common: dict[str, Any] = {"label": label, "help_text": hint, "required": False}
    choices = [(choice.key, choice.name) for choice in question.choices.all()]
    match question.datatype:
        case Datatype.SINGLE_CHOICE:
            return _AnswerChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        case Datatype.MULTIPLE_CHOICE:
            return _AnswerMultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        case Datatype.DATETIME:
            # People type local time; the field makes it an aware moment, and validate_answers
            # stores it with its offset.
            return forms.DateTimeField(
                input_formats=["%d/%m/%Y %H:%M", "%d/%m/%y %H:%M", "%Y-%m-%d %H:%M"],
                error_messages={
                    "invalid": _("Enter “%(label)s” as a date and time, like 27/3/2026 14:30")
                    % {"label": question.label}
                },
                widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}),
                label=label,
                help_text=" ".join(filter(None, [hint, _("For example, 27/3/2026 14:30")])),
                required=False,
            )
        case Datatype.NUMBER:
            # A text input with a numeric keyboard, as GOV.UK advises over type="number".
            return forms.CharField(
                widget=forms.TextInput(
                    attrs={"class": "govuk-input--width-10", "inputmode": "decimal"}
                ),
                strip=False,
                **common,
            )
        case Datatype.TEXT:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), strip=False, **common)
        case _:
            return forms.CharField(strip=False, **common)


class ServiceQuestionsForm(forms.Form):
    """One field per question that asks for an answer; `clean()` applies validate_answers.

    Questions that only inform (`variable` false) get no field: they are in `notices`, and
    `entries` gives every question in order with its bound field or None, for templates that
    show the information between the fields. After `is_valid()`, `answers` holds the cleaned
    answers to store.
    """

    def __init__(
        self,
        service: Service,
        data: Mapping[str, Any] | None = None,
        *,
        prefix: str = "answers",
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data=data, prefix=prefix, initial=dict(initial or {}))
        self.service = service
        self.questions = service_questions(service)
        self.notices = [question for question in self.questions if not question.variable]
        self.answers: dict[str, object] = {}
        for question in self.questions:
            if question.variable:
                self.fields[question.code] = _field_for(question)

    @property
    def entries(self) -> list[tuple[Question, forms.BoundField | None]]:
        """Every question in order, with its bound field, or None for information only."""
        return [
            (question, self[question.code] if question.variable else None)
            for question in self.questions
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A field that could not even be read (a date typed wrongly) already says so.
        answers = {code: data.get(code) for code in self.fields if code not in self.errors}
        try:
            self.answers = validate_answers(self.service, answers)
        except ValidationError as exc:
            for code, errors in exc.error_dict.items():
                if code not in self.errors:
                    self.add_error(code if code in self.fields else None, errors)
        return data
