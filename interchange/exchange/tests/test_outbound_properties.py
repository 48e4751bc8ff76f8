"""The rules of outbound delivery, checked over many cases: the backoff schedule's bounds,
and the order per ticket whatever fails when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interchange.exchange import delivery as sending
from interchange.exchange.delivery import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    RETRY_AFTER_CAP,
    Outcome,
    backoff,
)
from interchange.exchange.models import Delivery
from interchange.exchange.tests import outbound_helpers
from interchange.exchange.tests.outbound_helpers import T0
from interchange.servicedesk.actors import System
from interchange.servicedesk.services import ticket_add_note

# The shared fixtures, by name.
local_targets = outbound_helpers.local_targets
outbound = outbound_helpers.outbound

unit = st.floats(min_value=0, max_value=1, exclude_max=True)


@given(attempts=st.integers(min_value=1, max_value=10_000), rand=unit)
def test_a_retry_waits_between_half_and_all_of_the_capped_exponential(attempts, rand):
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(attempts - 1, 20))

    wait = backoff(attempts, rand=lambda: rand)

    assert ceiling / 2 <= wait <= ceiling <= BACKOFF_CAP


@given(
    attempts=st.integers(min_value=1, max_value=50),
    rand=unit,
    retry_after=st.integers(min_value=0, max_value=10**7),
)
def test_a_retry_never_comes_before_retry_after_up_to_its_cap(attempts, rand, retry_after):
    asked = timedelta(seconds=retry_after)

    wait = backoff(attempts, retry_after=asked, rand=lambda: rand)

    assert wait >= min(asked, RETRY_AFTER_CAP)
    assert wait <= max(BACKOFF_CAP, RETRY_AFTER_CAP)


def test_the_whole_schedule_gives_a_receiver_hours_but_not_days():
    worst = sum((backoff(n, rand=lambda: 1.0) for n in range(1, MAX_ATTEMPTS)), timedelta())
    best = sum((backoff(n, rand=lambda: 0.0) for n in range(1, MAX_ATTEMPTS)), timedelta())

    assert timedelta(hours=3) < best < worst < timedelta(hours=7)


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    notes=st.lists(st.integers(min_value=0, max_value=1), min_size=1, max_size=3),
    failures=st.lists(st.booleans(), min_size=1, max_size=40),
)
def test_whatever_fails_when_each_tickets_events_are_applied_in_order(
    outbound, monkeypatch, notes, failures
):
    Delivery.objects.all().delete()
    outbound.receiver.applied.clear()
    outbound.receiver.order.clear()
    tickets = [outbound.ticket(), outbound.ticket()]
    for index, ticket_number in enumerate(notes):
        ticket_add_note(
            ticket=tickets[ticket_number], actor=System(), body=f"n{index}", public=True, at=T0
        )
    outbound.fan_out(at=T0)
    plan = iter(failures)
    real = sending.attempt

    def sometimes_failing(delivery, *, salts):
        if next(plan, False):
            return Outcome(delivered=False, status_code=503, error="planned")
        return real(delivery, salts=salts)

    monkeypatch.setattr(sending, "attempt", sometimes_failing)
    now = T0
    for _ in range(len(failures) + 10):
        outbound.deliver(at=now)
        now += timedelta(hours=3)

    expected = {t.reference: list(range(1, t.events.count() + 1)) for t in tickets}
    assert outbound.receiver.applied_versions() == expected
    assert not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists()
