"""Forms of the ticket page's actions and of logging a ticket on someone's behalf.

Every action form carries the ticket `version` it was rendered with, so the service desk can
refuse a change made to a ticket that has moved on since (a stale form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import INTEGRATOR_ROLES, SUPPLIER_ROLES, User
from interchange.catalogue.models import Service
from interchange.core.priorities import Level, Priority
from interchange.servicedesk.models import (
    Channel,
    ContactPreference,
    ResolutionCode,
    Ticket,
    TicketLink,
    TicketType,
)
from interchange.servicedesk.search import parse_reference
from interchange.servicedesk.visibility import visible_to
from interchange.suppliers.models import Supplier

DESK = "desk"
KEEP = ""
REASON_WIDGET = forms.Textarea(attrs={"rows": 3})


class VersionedForm(forms.Form):
    """An action on one ticket as it was at `version`."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, ticket: Ticket, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.user = user


class ConfirmForm(VersionedForm):
    """An action that needs nothing but a press of the button (acknowledge, start, close)."""


class AssignForm(VersionedForm):
    holder = forms.CharField(
        label=_("Holder"),
        required=False,
        widget=forms.Select,
        help_text=_("Who works the ticket: the integrator's desk or a supplier."),
    )
    assignee = forms.CharField(
        label=_("Person"), required=False, widget=forms.Select, help_text=_("Optional.")
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=REASON_WIDGET,
        help_text=_("Needed to hand the ticket to another holder."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ticket, user = self.ticket, self.user
        current = ticket.holder_supplier.name if ticket.holder_supplier else _("Integrator desk")
        holders: list[tuple[str, Any]] = [(KEEP, _("Keep with %(holder)s") % {"holder": current})]
        if ticket.holder_supplier_id is not None:
            holders.append((DESK, _("Integrator desk")))
        if user.is_integrator:
            holders += [
                (str(pk), name)
                for pk, name in Supplier.objects.filter(active=True)
                .exclude(pk=ticket.holder_supplier_id or 0)
                .order_by("name")
                .values_list("pk", "name")
            ]
        self.fields["holder"].widget.choices = holders
        self.fields["assignee"].widget.choices = [(KEEP, _("Nobody in particular"))] + [
            (str(person.pk), person.get_full_name() or person.get_username())
            for person in _assignable(user, ticket)
        ]
        self.initial.setdefault("assignee", str(ticket.assignee_id or ""))

    def clean_holder(self) -> Supplier | str | None:
        value = self.cleaned_data["holder"]
        if value == KEEP:
            return None
        if value == DESK:
            return DESK
        supplier = Supplier.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if supplier is None:
            raise forms.ValidationError(_("Choose a holder from the list."))
        return supplier

    def clean_assignee(self) -> User | None:
        value = self.cleaned_data["assignee"]
        if not value:
            return None
        person = User.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if person is None:
            raise forms.ValidationError(_("Choose a person from the list."))
        return person


def _assignable(user: User, ticket: Ticket) -> list[User]:
    """The people the ticket may go to as it is held now: the holder's own people."""
    people = User.objects.filter(is_active=True).order_by("first_name", "last_name", "pk")
    if ticket.holder_supplier_id is None:
        return list(people.filter(role__in=INTEGRATOR_ROLES)) if user.is_integrator else []
    return list(people.filter(role__in=SUPPLIER_ROLES, supplier_id=ticket.holder_supplier_id))


class PriorityForm(VersionedForm):
    impact = forms.ChoiceField(
        label=_("Impact"), choices=Level.choices, widget=forms.RadioSelect(attrs={"inline": True})
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Level.choices, widget=forms.RadioSelect(attrs={"inline": True})
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=REASON_WIDGET
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("impact", self.ticket.impact)
        self.initial.setdefault("urgency", self.ticket.urgency)


class OverridePriorityForm(VersionedForm):
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=REASON_WIDGET,
        help_text=_("Why the priority differs from what impact and urgency give."),
        error_messages={"required": _("Say why the priority is overridden.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("priority", self.ticket.priority)


class ReasonForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=REASON_WIDGET,
        error_messages={"required": _("Give a reason.")},
    )


class OptionalReasonForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=REASON_WIDGET
    )


class WaitForm(VersionedForm):
    reason = forms.CharField(
        label=_("What is the ticket waiting for?"),
        max_length=2000,
        widget=REASON_WIDGET,
        help_text=_("The SLA clocks pause while the ticket waits."),
        error_messages={"required": _("Say what the ticket is waiting for.")},
    )


RESOLUTION_CHOICES = [
    (code, label) for code, label in ResolutionCode.choices if code != ResolutionCode.DUPLICATE
]


class ResolveForm(VersionedForm):
    resolution_code = forms.ChoiceField(
        label=_("Resolution"),
        choices=RESOLUTION_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a resolution.")},
    )
    note = forms.CharField(
        label=_("Resolution note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was done. The reporter sees this."),
        error_messages={"required": _("Say what was done.")},
    )


class NoteForm(VersionedForm):
    body = forms.CharField(
        label=_("Note"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write the note.")},
    )
    visibility = forms.ChoiceField(
        label=_("Who can see it"),
        choices=[
            ("internal", _("Internal: staff and the holding supplier only")),
            ("public", _("Public: the reporter sees it too")),
        ],
        initial="internal",
        widget=forms.RadioSelect,
    )


class _ReferenceForm(VersionedForm):
    reference = forms.CharField(
        label=_("Reference of the other ticket"),
        max_length=30,
        help_text=_("For example, PRB-000123."),
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
        error_messages={"required": _("Enter the other ticket's reference.")},
    )

    def clean_reference(self) -> Ticket:
        text = self.cleaned_data["reference"]
        other = ticket_by_reference(self.user, text)
        if other is None:
            raise forms.ValidationError(
                _("There is no ticket %(reference)s that you can see."), params={"reference": text}
            )
        return other


class LinkForm(_ReferenceForm):
    kind = forms.ChoiceField(
        label=_("Kind of link"),
        choices=[
            (TicketLink.Kind.PROBLEM, _("Caused by this problem")),
            (TicketLink.Kind.RELATED, _("Related to this ticket")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of link.")},
    )
    field_order = ["version", "kind", "reference"]


class DuplicateForm(_ReferenceForm):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=REASON_WIDGET
    )


def ticket_by_reference(user: User, text: str) -> Ticket | None:
    """The ticket a reference names, if `user` may see it (a reference grants nothing)."""
    parsed = parse_reference(text or "")
    if parsed is None:
        return None
    ticket_type, pk = parsed
    tickets = visible_to(user).filter(pk=pk)
    if ticket_type is not None:
        tickets = tickets.filter(type=ticket_type)
    return tickets.select_related("service", "holder_supplier", "assignee", "area").first()


# --- Logging a ticket on someone's behalf ------------------------------------------------------


class ServiceSearchForm(forms.Form):
    q = forms.CharField(label=_("Search for a service"), required=False, max_length=100)


class LogTicketForm(forms.Form):
    """What a caller on the phone or at the desk tells the agent; the service's own questions
    come in a `ServiceQuestionsForm` beside it."""

    channel = forms.ChoiceField(
        label=_("How did they contact us?"),
        choices=[(Channel.PHONE, Channel.PHONE.label), (Channel.WALK_IN, Channel.WALK_IN.label)],
        widget=forms.RadioSelect(attrs={"inline": True}),
        error_messages={"required": _("Choose how they contacted us.")},
    )
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[
            (TicketType.INCIDENT, TicketType.INCIDENT.label),
            (TicketType.REQUEST, TicketType.REQUEST.label),
        ],
        initial=TicketType.INCIDENT,
        widget=forms.RadioSelect(attrs={"inline": True}),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("A short summary, like “Pothole outside 12 High Street”."),
        error_messages={"required": _("Enter a title.")},
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    impact = forms.ChoiceField(
        label=_("Impact"),
        choices=Level.choices,
        initial=Level.MEDIUM,
        widget=forms.RadioSelect(attrs={"inline": True}),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Level.choices,
        initial=Level.MEDIUM,
        widget=forms.RadioSelect(attrs={"inline": True}),
    )
    reporter_first_name = forms.CharField(label=_("Caller's first name"), required=False)
    reporter_last_name = forms.CharField(label=_("Caller's last name"), required=False)
    reporter_email = forms.EmailField(label=_("Caller's email address"), required=False)
    reporter_phone = forms.CharField(
        label=_("Caller's phone number"), required=False, max_length=40
    )
    reporter_contact_preference = forms.ChoiceField(
        label=_("How they want updates"),
        choices=ContactPreference.choices,
        initial=ContactPreference.PHONE,
        widget=forms.RadioSelect(attrs={"inline": True}),
    )
    address = forms.CharField(
        label=_("Address or place"),
        required=False,
        max_length=500,
        help_text=_("Where the problem is, if it is somewhere."),
    )
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        preference = data.get("reporter_contact_preference")
        if preference == ContactPreference.EMAIL and not data.get("reporter_email"):
            self.add_error("reporter_email", _("Enter an email address to send updates to."))
        if preference == ContactPreference.PHONE and not data.get("reporter_phone"):
            self.add_error("reporter_phone", _("Enter a phone number to call with updates."))
        return data
