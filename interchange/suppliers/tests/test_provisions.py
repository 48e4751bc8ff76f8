"""provision_save: the overlap rules that keep routing unambiguous, and their history."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from interchange.core.audit import history
from interchange.core.models import ChangeRecord
from interchange.suppliers.models import ServiceProvision
from interchange.suppliers.services import provision_save
from interchange.suppliers.tests import factories

pytestmark = pytest.mark.django_db


def save(world, *, by="a", areas=(), start=date(2024, 4, 1), end=None, **extra):
    contract = getattr(world, by)
    return provision_save(
        actor=world.actor,
        contract=contract,
        service=extra.pop("service", world.potholes),
        areas=list(areas),
        sla_policy=extra.pop("sla_policy", getattr(world, f"{by}_policy")),
        valid_from=start,
        valid_to=end,
        **extra,
    )


def refused(world, **kwargs) -> dict[str, list[str]]:
    before = ServiceProvision.objects.count(), ChangeRecord.objects.count()
    with pytest.raises(ValidationError) as caught:
        save(world, **kwargs)
    assert (ServiceProvision.objects.count(), ChangeRecord.objects.count()) == before
    return caught.value.message_dict


def test_a_provision_is_saved_with_its_areas_and_recorded(world):
    provision = save(world, areas=[world.north, world.south], end=date(2026, 4, 1))
    assert set(provision.areas.all()) == {world.north, world.south}
    (record,) = history(provision)
    assert record.action == ChangeRecord.Action.CREATED
    assert record.actor == world.actor
    assert record.changes["areas"] == [None, sorted([world.north.pk, world.south.pk])]
    assert record.changes["valid_to"] == [None, "2026-04-01"]


def test_provisions_in_different_areas_may_overlap_in_time(world):
    save(world, by="a", areas=[world.north])
    save(world, by="b", areas=[world.south, world.east])
    assert ServiceProvision.objects.count() == 2


def test_provisions_sharing_an_area_cannot_overlap_in_time(world):
    save(world, by="a", areas=[world.north, world.south], end=date(2026, 4, 1))
    errors = refused(world, by="b", areas=[world.south, world.east], start=date(2025, 4, 1))
    assert errors == {
        NON_FIELD_ERRORS: [
            "This overlaps Streetwise Roads Ltd’s provision under HW-2020 from 1 April 2024 "
            "until 1 April 2026 in Ward S1."
        ]
    }


def test_an_all_areas_provision_cannot_overlap_another(world):
    save(world, by="a", areas=[world.north], start=date(2025, 1, 1))
    errors = refused(world, by="b", areas=[], start=date(2024, 4, 1))
    assert errors[NON_FIELD_ERRORS] == [
        "A provision for every area cannot overlap another, and this overlaps Streetwise Roads "
        "Ltd’s provision under HW-2020 from 1 January 2025, with no end."
    ]


def test_a_provision_cannot_overlap_an_all_areas_one(world):
    save(world, by="a", areas=[], end=date(2025, 4, 1))
    errors = refused(world, by="b", areas=[world.east], start=date(2025, 3, 31))
    assert errors[NON_FIELD_ERRORS] == [
        "This overlaps Streetwise Roads Ltd’s provision under HW-2020 from 1 April 2024 until "
        "1 April 2025, which covers every area."
    ]


def test_every_conflict_is_named(world):
    save(world, by="a", areas=[world.north], end=date(2025, 4, 1))
    save(world, by="a", areas=[world.south], start=date(2025, 4, 1))
    errors = refused(world, by="b", areas=[], start=date(2024, 6, 1))
    assert len(errors[NON_FIELD_ERRORS]) == 2


def test_back_to_back_provisions_meet_without_overlapping(world):
    save(world, by="a", areas=[], end=date(2026, 4, 1))
    save(world, by="b", areas=[], start=date(2026, 4, 1))
    assert ServiceProvision.objects.count() == 2


def test_an_open_ended_provision_overlaps_everything_after_it(world):
    save(world, by="a", areas=[world.north])
    assert refused(world, by="b", areas=[world.north], start=date(2034, 1, 1))


def test_provisions_of_other_services_never_conflict(world):
    save(world, by="a", areas=[])
    save(world, by="b", areas=[], service=factories.service("bins"))
    assert ServiceProvision.objects.count() == 2


def test_the_sla_policy_must_belong_to_the_provision_s_contract(world):
    errors = refused(world, by="a", sla_policy=world.b_policy)
    assert errors == {
        "sla_policy": [
            "The SLA policy “Standard” belongs to another contract; choose one of HW-2020’s."
        ]
    }


def test_a_provision_must_start_while_its_contract_runs(world):
    errors = refused(world, start=date(2019, 4, 1))
    assert errors == {
        "valid_from": [
            "The provision must start while its contract runs, from 1 April 2020 to 31 March 2035."
        ]
    }


def test_a_provision_must_end_after_it_starts(world):
    errors = refused(world, start=date(2024, 4, 1), end=date(2024, 4, 1))
    assert errors == {NON_FIELD_ERRORS: ["The end must be after the start."]}


def test_changing_a_provision_does_not_conflict_with_itself_and_records_old_and_new(world):
    provision = save(world, areas=[world.north])
    changed = save(
        world,
        areas=[world.north, world.south],
        end=date(2027, 4, 1),
        provision=provision,
    )
    assert changed.pk == provision.pk
    assert set(changed.areas.all()) == {world.north, world.south}
    record = history(changed).get(action=ChangeRecord.Action.CHANGED)
    assert record.changes == {
        "areas": [[world.north.pk], sorted([world.north.pk, world.south.pk])],
        "valid_to": [None, "2027-04-01"],
    }


def test_changing_a_provision_into_an_overlap_is_refused_and_leaves_it_as_it_was(world):
    provision = save(world, by="a", areas=[world.north], end=date(2025, 4, 1))
    save(world, by="b", areas=[world.south])
    refused(world, by="a", areas=[world.north, world.south], provision=provision)
    provision.refresh_from_db()
    assert list(provision.areas.all()) == [world.north]
