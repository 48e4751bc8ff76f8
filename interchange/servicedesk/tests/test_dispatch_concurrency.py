"""Dispatchers racing each other and the writers, each on its own thread and connection
(PostgreSQL only: SQLite runs one worker, so one dispatcher)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from interchange.servicedesk import dispatch, services
from interchange.servicedesk.actors import System
from interchange.servicedesk.dispatch import dispatch_batch, register_listener
from interchange.servicedesk.models import Ticket, TicketEvent
from interchange.servicedesk.services import ticket_add_note
from interchange.servicedesk.tests.factories import T0, make_service, make_ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
    ),
]

WAIT_S = 20


@pytest.fixture
def calls(monkeypatch):
    """Only this test's listeners; `calls` lists (thread, ticket, sequence, id) as handed."""
    monkeypatch.setattr(dispatch, "LISTENERS", {})
    return []


def _undispatched() -> int:
    return TicketEvent.objects.filter(dispatched_at__isnull=True).count()


def _note(ticket: Ticket, body: str, minutes: int) -> Ticket:
    return ticket_add_note(
        ticket=ticket, actor=System(), body=body, public=False, at=T0 + timedelta(minutes=minutes)
    )


def _in_thread(target: Any, name: str, errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_dispatchers_running_at_once_never_hand_an_event_over_twice(calls):
    service = make_service()
    tickets = [make_ticket(service=service) for _ in range(12)]
    for minute in range(1, 4):
        for ticket in tickets:
            _note(ticket, f"note {minute}", minute)
    expected = set(TicketEvent.objects.values_list("pk", flat=True))
    lock = threading.Lock()

    def record(event: TicketEvent) -> None:
        with lock:
            calls.append(
                (threading.current_thread().name, event.ticket_id, event.sequence, event.pk)
            )
        time.sleep(0.002)  # long enough for the other dispatchers to want the same rows

    register_listener("record", record)
    start = threading.Barrier(4)
    deadline = time.monotonic() + WAIT_S

    def dispatch_until_done() -> None:
        start.wait(WAIT_S)
        while time.monotonic() < deadline:
            if dispatch_batch(limit=5) == 0 and _undispatched() == 0:
                return
        raise AssertionError("the timeline never emptied")

    errors: list[BaseException] = []
    threads = [_in_thread(dispatch_until_done, f"d{n}", errors) for n in range(4)]
    for thread in threads:
        thread.join(WAIT_S)

    assert errors == []
    handed = Counter(pk for *_, pk in calls)
    assert set(handed) == expected
    assert max(handed.values()) == 1
    # The work was shared, and each ticket's events still arrived in order.
    assert len({name for name, *_ in calls}) > 1
    for ticket in tickets:
        sequences = [seq for _, ticket_id, seq, _ in calls if ticket_id == ticket.pk]
        assert sequences == [1, 2, 3, 4]


def test_an_event_committed_after_a_higher_id_was_dispatched_is_dispatched_next_time(
    calls, monkeypatch
):
    service = make_service()
    slow, quick = make_ticket(service=service), make_ticket(service=service)
    dispatch_batch()
    register_listener("record", lambda event: calls.append(event.pk))
    written, commit = threading.Event(), threading.Event()
    index = services.index_ticket

    def index_then_hold_the_transaction_open(ticket: Ticket) -> None:
        index(ticket)
        if threading.current_thread().name == "slow":
            written.set()
            commit.wait(WAIT_S)

    monkeypatch.setattr(services, "index_ticket", index_then_hold_the_transaction_open)
    errors: list[BaseException] = []
    thread = _in_thread(lambda: _note(slow, "slow to commit", 1), "slow", errors)
    assert written.wait(WAIT_S)
    _note(quick, "committed first", 2)

    assert dispatch_batch() == 1  # the slow note is not visible yet
    commit.set()
    thread.join(WAIT_S)
    assert errors == []
    slow_note = slow.events.get(sequence=2)
    quick_note = quick.events.get(sequence=2)
    assert slow_note.pk < quick_note.pk

    assert dispatch_batch() == 1
    assert calls == [quick_note.pk, slow_note.pk]
    assert _undispatched() == 0


def test_a_ticket_waits_while_another_dispatcher_holds_its_earlier_event(calls):
    service = make_service()
    held = make_ticket(service=service)
    other = make_ticket(service=service)
    _note(held, "second event of the held ticket", 1)
    holding, release = threading.Event(), threading.Event()

    def record(event: TicketEvent) -> None:
        calls.append((threading.current_thread().name, event.ticket_id, event.sequence))
        if threading.current_thread().name == "first":
            holding.set()
            release.wait(WAIT_S)

    register_listener("record", record)
    errors: list[BaseException] = []
    first = _in_thread(lambda: dispatch_batch(limit=1), "first", errors)
    assert holding.wait(WAIT_S)

    # The held ticket's first event is locked by "first": its second must not overtake it.
    assert dispatch_batch() == 1
    release.set()
    first.join(WAIT_S)
    assert errors == []
    assert dispatch_batch() == 1

    assert calls == [
        ("first", held.pk, 1),
        ("MainThread", other.pk, 1),
        ("MainThread", held.pk, 2),
    ]
    assert _undispatched() == 0


def test_a_failing_listener_on_one_dispatcher_leaves_its_events_for_another(calls):
    service = make_service()
    tickets = [make_ticket(service=service) for _ in range(3)]

    def fail_in_thread(event: TicketEvent) -> None:
        if threading.current_thread().name == "broken":
            raise RuntimeError("listener broke")
        calls.append(event.pk)

    register_listener("record", fail_in_thread)
    errors: list[BaseException] = []
    _in_thread(dispatch_batch, "broken", errors).join(WAIT_S)

    assert [type(e) for e in errors] == [RuntimeError]
    assert _undispatched() == 3
    assert dispatch_batch() == 3
    assert sorted(calls) == sorted(t.events.get().pk for t in tickets)
