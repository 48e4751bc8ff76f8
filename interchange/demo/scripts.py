"""Scripted tickets: what happens to each seeded ticket, as data both the bulk writer and the
replayer consume, so the two cannot drift apart unnoticed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Op(StrEnum):
    """One call of a `servicedesk.services` function; the values name the function."""

    ASSIGN = "ticket_assign"
    ROUTE = "ticket_route"
    ACKNOWLEDGE = "ticket_acknowledge"
    START = "ticket_start"
    WAIT = "ticket_wait"
    RESUME = "ticket_resume"
    RESOLVE = "ticket_resolve"
    CLOSE = "ticket_close"
    REOPEN = "ticket_reopen"
    CANCEL = "ticket_cancel"
    DUPLICATE = "ticket_mark_duplicate"
    NOTE = "ticket_add_note"
    SUPPLIER_REFERENCE = "ticket_set_supplier_reference"
    OVERRIDE_PRIORITY = "ticket_override_priority"
    MAJOR_INCIDENT = "ticket_set_major_incident"
    SATISFACTION = "satisfaction_record"
    # The breach scan running for this ticket at that moment (`sla.raise_due_alerts`).
    SLA_SCAN = "raise_due_alerts"


class ActorKind(StrEnum):
    PERSON = "person"
    API_KEY = "api_key"
    SYSTEM = "system"
    RESIDENT = "resident"


@dataclass(frozen=True, slots=True)
class ActorRef:
    """Who acts: a person or API key by id, or the system or a resident by label."""

    kind: ActorKind
    id: int | None = None
    label: str = ""


RESIDENT = ActorRef(ActorKind.RESIDENT, label="resident")
SYSTEM = ActorRef(ActorKind.SYSTEM, label="system")


@dataclass(slots=True)
class Step:
    """One action at `at` (epoch seconds, UTC). `args` are the function's own keyword
    arguments, except: `holder` is a supplier id or None for the desk, `assignee` a person's id,
    `master` the index of another script in the same batch."""

    op: Op
    at: int
    actor: ActorRef
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Opening:
    """The arguments of `ticket_open` (the area comes from the point, as on the front door)."""

    type: str
    service_id: int
    title: str
    channel: str
    impact: str
    urgency: str
    description: str = ""
    reporter_first_name: str = ""
    reporter_last_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    reporter_contact_preference: str = "email"
    reporter_anonymous: bool = False
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    address_id: str = ""
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class TicketScript:
    """A ticket's whole seeded life: opened at `at` by `actor`, then each step in time order.

    `index` is its place in the batch (tickets are numbered in order of opening); `area_id`
    is the ward the generator placed the point in, which routing must agree with.
    """

    index: int
    at: int
    actor: ActorRef
    opening: Opening
    area_id: int | None
    steps: list[Step] = field(default_factory=list)
