"""Who may use the supplier self-service pages, and the reads those pages need that the
exchange's services and selectors do not give: the suppliers a person may choose between,
their endpoints and API keys (404 for another supplier's), and what a delivery sent.

A supplier's administrators use the pages for their own supplier; integrator staff for every
supplier. Anyone else signed in is refused (403); a person who may use the pages but asks for
another supplier's records gets 404, so nothing tells them those records exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.accounts.models import INTEGRATOR_ROLES, ApiKey, Role, User
from interchange.accounts.selectors import api_keys_manageable_by, may_manage_api_keys
from interchange.exchange import delivery as sending
from interchange.exchange.models import Delivery, Endpoint, EndpointSecret
from interchange.exchange.selectors import delivery_for, endpoints_for
from interchange.exchange.services import can_manage
from interchange.servicedesk.search import parse_reference
from interchange.suppliers.models import Supplier


def may_use(actor: Any) -> bool:
    """Whether `actor` may use the self-service pages at all (for some supplier)."""
    if not isinstance(actor, User) or not actor.is_active:
        return False
    if actor.role in INTEGRATOR_ROLES:
        return True
    return actor.role == Role.SUPPLIER_ADMIN and actor.supplier_id is not None


def require_use(actor: Any) -> User:
    """`actor` as a person who may use the pages; PermissionDenied (403) for anyone else."""
    if not may_use(actor):
        raise PermissionDenied(_("Only supplier administrators and integrator staff manage this."))
    assert isinstance(actor, User)
    return actor


def suppliers_for(actor: Any) -> QuerySet[Supplier]:
    """The suppliers `actor` may manage, by name, each with its number of endpoints."""
    suppliers = Supplier.objects.annotate(endpoint_count=Count("endpoints")).order_by("name")
    if not may_use(actor):
        return suppliers.none()
    if actor.role in INTEGRATOR_ROLES:
        return suppliers
    return suppliers.filter(pk=actor.supplier_id)


def supplier_or_404(actor: Any, code: str) -> Supplier:
    """Supplier `code` if `actor` manages it: 403 for people who use no self-service, 404 for
    a supplier that is not theirs (or does not exist)."""
    person = require_use(actor)
    supplier = Supplier.objects.filter(code=code).first()
    if supplier is None or not can_manage(person, supplier.pk):
        raise Http404
    return supplier


def endpoint_or_404(actor: Any, supplier: Supplier, pk: int) -> Endpoint:
    """One of `supplier`'s endpoints that `actor` may see, else 404."""
    endpoint = endpoints_for(actor, supplier_id=supplier.pk).filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


def secret_or_404(endpoint: Endpoint, pk: int) -> EndpointSecret:
    secret = EndpointSecret.objects.filter(endpoint=endpoint, pk=pk).first()
    if secret is None:
        raise Http404
    secret.endpoint = endpoint
    return secret


def delivery_or_404(actor: Any, supplier: Supplier, pk: int) -> Delivery:
    """One of `supplier`'s deliveries that `actor` may see, else 404."""
    found = delivery_for(actor, pk)
    if found is None or found.supplier_id != supplier.pk:
        raise Http404
    return found


def may_manage_keys(actor: Any, supplier: Supplier) -> bool:
    """Whether `actor` may create and revoke `supplier`'s system keys (integrator agents
    manage webhooks but not keys)."""
    return may_manage_api_keys(actor, supplier_id=supplier.pk)


def keys_for(actor: Any, supplier: Supplier) -> QuerySet[ApiKey]:
    """`supplier`'s system keys that `actor` manages, newest first."""
    keys = ApiKey.objects.filter(supplier=supplier, kind=ApiKey.Kind.SUPPLIER_SYSTEM)
    return (
        api_keys_manageable_by(actor, keys)
        .select_related("replaced_by", "supplier")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class KeyRow:
    key: ApiKey
    state: str
    # Neither revoked, expired nor already replaced: it can be rotated or revoked.
    current: bool


def keys_shown(actor: Any, supplier: Supplier) -> list[KeyRow]:
    """The supplier's keys for the overview, each with its state now."""
    now = timezone.now()
    rows = []
    for key in keys_for(actor, supplier):
        state = key.status(now)
        rows.append(KeyRow(key, str(state.label), state == ApiKey.Status.ACTIVE))
    return rows


def key_or_404(actor: Any, supplier: Supplier, pk: int) -> ApiKey:
    key = keys_for(actor, supplier).filter(pk=pk).first()
    if key is None:
        raise Http404
    return key


def secrets_of(endpoint: Endpoint) -> list[EndpointSecret]:
    """Every secret of the endpoint, newest first (the salt stays on the server)."""
    return list(EndpointSecret.objects.filter(endpoint=endpoint).order_by("-created_at", "-id"))


def secret_is_active(secret: EndpointSecret) -> bool:
    now = timezone.now()
    return secret.retired_at is None and (secret.expires_at is None or secret.expires_at > now)


def dead_count(endpoint: Endpoint) -> int:
    return Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.DEAD).count()


def ticket_id_for(reference: str) -> int | None:
    """The ticket id a reference such as INC-000123 names; None when it names none."""
    parsed = parse_reference(reference)
    return None if parsed is None else parsed[1]


@dataclass(frozen=True)
class SentHeader:
    name: str
    value: str


def headers_sent(delivery: Delivery) -> list[SentHeader]:
    """The headers each attempt of `delivery` carries, without the signatures themselves
    (they prove possession of the secret and are made afresh for each attempt)."""
    host = urlsplit(delivery.endpoint.url).netloc
    return [
        SentHeader("Host", host),
        SentHeader("Content-Type", "application/json"),
        SentHeader("User-Agent", sending.USER_AGENT),
        SentHeader("webhook-id", delivery.message_id),
        SentHeader("webhook-timestamp", _("the time of each attempt, in seconds since 1970 (UTC)")),
        SentHeader(
            "webhook-signature",
            _("v1,… one signature for each active signing secret (not shown)"),
        ),
    ]


def pretty_body(delivery: Delivery) -> str:
    """The body as sent, indented for reading (the exact text is what was signed)."""
    try:
        return json.dumps(json.loads(delivery.body), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return delivery.body


def replayable(delivery: Delivery) -> bool:
    """Whether the replay button is offered: the delivery finished (dead, or delivered and
    wanted again) or failed and waits for its next attempt, and its endpoint is on."""
    return delivery.status in REPLAYABLE and bool(delivery.endpoint.active)


REPLAYABLE = (Delivery.Status.DEAD, Delivery.Status.DELIVERED, Delivery.Status.FAILED)


def delivery_retry_now(*, actor: Any, delivery: Delivery, at: datetime | None = None) -> bool:
    """Bring a failed delivery's next attempt forward to now (the exchange's services replay
    only finished deliveries; a failed one is still being sent, on its backoff schedule).
    False when it is no longer failed and waiting, such as when a worker has just taken it."""
    if not can_manage(actor, delivery.supplier_id):
        raise PermissionDenied(_("You cannot manage this supplier's webhooks."))
    at = at or timezone.now()
    waiting = Q(locked_until__isnull=True) | Q(locked_until__lte=at)
    moved = Delivery.objects.filter(
        waiting,
        pk=delivery.pk,
        status=Delivery.Status.FAILED,
        next_attempt_at__gt=at,
    ).update(next_attempt_at=at)
    return moved == 1
