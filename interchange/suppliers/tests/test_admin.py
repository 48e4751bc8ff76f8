"""The suppliers admin: the same rules as the services, and every change recorded."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interchange.catalogue.tests.admin_forms import errors, form_data
from interchange.core.audit import history
from interchange.core.models import ChangeRecord
from interchange.suppliers.models import (
    ServiceProvision,
    SlaPolicyVersion,
    Supplier,
    SupplierContact,
)
from interchange.suppliers.services import policy_version_create, provision_save
from interchange.suppliers.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def provision_data(world, **fields):
    return {
        "contract": world.b.pk,
        "service": world.potholes.pk,
        "areas": [world.south.pk],
        "sla_policy": world.b_policy.pk,
        "valid_from": "2025-04-01",
        "valid_to": "",
    } | fields


@pytest.mark.parametrize(
    "model",
    [
        "supplier",
        "suppliercontact",
        "contract",
        "slapolicy",
        "slapolicyversion",
        "serviceprovision",
    ],
)
def test_every_page_opens_for_an_administrator(admin_client, world, model):
    provision_save(
        actor=world.actor,
        contract=world.a,
        service=world.potholes,
        areas=[world.north],
        sla_policy=world.a_policy,
        valid_from=date(2024, 4, 1),
        valid_to=None,
    )
    policy_version_create(
        actor=world.actor,
        policy=world.a_policy,
        effective_from=timezone.now() + timedelta(days=1),
        targets=factories.targets(),
    )
    SupplierContact.objects.create(
        supplier=world.a.supplier, name="Pat", role="escalation", email="pat@example.org"
    )
    changelist = admin_client.get(reverse(f"admin:suppliers_{model}_changelist"))
    assert changelist.status_code == 200
    if model != "suppliercontact":
        assert admin_client.get(reverse(f"admin:suppliers_{model}_add")).status_code == 200
    first = changelist.context["cl"].result_list[0]
    page = admin_client.get(reverse(f"admin:suppliers_{model}_change", args=[first.pk]))
    assert page.status_code == 200


def test_a_person_who_is_not_staff_cannot_open_the_admin(client, world, commissioner):
    client.force_login(commissioner)
    response = client.get(reverse("admin:suppliers_serviceprovision_changelist"))
    assert response.status_code == 302


def test_an_overlapping_provision_is_an_error_on_the_form_and_nothing_is_saved(admin_client, world):
    provision_save(
        actor=world.actor,
        contract=world.a,
        service=world.potholes,
        areas=[world.north, world.south],
        sla_policy=world.a_policy,
        valid_from=date(2024, 4, 1),
        valid_to=date(2026, 4, 1),
    )
    records = ChangeRecord.objects.count()
    response = admin_client.post(
        reverse("admin:suppliers_serviceprovision_add"), provision_data(world)
    )
    assert response.status_code == 200
    assert errors(response) == [
        "This overlaps Streetwise Roads Ltd’s provision under HW-2020 from 1 April 2024 until "
        "1 April 2026 in Ward S1."
    ]
    assert "This overlaps Streetwise Roads Ltd’s provision" in response.content.decode()
    assert ServiceProvision.objects.count() == 1
    assert ChangeRecord.objects.count() == records


def test_the_admin_refuses_a_policy_of_another_contract_beside_the_field(admin_client, world):
    response = admin_client.post(
        reverse("admin:suppliers_serviceprovision_add"),
        provision_data(world, sla_policy=world.a_policy.pk),
    )
    assert response.context["adminform"].form.errors["sla_policy"] == [
        "The SLA policy “Standard” belongs to another contract; choose one of ENV-2020’s."
    ]
    assert not ServiceProvision.objects.exists()


def test_a_provision_made_in_the_admin_is_saved_through_the_rules_and_recorded(
    admin_client, world, administrator
):
    response = admin_client.post(
        reverse("admin:suppliers_serviceprovision_add"), provision_data(world)
    )
    assert response.status_code == 302
    provision = ServiceProvision.objects.get()
    assert list(provision.areas.all()) == [world.south]
    (record,) = history(provision)
    assert record.actor == administrator
    assert record.changes["areas"] == [None, [world.south.pk]]


def test_changing_a_provision_in_the_admin_records_old_and_new_once(admin_client, world):
    provision = provision_save(
        actor=world.actor,
        contract=world.b,
        service=world.potholes,
        areas=[world.south],
        sla_policy=world.b_policy,
        valid_from=date(2025, 4, 1),
        valid_to=None,
    )
    url = reverse("admin:suppliers_serviceprovision_change", args=[provision.pk])
    data = form_data(admin_client.get(url)) | {
        "areas": [str(world.south.pk), str(world.east.pk)],
        "valid_to": "2030-04-01",
    }
    assert admin_client.post(url, data).status_code == 302
    (changed,) = history(provision).filter(action=ChangeRecord.Action.CHANGED)
    assert changed.changes == {
        "areas": [[world.south.pk], sorted([world.south.pk, world.east.pk])],
        "valid_to": [None, "2030-04-01"],
    }


def test_changing_a_supplier_in_the_admin_records_old_and_new(
    admin_client, supplier_a, administrator
):
    url = reverse("admin:suppliers_supplier_change", args=[supplier_a.pk])
    data = form_data(admin_client.get(url)) | {
        "public_name": "Streetwise",
        "company_number": "01234567",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, errors(response)
    (record,) = history(supplier_a)
    assert record.action == ChangeRecord.Action.CHANGED
    assert record.actor == administrator
    assert record.changes == {
        "company_number": ["", "01234567"],
        "public_name": ["Streetwise Roads", "Streetwise"],
    }
    # And the history is there to see on the supplier's page.
    page = admin_client.get(url).content.decode()
    assert "Change history" in page
    assert "Streetwise Roads → Streetwise" in page


def test_contacts_added_and_removed_in_the_admin_are_recorded_on_both(admin_client, supplier_a):
    url = reverse("admin:suppliers_supplier_change", args=[supplier_a.pk])
    data = form_data(admin_client.get(url)) | {
        "contacts-TOTAL_FORMS": "1",
        "contacts-0-name": "Pat Jones",
        "contacts-0-role": SupplierContact.Role.ESCALATION,
        "contacts-0-email": "pat@example.org",
        "contacts-0-supplier": str(supplier_a.pk),
    }
    assert admin_client.post(url, data).status_code == 302
    contact = SupplierContact.objects.get()
    assert history(contact).get().action == ChangeRecord.Action.CREATED
    added = history(supplier_a).get()
    assert added.changes["contacts"][0] == []
    assert added.changes["contacts"][1][0]["email"] == "pat@example.org"

    data = form_data(admin_client.get(url)) | {"contacts-0-DELETE": "on"}
    assert admin_client.post(url, data).status_code == 302
    assert not SupplierContact.objects.exists()
    removed = ChangeRecord.objects.filter(action=ChangeRecord.Action.DELETED).get()
    assert (removed.object_id, removed.changes["name"]) == (str(contact.pk), ["Pat Jones", None])
    latest = history(supplier_a)[0]
    assert latest.changes["contacts"][1] == []


def test_deleting_a_supplier_in_the_admin_records_what_it_was(admin_client, supplier_b):
    url = reverse("admin:suppliers_supplier_delete", args=[supplier_b.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    record = ChangeRecord.objects.get(action=ChangeRecord.Action.DELETED)
    assert record.changes["code"] == ["cleanway", None]


def version_data(world, **fields):
    data = {
        "policy": world.a_policy.pk,
        "effective_from_0": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "effective_from_1": "00:00:00",
        "notes": "Faster P1",
    }
    for p in (1, 2, 3, 4):
        data |= {
            f"p{p}_response": f"{p}:00:00",
            f"p{p}_resolution": f"{4 * p}:00:00",
            f"p{p}_calendar": factories.calendar().pk,
        }
    return data | fields


def test_a_version_added_in_the_admin_gets_the_next_number_and_its_targets(
    admin_client, world, administrator
):
    response = admin_client.post(
        reverse("admin:suppliers_slapolicyversion_add"), version_data(world)
    )
    assert response.status_code == 302, errors(response)
    version = SlaPolicyVersion.objects.get()
    assert version.number == 1
    assert [t.response for t in version.targets.all()] == [timedelta(hours=h) for h in (1, 2, 3, 4)]
    assert history(version).get().actor == administrator


def test_a_version_in_the_past_or_missing_a_target_is_refused_in_the_admin(admin_client, world):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = admin_client.post(
        reverse("admin:suppliers_slapolicyversion_add"),
        version_data(world, effective_from_0=yesterday, p2_resolution="0:30:00"),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "A new version cannot take effect in the past" in form.errors["effective_from"][0]
    assert form.non_field_errors() == [
        "P2's resolution target cannot be shorter than its response target."
    ]
    assert not SlaPolicyVersion.objects.exists()


def test_a_new_version_starts_from_the_latest_targets(admin_client, world):
    policy_version_create(
        actor=world.actor,
        policy=world.a_policy,
        effective_from=timezone.now() + timedelta(days=1),
        targets=factories.targets(3),
    )
    response = admin_client.get(
        reverse("admin:suppliers_slapolicyversion_add") + f"?policy={world.a_policy.pk}"
    )
    assert response.context["adminform"].form.initial["p2_response"] == timedelta(hours=6)


def test_a_version_cannot_be_edited_and_only_one_not_yet_in_force_can_be_deleted(
    admin_client, world
):
    soon = policy_version_create(
        actor=world.actor,
        policy=world.a_policy,
        effective_from=timezone.now() + timedelta(days=1),
        targets=factories.targets(),
    )
    url = reverse("admin:suppliers_slapolicyversion_change", args=[soon.pk])
    page = admin_client.get(url)
    assert not page.context["has_change_permission"]
    assert admin_client.post(url, {"notes": "Rewritten"}).status_code == 403
    soon.refresh_from_db()
    assert soon.notes == ""
    delete = reverse("admin:suppliers_slapolicyversion_delete", args=[soon.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not SlaPolicyVersion.objects.exists()

    SlaPolicyVersion.objects.create(
        policy=world.a_policy, number=1, effective_from=timezone.now() - timedelta(days=1)
    )
    in_force = SlaPolicyVersion.objects.get()
    delete = reverse("admin:suppliers_slapolicyversion_delete", args=[in_force.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert SlaPolicyVersion.objects.exists()


def test_the_bulk_delete_action_spares_versions_in_force(admin_client, world):
    in_force = SlaPolicyVersion.objects.create(
        policy=world.a_policy, number=1, effective_from=timezone.now() - timedelta(days=1)
    )
    later = SlaPolicyVersion.objects.create(
        policy=world.a_policy, number=2, effective_from=timezone.now() + timedelta(days=1)
    )
    changelist = reverse("admin:suppliers_slapolicyversion_changelist")
    for selected in ([in_force.pk, later.pk], [later.pk]):
        admin_client.post(
            changelist,
            {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
        )
    # A selection that includes a version in force is refused whole; the later one goes alone.
    assert list(SlaPolicyVersion.objects.all()) == [in_force]
    assert ChangeRecord.objects.get().changes["number"] == [2, None]


def test_the_supplier_list_can_be_searched(admin_client, supplier_a, supplier_b):
    response = admin_client.get(reverse("admin:suppliers_supplier_changelist"), {"q": "clean"})
    assert list(response.context["cl"].result_list) == [supplier_b]
    assert Supplier.objects.count() == 2
