"""The demo's suppliers in their towers: contacts, contracts, SLA policies with versions, and
provisions, all through `suppliers.services` so every rule and change record applies.

Stonebridge Total Services is the outgoing single supplier: its contract ends on the
transition date, when three successors take over its services by `transition_service`.
Greenbank's waste SLA was revised about a year ago (version 2, tighter targets).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from interchange.catalogue.models import Area, Service
from interchange.core.audit import record_change, snapshot
from interchange.core.models import BusinessCalendar
from interchange.demo.catalogue import Target
from interchange.demo.dates import DemoDates, local_midnight
from interchange.suppliers import services as supplier_services
from interchange.suppliers.models import Contract, SlaPolicy, Supplier, SupplierContact

Tower = Supplier.Tower
ContactRole = SupplierContact.Role

HIGHWAYS: dict[int, Target] = {
    1: (1, 4, "24x7"),
    2: (2, 16, "extended-hours"),
    3: (8, 65, "extended-hours"),
    4: (13, 130, "extended-hours"),
}
LIGHTING: dict[int, Target] = {
    1: (2, 8, "24x7"),
    2: (4, 26, "extended-hours"),
    3: (13, 65, "extended-hours"),
    4: (26, 130, "extended-hours"),
}
WASTE_V1: dict[int, Target] = {
    1: (2, 8, "24x7"),
    2: (4, 13, "extended-hours"),
    3: (13, 39, "extended-hours"),
    4: (26, 65, "extended-hours"),
}
WASTE_V2: dict[int, Target] = {
    1: (1, 6, "24x7"),
    2: (2, 13, "extended-hours"),
    3: (8, 26, "extended-hours"),
    4: (13, 52, "extended-hours"),
}
GROUNDS: dict[int, Target] = {
    1: (2, 8, "24x7"),
    2: (4, 26, "extended-hours"),
    3: (13, 130, "extended-hours"),
    4: (26, 260, "extended-hours"),
}
END_USER: dict[int, Target] = {
    1: (0.5, 4, "24x7"),
    2: (1, 8, "office-hours"),
    3: (4, 20, "office-hours"),
    4: (8, 40, "office-hours"),
}
NETWORK: dict[int, Target] = {
    1: (0.25, 4, "24x7"),
    2: (0.5, 6, "office-hours"),
    3: (4, 20, "office-hours"),
    4: (8, 40, "office-hours"),
}
APPLICATIONS: dict[int, Target] = {
    1: (0.5, 4, "24x7"),
    2: (2, 10, "office-hours"),
    3: (4, 30, "office-hours"),
    4: (10, 80, "office-hours"),
}

OUTGOING = "stonebridge"
REVISED = "greenbank"


@dataclass(frozen=True)
class ContactSpec:
    name: str
    role: str
    notify: bool = False


@dataclass(frozen=True)
class SupplierSpec:
    """A supplier and how it works in the history: `speed` is the typical share of its
    resolution target it uses (above about 0.8, it breaches often)."""

    code: str
    name: str
    public_name: str
    company_number: str
    tower: str
    contract_title: str
    annual_value: int
    targets: dict[int, Target]
    services: tuple[str, ...]
    contacts: tuple[ContactSpec, ...]
    areas: tuple[str, ...] = ()
    speed: float = 0.5
    successor: bool = False
    # Acts through its own system's API key rather than its people's screens.
    has_system: bool = False
    reference_prefix: str = ""


NORTH_WEST = tuple(f"E0509900{n}" for n in range(1, 9))
SOUTH_EAST = ("E05099009", *(f"E050990{n}" for n in range(10, 16)))

SUPPLIERS: tuple[SupplierSpec, ...] = (
    SupplierSpec(
        OUTGOING, "Stonebridge Total Services Ltd", "Stonebridge", "07311842", Tower.END_USER,
        "Total ICT services (legacy single-supplier contract)", 6_400_000, END_USER,
        ("device-fault", "new-starter", "mobile-phone", "printing", "software-request", "email",
         "teams", "file-storage", "wifi", "site-network", "remote-access", "desk-phone",
         "contact-centre-telephony", "hosting", "backup-restore"),
        (ContactSpec("Graham Pike", ContactRole.SERVICE_MANAGER, True),
         ContactSpec("Lorna Eccles", ContactRole.COMMERCIAL)),
        speed=0.75,
    ),
    SupplierSpec(
        "brightdesk", "Brightdesk Devices Ltd", "Brightdesk", "11820375", Tower.END_USER,
        "End-user computing services", 1_900_000, END_USER,
        ("device-fault", "new-starter", "mobile-phone", "printing", "software-request"),
        (ContactSpec("Nadia Frost", ContactRole.SERVICE_MANAGER, True),
         ContactSpec("Owen Bright", ContactRole.ESCALATION)),
        speed=0.45, successor=True, reference_prefix="BD",
    ),
    SupplierSpec(
        "quayline", "Quayline Networks Ltd", "Quayline", "10477219", Tower.NETWORK,
        "Network, Wi-Fi and telephony services", 1_300_000, NETWORK,
        ("wifi", "site-network", "remote-access", "desk-phone", "contact-centre-telephony"),
        (ContactSpec("Marcus Reyes", ContactRole.SERVICE_MANAGER, True),
         ContactSpec("Ffion Hughes", ContactRole.TECHNICAL)),
        speed=0.4, successor=True,
    ),
    SupplierSpec(
        "cloudharbour", "Cloudharbour Hosting Ltd", "Cloudharbour", "12903344", Tower.HOSTING,
        "Hosting, collaboration and backup services", 1_600_000, NETWORK,
        ("email", "teams", "file-storage", "hosting", "backup-restore"),
        (ContactSpec("Ingrid Sollis", ContactRole.SERVICE_MANAGER, True),),
        speed=0.35, successor=True,
    ),
    SupplierSpec(
        "ledgerline", "Ledgerline Software Ltd", "Ledgerline", "04918266", Tower.APPLICATIONS,
        "Revenues and benefits system support", 420_000, APPLICATIONS, ("revenues-benefits",),
        (ContactSpec("Peter Quayle", ContactRole.SERVICE_MANAGER, True),),
        speed=0.5,
    ),
    SupplierSpec(
        "carepath", "Carepath Systems Ltd", "Carepath", "08831570", Tower.APPLICATIONS,
        "Social care case system support", 380_000, APPLICATIONS, ("social-care-case",),
        (ContactSpec("Diane Worrall", ContactRole.SERVICE_MANAGER, True),
         ContactSpec("Kofi Annan-Price", ContactRole.ESCALATION)),
        speed=0.9,
    ),
    SupplierSpec(
        "lantern", "Lantern Digital Ltd", "Lantern Digital", "13377108", Tower.APPLICATIONS,
        "Website, online forms and mapping", 310_000, APPLICATIONS,
        ("website", "online-forms", "mapping"),
        (ContactSpec("Esme Calloway", ContactRole.SERVICE_MANAGER, True),),
        speed=0.5,
    ),
    SupplierSpec(
        "kerbline", "Kerbline Highways Ltd", "Kerbline Highways", "06620193", Tower.HIGHWAYS,
        "Highways maintenance, north and west", 3_200_000, HIGHWAYS,
        ("pothole", "damaged-pavement", "road-sign", "gritting", "blocked-drain"),
        (ContactSpec("Sean Maddox", ContactRole.SERVICE_MANAGER, True),
         ContactSpec("Alys Prothero", ContactRole.TECHNICAL, True),
         ContactSpec("Ben Oduya", ContactRole.COMMERCIAL)),
        areas=NORTH_WEST, speed=0.45, has_system=True, reference_prefix="KH",
    ),
    SupplierSpec(
        "rivermead", "Rivermead Civils Ltd", "Rivermead Civils", "05528841", Tower.HIGHWAYS,
        "Highways maintenance, south and east", 2_100_000, HIGHWAYS,
        ("pothole", "damaged-pavement"),
        (ContactSpec("Carol Hayter", ContactRole.SERVICE_MANAGER, True),),
        areas=SOUTH_EAST, speed=0.85,
    ),
    SupplierSpec(
        "lumen", "Lumen City Lighting Ltd", "Lumen City Lighting", "09145502", Tower.HIGHWAYS,
        "Street lighting and traffic signals", 1_100_000, LIGHTING,
        ("street-light", "traffic-signals"),
        (ContactSpec("Rhian Castell", ContactRole.SERVICE_MANAGER, True),),
        speed=0.5,
    ),
    SupplierSpec(
        REVISED, "Greenbank Environmental Ltd", "Greenbank", "03397725", Tower.WASTE,
        "Waste collection and street cleansing", 8_700_000, WASTE_V1,
        ("missed-bin", "bulky-waste", "new-bin", "fly-tipping", "graffiti", "street-cleaning",
         "dog-fouling", "dead-animal"),
        (ContactSpec("Joe Tranter", ContactRole.SERVICE_MANAGER, True),
         ContactSpec("Mina Lakhani", ContactRole.ESCALATION)),
        speed=0.45, reference_prefix="GB",
    ),
    SupplierSpec(
        "oakfield", "Oakfield Grounds Ltd", "Oakfield Grounds", "10066318", Tower.ENVIRONMENT,
        "Trees, parks and grounds maintenance", 900_000, GROUNDS,
        ("fallen-tree", "overgrown-vegetation", "play-area"),
        (ContactSpec("Hal Burgess", ContactRole.SERVICE_MANAGER, True),),
        speed=0.6,
    ),
)  # fmt: skip

SUPPLIER_BY_CODE = {spec.code: spec for spec in SUPPLIERS}
# Who takes which of the outgoing supplier's services.
SUCCESSORS = {
    service: spec.code for spec in SUPPLIERS if spec.successor for service in spec.services
}


def targets_for(code: str, at: datetime, revised_from: datetime | None) -> dict[int, Target]:
    """The supplier's targets in force at `at` (the revised policy's from `revised_from`)."""
    if code == REVISED and revised_from is not None and at >= revised_from:
        return WASTE_V2
    return SUPPLIER_BY_CODE[code].targets


def _email(spec: SupplierSpec, name: str) -> str:
    return f"{name.split()[0].lower()}.{name.split()[-1].lower()}@{spec.code}.example"


def _contract_dates(spec: SupplierSpec, dates: DemoDates) -> tuple[date, date]:
    transition = dates.transition_on
    if spec.code == OUTGOING:
        return date(dates.first_day.year - 6, 4, 1), transition - timedelta(days=1)
    if spec.successor:
        return transition - timedelta(days=90), date(transition.year + 5, transition.month, 1)
    return date(dates.first_day.year - 2, 4, 1), date(dates.anchor_day.year + 3, 3, 31)


def _specs(
    table: dict[int, Target], calendars: dict[str, BusinessCalendar]
) -> list[tuple[int, timedelta, timedelta, BusinessCalendar]]:
    return [
        (
            priority,
            timedelta(minutes=round(response * 60)),
            timedelta(minutes=round(resolution * 60)),
            calendars[calendar],
        )
        for priority, (response, resolution, calendar) in table.items()
    ]


@transaction.atomic
def load(*, dates: DemoDates, services: dict[str, Service], areas: dict[str, Area]) -> None:
    """Create the suppliers, contracts, policies and provisions, then the history of changes:
    the waste SLA's revision and the outgoing supplier's notice, transition and expiry."""
    if Supplier.objects.filter(code=OUTGOING).exists():
        return
    calendars = {c.code: c for c in BusinessCalendar.objects.all()}
    contracts: dict[str, Contract] = {}
    policies: dict[str, SlaPolicy] = {}
    for number, spec in enumerate(SUPPLIERS, start=1):
        start, end = _contract_dates(spec, dates)
        at = local_midnight(start) - timedelta(days=30)
        supplier = supplier_services.supplier_create(
            actor=None,
            code=spec.code,
            name=spec.name,
            public_name=spec.public_name,
            tower=spec.tower,
            company_number=spec.company_number,
            at=at,
        )
        for contact in spec.contacts:
            row = SupplierContact(
                supplier=supplier,
                name=contact.name,
                role=contact.role,
                email=_email(spec, contact.name),
                phone=f"0117 496 0{number:02d}{len(contact.name) % 10}",
                receives_notifications=contact.notify,
            )
            row.full_clean()
            row.save()
            record_change(row, actor=None, before=None, after=snapshot(row), at=at)
        contract = supplier_services.contract_create(
            actor=None,
            supplier=supplier,
            reference=f"HCC-{start.year}-{number:03d}",
            title=spec.contract_title,
            start_date=start,
            end_date=end,
            annual_value=Decimal(spec.annual_value),
            status=Contract.Status.ACTIVE,
            notice_period_days=180 if spec.code == OUTGOING else 90,
            at=at,
        )
        policy = supplier_services.sla_policy_create(
            actor=None, contract=contract, name=f"{spec.public_name} service levels", at=at
        )
        supplier_services.policy_version_create(
            actor=None,
            policy=policy,
            effective_from=local_midnight(start),
            targets=_specs(spec.targets, calendars),
            notes="Targets as signed in the contract schedule.",
            at=at,
        )
        contracts[spec.code], policies[spec.code] = contract, policy
        if spec.successor:
            continue
        for code in spec.services:
            supplier_services.provision_save(
                actor=None,
                contract=contract,
                service=services[code],
                areas=[areas[a] for a in spec.areas],
                sla_policy=policy,
                valid_from=start,
                valid_to=None,
                at=at,
            )
    _revise_waste_policy(policies[REVISED], dates, calendars)
    _transition(contracts, policies, services, dates)


def _revise_waste_policy(
    policy: SlaPolicy, dates: DemoDates, calendars: dict[str, BusinessCalendar]
) -> None:
    supplier_services.policy_version_create(
        actor=None,
        policy=policy,
        effective_from=dates.revision_from,
        targets=_specs(WASTE_V2, calendars),
        notes=(
            "Contract variation 3: missed collections put right within two working days, "
            "not three, after the annual performance review."
        ),
        at=dates.revision_from - timedelta(days=30),
    )


def _transition(
    contracts: dict[str, Contract],
    policies: dict[str, SlaPolicy],
    services: dict[str, Service],
    dates: DemoDates,
) -> None:
    outgoing = contracts[OUTGOING]
    on = dates.transition_on
    noticed = local_midnight(on) - timedelta(days=365)
    outgoing = supplier_services.contract_update(
        actor=None,
        contract=outgoing,
        data={"status": Contract.Status.NOTICE_GIVEN},
        at=noticed,
    )
    planned = local_midnight(on) - timedelta(days=60)
    for service, successor in SUCCESSORS.items():
        supplier_services.transition_service(
            actor=None,
            service=services[service],
            from_contract=outgoing,
            to_contract=contracts[successor],
            on=on,
            sla_policy=policies[successor],
            at=planned,
        )
    supplier_services.contract_update(
        actor=None,
        contract=outgoing,
        data={"status": Contract.Status.EXPIRED},
        at=local_midnight(on),
    )
    carepath = contracts["carepath"]
    supplier_services.contract_update(
        actor=None,
        contract=carepath,
        data={"status": Contract.Status.NOTICE_GIVEN},
        at=dates.anchor - timedelta(days=40),
    )
