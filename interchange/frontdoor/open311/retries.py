"""Retries never duplicate: a POST repeated by a client gets the first response.

With an `Idempotency-Key` header, the key names the request for 24 hours (core's idempotency
keys). Without one — FixMyStreet sends none, and sends a report again when the first answer
was slow — the same API key with the same body within OPEN311_RETRY_WINDOW_SECONDS is the same
request. "The same body" is the parameters and the files' contents, not the raw bytes: a
multipart retry has a new boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from interchange.accounts.models import ApiKey
from interchange.core import idempotency
from interchange.core.idempotency import IdempotencyConflict, SavedResponse
from interchange.frontdoor.open311.formats import errors

HEADER = "Idempotency-Key"


def retry_window() -> timedelta:
    return timedelta(seconds=settings.OPEN311_RETRY_WINDOW_SECONDS)


def once(
    request: HttpRequest,
    fmt: str,
    *,
    key: ApiKey,
    work: Callable[[], HttpResponse],
    natural_key: str | None = None,
    natural_fingerprint: str | None = None,
    natural_keep_for: timedelta | None = None,
) -> HttpResponse:
    """Run `work` once per request: a repeat gets the first response, saved in the same
    transaction as the work. A failed answer (4xx) is not saved, and changes nothing.

    Without the header, a request with its own id (an update's `update_id`) passes it as
    `natural_key`, with the fingerprint and keep time that go with it; other requests are
    known by their body within the retry window.
    """
    header = request.headers.get(HEADER)
    if header is not None:
        name, fingerprint, keep_for = header.strip(), idempotency.form_fingerprint(request), None
        if not 1 <= len(name) <= idempotency.MAX_KEY_LENGTH:
            message = _("%(header)s must have 1 to %(max)s characters.") % {
                "header": HEADER,
                "max": idempotency.MAX_KEY_LENGTH,
            }
            return errors(fmt, [(400, message)], status=400)
    elif natural_key is not None and natural_fingerprint is not None:
        name, fingerprint, keep_for = natural_key, natural_fingerprint, natural_keep_for
    else:
        fingerprint = idempotency.form_fingerprint(request)
        name, keep_for = f"body:{fingerprint}", retry_window()
    with transaction.atomic():
        try:
            outcome = idempotency.begin(
                scope=f"open311:{key.pk}",
                key=name,
                request_fingerprint=fingerprint,
                keep_for=keep_for or idempotency.KEEP_FOR,
            )
        except IdempotencyConflict as conflict:
            headers = {"Retry-After": "1"} if conflict.in_progress else None
            return errors(fmt, [(409, str(conflict))], status=409, headers=headers)
        if isinstance(outcome, SavedResponse):
            return _replay(outcome)
        response = work()
        if response.status_code >= 400:
            transaction.set_rollback(True)
            return response
        idempotency.finish(
            outcome,
            status_code=response.status_code,
            headers={"Content-Type": response["Content-Type"]},
            body=response.content,
        )
    return response


def _replay(saved: SavedResponse) -> HttpResponse:
    response = HttpResponse(saved.body, status=saved.status_code)
    for name, value in saved.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response
