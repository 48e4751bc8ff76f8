"""The demo's reference data: wards that tile the city, a catalogue with targets, suppliers
with a revised policy and a transition, people for every role, and reproducible keys."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings
from shapely.geometry import Point, Polygon, shape
from shapely.ops import unary_union

from interchange.accounts.models import ApiKey, Role, User
from interchange.accounts.services import api_key_authenticate
from interchange.catalogue.models import Area, DeskTarget, Service
from interchange.core.models import ChangeRecord
from interchange.demo import people, reference, wards
from interchange.demo.dates import DemoDates, local_midnight
from interchange.demo.people import Login
from interchange.suppliers.models import (
    Contract,
    ServiceProvision,
    SlaPolicyVersion,
    Supplier,
    SupplierContact,
)

pytestmark = pytest.mark.django_db


def _records(model: type, **filters: object) -> list[ChangeRecord]:
    content_type = ContentType.objects.get_for_model(model)
    return list(ChangeRecord.objects.filter(content_type=content_type, **filters))


def test_every_point_in_the_city_lies_in_exactly_one_ward() -> None:
    shapes = [shape(b) for b in wards.boundaries().values()]
    assert 10 <= len(shapes) <= 20
    assert all(s.is_valid for s in shapes)
    city = unary_union(shapes)
    # No gaps inside the city and no overlaps between wards.
    assert isinstance(city, Polygon) and not list(city.interiors)
    assert sum(s.area for s in shapes) == pytest.approx(city.area, rel=1e-9)
    west, south, east, north = city.bounds
    assert west < -2.59 < east and south < 51.45 < north
    rng = random.Random(5)
    inside = 0
    while inside < 2000:
        point = Point(rng.uniform(west, east), rng.uniform(south, north))
        if city.contains(point):
            inside += 1
            assert sum(s.covers(point) for s in shapes) == 1


def test_wards_are_saved_through_the_area_service_with_their_history(
    logins: list[Login],
) -> None:
    assert Area.objects.count() == len(wards.WARDS)
    assert len(_records(Area, action=ChangeRecord.Action.CREATED)) == len(wards.WARDS)


def test_the_catalogue_has_forty_services_with_questions_and_targets(logins: list[Login]) -> None:
    services = Service.objects.prefetch_related("targets", "questions__choices", "groups")
    assert 38 <= len(services) <= 45
    for service in services:
        assert sorted(t.priority for t in service.targets.all()) == [1, 2, 3, 4]
        assert service.groups.exists() and service.keywords
        assert service.open311_exposed == (service.kind == Service.Kind.RESIDENT)
    pothole = services.get(code="pothole")
    depth = pothole.questions.get(code="depth")
    assert depth.required and depth.choices.count() == 3
    assert DeskTarget.objects.count() == 4


def test_suppliers_sit_in_towers_with_contacts_contracts_and_policies(
    logins: list[Login],
) -> None:
    assert 8 <= Supplier.objects.count() <= 12
    assert len(set(Supplier.objects.values_list("tower", flat=True))) >= 5
    assert SupplierContact.objects.filter(receives_notifications=True).exists()
    assert SupplierContact.objects.filter(receives_notifications=False).exists()
    for supplier in Supplier.objects.all():
        assert supplier.contracts.get().sla_policies.get().versions.exists()
    # Two highways contractors split the city for potholes, each with its own wards.
    pothole = ServiceProvision.objects.filter(service__code="pothole")
    assert {p.contract.supplier.code for p in pothole} == {"kerbline", "rivermead"}
    assert all(p.areas.exists() for p in pothole)


def test_the_waste_policy_was_revised_about_a_year_ago(
    logins: list[Login], dates: DemoDates
) -> None:
    v1, v2 = SlaPolicyVersion.objects.filter(policy__contract__supplier__code="greenbank").order_by(
        "number"
    )
    assert v2.effective_from == dates.revision_from
    assert timedelta(days=330) < dates.anchor - v2.effective_from < timedelta(days=400)
    first = {t.priority: t.resolution for t in v1.targets.all()}
    second = {t.priority: t.resolution for t in v2.targets.all()}
    assert second[3] < first[3]
    [record] = _records(SlaPolicyVersion, object_id=str(v2.pk))
    assert record.at < v2.effective_from
    assert len(record.changes["targets"][1]) == 4


def test_the_outgoing_supplier_hands_its_services_on_at_the_transition(
    logins: list[Login], dates: DemoDates
) -> None:
    on = dates.transition_on
    assert timedelta(days=240) < dates.anchor - local_midnight(on) < timedelta(days=320)
    outgoing = Contract.objects.get(supplier__code="stonebridge")
    assert outgoing.status == Contract.Status.EXPIRED
    assert outgoing.end_date == on - timedelta(days=1)
    ending = ServiceProvision.objects.filter(contract=outgoing)
    assert ending.count() == 15 and all(p.valid_to == on for p in ending)
    successors = ServiceProvision.objects.filter(valid_from=on)
    assert {p.service_id for p in successors} == {p.service_id for p in ending}
    assert {p.contract.supplier.code for p in successors} == {
        "brightdesk",
        "quayline",
        "cloudharbour",
    }
    reasons = [r.reason for r in _records(ServiceProvision) if r.reason]
    assert len(reasons) == 30 and all(r.startswith("Transition of") for r in reasons)
    changes = sorted(
        (r.at, r.changes["status"])
        for r in _records(Contract, object_id=str(outgoing.pk), action=ChangeRecord.Action.CHANGED)
    )
    assert [status for _at, status in changes] == [
        ["active", "notice_given"],
        ["notice_given", "expired"],
    ]
    assert changes[-1][0] == local_midnight(on)


def test_there_is_a_person_for_every_role_and_people_at_several_suppliers(
    logins: list[Login],
) -> None:
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    for role in (Role.SUPPLIER_AGENT, Role.SUPPLIER_ADMIN):
        suppliers = User.objects.filter(role=role).values_list("supplier", flat=True)
        assert len(set(suppliers)) >= 2
    printed = {login.username for login in logins}
    assert set(User.objects.values_list("username", flat=True)) <= printed
    assert User.objects.get(username="owner.streets").owned_services.filter(code="pothole")


def test_the_demo_keys_open_the_api_once_issued(logins: list[Login]) -> None:
    keys = {login.username: login.password for login in logins if login.password.startswith("ick_")}
    assert set(keys) == {people.FIXMYSTREET, people.SUPPLIER_SYSTEM}
    fixmystreet = api_key_authenticate(keys[people.FIXMYSTREET])
    assert fixmystreet is not None and fixmystreet.kind == ApiKey.Kind.OPEN311_CLIENT
    kerbline = api_key_authenticate(keys[people.SUPPLIER_SYSTEM])
    assert kerbline is not None and kerbline.supplier is not None
    assert kerbline.supplier.code == "kerbline"


@override_settings(DEBUG=True)
def test_in_development_the_demo_keys_are_the_same_on_every_load(dates: DemoDates) -> None:
    first = {login.username: login.password for login in reference.load(dates)}
    again = {login.username: login.password for login in reference.load(dates)}
    assert first == again
    assert api_key_authenticate(first[people.FIXMYSTREET]) is not None
    assert ApiKey.objects.count() == 2


def test_loading_again_changes_nothing(logins: list[Login], dates: DemoDates) -> None:
    counts = {
        model: model.objects.count()
        for model in (Service, Area, Supplier, Contract, ServiceProvision, User, ChangeRecord)
    }
    reference.load(dates)
    # A later day too: the anchor moves but nothing is created twice.
    reference.load(DemoDates(dates.anchor_day + timedelta(days=3)))
    assert {model: model.objects.count() for model in counts} == counts
