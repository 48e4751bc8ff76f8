"""The supplier API's one error shape: RFC 9457 problem details (`application/problem+json`),
with field errors, for every refusal from authentication to the state machine."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema

MEDIA_TYPE = "application/problem+json"
# Problem types are URNs: absolute URIs that name the problem without pretending to be a page.
TYPE_PREFIX = "urn:interchange:problem:"

# Domain field names as the API spells them in its bodies.
API_FIELD_NAMES = {
    "body": "text",
    "resolution_code": "resolutionCode",
    "reference": "supplierReference",
}


class FieldError(Schema):
    """One problem with one input: where (body, query, path, header), which field, and why."""

    location: str
    field: str
    detail: str


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class ApiProblem(Exception):
    """Raised anywhere in the API to answer with a problem."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self) -> HttpResponse:
        return problem_response(
            self.status,
            self.slug,
            self.title,
            self.detail,
            errors=self.errors,
            headers=self.headers,
            extra=self.extra,
        )


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """A problem details response; `slug` names its type (`urn:interchange:problem:<slug>`)."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_errors(
    message_dict: dict[str, list[str]], location: str = "body"
) -> list[dict[str, str]]:
    """Field errors from a Django ValidationError's `message_dict`, in the API's field names."""
    return [
        {"location": location, "field": API_FIELD_NAMES.get(field, field), "detail": message}
        for field, messages in message_dict.items()
        for message in messages
    ]


def not_found(detail: str | None = None) -> ApiProblem:
    return ApiProblem(
        404,
        "not-found",
        _("Not found"),
        detail or _("There is nothing at this address, or it is not yours to see."),
    )


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any address under the API that names no operation."""
    return not_found().response()
