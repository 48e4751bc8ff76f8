"""A resident-facing service with one question of every kind, for the answer and form tests."""

from __future__ import annotations

import pytest

from interchange.catalogue.models import Question, QuestionChoice, Service

Datatype = Question.Datatype


def add_question(service: Service, code: str, datatype: str, order: int, **fields: object):
    question = Question.objects.create(
        service=service,
        code=code,
        datatype=datatype,
        order=order,
        label=str(fields.pop("label", code.replace("_", " ").capitalize())),
        **fields,
    )
    return question


@pytest.fixture
def pothole(db: None) -> Service:
    """Potholes: how deep (number, required), size (one of three, required), when seen
    (optional), hazards (several), details (long text), landmark (short text) and a safety
    notice that asks nothing."""
    service = Service.objects.create(code="potholes", name="Potholes", kind=Service.Kind.RESIDENT)
    add_question(
        service,
        "depth",
        Datatype.NUMBER,
        1,
        label="How deep is the pothole?",
        datatype_description="In centimetres",
        required=True,
        missing_message="Enter how deep the pothole is",
    )
    size = add_question(
        service, "size", Datatype.SINGLE_CHOICE, 2, label="How big is it?", required=True
    )
    for order, (key, name) in enumerate(
        [("small", "Smaller than a plate"), ("medium", "Like a tyre"), ("large", "Larger")]
    ):
        QuestionChoice.objects.create(question=size, key=key, name=name, order=order)
    add_question(service, "seen_at", Datatype.DATETIME, 3, label="When did you see it?")
    hazards = add_question(service, "hazards", Datatype.MULTIPLE_CHOICE, 4, label="Who is at risk?")
    for order, (key, name) in enumerate(
        [("drivers", "Drivers"), ("cyclists", "Cyclists"), ("walkers", "People walking")]
    ):
        QuestionChoice.objects.create(question=hazards, key=key, name=name, order=order)
    add_question(
        service,
        "safety",
        Datatype.STRING,
        5,
        label="If someone is hurt or in danger, call 999.",
        variable=False,
    )
    add_question(service, "details", Datatype.TEXT, 6, label="Anything else?")
    add_question(
        service,
        "landmark",
        Datatype.STRING,
        7,
        label="Nearest landmark",
        description="For example, a shop or a bus stop",
    )
    return service
