"""What Interchange says through Open311 GeoReport v2: discovery, the service list and each
service's definition, shaped as the specification's documents (codes always strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone

from interchange.catalogue.models import Question, QuestionChoice, Service
from interchange.frontdoor.open311.formats import Many

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]


def iso(value: datetime) -> str:
    """ISO 8601 with the offset, in the council's time zone, to the second."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def offered_services() -> QuerySet[Service]:
    """Active services offered through Open311, with what their documents need (2 queries)."""
    return (
        Service.objects.filter(active=True, open311_exposed=True)
        .prefetch_related("groups")
        .order_by("code")
    )


def discovery(*, endpoint_url: str) -> dict[str, Any]:
    changed = Service.objects.filter(open311_exposed=True).aggregate(at=Max("updated_at"))["at"]
    changeset = iso(changed or timezone.now())
    return {
        "changeset": changeset,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": Many(
            "endpoint",
            [
                {
                    "specification": SPECIFICATION,
                    "url": endpoint_url,
                    "changeset": changeset,
                    "type": "production",
                    "formats": Many("format", FORMATS),
                }
            ],
        ),
    }


def service(svc: Service, *, has_questions: bool) -> dict[str, Any]:
    groups = [g.name for g in svc.groups.all()]
    return {
        "service_code": svc.code,
        "service_name": svc.name,
        "description": svc.description,
        "metadata": has_questions,
        "type": svc.open311_type,
        "keywords": ", ".join(svc.keywords),
        "group": groups[0] if groups else "",
        # FixMyStreet's extension: every group, not just the first.
        "groups": Many("group", groups),
    }


def services(items: list[Service]) -> Many:
    with_questions = set(
        Question.objects.filter(service__in=items).values_list("service_id", flat=True)
    )
    return Many("service", [service(s, has_questions=s.pk in with_questions) for s in items])


def definition(svc: Service) -> dict[str, Any]:
    questions = svc.questions.order_by("order", "pk").prefetch_related(
        Prefetch("choices", queryset=QuestionChoice.objects.order_by("order", "pk"))
    )
    return {
        "service_code": svc.code,
        "attributes": Many(
            "attribute",
            [
                {
                    "variable": q.variable,
                    "code": q.code,
                    "datatype": q.datatype,
                    "required": q.required,
                    "datatype_description": q.datatype_description,
                    "order": q.order,
                    "description": q.label + (f" {q.description}" if q.description else ""),
                    **_values(q),
                }
                for q in questions
            ],
        ),
    }


def _values(question: Question) -> dict[str, Many]:
    # Only list questions have values; the others carry no <values> element at all.
    if question.datatype not in {
        Question.Datatype.SINGLE_CHOICE,
        Question.Datatype.MULTIPLE_CHOICE,
    }:
        return {}
    return {
        "values": Many("value", [{"key": c.key, "name": c.name} for c in question.choices.all()])
    }
