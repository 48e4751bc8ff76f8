"""Telling people about webhooks that cannot be delivered: the supplier's technical contacts
(its service managers when it has none) and every active integrator lead, by email through
`notifications.notify`, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from interchange.accounts.models import Role, User
from interchange.exchange.models import Delivery, Endpoint
from interchange.notifications.models import Notification
from interchange.notifications.services import notify
from interchange.suppliers.models import SupplierContact

# An endpoint that keeps failing sends one dead-letter email per this interval, not one per
# delivery (an outage of hours would otherwise flood the inbox).
DEAD_LETTER_EVERY = timedelta(hours=1)


def recipients(supplier_id: int) -> list[str]:
    """Who hears of a supplier's failing endpoint, each address once."""
    contacts = list(
        SupplierContact.objects.filter(
            supplier_id=supplier_id,
            role__in=[SupplierContact.Role.TECHNICAL, SupplierContact.Role.SERVICE_MANAGER],
        )
        .exclude(email="")
        .order_by("pk")
        .values_list("role", "email")
    )
    technical = [email for role, email in contacts if role == SupplierContact.Role.TECHNICAL]
    chosen = technical or [email for _role, email in contacts]
    leads = (
        User.objects.filter(role=Role.INTEGRATOR_LEAD, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    seen: dict[str, None] = {}
    for email in [*chosen, *leads]:
        seen.setdefault(email.strip().lower(), None)
    return list(seen)


def delivery_log_url(endpoint: Endpoint) -> str:
    """The endpoint's delivery log in supplier self-service (absolute, for an email)."""
    path = reverse("exchange:deliveries", args=[endpoint.supplier.code])
    return f"{settings.SITE_URL}{path}?{urlencode({'endpoint': endpoint.pk})}"


def _context(endpoint: Endpoint, error: str) -> dict[str, object]:
    return {
        "log_url": delivery_log_url(endpoint),
        "supplier": endpoint.supplier.name,
        "url": endpoint.url,
        "description": endpoint.description,
        "error": error,
        "dead_count": Delivery.objects.filter(
            endpoint=endpoint, status=Delivery.Status.DEAD
        ).count(),
    }


def dead_letter(endpoint_id: int, *, at: datetime) -> bool:
    """Tell people that the endpoint's deliveries are being dead-lettered, unless they were
    told within DEAD_LETTER_EVERY; returns whether they were told now."""
    claimed = Endpoint.objects.filter(
        Q(dead_letter_notified_at__isnull=True)
        | Q(dead_letter_notified_at__lte=at - DEAD_LETTER_EVERY),
        pk=endpoint_id,
    ).update(dead_letter_notified_at=at)
    if not claimed:
        return False
    endpoint = Endpoint.objects.select_related("supplier").get(pk=endpoint_id)
    last = (
        Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.DEAD)
        .order_by("-dead_at", "-id")
        .values_list("last_error", "attempts")
        .first()
    )
    error, attempts = last if last else ("", 0)
    with translation.override(settings.LANGUAGE_CODE):
        context = {**_context(endpoint, error), "attempts": attempts}
    for email in recipients(endpoint.supplier_id):
        notify(kind=Notification.Kind.WEBHOOK_DEAD_LETTER, recipient=email, context=context, at=at)
    return True


def endpoint_disabled(endpoint_id: int, *, reason: str, at: datetime) -> None:
    """Tell people that the receiver answered 410 Gone and the endpoint was turned off."""
    endpoint = Endpoint.objects.select_related("supplier").get(pk=endpoint_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = _context(endpoint, reason)
    for email in recipients(endpoint.supplier_id):
        notify(
            kind=Notification.Kind.WEBHOOK_ENDPOINT_DISABLED,
            recipient=email,
            context=context,
            at=at,
        )
