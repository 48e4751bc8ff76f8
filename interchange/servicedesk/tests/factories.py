"""Small factories for service desk tests: services, areas, provisions, people and tickets
(opened through `ticket_open`, so they start with a real timeline)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from typing import Any

from interchange.accounts.models import User
from interchange.catalogue.areas import set_boundary
from interchange.catalogue.models import Area, Service
from interchange.core.priorities import Level
from interchange.servicedesk.actors import Actor, System
from interchange.servicedesk.models import Channel, Ticket, TicketType
from interchange.servicedesk.services import ticket_open
from interchange.suppliers.models import Contract, ServiceProvision, SlaPolicy, Supplier

# A Monday morning in winter (GMT), so local and UTC dates agree unless a test says otherwise.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

_serial = count(1)


def make_service(code: str | None = None, **fields: Any) -> Service:
    code = code or f"service-{next(_serial)}"
    fields.setdefault("name", code.replace("-", " ").title())
    fields.setdefault("kind", Service.Kind.RESIDENT)
    return Service.objects.create(code=code, **fields)


def make_supplier(code: str | None = None, **fields: Any) -> Supplier:
    code = code or f"supplier-{next(_serial)}"
    fields.setdefault("name", f"{code.title()} Ltd")
    fields.setdefault("public_name", code.title())
    fields.setdefault("tower", Supplier.Tower.HIGHWAYS)
    return Supplier.objects.create(code=code, **fields)


def make_area(code: str, *, west: float, south: float, east: float, north: float) -> Area:
    """A rectangular ward."""
    area = Area(code=code, name=f"Ward {code}")
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    set_boundary(area, {"type": "Polygon", "coordinates": [ring]})
    area.save()
    return area


def make_provision(
    *,
    service: Service,
    supplier: Supplier,
    valid_from: date = date(2020, 1, 1),
    valid_to: date | None = None,
    areas: list[Area] | tuple[Area, ...] = (),
) -> ServiceProvision:
    """`supplier` delivers `service` (in `areas`, or all) under a contract of its own."""
    contract = Contract.objects.create(
        supplier=supplier,
        reference=f"C-{next(_serial)}",
        title=f"{supplier.name} services",
        start_date=date(2020, 1, 1),
        end_date=date(2035, 12, 31),
        annual_value=Decimal("100000.00"),
        status=Contract.Status.ACTIVE,
    )
    policy = SlaPolicy.objects.create(contract=contract, name=f"{contract.reference} SLA")
    provision = ServiceProvision.objects.create(
        contract=contract,
        service=service,
        sla_policy=policy,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    if areas:
        provision.areas.set(areas)
    return provision


def make_user(role: str, supplier: Supplier | None = None, **fields: Any) -> User:
    """A person with `role` (and `supplier`, for supplier roles) who cannot sign in."""
    username = fields.pop("username", f"{role}-{next(_serial)}")
    return User.objects.create_user(username=username, role=role, supplier=supplier, **fields)


def make_ticket(
    *, service: Service, actor: Actor | None = None, at: datetime = T0, **fields: Any
) -> Ticket:
    """A ticket opened (and routed) through `ticket_open`."""
    fields.setdefault("type", TicketType.INCIDENT)
    fields.setdefault("title", "Pothole outside number 12")
    fields.setdefault("channel", Channel.WEB)
    fields.setdefault("impact", Level.MEDIUM)
    fields.setdefault("urgency", Level.MEDIUM)
    fields.setdefault("reporter_first_name", "Rita")
    fields.setdefault("reporter_email", "rita@example.org")
    return ticket_open(actor=actor or System(), service=service, at=at, **fields).ticket
