"""The notifications listener: turns timeline events into messages (those to residents are
decided in `residents`). The dispatcher hands it every event inside its own transaction;
`notify` makes a second hand-over a no-op.

Messages to suppliers carry what they need to find and work the ticket, never the
reporter's personal details (the ticket's own page shows those to whoever may see them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from interchange.accounts.models import Role, User
from interchange.core.priorities import Priority
from interchange.notifications.models import Notification
from interchange.notifications.residents import notify_residents
from interchange.notifications.services import notify
from interchange.servicedesk.models import Ticket, TicketEvent, TicketType
from interchange.suppliers.models import Supplier, SupplierContact

Kind = TicketEvent.Kind
# Events that can hand a ticket to a supplier (for `assigned` and `routed`, only those whose
# new values name a holder: an `assigned` event may change only the person).
_HANDOVERS = frozenset({Kind.OPENED, Kind.ASSIGNED, Kind.ROUTED})
_SLA_KINDS = {
    Kind.SLA_WARNING: Notification.Kind.SLA_WARNING,
    Kind.SLA_BREACH: Notification.Kind.SLA_BREACH,
}
DEADLINE_FORMAT = "l j F Y, H:i T"


def on_timeline_event(event: TicketEvent) -> None:
    """Queue the messages `event` calls for: the new holder's contacts when a ticket is
    handed to a supplier; every active integrator lead on an SLA warning or breach; and the
    reporter and followers of a resident's report for the events they hear about
    (`residents.notify_residents` has the table)."""
    supplier_id = _new_supplier_holder(event)
    if supplier_id is not None:
        _notify_supplier_contacts(event, supplier_id)
    elif event.kind in _SLA_KINDS:
        _notify_integrator_leads(event)
    notify_residents(event)


def _new_supplier_holder(event: TicketEvent) -> int | None:
    """The supplier `event` handed the ticket to, if it did."""
    if event.kind not in _HANDOVERS or event.holder_supplier_id is None:
        return None
    if event.kind == Kind.OPENED or "holder_supplier" in event.new:
        return event.holder_supplier_id
    return None


def _notify_supplier_contacts(event: TicketEvent, supplier_id: int) -> None:
    contacts = SupplierContact.objects.filter(
        supplier_id=supplier_id, receives_notifications=True
    ).order_by("pk")
    recipients = [c.email for c in contacts if c.email]
    if not recipients:
        return
    supplier = Supplier.objects.get(pk=supplier_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {**_ticket_context(event), "supplier": supplier.name}
    for email in recipients:
        notify(
            kind=Notification.Kind.SUPPLIER_ASSIGNED,
            recipient=email,
            context=context,
            event=event,
        )


def _notify_integrator_leads(event: TicketEvent) -> None:
    leads = (
        User.objects.filter(role=Role.INTEGRATOR_LEAD, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    recipients = [lead.email for lead in leads]
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {**_ticket_context(event), **_sla_context(event)}
    for email in recipients:
        notify(
            kind=_SLA_KINDS[Kind(event.kind)],
            recipient=email,
            context=context,
            event=event,
        )


def _ticket_context(event: TicketEvent) -> dict[str, Any]:
    """What any message about the ticket shows: nothing about the person who reported it."""
    ticket = Ticket.objects.select_related("service", "area").get(pk=event.ticket_id)
    return {
        "reference": ticket.reference,
        "title": ticket.title,
        "ticket_type": str(TicketType(ticket.type).label),
        "priority": str(Priority(event.priority).label),
        "service": ticket.service.name,
        "area": ticket.area.name if ticket.area else "",
        "address": ticket.address,
        "link": ticket_link(ticket),
    }


def _sla_context(event: TicketEvent) -> dict[str, Any]:
    """The clock, its holder, its deadline and why it alerted, from the values the SLA clocks
    write in the event (`servicedesk.sla`: clock, scope, holder_supplier, target, elapsed,
    deadline)."""
    new = event.new or {}
    end_to_end = new.get("scope") != "holder"
    # An end-to-end clock belongs to nobody in particular: name who holds the ticket now.
    holder_id = event.holder_supplier_id if end_to_end else new.get("holder_supplier")
    holder = (
        Supplier.objects.filter(pk=holder_id).values_list("name", flat=True).first()
        if holder_id is not None
        else None
    )
    return {
        "clock": _clock_label(str(new.get("clock") or ""), end_to_end=end_to_end),
        "holder": holder or _("the integrator’s desk"),
        "deadline": _local_time(new.get("deadline")),
        "reason": event.reason or _alert_reason(event.kind, new),
    }


def _clock_label(clock: str, *, end_to_end: bool) -> str:
    if end_to_end:
        labels = {
            "response": _("Response, end to end (the council’s promise)"),
            "resolution": _("Resolution, end to end (the council’s promise)"),
        }
    else:
        labels = {
            "response": _("Response, the holder’s own target"),
            "resolution": _("Resolution, the holder’s own target"),
        }
    return labels.get(clock, clock.replace("_", " ").capitalize())


def _alert_reason(kind: str, new: dict[str, Any]) -> str:
    """Why the clock alerted: working time used against its target."""
    target, elapsed = new.get("target"), new.get("elapsed")
    if not isinstance(target, int | float) or not isinstance(elapsed, int | float) or not target:
        return ""
    values = {
        "elapsed": _working_time(elapsed),
        "target": _working_time(target),
        "share": round(100 * elapsed / target),
    }
    if kind == Kind.SLA_BREACH:
        return _("%(elapsed)s of working time used against a target of %(target)s.") % values
    return _("%(elapsed)s of working time used, %(share)s%% of the target of %(target)s.") % values


def _working_time(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def _local_time(value: Any) -> str:
    """An ISO 8601 instant as the council's local time; empty when there is none."""
    if not value:
        return ""
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if instant.tzinfo is None:
        return str(value)
    local = instant.astimezone(ZoneInfo(settings.TIME_ZONE))
    return formats.date_format(local, DEADLINE_FORMAT)


def ticket_link(ticket: Ticket) -> str:
    """The ticket's page in the staff workspace."""
    return f"{settings.SITE_URL}/staff/tickets/{ticket.reference}"
