"""Shared data for the ticket page's tests: the SLA test world (supplier A delivers potholes
everywhere, so pothole tickets route to it), a question on potholes, and tickets opened
through the service desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from interchange.catalogue.models import Question, QuestionChoice
from interchange.servicedesk.actors import System
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.tests.factories import make_ticket
from interchange.servicedesk.tests.sla_world import World, build_world
from interchange.suppliers.models import Supplier
from interchange.workspace.ticket_display import forget_reference


@dataclass
class TicketWorld:
    sla: World
    opened_at: datetime

    def ticket(self, **fields: Any) -> Ticket:
        """A pothole ticket opened an hour ago by the system, routed to supplier A."""
        fields.setdefault("service", self.sla.potholes)
        fields.setdefault("reporter_last_name", "Reporter")
        fields.setdefault("reporter_phone", "0117 496 0000")
        fields.setdefault("address", "12 High Street")
        fields.setdefault("latitude", 51.45)
        fields.setdefault("longitude", -2.59)
        fields.setdefault("answers", {"depth": "deep"})
        return make_ticket(actor=System(), at=self.opened_at, **fields)


def add_questions(world: World) -> None:
    depth = Question.objects.create(
        service=world.potholes,
        code="depth",
        label="How deep is it?",
        datatype=Question.Datatype.SINGLE_CHOICE,
        required=True,
        order=1,
    )
    QuestionChoice.objects.create(question=depth, key="shallow", name="Less than 5cm", order=1)
    QuestionChoice.objects.create(question=depth, key="deep", name="5cm or more", order=2)


@pytest.fixture(name="world")
def world_fixture(supplier_a: Supplier, supplier_b: Supplier) -> TicketWorld:
    forget_reference()  # what another test's world kept is not this one's
    sla = build_world(supplier_a, supplier_b)
    add_questions(sla)
    return TicketWorld(sla=sla, opened_at=timezone.now() - timedelta(hours=1))
