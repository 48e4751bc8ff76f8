"""The notifications listener keeps up with a busy council's timeline: events that notify
nobody cost it no query, and a batch of events that do costs a fixed handful of queries
however many events and messages it holds; it sends what handing it one event at a time
would, and nothing twice."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interchange.accounts.models import Role
from interchange.catalogue.models import Service
from interchange.core.models import Job
from interchange.notifications.listeners import on_timeline_event, on_timeline_events
from interchange.notifications.models import Notification
from interchange.notifications.services import SEND_JOB
from interchange.notifications.tests.test_sla_alerts import raise_sla_event
from interchange.servicedesk import dispatch
from interchange.servicedesk.actors import System
from interchange.servicedesk.models import ResolutionCode, Ticket, TicketEvent
from interchange.servicedesk.services import (
    follower_add,
    ticket_acknowledge,
    ticket_add_note,
    ticket_assign,
    ticket_close,
    ticket_resolve,
    ticket_resume,
    ticket_start,
    ticket_wait,
)
from interchange.servicedesk.states import WaitingOn
from interchange.servicedesk.tests.factories import (
    make_provision,
    make_service,
    make_ticket,
    make_user,
)

pytestmark = pytest.mark.django_db

# The listener's queries for a batch that notifies: the tickets with their services and
# areas; the suppliers' contacts, the suppliers' names, the integrator leads; reporters'
# unsubscriptions, followers; the messages already recorded, the new ones inserted, their
# ids, and their send jobs inserted. (SQLite takes at most 999 values a statement, so there
# a few more inserts for many messages: see `_inserts`.)
BATCH_QUERIES = 10


@pytest.fixture
def roads(supplier_a) -> Service:
    service = make_service("roads", name="Pothole", open311_exposed=True)
    make_provision(service=service, supplier=supplier_a)
    return service


@pytest.fixture
def people(
    contacts, integrator_lead, integrator_agent, supplier_a_agent, supplier_b
) -> dict[str, Any]:
    make_user(Role.INTEGRATOR_LEAD, email="second.lead@council.example")
    return {"integrator": integrator_agent, "agent": supplier_a_agent, "supplier_b": supplier_b}


@pytest.fixture
def only_notifications(monkeypatch) -> None:
    monkeypatch.setattr(dispatch, "LISTENERS", {"notifications": on_timeline_event})


def _busy_reports(service: Service, people: dict[str, Any], n: int) -> None:
    """A resident's report through its life (opened for supplier A, followed, acknowledged,
    internal and public notes, a wait on the resident, SLA warning and breach, resolved,
    closed) and a second one handed to supplier B."""
    agent = people["agent"]
    at = timezone.now() - timedelta(hours=1)
    ticket = make_ticket(service=service, reporter_email=f"rita{n}@example.org", at=at)
    follower_add(ticket=ticket, actor=System(), email=f"fred{n}@example.net")
    ticket_acknowledge(ticket=ticket, actor=agent)
    ticket_add_note(ticket=ticket, actor=agent, body="Depot 4 crew", public=False)
    ticket_start(ticket=ticket, actor=agent)
    ticket_add_note(ticket=ticket, actor=agent, body="Filling on Tuesday.", public=True)
    ticket_wait(ticket=ticket, actor=agent, on=WaitingOn.RESIDENT, reason="Which side?")
    ticket_resume(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    raise_sla_event(ticket, TicketEvent.Kind.SLA_WARNING)
    raise_sla_event(ticket, TicketEvent.Kind.SLA_BREACH, scope="end_to_end")
    ticket.refresh_from_db()
    ticket_resolve(ticket=ticket, actor=agent, resolution_code=ResolutionCode.FIXED, note="Done")
    ticket_close(ticket=ticket, actor=System())
    other = make_ticket(service=service, reporter_email=f"rob{n}@example.org", at=at)
    ticket_assign(
        ticket=other, actor=people["integrator"], holder=people["supplier_b"], reason="Their patch"
    )


def _quiet_events(service: Service, people: dict[str, Any], n: int) -> None:
    """`n` events nobody is told of (acknowledgements, internal notes, waits on a third
    party and resumptions), on reports whose earlier events are dispatched."""
    agent = people["agent"]
    tickets = [make_ticket(service=service, reporter_email="rita@example.org") for _ in range(3)]
    ticket_start(ticket=tickets[0], actor=agent)
    while dispatch.dispatch_batch():
        pass
    for ticket in tickets[1:]:
        ticket_acknowledge(ticket=ticket, actor=agent)
    made = 2
    while made < n:
        ticket = tickets[made % 3]
        if ticket.pk == tickets[0].pk and made + 2 <= n:
            ticket_wait(ticket=ticket, actor=agent, on=WaitingOn.THIRD_PARTY, reason="Gas")
            ticket_resume(ticket=ticket, actor=agent)
            made += 2
        else:
            ticket_add_note(ticket=ticket, actor=agent, body=f"Crew {made}", public=False)
            made += 1


def _pending() -> list[TicketEvent]:
    return list(
        TicketEvent.objects.filter(dispatched_at__isnull=True)
        .select_related("ticket")
        .order_by("pk")
    )


def _queries(run: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """How many queries `run(*args, **kwargs)` makes."""
    with CaptureQueriesContext(connection) as queries:
        run(*args, **kwargs)
    return len(queries)


def _inserts(model: type[Model], rows: int) -> int:
    """How many statements `bulk_create` takes to insert `rows` rows of `model` here."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    size = max(connection.ops.bulk_batch_size(fields, [None] * rows), 1)
    return math.ceil(rows / size)


def _sent() -> set[tuple[int | None, str, str, str]]:
    return {
        (n.event_id, n.kind, n.recipient, repr(sorted(n.context.items())))
        for n in Notification.objects.all()
    }


@pytest.mark.parametrize("n", [5, 50])
def test_events_that_notify_nobody_cost_the_listener_no_query(roads, people, n):
    _quiet_events(roads, people, n)
    events = _pending()
    assert len(events) == n
    before = Notification.objects.count()

    assert _queries(on_timeline_events, events) == 0
    assert Notification.objects.count() == before


def test_dispatching_fifty_quiet_events_costs_what_dispatching_five_does(
    roads, people, only_notifications
):
    counts = {}
    for n in (5, 50):
        _quiet_events(roads, people, n)
        before = Notification.objects.count()
        counts[n] = _queries(dispatch.dispatch_batch, limit=n)
        assert not TicketEvent.objects.filter(dispatched_at__isnull=True).exists()
        assert Notification.objects.count() == before

    assert counts[5] == counts[50]


def test_a_batch_that_notifies_costs_a_fixed_number_of_queries_however_many_events(roads, people):
    counts = {}
    for reports in (1, 5):
        for n in range(reports):
            _busy_reports(roads, people, n)
        events = _pending()
        before = Notification.objects.count()
        queries = _queries(on_timeline_events, events)
        messages = Notification.objects.count() - before
        counts[reports] = (len(events), messages)
        TicketEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            dispatched_at=timezone.now()
        )
        assert queries == (
            BATCH_QUERIES - 2 + _inserts(Notification, messages) + _inserts(Job, messages)
        )

    # Fourteen events with twenty messages; seventy with a hundred.
    assert counts == {1: (14, 20), 5: (70, 100)}
    assert Job.objects.filter(kind=SEND_JOB).count() == Notification.objects.count()


def test_a_batch_sends_what_handing_over_each_event_alone_does(roads, people):
    for n in range(3):
        _busy_reports(roads, people, n)
    events = _pending()
    for event in events:
        on_timeline_event(event)
    one_by_one = _sent()
    order = list(Notification.objects.order_by("pk").values_list("event_id", "kind", "recipient"))
    Job.objects.filter(kind=SEND_JOB).delete()
    Notification.objects.all().delete()

    on_timeline_events(events)

    assert _sent() == one_by_one
    kinds = {kind for _event, kind, _recipient, _context in one_by_one}
    assert kinds == set(Notification.Kind.values) - {
        Notification.Kind.WEBHOOK_DEAD_LETTER,
        Notification.Kind.WEBHOOK_ENDPOINT_DISABLED,
    }
    # Queued in the same order, so they are sent in it.
    assert (
        list(Notification.objects.order_by("pk").values_list("event_id", "kind", "recipient"))
        == order
    )
    jobs = Job.objects.filter(kind=SEND_JOB).order_by("pk")
    assert [job.payload["notification"] for job in jobs] == list(
        Notification.objects.order_by("pk").values_list("pk", flat=True)
    )


def test_a_batch_handed_over_again_records_and_queues_nothing_more(roads, people):
    _busy_reports(roads, people, 0)
    events = _pending()
    on_timeline_events(events)
    recorded = _sent()
    jobs = Job.objects.filter(kind=SEND_JOB).count()
    # A sent message's job is purged in time; handing the events over again must not
    # send it a second time.
    Job.objects.filter(kind=SEND_JOB).delete()

    on_timeline_events(events)
    dispatch.dispatch_batch()
    dispatch.replay("notifications")

    assert _sent() == recorded
    assert jobs == len(recorded)
    assert not Job.objects.filter(kind=SEND_JOB).exists()


def test_the_dispatcher_hands_the_notifications_listener_each_batch_at_once(
    roads, people, monkeypatch
):
    _busy_reports(roads, people, 0)
    batches: list[list[int]] = []
    monkeypatch.setitem(
        dispatch.BATCH_LISTENERS,
        "notifications",
        (on_timeline_event, lambda events: batches.append([e.pk for e in events])),
    )

    dispatch.dispatch_batch(limit=5)
    dispatch.dispatch_batch(limit=500)

    assert [len(batch) for batch in batches] == [5, 9]
    assert sorted(pk for batch in batches for pk in batch) == list(
        TicketEvent.objects.order_by("pk").values_list("pk", flat=True)
    )


def test_tickets_not_loaded_with_their_events_still_reach_residents(roads, people):
    ticket: Ticket = make_ticket(service=roads, reporter_email="rita@example.org")
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.OPENED)

    on_timeline_events([event])

    assert Notification.objects.filter(
        event=event, recipient="rita@example.org", kind=Notification.Kind.REPORT_RECEIVED
    ).exists()
