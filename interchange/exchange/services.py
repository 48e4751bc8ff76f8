"""Managing webhook endpoints, their signing secrets and their deliveries: the functions the
self-service pages, the admin and the supplier simulator call.

Who may: integrator staff (agents, leads, administrators) for every supplier; a supplier's
administrators for their own supplier. Every change is recorded in the audit trail (never a
secret: only its last characters). A new secret is returned once, by the call that creates
it; nothing shows it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.accounts.models import INTEGRATOR_ROLES, Role, User
from interchange.core.audit import record_change, snapshot
from interchange.exchange import delivery as sending
from interchange.exchange import envelope, guard, signing
from interchange.exchange.models import (
    SUBSCRIBABLE,
    UNFINISHED,
    Delivery,
    Endpoint,
    EndpointSecret,
    EventType,
)
from interchange.suppliers.models import Supplier

# Two secrets at most are active: the current one and, during a rotation, the one before.
MAX_ACTIVE_SECRETS = 2
# How long the old secret keeps signing after a rotation, so receivers can switch over.
ROTATION_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True)
class NewSecret:
    """A secret just created: `secret` is its only showing."""

    record: EndpointSecret
    secret: str


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: Endpoint
    secret: NewSecret


def can_manage(actor: Any, supplier_id: int) -> bool:
    """Whether `actor` may manage the webhooks of supplier `supplier_id` and see its log."""
    if not isinstance(actor, User) or not actor.is_active:
        return False
    if actor.role in INTEGRATOR_ROLES:
        return True
    return actor.role == Role.SUPPLIER_ADMIN and actor.supplier_id == supplier_id


def _require(actor: Any, supplier_id: int) -> None:
    if not can_manage(actor, supplier_id):
        raise PermissionDenied(_("You cannot manage this supplier's webhooks."))


def _clean(
    *, url: str, description: str, event_types: list[str] | tuple[str, ...]
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    try:
        url = guard.validate_url(url)
    except ValidationError as exc:
        errors["url"] = list(exc.messages)
    description = (description or "").strip()
    if len(description) > 200:
        errors["description"] = [_("Keep the description to 200 characters or fewer.")]
    chosen = list(dict.fromkeys(event_types or []))
    known = {str(t) for t in SUBSCRIBABLE}
    unknown = [t for t in chosen if t not in known]
    if not chosen:
        errors["event_types"] = [_("Choose at least one kind of event to receive.")]
    elif unknown:
        errors["event_types"] = [
            _("Unknown event types: %(types)s.") % {"types": ", ".join(unknown)}
        ]
    if errors:
        raise ValidationError(errors)
    ordered = [str(t) for t in SUBSCRIBABLE if str(t) in chosen]
    return {"url": url, "description": description, "event_types": ordered}


def endpoint_create(
    *,
    actor: Any,
    supplier: Supplier,
    url: str,
    event_types: list[str] | tuple[str, ...],
    description: str = "",
    at: datetime | None = None,
) -> NewEndpoint:
    """Add an endpoint with its first signing secret (returned once)."""
    _require(actor, supplier.pk)
    at = at or timezone.now()
    values = _clean(url=url, description=description, event_types=event_types)
    with transaction.atomic():
        endpoint = Endpoint.objects.create(
            supplier=supplier, created_at=at, updated_at=at, **values
        )
        record_change(endpoint, actor=actor, before=None, after=snapshot(endpoint), at=at)
        secret = _add_secret(endpoint, actor=actor, at=at)
    return NewEndpoint(endpoint=endpoint, secret=secret)


def endpoint_update(
    *,
    actor: Any,
    endpoint: Endpoint,
    url: str | None = None,
    description: str | None = None,
    event_types: list[str] | tuple[str, ...] | None = None,
    at: datetime | None = None,
) -> Endpoint:
    """Change an endpoint's URL, description or event types (None: unchanged)."""
    _require(actor, endpoint.supplier_id)
    at = at or timezone.now()
    values = _clean(
        url=endpoint.url if url is None else url,
        description=endpoint.description if description is None else description,
        event_types=endpoint.event_types if event_types is None else event_types,
    )
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = snapshot(locked)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.updated_at = at
        locked.save()
        record_change(locked, actor=actor, before=before, after=snapshot(locked), at=at)
    return locked


def endpoint_disable(
    *, actor: Any, endpoint: Endpoint, reason: str, at: datetime | None = None
) -> Endpoint:
    """Turn an endpoint off: nothing more is sent to it, and what it still had to receive is
    dead-lettered (replayable once it is back on)."""
    _require(actor, endpoint.supplier_id)
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the endpoint is turned off.")]})
    with transaction.atomic():
        before = snapshot(endpoint)
        sending.endpoint_disable(endpoint, reason=reason, at=at, tell=False)
        endpoint.refresh_from_db()
        record_change(
            endpoint, actor=actor, before=before, after=snapshot(endpoint), reason=reason, at=at
        )
    return endpoint


def endpoint_enable(*, actor: Any, endpoint: Endpoint, at: datetime | None = None) -> Endpoint:
    """Turn an endpoint back on (its dead-lettered deliveries stay until replayed)."""
    _require(actor, endpoint.supplier_id)
    at = at or timezone.now()
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = snapshot(locked)
        locked.active = True
        locked.disabled_reason = ""
        locked.disabled_at = None
        locked.updated_at = at
        locked.save()
        record_change(locked, actor=actor, before=before, after=snapshot(locked), at=at)
    return locked


def _secret_audit(secret: EndpointSecret) -> dict[str, Any]:
    # Never the salt: with the server's key it is the secret.
    return {
        "endpoint": secret.endpoint_id,
        "hint": secret.hint,
        "expires_at": secret.expires_at.isoformat() if secret.expires_at else None,
        "retired_at": secret.retired_at.isoformat() if secret.retired_at else None,
    }


def active_secrets(endpoint: Endpoint, at: datetime | None = None) -> list[EndpointSecret]:
    """The endpoint's secrets that sign messages now, newest first."""
    at = at or timezone.now()
    return list(
        EndpointSecret.objects.filter(endpoint=endpoint, retired_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))
        .order_by("-created_at", "-id")
    )


def _add_secret(endpoint: Endpoint, *, actor: Any, at: datetime) -> NewSecret:
    salt = signing.new_salt()
    secret = signing.secret_for(salt)
    record = EndpointSecret.objects.create(
        endpoint=endpoint, salt=salt, hint=signing.hint_for(secret), created_at=at
    )
    record_change(record, actor=actor, before=None, after=_secret_audit(record), at=at)
    return NewSecret(record=record, secret=secret)


def secret_add(*, actor: Any, endpoint: Endpoint, at: datetime | None = None) -> NewSecret:
    """Add a signing secret beside the current one (at most two are active); returned once."""
    _require(actor, endpoint.supplier_id)
    at = at or timezone.now()
    with transaction.atomic():
        Endpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        if len(active_secrets(endpoint, at)) >= MAX_ACTIVE_SECRETS:
            raise ValidationError(
                _("This endpoint already has two active secrets. Retire one before adding another.")
            )
        return _add_secret(endpoint, actor=actor, at=at)


def secret_rotate(
    *,
    actor: Any,
    endpoint: Endpoint,
    overlap: timedelta = ROTATION_OVERLAP,
    at: datetime | None = None,
) -> NewSecret:
    """Start a rotation: a new secret (returned once) signs from now on, beside the newest
    old one until `overlap` has passed; any other old one is retired now."""
    _require(actor, endpoint.supplier_id)
    at = at or timezone.now()
    with transaction.atomic():
        Endpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        current = active_secrets(endpoint, at)
        for index, old in enumerate(current):
            before = _secret_audit(old)
            if index == 0:
                expires = at + overlap
                old.expires_at = min(old.expires_at, expires) if old.expires_at else expires
            else:
                old.retired_at = at
            old.save(update_fields=["expires_at", "retired_at"])
            record_change(old, actor=actor, before=before, after=_secret_audit(old), at=at)
        return _add_secret(endpoint, actor=actor, at=at)


def secret_retire(
    *, actor: Any, secret: EndpointSecret, at: datetime | None = None
) -> EndpointSecret:
    """Stop signing with a secret now. The endpoint's last active secret cannot be retired
    (messages would go unsigned): add or rotate first."""
    _require(actor, secret.endpoint.supplier_id)
    at = at or timezone.now()
    with transaction.atomic():
        Endpoint.objects.select_for_update().filter(pk=secret.endpoint_id).first()
        live = active_secrets(secret.endpoint, at)
        if secret.pk in {s.pk for s in live} and len(live) <= 1:
            raise ValidationError(
                _("This is the endpoint's only active secret. Rotate it instead of retiring it.")
            )
        before = _secret_audit(secret)
        if secret.retired_at is None:
            secret.retired_at = at
            secret.save(update_fields=["retired_at"])
            record_change(secret, actor=actor, before=before, after=_secret_audit(secret), at=at)
    return secret


def endpoint_send_test(*, actor: Any, endpoint: Endpoint, at: datetime | None = None) -> Delivery:
    """Queue a test event to the endpoint (due now, signed like any other)."""
    _require(actor, endpoint.supplier_id)
    at = at or timezone.now()
    if not endpoint.active:
        raise ValidationError(_("Turn the endpoint on before sending it a test event."))
    message_id = envelope.message_id_for_test()
    body = envelope.dumps(
        envelope.test_envelope(message_id=message_id, at=at, supplier=endpoint.supplier)
    )
    return Delivery.objects.create(
        message_id=message_id,
        event_type=EventType.TEST,
        endpoint=endpoint,
        supplier_id=endpoint.supplier_id,
        occurred_at=at,
        body=body,
        next_attempt_at=at,
        created_at=at,
    )


def delivery_replay(*, actor: Any, delivery: Delivery, at: datetime | None = None) -> Delivery:
    """Send a delivery again (the same event id and body, its attempts counted afresh). It
    keeps its place per ticket: it waits if an earlier delivery of the ticket is unfinished."""
    _require(actor, delivery.supplier_id)
    at = at or timezone.now()
    if not delivery.endpoint.active:
        raise ValidationError(_("Turn the endpoint on before replaying its deliveries."))
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status in UNFINISHED:
            raise ValidationError(_("This delivery is still being sent; it needs no replay."))
        waits = (
            locked.ticket_id is not None
            and Delivery.objects.filter(
                endpoint_id=locked.endpoint_id,
                ticket_id=locked.ticket_id,
                status__in=UNFINISHED,
                sequence__lt=locked.sequence,
            ).exists()
        )
        _reset(Delivery.objects.filter(pk=locked.pk), next_attempt_at=None if waits else at)
    locked.refresh_from_db()
    return locked


def endpoint_replay_dead(*, actor: Any, endpoint: Endpoint, at: datetime | None = None) -> int:
    """Send every dead-lettered delivery of the endpoint again, each ticket's in order;
    returns how many."""
    _require(actor, endpoint.supplier_id)
    at = at or timezone.now()
    if not endpoint.active:
        raise ValidationError(_("Turn the endpoint on before replaying its deliveries."))
    with transaction.atomic():
        Endpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        dead = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.DEAD)
        count = _reset(dead, next_attempt_at=None)
        sending.release_heads(Delivery.objects.filter(endpoint=endpoint), at=at)
    return count


def _reset(deliveries: Any, *, next_attempt_at: datetime | None) -> int:
    return int(
        deliveries.update(
            status=Delivery.Status.PENDING,
            attempts=0,
            next_attempt_at=next_attempt_at,
            locked_until=None,
            locked_by="",
            dead_at=None,
            delivered_at=None,
        )
    )
