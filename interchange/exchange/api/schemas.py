"""The supplier API's input and output schemas. Tickets are shaped on TM Forum's TMF621
Trouble Ticket resource by `exchange.tickets` (the same shape as in webhooks): camelCase
names, ISO 8601 dates, `relatedParty`, the ticket's version for If-Match."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.utils.translation import gettext
from ninja import Schema
from pydantic import Field, model_validator

from interchange.servicedesk.models import ResolutionCode, Status
from interchange.servicedesk.services import SUPPLIER_REFERENCE_MAX_LENGTH

StatusCode = Literal[
    "new",
    "assigned",
    "in_progress",
    "waiting_resident",
    "waiting_third_party",
    "resolved",
    "closed",
    "cancelled",
]
# The resolutions a supplier may give (a duplicate is marked by the desk, not resolved).
ResolutionChoice = Literal[
    "fixed",
    "workaround",
    "no_fault_found",
    "not_councils_responsibility",
    "no_further_action",
    "fulfilled",
    "implemented",
]
assert set(StatusCode.__args__) == set(Status.values)  # type: ignore[attr-defined]
assert set(ResolutionChoice.__args__) == set(ResolutionCode.values) - {  # type: ignore[attr-defined]
    ResolutionCode.DUPLICATE
}


PriorityLabel = Literal["P1", "P2", "P3", "P4"]
TmfStatus = Literal["acknowledged", "inProgress", "pending", "resolved", "closed", "cancelled"]


class ContactMedium(Schema):
    """One way to reach the reporter: `mediumType` email (characteristic `emailAddress`) or
    phone (characteristic `phoneNumber`)."""

    mediumType: Literal["email", "phone"]
    characteristic: dict[str, str]


class RelatedParty(Schema):
    """A party to the ticket: the council as `serviceIntegrator`, the `assignee` holding it
    (a supplier, or id `integrator` for the integrator's desk) and, only for whoever may see
    them (the supplier holding the ticket, even for an anonymous report), the `reporter`
    with their contact details."""

    type_: Literal["RelatedParty"] = Field(alias="@type")
    role: Literal["serviceIntegrator", "assignee", "reporter"]
    id: str | None
    name: str
    contactMedium: list[ContactMedium] | None = None
    contactPreference: str | None = None


class Characteristic(Schema):
    """One answer the reporter gave to the service's questions."""

    name: str
    value: Any


class ServiceRef(Schema):
    id: str
    name: str


class ChannelRef(Schema):
    name: str = Field(description="How it was reported: web, phone, open311...")


class Location(Schema):
    address: str
    uprn: str | None = Field(description="The address's UPRN, when known.")
    area: str | None = Field(description="The council area's code, when known.")
    latitude: float | None
    longitude: float | None


class Resolution(Schema):
    code: str
    note: str


class Link(Schema):
    href: str


class Note(Schema):
    """A note on the ticket's timeline (TMF621 `Note`): the same shape in webhooks, in the
    notes list and as `note_add`'s answer."""

    type_: Literal["Note"] = Field(alias="@type")
    id: str = Field(description="The ticket's reference and the note's sequence: INC-000123-7.")
    sequence: int = Field(description="Its place on the ticket's timeline (the version it made).")
    date: datetime
    author: str
    authorKind: str
    public: bool = Field(description="True: the reporter sees it. False: an internal note.")
    text: str


class TroubleTicket(Schema):
    """A ticket as a supplier's system sees it: TM Forum TMF621 Trouble Ticket, extended.
    Webhooks carry the same shape (as the event left it, with `note` embedded); the API
    gives it as it is now, with `note` null (read the notes at `notes.href`). Dates are ISO
    8601 in UTC."""

    type_: Literal["TroubleTicket"] = Field(alias="@type")
    id: str = Field(description="The public reference, e.g. INC-000123; the ticket's address.")
    href: str = Field(description="The ticket in this API (absolute).")
    externalId: str | None = Field(description="The supplier's own reference, once set.")
    name: str
    description: str
    ticketType: str
    status: TmfStatus = Field(description="TMF621's status; `interchangeStatus` is exact.")
    interchangeStatus: StatusCode = Field(
        description="The service desk's own status, the one writes and filters use."
    )
    statusChangeReason: str = Field(
        description="The reason given with the last change of status (empty if none)."
    )
    priority: PriorityLabel = Field(
        description="P1 (most urgent) to P4; the number is the one the `priority` filter takes."
    )
    severity: str = Field(description="The impact: high, medium or low.")
    urgency: str
    majorIncident: bool
    channel: ChannelRef
    service: ServiceRef
    location: Location
    characteristic: list[Characteristic]
    relatedParty: list[RelatedParty]
    resolution: Resolution | None = Field(description="Once resolved: the code and the note.")
    creationDate: datetime
    lastUpdate: datetime
    resolutionDate: datetime | None
    closedDate: datetime | None
    expectedResolutionDate: datetime | None = Field(
        description="The resolution target's deadline, as last measured."
    )
    acknowledged: bool = Field(description="Whether the current holder has acknowledged it.")
    yours: bool = Field(description="Whether your supplier holds it and may change it.")
    version: int = Field(description="Changes with every change; send it back as If-Match.")
    notes: Link = Field(description="The ticket's notes, paged.")
    note: list[Note] | None = Field(
        description="Webhooks: the notes up to the event (the most recent 100). API: null."
    )


class TicketPage(Schema):
    items: list[TroubleTicket]
    next: str | None = Field(description="The cursor of the next page; null on the last.")


class NotePage(Schema):
    items: list[Note]
    next: str | None


class NoteIn(Schema):
    text: Annotated[str, Field(min_length=1, max_length=20_000)]
    public: bool = Field(
        default=False, description="True: the reporter sees it. False: an internal note."
    )


MoveTo = Literal["in_progress", "waiting_resident", "waiting_third_party", "resolved"]


class StatusIn(Schema):
    """A move: `in_progress` starts work (or resumes it after a wait); `waiting_resident`
    and `waiting_third_party` pause it and need a `reason`; `resolved` needs a
    `resolutionCode` and may carry a `note` for the reporter."""

    status: MoveTo
    reason: Annotated[str, Field(max_length=2_000)] = ""
    resolutionCode: ResolutionChoice | None = None
    note: Annotated[str, Field(max_length=20_000)] = ""

    @model_validator(mode="after")
    def _complete(self) -> StatusIn:
        if self.status.startswith("waiting_") and not self.reason.strip():
            raise ValueError(gettext("Say what the ticket is waiting for (reason)."))
        if self.status == "resolved" and self.resolutionCode is None:
            raise ValueError(gettext("Choose a resolutionCode."))
        return self


class SupplierReferenceIn(Schema):
    supplierReference: Annotated[str, Field(max_length=SUPPLIER_REFERENCE_MAX_LENGTH)]


class HandbackIn(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=2_000)]


class AttachmentOut(Schema):
    id: int
    name: str
    contentType: str
    size: int
    sha256: str
    public: bool
    uploaded: datetime
    ticketVersion: int
