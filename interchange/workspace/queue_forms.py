"""Forms of the queues: the filter panel, saving a view, and bulk actions on a selection."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import User
from interchange.catalogue.models import Area, Service
from interchange.core.priorities import Priority
from interchange.servicedesk.models import Channel, ResolutionCode, Status, TicketType
from interchange.suppliers.models import Supplier
from interchange.workspace.models import SAVED_VIEW_NAME_MAX_LENGTH
from interchange.workspace.queues import Filters, SlaState, own_supplier

# Filter parameters in the query string: what a saved view keeps (with the sort).
FILTER_FIELDS = (
    "type",
    "status",
    "priority",
    "channel",
    "service",
    "supplier",
    "area",
    "created_from",
    "created_to",
    "updated_from",
    "updated_to",
    "sla",
)
MAX_BULK = 500


class DateInput(forms.DateInput):
    input_type = "date"


class QueueFilterForm(forms.Form):
    """The filter panel; every field is optional and unknown values are errors, not ignored."""

    type = forms.MultipleChoiceField(
        label=_("Type"),
        choices=TicketType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.TypedMultipleChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sla = forms.ChoiceField(
        label=_("SLA state"),
        choices=[("", _("Any")), *SlaState.CHOICES],
        required=False,
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False, empty_label=_("Any")
    )
    supplier = forms.ModelChoiceField(
        label=_("Held by supplier"),
        queryset=Supplier.objects.none(),
        required=False,
        empty_label=_("Any"),
    )
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.none(), required=False, empty_label=_("Any")
    )
    channel = forms.MultipleChoiceField(
        label=_("Channel"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    created_from = forms.DateField(label=_("Created from"), required=False, widget=DateInput)
    created_to = forms.DateField(label=_("Created to"), required=False, widget=DateInput)
    updated_from = forms.DateField(label=_("Updated from"), required=False, widget=DateInput)
    updated_to = forms.DateField(label=_("Updated to"), required=False, widget=DateInput)

    def __init__(self, *args: Any, user: User, show_supplier: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service_field: Any = self.fields["service"]
        service_field.queryset = Service.objects.order_by("name")
        area_field: Any = self.fields["area"]
        area_field.queryset = Area.objects.order_by("name").only("id", "name", "code")
        if show_supplier and own_supplier(user) is None:
            supplier_field: Any = self.fields["supplier"]
            supplier_field.queryset = Supplier.objects.order_by("name")
        else:
            del self.fields["supplier"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for start, end in (("created_from", "created_to"), ("updated_from", "updated_to")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("The end date must be the same as or after the start date."))
        return data

    def filters(self) -> Filters:
        """The filters chosen (call after `is_valid`)."""
        data = self.cleaned_data
        return Filters(
            types=data.get("type") or (),
            statuses=data.get("status") or (),
            priorities=data.get("priority") or (),
            channels=data.get("channel") or (),
            service_id=data["service"].pk if data.get("service") else None,
            supplier_id=data["supplier"].pk if data.get("supplier") else None,
            area_id=data["area"].pk if data.get("area") else None,
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            updated_from=data.get("updated_from"),
            updated_to=data.get("updated_to"),
            sla=data.get("sla") or "",
        )

    def chosen(self) -> list[tuple[str, str]]:
        """(label, value) of each filter in use, for the panel's "selected filters" tags."""
        chosen: list[tuple[str, str]] = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, "", [], ()):
                continue
            choices = dict(getattr(field, "choices", ()))
            if isinstance(value, list):
                text = ", ".join(str(choices.get(v, v)) for v in value)
            elif name == "sla":
                text = str(choices.get(value, value))
            else:
                text = str(value)
            chosen.append((str(field.label), text))
        return chosen


class SaveViewForm(forms.Form):
    name = forms.CharField(
        label=_("Name for this view"),
        max_length=SAVED_VIEW_NAME_MAX_LENGTH,
        error_messages={"required": _("Enter a name for the view.")},
    )
    queue = forms.CharField(widget=forms.HiddenInput)
    supplier = forms.CharField(widget=forms.HiddenInput, required=False)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class BulkAction:
    ASSIGN_SUPPLIER = "assign_supplier"
    ASSIGN_DESK = "assign_desk"
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    WAIT_RESIDENT = "wait_resident"
    WAIT_THIRD_PARTY = "wait_third_party"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"
    CANCEL = "cancel"
    NOTE = "note"

    LABELS = {
        ASSIGN_SUPPLIER: _("Assign to a supplier"),
        ASSIGN_DESK: _("Hand back to the integrator desk"),
        ACKNOWLEDGE: _("Acknowledge"),
        START: _("Start work"),
        WAIT_RESIDENT: _("Wait on the resident"),
        WAIT_THIRD_PARTY: _("Wait on a third party"),
        RESUME: _("Resume work"),
        RESOLVE: _("Resolve"),
        CLOSE: _("Close"),
        CANCEL: _("Cancel"),
        NOTE: _("Add a note"),
    }
    INTEGRATOR_ONLY = frozenset({ASSIGN_SUPPLIER, CLOSE, CANCEL})
    NEEDS_REASON = frozenset(
        {ASSIGN_SUPPLIER, ASSIGN_DESK, WAIT_RESIDENT, WAIT_THIRD_PARTY, CANCEL}
    )


class BulkActionForm(forms.Form):
    """What to do to the selected tickets. Each `tickets` value is "id.version" as shown, so a
    ticket changed by someone else since is skipped as stale rather than changed blindly."""

    tickets = forms.MultipleChoiceField(
        label=_("Tickets"),
        error_messages={"required": _("Select at least one ticket.")},
    )
    action = forms.ChoiceField(
        label=_("Action"), error_messages={"required": _("Choose an action.")}
    )
    supplier = forms.ModelChoiceField(
        label=_("Supplier"),
        queryset=Supplier.objects.none(),
        required=False,
        empty_label=_("Choose a supplier"),
    )
    resolution_code = forms.ChoiceField(
        label=_("Resolution"),
        choices=[("", _("Choose a resolution"))]
        + [c for c in ResolutionCode.choices if c[0] != ResolutionCode.DUPLICATE],
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason or note"),
        help_text=_("Needed to hand over, wait or cancel; the text of a note."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    public = forms.BooleanField(label=_("The reporter can see this note"), required=False)
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        integrator = user.is_integrator
        action_field: Any = self.fields["action"]
        action_field.choices = [("", _("Choose an action"))] + [
            (key, label)
            for key, label in BulkAction.LABELS.items()
            if integrator or key not in BulkAction.INTEGRATOR_ONLY
        ]
        supplier_field: Any = self.fields["supplier"]
        if integrator:
            supplier_field.queryset = Supplier.objects.filter(active=True).order_by("name")
        else:
            del self.fields["supplier"]
        # Any "id.version" is a well-formed choice; visibility decides what is found.
        tickets_field: Any = self.fields["tickets"]
        tickets_field.valid_value = lambda value: _parse_selection(value) is not None

    def clean_tickets(self) -> list[tuple[int, int]]:
        values = self.cleaned_data["tickets"]
        if len(values) > MAX_BULK:
            raise forms.ValidationError(
                _("Select at most %(max)s tickets at a time (you selected %(count)s).")
                % {"max": MAX_BULK, "count": len(values)}
            )
        parsed = [_parse_selection(v) for v in values]
        return [p for p in parsed if p is not None]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == BulkAction.ASSIGN_SUPPLIER and not data.get("supplier"):
            self.add_error("supplier", _("Choose the supplier to assign the tickets to."))
        if action == BulkAction.RESOLVE and not data.get("resolution_code"):
            self.add_error("resolution_code", _("Choose a resolution."))
        if action in BulkAction.NEEDS_REASON and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why."))
        if action == BulkAction.NOTE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Write the note."))
        return data


def _parse_selection(value: str) -> tuple[int, int] | None:
    ticket_id, _dot, version = str(value).partition(".")
    if not (ticket_id.isdigit() and version.isdigit()):
        return None
    return int(ticket_id), int(version)
