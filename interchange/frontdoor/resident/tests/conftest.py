"""The residents' world for the front door's tests: a roads group with a pothole service
(a required number, an optional choice, a notice) that supplier A delivers and that is
offered publicly, a street light service, a noise service that is not offered publicly, and
an ICT service residents never see. Files go to a temporary folder."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from interchange.catalogue.models import Question, QuestionChoice, Service, ServiceGroup
from interchange.servicedesk.actors import Resident
from interchange.servicedesk.models import Ticket
from interchange.servicedesk.services import Opened, ticket_open
from interchange.servicedesk.tests.factories import make_provision, make_service

Datatype = Question.Datatype
# Corn Street, and points a known distance north of it (a metre is about 0.000009 degrees).
HERE = (51.4545, -2.5879)
METRE = 1 / 111_320
GPS_IFD = 0x8825


def north_of_here(metres: float) -> tuple[float, float]:
    return HERE[0] + metres * METRE, HERE[1]


def photo_bytes(fmt: str = "JPEG", *, with_location: bool = True) -> bytes:
    """A small photo, with a GPS position in its EXIF unless told otherwise."""
    image = Image.new("RGB", (40, 30), (180, 40, 40))
    exif = Image.Exif()
    if with_location:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (51.0, 27.0, 16.0), 3: "W", 4: (2.0, 35.0, 1.0)})
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif)
    return out.getvalue()


def build_world(supplier: Any = None) -> dict[str, Service]:
    """The services; `supplier` (if given) delivers potholes."""
    roads = ServiceGroup.objects.create(code="roads", name="Roads and pavements", order=1)
    nuisance = ServiceGroup.objects.create(code="nuisance", name="Noise and nuisance", order=2)
    potholes = make_service(
        "potholes",
        name="Pothole",
        description="A hole in the road or pavement",
        keywords=["hole", "road surface"],
        open311_exposed=True,
    )
    potholes.groups.add(roads)
    Question.objects.create(
        service=potholes,
        code="depth",
        label="How deep is it, in centimetres?",
        datatype=Datatype.NUMBER,
        required=True,
        missing_message="Enter how deep the pothole is",
        order=1,
    )
    where = Question.objects.create(
        service=potholes,
        code="lane",
        label="Where in the road is it?",
        datatype=Datatype.SINGLE_CHOICE,
        order=2,
    )
    for order, (key, name) in enumerate([("road", "In the road"), ("pavement", "On the pavement")]):
        QuestionChoice.objects.create(question=where, key=key, name=name, order=order)
    if supplier is not None:
        make_provision(service=potholes, supplier=supplier)
    lights = make_service(
        "street-lights", name="Street light not working", keywords=["lamp"], open311_exposed=True
    )
    lights.groups.add(roads)
    noise = make_service("noise", name="Noise from a neighbour", open311_exposed=False)
    noise.groups.add(nuisance)
    make_service("old-service", name="Abandoned trolley", active=False)
    make_service("laptops", name="Laptop broken", kind=Service.Kind.ICT)
    return {"potholes": potholes, "lights": lights, "noise": noise}


@pytest.fixture(autouse=True)
def _files(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    yield


@pytest.fixture
def world(supplier_a: Any) -> dict[str, Service]:
    return build_world(supplier_a)


@pytest.fixture
def potholes(world: dict[str, Service]) -> Service:
    return world["potholes"]


def open_report(
    service: Service, *, point: tuple[float, float] | None = HERE, **fields: Any
) -> Opened:
    """A resident's report opened through the service desk, a minute ago unless told."""
    fields.setdefault("title", f"{service.name}: Corn Street")
    fields.setdefault("at", timezone.now() - timedelta(minutes=1))
    fields.setdefault("reporter_first_name", "Rita")
    fields.setdefault("reporter_email", "rita@example.org")
    fields.setdefault("description", "Deep hole by the kerb")
    return ticket_open(
        actor=Resident(),
        type="incident",
        service=service,
        channel="web",
        impact="medium",
        urgency="medium",
        latitude=point[0] if point else None,
        longitude=point[1] if point else None,
        address=fields.pop("address", "Corn Street"),
        **fields,
    )


@pytest.fixture
def opened(potholes: Service) -> Opened:
    return open_report(potholes)


@pytest.fixture
def ticket(opened: Opened) -> Ticket:
    return opened.ticket


@pytest.fixture
def resident_client() -> Client:
    return Client()
