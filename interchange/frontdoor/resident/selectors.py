"""Reads for the residents' web pages: the services they choose from, open reports near a
place, a report by its public reference or private link, and what they may see of it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.catalogue.models import Service
from interchange.servicedesk import sla
from interchange.servicedesk.actors import Public
from interchange.servicedesk.models import (
    OPEN_STATUSES,
    Attachment,
    SatisfactionResponse,
    Ticket,
    TicketEvent,
)
from interchange.servicedesk.search import parse_reference
from interchange.servicedesk.selectors import ticket_for_private_token
from interchange.servicedesk.visibility import visible_to

# Metres in a degree of latitude (and of longitude at the equator), near enough for 50 m.
METRES_PER_DEGREE = 111_320
EARTH_RADIUS_M = 6_371_000
# The newest this many reports inside the box are measured; more would be a crowd, not a list.
NEARBY_CANDIDATES = 100
NEARBY_SHOWN = 5


# --- Services ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceGroupChoices:
    """A heading and its services, for the "what is the problem" page."""

    name: str
    services: list[Service]


def resident_services() -> list[Service]:
    """Every service residents may report, with its groups."""
    return list(
        Service.objects.filter(active=True, kind=Service.Kind.RESIDENT)
        .prefetch_related("groups")
        .order_by("name")
    )


def resident_service(code: str) -> Service | None:
    """The active resident service with this code, or None."""
    return Service.objects.filter(active=True, kind=Service.Kind.RESIDENT, code=code).first()


def _matches(service: Service, words: list[str]) -> bool:
    haystack = " ".join([service.name, *[str(k) for k in service.keywords or []]]).casefold()
    return all(word in haystack for word in words)


def grouped_services(services: list[Service], query: str = "") -> list[ServiceGroupChoices]:
    """`services` under their groups' headings (in the groups' order), filtered to those whose
    name or keywords contain every word of `query`. A service in two groups shows in both;
    one in none goes under "Other problems"."""
    words = query.casefold().split()
    groups: dict[tuple[int, str], list[Service]] = {}
    for service in services:
        if words and not _matches(service, words):
            continue
        keys = [(g.order, g.name) for g in service.groups.all()] or [(10**6, _("Other problems"))]
        for key in keys:
            groups.setdefault(key, []).append(service)
    return [
        ServiceGroupChoices(name, members) for (_order, name), members in sorted(groups.items())
    ]


# --- Nearby open reports -------------------------------------------------------------------


@dataclass(frozen=True)
class NearbyReport:
    ticket: Ticket
    distance_m: int


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def nearby_open_reports(
    *,
    service: Service,
    latitude: float,
    longitude: float,
    at: datetime | None = None,
    within_m: int | None = None,
    max_age_days: int | None = None,
) -> list[NearbyReport]:
    """Open reports of `service` that the public may see, within `within_m` metres
    (FRONTDOOR_DUPLICATE_DISTANCE_M) reported in the last `max_age_days` days
    (FRONTDOOR_DUPLICATE_MAX_AGE_DAYS), nearest first.

    One query over a bounding box, narrowed by the service's recent tickets (the
    service-and-created index), then the exact distance in Python.
    """
    at = at or timezone.now()
    within_m = settings.FRONTDOOR_DUPLICATE_DISTANCE_M if within_m is None else within_m
    days = settings.FRONTDOOR_DUPLICATE_MAX_AGE_DAYS if max_age_days is None else max_age_days
    dlat = within_m / METRES_PER_DEGREE
    # A degree of longitude shrinks towards the poles; never divide by (almost) nothing.
    dlon = within_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    box = Ticket.objects.filter(
        service=service,
        status__in=OPEN_STATUSES,
        created_at__gte=at - timedelta(days=days),
        created_at__lte=at,
        latitude__range=(latitude - dlat, latitude + dlat),
        longitude__range=(longitude - dlon, longitude + dlon),
    )
    candidates = (
        visible_to(Public(), box)
        .only("id", "type", "title", "status", "created_at", "latitude", "longitude", "address")
        .order_by("-created_at", "-id")[:NEARBY_CANDIDATES]
    )
    found = []
    for ticket in candidates:
        assert ticket.latitude is not None and ticket.longitude is not None
        metres = distance_m(latitude, longitude, ticket.latitude, ticket.longitude)
        if metres <= within_m:
            found.append(NearbyReport(ticket=ticket, distance_m=round(metres)))
    found.sort(key=lambda near: (near.distance_m, -near.ticket.pk))
    return found[:NEARBY_SHOWN]


# --- One report ----------------------------------------------------------------------------


def public_report(reference: str) -> Ticket | None:
    """The report with this reference if the public may see it (its service is offered
    publicly), else None: a reference grants nothing more."""
    parsed = parse_reference(reference or "")
    if parsed is None:
        return None
    ticket_type, pk = parsed
    tickets = visible_to(Public()).filter(pk=pk)
    if ticket_type is not None:
        tickets = tickets.filter(type=ticket_type)
    return tickets.select_related("service", "holder_supplier").first()


def own_report(token: str) -> Ticket | None:
    """The report whose private link holds `token`, or None."""
    return ticket_for_private_token(token)


def expected_resolution(ticket: Ticket) -> datetime | None:
    """When the council expects to have dealt with the report (its running end-to-end
    resolution clock's deadline), or None when it cannot say."""
    return sla.resolution_deadlines([ticket.pk]).get(ticket.pk)


def satisfaction_given(ticket: Ticket) -> bool:
    """Whether the reporter has already said how satisfied they are."""
    return SatisfactionResponse.objects.filter(ticket=ticket).exists()


def report_photos(ticket: Ticket, *, own: bool) -> list[Attachment]:
    """The report's photos a resident may see: public ones, and with the private link also the
    ones the reporter added (which are never public)."""
    visible = Q(public=True)
    if own:
        visible |= Q(event__actor_kind=TicketEvent.ActorKind.RESIDENT)
    return list(
        Attachment.objects.filter(visible, ticket=ticket, content_type__startswith="image/")
        .select_related("event")
        .order_by("uploaded_at", "id")
    )


def report_photo(ticket: Ticket, photo_id: int, *, own: bool) -> Attachment | None:
    """One of `report_photos`, or None."""
    return next((p for p in report_photos(ticket, own=own) if p.pk == photo_id), None)
