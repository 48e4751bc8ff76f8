"""A small world for SLA clock tests: an office-hours and a 24x7 calendar, a service with
end-to-end targets, the desk's OLA, and two suppliers with SLA policies of their own.

Supplier A delivers potholes everywhere (tickets route to it); supplier B only in one ward,
so it is reached by handing a ticket over. Laptops have no provision: the desk keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from interchange.catalogue.models import DeskTarget, Service, ServiceTarget
from interchange.core.models import BusinessCalendar, WorkingHours
from interchange.core.priorities import Priority
from interchange.servicedesk.clocks import Rules
from interchange.servicedesk.tests.factories import make_area, make_provision, make_service
from interchange.suppliers.models import SlaPolicy, SlaPolicyVersion, SlaTarget, Supplier

H = timedelta(hours=1)
M = timedelta(minutes=1)
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)

# (response, resolution) per priority: P1 on the 24x7 calendar, the rest office hours.
END_TO_END = {1: (1 * H, 4 * H), 2: (2 * H, 8 * H), 3: (4 * H, 16 * H), 4: (8 * H, 40 * H)}
DESK_OLA = {1: (15 * M, 1 * H), 2: (30 * M, 2 * H), 3: (1 * H, 2 * H), 4: (2 * H, 4 * H)}
POLICY_A = {1: (30 * M, 2 * H), 2: (1 * H, 4 * H), 3: (2 * H, 8 * H), 4: (4 * H, 24 * H)}
POLICY_B = {1: (1 * H, 4 * H), 2: (2 * H, 6 * H), 3: (3 * H, 12 * H), 4: (6 * H, 30 * H)}


@dataclass
class World:
    office: BusinessCalendar
    always: BusinessCalendar
    potholes: Service
    laptops: Service
    a: Supplier
    b: Supplier
    policy_a: SlaPolicy
    policy_b: SlaPolicy

    def rules(self) -> Rules:
        return Rules.load()


def office_hours(code: str = "office") -> BusinessCalendar:
    """Monday to Friday 09:00-17:00 in London, with England and Wales bank holidays."""
    calendar = BusinessCalendar.objects.create(code=code, name="Office hours")
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, start_time=time(9), end_time=time(17))
        for day in range(5)
    )
    return calendar


def add_version(
    policy: SlaPolicy,
    targets: dict[int, tuple[timedelta, timedelta]],
    *,
    office: BusinessCalendar,
    always: BusinessCalendar,
    effective_from: datetime = LONG_AGO,
) -> SlaPolicyVersion:
    """The policy's next version, P1 on the 24x7 calendar and the rest on office hours."""
    version = SlaPolicyVersion.objects.create(
        policy=policy, number=policy.versions.count() + 1, effective_from=effective_from
    )
    SlaTarget.objects.bulk_create(
        SlaTarget(
            version=version,
            priority=priority,
            response=response,
            resolution=resolution,
            calendar=always if priority == Priority.P1 else office,
        )
        for priority, (response, resolution) in targets.items()
    )
    return version


def build_world(a: Supplier, b: Supplier) -> World:
    office = office_hours()
    always = BusinessCalendar.objects.create(code="always", name="Every hour", is_24x7=True)

    def calendar(priority: int) -> BusinessCalendar:
        return always if priority == Priority.P1 else office

    potholes, laptops = make_service("potholes"), make_service("laptops")
    ServiceTarget.objects.bulk_create(
        ServiceTarget(service=service, priority=p, response=r, resolution=s, calendar=calendar(p))
        for service in (potholes, laptops)
        for p, (r, s) in END_TO_END.items()
    )
    DeskTarget.objects.bulk_create(
        DeskTarget(priority=p, response=r, resolution=s, calendar=calendar(p))
        for p, (r, s) in DESK_OLA.items()
    )
    provision_a = make_provision(service=potholes, supplier=a)
    ward = make_area("W1", west=-2.5, south=53.5, east=-2.4, north=53.6)
    provision_b = make_provision(service=potholes, supplier=b, areas=[ward])
    for provision, targets in ((provision_a, POLICY_A), (provision_b, POLICY_B)):
        add_version(provision.sla_policy, targets, office=office, always=always)
    return World(
        office=office,
        always=always,
        potholes=potholes,
        laptops=laptops,
        a=a,
        b=b,
        policy_a=provision_a.sla_policy,
        policy_b=provision_b.sla_policy,
    )
