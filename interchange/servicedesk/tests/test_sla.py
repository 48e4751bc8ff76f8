"""Stored clock state: recompute stores exactly what the fold gives, in a few queries however
many tickets; the scan raises each warning and breach once, as timeline events."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interchange.servicedesk import clocks, clockstore, sla
from interchange.servicedesk.actors import System
from interchange.servicedesk.clocks import ClockRef, Rules, fold_rows, fold_ticket
from interchange.servicedesk.models import (
    ClockKind,
    ClockState,
    HolderSegment,
    ResolutionCode,
    Ticket,
    TicketClock,
    TicketEvent,
)
from interchange.servicedesk.services import (
    DESK,
    ticket_acknowledge,
    ticket_assign,
    ticket_resolve,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn
from interchange.servicedesk.tests.factories import T0, make_ticket
from interchange.servicedesk.tests.sla_world import H, M, World, build_world
from interchange.suppliers.models import Supplier

pytestmark = pytest.mark.django_db

SYSTEM = System()
Kind = TicketEvent.Kind
A_RESPONSE = ClockRef(1, ClockKind.RESPONSE)


@pytest.fixture
def world(supplier_a: Supplier, supplier_b: Supplier) -> World:
    return build_world(supplier_a, supplier_b)


def at(hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, minutes=minutes)


def expected_rows(ticket_ids, when):
    rules = Rules.load()
    clock_rows, segment_rows = [], []
    for ticket in Ticket.objects.filter(pk__in=ticket_ids).order_by("pk"):
        c, s = fold_rows(fold_ticket(ticket, rules=rules, at=when))
        clock_rows += c
        segment_rows += s
    return clock_rows, segment_rows


def some_tickets(world: World, count: int) -> list[int]:
    """Tickets in assorted states: handed around, waiting, resolved, still new."""
    ids = []
    for n in range(count):
        start = at(n)
        ticket = make_ticket(service=world.potholes if n % 3 else world.laptops, at=start)
        if n % 2:
            ticket = ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=start + 20 * M)
        if n % 4 == 1:
            ticket = ticket_assign(
                ticket=ticket, actor=SYSTEM, holder=DESK, reason="x", at=start + H
            )
        if n % 5 == 2:
            ticket = ticket_start(ticket=ticket, actor=SYSTEM, at=start + 2 * H)
            ticket = ticket_wait(
                ticket=ticket, actor=SYSTEM, on=WaitingOn.THIRD_PARTY, reason="w", at=start + 3 * H
            )
        if n % 6 == 3:
            ticket = ticket_resolve(
                ticket=ticket, actor=SYSTEM, resolution_code=ResolutionCode.FIXED, at=start + 5 * H
            )
        ids.append(ticket.pk)
    return ids


# --- Recompute -----------------------------------------------------------------------------


def test_recompute_stores_exactly_what_the_fold_of_each_ticket_gives(world):
    ids = some_tickets(world, 12)

    assert sla.recompute(at=at(30), chunk_size=5) == 12

    assert sla.stored_rows() == expected_rows(ids, at(30))
    assert TicketClock.objects.count() == 24
    assert HolderSegment.objects.count() == len(expected_rows(ids, at(30))[1])


def test_recompute_of_some_tickets_leaves_the_others_alone(world):
    ids = some_tickets(world, 6)
    sla.recompute(at=at(10))

    sla.recompute(ids[:2], at=at(40))

    assert sla.stored_rows(ids[:2]) == expected_rows(ids[:2], at(40))
    assert sla.stored_rows(ids[2:]) == expected_rows(ids[2:], at(10))


def test_recompute_writes_only_rows_that_changed(world):
    ids = some_tickets(world, 6)
    sla.recompute(at=at(10))
    measured = dict(TicketClock.objects.values_list("pk", "measured_at"))
    # Overnight no working time passes, so nothing an office-hours clock shows changes…
    sla.recompute(at=at(11))
    unchanged = dict(TicketClock.objects.values_list("pk", "measured_at"))
    office = [pk for pk, when in unchanged.items() if when == measured[pk]]
    assert office
    # …and a row that changed is rewritten in place.
    assert set(unchanged) == set(measured)
    assert sla.stored_rows(ids) == expected_rows(ids, at(11))


def test_recompute_runs_the_same_few_queries_for_one_ticket_or_many(world):
    one = some_tickets(world, 1)
    many = some_tickets(world, 20)
    rules = Rules.load()

    with CaptureQueriesContext(connection) as small:
        sla.recompute(one, at=at(30), rules=rules)
    with CaptureQueriesContext(connection) as large:
        sla.recompute(many, at=at(30), rules=rules)

    assert len(large) == len(small)


def test_segments_the_timeline_no_longer_has_are_deleted(world):
    ticket = make_ticket(service=world.potholes, at=at())
    ticket_id = ticket.pk
    ticket_assign(ticket=ticket, actor=SYSTEM, holder=DESK, reason="x", at=at(2))
    sla.recompute(at=at(3))
    assert HolderSegment.objects.filter(ticket_id=ticket_id).count() == 2

    # As of before the handover, the ticket had one holder.
    sla.recompute([ticket_id], at=at(1))

    assert HolderSegment.objects.filter(ticket_id=ticket_id).count() == 1


def test_on_events_recomputes_the_tickets_named(world):
    ticket = make_ticket(service=world.potholes, at=at())
    sla.on_events([ticket.pk], at(1))
    ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=at(1))

    sla.on_events([ticket.pk, ticket.pk], at(2))

    response = TicketClock.objects.get(ticket=ticket, clock=ClockKind.RESPONSE)
    assert (response.state, response.elapsed, response.deadline) == (ClockState.MET, H, None)
    resolution = TicketClock.objects.get(ticket=ticket, clock=ClockKind.RESOLUTION)
    assert resolution.state == ClockState.RUNNING and resolution.deadline is not None


# --- Warnings and breaches -----------------------------------------------------------------


def sla_events(ticket: Ticket) -> list[tuple[str, dict]]:
    return [
        (e.kind, {k: e.new[k] for k in ("clock", "scope", "segment")})
        for e in TicketEvent.objects.filter(ticket=ticket, kind__in=clocks.ALERT_KINDS).order_by(
            "sequence"
        )
    ]


def test_the_scan_raises_each_warning_and_breach_once(world):
    ticket = make_ticket(service=world.potholes, at=at())
    sla.on_events([ticket.pk], at())
    holder = {"clock": "response", "scope": "holder", "segment": 1}

    assert sla.scan(at=at(1, 29)) == 0
    # Supplier A's 2-hour response target warns at 75%.
    assert sla.scan(at=at(1, 30)) == 1
    assert sla.scan(at=at(1, 31)) == 0
    assert sla_events(ticket) == [(Kind.SLA_WARNING, holder)]
    assert sla.scan(at=at(2)) == 0
    assert sla.scan(at=at(2, 1)) == 1
    assert sla_events(ticket)[-1] == (Kind.SLA_BREACH, holder)
    assert sla.scan(at=at(2, 2)) == 0

    stored = HolderSegment.objects.get(ticket=ticket)
    assert stored.response_warning_raised_at == at(1, 30)
    assert stored.response_breach_raised_at == at(2, 1)
    assert stored.response_breached and stored.response_state == ClockState.RUNNING
    # Next due: A's resolution warning, 6 of its 8 office hours in.
    assert stored.alert_due_at == at(6)


def test_an_sla_event_is_a_change_like_any_other(world):
    ticket = make_ticket(service=world.potholes, at=at())
    sla.on_events([ticket.pk], at())

    sla.scan(at=at(1, 45))

    ticket.refresh_from_db()
    event = TicketEvent.objects.get(ticket=ticket, kind=Kind.SLA_WARNING)
    assert (ticket.version, event.sequence, ticket.updated_at) == (2, 2, at(1, 45))
    assert event.actor_kind == TicketEvent.ActorKind.SYSTEM and not event.public
    assert event.holder_supplier_id == world.a.pk and event.dispatched_at is None
    assert event.new == {
        "clock": "response",
        "scope": "holder",
        "segment": 1,
        "holder_supplier": world.a.pk,
        "priority": 3,
        "target": 7200.0,
        "elapsed": 6300.0,
        "due_at": at(1, 30).isoformat(),
        "deadline": at(2).isoformat(),
    }


def test_a_clock_that_stopped_over_target_between_scans_still_gets_its_breach(world):
    ticket = make_ticket(service=world.potholes, at=at())
    sla.on_events([ticket.pk], at())
    sla.scan(at=at(1, 40))
    ticket.refresh_from_db()
    ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=at(2, 30))
    sla.on_events([ticket.pk], at(2, 30))

    assert sla.scan(at=at(2, 31)) == 1

    assert sla_events(ticket)[-1] == (
        Kind.SLA_BREACH,
        {"clock": "response", "scope": "holder", "segment": 1},
    )
    stored = HolderSegment.objects.get(ticket=ticket)
    assert stored.response_state == ClockState.BREACHED and stored.alert_due_at == at(6)


def test_a_clock_stopped_in_time_raises_nothing_even_if_the_stored_state_is_stale(world):
    ticket = make_ticket(service=world.potholes, at=at())
    sla.on_events([ticket.pk], at())
    ticket_acknowledge(ticket=ticket, actor=SYSTEM, at=at(1))

    # The dispatcher has not run yet: the stored state still says the clock runs.
    assert sla.scan(at=at(3)) == 0

    assert sla_events(ticket) == []
    assert not HolderSegment.objects.filter(alert_due_at__lte=at(3)).exists()


def test_ticket_sla_event_raises_only_what_is_due_and_not_yet_raised(world):
    ticket = make_ticket(service=world.potholes, at=at())

    assert (
        sla.ticket_sla_event(ticket=ticket, kind=Kind.SLA_BREACH, clock=A_RESPONSE, at=at(1))
        is None
    )
    event = sla.ticket_sla_event(ticket=ticket, kind=Kind.SLA_BREACH, clock=A_RESPONSE, at=at(3))
    assert event is not None and event.kind == Kind.SLA_BREACH
    assert (
        sla.ticket_sla_event(ticket=ticket, kind=Kind.SLA_BREACH, clock=A_RESPONSE, at=at(4))
        is None
    )
    with pytest.raises(ValueError, match="not an SLA event"):
        sla.ticket_sla_event(ticket=ticket, kind=Kind.NOTE, clock=A_RESPONSE, at=at(4))


def test_the_warning_share_comes_from_settings(world, settings):
    settings.SLA_WARNING_SHARE = 0.5
    ticket = make_ticket(service=world.potholes, at=at())
    sla.on_events([ticket.pk], at())

    assert HolderSegment.objects.get(ticket=ticket).alert_due_at == at(1)


def test_the_breach_scan_is_registered_with_the_worker():
    from interchange.core.jobs import PERIODIC

    scan = PERIODIC["sla.breach_scan"]
    assert scan.every == timedelta(minutes=1) and scan.run is sla.breach_scan


def test_rows_written_as_new_that_someone_stored_meanwhile_are_updated(world):
    ticket = make_ticket(service=world.potholes, at=at())
    sla.recompute([ticket.pk], at=at(1))
    backend = clockstore.store()
    chunk = clockstore.Chunk(ids=[ticket.pk])
    result = clocks.fold_many(backend.timelines(chunk, at(2)), rules=Rules.load(), at=at(2))

    # As if another recompute stored these tickets' rows after this one looked.
    backend.write_clocks(clockstore.clock_rows(result), at(2), new=True)
    backend.write_segments(clockstore.segment_rows(result), at(2), new=True)

    assert sla.stored_rows([ticket.pk]) == expected_rows([ticket.pk], at(2))


class CountedThread(threading.Thread):
    started = 0

    def start(self) -> None:
        CountedThread.started += 1
        super().start()


@pytest.mark.django_db(transaction=True)
def test_a_recompute_in_many_chunks_reads_ahead_on_postgresql_and_gives_the_same(
    supplier_a, supplier_b, monkeypatch
):
    world = build_world(supplier_a, supplier_b)
    ids = some_tickets(world, 9)
    monkeypatch.setattr(sla.threading, "Thread", CountedThread)
    CountedThread.started = 0

    assert sla.recompute(at=at(30), chunk_size=2) == 9

    assert (CountedThread.started > 0) == (connection.vendor == "postgresql")
    assert sla.stored_rows() == expected_rows(ids, at(30))


@pytest.mark.django_db(transaction=True)
def test_a_failed_read_ahead_fails_the_recompute(supplier_a, supplier_b, monkeypatch):
    world = build_world(supplier_a, supplier_b)
    some_tickets(world, 6)
    backend = type(clockstore.store())
    read = backend.timelines
    calls = []

    def failing(self, chunk, when):
        calls.append(chunk)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return read(self, chunk, when)

    monkeypatch.setattr(backend, "timelines", failing)

    with pytest.raises(RuntimeError, match="went away"):
        sla.recompute(at=at(30), chunk_size=2)

    # The chunk read before the failure was stored; nothing after it.
    assert TicketClock.objects.count() == 4


def test_a_ticket_whose_alerts_fail_does_not_hold_back_the_others(world, monkeypatch, caplog):
    first = make_ticket(service=world.potholes, at=at())
    second = make_ticket(service=world.potholes, at=at())
    sla.on_events([first.pk, second.pk], at())
    real = sla.raise_due_alerts

    def failing(ticket_id, **kwargs):
        if ticket_id == first.pk:
            raise RuntimeError("broken")
        return real(ticket_id, **kwargs)

    monkeypatch.setattr(sla, "raise_due_alerts", failing)

    assert sla.scan(at=at(1, 30)) == 1

    assert sla_events(first) == [] and len(sla_events(second)) == 1
    assert "SLA alerts of ticket" in caplog.text
