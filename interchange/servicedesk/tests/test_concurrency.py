"""Two changes to one ticket at once, each from its own thread and connection (PostgreSQL
only: SQLite serialises every writer anyway). The row lock makes the second wait; the
version check then refuses it if it was based on the version the first one replaced."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from interchange.servicedesk import services
from interchange.servicedesk.actors import System
from interchange.servicedesk.errors import StaleVersion
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.services import ticket_add_note
from interchange.servicedesk.tests.factories import T0, make_service, make_ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
    ),
]

WAIT_S = 10


def _note(results: dict[str, Any], name: str, ticket: Ticket, expected: int | None) -> None:
    try:
        results[name] = ticket_add_note(
            ticket=ticket,
            actor=System(),
            body=f"from {name}",
            public=False,
            at=T0 + timedelta(minutes=1),
            expected_version=expected,
        )
    except Exception as exc:
        results[name] = exc
    finally:
        connection.close()


def _wait_until_someone_waits_for_a_lock() -> None:
    deadline = time.monotonic() + WAIT_S
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    pytest.fail("the second change never waited for the first one's lock")


def _race(monkeypatch, ticket: Ticket, expected: int | None) -> dict[str, Any]:
    """Run two notes so that the second starts while the first holds the ticket's lock."""
    first_holds_lock, release_first = threading.Event(), threading.Event()
    index = services.index_ticket

    def index_then_linger(ticket: Ticket) -> None:
        index(ticket)
        if threading.current_thread().name == "first":
            first_holds_lock.set()
            release_first.wait(WAIT_S)

    monkeypatch.setattr(services, "index_ticket", index_then_linger)
    results: dict[str, Any] = {}
    threads = {
        name: threading.Thread(target=_note, name=name, args=(results, name, ticket, expected))
        for name in ("first", "second")
    }
    threads["first"].start()
    assert first_holds_lock.wait(WAIT_S)
    threads["second"].start()
    _wait_until_someone_waits_for_a_lock()
    release_first.set()
    for thread in threads.values():
        thread.join(WAIT_S)
    return results


def test_at_the_same_version_exactly_one_wins_and_the_other_is_told(monkeypatch):
    ticket = make_ticket(service=make_service())
    results = _race(monkeypatch, ticket, expected=ticket.version)
    assert isinstance(results["first"], Ticket), results["first"]
    assert isinstance(results["second"], StaleVersion), results["second"]
    assert (results["second"].expected, results["second"].current) == (1, 2)
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.version == 2
    assert list(fresh.events.values_list("sequence", "new__body")) == [
        (1, None),
        (2, "from first"),
    ]


def test_without_a_version_both_apply_one_after_the_other_and_nothing_is_lost(monkeypatch):
    ticket = make_ticket(service=make_service())
    results = _race(monkeypatch, ticket, expected=None)
    assert all(isinstance(r, Ticket) for r in results.values()), results
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.version == 3
    assert list(fresh.events.values_list("sequence", "new__body")) == [
        (1, None),
        (2, "from first"),
        (3, "from second"),
    ]


def test_many_at_once_at_one_version_exactly_one_wins():
    ticket = make_ticket(service=make_service())
    start = threading.Barrier(8)
    results: dict[str, Any] = {}

    def run(name: str) -> None:
        start.wait(WAIT_S)
        _note(results, name, ticket, ticket.version)

    threads = [threading.Thread(target=run, args=(f"t{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    winners = [r for r in results.values() if isinstance(r, Ticket)]
    losers = [r for r in results.values() if isinstance(r, StaleVersion)]
    assert (len(winners), len(losers)) == (1, 7), results
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.version == 2 and fresh.events.count() == 2
