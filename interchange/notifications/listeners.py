"""The notifications listener: turns timeline events into messages (those to residents are
decided in `residents`). The dispatcher hands it each batch of events inside its own
transaction; `notify_many` makes a second hand-over a no-op.

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
from interchange.notifications.residents import resident_candidates, resident_messages
from interchange.notifications.services import Planned, notify_many
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
    """Queue the messages `event` calls for (see `on_timeline_events`)."""
    on_timeline_events([event])


def on_timeline_events(events: list[TicketEvent]) -> None:
    """Queue the messages `events` call for, in their order: the new holder's contacts when a
    ticket is handed to a supplier; every active integrator lead on an SLA warning or breach;
    and the reporter and followers of a resident's report for the events they hear about
    (`residents` has the table).

    Whether an event tells anybody anything is decided from the event (and the ticket the
    dispatcher loads with it) alone, so the many that do not cost no query; what those that
    do need is read once for the whole batch, and their messages are recorded together."""
    handovers = {
        event.pk: supplier_id
        for event in events
        if (supplier_id := _new_supplier_holder(event)) is not None
    }
    alerts = [e for e in events if e.pk not in handovers and e.kind in _SLA_KINDS]
    residents = resident_candidates(events)
    if not handovers and not alerts and not residents:
        return
    tickets = _tickets(
        {e.ticket_id for e in events if e.pk in handovers}
        | {e.ticket_id for e in alerts}
        | {e.ticket_id for e, _news in residents}
    )
    contacts = _supplier_contacts(set(handovers.values()))
    named = set(contacts) | {h for e in alerts if (h := _alert_holder(e)) is not None}
    suppliers = (
        dict(Supplier.objects.filter(pk__in=named).values_list("pk", "name")) if named else {}
    )
    leads = _integrator_leads() if alerts else []
    to_residents = resident_messages(residents, tickets)
    planned: list[Planned] = []
    with translation.override(settings.LANGUAGE_CODE):
        for event in events:
            if event.pk in handovers:
                supplier_id = handovers[event.pk]
                recipients = contacts.get(supplier_id, [])
                if recipients:
                    context = {
                        **_ticket_context(event, tickets[event.ticket_id]),
                        "supplier": suppliers[supplier_id],
                    }
                    planned += [
                        Planned(Notification.Kind.SUPPLIER_ASSIGNED, email, context, event)
                        for email in recipients
                    ]
            elif event.kind in _SLA_KINDS and leads:
                context = {
                    **_ticket_context(event, tickets[event.ticket_id]),
                    **_sla_context(event, suppliers),
                }
                kind = _SLA_KINDS[Kind(event.kind)]
                planned += [Planned(kind, email, context, event) for email in leads]
            planned += to_residents.get(event.pk, [])
    notify_many(planned)


def _new_supplier_holder(event: TicketEvent) -> int | None:
    """The supplier `event` handed the ticket to, if it did."""
    if event.kind not in _HANDOVERS or event.holder_supplier_id is None:
        return None
    if event.kind == Kind.OPENED or "holder_supplier" in event.new:
        return event.holder_supplier_id
    return None


def _tickets(ids: set[int]) -> dict[int, Ticket]:
    """The tickets of a batch's messages, with their services and areas, in one query."""
    return {t.pk: t for t in Ticket.objects.select_related("service", "area").filter(pk__in=ids)}


def _supplier_contacts(supplier_ids: set[int]) -> dict[int, list[str]]:
    """The addresses of the suppliers' contacts who receive notifications, by supplier."""
    if not supplier_ids:
        return {}
    found: dict[int, list[str]] = {}
    for supplier_id, email in (
        SupplierContact.objects.filter(supplier_id__in=supplier_ids, receives_notifications=True)
        .order_by("pk")
        .values_list("supplier_id", "email")
    ):
        if email:
            found.setdefault(supplier_id, []).append(email)
    return found


def _integrator_leads() -> list[str]:
    return list(
        User.objects.filter(role=Role.INTEGRATOR_LEAD, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def _ticket_context(event: TicketEvent, ticket: Ticket) -> dict[str, Any]:
    """What any message about the ticket shows: nothing about the person who reported it."""
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


def _alert_holder(event: TicketEvent) -> int | None:
    """The supplier an SLA alert names: an end-to-end clock belongs to nobody in particular,
    so whoever holds the ticket now; a holder's clock, that holder."""
    new = event.new or {}
    if new.get("scope") != "holder":
        return event.holder_supplier_id
    holder = new.get("holder_supplier")
    return holder if isinstance(holder, int) else None


def _sla_context(event: TicketEvent, suppliers: dict[int, str]) -> dict[str, Any]:
    """The clock, its holder, its deadline and why it alerted, from the values the SLA clocks
    write in the event (`servicedesk.sla`: clock, scope, holder_supplier, target, elapsed,
    deadline); `suppliers` holds the names of the holders."""
    new = event.new or {}
    end_to_end = new.get("scope") != "holder"
    holder_id = _alert_holder(event)
    holder = suppliers.get(holder_id) if holder_id is not None else None
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
