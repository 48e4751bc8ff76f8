"""What the front door keeps of its own: what an Open311 client sent with a report beyond the
ticket's fields, and the token a batch service answers a new report with."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import ApiKey
from interchange.servicedesk.models import Ticket


class Open311Request(models.Model):
    """A report made through Open311: which client key sent it, the client's own ids for the
    reporter and device, a photo it holds elsewhere, and its token (batch services only)."""

    ticket = models.OneToOneField(
        Ticket,
        on_delete=models.CASCADE,
        related_name="open311_request",
        verbose_name=_("ticket"),
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, related_name="+", verbose_name=_("API key")
    )
    # Random, so it reveals nothing; unique, so GET tokens/{token} finds one report.
    token = models.CharField(_("token"), max_length=64, unique=True, null=True, blank=True)
    account_id = models.CharField(_("client's account id"), max_length=100, blank=True)
    device_id = models.CharField(_("client's device id"), max_length=100, blank=True)
    media_url = models.URLField(_("photo held by the client"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("received"))

    class Meta:
        verbose_name = _("Open311 report")
        verbose_name_plural = _("Open311 reports")

    def __str__(self) -> str:
        return str(self.ticket_id)
