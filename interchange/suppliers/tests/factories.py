"""Test data for suppliers' tests: a calendar, services, wards, contracts and policies."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from interchange.catalogue.areas import set_boundary
from interchange.catalogue.models import Area, Service
from interchange.core.models import BusinessCalendar
from interchange.core.priorities import Priority
from interchange.suppliers.models import Contract, SlaPolicy, Supplier
from interchange.suppliers.services import TargetSpec


def calendar(code: str = "always") -> BusinessCalendar:
    found, _created = BusinessCalendar.objects.get_or_create(
        code=code, defaults={"name": code.title(), "is_24x7": True}
    )
    return found


def service(code: str = "potholes") -> Service:
    return Service.objects.create(code=code, name=code.title(), kind=Service.Kind.RESIDENT)


def area(code: str, lon: float = 0.0) -> Area:
    ward = Area(code=code, name=f"Ward {code}")
    ring = [[lon, 50], [lon + 1, 50], [lon + 1, 51], [lon, 51], [lon, 50]]
    set_boundary(ward, {"type": "Polygon", "coordinates": [ring]})
    ward.save()
    return ward


def contract(
    supplier: Supplier,
    reference: str,
    start: date = date(2020, 4, 1),
    end: date = date(2035, 3, 31),
) -> Contract:
    return Contract.objects.create(
        supplier=supplier,
        reference=reference,
        title=f"{supplier.name} services",
        start_date=start,
        end_date=end,
        annual_value=Decimal("1000000.00"),
        status=Contract.Status.ACTIVE,
    )


def policy(on: Contract, name: str = "Standard") -> SlaPolicy:
    return SlaPolicy.objects.create(contract=on, name=name)


def targets(hours: int = 4, cal: BusinessCalendar | None = None) -> list[TargetSpec]:
    """A target per priority: respond within `hours` × priority, resolve in ten times that."""
    cal = cal or calendar()
    return [
        TargetSpec(p, timedelta(hours=hours * p), timedelta(hours=10 * hours * p), cal)
        for p in Priority
    ]
