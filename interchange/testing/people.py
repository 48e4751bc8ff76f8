"""Named people and two suppliers for tests, as pytest fixtures (registered in conftest.py).

Use them by name: `def test_x(supplier_a_agent, supplier_b): ...`. Every person signs in with
`PASSWORD`. Supplier A's people belong to `supplier_a`; B's to `supplier_b`; everyone else is
council staff. The integrator lead, supplier A's administrator and the administrator (a
superuser) may use the admin site.

Sign people in with `client.force_login(person)`: django-axes needs a request to check a
password, which `client.login` does not give it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password

from interchange.accounts.models import Role, User
from interchange.suppliers.models import Supplier

PASSWORD = "tests-only-Password-2026"  # noqa: S105


@cache
def _password_hash() -> str:
    # Argon2 is slow by design; hash once per run and share the result between test people.
    return make_password(PASSWORD)


def make_person(
    username: str,
    role: Role,
    *,
    supplier: Supplier | None = None,
    **fields: Any,
) -> User:
    """A saved person with `role`, signing in with `PASSWORD`; `fields` set anything else."""
    first, _, last = fields.pop("full_name", username.replace("_", " ").title()).partition(" ")
    fields.setdefault("first_name", first)
    fields.setdefault("last_name", last)
    fields.setdefault("email", f"{username}@example.org")
    return User.objects.create(
        username=username, role=role, supplier=supplier, password=_password_hash(), **fields
    )


def make_supplier(code: str, name: str, public_name: str, tower: str) -> Supplier:
    """A saved, active supplier."""
    return Supplier.objects.create(code=code, name=name, public_name=public_name, tower=tower)


@pytest.fixture
def supplier_a(db: None) -> Supplier:
    """A highways supplier."""
    return make_supplier(
        "streetwise", "Streetwise Roads Ltd", "Streetwise Roads", Supplier.Tower.HIGHWAYS
    )


@pytest.fixture
def supplier_b(db: None) -> Supplier:
    """A waste and street cleansing supplier."""
    return make_supplier("cleanway", "Cleanway Environmental Ltd", "Cleanway", Supplier.Tower.WASTE)


@pytest.fixture
def integrator_agent(db: None) -> User:
    return make_person("integrator_agent", Role.INTEGRATOR_AGENT, full_name="Ines Agent")


@pytest.fixture
def integrator_lead(db: None) -> User:
    return make_person("integrator_lead", Role.INTEGRATOR_LEAD, full_name="Lee Lead", is_staff=True)


@pytest.fixture
def supplier_a_agent(supplier_a: Supplier) -> User:
    return make_person(
        "supplier_a_agent", Role.SUPPLIER_AGENT, supplier=supplier_a, full_name="Sam Streetwise"
    )


@pytest.fixture
def supplier_a_admin(supplier_a: Supplier) -> User:
    return make_person(
        "supplier_a_admin",
        Role.SUPPLIER_ADMIN,
        supplier=supplier_a,
        full_name="Ali Streetwise",
        is_staff=True,
    )


@pytest.fixture
def supplier_b_agent(supplier_b: Supplier) -> User:
    return make_person(
        "supplier_b_agent", Role.SUPPLIER_AGENT, supplier=supplier_b, full_name="Bea Cleanway"
    )


@pytest.fixture
def service_owner(db: None) -> User:
    return make_person("service_owner", Role.SERVICE_OWNER, full_name="Owen Owner")


@pytest.fixture
def commissioner(db: None) -> User:
    return make_person("commissioner", Role.COMMISSIONER, full_name="Cora Commissioner")


@pytest.fixture
def governance_viewer(db: None) -> User:
    return make_person("governance_viewer", Role.GOVERNANCE_VIEWER, full_name="Gus Viewer")


@pytest.fixture
def administrator(db: None) -> User:
    return make_person(
        "administrator",
        Role.ADMINISTRATOR,
        full_name="Ada Administrator",
        is_staff=True,
        is_superuser=True,
    )
