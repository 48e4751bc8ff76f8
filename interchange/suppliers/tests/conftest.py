"""Two suppliers with a contract and policy each, a service and three wards."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from interchange.suppliers.tests import factories


@pytest.fixture
def world(supplier_a, supplier_b, administrator) -> SimpleNamespace:
    """`a` and `b` are contracts of supplier A (Streetwise) and supplier B (Cleanway), with
    policies `a_policy` and `b_policy`; `potholes` is the service; `north`, `south`, `east`
    are wards; `actor` is the administrator."""
    a = factories.contract(supplier_a, "HW-2020")
    b = factories.contract(supplier_b, "ENV-2020")
    return SimpleNamespace(
        actor=administrator,
        a=a,
        b=b,
        a_policy=factories.policy(a),
        b_policy=factories.policy(b),
        potholes=factories.service("potholes"),
        north=factories.area("N1", 0),
        south=factories.area("S1", 1),
        east=factories.area("E1", 2),
    )
