"""provision_for: who provides a service where and when, the question routing asks."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interchange.suppliers.models import ServiceProvision
from interchange.suppliers.selectors import local_date, policy_version_at, provision_for
from interchange.suppliers.services import (
    policy_version_create,
    provision_save,
    transition_service,
)
from interchange.suppliers.tests import factories

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """That local wall-clock time in London, as an instant."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=LONDON)


def save(world, *, by="a", areas=(), start=date(2024, 4, 1), end=None):
    return provision_save(
        actor=world.actor,
        contract=getattr(world, by),
        service=world.potholes,
        areas=list(areas),
        sla_policy=getattr(world, f"{by}_policy"),
        valid_from=start,
        valid_to=end,
    )


def test_a_provision_covers_its_first_day_and_not_its_end_date(world):
    provision = save(world, start=date(2025, 4, 1), end=date(2026, 4, 1))
    assert (
        provision_for(service=world.potholes, area=None, at=at(date(2025, 3, 31), 23, 59)) is None
    )
    assert provision_for(service=world.potholes, area=None, at=at(date(2025, 4, 1), 0)) == provision
    assert provision_for(
        service=world.potholes, area=None, at=at(date(2026, 3, 31), 23, 59, 59)
    ) == (provision)
    assert provision_for(service=world.potholes, area=None, at=at(date(2026, 4, 1), 0)) is None


def test_provisions_change_at_london_midnight_in_summer_time_not_utc_midnight(world):
    old = save(world, by="a", end=date(2026, 6, 1))
    new = save(world, by="b", start=date(2026, 6, 1))
    # Midnight in London on 1 June is 23:00 UTC on 31 May.
    midnight = datetime(2026, 5, 31, 23, 0, tzinfo=UTC)
    assert midnight == at(date(2026, 6, 1), 0)
    assert (
        provision_for(service=world.potholes, area=None, at=midnight - timedelta(seconds=1)) == old
    )
    assert provision_for(service=world.potholes, area=None, at=midnight) == new
    assert local_date(midnight) == date(2026, 6, 1)


def test_provisions_change_at_midnight_in_winter_too(world):
    old = save(world, by="a", end=date(2026, 1, 1))
    new = save(world, by="b", start=date(2026, 1, 1))
    midnight = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert (
        provision_for(service=world.potholes, area=None, at=midnight - timedelta(microseconds=1))
        == old
    )
    assert provision_for(service=world.potholes, area=None, at=midnight) == new


def test_an_area_gets_its_own_provision_and_others_get_none(world):
    north = save(world, by="a", areas=[world.north])
    south = save(world, by="b", areas=[world.south])
    moment = at(date(2025, 1, 1))
    assert provision_for(service=world.potholes, area=world.north, at=moment) == north
    assert provision_for(service=world.potholes, area=world.south, at=moment) == south
    assert provision_for(service=world.potholes, area=world.east, at=moment) is None
    # No area known (no location given): only a provision for every area could apply.
    assert provision_for(service=world.potholes, area=None, at=moment) is None


def test_a_provision_for_every_area_covers_any_area_and_none(world):
    everywhere = save(world, areas=[])
    moment = at(date(2025, 1, 1))
    assert provision_for(service=world.potholes, area=world.east, at=moment) == everywhere
    assert provision_for(service=world.potholes, area=None, at=moment) == everywhere


def test_an_area_specific_provision_beats_one_for_every_area(world):
    # The rules never let these overlap; rows made by hand (or by an older release) might,
    # and routing must still be predictable.
    everywhere = ServiceProvision.objects.create(
        contract=world.a,
        service=world.potholes,
        sla_policy=world.a_policy,
        valid_from=date(2024, 4, 1),
    )
    north = ServiceProvision.objects.create(
        contract=world.b,
        service=world.potholes,
        sla_policy=world.b_policy,
        valid_from=date(2024, 4, 1),
    )
    north.areas.set([world.north])
    moment = at(date(2025, 1, 1))
    assert provision_for(service=world.potholes, area=world.north, at=moment) == north
    assert provision_for(service=world.potholes, area=world.south, at=moment) == everywhere


def test_with_no_provision_the_ticket_stays_with_the_desk(world):
    assert provision_for(service=world.potholes, area=world.north, at=at(date(2025, 1, 1))) is None


def test_before_a_transition_the_old_supplier_and_from_its_date_the_new(world):
    save(world, by="a", areas=[])
    transition_service(
        actor=world.actor,
        service=world.potholes,
        from_contract=world.a,
        to_contract=world.b,
        on=date(2026, 4, 1),
        sla_policy=world.b_policy,
        at=at(date(2026, 1, 10)),
    )
    before = provision_for(
        service=world.potholes, area=world.north, at=at(date(2026, 3, 31), 23, 59)
    )
    after = provision_for(service=world.potholes, area=world.north, at=at(date(2026, 4, 1), 0))
    assert before is not None and after is not None
    assert before.contract.supplier.code == "streetwise"
    assert after.contract.supplier.code == "cleanway"
    assert after.sla_policy == world.b_policy


def test_a_look_up_that_finds_an_area_provision_takes_one_query(world, django_assert_num_queries):
    save(world, areas=[world.north])
    with django_assert_num_queries(1):
        found = provision_for(service=world.potholes, area=world.north, at=at(date(2025, 1, 1)))
        # The supplier comes with it, for the ticket's holder.
        assert found is not None
        assert found.contract.supplier.code == "streetwise"


def test_a_look_up_that_falls_back_to_every_area_takes_two_queries(
    world, django_assert_num_queries
):
    save(world, areas=[])
    with django_assert_num_queries(2):
        found = provision_for(service=world.potholes, area=world.north, at=at(date(2025, 1, 1)))
        assert found is not None
        assert found.sla_policy.name == "Standard"


def test_a_look_up_without_an_area_takes_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert provision_for(service=world.potholes, area=None, at=at(date(2025, 1, 1))) is None


def test_the_policy_version_in_force_is_the_latest_to_take_effect_by_then(world):
    first = policy_version_create(
        actor=world.actor,
        policy=world.a_policy,
        effective_from=at(date(2025, 4, 1), 0),
        targets=factories.targets(4),
        at=at(date(2025, 1, 1)),
    )
    second = policy_version_create(
        actor=world.actor,
        policy=world.a_policy,
        effective_from=at(date(2026, 4, 1), 0),
        targets=factories.targets(2),
        at=at(date(2026, 1, 1)),
    )
    assert policy_version_at(policy=world.a_policy, at=at(date(2025, 3, 31), 23)) is None
    assert policy_version_at(policy=world.a_policy, at=at(date(2025, 4, 1), 0)) == first
    assert policy_version_at(policy=world.a_policy, at=at(date(2026, 3, 31), 23)) == first
    assert policy_version_at(policy=world.a_policy, at=at(date(2026, 4, 1), 0)) == second


# Random sets of provisions, as a commissioner might try to make them: the rules let some in,
# and whatever gets in, routing must give at most one answer, the one a full scan gives.
DAYS = 12
BASE = date(2025, 1, 1)
# Mostly one ward and a short term, so that many fit together; some for every area or
# open-ended, so that the conflicts are tried too.
candidate = st.tuples(
    st.sampled_from(["a", "b"]),
    st.one_of(
        st.sets(st.sampled_from(["north", "south", "east"]), min_size=1, max_size=1),
        st.sets(st.sampled_from(["north", "south", "east"]), max_size=3),
    ),
    st.integers(0, DAYS - 1),
    st.one_of(st.integers(1, 4), st.none()),
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    candidates=st.lists(candidate, min_size=2, max_size=12),
    probes=st.lists(
        st.tuples(st.sampled_from([None, "north", "south", "east"]), st.integers(0, DAYS + 1)),
        min_size=1,
        max_size=10,
    ),
)
def test_routing_gives_at_most_one_provision_and_the_one_a_full_scan_finds(
    world, candidates, probes
):
    with transaction.atomic():
        for by, area_names, start, length in candidates:
            with contextlib.suppress(ValidationError):
                save(
                    world,
                    by=by,
                    areas=[getattr(world, name) for name in sorted(area_names)],
                    start=BASE + timedelta(days=start),
                    end=None if length is None else BASE + timedelta(days=start + length),
                )
        provisions = list(ServiceProvision.objects.prefetch_related("areas"))
        for area_name, offset in probes:
            day = BASE + timedelta(days=offset)
            area = getattr(world, area_name) if area_name else None
            current = [
                p
                for p in provisions
                if p.valid_from <= day and (p.valid_to is None or day < p.valid_to)
            ]
            specific = [p for p in current if area is not None and area in p.areas.all()]
            everywhere = [p for p in current if not p.areas.all()]
            assert len(specific) <= 1 and len(everywhere) <= 1
            assert not (everywhere and len(current) > 1)
            expected = (specific or everywhere)[0] if specific or everywhere else None
            moment = at(day, 0) if offset % 2 else at(day, 23, 59)
            assert provision_for(service=world.potholes, area=area, at=moment) == expected
        transaction.set_rollback(True)
