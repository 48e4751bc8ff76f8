"""Forms of the supplier self-service pages: an endpoint, turning one off, a system key, and
the delivery log's filters. Rules stay in the exchange's services: these forms collect input
and place the services' errors next to the fields they are about."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from interchange.exchange import guard
from interchange.exchange.models import SUBSCRIBABLE, Delivery, Endpoint, EventType
from interchange.exchange.selectors import DeliveryFilters
from interchange.exchange.selfservice import ticket_id_for


class DateInput(forms.DateInput):
    input_type = "date"


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Web address (URL)"),
        help_text=_("Where your system receives events, for example https://example.com/hooks"),
        max_length=500,
        error_messages={"required": _("Enter the web address that receives events")},
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocomplete": "url"}),
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        help_text=_("What this endpoint is, so your colleagues recognise it"),
        max_length=200,
        required=False,
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=[(str(t.value), t.label) for t in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of event to receive")},
    )

    def clean_url(self) -> str:
        # The exchange's own rule, so the address is judged even when another field is wrong.
        return guard.validate_url(self.cleaned_data["url"])

    @classmethod
    def for_endpoint(cls, endpoint: Endpoint, data: Any = None) -> EndpointForm:
        initial = {
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": list(endpoint.event_types),
        }
        return cls(data, initial=initial)


class DisableForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you turning it off?"),
        help_text=_("For example, moving to a new server. Colleagues see this on the endpoint."),
        max_length=500,
        error_messages={"required": _("Say why the endpoint is turned off")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the key"),
        help_text=_("Which system uses it, for example Works management system"),
        max_length=200,
        error_messages={"required": _("Enter a name for the key")},
    )


STATUS_CHOICES = [("", _("Any status")), *Delivery.Status.choices]
EVENT_CHOICES = [("", _("Any event")), *[(str(t.value), t.label) for t in EventType]]


class DeliveryFilterForm(forms.Form):
    """The log's filters (all optional). The endpoints offered are the supplier's own."""

    endpoint = forms.TypedChoiceField(label=_("Endpoint"), coerce=int, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    event_type = forms.ChoiceField(label=_("Event"), choices=EVENT_CHOICES, required=False)
    ticket = forms.CharField(
        label=_("Ticket reference"),
        help_text=_("For example, INC-004213"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
    )
    since = forms.DateField(
        label=_("Created from"),
        required=False,
        widget=DateInput,
        error_messages={"invalid": _("Created from must be a real date")},
    )
    until = forms.DateField(
        label=_("Created to"),
        required=False,
        widget=DateInput,
        error_messages={"invalid": _("Created to must be a real date")},
    )

    def __init__(self, data: Any, *, endpoints: list[Endpoint]) -> None:
        super().__init__(data)
        field = self.fields["endpoint"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Any endpoint")), *[(e.pk, e.url) for e in endpoints]]

    def clean_ticket(self) -> str:
        text = str(self.cleaned_data.get("ticket") or "").strip()
        if text and ticket_id_for(text) is None:
            raise ValidationError(_("Enter a ticket reference, for example INC-004213"))
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since: date | None = data.get("since")
        until: date | None = data.get("until")
        if since and until and until < since:
            self.add_error("until", _("Created to must be the same as or after created from"))
        return data

    def filters(self, supplier_id: int) -> DeliveryFilters:
        """The filters for the supplier's log (call after is_valid())."""
        data = self.cleaned_data
        ticket = data.get("ticket") or ""
        return DeliveryFilters(
            supplier_id=supplier_id,
            endpoint_id=data.get("endpoint") or None,
            status=data.get("status") or None,
            event_type=data.get("event_type") or None,
            ticket_id=ticket_id_for(ticket) if ticket else None,
            since=data.get("since"),
            until=data.get("until"),
        )
