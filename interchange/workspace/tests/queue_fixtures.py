"""Tickets for the queue tests: a desk, two suppliers' work and clocks in each SLA state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from interchange.accounts.models import User
from interchange.servicedesk.models import (
    ClockKind,
    ClockState,
    Ticket,
    TicketClock,
)
from interchange.servicedesk.services import ticket_assign
from interchange.servicedesk.tests.factories import T0, make_service
from interchange.servicedesk.tests.factories import make_ticket as open_ticket
from interchange.suppliers.models import Supplier


def set_clock(
    ticket: Ticket,
    *,
    state: str = ClockState.RUNNING,
    deadline: datetime | None = None,
    breached: bool = False,
    clock: str = ClockKind.RESOLUTION,
) -> None:
    """Store a clock as the SLA recompute would (its rows are derived, never edited by hand)."""
    TicketClock.objects.update_or_create(
        ticket=ticket,
        clock=clock,
        defaults={
            "state": state,
            "elapsed": timedelta(0),
            "paused": timedelta(0),
            "target": timedelta(hours=8),
            "deadline": deadline if state == ClockState.RUNNING else None,
            "breached": breached,
            "measured_at": timezone.now(),
        },
    )


@dataclass
class World:
    desk: list[Ticket]
    a: list[Ticket]
    b: list[Ticket]


def make_tickets(
    count: int,
    *,
    holder: Supplier | None,
    actor: User,
    title: str = "Pothole outside number 12",
    start: datetime = T0,
) -> list[Ticket]:
    """`count` open tickets held by `holder` (None: the desk), an hour apart."""
    service = make_service()
    made = []
    for i in range(count):
        ticket = open_ticket(service=service, at=start + timedelta(hours=i), title=f"{title} {i}")
        if holder is not None:
            ticket = ticket_assign(
                ticket=ticket, actor=actor, holder=holder, at=start + timedelta(hours=i, minutes=5)
            )
        made.append(ticket)
    return made


@pytest.fixture
def world(integrator_agent: User, supplier_a: Supplier, supplier_b: Supplier) -> World:
    desk = make_tickets(3, holder=None, actor=integrator_agent)
    a = make_tickets(3, holder=supplier_a, actor=integrator_agent)
    b = make_tickets(2, holder=supplier_b, actor=integrator_agent)
    assert all(t.holder_supplier_id is None for t in desk)
    return World(desk, a, b)
