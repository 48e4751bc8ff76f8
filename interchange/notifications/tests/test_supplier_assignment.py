"""A supplier's notification contacts hear about each ticket handed to it, and nobody else does."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from interchange.core.priorities import Level
from interchange.notifications.models import Notification
from interchange.notifications.tests.conftest import SITE, html_of
from interchange.servicedesk.actors import System
from interchange.servicedesk.services import DESK, ticket_assign, ticket_route
from interchange.servicedesk.tests.factories import T0, make_provision, make_ticket

pytestmark = pytest.mark.django_db

REPORTER: dict[str, Any] = {
    "reporter_first_name": "Rosalind",
    "reporter_last_name": "Quibble",
    "reporter_email": "rosalind.quibble@example.net",
    "reporter_phone": "07700 900123",
    # Chose no updates, so only the supplier's messages are sent (residents': test_residents).
    "reporter_contact_preference": "none",
}


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def _open(potholes, ward, **fields):
    fields.setdefault("title", "Deep pothole by the bus stop")
    return make_ticket(
        service=potholes,
        area=ward,
        address="12 Quay Street",
        impact=Level.HIGH,
        urgency=Level.MEDIUM,
        **REPORTER,
        **fields,
    )


def test_a_ticket_opened_for_a_supplier_emails_its_notification_contacts(
    potholes, ward, supplier_a_provides_potholes, contacts, deliver
):
    ticket = _open(potholes, ward)

    assert deliver() == 2

    assert _recipients() == ["desk@streetwise.example", "manager@streetwise.example"]
    message = mail.outbox[0]
    assert ticket.reference in message.subject
    assert "Deep pothole by the bus stop" in message.subject
    assert "Streetwise Roads Ltd" in message.subject
    for text in (message.body, html_of(message)):
        assert ticket.reference in text
        assert "Deep pothole by the bus stop" in text
        assert "P2 – high" in text
        assert "Potholes and road defects" in text
        assert "Ward harbour" in text
        assert "12 Quay Street" in text
        assert f"{SITE}/staff/tickets/{ticket.reference}" in text
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_supplier_email_never_carries_the_reporters_details(
    potholes, ward, supplier_a_provides_potholes, contacts, deliver
):
    _open(potholes, ward, description="Call Rosalind on 07700 900123 about it.")
    deliver()

    assert mail.outbox
    for message in mail.outbox:
        whole = "\n".join([str(message.subject), str(message.body), html_of(message)])
        for detail in ("Rosalind", "Quibble", "rosalind.quibble", "07700 900123"):
            assert detail not in whole
    for notification in Notification.objects.all():
        assert "Rosalind" not in str(notification.context)


def test_contacts_who_do_not_receive_notifications_get_nothing(
    potholes, ward, supplier_a_provides_potholes, contacts, deliver
):
    _open(potholes, ward)
    deliver()

    assert "money@streetwise.example" not in _recipients()
    assert not Notification.objects.filter(recipient="money@streetwise.example").exists()


def test_supplier_b_never_hears_of_supplier_as_tickets(
    potholes, ward, supplier_a_provides_potholes, contacts, deliver
):
    _open(potholes, ward)
    deliver()

    assert not [r for r in _recipients() if r.endswith("@cleanway.example")]


def test_a_handover_emails_the_new_holders_contacts_only(
    potholes, ward, supplier_a_provides_potholes, supplier_b, contacts, deliver
):
    make_provision(service=potholes, supplier=supplier_b, areas=[ward])
    ticket = _open(potholes, ward)
    assert ticket.holder_supplier == supplier_b  # the ward's own provision wins
    deliver()
    mail.outbox.clear()

    ticket_assign(
        ticket=ticket,
        actor=System(),
        holder=supplier_a_provides_potholes.contract.supplier,
        reason="Streetwise has the crew nearby",
        at=T0,
    )
    deliver()

    assert _recipients() == ["desk@streetwise.example", "manager@streetwise.example"]


def test_a_ticket_the_desk_holds_emails_no_supplier(potholes, ward, contacts, deliver):
    ticket = _open(potholes, ward)
    assert ticket.holder_supplier is None

    assert deliver() == 0
    assert mail.outbox == []


def test_handing_back_to_the_desk_or_assigning_a_person_emails_nobody(
    potholes, ward, supplier_a_provides_potholes, supplier_a_agent, contacts, deliver
):
    ticket = _open(potholes, ward)
    deliver()
    mail.outbox.clear()

    ticket_assign(ticket=ticket, actor=System(), assignee=supplier_a_agent, at=T0)
    ticket_assign(ticket=ticket, actor=System(), holder=DESK, reason="Not a pothole", at=T0)

    assert deliver() == 0
    assert mail.outbox == []


def test_routing_again_to_a_supplier_emails_it(potholes, ward, supplier_a, contacts, deliver):
    ticket = _open(potholes, ward)
    deliver()
    make_provision(service=potholes, supplier=supplier_a)

    ticket_route(ticket=ticket, actor=System(), reason="Contract now in place")
    deliver()

    assert _recipients() == ["desk@streetwise.example", "manager@streetwise.example"]


def test_a_supplier_without_notification_contacts_is_not_emailed(
    potholes, ward, supplier_a_provides_potholes, deliver
):
    _open(potholes, ward)

    assert deliver() == 0
    assert not Notification.objects.exists()
