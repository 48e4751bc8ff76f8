"""SLA policy versions: numbered, taking effect later than the last and never in the past,
with a target for every priority, and recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from interchange.core.audit import history
from interchange.core.models import ChangeRecord
from interchange.core.priorities import Priority
from interchange.suppliers.models import SlaPolicyVersion
from interchange.suppliers.selectors import policy_version_at
from interchange.suppliers.services import TargetSpec, policy_version_create
from interchange.suppliers.tests import factories

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def create(world, effective_from, *, targets=None, at=NOW, notes=""):
    return policy_version_create(
        actor=world.actor,
        policy=world.a_policy,
        effective_from=effective_from,
        targets=factories.targets() if targets is None else targets,
        notes=notes,
        at=at,
    )


def refused(world, effective_from, **kwargs) -> dict[str, list[str]]:
    before = SlaPolicyVersion.objects.count(), ChangeRecord.objects.count()
    with pytest.raises(ValidationError) as caught:
        create(world, effective_from, **kwargs)
    assert (SlaPolicyVersion.objects.count(), ChangeRecord.objects.count()) == before
    return caught.value.message_dict


def test_versions_are_numbered_one_after_another(world):
    first = create(world, NOW)
    second = create(world, NOW + timedelta(days=30), at=NOW + timedelta(days=1))
    assert (first.number, second.number) == (1, 2)
    assert [t.priority for t in second.targets.all()] == [1, 2, 3, 4]


def test_a_version_may_take_effect_from_the_moment_it_is_made(world):
    assert create(world, NOW).effective_from == NOW


def test_a_version_cannot_take_effect_in_the_past(world):
    errors = refused(world, NOW - timedelta(minutes=1))
    assert errors == {
        "effective_from": [
            "A new version cannot take effect in the past, where tickets have already started "
            "under the version then in force. Choose 15 January 2026, 10:00 or later."
        ]
    }


def test_a_version_must_take_effect_after_the_latest_one(world):
    create(world, NOW + timedelta(days=60))
    errors = refused(world, NOW + timedelta(days=30), at=NOW + timedelta(days=1))
    assert errors == {
        "effective_from": [
            "It must take effect after version 1, which is in force from 16 March 2026, 10:00."
        ]
    }
    assert refused(world, NOW + timedelta(days=60), at=NOW + timedelta(days=1))


def test_a_time_without_a_zone_is_refused(world):
    assert list(refused(world, datetime(2026, 2, 1, 9, 0))) == ["effective_from"]


def test_every_priority_needs_exactly_one_target(world):
    some = [t for t in factories.targets() if t.priority != Priority.P3]
    assert refused(world, NOW, targets=some) == {
        "targets": ["Every priority needs a target; missing: P3."]
    }
    doubled = [*factories.targets(), factories.targets()[0]]
    assert refused(world, NOW, targets=doubled) == {"targets": ["P1 has two targets."]}
    unknown = [
        *factories.targets(),
        TargetSpec(7, timedelta(1), timedelta(2), factories.calendar()),  # type: ignore[arg-type]
    ]
    assert refused(world, NOW, targets=unknown) == {"targets": ["7 is not a priority."]}


def test_targets_are_positive_and_resolution_is_not_shorter_than_response(world):
    cal = factories.calendar()
    bad = [
        TargetSpec(Priority.P1, timedelta(0), timedelta(hours=4), cal),
        TargetSpec(Priority.P2, timedelta(hours=8), timedelta(hours=4), cal),
        *factories.targets()[2:],
    ]
    assert refused(world, NOW, targets=bad) == {
        "targets": [
            "P1's targets must be longer than zero.",
            "P2's resolution target cannot be shorter than its response target.",
        ]
    }


def test_a_new_version_leaves_the_one_in_force_before_it_unchanged(world):
    first = create(world, NOW, targets=factories.targets(4))
    create(
        world, NOW + timedelta(days=90), targets=factories.targets(1), at=NOW + timedelta(days=5)
    )
    in_force = policy_version_at(policy=world.a_policy, at=NOW + timedelta(days=89))
    assert in_force == first
    assert [t.response for t in in_force.targets.all()] == [
        timedelta(hours=4 * p) for p in Priority
    ]


def test_the_new_version_is_recorded_with_its_targets(world):
    version = create(world, NOW, notes="Annual review")
    (record,) = history(version)
    assert record.action == ChangeRecord.Action.CREATED
    assert record.actor == world.actor
    assert record.at == NOW
    assert record.changes["number"] == [None, 1]
    assert record.changes["notes"] == [None, "Annual review"]
    assert record.changes["targets"][1][0] == {
        "priority": "P1",
        "response": 4 * 3600.0,
        "resolution": 40 * 3600.0,
        "calendar_id": factories.calendar().pk,
    }
