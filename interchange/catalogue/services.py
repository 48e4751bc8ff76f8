"""The catalogue's rules and writes: answers to a service's questions, and areas."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.catalogue.areas import set_boundary
from interchange.catalogue.models import Area, Question, Service
from interchange.catalogue.selectors import service_questions
from interchange.core.audit import record_change, snapshot

if TYPE_CHECKING:
    from interchange.accounts.models import User

# Long enough for any honest answer, short enough that nobody stores a novel in a ticket.
MAX_STRING_LENGTH = 500
MAX_TEXT_LENGTH = 5000
# Numbers of 10**15 or more are typing mistakes, and huge exponents would cost time to convert.
MAX_NUMBER_DIGITS = 15

Datatype = Question.Datatype


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return not value
    return False


def _missing_message(question: Question) -> str:
    if question.missing_message:
        return question.missing_message
    label = question.label
    messages: dict[str, str] = {
        Datatype.NUMBER: _("Enter a number for “%(label)s”"),
        Datatype.DATETIME: _("Enter a date and time for “%(label)s”"),
        Datatype.SINGLE_CHOICE: _("Choose an answer to “%(label)s”"),
        Datatype.MULTIPLE_CHOICE: _("Choose at least one answer to “%(label)s”"),
    }
    return messages.get(question.datatype, _("Enter an answer to “%(label)s”")) % {"label": label}


def _clean_text(question: Question, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise ValidationError(
            _("“%(label)s” must be text"), code="invalid", params={"label": question.label}
        )
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(
            _("“%(label)s” must be %(limit)s characters or fewer"),
            code="max_length",
            params={"label": question.label, "limit": limit},
        )
    return value


def _clean_number(question: Question, value: object) -> int | float:
    invalid = ValidationError(
        _("“%(label)s” must be a number, like 12 or 2.5"),
        code="invalid",
        params={"label": question.label},
    )
    # bool is an int to Python, but True is no answer to “how many”.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise invalid
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise invalid from None
    if not number.is_finite():
        raise invalid
    # adjusted() is the exponent of the leading digit; comparing values could overflow.
    if number.adjusted() >= MAX_NUMBER_DIGITS:
        raise ValidationError(
            _("“%(label)s” is too large a number"),
            code="max_value",
            params={"label": question.label},
        )
    # Answers are stored as JSON, so a whole number stays an int and the rest become floats.
    if number == number.to_integral_value():
        return int(number)
    return float(number)


def _clean_datetime(question: Question, value: object) -> str:
    invalid = ValidationError(
        _(
            "“%(label)s” must be a date and time with its offset from UTC, "
            "like 2026-03-27T14:30:00+00:00"
        ),
        code="invalid",
        params={"label": question.label},
    )
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise invalid from None
    else:
        raise invalid
    # Without an offset the moment is ambiguous across the clock change; refuse to guess.
    if timezone.is_naive(moment):
        raise invalid
    return moment.isoformat()


def _choice_keys(question: Question) -> list[str]:
    return [choice.key for choice in question.choices.all()]


def _clean_single_choice(question: Question, value: object) -> str:
    keys = _choice_keys(question)
    if not isinstance(value, str) or value not in keys:
        raise ValidationError(
            _("Choose one of: %(choices)s"),
            code="invalid_choice",
            params={"choices": ", ".join(keys)},
        )
    return value


def _clean_multiple_choice(question: Question, value: object) -> list[str]:
    keys = _choice_keys(question)
    # Open311 clients that send one value often send it bare rather than as a list.
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(
        isinstance(v, str) and v in keys for v in values
    ):
        raise ValidationError(
            _("Choose only from: %(choices)s"),
            code="invalid_choice",
            params={"choices": ", ".join(keys)},
        )
    chosen = set(values)
    # The question's own order, once each, whatever order they came in.
    return [key for key in keys if key in chosen]


def _clean_answer(question: Question, value: object) -> object:
    match question.datatype:
        case Datatype.NUMBER:
            return _clean_number(question, value)
        case Datatype.DATETIME:
            return _clean_datetime(question, value)
        case Datatype.SINGLE_CHOICE:
            return _clean_single_choice(question, value)
        case Datatype.MULTIPLE_CHOICE:
            return _clean_multiple_choice(question, value)
        case Datatype.TEXT:
            return _clean_text(question, value, MAX_TEXT_LENGTH)
        case _:
            return _clean_text(question, value, MAX_STRING_LENGTH)


def validate_answers(service: Service, answers: Mapping[str, object]) -> dict[str, object]:
    """The answers to `service`'s questions, cleaned for storing as JSON, keyed by question code.

    Raises one ValidationError whose error dict lists every problem under its question's code.
    """
    questions = {question.code: question for question in service_questions(service)}
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, object] = {}
    for code in answers:
        if code not in questions:
            errors[code] = [
                ValidationError(
                    _("There is no question “%(code)s” for %(service)s"),
                    code="unknown_question",
                    params={"code": code, "service": service.name},
                )
            ]
    for code, question in questions.items():
        value = answers.get(code)
        if not question.variable:
            if not _is_empty(value):
                errors[code] = [
                    ValidationError(
                        _("“%(label)s” is information only and takes no answer"),
                        code="not_asked",
                        params={"label": question.label},
                    )
                ]
            continue
        if _is_empty(value):
            if question.required:
                errors[code] = [ValidationError(_missing_message(question), code="required")]
            continue
        try:
            cleaned[code] = _clean_answer(question, value)
        except ValidationError as exc:
            errors[code] = [exc]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def area_save(
    *,
    actor: User | None,
    code: str,
    name: str,
    boundary: Mapping[str, Any],
    at: datetime | None = None,
) -> Area:
    """Create the area with `code`, or change its name and boundary; recorded in its history.

    An invalid boundary raises ValidationError under "boundary" and saves nothing.
    """
    at = at or timezone.now()
    area = Area.objects.select_for_update().filter(code=code).first()
    before = snapshot(area) if area is not None else None
    if area is None:
        area = Area(code=code)
    area.name = name
    try:
        set_boundary(area, boundary)
    except ValidationError as exc:
        raise ValidationError({"boundary": exc.error_list}) from None
    area.full_clean()
    area.save()
    record_change(area, actor=actor, before=before, after=snapshot(area), at=at)
    return area
