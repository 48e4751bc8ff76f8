"""A small council for notification tests: a pothole service in one ward that supplier A
provides, supplier B with contacts of its own, and `deliver`, which plays the worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from interchange.catalogue.models import Area, Service
from interchange.core.models import Job
from interchange.notifications.handlers import send_notification
from interchange.notifications.services import SEND_JOB
from interchange.servicedesk.dispatch import dispatch_batch
from interchange.servicedesk.models import ContactPreference
from interchange.servicedesk.tests.factories import make_area, make_provision, make_service
from interchange.suppliers.models import Supplier, SupplierContact

SITE = "https://interchange.example.gov.uk"
# For tests of the staff messages alone: a reporter who chose no updates hears nothing.
NO_UPDATES: dict[str, Any] = {"reporter_contact_preference": ContactPreference.NONE}


def html_of(message: Any) -> str:
    """The HTML part of a sent message (every notification has one)."""
    assert isinstance(message, EmailMultiAlternatives)
    content, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return str(content)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def potholes(db) -> Service:
    return make_service("potholes", name="Potholes and road defects")


@pytest.fixture
def ward(db) -> Area:
    return make_area("harbour", west=-1.0, south=50.0, east=0.0, north=51.0)


@pytest.fixture
def supplier_a_provides_potholes(potholes, supplier_a):
    return make_provision(service=potholes, supplier=supplier_a)


def _contact(supplier: Supplier, name: str, email: str, receives: bool) -> SupplierContact:
    return SupplierContact.objects.create(
        supplier=supplier,
        name=name,
        role=SupplierContact.Role.SERVICE_MANAGER,
        email=email,
        receives_notifications=receives,
    )


@pytest.fixture
def contacts(supplier_a, supplier_b) -> dict[str, SupplierContact]:
    return {
        "a_desk": _contact(supplier_a, "A Desk", "desk@streetwise.example", True),
        "a_manager": _contact(supplier_a, "A Manager", "manager@streetwise.example", True),
        "a_commercial": _contact(supplier_a, "A Money", "money@streetwise.example", False),
        "b_desk": _contact(supplier_b, "B Desk", "desk@cleanway.example", True),
        "b_commercial": _contact(supplier_b, "B Money", "money@cleanway.example", False),
    }


@pytest.fixture
def deliver() -> Callable[[], int]:
    """Dispatch the timeline, then run every due send job as the worker would; returns how
    many jobs ran."""

    def run() -> int:
        while dispatch_batch():
            pass
        jobs = list(Job.objects.filter(kind=SEND_JOB, state=Job.State.PENDING).order_by("id"))
        for job in jobs:
            send_notification(job.payload)
            Job.objects.filter(pk=job.pk).update(state=Job.State.DONE, finished_at=timezone.now())
        return len(jobs)

    return run
