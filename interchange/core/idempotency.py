"""Idempotency keys: a repeated request gets the first response and changes nothing.

The edges (Open311 and the supplier API) call `begin` before doing the work and `finish`
with the response, both inside the request's transaction. A failed request then leaves no
key behind and can be retried, and a repeat that arrives while the first is still running
waits for it (its row is not committed yet) and then gets its response. Work too long to
hold a transaction may commit `begin` on its own instead: repeats meanwhile get an
in-progress conflict, and a crash leaves the key in progress until it expires.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.core.models import IdempotencyKey

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = IdempotencyKey._meta.get_field("key").max_length or 255


def fingerprint(*parts: bytes | str) -> str:
    """A SHA-256 over the request's identifying parts (method, path, body…)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True)
class SavedResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes


class IdempotencyConflict(Exception):
    """The key was used before with a different request (or that request is still running)."""

    def __init__(self, message: str, *, in_progress: bool = False) -> None:
        super().__init__(message)
        self.in_progress = in_progress


def begin(
    *,
    scope: str,
    key: str,
    request_fingerprint: str,
    at: datetime | None = None,
    keep_for: timedelta = KEEP_FOR,
) -> SavedResponse | IdempotencyKey:
    """The saved first response for a repeat; else a new in-progress key to `finish`, kept
    for `keep_for` (24 hours unless the caller's rule is shorter, like Open311's retry window).

    Raises IdempotencyConflict when the key came with another request, or when the first
    request with it has not finished; ValueError for an empty or over-long key or a keep_for
    that is not positive.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters")
    if keep_for <= timedelta(0):
        raise ValueError("keep_for must be positive")
    at = at or timezone.now()
    with transaction.atomic():
        existing = (
            IdempotencyKey.objects.select_for_update()
            .filter(scope=scope, key=key, expires_at__gt=at)
            .first()
        )
        if existing is None:
            IdempotencyKey.objects.filter(scope=scope, key=key, expires_at__lte=at).delete()
            try:
                # A savepoint: on PostgreSQL a concurrent insert of the same key waits here
                # until the other transaction ends, then fails if that one committed.
                with transaction.atomic():
                    return IdempotencyKey.objects.create(
                        scope=scope,
                        key=key,
                        fingerprint=request_fingerprint,
                        created_at=at,
                        expires_at=at + keep_for,
                    )
            except IntegrityError:
                # The other request committed first; this one is its repeat.
                existing = IdempotencyKey.objects.select_for_update().get(scope=scope, key=key)
    if existing.fingerprint != request_fingerprint:
        raise IdempotencyConflict(
            _("This idempotency key was already used with a different request.")
        )
    if existing.status_code is None:
        raise IdempotencyConflict(
            _("A request with this idempotency key is still being processed. Try again later."),
            in_progress=True,
        )
    return SavedResponse(
        status_code=existing.status_code,
        headers=dict(existing.response_headers),
        body=bytes(existing.response_body),
    )


def finish(
    record: IdempotencyKey, *, status_code: int, headers: dict[str, str], body: bytes
) -> None:
    """Save the first response so repeats get it."""
    record.status_code = status_code
    record.response_headers = headers
    record.response_body = body
    record.save(update_fields=["status_code", "response_headers", "response_body"])


def purge_expired(*, at: datetime | None = None) -> int:
    """Delete keys past their expiry; returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=at or timezone.now()).delete()
    return deleted
