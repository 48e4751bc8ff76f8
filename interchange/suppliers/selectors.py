"""Reads for routing and measuring: which provision covers a service where and when, and
which SLA policy version was in force."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Value

from interchange.catalogue.models import Area, Service
from interchange.suppliers.models import ServiceProvision, SlaPolicy, SlaPolicyVersion


def local_date(at: datetime) -> date:
    """The council's calendar date at an instant: provisions change at local midnight."""
    return at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def provision_for(*, service: Service, area: Area | None, at: datetime) -> ServiceProvision | None:
    """The provision that covers `service` (in `area`) at `at`, or None for the integrator desk.

    An area-specific provision wins over an all-areas one; the overlap rules in
    `suppliers.services` make each of those unique, so the answer is never ambiguous.
    """
    current = _in_force(service.pk, at).select_related("contract__supplier", "sla_policy")
    if area is not None:
        specific = current.filter(areas=area).first()
        if specific is not None:
            return specific
    return current.filter(areas__isnull=True).first()


def provision_of_supplier(
    *, supplier_id: int, service_id: int, area_id: int | None, at: datetime
) -> ServiceProvision | None:
    """The provision under which one supplier delivers a service at `at`, for a ticket handed
    to it by hand: the one covering the area, else an all-areas one, else any of its own."""
    areas = ServiceProvision.areas.through.objects.filter(serviceprovision_id=OuterRef("pk"))
    covers: Exists | Value = (
        Exists(areas.filter(area_id=area_id)) if area_id is not None else Value(False)
    )
    return (
        _in_force(service_id, at)
        .filter(contract__supplier_id=supplier_id)
        .annotate(covers=covers, everywhere=~Exists(areas))
        .order_by("-covers", "-everywhere", "valid_from", "pk")
        .first()
    )


def _in_force(service_id: int, at: datetime) -> QuerySet[ServiceProvision]:
    day = local_date(at)
    return ServiceProvision.objects.filter(service_id=service_id, valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )


def policy_version_at(*, policy: SlaPolicy, at: datetime) -> SlaPolicyVersion | None:
    """The version of `policy` in force at `at` (the latest that took effect by then)."""
    return (
        SlaPolicyVersion.objects.filter(policy=policy, effective_from__lte=at)
        .order_by("-effective_from")
        .prefetch_related("targets__calendar")
        .first()
    )
