"""The supplier API (`/api/v1/`): the NinjaAPI, its authentication, and the one place where
every refusal becomes a problem details response."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from interchange.core.idempotency import IdempotencyConflict
from interchange.exchange.api.auth import SupplierKey
from interchange.exchange.api.problems import (
    MEDIA_TYPE,
    ApiProblem,
    field_errors,
    not_found,
    problem_response,
)
from interchange.exchange.api.tickets import router as tickets_router
from interchange.servicedesk.errors import IllegalTransition, StaleVersion

DESCRIPTION = """
The supplier API: a supplier's system reads and works the tickets its supplier holds.

**Authentication.** Send your supplier system's API key in the Authorization header,
`Authorization: Bearer ick_…`. A key in the address is refused (400). Each key has its own
limit of requests a minute; past it you get 429 with `Retry-After`.

**Addresses.** A ticket is addressed by its public reference, such as `INC-000123`. You
see the tickets your supplier holds now and those it held before (read-only); any other
reference answers 404, whether or not the ticket exists.

**Writes.** Every write needs an `Idempotency-Key` header: a repeat within 24 hours gets
the first response (`Idempotent-Replayed: true`) and changes nothing; the same key with
another request is 422; a repeat sent while the first is still running waits for it.
Reads give the ticket's version as its `ETag`; send it back as `If-Match`. A stale one
gets 412 and changes nothing. `If-Match` is required to move the status, set your
reference or hand a ticket back, and optional to acknowledge, add notes and attach files.

**Errors** are RFC 9457 problem details (`application/problem+json`): `type`, `title`,
`status`, `detail`, and `errors` (location, field, detail) for bad input. A move the
ticket's state does not allow is 409, with the moves it allows.
"""


class SupplierApi(NinjaAPI):
    """NinjaAPI whose document says that every error is `application/problem+json`."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content")
                    if str(status).startswith(("4", "5")) and content:
                        answer["content"] = {MEDIA_TYPE: next(iter(content.values()))}
        return schema


api = SupplierApi(
    title="Interchange supplier API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="exchange-api",
    auth=SupplierKey(),
    docs=Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": False}),
)
api.add_router("/", tickets_router)


@api.exception_handler(ApiProblem)
def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return exc.response()


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        where = location[0] if location else "body"
        # Ninja puts the body parameter's own name second; the client never sees it.
        path = location[2:] if where == "body" else location[1:]
        errors.append({"location": where, "field": ".".join(path), "detail": error.get("msg", "")})
    return problem_response(
        422,
        "invalid-input",
        _("Invalid input"),
        _("The request has %(count)s problem(s); see errors.") % {"count": len(errors)},
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        401,
        "unauthorised",
        _("Unauthorised"),
        _("Send your supplier system's API key as Authorization: Bearer <key>."),
        headers={"WWW-Authenticate": 'Bearer realm="interchange"'},
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja's own refusals, such as a body that is not JSON.
    return problem_response(exc.status_code, "bad-request", _("Bad request"), str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return not_found().response()


@api.exception_handler(StaleVersion)
def _stale(request: HttpRequest, exc: StaleVersion) -> HttpResponse:
    return problem_response(
        412,
        "stale-version",
        _("Ticket changed since you read it"),
        exc.message,
        headers={"ETag": f'"{exc.current}"'},
        extra={"currentVersion": exc.current},
    )


@api.exception_handler(IllegalTransition)
def _illegal(request: HttpRequest, exc: IllegalTransition) -> HttpResponse:
    return problem_response(
        409,
        "illegal-transition",
        _("Not allowed in the ticket's state"),
        exc.message,
        extra={"ticketStatus": str(exc.status), "allowed": exc.allowed},
    )


@api.exception_handler(PermissionDenied)
def _not_permitted(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    # Only for tickets the key may see: a supplier's own history, no longer its to change.
    return problem_response(403, "not-permitted", _("Not permitted"), str(exc))


@api.exception_handler(ValidationError)
def _domain_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = field_errors(exc.message_dict)
    else:
        errors = [{"location": "body", "field": "", "detail": m} for m in exc.messages]
    return problem_response(
        422,
        "invalid-input",
        _("Invalid input"),
        " ".join(error["detail"] for error in errors),
        errors=errors,
    )


@api.exception_handler(IdempotencyConflict)
def _conflict(request: HttpRequest, exc: IdempotencyConflict) -> HttpResponse:
    return problem_response(409, "idempotency-conflict", _("Conflict"), str(exc))
