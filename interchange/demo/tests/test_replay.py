"""Same rules: 200 seeded tickets written in bulk equal the same scripts replayed through the
domain functions, row for row (tickets, timelines, holdings, links, satisfaction, search
documents and SLA clocks)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from interchange.demo.alerts import Planner
from interchange.demo.emulate import Emulator
from interchange.demo.generator import Generator
from interchange.demo.replay import Replayer
from interchange.demo.scripts import Op, TicketScript
from interchange.demo.world import World
from interchange.demo.writer import Writer, next_ids
from interchange.servicedesk import sla
from interchange.servicedesk.models import (
    SatisfactionResponse,
    SearchDocument,
    Ticket,
    TicketEvent,
    TicketHolding,
    TicketLink,
)

pytestmark = pytest.mark.django_db
EVENT_FIELDS = (
    "sequence", "kind", "at", "actor_kind", "actor_user_id", "actor_key_id", "actor_label",
    "status", "holder_supplier_id", "priority", "holder_acknowledged", "old", "new", "reason",
    "public",
)  # fmt: skip
SKIPPED = {"id", "private_token_hash", "private_token_seed"}


def _scripts(world: World) -> tuple[list[TicketScript], int]:
    """200 tickets over the month around the transition: busy enough for duplicates, and the
    outgoing supplier's open work is routed to its successors."""
    assert world.transition_on is not None
    generator = Generator(
        world,
        count=200,
        seed=11,
        first_day=world.transition_on - timedelta(days=20),
        last_day=world.transition_on + timedelta(days=9),
    )
    return [s for batch in generator.batches() for s in batch], generator.end


def _capture(ids: dict[int, int], at: Any) -> dict[int, dict[str, Any]]:
    """Everything stored for each ticket, keyed by script index, with ticket ids, references
    and satisfaction ids replaced by script indexes."""
    index_of = {pk: index for index, pk in ids.items()}
    references = {pk: t.reference for pk, t in Ticket.objects.in_bulk(list(index_of)).items()}
    clocks: dict[int, Any] = {}
    sla.recompute(list(index_of), at=at)
    clock_rows, segment_rows = sla.stored_rows(list(index_of))
    for row in [*clock_rows, *segment_rows]:
        clocks.setdefault(index_of[row[0]], []).append(row[1:])

    def plain(payload: dict[str, Any]) -> dict[str, Any]:
        payload = dict(payload)
        if "duplicate_of" in payload:
            payload["duplicate_of"] = index_of[payload["duplicate_of"]]
            payload["duplicate_of_reference"] = f"#{payload['duplicate_of']}"
        if "response" in payload:
            payload["response"] = "satisfaction"
        return payload

    captured = {}
    for pk, index in index_of.items():
        ticket = Ticket.objects.get(pk=pk)
        events = [
            {**e, "old": plain(e["old"]), "new": plain(e["new"])}
            for e in TicketEvent.objects.filter(ticket_id=pk)
            .order_by("sequence")
            .values(*EVENT_FIELDS)
        ]
        captured[index] = {
            "ticket": {
                f.attname: getattr(ticket, f.attname)
                for f in Ticket._meta.concrete_fields
                if f.attname not in SKIPPED
            },
            "events": events,
            "holdings": sorted(
                TicketHolding.objects.filter(ticket_id=pk).values_list(
                    "supplier_id", "first_held_at"
                )
            ),
            "links": [
                (index_of[to], kind, created)
                for to, kind, created in TicketLink.objects.filter(from_ticket_id=pk).values_list(
                    "to_ticket_id", "kind", "created_at"
                )
            ],
            "satisfaction": list(
                SatisfactionResponse.objects.filter(ticket_id=pk).values_list(
                    "score", "comment", "at"
                )
            ),
            "search": SearchDocument.objects.get(ticket_id=pk).body.replace(references[pk], "REF"),
            "clocks": clocks.get(index, []),
        }
    return captured


def test_bulk_written_tickets_equal_the_same_scripts_replayed_through_the_domain(
    world: World,
) -> None:
    scripts, end = _scripts(world)
    planner = Planner(end)
    first_ticket, first_response = next_ids()
    emulator = Emulator(
        world, first_ticket_id=first_ticket, first_satisfaction_id=first_response, planner=planner
    )
    emulator.apply_batch(scripts)
    measured_at = world.epoch(world.dates.anchor)
    from datetime import UTC, datetime

    at = datetime.fromtimestamp(end, UTC)
    assert measured_at >= end
    savepoint = transaction.savepoint()
    writer = Writer()
    writer.write(emulator.take())
    writer.finish()
    bulk = _capture({s.index: first_ticket + s.index for s in scripts}, at)
    transaction.savepoint_rollback(savepoint)
    assert not Ticket.objects.exists()

    replayed = _capture(Replayer().run(scripts), at)

    ops = Counter(step.op for s in scripts for step in s.steps)
    expected = set(Op) - {Op.SLA_SCAN} if planner is None else set(Op)
    assert expected <= set(ops), f"the scripts never {sorted(expected - set(ops))}"
    assert len(bulk) == len(replayed) == 200
    for index in sorted(bulk):
        for part in ("ticket", "events", "holdings", "links", "satisfaction", "search", "clocks"):
            assert bulk[index][part] == replayed[index][part], f"ticket #{index}: {part} differ"
