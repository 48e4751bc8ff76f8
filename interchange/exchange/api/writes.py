"""What every write to the supplier API shares: `Idempotency-Key` and `If-Match`.

`Idempotency-Key` (required, 1–255 characters, kept 24 hours per supplier): the first
successful response is saved in the same transaction as the change, and a repeat gets it back
(`Idempotent-Replayed: true`) and changes nothing. The same key with another request is 422.
A repeat that arrives while the first is still running waits for it (the first holds the
key's row until it commits) and then gets its response; a first request that failed (any 4xx)
saved nothing and changed nothing, so its repeat runs afresh.

`If-Match` carries the ticket's version as its ETag (`"7"`): a stale version gets 412 and
changes nothing. It is required where a write replaces what someone else may have just set
(status, supplier's reference, handing back) and optional where it only adds (acknowledging,
notes, attachments); `*` explicitly accepts whatever version the ticket is at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from interchange.core import idempotency
from interchange.core.idempotency import IdempotencyConflict, SavedResponse
from interchange.exchange.api.auth import authenticate_request
from interchange.exchange.api.problems import ApiProblem, problem_response

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Headers of the first response that a replay gives back with its body.
_SAVED_HEADERS = ("Content-Type", "ETag", "Location")
_ETAG = re.compile(r'^\s*"(\d{1,9})"\s*$|^\s*(\d{1,9})\s*$')

Run = Callable[..., HttpResponse]


def _fingerprint(request: HttpRequest) -> str:
    """The method, path and body of a write; a JSON body by content (key order and spacing
    aside), a multipart body by its fields and files' contents (its boundary changes)."""
    if (request.content_type or "").startswith("multipart/"):
        return idempotency.form_fingerprint(request)
    parts: list[str | bytes] = [request.method or "", request.path]
    body = request.body
    try:
        parts.append(json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")))
    except ValueError:
        parts.append(body)
    return idempotency.fingerprint(*parts)


def _replay(saved: SavedResponse) -> HttpResponse:
    response = HttpResponse(saved.body, status=saved.status_code)
    for name, value in saved.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(run: Run) -> Run:
    """Wrap an operation (ninja's `decorate_view`) so it runs once per Idempotency-Key."""

    @wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            key = authenticate_request(request)
        except ApiProblem:
            # Ninja's own authentication step answers with the same problem.
            return run(request, *args, **kwargs)
        name = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
        if not 1 <= len(name) <= idempotency.MAX_KEY_LENGTH:
            return _bad_key()
        try:
            fingerprint = _fingerprint(request)
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError):
            return problem_response(
                400, "unreadable-body", _("Bad request"), _("The request body could not be read.")
            )
        with transaction.atomic():
            try:
                outcome = idempotency.begin(
                    scope=f"supplier-api:{key.supplier_id}",
                    key=name,
                    request_fingerprint=fingerprint,
                )
            except IdempotencyConflict as conflict:
                if conflict.in_progress:
                    return problem_response(
                        409,
                        "idempotency-in-progress",
                        _("Request in progress"),
                        str(conflict),
                        headers={"Retry-After": "1"},
                    )
                return problem_response(
                    422, "idempotency-key-reused", _("Idempotency key reused"), str(conflict)
                )
            if isinstance(outcome, SavedResponse):
                return _replay(outcome)
            response = run(request, *args, **kwargs)
            if response.status_code >= 400:
                # Nothing the refused request did stays, its key included: a retry runs afresh.
                transaction.set_rollback(True)
                return response
            idempotency.finish(
                outcome,
                status_code=response.status_code,
                headers={h: response[h] for h in _SAVED_HEADERS if response.has_header(h)},
                body=response.content,
            )
        return response

    return wrapped


def _bad_key() -> HttpResponse:
    detail = _("Send an %(header)s header of 1 to %(max)s characters with every write.") % {
        "header": IDEMPOTENCY_HEADER,
        "max": idempotency.MAX_KEY_LENGTH,
    }
    return problem_response(
        400,
        "idempotency-key-required",
        _("Idempotency key required"),
        detail,
        errors=[{"location": "header", "field": IDEMPOTENCY_HEADER, "detail": detail}],
    )


def expected_version(request: HttpRequest, *, required: bool) -> int | None:
    """The ticket version the caller's If-Match names; None for `*` or, where optional, none.

    Raises ApiProblem 428 when required and missing, 422 when it is not one ETag we gave.
    """
    given = request.headers.get("If-Match")
    if given is None or not given.strip():
        if not required:
            return None
        raise ApiProblem(
            428,
            "if-match-required",
            _("If-Match required"),
            _(
                "Send If-Match with the ticket's ETag from your last read, so that a change "
                "made since then is never overwritten unseen."
            ),
            errors=[
                {
                    "location": "header",
                    "field": "If-Match",
                    "detail": _("Give the ticket's ETag."),
                }
            ],
        )
    if given.strip() == "*":
        return None
    match = _ETAG.match(given)
    if match is None:
        detail = _('If-Match must be one ETag this API gave, such as "7".')
        raise ApiProblem(
            422,
            "invalid-input",
            _("Invalid input"),
            detail,
            errors=[{"location": "header", "field": "If-Match", "detail": detail}],
        )
    return int(match.group(1) or match.group(2))


def etag(version: int) -> str:
    """The ETag of a ticket at `version`."""
    return f'"{version}"'
