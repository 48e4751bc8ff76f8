"""Suppliers and contracts: created and changed through services that record old and new."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from interchange.core.audit import history
from interchange.core.models import ChangeRecord
from interchange.suppliers.models import Contract, Supplier
from interchange.suppliers.services import (
    contract_create,
    contract_update,
    sla_policy_create,
    supplier_create,
    supplier_update,
)

pytestmark = pytest.mark.django_db

AT = datetime(2026, 2, 1, 9, tzinfo=UTC)


def new_contract(commissioner, supplier, **fields):
    arguments = {
        "actor": commissioner,
        "supplier": supplier,
        "reference": "HW-2026",
        "title": "Highways maintenance",
        "start_date": date(2026, 4, 1),
        "end_date": date(2031, 3, 31),
        "annual_value": Decimal("2500000.00"),
        "status": Contract.Status.DRAFT,
        "at": AT,
    } | fields
    return contract_create(**arguments)


def test_a_new_supplier_is_recorded_with_who_made_it(commissioner):
    supplier = supplier_create(
        actor=commissioner,
        code="brightlights",
        name="Bright Lights Ltd",
        public_name="Bright Lights",
        tower=Supplier.Tower.HIGHWAYS,
        at=AT,
    )
    (record,) = history(supplier)
    assert (record.action, record.actor, record.at) == (
        ChangeRecord.Action.CREATED,
        commissioner,
        AT,
    )
    assert record.changes["public_name"] == [None, "Bright Lights"]
    # Timestamps change on every save and are not part of the story.
    assert "updated_at" not in record.changes


def test_a_supplier_code_is_unique(commissioner, supplier_a):
    with pytest.raises(ValidationError) as caught:
        supplier_create(
            actor=commissioner,
            code=supplier_a.code,
            name="Another",
            public_name="Another",
            tower=Supplier.Tower.WASTE,
        )
    assert list(caught.value.message_dict) == ["code"]


def test_changing_a_supplier_records_each_field_s_old_and_new_value(commissioner, supplier_a):
    changed = supplier_update(
        actor=commissioner,
        supplier=supplier_a,
        data={"public_name": "Streetwise", "active": False},
        at=AT,
    )
    assert (changed.public_name, changed.active) == ("Streetwise", False)
    record = history(changed).get(action=ChangeRecord.Action.CHANGED)
    assert record.changes == {
        "public_name": ["Streetwise Roads", "Streetwise"],
        "active": [True, False],
    }


def test_saving_a_supplier_unchanged_records_nothing(commissioner, supplier_a):
    supplier_update(actor=commissioner, supplier=supplier_a, data={"name": supplier_a.name})
    assert not history(supplier_a).exists()


def test_a_change_that_breaks_a_rule_saves_nothing(commissioner, supplier_a):
    with pytest.raises(ValidationError):
        supplier_update(actor=commissioner, supplier=supplier_a, data={"tower": "space"})
    supplier_a.refresh_from_db()
    assert supplier_a.tower == Supplier.Tower.HIGHWAYS
    assert not history(supplier_a).exists()


def test_only_a_supplier_s_own_fields_can_be_changed(commissioner, supplier_a):
    with pytest.raises(TypeError):
        supplier_update(actor=commissioner, supplier=supplier_a, data={"created_at": AT})


def test_a_contract_is_created_and_changed_with_its_history(commissioner, supplier_a):
    contract = new_contract(commissioner, supplier_a, break_dates=[date(2029, 3, 31)])
    assert contract.break_dates == ["2029-03-31"]
    changed = contract_update(
        actor=commissioner,
        contract=contract,
        data={"status": Contract.Status.ACTIVE, "annual_value": Decimal("2600000.00")},
        at=AT,
    )
    record = history(changed).get(action=ChangeRecord.Action.CHANGED)
    assert record.changes == {
        "annual_value": ["2500000.00", "2600000.00"],
        "status": ["draft", "active"],
    }


def test_a_contract_must_end_on_or_after_it_starts(commissioner, supplier_a):
    with pytest.raises(ValidationError) as caught:
        new_contract(commissioner, supplier_a, end_date=date(2026, 3, 31))
    assert "The end must be on or after the start." in caught.value.messages
    assert not Contract.objects.exists()


def test_break_dates_must_be_dates_inside_the_contract(commissioner, supplier_a):
    with pytest.raises(ValidationError) as caught:
        new_contract(commissioner, supplier_a, break_dates=[date(2032, 3, 31)])
    assert caught.value.message_dict == {
        "break_dates": [
            "The break date 2032-03-31 is outside the contract, which runs from 2026-04-01 "
            "to 2031-03-31."
        ]
    }
    with pytest.raises(ValidationError) as caught:
        new_contract(commissioner, supplier_a, break_dates=["31/03/2029"])
    assert caught.value.message_dict == {
        "break_dates": ["31/03/2029 is not a date like 2027-03-31."]
    }


def test_break_dates_are_kept_in_order_once_each(commissioner, supplier_a):
    contract = new_contract(
        commissioner,
        supplier_a,
        break_dates=["2030-03-31", date(2028, 3, 31), "2030-03-31"],
    )
    assert contract.break_dates == ["2028-03-31", "2030-03-31"]


def test_a_new_sla_policy_is_recorded(commissioner, supplier_a):
    contract = new_contract(commissioner, supplier_a)
    policy = sla_policy_create(actor=commissioner, contract=contract, name="Roads", at=AT)
    assert history(policy).get().changes["name"] == [None, "Roads"]
