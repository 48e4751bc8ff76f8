"""Every active integrator lead hears of each SLA breach warning and breach, with the clock,
the holder, the deadline and the reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from interchange.accounts.models import Role
from interchange.notifications.models import Notification
from interchange.notifications.tests.conftest import SITE, html_of
from interchange.servicedesk.models import Ticket, TicketEvent
from interchange.servicedesk.tests.factories import T0, make_ticket, make_user

pytestmark = pytest.mark.django_db

DEADLINE = T0 + timedelta(hours=8)  # 17:00 GMT on Monday 2 March 2026


def raise_sla_event(ticket: Ticket, kind: str, **new) -> TicketEvent:
    """An event shaped as `servicedesk.sla` raises it: a system event naming the clock, its
    holder, target, working time used and deadline in its new values. Here, by default,
    the holder's resolution clock at 75% of an eight-hour target."""
    ticket.version += 1
    ticket.save(update_fields=["version"])
    new = {
        "clock": "resolution",
        "scope": "holder",
        "segment": 1,
        "holder_supplier": ticket.holder_supplier_id,
        "priority": ticket.priority,
        "target": 8 * 3600,
        "elapsed": 6 * 3600,
        "due_at": (T0 + timedelta(hours=6)).isoformat(),
        "deadline": DEADLINE.isoformat(),
        **new,
    }
    return TicketEvent.objects.create(
        ticket=ticket,
        sequence=ticket.version,
        kind=kind,
        at=T0 + timedelta(hours=6),
        actor_kind=TicketEvent.ActorKind.SYSTEM,
        actor_label="system",
        status=ticket.status,
        holder_supplier_id=ticket.holder_supplier_id,
        priority=ticket.priority,
        new=new,
    )


@pytest.fixture
def leads(integrator_lead):
    second = make_user(Role.INTEGRATOR_LEAD, email="second.lead@council.example")
    make_user(Role.INTEGRATOR_LEAD, email="gone.lead@council.example", is_active=False)
    make_user(Role.INTEGRATOR_LEAD, email="")
    make_user(Role.INTEGRATOR_AGENT, email="agent@council.example")
    return [integrator_lead, second]


@pytest.fixture
def ticket(potholes, ward, supplier_a_provides_potholes, contacts, deliver):
    opened = make_ticket(service=potholes, area=ward, title="Collapsed drain cover")
    deliver()
    mail.outbox.clear()
    return opened


def test_a_breach_warning_emails_every_active_integrator_lead_and_nobody_else(
    ticket, leads, deliver
):
    raise_sla_event(ticket, TicketEvent.Kind.SLA_WARNING)

    assert deliver() == 2

    assert sorted(m.to[0] for m in mail.outbox) == sorted(lead.email for lead in leads)
    assert all(len(m.to) == 1 for m in mail.outbox)


def test_the_warning_says_which_clock_who_holds_it_when_it_is_due_and_why(ticket, leads, deliver):
    raise_sla_event(ticket, TicketEvent.Kind.SLA_WARNING)
    deliver()

    message = mail.outbox[0]
    assert message.subject == f"SLA warning on {ticket.reference}: Collapsed drain cover"
    for text in (message.body, html_of(message)):
        assert "Resolution, the holder’s own target" in text
        assert "Streetwise Roads Ltd" in text
        assert "Monday 2 March 2026, 17:00 GMT" in text
        assert "6 h 00 min of working time used, 75% of the target of 8 h 00 min." in text
        assert f"{SITE}/staff/tickets/{ticket.reference}" in text
    assert "close to its deadline" in message.body


def test_a_breach_is_its_own_message(ticket, leads, deliver):
    raise_sla_event(ticket, TicketEvent.Kind.SLA_WARNING)
    raise_sla_event(
        ticket, TicketEvent.Kind.SLA_BREACH, clock="response", target=3600, elapsed=3900
    )
    deliver()

    breaches = [m for m in mail.outbox if m.subject.startswith("SLA breached")]
    assert len(breaches) == 2
    assert breaches[0].subject == f"SLA breached on {ticket.reference}: Collapsed drain cover"
    assert "has passed its deadline" in breaches[0].body
    assert "Response, the holder’s own target" in breaches[0].body
    assert "1 h 05 min of working time used against a target of 1 h 00 min." in breaches[0].body
    assert Notification.objects.filter(kind=Notification.Kind.SLA_BREACH).count() == 2


def test_the_desks_own_clock_names_the_desk_as_holder(ticket, leads, deliver):
    raise_sla_event(ticket, TicketEvent.Kind.SLA_BREACH, holder_supplier=None)
    deliver()

    assert "Held by: the integrator’s desk" in mail.outbox[0].body


def test_an_end_to_end_clock_names_whoever_holds_the_ticket(ticket, leads, deliver):
    raise_sla_event(
        ticket,
        TicketEvent.Kind.SLA_WARNING,
        scope="end_to_end",
        segment=None,
        holder_supplier=None,
    )
    deliver()

    body = mail.outbox[0].body
    assert "Resolution, end to end (the council’s promise)" in body
    assert "Held by: Streetwise Roads Ltd" in body


def test_a_reason_the_clocks_give_wins_and_missing_values_leave_it_out(ticket, leads, deliver):
    raise_sla_event(ticket, TicketEvent.Kind.SLA_WARNING, target=None, deadline=None)
    deliver()
    assert "Reason" not in mail.outbox[0].body
    assert "Deadline" not in mail.outbox[0].body

    mail.outbox.clear()
    event = raise_sla_event(ticket, TicketEvent.Kind.SLA_BREACH)
    TicketEvent.objects.filter(pk=event.pk).update(reason="Clock restarted by a reopen")
    deliver()
    assert "Reason: Clock restarted by a reopen" in mail.outbox[0].body


def test_the_deadline_is_shown_in_the_councils_local_time(ticket, leads, deliver):
    raise_sla_event(ticket, TicketEvent.Kind.SLA_WARNING, deadline="2026-07-01T15:30:00+00:00")
    deliver()

    assert "Wednesday 1 July 2026, 16:30 BST" in mail.outbox[0].body


def test_sla_events_email_no_supplier_contact(ticket, leads, contacts, deliver):
    raise_sla_event(ticket, TicketEvent.Kind.SLA_BREACH)
    deliver()

    recipients = {address for message in mail.outbox for address in message.to}
    assert recipients
    assert not recipients & {contact.email for contact in contacts.values()}


def test_with_no_active_lead_nothing_is_sent(ticket, deliver):
    raise_sla_event(ticket, TicketEvent.Kind.SLA_BREACH)

    assert deliver() == 0
    assert mail.outbox == []
