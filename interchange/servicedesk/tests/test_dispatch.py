"""The timeline dispatcher: every event reaches every listener once, in order per ticket,
inside one transaction with its mark; a failing listener leaves the batch for a retry."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from interchange.core.jobs import PERIODIC, enqueue
from interchange.core.models import Job
from interchange.servicedesk import dispatch
from interchange.servicedesk.actors import System
from interchange.servicedesk.dispatch import (
    dispatch_batch,
    dispatch_pending,
    register_listener,
    replay,
)
from interchange.servicedesk.models import TicketEvent
from interchange.servicedesk.services import ticket_add_note
from interchange.servicedesk.tests.factories import T0, make_service, make_ticket

pytestmark = pytest.mark.django_db

LATER = T0 + timedelta(hours=1)


@pytest.fixture
def heard(monkeypatch):
    """Only this test's listeners are registered; `heard` lists the events they were handed."""
    monkeypatch.setattr(dispatch, "LISTENERS", {})
    events: list[TicketEvent] = []
    register_listener("record", events.append)
    return events


def _note(ticket, body, minutes=1):
    return ticket_add_note(
        ticket=ticket, actor=System(), body=body, public=False, at=T0 + timedelta(minutes=minutes)
    )


def _undispatched():
    return TicketEvent.objects.filter(dispatched_at__isnull=True)


def test_it_hands_every_undispatched_event_to_every_listener_and_marks_it(heard):
    also: list[int] = []
    register_listener("also", lambda event: also.append(event.pk))
    service = make_service()
    first, second = make_ticket(service=service), make_ticket(service=service)
    _note(first, "a note")
    ids = list(TicketEvent.objects.order_by("id").values_list("id", flat=True))

    assert dispatch_batch(at=LATER) == 3

    assert [e.pk for e in heard] == ids == also
    assert {e.ticket_id for e in heard} == {first.pk, second.pk}
    assert not _undispatched().exists()
    assert set(TicketEvent.objects.values_list("dispatched_at", flat=True)) == {LATER}


def test_dispatched_events_are_never_handed_over_again(heard):
    ticket = make_ticket(service=make_service())
    dispatch_batch()
    _note(ticket, "later")

    assert dispatch_batch() == 1
    assert dispatch_batch() == 0
    assert [e.sequence for e in heard] == [1, 2]


def test_listeners_get_each_tickets_events_in_order(heard):
    service = make_service()
    first, second = make_ticket(service=service), make_ticket(service=service)
    for minute in range(1, 4):
        _note(first, f"first {minute}", minute)
        _note(second, f"second {minute}", minute)

    dispatch_batch()

    for ticket in (first, second):
        sequences = [e.sequence for e in heard if e.ticket_id == ticket.pk]
        assert sequences == [1, 2, 3, 4]
    assert [e.pk for e in heard] == sorted(e.pk for e in heard)


def test_a_batch_takes_at_most_its_limit_oldest_first(heard):
    service = make_service()
    tickets = [make_ticket(service=service) for _ in range(5)]

    assert dispatch_batch(limit=2) == 2
    assert [e.ticket_id for e in heard] == [tickets[0].pk, tickets[1].pk]
    assert _undispatched().count() == 3


def test_an_event_that_commits_after_a_later_id_was_dispatched_is_still_dispatched(heard):
    # Ids are taken at insert and seen at commit: the lower id can arrive after the higher
    # one was dispatched. A cursor ("after the last id dispatched") would skip it for ever.
    service = make_service()
    late, early = make_ticket(service=service), make_ticket(service=service)
    late_event, early_event = late.events.get(), early.events.get()
    assert late_event.pk < early_event.pk
    TicketEvent.objects.filter(pk=early_event.pk).update(dispatched_at=T0)

    assert dispatch_batch() == 1
    assert [e.pk for e in heard] == [late_event.pk]


def test_a_failing_listener_leaves_the_whole_batch_undispatched_and_is_raised(heard, caplog):
    service = make_service()
    first, second = make_ticket(service=service), make_ticket(service=service)

    def enqueue_then_fail_on_second(event):
        enqueue("test.effect", {"event": event.pk})
        if event.ticket_id == second.pk:
            raise RuntimeError("listener broke")

    register_listener("fragile", enqueue_then_fail_on_second)

    with (
        caplog.at_level(logging.ERROR, logger="interchange.servicedesk.dispatch"),
        pytest.raises(RuntimeError, match="listener broke"),
    ):
        dispatch_batch()

    assert _undispatched().count() == 2
    # The first event's job was written in the batch's transaction, so it went with it.
    assert not Job.objects.filter(kind="test.effect").exists()
    assert "fragile" in caplog.text
    assert str(second.events.get().pk) in caplog.text

    dispatch.LISTENERS.pop("fragile")
    heard.clear()
    assert dispatch_batch() == 2
    assert {e.ticket_id for e in heard} == {first.pk, second.pk}


def test_a_ticket_waits_while_another_dispatcher_holds_its_earlier_event(heard, monkeypatch):
    # On PostgreSQL another dispatcher's claim hides rows from this one (SKIP LOCKED); here the
    # claim is narrowed by hand to what this dispatcher would see.
    service = make_service()
    held, free = make_ticket(service=service), make_ticket(service=service)
    _note(held, "after the held one")
    held_first = held.events.get(sequence=1)
    claim = dispatch._claim

    def claim_around_the_held_event(limit):
        return [e for e in claim(limit) if e.pk != held_first.pk]

    monkeypatch.setattr(dispatch, "_claim", claim_around_the_held_event)

    assert dispatch_batch() == 1
    assert [(e.ticket_id, e.sequence) for e in heard] == [(free.pk, 1)]
    assert set(_undispatched().values_list("ticket_id", "sequence")) == {
        (held.pk, 1),
        (held.pk, 2),
    }


def test_the_periodic_scan_dispatches_batch_after_batch_until_none_are_left(heard, monkeypatch):
    monkeypatch.setattr(dispatch, "BATCH_SIZE", 2)
    service = make_service()
    for _ in range(5):
        make_ticket(service=service)

    dispatch_pending(LATER)

    assert len(heard) == 5
    assert not _undispatched().exists()


def test_the_periodic_scan_stops_after_its_bound_and_leaves_the_rest_for_the_next(
    heard, monkeypatch
):
    monkeypatch.setattr(dispatch, "BATCH_SIZE", 2)
    monkeypatch.setattr(dispatch, "MAX_BATCHES_PER_RUN", 2)
    service = make_service()
    for _ in range(5):
        make_ticket(service=service)

    dispatch_pending(LATER)
    assert len(heard) == 4
    dispatch_pending(LATER + timedelta(seconds=1))
    assert len(heard) == 5


def test_the_scan_is_registered_with_the_worker_every_second():
    scan = PERIODIC["servicedesk.dispatch"]
    assert scan.run is dispatch_pending
    assert scan.every == timedelta(seconds=1)


def test_replay_hands_the_dispatched_history_to_one_listener_only(heard):
    service = make_service()
    first, second = make_ticket(service=service, at=T0), make_ticket(service=service, at=LATER)
    dispatch_batch()
    _note(first, "not dispatched yet", minutes=120)
    replayed: list[TicketEvent] = []
    register_listener("new", replayed.append)
    heard.clear()

    assert replay("new") == 2
    assert [e.ticket_id for e in replayed] == [first.pk, second.pk]
    assert heard == []

    replayed.clear()
    assert replay("new", since=LATER) == 1
    assert [e.ticket_id for e in replayed] == [second.pk]


def test_replay_pages_through_long_histories(heard, monkeypatch):
    monkeypatch.setattr(dispatch, "BATCH_SIZE", 2)
    service = make_service()
    for _ in range(5):
        make_ticket(service=service)
    dispatch_pending(LATER)
    heard.clear()

    assert replay("record") == 5
    assert [e.pk for e in heard] == sorted(TicketEvent.objects.values_list("pk", flat=True))


def test_replaying_an_unknown_listener_is_an_error(heard):
    with pytest.raises(KeyError):
        replay("nobody")


def test_a_name_is_registered_once(heard):
    register_listener("record", heard.append)  # the same function again: harmless
    with pytest.raises(ValueError, match="already registered"):
        register_listener("record", lambda event: None)
