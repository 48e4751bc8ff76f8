"""The reference data as the history generator and the bulk writer see it: plain in-memory
tables read once, with routing answered exactly as `suppliers.selectors` answers it."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import shapely
from django.conf import settings
from shapely.geometry import shape

from interchange.accounts.models import INTEGRATOR_ROLES, ApiKey, User
from interchange.catalogue.models import Area, Service
from interchange.demo.catalogue import SERVICE_BY_CODE, ServiceSpec
from interchange.demo.dates import DemoDates
from interchange.demo.people import FIXMYSTREET, SUPPLIER_SYSTEM
from interchange.demo.suppliers import OUTGOING, REVISED, SUPPLIER_BY_CODE, SupplierSpec
from interchange.demo.wards import WARDS
from interchange.suppliers.models import ServiceProvision, SlaPolicyVersion, Supplier


@dataclass(frozen=True, slots=True)
class Provision:
    id: int
    service_id: int
    supplier_id: int
    policy_id: int
    valid_from: date
    valid_to: date | None
    area_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    label: str
    is_integrator: bool
    supplier_id: int | None


@dataclass(frozen=True, slots=True)
class Key:
    id: int
    label: str
    supplier_id: int | None


@dataclass(slots=True)
class Ward:
    id: int
    code: str
    name: str
    weight: float
    bounds: tuple[float, float, float, float]
    # Prepared (`shapely.prepare`), for many point tests.
    shape: shapely.Geometry


class WorkingTime:
    """Working hours of one demo calendar as sorted UTC intervals (epoch seconds), for
    timing seeded work: people work in their calendar's hours, not at 3am."""

    def __init__(self, code: str, first: date, last: date) -> None:
        zone = ZoneInfo(settings.TIME_ZONE)
        bank = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 2))
        self.always = code == "24x7"
        starts: list[int] = []
        ends: list[int] = []
        day = first
        while day <= last:
            spans = _hours(code, day.weekday()) if day not in bank else []
            for opens, closes in spans:
                starts.append(int(datetime.combine(day, opens, tzinfo=zone).timestamp()))
                ends.append(int(datetime.combine(day, closes, tzinfo=zone).timestamp()))
            day += timedelta(days=1)
        self.starts, self.ends = starts, ends

    def add(self, t: int, seconds: float) -> int:
        """The moment `seconds` of working time after `t` (beyond the table: wall-clock)."""
        if self.always:
            return t + int(seconds)
        remaining = int(seconds)
        i = bisect.bisect_right(self.ends, t)
        while i < len(self.starts):
            begin = max(t, self.starts[i])
            if begin + remaining <= self.ends[i]:
                return begin + remaining
            remaining -= self.ends[i] - begin
            i += 1
        return max(t, self.ends[-1] if self.ends else t) + remaining


def _hours(code: str, weekday: int) -> list[tuple[time, time]]:
    if code == "extended-hours":
        if weekday < 5:
            return [(time(7), time(20))]
        return [(time(8), time(17))] if weekday == 5 else []
    return [(time(8), time(18))] if weekday < 5 else []


class World:
    """Everything the seeded history refers to, by id."""

    def __init__(self, dates: DemoDates) -> None:
        self.dates = dates
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.services: dict[int, ServiceSpec] = {}
        self.service_ids: dict[str, int] = {}
        for service_id, code in Service.objects.values_list("id", "code"):
            if code in SERVICE_BY_CODE:
                self.services[service_id] = SERVICE_BY_CODE[code]
                self.service_ids[code] = service_id
        weights = {spec.code: spec.weight for spec in WARDS}
        self.wards: list[Ward] = [
            Ward(
                area.pk,
                area.code,
                area.name,
                weights.get(area.code, 1.0),
                (area.min_lon, area.min_lat, area.max_lon, area.max_lat),
                shape(area.boundary),
            )
            for area in Area.objects.order_by("code")
        ]
        shapely.prepare([ward.shape for ward in self.wards])
        self.ward_by_id = {ward.id: ward for ward in self.wards}
        self.suppliers: dict[int, SupplierSpec] = {}
        self.supplier_ids: dict[str, int] = {}
        for supplier_id, code in Supplier.objects.values_list("id", "code"):
            if code in SUPPLIER_BY_CODE:
                self.suppliers[supplier_id] = SUPPLIER_BY_CODE[code]
                self.supplier_ids[code] = supplier_id
        self._load_provisions()
        self._load_people()
        first = dates.first_day - timedelta(days=7)
        last = dates.anchor_day + timedelta(days=400)
        self.working = {
            code: WorkingTime(code, first, last)
            for code in ("office-hours", "extended-hours", "24x7")
        }
        outgoing = self.supplier_ids.get(OUTGOING)
        ends = [p.valid_to for p in self.provisions_of_supplier(outgoing) if p.valid_to]
        self.transition_on = min(ends) if ends else None
        revised = SlaPolicyVersion.objects.filter(
            policy__contract__supplier__code=REVISED, number=2
        ).first()
        self.revision_from = revised.effective_from if revised else None

    def _load_provisions(self) -> None:
        areas: dict[int, set[int]] = {}
        through = ServiceProvision.areas.through.objects.values_list(
            "serviceprovision_id", "area_id"
        )
        for provision_id, area_id in through:
            areas.setdefault(provision_id, set()).add(area_id)
        self.provisions: dict[int, list[Provision]] = {}
        rows = ServiceProvision.objects.select_related("contract").order_by("valid_from", "pk")
        for row in rows:
            self.provisions.setdefault(row.service_id, []).append(
                Provision(
                    row.pk,
                    row.service_id,
                    row.contract.supplier_id,
                    row.sla_policy_id,
                    row.valid_from,
                    row.valid_to,
                    frozenset(areas.get(row.pk, ())),
                )
            )

    def _load_people(self) -> None:
        self.people: dict[int, Person] = {}
        self.usernames: dict[str, int] = {}
        for person in User.objects.all():
            self.people[person.pk] = Person(
                person.pk,
                person.get_full_name() or person.get_username(),
                person.role in INTEGRATOR_ROLES,
                person.supplier_id,
            )
            self.usernames[person.username] = person.pk
        self.keys: dict[int, Key] = {}
        self.key_ids: dict[str, int] = {}
        usable = ApiKey.objects.filter(
            revoked_at__isnull=True, name__in=[FIXMYSTREET, SUPPLIER_SYSTEM]
        )
        for key in usable.order_by("created_at"):
            self.keys[key.pk] = Key(key.pk, key.name, key.supplier_id)
            self.key_ids[key.name] = key.pk

    def local_date(self, t: int) -> date:
        return datetime.fromtimestamp(t, self.zone).date()

    def provisions_of_supplier(self, supplier_id: int | None) -> list[Provision]:
        return [
            p for rows in self.provisions.values() for p in rows if p.supplier_id == supplier_id
        ]

    def _in_force(self, service_id: int, day: date) -> list[Provision]:
        return [
            p
            for p in self.provisions.get(service_id, ())
            if p.valid_from <= day and (p.valid_to is None or p.valid_to > day)
        ]

    def route(self, service_id: int, area_id: int | None, t: int) -> Provision | None:
        """As `provision_for`: the area's own provision, else the all-areas one, else None."""
        current = self._in_force(service_id, self.local_date(t))
        if area_id is not None:
            for p in current:
                if area_id in p.area_ids:
                    return p
        for p in current:
            if not p.area_ids:
                return p
        return None

    def provision_of(
        self, supplier_id: int, service_id: int, area_id: int | None, t: int
    ) -> Provision | None:
        """As `provision_of_supplier`: covering the area, else all areas, else any of its own."""
        mine = [
            p
            for p in self._in_force(service_id, self.local_date(t))
            if p.supplier_id == supplier_id
        ]
        if not mine:
            return None
        return min(
            mine,
            key=lambda p: (
                not (area_id is not None and area_id in p.area_ids),
                bool(p.area_ids),
                p.valid_from,
                p.id,
            ),
        )

    def epoch(self, moment: datetime) -> int:
        return int(moment.astimezone(UTC).timestamp())
