"""Reads for routing and measuring: which provision covers a service where and when, and
which SLA policy version was in force."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

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
    day = local_date(at)
    current = (
        ServiceProvision.objects.filter(service=service, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .select_related("contract__supplier", "sla_policy")
    )
    if area is not None:
        specific = current.filter(areas=area).first()
        if specific is not None:
            return specific
    return current.filter(areas__isnull=True).first()


def policy_version_at(*, policy: SlaPolicy, at: datetime) -> SlaPolicyVersion | None:
    """The version of `policy` in force at `at` (the latest that took effect by then)."""
    return (
        SlaPolicyVersion.objects.filter(policy=policy, effective_from__lte=at)
        .order_by("-effective_from")
        .prefetch_related("targets__calendar")
        .first()
    )
