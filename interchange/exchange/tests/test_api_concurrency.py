"""The same write sent three times at once with one Idempotency-Key, each on its own thread
and database connection (PostgreSQL: SQLite serialises every writer anyway): one effect,
and every caller gets the first response."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from interchange.core import idempotency
from interchange.exchange.tests.api_helpers import World, call, world_fixture  # noqa: F401
from interchange.servicedesk.models import Ticket, TicketEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
    ),
]

WAIT_S = 10
CALLERS = 3


def _waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize(
    ("suffix", "body", "kind"),
    [
        ("/notes", {"text": "Crew on site", "public": True}, TicketEvent.Kind.NOTE),
        ("/status", {"status": "in_progress"}, TicketEvent.Kind.STATUS_CHANGED),
    ],
)
def test_one_key_sent_three_times_at_once_has_one_effect(
    world: World, monkeypatch, suffix: str, body: dict, kind: str
) -> None:
    ticket = world.ticket_a
    finish = idempotency.finish
    first_inside = threading.Event()
    queued: list[int] = []

    def hold_then_finish(record: Any, **response: Any) -> None:
        if not first_inside.is_set():
            # The first request, its change made, holds its idempotency key and the ticket
            # until the others are queued behind it, so all three really overlap.
            first_inside.set()
            deadline = time.monotonic() + WAIT_S
            while _waiters() < CALLERS - 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            queued.append(_waiters())
        finish(record, **response)

    monkeypatch.setattr(idempotency, "finish", hold_then_finish)
    start = threading.Barrier(CALLERS)
    responses: dict[int, Any] = {}

    def send(n: int) -> None:
        try:
            start.wait(WAIT_S)
            responses[n] = call(
                Client(),
                "POST",
                f"/tickets/{ticket.reference}{suffix}",
                world.secret_a,
                json=body,
                idempotency_key="one-change",
                if_match=ticket.version,
            )
        except Exception as exc:  # reported below, with the others
            responses[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 3)
    assert queued == [CALLERS - 1], "the repeats never waited behind the first request"
    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses.values())
    assert len(responses) == CALLERS, responses
    assert len(set(statuses)) == 1 and statuses[0] in {200, 201}, statuses
    bodies = {r.content for r in responses.values()}
    assert len(bodies) == 1
    replayed = [r for r in responses.values() if r.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == CALLERS - 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=kind).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).version == ticket.version + 1
