"""Benchmark for the SLA clocks: recompute every clock of BENCH_TICKETS tickets (1,000,000 by
default) from their timelines on PostgreSQL, reading included, against the per-ticket
scalar fold on a sample.

The tickets and their timelines (about eight events each: opening, routing or a handover,
acknowledgements, work, waits, notes, resolution, reopens, closure or cancellation, across
two years and forty services, ten suppliers with one policy revised mid-history) are
bulk-inserted with COPY into a PostgreSQL template once; each run works on a fresh copy.
"""

from __future__ import annotations

import json
import os
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.db import connection

from bench.databases import django_uses, fresh_copy
from bench.harness import Measure, benchmark, stopwatch
from interchange.core.businesstime import from_epoch_us
from interchange.core.models import BusinessCalendar, WorkingHours

TICKETS = int(os.environ.get("BENCH_TICKETS", "1000000"))
SAMPLE = min(2_000, TICKETS)
# Bump when the data below changes, so the template is built again.
DATA_VERSION = "clocks-2"
SEED = 20260601
FIRST = datetime(2024, 6, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
REVISED = datetime(2025, 6, 1, tzinfo=UTC)
SERVICES = 40
SUPPLIERS = 10
# Services without a provision stay with the desk.
DESK_SERVICES = 8
# Tickets generated and copied in per round of COPY while building the template.
BUILD_CHUNK = 20_000
MINUTE = 60_000_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


# --- Building the template -----------------------------------------------------------------


def _reference_data() -> dict[str, Any]:
    """Calendars, services with targets, the desk's OLA, suppliers with contracts, policies
    (one version each, a second from REVISED for half of them) and provisions."""
    from interchange.catalogue.models import DeskTarget, Service, ServiceTarget
    from interchange.suppliers.models import (
        Contract,
        ServiceProvision,
        SlaPolicy,
        SlaPolicyVersion,
        SlaTarget,
        Supplier,
    )

    office = BusinessCalendar.objects.create(code="office", name="Office hours")
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=office, weekday=d, start_time=time(8), end_time=time(18))
        for d in range(5)
    )
    extended = BusinessCalendar.objects.create(code="extended", name="Extended hours")
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=extended, weekday=d, start_time=time(7), end_time=time(20))
        for d in range(6)
    )
    always = BusinessCalendar.objects.create(code="always", name="24x7", is_24x7=True)
    calendars = {1: always, 2: extended, 3: office, 4: office}
    hours = timedelta(hours=1)
    e2e = {1: (1, 8), 2: (2, 24), 3: (8, 72), 4: (16, 160)}
    services = [
        Service.objects.create(code=f"service-{n}", name=f"Service {n}", kind=Service.Kind.ICT)
        for n in range(SERVICES)
    ]
    ServiceTarget.objects.bulk_create(
        ServiceTarget(
            service=s, priority=p, response=r * hours, resolution=x * hours, calendar=calendars[p]
        )
        for s in services
        for p, (r, x) in e2e.items()
    )
    DeskTarget.objects.bulk_create(
        DeskTarget(priority=p, response=r * hours / 2, resolution=r * hours, calendar=calendars[p])
        for p, (r, _x) in e2e.items()
    )
    suppliers, policies = [], []
    for n in range(SUPPLIERS):
        supplier = Supplier.objects.create(
            code=f"supplier-{n}", name=f"Supplier {n} Ltd", public_name=f"Supplier {n}"
        )
        contract = Contract.objects.create(
            supplier=supplier,
            reference=f"C-{n}",
            title=f"Supplier {n} services",
            start_date=date(2020, 1, 1),
            end_date=date(2035, 1, 1),
            annual_value=Decimal("1000000.00"),
            status=Contract.Status.ACTIVE,
        )
        policy = SlaPolicy.objects.create(contract=contract, name=f"Supplier {n} SLA")
        starts = [datetime(2020, 1, 1, tzinfo=UTC)] + ([REVISED] if n % 2 else [])
        for number, effective in enumerate(starts, start=1):
            version = SlaPolicyVersion.objects.create(
                policy=policy, number=number, effective_from=effective
            )
            tighter = 1 if number == 1 else 0.75
            SlaTarget.objects.bulk_create(
                SlaTarget(
                    version=version,
                    priority=p,
                    response=r * hours * tighter,
                    resolution=x * hours * tighter * 0.8,
                    calendar=calendars[p],
                )
                for p, (r, x) in e2e.items()
            )
        suppliers.append(supplier)
        policies.append(policy)
    provisions = {}
    for index, service in enumerate(services[DESK_SERVICES:]):
        n = index % SUPPLIERS
        provision = ServiceProvision.objects.create(
            contract=policies[n].contract,
            service=service,
            sla_policy=policies[n],
            valid_from=date(2020, 1, 1),
        )
        provisions[service.pk] = (suppliers[n].pk, provision.pk, policies[n].pk)
    return {
        "services": [s.pk for s in services],
        "provisions": provisions,
        "suppliers": [(s.pk, p.pk) for s, p in zip(suppliers, policies, strict=True)],
    }


class _History:
    """One ticket's timeline, written as the domain functions would have written it."""

    def __init__(self, r: random.Random, ticket: int, created: int, priority: int) -> None:
        self.r = r
        self.ticket = ticket
        self.now = created
        self.priority = priority
        self.status = "new"
        self.holder: int | None = None
        self.held = False
        self.acknowledged: int | None = None
        self.held_at: int | None = None
        self.resolved: int | None = None
        self.closed: int | None = None
        self.events: list[tuple[Any, ...]] = []

    def later(self, lo: float, hi: float) -> None:
        self.now += int(self.r.uniform(lo, hi))

    def event(self, kind: str, new: dict[str, Any], *, reason: str = "") -> None:
        self.events.append(
            (
                self.ticket,
                len(self.events) + 1,
                kind,
                self.now,
                self.status,
                self.holder,
                self.priority,
                self.held,
                json.dumps(new),
                reason,
            )
        )

    def hand(
        self, kind: str, holder: int | None, provision: int | None, policy: int | None
    ) -> None:
        self.holder, self.held, self.held_at = holder, False, None
        self.status = "assigned"
        self.event(
            kind,
            {
                "holder_supplier": holder,
                "status": "assigned",
                "provision": provision,
                "sla_policy": policy,
            },
            reason="Handed over" if kind != "opened" else "",
        )

    def acknowledge(self, kind: str = "acknowledged", status: str | None = None) -> None:
        new: dict[str, Any] = {}
        if status is not None and status != self.status:
            new["status"] = self.status = status
        if self.acknowledged is None:
            self.acknowledged = self.now
            new["acknowledged_at"] = from_epoch_us(self.now).isoformat()
        if not self.held:
            self.held, self.held_at = True, self.now
            new["holder_acknowledged_at"] = from_epoch_us(self.now).isoformat()
        self.event(kind, new)

    def move(self, kind: str, status: str, reason: str = "") -> None:
        self.status = status
        self.event(kind, {"status": status}, reason=reason)


def _timeline(
    r: random.Random, ticket: int, service: int, data: dict[str, Any]
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """A realistic history: routed or held by the desk, acknowledged, worked, sometimes
    waiting, handed over, re-prioritised, reopened or cancelled; closed days after."""
    created = int(r.uniform(0, (NOW - FIRST).total_seconds())) * 1_000_000 + _FIRST_US
    priority = r.choices((1, 2, 3, 4), weights=(5, 15, 50, 30))[0]
    h = _History(r, ticket, created, priority)
    provision = data["provisions"].get(service)
    h.status = "assigned" if provision else "new"
    h.holder = provision[0] if provision else None
    h.event(
        "opened",
        {
            "status": h.status,
            "priority": priority,
            "holder_supplier": h.holder,
            "provision": provision[1] if provision else None,
            "sla_policy": provision[2] if provision else None,
        },
    )
    speed = {1: 0.1, 2: 0.4, 3: 1, 4: 2}[priority]
    if provision is None:
        h.later(5 * MINUTE, 2 * HOUR * speed)
        h.acknowledge()
        h.later(10 * MINUTE, 4 * HOUR * speed)
        supplier, policy = r.choice(data["suppliers"])
        h.hand("assigned", supplier, None, policy)
    h.later(5 * MINUTE, 6 * HOUR * speed)
    h.acknowledge()
    if r.random() < 0.06:
        h.later(HOUR, DAY * speed)
        h.hand("assigned", None, None, None)
        h.later(10 * MINUTE, 3 * HOUR)
        h.acknowledge()
        supplier, policy = r.choice(data["suppliers"])
        h.later(10 * MINUTE, 3 * HOUR)
        h.hand("assigned", supplier, None, policy)
        h.later(5 * MINUTE, 4 * HOUR * speed)
        h.acknowledge()
    if r.random() < 0.03:
        h.later(MINUTE, HOUR)
        h.priority = max(1, h.priority - 1)
        h.event("priority_changed", {"priority": h.priority}, reason="Worse than reported")
    h.later(0, 4 * HOUR * speed)
    if r.random() < 0.03:
        h.move("cancelled", "cancelled", reason="No longer needed")
        return _finish(h)
    h.move("status_changed", "in_progress")
    for _ in range(r.choice((0, 0, 1, 2))):
        h.later(10 * MINUTE, DAY * speed)
        h.event("note", {"body": "Update"})
    if r.random() < 0.25:
        h.later(10 * MINUTE, DAY * speed)
        h.move("waiting", r.choice(("waiting_resident", "waiting_third_party")), reason="Info")
        h.later(HOUR, 3 * DAY)
        h.move("resumed", "in_progress")
    h.later(30 * MINUTE, 5 * DAY * speed)
    h.move("resolved", "resolved")
    h.resolved = h.now
    if r.random() < 0.05:
        h.later(HOUR, 7 * DAY)
        h.move("reopened", "in_progress", reason="Not fixed")
        h.resolved = None
        h.later(HOUR, 3 * DAY * speed)
        h.move("resolved", "resolved")
        h.resolved = h.now
    h.later(3 * DAY, 3 * DAY + HOUR)
    h.move("closed", "closed")
    h.closed = h.now
    return _finish(h)


_FIRST_US = int(FIRST.timestamp()) * 1_000_000
_NOW_US = int(NOW.timestamp()) * 1_000_000


def _finish(h: _History) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    # The history is cut at NOW: recent tickets are still open, as in life.
    events = [e for e in h.events if e[3] <= _NOW_US]
    last = events[-1]
    status, holder, priority = last[4], last[5], last[6]

    def seen(instant: int | None) -> int | None:
        return instant if instant is not None and instant <= _NOW_US else None

    closed = seen(h.closed) if status in ("closed", "cancelled") else None
    if status == "cancelled":
        closed = last[3]
    ticket = (
        h.ticket,
        events[0][3],
        last[3],
        status,
        holder,
        priority,
        seen(h.acknowledged),
        seen(h.held_at) if last[7] else None,
        seen(h.resolved) if status in ("resolved", "closed") else None,
        closed,
        len(events),
    )
    return ticket, events


def _at(us: int | None) -> datetime | None:
    return None if us is None else from_epoch_us(us)


def _ticket_row(ticket: tuple[Any, ...], service: int) -> tuple[Any, ...]:
    tid, created, updated, status, holder, priority, acked, held, resolved, closed, version = ticket
    return (
        tid, "incident", f"Ticket {tid}", "", service, "web", status, "medium", "medium",
        priority, False, "", holder, "", _at(acked), _at(held), "fixed" if resolved else "",
        "", False, "", "", "", "", "email", False, "", "", "{}", _at(created), _at(updated),
        _at(resolved), _at(closed), version,
    )  # fmt: skip


def _event_row(event: tuple[Any, ...]) -> tuple[Any, ...]:
    ticket, sequence, kind, at, status, holder, priority, held, new, reason = event
    moment = _at(at)
    return (
        ticket, sequence, kind, moment, "system", "system", status, holder, priority, held,
        "{}", new, reason, False, moment,
    )  # fmt: skip


def _build(url: str) -> None:
    with django_uses(url):
        call_command("migrate", verbosity=0)
        data = _reference_data()
        services = data["services"]
        r = random.Random(SEED)
        ticket_columns = (
            "id, type, title, description, service_id, channel, status, impact, urgency, "
            "priority, priority_overridden, priority_reason, holder_supplier_id, "
            "supplier_reference, acknowledged_at, holder_acknowledged_at, resolution_code, "
            "resolution_note, major_incident, reporter_first_name, reporter_last_name, "
            "reporter_email, reporter_phone, reporter_contact_preference, reporter_anonymous, "
            "address, address_id, answers, created_at, updated_at, resolved_at, closed_at, "
            "version"
        )
        event_columns = (
            "ticket_id, sequence, kind, at, actor_kind, actor_label, status, "
            "holder_supplier_id, priority, holder_acknowledged, old, new, reason, public, "
            "dispatched_at"
        )
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for first in range(1, TICKETS + 1, BUILD_CHUNK):
                ticket_rows: list[tuple[Any, ...]] = []
                event_rows: list[tuple[Any, ...]] = []
                for number in range(first, min(first + BUILD_CHUNK, TICKETS + 1)):
                    service = r.choice(services)
                    ticket, timeline = _timeline(r, number, service, data)
                    ticket_rows.append(_ticket_row(ticket, service))
                    event_rows.extend(_event_row(event) for event in timeline)
                # One COPY at a time: a connection cannot interleave two.
                with raw.copy(f"COPY servicedesk_ticket ({ticket_columns}) FROM STDIN") as copy:
                    for row in ticket_rows:
                        copy.write_row(row)
                with raw.copy(f"COPY servicedesk_ticketevent ({event_columns}) FROM STDIN") as copy:
                    for row in event_rows:
                        copy.write_row(row)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('servicedesk_ticket', 'id'), %s)",
                [TICKETS],
            )
    with django_uses(url), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- The benchmark -------------------------------------------------------------------------


def _sample_ids(count: int) -> list[int]:
    r = random.Random(SEED + 1)
    return sorted(r.sample(range(1, TICKETS + 1), count))


@benchmark
def recompute() -> list[Measure]:
    """Recompute every clock of every ticket twice on a fresh copy: into empty stored state
    (every row written: the first fill), then an hour later over the stored state (every
    timeline and stored row read and folded, the rows that changed written: the routine
    recompute). The baseline is the per-ticket scalar fold of a sample (read and fold)."""
    from interchange.servicedesk import sla
    from interchange.servicedesk.clocks import Rules, fold_rows, fold_ticket
    from interchange.servicedesk.models import HolderSegment, Ticket, TicketClock, TicketEvent

    version = f"{DATA_VERSION}-{TICKETS}"
    later = NOW + timedelta(hours=1)
    with fresh_copy("clocks", version, _build) as url, django_uses(url):
        rules = Rules.load()
        rules.tables()  # calendars' working tables, built once per process
        events = TicketEvent.objects.count()
        with stopwatch() as first:
            folded = sla.recompute(at=NOW, rules=rules)
        clock_rows, segment_rows = TicketClock.objects.count(), HolderSegment.objects.count()
        with connection.cursor() as cursor:
            # What autovacuum would have done by the next recompute.
            cursor.execute("VACUUM ANALYZE servicedesk_ticketclock, servicedesk_holdersegment")
        with stopwatch() as routine:
            sla.recompute(at=later, rules=rules)

        sample = _sample_ids(SAMPLE)
        tickets = list(Ticket.objects.filter(pk__in=sample).only("pk", "service_id"))
        with stopwatch() as scalar:
            expected = [fold_rows(fold_ticket(t, rules=rules, at=later)) for t in tickets]
        stored = sla.stored_rows(sample)
        want = (
            [row for c, _s in expected for row in c],
            [row for _c, s in expected for row in s],
        )
        if stored != want:
            raise AssertionError("Stored clocks differ from the per-ticket fold on the sample.")
    baseline = len(tickets) / scalar[0]
    notes: dict[str, object] = {
        "tickets": folded,
        "events": events,
        "clock_rows": clock_rows,
        "segment_rows": segment_rows,
        "baseline_sample": len(tickets),
        "baseline_writes": "none (read and fold only)",
    }
    return [
        Measure(
            "sla.recompute_per_s",
            folded / routine[0],
            "tickets/s",
            baseline="per_ticket_scalar_fold",
            baseline_value=baseline,
            target="≥ 50,000",
            notes={**notes, "seconds": round(routine[0], 2), "stored_state": "present"},
        ),
        Measure(
            "sla.recompute_first_fill_per_s",
            folded / first[0],
            "tickets/s",
            baseline="per_ticket_scalar_fold",
            baseline_value=baseline,
            target="informational",
            notes={**notes, "seconds": round(first[0], 2), "stored_state": "empty"},
        ),
    ]
