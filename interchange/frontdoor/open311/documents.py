"""What Interchange says through Open311 GeoReport v2: discovery, the service list, each
service's definition, service requests, tokens and mySociety's updates, shaped as the
specification's documents (codes and ids always strings, dates ISO 8601 with offsets)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone

from interchange.catalogue.models import Question, QuestionChoice, Service
from interchange.frontdoor.open311.formats import Many
from interchange.frontdoor.open311.selectors import RequestRow
from interchange.frontdoor.open311.statuses import ENDED, open311_status, outgoing
from interchange.servicedesk.models import TicketEvent

Kind = TicketEvent.Kind

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]


def iso(value: datetime, zone: tzinfo | None = None) -> str:
    """ISO 8601 with the offset, in the council's time zone (`zone`, when the caller has
    already looked it up), to the second."""
    return timezone.localtime(value, zone).isoformat(timespec="seconds")


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


# --- Service requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class Extras:
    """What the request documents need beyond each ticket's own row, looked up in bulk."""

    media_url: Callable[[int], str]
    expected: dict[int, datetime | None]
    # Only with extensions=true.
    notes: dict[int, list[TicketEvent]] | None = None
    questions: dict[int, dict[str, Question]] | None = None


def service_request(
    ticket: RequestRow, extras: Extras, zone: tzinfo | None = None
) -> dict[str, Any]:
    """One request as the specification's `request` element, in its order; empty values are
    null (an empty element in XML). Times are in `zone`, the council's time zone."""
    zone = zone or timezone.get_current_timezone()
    expected = extras.expected.get(ticket.pk)
    document: dict[str, Any] = {
        "service_request_id": ticket.reference,
        "status": open311_status(ticket.status),
        "status_notes": ticket.latest_note or None,
        "service_name": ticket.service_name,
        "service_code": ticket.service_code,
        "description": ticket.description or None,
        "agency_responsible": agency(ticket),
        "service_notice": ticket.service_notice or None,
        "requested_datetime": iso(ticket.created_at, zone),
        "updated_datetime": iso(ticket.updated_at, zone),
        "expected_datetime": iso(expected, zone) if expected is not None else None,
        "address": ticket.address or None,
        "address_id": ticket.address_id or None,
        "zipcode": None,
        "lat": ticket.latitude,
        "long": ticket.longitude,
        "media_url": _media_url(ticket, extras),
    }
    if extras.notes is not None and extras.questions is not None:
        document["attributes"] = Many(
            "attribute", _attributes(ticket, extras.questions.get(ticket.service_id, {}))
        )
        document["notes"] = Many(
            "note",
            [
                {
                    "datetime": iso(event.at, zone),
                    "description": getattr(event, "text", "") or str(Kind(event.kind).label),
                    "type": event.kind,
                }
                for event in extras.notes.get(ticket.pk, [])
            ],
        )
    return document


def service_requests(tickets: list[RequestRow], extras: Extras) -> Many:
    zone = timezone.get_current_timezone()
    return Many("request", [service_request(t, extras, zone) for t in tickets])


def agency(ticket: RequestRow) -> str:
    """Who is dealing with it: the holding supplier's public name, else the council."""
    if ticket.holder_public_name is not None:
        return ticket.holder_public_name
    return str(settings.COUNCIL_NAME)


def _media_url(ticket: RequestRow, extras: Extras) -> str | None:
    if ticket.first_media_id is not None:
        return extras.media_url(ticket.first_media_id)
    # A photo the client keeps on its own site, when we hold none of our own.
    return ticket.client_media_url or None


def _attributes(ticket: RequestRow, questions: dict[str, Question]) -> list[dict[str, Any]]:
    """Answers as San Francisco's extension shows them: `label` the question, `name` its
    code, `code` the answer as stored, `value` its words; one entry per chosen value."""
    found = []
    for code, answer in (ticket.answers or {}).items():
        question = questions.get(code)
        names = {c.key: c.name for c in question.choices.all()} if question is not None else {}
        for value in answer if isinstance(answer, list) else [answer]:
            found.append(
                {
                    "label": question.label if question is not None else code,
                    "name": code,
                    "code": str(value),
                    "value": names.get(str(value), str(value)),
                }
            )
    return found


def created(*, reference: str | None, token: str | None, notice: str) -> Many:
    """The answer to a new request: its id, or for a batch service its token instead."""
    item: dict[str, Any] = (
        {"token": token} if token is not None else {"service_request_id": reference}
    )
    item.update({"service_notice": notice or None, "account_id": None})
    return Many("request", [item])


def token(*, reference: str, value: str) -> Many:
    return Many("request", [{"service_request_id": reference, "token": value}])


# --- mySociety's servicerequestupdates ----------------------------------------------------


def request_update(event: TicketEvent, *, media_url: Callable[[int], str]) -> dict[str, Any]:
    """One public change as an update FixMyStreet reads, its status from `statuses.TABLE`."""
    ticket = event.ticket
    resolution = ""
    if event.status in ENDED:
        resolution = event.new.get("resolution_code") or ticket.resolution_code
    attachment = getattr(event, "attachment", None) if event.kind == Kind.ATTACHMENT else None
    return {
        "update_id": str(event.pk),
        "service_request_id": ticket.reference,
        "status": outgoing(
            event.status, resolution_code=resolution, acknowledged=event.holder_acknowledged
        ),
        "description": getattr(event, "text", "") or "",
        "updated_datetime": iso(event.at),
        "media_url": media_url(attachment.pk) if attachment is not None else "",
        # Our own state, for clients that template their replies by the back end's status.
        "external_status_code": event.status,
    }


def request_updates(events: list[TicketEvent], *, media_url: Callable[[int], str]) -> Many:
    return Many("request_update", [request_update(e, media_url=media_url) for e in events])


def update_received(update_id: int) -> Many:
    return Many("request_update", [{"update_id": str(update_id)}])
