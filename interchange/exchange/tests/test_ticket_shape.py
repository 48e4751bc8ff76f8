"""One shape of a ticket for supplier systems: what a webhook says of the ticket after an
event is what the API answers for it at that moment, field for field (the API gives notes by
link and in its notes list, the webhook embeds them), so a supplier's system needs one
reader for both."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from interchange.accounts.models import ApiKey
from interchange.accounts.services import api_key_create
from interchange.exchange.tests import outbound_helpers
from interchange.exchange.tests.api_helpers import call
from interchange.exchange.tests.outbound_helpers import T0, Outbound
from interchange.servicedesk.actors import System
from interchange.servicedesk.services import (
    ticket_add_note,
    ticket_assign,
    ticket_resolve,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn

local_targets = outbound_helpers.local_targets
outbound = outbound_helpers.outbound

pytestmark = pytest.mark.django_db
LATER = T0 + timedelta(minutes=5)


def _webhook_ticket(outbound: Outbound) -> dict:
    outbound.fan_out(at=LATER)
    *_, last = outbound.deliveries()
    return json.loads(last.body)["ticket"]


def _api(client, secret: str, path: str) -> dict:
    response = call(client, "GET", path, secret)
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def secret(outbound: Outbound, administrator) -> str:
    _, made = api_key_create(
        actor=administrator,
        name="Works system",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=outbound.supplier,
    )
    return made


def test_a_webhook_and_the_api_describe_a_ticket_in_the_same_shape(
    client, outbound: Outbound, secret: str
) -> None:
    ticket = outbound.ticket()
    ticket.answers = {"depth": "deep"}
    ticket.reporter_anonymous = True
    ticket.reporter_phone = "01632 960001"
    ticket.save(update_fields=["answers", "reporter_anonymous", "reporter_phone"])
    ticket = ticket_start(ticket=ticket, actor=System(), at=LATER)
    ticket = ticket_add_note(ticket=ticket, actor=System(), body="On it", public=True, at=LATER)
    ticket = ticket_wait(
        ticket=ticket, actor=System(), on=WaitingOn.THIRD_PARTY, reason="Gas board", at=LATER
    )

    sent = _webhook_ticket(outbound)
    now = _api(client, secret, f"/tickets/{ticket.reference}")
    embedded = sent.pop("note")
    assert now.pop("note") is None
    assert sent == now
    assert (now["status"], now["interchangeStatus"]) == ("pending", "waiting_third_party")
    assert now["statusChangeReason"] == "Gas board"
    assert now["priority"] == f"P{ticket.priority}"
    assert now["lastUpdate"].endswith("Z") and now["version"] == ticket.version
    # Anonymous to the public, but the supplier working it may reach the reporter.
    reporter = now["relatedParty"][-1]
    assert reporter["role"] == "reporter" and reporter["name"] == "Rita"
    assert {m["mediumType"] for m in reporter["contactMedium"]} == {"email", "phone"}
    # The notes list pages the same notes in the same shape.
    assert _api(client, secret, f"/tickets/{ticket.reference}/notes")["items"] == embedded
    assert [note["text"] for note in embedded] == ["On it"]
    assert embedded[0]["@type"] == "Note"


def test_a_webhook_keeps_the_ticket_as_the_event_left_it(
    client, outbound: Outbound, secret: str
) -> None:
    ticket = outbound.ticket()
    ticket = ticket_start(ticket=ticket, actor=System(), at=LATER)
    first = _webhook_ticket(outbound)
    ticket_resolve(ticket=ticket, actor=System(), resolution_code="fixed", note="Filled", at=LATER)
    # The started event's delivery, built before the resolution, still says in progress.
    assert (first["status"], first["interchangeStatus"]) == ("inProgress", "in_progress")
    assert first["resolution"] is None and first["resolutionDate"] is None
    resolved = _webhook_ticket(outbound)
    assert (resolved["status"], resolved["resolution"]) == (
        "resolved",
        {"code": "fixed", "note": "Filled"},
    )
    assert (
        resolved["resolutionDate"]
        == _api(client, secret, f"/tickets/{ticket.reference}")["resolutionDate"]
    )


def test_a_former_holder_is_told_without_the_reporters_details(
    client, outbound: Outbound, secret: str, supplier_b
) -> None:
    ticket = outbound.ticket()
    ticket = ticket_assign(ticket=ticket, actor=System(), holder=supplier_b, reason="Theirs")
    sent = _webhook_ticket(outbound)
    now = _api(client, secret, f"/tickets/{ticket.reference}")
    sent.pop("note")
    now.pop("note")
    assert sent == now
    assert sent["yours"] is False
    assert [p["role"] for p in sent["relatedParty"]] == ["serviceIntegrator", "assignee"]
    assert sent["relatedParty"][1]["id"] == supplier_b.code
