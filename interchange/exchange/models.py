"""The exchange's records of outbound webhooks to supplier systems.

- `Endpoint`: a URL of one supplier's system that receives the events it subscribed to
  (`event_types`), on or off (`active`, with why and when it was turned off: by a person, or
  by the receiver answering 410 Gone).
- `EndpointSecret`: a signing secret of an endpoint. Signing needs the secret itself, so it
  cannot be stored hashed; instead the row keeps only a random salt, and the secret is
  derived from it and the server's `EXCHANGE_SECRETS_KEY` (HMAC-SHA256) when it is shown
  once at creation and whenever a message is signed. A copy of the database alone therefore
  reveals no secret. During a rotation two secrets are active and every message carries a
  signature by each; the old one stops at `expires_at`, or at once when retired.
- `Delivery`: one timeline event (or a test event) to one endpoint, with the exact body sent,
  its state (pending → delivering → delivered; failed = an attempt failed and another is
  scheduled; dead = given up, replayable), attempts, the next attempt, and what the last
  attempt got back. Per ticket and endpoint only the earliest unfinished delivery is due;
  the later ones wait with no `next_attempt_at` until it is delivered or dead (see
  `delivery.py`), so the due scan never walks over blocked rows.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from interchange.servicedesk.models import Ticket, TicketEvent
from interchange.suppliers.models import Supplier


class EventType(models.TextChoices):
    """What a supplier's endpoint can subscribe to."""

    ASSIGNED = "ticket.assigned", _("A ticket is assigned to the supplier")
    UPDATED = "ticket.updated", _("A ticket the supplier holds is updated")
    NOTE_ADDED = "ticket.note_added", _("A note is added to a ticket the supplier holds")
    UNASSIGNED = "ticket.unassigned", _("A ticket is reassigned away from the supplier")
    CLOSED = "ticket.closed", _("A ticket the supplier holds is closed")
    CANCELLED = "ticket.cancelled", _("A ticket the supplier holds is cancelled")
    # Sent on request from the self-service pages; every endpoint receives it.
    TEST = "endpoint.test", _("Test event")


SUBSCRIBABLE = [choice for choice in EventType if choice != EventType.TEST]


class Endpoint(models.Model):
    """A supplier system's webhook receiver."""

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="endpoints", verbose_name=_("supplier")
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # A list of EventType values (never TEST: every endpoint gets test events on request).
    event_types = models.JSONField(_("event types"), default=list)
    active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("why it was turned off"), max_length=500, blank=True)
    disabled_at = models.DateTimeField(_("turned off"), null=True, blank=True)
    # When the supplier and the integrator leads were last told of dead-lettered deliveries,
    # so an endpoint down for hours sends one email an hour rather than one per delivery.
    dead_letter_notified_at = models.DateTimeField(
        _("dead letters last reported"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["supplier", "id"]
        indexes = [models.Index(fields=["supplier", "active"], name="exchange_endpoint_supplier")]

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        """Whether this endpoint receives events of `event_type` (test events: always)."""
        return event_type == EventType.TEST or event_type in self.event_types


class EndpointSecret(models.Model):
    """A signing secret, kept as the salt it is derived from (see the module docstring)."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="secrets", verbose_name=_("endpoint")
    )
    salt = models.CharField(max_length=64, unique=True)
    # The secret's last characters, so people can tell secrets apart without seeing one.
    hint = models.CharField(_("ends with"), max_length=8)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("signing secret")
        verbose_name_plural = _("signing secrets")
        ordering = ["endpoint", "-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["endpoint", "created_at"],
                condition=Q(retired_at__isnull=True),
                name="exchange_secret_live",
            )
        ]

    def __str__(self) -> str:
        return f"whsec_…{self.hint}"


class Delivery(models.Model):
    """One event to one endpoint, retried until delivered or dead."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Delivering")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Dead-lettered")

    # Standard Webhooks' webhook-id: the same on every attempt and replay, so receivers can
    # deduplicate; one timeline event has one id at every endpoint.
    message_id = models.CharField(_("event id"), max_length=64)
    event = models.ForeignKey(
        TicketEvent,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("timeline event"),
        # The unique constraint below leads with the event, so it serves as the index.
        db_index=False,
    )
    event_type = models.CharField(_("event type"), max_length=30, choices=EventType.choices)
    endpoint = models.ForeignKey(
        Endpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
        db_index=False,
    )
    # The endpoint's supplier, copied so the log filters by supplier without a join.
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("supplier"),
        db_index=False,
    )
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
        db_index=False,
    )
    # The ticket's version after the event: deliveries of a ticket to an endpoint go in
    # this order.
    sequence = models.PositiveIntegerField(_("ticket version"), default=0)
    occurred_at = models.DateTimeField(_("event time"))
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # None while it waits behind an earlier delivery of the same ticket to the same endpoint.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_response_ms = models.PositiveIntegerField(_("last response time (ms)"), null=True)
    created_at = models.DateTimeField(_("created"))
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    dead_at = models.DateTimeField(_("dead-lettered"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            # Fan-out is idempotent: one delivery per timeline event and endpoint.
            models.UniqueConstraint(fields=["event", "endpoint"], name="exchange_delivery_once"),
        ]
        indexes = [
            # The worker's due scan: only unfinished rows that are not waiting are indexed.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(
                    status__in=["pending", "delivering", "failed"], next_attempt_at__isnull=False
                ),
                name="exchange_delivery_due",
            ),
            # Per ticket and endpoint: the unfinished chain (is an earlier one still open?
            # which waiting one comes next?).
            models.Index(
                fields=["endpoint", "ticket", "sequence"],
                condition=Q(status__in=["pending", "delivering", "failed"]),
                name="exchange_delivery_chain",
            ),
            # Waiting rows (behind an earlier delivery), for the safety-net scan.
            models.Index(
                fields=["id"],
                condition=Q(status="pending", next_attempt_at__isnull=True),
                name="exchange_delivery_waiting",
            ),
            # The delivery log, newest first, keyset by (created_at, id), per filter.
            models.Index(fields=["-created_at", "-id"], name="exchange_delivery_log"),
            models.Index(
                fields=["supplier", "-created_at", "-id"], name="exchange_delivery_supplier"
            ),
            models.Index(
                fields=["endpoint", "-created_at", "-id"], name="exchange_delivery_endpoint"
            ),
            models.Index(
                fields=["endpoint", "status", "-created_at", "-id"],
                name="exchange_delivery_ep_status",
            ),
            models.Index(
                fields=["supplier", "status", "-created_at", "-id"],
                name="exchange_delivery_sup_status",
            ),
            models.Index(
                fields=["supplier", "event_type", "-created_at", "-id"],
                name="exchange_delivery_sup_type",
            ),
            models.Index(fields=["ticket", "-created_at", "-id"], name="exchange_delivery_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} → {self.endpoint_id}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DELIVERED, self.Status.DEAD)


UNFINISHED = [Delivery.Status.PENDING, Delivery.Status.DELIVERING, Delivery.Status.FAILED]
