"""transition_service: the exit of one supplier and the start of the next, on one date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from interchange.core.audit import history
from interchange.core.models import ChangeRecord
from interchange.suppliers.models import ServiceProvision
from interchange.suppliers.services import provision_save, transition_service
from interchange.suppliers.tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
ON = date(2026, 4, 1)


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


def transition(world, **overrides):
    arguments = {
        "actor": world.actor,
        "service": world.potholes,
        "from_contract": world.a,
        "to_contract": world.b,
        "on": ON,
        "sla_policy": world.b_policy,
        "at": NOW,
    } | overrides
    return transition_service(**arguments)


def refused(world, **overrides) -> dict[str, list[str]]:
    before = (
        list(ServiceProvision.objects.values_list("pk", "valid_to")),
        ChangeRecord.objects.count(),
    )
    with pytest.raises(ValidationError) as caught:
        transition(world, **overrides)
    after = (
        list(ServiceProvision.objects.values_list("pk", "valid_to")),
        ChangeRecord.objects.count(),
    )
    assert after == before
    return caught.value.message_dict


def test_a_transition_ends_the_old_provision_and_starts_the_new_on_the_date(world):
    old = save(world, areas=[])
    (new,) = transition(world)
    old.refresh_from_db()
    assert old.valid_to == ON
    assert (new.contract, new.valid_from, new.valid_to, new.sla_policy) == (
        world.b,
        ON,
        None,
        world.b_policy,
    )
    assert list(new.areas.all()) == []
    ended = history(old).get(action=ChangeRecord.Action.CHANGED)
    assert ended.changes == {"valid_to": [None, "2026-04-01"]}
    assert ended.reason == "Transition of Potholes from HW-2020 to ENV-2020 on 2026-04-01"
    assert history(new).get().reason == ended.reason


def test_a_transition_keeps_the_areas_of_each_provision_it_ends(world):
    save(world, areas=[world.north])
    save(world, areas=[world.south, world.east])
    new = transition(world, until=date(2031, 4, 1))
    assert [sorted(a.code for a in p.areas.all()) for p in new] == [["N1"], ["E1", "S1"]]
    assert {p.valid_to for p in new} == {date(2031, 4, 1)}


def test_a_transition_leaves_other_contracts_provisions_alone(world):
    other = factories.contract(world.a.supplier, "HW-LIGHTS")
    save(world, areas=[world.north])
    kept = provision_save(
        actor=world.actor,
        contract=other,
        service=world.potholes,
        areas=[world.south],
        sla_policy=factories.policy(other),
        valid_from=date(2024, 4, 1),
        valid_to=None,
    )
    transition(world)
    kept.refresh_from_db()
    assert kept.valid_to is None


def test_a_transition_is_all_or_nothing(world):
    save(world, areas=[world.north])
    save(world, by="b", areas=[world.south], start=date(2027, 1, 1))
    # B could take the north, but the second part of a wider hand-over would overlap its own.
    save(world, areas=[world.south], end=date(2026, 12, 1))
    errors = refused(world)
    assert (
        "This overlaps Cleanway Environmental Ltd’s provision under ENV-2020"
        in (errors["__all__"][0])
    )


def test_the_new_policy_must_belong_to_the_new_contract(world):
    save(world, areas=[])
    assert list(refused(world, sla_policy=world.a_policy)) == ["sla_policy"]


def test_a_transition_needs_a_provision_to_end(world):
    assert refused(world) == {
        "from_contract": ["HW-2020 does not provide Potholes on 1 April 2026."]
    }


def test_a_transition_cannot_be_dated_in_the_past(world):
    save(world, areas=[])
    assert refused(world, on=date(2026, 1, 14)) == {
        "on": ["A transition cannot be in the past; choose 15 January 2026 or later."]
    }


def test_a_provision_starting_on_the_transition_date_must_be_changed_instead(world):
    save(world, areas=[], start=ON)
    assert list(refused(world)) == ["on"]


def test_a_transition_to_the_same_contract_is_refused(world):
    save(world, areas=[])
    assert list(refused(world, to_contract=world.a)) == ["to_contract"]
