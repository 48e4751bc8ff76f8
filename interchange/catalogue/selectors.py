"""Reads of the catalogue that pages, APIs and the answer rules share."""

from __future__ import annotations

from django.db.models import prefetch_related_objects

from interchange.catalogue.models import Question, Service


def service_questions(service: Service) -> list[Question]:
    """The service's questions in order, each with its choices.

    Two queries the first time; the result is kept on `service`, so asking again (the form,
    then the answer rules) costs nothing.
    """
    prefetch_related_objects([service], "questions__choices")
    return list(service.questions.all())
