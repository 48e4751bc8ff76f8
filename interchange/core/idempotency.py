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

from django.db import connection, transaction
from django.http import HttpRequest
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


def form_fingerprint(request: HttpRequest) -> str:
    """A fingerprint of a form or multipart request: its method, path, fields, and files by
    name and content (never by the multipart boundary, which changes on every retry)."""
    parts: list[str | bytes] = [request.method or "", request.path]
    for name in sorted(request.POST):
        for value in request.POST.getlist(name):
            parts += [name, value]
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            parts += [name, upload.name or "", digest.hexdigest()]
    return fingerprint(*parts)


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
    # The usual case, a new key, is one statement: an insert that does nothing when the key
    # is taken. On PostgreSQL a concurrent insert of the same key waits here until the other
    # transaction ends, then does nothing if that one committed. No savepoint is needed: a
    # conflict is not an error.
    created = _insert(scope, key, request_fingerprint, at, keep_for)
    if created is not None:
        return created
    with transaction.atomic(savepoint=False):
        existing = IdempotencyKey.objects.select_for_update().filter(scope=scope, key=key).first()
        if existing is not None and existing.expires_at <= at:
            # An expired key is forgotten: this request starts afresh under it.
            existing.delete()
            existing = None
        if existing is None:
            created = _insert(scope, key, request_fingerprint, at, keep_for)
            if created is not None:
                return created
            # Taken again meanwhile by a request that has now committed; this is its repeat.
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


def _insert(
    scope: str, key: str, request_fingerprint: str, at: datetime, keep_for: timedelta
) -> IdempotencyKey | None:
    """A new in-progress key, or None when (scope, key) is already taken."""
    record = IdempotencyKey(
        scope=scope,
        key=key,
        fingerprint=request_fingerprint,
        created_at=at,
        expires_at=at + keep_for,
    )
    meta = IdempotencyKey._meta
    pk_column = next(f.column for f in meta.concrete_fields if f.primary_key)
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    values = [f.get_db_prep_save(f.pre_save(record, add=True), connection) for f in fields]
    column_of = {f.name: f.column for f in fields}
    unique = ", ".join(quote(column_of[name]) for name in ("scope", "key"))
    # Constant SQL from the model's own names; the values travel as bound parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({unique}) DO NOTHING RETURNING {quote(pk_column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    record.pk = row[0]
    record._state.adding = False
    record._state.db = connection.alias
    return record


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
