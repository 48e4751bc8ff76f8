"""API keys: issue, rotate, revoke, authenticate and rate-limit them.

A key reads `ick_<prefix>_<secret>`. Only the SHA-256 of the secret is stored: the secret is
256 random bits, so a fast hash is as safe as a slow one and costs nothing per request. The
plaintext leaves these functions once, from `api_key_create` or `api_key_rotate`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.accounts.models import ApiKey, User
from interchange.accounts.selectors import may_manage_api_keys
from interchange.core import ratelimit
from interchange.core.audit import record_change, snapshot
from interchange.suppliers.models import Supplier

KEY_LABEL = "ick"
PREFIX_BYTES = 5  # ten hex characters: enough to find the row, not a secret
SECRET_BYTES = 32
# A busy key would otherwise write its row on every request.
LAST_USED_PRECISION = timedelta(minutes=1)
_KEY_PATTERN = re.compile(
    rf"{KEY_LABEL}_(?P<prefix>[0-9a-f]{{8,16}})_(?P<secret>[A-Za-z0-9_-]{{16,128}})"
)
# Hashed when the prefix is unknown, so a miss takes as long as a wrong secret.
_NO_SUCH_KEY_HASH = hashlib.sha256(b"no such key").hexdigest()


def parse_key(presented: str) -> tuple[str, str] | None:
    """The (prefix, secret) of a well-formed key `ick_<prefix>_<secret>`, else None."""
    match = _KEY_PATTERN.fullmatch(presented.strip())
    return (match["prefix"], match["secret"]) if match else None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _audit(key: ApiKey) -> dict[str, Any]:
    # The hash is not a secret one could use, but it has no business in a change record.
    data = snapshot(key)
    data.pop("secret_hash", None)
    return data


def _require_manager(actor: User, supplier_id: int | None) -> None:
    if not may_manage_api_keys(actor, supplier_id=supplier_id):
        raise PermissionDenied(_("You may not manage this supplier’s API keys."))


def _issue(
    *,
    actor: User | None,
    name: str,
    kind: str,
    supplier_id: int | None,
    client_name: str,
    expires_at: datetime | None,
    rate_limit_per_minute: int,
    replaces: ApiKey | None,
    at: datetime,
) -> tuple[ApiKey, str]:
    prefix = secrets.token_hex(PREFIX_BYTES)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    key = ApiKey.objects.create(
        name=name,
        kind=kind,
        supplier_id=supplier_id,
        client_name=client_name,
        prefix=prefix,
        secret_hash=_hash(secret),
        rate_limit_per_minute=rate_limit_per_minute,
        created_by=actor,
        created_at=at,
        expires_at=expires_at,
        replaces=replaces,
    )
    return key, f"{KEY_LABEL}_{prefix}_{secret}"


@transaction.atomic
def api_key_create(
    *,
    actor: User,
    name: str,
    kind: str,
    supplier: Supplier | None = None,
    client_name: str = "",
    expires_at: datetime | None = None,
    rate_limit_per_minute: int = 600,
    at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its plaintext, which is never available again.

    Raises PermissionDenied unless `actor` manages keys of `supplier`, and ValidationError
    for a key that could not work (wrong scope for its kind, already expired, no limit).
    """
    at = at or timezone.now()
    supplier_id = supplier.pk if supplier is not None else None
    _require_manager(actor, supplier_id)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Enter a name for the key.")
    if kind not in ApiKey.Kind.values:
        errors["kind"] = _("Choose what the key is for.")
    elif kind == ApiKey.Kind.SUPPLIER_SYSTEM and supplier is None:
        errors["supplier"] = _("Choose the supplier whose system will use this key.")
    elif kind == ApiKey.Kind.OPEN311_CLIENT and supplier is not None:
        errors["supplier"] = _("A client application’s key belongs to no supplier.")
    if expires_at is not None and expires_at <= at:
        errors["expires_at"] = _("The expiry must be in the future.")
    if rate_limit_per_minute < 1:
        errors["rate_limit_per_minute"] = _("Allow at least one request a minute.")
    if errors:
        raise ValidationError(errors)
    key, plaintext = _issue(
        actor=actor,
        name=name.strip(),
        kind=kind,
        supplier_id=supplier_id,
        client_name=client_name.strip(),
        expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute,
        replaces=None,
        at=at,
    )
    record_change(key, actor=actor, before=None, after=_audit(key), at=at)
    return key, plaintext


@transaction.atomic
def api_key_rotate(
    *, actor: User, key: ApiKey, grace: timedelta, at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key that replaces `key`, and its plaintext; `key` keeps working for `grace`.

    The new key has the old one's name, scope and limit, and (if the old one had an expiry)
    the same lifetime from now. A key already replaced, revoked or expired cannot be rotated.
    """
    at = at or timezone.now()
    if grace < timedelta(0):
        raise ValueError("grace cannot be negative")
    # Locked, so two rotations at once cannot both replace it.
    old = ApiKey.objects.select_for_update().get(pk=key.pk)
    _require_manager(actor, old.supplier_id)
    if not old.is_usable(at):
        raise ValidationError(
            _("Only a key in use can be rotated; this one is revoked or expired.")
        )
    if ApiKey.objects.filter(replaces=old).exists():
        raise ValidationError(_("This key has already been replaced by a newer one."))
    lifetime = old.expires_at - old.created_at if old.expires_at is not None else None
    new, plaintext = _issue(
        actor=actor,
        name=old.name,
        kind=old.kind,
        supplier_id=old.supplier_id,
        client_name=old.client_name,
        expires_at=at + lifetime if lifetime is not None else None,
        rate_limit_per_minute=old.rate_limit_per_minute,
        replaces=old,
        at=at,
    )
    before = _audit(old)
    if old.expires_at is None or old.expires_at > at + grace:
        old.expires_at = at + grace
        old.save(update_fields=["expires_at"])
    reason = _("Rotated: replaced by %(prefix)s") % {"prefix": new.prefix}
    record_change(old, actor=actor, before=before, after=_audit(old), reason=reason, at=at)
    record_change(new, actor=actor, before=None, after=_audit(new), at=at)
    key.expires_at = old.expires_at
    return new, plaintext


@transaction.atomic
def api_key_revoke(*, actor: User, key: ApiKey, at: datetime | None = None) -> None:
    """Stop `key` working from `at`; revoking a revoked key changes nothing."""
    at = at or timezone.now()
    old = ApiKey.objects.select_for_update().get(pk=key.pk)
    _require_manager(actor, old.supplier_id)
    if old.revoked_at is not None:
        key.revoked_at = old.revoked_at
        return
    before = _audit(old)
    old.revoked_at = at
    old.save(update_fields=["revoked_at"])
    record_change(old, actor=actor, before=before, after=_audit(old), at=at)
    key.revoked_at = at


def api_key_authenticate(presented: str, *, at: datetime | None = None) -> ApiKey | None:
    """The usable key that `presented` is, with its supplier loaded; None for anything else.

    One query, and a second (a conditional UPDATE) at most once a minute to record its use.
    """
    match = _KEY_PATTERN.fullmatch(presented.strip()) if isinstance(presented, str) else None
    if match is None:
        return None
    at = at or timezone.now()
    presented_hash = _hash(match["secret"])
    try:
        key = ApiKey.objects.select_related("supplier").get(prefix=match["prefix"])
    except ApiKey.DoesNotExist:
        hmac.compare_digest(presented_hash, _NO_SUCH_KEY_HASH)
        return None
    if not hmac.compare_digest(presented_hash, key.secret_hash) or not key.is_usable(at):
        return None
    stale = at - LAST_USED_PRECISION
    if key.last_used_at is None or key.last_used_at <= stale:
        # Conditional, so of several processes seeing the same stale time only one writes.
        ApiKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=key.pk
        ).update(last_used_at=at)
        key.last_used_at = at
    return key


def api_key_check_rate(key: ApiKey, at: datetime | None = None) -> ratelimit.RateLimitResult:
    """Count one request by `key` against its own limit per minute."""
    return ratelimit.hit(f"api-key:{key.pk}", limit=key.rate_limit_per_minute, per=60, at=at)
