"""Reads of the exchange's records for pages and APIs: endpoints, and the delivery log with
filters and keyset pagination (each filter served by an index on (filter, -created_at,
-id), so any page is one index range scan, at any depth, at millions of rows)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from interchange.accounts.models import INTEGRATOR_ROLES, Role, User
from interchange.exchange.models import Delivery, Endpoint
from interchange.servicedesk.models import Ticket

PAGE_SIZE = 50


def _scope_supplier(actor: Any) -> int | bool | None:
    """None: every supplier; an id: that supplier only; False: nothing."""
    if not isinstance(actor, User) or not actor.is_active:
        return False
    if actor.role in INTEGRATOR_ROLES:
        return None
    if actor.role in (Role.SUPPLIER_ADMIN, Role.SUPPLIER_AGENT) and actor.supplier_id:
        return actor.supplier_id
    return False


def endpoints_for(actor: Any, *, supplier_id: int | None = None) -> QuerySet[Endpoint]:
    """The endpoints `actor` may see (integrator staff: all; a supplier's people: their own),
    optionally of one supplier."""
    scope = _scope_supplier(actor)
    endpoints = Endpoint.objects.select_related("supplier").order_by("supplier__name", "id")
    if scope is False:
        return endpoints.none()
    if scope is not None:
        endpoints = endpoints.filter(supplier_id=scope)
    if supplier_id is not None:
        endpoints = endpoints.filter(supplier_id=supplier_id)
    return endpoints


@dataclass(frozen=True)
class DeliveryFilters:
    supplier_id: int | None = None
    endpoint_id: int | None = None
    status: str | None = None
    ticket_id: int | None = None
    event_type: str | None = None
    # Created on or after `since`, and before the day after `until` (local dates).
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class DeliveryPage:
    items: list[Delivery]
    # Pass as `after` for the next (older) page; None on the last page.
    next_cursor: str | None
    filters: DeliveryFilters = field(default_factory=DeliveryFilters)


def encode_cursor(delivery: Delivery) -> str:
    raw = f"{delivery.created_at.isoformat()}|{delivery.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The (created_at, id) a cursor stands for; None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.split("|", 1)
        when = datetime.fromisoformat(stamp)
        if when.tzinfo is None:
            return None
        return when, int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def deliveries(actor: Any, filters: DeliveryFilters | None = None) -> QuerySet[Delivery]:
    """The deliveries `actor` may see, filtered, newest first."""
    filters = filters or DeliveryFilters()
    scope = _scope_supplier(actor)
    rows = Delivery.objects.all()
    if scope is False:
        return rows.none()
    if scope is not None:
        rows = rows.filter(supplier_id=scope)
    conditions = {
        "supplier_id": filters.supplier_id,
        "endpoint_id": filters.endpoint_id,
        "status": filters.status,
        "ticket_id": filters.ticket_id,
        "event_type": filters.event_type,
    }
    rows = rows.filter(**{k: v for k, v in conditions.items() if v is not None})
    if filters.since is not None:
        rows = rows.filter(created_at__gte=_day_start(filters.since))
    if filters.until is not None:
        rows = rows.filter(created_at__lt=_day_start(filters.until + timedelta(days=1)))
    return rows.select_related("endpoint", "supplier", "ticket").order_by("-created_at", "-id")


def delivery_page(
    actor: Any,
    filters: DeliveryFilters | None = None,
    *,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> DeliveryPage:
    """One page of the delivery log (one query): up to `limit` deliveries older than the
    cursor `after` (a bad cursor starts from the newest)."""
    filters = filters or DeliveryFilters()
    rows = deliveries(actor, filters)
    position = decode_cursor(after) if after else None
    if position is not None:
        when, pk = position
        rows = rows.filter(Q(created_at__lt=when) | Q(created_at=when, pk__lt=pk))
    items = list(rows[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return DeliveryPage(
        items=items,
        next_cursor=encode_cursor(items[-1]) if more and items else None,
        filters=filters,
    )


def deliveries_for_ticket(ticket: Ticket, actor: Any, *, limit: int = PAGE_SIZE) -> list[Delivery]:
    """The ticket's most recent deliveries that `actor` may see (integrator staff: to every
    supplier; a supplier's people: to their own endpoints), newest first, in one query. The
    caller has fetched the ticket through `visibility.visible_to`."""
    return list(deliveries(actor, DeliveryFilters(ticket_id=ticket.pk))[:limit])


def delivery_for(actor: Any, delivery_id: int) -> Delivery | None:
    """One delivery, if `actor` may see it."""
    return deliveries(actor).filter(pk=delivery_id).first()
