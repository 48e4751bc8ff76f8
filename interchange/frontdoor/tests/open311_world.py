"""A small council for the Open311 tests: services offered through Open311 (one routed to a
supplier, one kept by the desk, one batch), a client application's key, a supplier system's
key, and helpers to post reports and make photos. The project's own fixtures, written for
these tests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from PIL import Image

from interchange.accounts.models import ApiKey, User
from interchange.accounts.services import api_key_create
from interchange.catalogue.models import Question, QuestionChoice, Service, ServiceGroup
from interchange.servicedesk.tests.factories import make_provision
from interchange.suppliers.models import Supplier

JURISDICTION = "harbourside.gov.uk"
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@dataclass
class World:
    pothole: Service
    graffiti: Service
    bulky: Service
    laptop: Service
    supplier: Supplier
    key: ApiKey
    secret: str
    supplier_secret: str


def build_world(administrator: User, supplier: Supplier) -> World:
    """The services, the routing and the keys every Open311 test starts from."""
    cache.clear()
    roads = ServiceGroup.objects.create(code="roads", name="Roads and pavements", order=1)
    pothole = Service.objects.create(
        code="pothole",
        name="Pothole",
        description="A hole in a road or pavement",
        kind=Service.Kind.RESIDENT,
        open311_exposed=True,
        notice="We inspect reported potholes within two working days.",
    )
    pothole.groups.add(roads)
    depth = Question.objects.create(
        service=pothole,
        code="depth",
        label="How deep is it?",
        datatype=Question.Datatype.SINGLE_CHOICE,
        required=True,
        order=1,
    )
    QuestionChoice.objects.create(question=depth, key="shallow", name="Less than 5cm", order=1)
    QuestionChoice.objects.create(question=depth, key="deep", name="5cm or more", order=2)
    hazards = Question.objects.create(
        service=pothole,
        code="hazards",
        label="What is near it?",
        datatype=Question.Datatype.MULTIPLE_CHOICE,
        order=2,
    )
    QuestionChoice.objects.create(question=hazards, key="school", name="A school", order=1)
    QuestionChoice.objects.create(question=hazards, key="junction", name="A junction", order=2)
    QuestionChoice.objects.create(question=hazards, key="bus", name="A bus stop", order=3)
    Question.objects.create(
        service=pothole, code="width", label="How wide, in cm?", datatype="number", order=3
    )
    make_provision(service=pothole, supplier=supplier)
    graffiti = Service.objects.create(
        code="graffiti", name="Graffiti", kind=Service.Kind.RESIDENT, open311_exposed=True
    )
    bulky = Service.objects.create(
        code="bulky",
        name="Bulky waste collection",
        kind=Service.Kind.RESIDENT,
        open311_exposed=True,
        open311_type=Service.Open311Type.BATCH,
    )
    laptop = Service.objects.create(code="laptop", name="Laptop fault", kind=Service.Kind.ICT)
    key, secret = api_key_create(
        actor=administrator,
        name="FixMyStreet",
        kind=ApiKey.Kind.OPEN311_CLIENT,
        client_name="FixMyStreet",
    )
    _, supplier_secret = api_key_create(
        actor=administrator,
        name="Streetwise works system",
        kind=ApiKey.Kind.SUPPLIER_SYSTEM,
        supplier=supplier,
    )
    return World(
        pothole=pothole,
        graffiti=graffiti,
        bulky=bulky,
        laptop=laptop,
        supplier=supplier,
        key=key,
        secret=secret,
        supplier_secret=supplier_secret,
    )


def media_in(settings: Any, folder: Any) -> None:
    """Keep the files a test stores in its own temporary folder."""
    storages = dict(settings.STORAGES)
    storages["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(folder)},
    }
    settings.STORAGES = storages


def report(world: World, **fields: Any) -> dict[str, Any]:
    """A good pothole report as a client posts it; `fields` change or add parameters (None
    leaves one out)."""
    body: dict[str, Any] = {
        "api_key": world.secret,
        "jurisdiction_id": JURISDICTION,
        "service_code": "pothole",
        "lat": "51.4545",
        "long": "-2.5879",
        "address_string": "12 Harbour Road",
        "email": "rita@example.org",
        "first_name": "Rita",
        "last_name": "Reporter",
        "phone": "01632 960001",
        "description": "A deep pothole by the bus stop\nIt has been there a week.",
        "device_id": "device-7",
        "account_id": "acct-42",
        "attribute[depth]": "deep",
        "attribute[hazards][]": ["school", "bus"],
    }
    body.update(fields)
    return {name: value for name, value in body.items() if value is not None}


def jpeg_with_location(size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG whose EXIF says where it was taken (GPS 51°27'N 2°35'W)."""
    image = Image.new("RGB", size, (120, 110, 100))
    exif = Image.Exif()
    gps = {1: "N", 2: (51.0, 27.0, 16.0), 3: "W", 4: (2.0, 35.0, 16.0)}
    exif[0x8825] = gps  # GPSInfo
    exif[0x010F] = "Camera maker"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    """Whether a JPEG still carries GPS location in its EXIF."""
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(0x8825))
