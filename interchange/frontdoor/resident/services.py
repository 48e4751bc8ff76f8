"""What the residents' web pages change, each in one transaction through the service desk's
own functions: a report sent with its photos, a report reopened with a photo, and the
reporter's satisfaction, given once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from interchange.catalogue.models import Service
from interchange.frontdoor.reports import RESIDENT_IMPACT, RESIDENT_URGENCY
from interchange.frontdoor.resident.selectors import satisfaction_given
from interchange.servicedesk.actors import Resident
from interchange.servicedesk.errors import StaleVersion
from interchange.servicedesk.models import (
    Channel,
    ContactPreference,
    SatisfactionResponse,
    Ticket,
    TicketType,
)
from interchange.servicedesk.services import (
    Opened,
    satisfaction_record,
    ticket_attach,
    ticket_open,
    ticket_reopen,
)

TITLE_MAX = 200
# How often a rating is tried again when staff change the report at the same moment.
_RATE_ATTEMPTS = 3


@dataclass(frozen=True)
class NewReport:
    """Everything a resident said, already checked by the forms."""

    service: Service
    description: str
    answers: dict[str, Any]
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    place: str = ""
    name: str = ""
    contact: str = ContactPreference.NONE
    email: str = ""
    phone: str = ""
    photos: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def location_words(self) -> str:
        return " – ".join(part for part in (self.address, self.place) if part)

    @property
    def title(self) -> str:
        where = self.address or self.place
        title = f"{self.service.name}: {where}" if where else self.service.name
        return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def report_send(*, report: NewReport, at: datetime | None = None) -> Opened:
    """Open the resident's report as an incident from the web, with their photos (never
    public), at the resident reports' starting priority (`frontdoor.reports`)."""
    at = at or timezone.now()
    first, _space, last = report.name.strip().partition(" ")
    resident = Resident()
    with transaction.atomic():
        opened = ticket_open(
            actor=resident,
            type=TicketType.INCIDENT,
            service=report.service,
            title=report.title,
            channel=Channel.WEB,
            impact=RESIDENT_IMPACT,
            urgency=RESIDENT_URGENCY,
            description=report.description,
            reporter_first_name=first,
            reporter_last_name=last.strip(),
            reporter_email=report.email,
            reporter_phone=report.phone,
            reporter_contact_preference=report.contact,
            # The privacy notice promises that reports are shown without the reporter's name,
            # through every channel, so every web report is anonymous in public.
            reporter_anonymous=True,
            latitude=report.latitude,
            longitude=report.longitude,
            address=report.location_words,
            answers=report.answers,
            at=at,
        )
        for name, data in report.photos:
            ticket_attach(ticket=opened.ticket, actor=resident, name=name, data=data, at=at)
    return opened


def report_reopen(
    *,
    ticket: Ticket,
    reason: str,
    photo: tuple[str, bytes] | None = None,
    at: datetime | None = None,
) -> Ticket:
    """The reporter says a resolved (or recently closed) report is not fixed: it is reopened
    with their words as the reason, and their photo attached."""
    at = at or timezone.now()
    resident = Resident()
    with transaction.atomic():
        reopened = ticket_reopen(ticket=ticket, actor=resident, reason=reason, at=at)
        if photo is not None:
            ticket_attach(ticket=reopened, actor=resident, name=photo[0], data=photo[1], at=at)
    return reopened


def report_rate(
    *, ticket: Ticket, score: int, comment: str = "", at: datetime | None = None
) -> SatisfactionResponse | None:
    """Record the reporter's satisfaction once; None when they had already given it.

    The answer is recorded at the version at which none was found, so two at once cannot
    both be kept: the second finds the ticket moved on, looks again and sees the first.
    """
    for _attempt in range(_RATE_ATTEMPTS):
        ticket.refresh_from_db()
        if satisfaction_given(ticket):
            return None
        try:
            return satisfaction_record(
                ticket=ticket,
                actor=Resident(),
                score=score,
                comment=comment,
                at=at,
                expected_version=ticket.version,
            )
        except StaleVersion:
            continue
    return None
