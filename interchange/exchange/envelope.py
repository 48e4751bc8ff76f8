"""The body of a webhook: an envelope (event id, type, time, ticket version, who acted and
what changed) around the ticket shaped on the TM Forum TMF621 Trouble Ticket resource.

The ticket is `tickets.ticket_after_event`: the one TMF621 shape supplier systems get, in
webhooks and from the API alike, as the event left it (see `tickets.py`).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from interchange.exchange.tickets import iso, ticket_after_event
from interchange.servicedesk.models import Ticket, TicketEvent
from interchange.suppliers.models import Supplier

Kind = TicketEvent.Kind


def message_id_for_event(event: TicketEvent) -> str:
    return f"evt_{event.pk}"


def message_id_for_test() -> str:
    return f"evt_test_{uuid.uuid4().hex}"


def dumps(document: dict[str, Any]) -> str:
    """The exact text sent (and signed): compact, keys sorted, so it never changes on retry."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def event_envelope(
    *, event: TicketEvent, event_type: str, supplier: Supplier, ticket: Ticket
) -> dict[str, Any]:
    """The envelope of `event` as `supplier` receives it."""
    holds = event.holder_supplier_id == supplier.pk
    return {
        "id": message_id_for_event(event),
        "type": event_type,
        "time": iso(event.at),
        "ticketVersion": event.sequence,
        "change": {
            "kind": event.kind,
            "actor": {"kind": event.actor_kind, "name": event.actor_label},
            "reason": event.reason,
            "old": _visible_change(event.old, event, holds),
            "new": _visible_change(event.new, event, holds),
        },
        "ticket": ticket_after_event(event=event, supplier=supplier, ticket=ticket),
    }


def _visible_change(values: dict[str, Any], event: TicketEvent, holds: bool) -> dict[str, Any]:
    # A note's body is in `ticket.note`; an internal note of another holding stays hidden.
    hidden = {"body"} if event.kind == Kind.NOTE else set()
    return {k: v for k, v in (values or {}).items() if k not in hidden}


def test_envelope(*, message_id: str, at: datetime, supplier: Supplier) -> dict[str, Any]:
    """The body of a test event: no ticket, just proof the endpoint receives and verifies."""
    return {
        "id": message_id,
        "type": "endpoint.test",
        "time": iso(at),
        "ticketVersion": None,
        "supplier": {"id": supplier.code, "name": supplier.name},
        "ticket": None,
    }
