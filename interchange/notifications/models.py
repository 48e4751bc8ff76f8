"""The record of every message: what was (or is to be) sent to whom, and how sending went."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from interchange.servicedesk.models import Ticket, TicketEvent


class Notification(models.Model):
    """One message to one recipient. Written queued with the values its templates render,
    then sent by a durable job; unique per event, kind and recipient, so an event handed
    to the listener twice (a retried batch, a replay) sends nothing twice."""

    class Kind(models.TextChoices):
        # Each kind's templates live in templates/notifications/<kind>/.
        SUPPLIER_ASSIGNED = "supplier_assigned", _("Ticket assigned to a supplier")
        SLA_WARNING = "sla_warning", _("SLA breach warning")
        SLA_BREACH = "sla_breach", _("SLA breached")
        # To residents (`residents` has the table of which events send which).
        REPORT_RECEIVED = "report_received", _("Report received (to the reporter)")
        REPORT_UPDATE = "report_update", _("Report update (to the reporter)")
        REPORT_WAITING = "report_waiting", _("Waiting on the reporter")
        REPORT_CLOSED = "report_closed", _("Report closed, with the satisfaction question")
        FOLLOWER_UPDATE = "follower_update", _("Report update (to a follower)")
        # Templates in interchange/exchange/templates/notifications/<kind>/.
        WEBHOOK_DEAD_LETTER = "webhook_dead_letter", _("Webhook deliveries dead-lettered")
        WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint_disabled", _("Webhook endpoint turned off")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(
        TicketEvent,
        # The record of what was sent outlives a deleted ticket.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("timeline event"),
        # The unique constraint below leads with the event, so it serves as the index.
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    recipient = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    template = models.CharField(_("templates"), max_length=100)
    # What the templates render, as display-ready text, so a retry sends the same message.
    context = models.JSONField(_("values"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["state", "created_at"], name="notifications_state_created"),
            models.Index(fields=["-created_at", "-id"], name="notifications_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "kind", "recipient"], name="notifications_once_per_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.get_state_display()})"


class ReporterOptOut(models.Model):
    """The reporter of a ticket asked, through the unsubscribe link in an email, for no more
    email about it. (A follower's choice is kept on the follower, by the service desk.)"""

    ticket = models.OneToOneField(
        Ticket,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("ticket"),
    )
    created_at = models.DateTimeField(_("unsubscribed"))

    class Meta:
        verbose_name = _("reporter's unsubscription")
        verbose_name_plural = _("reporters' unsubscriptions")

    def __str__(self) -> str:
        return f"{self.ticket_id} unsubscribed"
