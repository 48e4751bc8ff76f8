"""Reads of the catalogue that pages, APIs and the answer rules share."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import prefetch_related_objects

from interchange.catalogue.models import Question, QuestionChoice, Service


def service_questions(service: Service) -> list[Question]:
    """The service's questions in order, each with its choices.

    Two queries the first time; the result is kept on `service`, so asking again (the form,
    then the answer rules) costs nothing.
    """
    prefetch_related_objects([service], "questions__choices")
    return list(service.questions.all())


def _columns(model: type[models.Model]) -> list[tuple[str, str]]:
    """(lookup name, attribute name) of a model's stored fields, in `from_db`'s order."""
    return [(field.name, field.attname) for field in model._meta.concrete_fields]


def offered_service_with_questions(code: str, *, open311: bool = False) -> Service | None:
    """The active service with `code` (offered through Open311 when `open311`), its questions
    and their choices already loaded as `service_questions` keeps them: one query, read fresh
    each time, so a change to the service or its questions applies to the next report.
    None when there is no such service, or it is inactive or not offered."""
    service_columns = _columns(Service)
    question_columns = _columns(Question)
    choice_columns = _columns(QuestionChoice)
    lookups = [name for name, _ in service_columns]
    lookups += [f"questions__{name}" for name, _ in question_columns]
    lookups += [f"questions__choices__{name}" for name, _ in choice_columns]
    rows = Service.objects.filter(code=code, active=True)
    if open311:
        rows = rows.filter(open311_exposed=True)
    rows = rows.order_by(
        "questions__order", "questions__id", "questions__choices__order", "questions__choices__id"
    )
    service: Service | None = None
    questions: dict[int, Question] = {}
    choices: dict[int, list[QuestionChoice]] = {}
    service_width, question_width = len(service_columns), len(question_columns)
    db = rows.db
    for row in rows.values_list(*lookups):
        if service is None:
            service = Service.from_db(db, [a for _, a in service_columns], row[:service_width])
        question_row = row[service_width : service_width + question_width]
        if question_row[0] is None:
            continue  # a service with no questions
        question_id = question_row[0]
        if question_id not in questions:
            question = Question.from_db(db, [a for _, a in question_columns], question_row)
            Question.service.field.set_cached_value(question, service)
            questions[question_id] = question
            choices[question_id] = []
        choice_row = row[service_width + question_width :]
        if choice_row[0] is not None:
            choice = QuestionChoice.from_db(db, [a for _, a in choice_columns], choice_row)
            QuestionChoice.question.field.set_cached_value(choice, questions[question_id])
            choices[question_id].append(choice)
    if service is None:
        return None
    for question_id, question in questions.items():
        _keep(question, "choices", choices[question_id])
    _keep(service, "questions", list(questions.values()))
    return service


def _keep(instance: models.Model, relation: str, objects: list[Any]) -> None:
    """Keep `objects` on `instance` as a prefetch of `relation` would."""
    queryset = getattr(instance, relation).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    cache: dict[str, Any] = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[relation] = queryset
