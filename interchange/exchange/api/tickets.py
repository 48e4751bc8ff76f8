"""The supplier API's operations on tickets. Each is thin: find the ticket through the
visibility scope (404 for what the key may not see), call the service desk's domain function
with the key as the actor, shape the result. Errors become problems in `api.py`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from pydantic import Field

from interchange.accounts.models import ApiKey
from interchange.exchange.api import schemas
from interchange.exchange.api.problems import ApiProblem, Problem, not_found
from interchange.exchange.api.selectors import (
    BadCursor,
    TicketFilters,
    note_page,
    ticket_for_reference,
    ticket_page,
)
from interchange.exchange.api.writes import IDEMPOTENCY_HEADER, etag, expected_version, idempotent
from interchange.exchange.tickets import note_shape, ticket_now
from interchange.servicedesk import services
from interchange.servicedesk.attachments import max_bytes
from interchange.servicedesk.models import Status as TicketStatus
from interchange.servicedesk.models import Ticket, TicketEvent
from interchange.servicedesk.states import WaitingOn

router = Router(tags=["tickets"])

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
READ_ERRORS = frozenset({400, 401, 404, 422, 429})
WRITE_ERRORS = frozenset({400, 401, 403, 404, 409, 412, 422, 428, 429})


def _write_parameters(*, if_match_required: bool) -> dict[str, Any]:
    """The headers every write takes, for the OpenAPI document (the wrapper reads them)."""
    return {
        "parameters": [
            {
                "in": "header",
                "name": IDEMPOTENCY_HEADER,
                "required": True,
                "description": _(
                    "Your own unique key for this change (1–255 characters): a repeat within "
                    "24 hours gets the first response and changes nothing."
                ),
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            },
            {
                "in": "header",
                "name": "If-Match",
                "required": if_match_required,
                "description": _(
                    "The ticket's ETag from your last read (its version, quoted). A stale "
                    "one gets 412 and changes nothing."
                ),
                "schema": {"type": "string", "pattern": r'^("[0-9]{1,9}"|\*)$'},
            },
        ]
    }


def _key(request: HttpRequest) -> ApiKey:
    key = request.auth  # type: ignore[attr-defined]
    assert isinstance(key, ApiKey)
    return key


def _ticket(request: HttpRequest, ref: str) -> Ticket:
    ticket = ticket_for_reference(_key(request), ref)
    if ticket is None:
        raise not_found(
            _("There is no ticket %(ref)s that your supplier holds or held.") % {"ref": ref}
        )
    return ticket


def _reloaded(request: HttpRequest, ticket: Ticket) -> Ticket:
    """The ticket after a change, with what shaping reads, through the visibility scope (a
    ticket handed back stays visible: the supplier held it)."""
    fresh = ticket_for_reference(_key(request), ticket.reference)
    assert fresh is not None
    return fresh


def _shaped(request: HttpRequest, ticket: Ticket, response: HttpResponse) -> dict[str, Any]:
    response["ETag"] = etag(ticket.version)
    return ticket_now(ticket, _key(request))


def _bad_cursor() -> ApiProblem:
    detail = _("This cursor was not given by this list. Start again without one.")
    return ApiProblem(
        422,
        "invalid-input",
        _("Invalid input"),
        detail,
        errors=[{"location": "query", "field": "cursor", "detail": detail}],
    )


def _utc(value: datetime | None, field: str) -> datetime | None:
    """`value` in UTC (a time without an offset is taken as UTC), as the database stores it."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        detail = _("Give a date and time between the years 1 and 9999.")
        raise ApiProblem(
            422,
            "invalid-input",
            _("Invalid input"),
            detail,
            errors=[{"location": "query", "field": field, "detail": detail}],
        ) from None


# --- Reads -----------------------------------------------------------------------------------


@router.get(
    "/tickets",
    response={200: schemas.TicketPage, READ_ERRORS: Problem},
    operation_id="tickets_list",
    by_alias=True,
    summary="List your supplier's tickets",
)
def tickets_list(
    request: HttpRequest,
    status: Annotated[list[schemas.StatusCode] | None, Query()] = None,
    priority: Annotated[list[Annotated[int, Field(ge=1, le=4)]] | None, Query()] = None,
    service: Annotated[list[str] | None, Query(description="Service codes.")] = None,
    updatedSince: Annotated[datetime | None, Query()] = None,
    hasSupplierReference: Annotated[bool | None, Query()] = None,
    yours: Annotated[
        bool | None,
        Query(description="True: only those you hold now; false: only those you held before."),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Tickets your supplier holds or held, least recently updated first. Page with `next`
    as `cursor`, keeping the same filters; poll with `updatedSince` for changes."""
    key = _key(request)
    filters = TicketFilters(
        statuses=list(status or []),
        priorities=list(priority or []),
        services=list(service or []),
        updated_since=_utc(updatedSince, "updatedSince"),
        has_supplier_reference=hasSupplierReference,
        yours=yours,
    )
    try:
        tickets, next_cursor = ticket_page(key, filters, cursor=cursor, limit=limit)
    except BadCursor:
        raise _bad_cursor() from None
    return {"items": [ticket_now(t, key) for t in tickets], "next": next_cursor}


@router.get(
    "/tickets/{ref}",
    response={200: schemas.TroubleTicket, 304: None, READ_ERRORS: Problem},
    operation_id="ticket_get",
    by_alias=True,
    url_name="ticket_get",
    summary="Read one ticket",
)
def ticket_get(request: HttpRequest, ref: str, response: HttpResponse) -> Any:
    """One ticket by its public reference (e.g. INC-000123). Its ETag is its version; send
    it as If-None-Match to be told (304) that nothing changed."""
    ticket = _ticket(request, ref)
    if request.headers.get("If-None-Match", "").strip() == etag(ticket.version):
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = etag(ticket.version)
        return not_modified
    return _shaped(request, ticket, response)


@router.get(
    "/tickets/{ref}/notes",
    response={200: schemas.NotePage, READ_ERRORS: Problem},
    operation_id="notes_list",
    by_alias=True,
    url_name="notes_list",
    summary="Read a ticket's notes",
)
def notes_list(
    request: HttpRequest,
    ref: str,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The ticket's notes, oldest first: public ones, and internal ones written while your
    supplier held it."""
    ticket = _ticket(request, ref)
    try:
        notes, next_cursor = note_page(_key(request), ticket, cursor=cursor, limit=limit)
    except BadCursor:
        raise _bad_cursor() from None
    return {"items": [note_shape(ticket, note) for note in notes], "next": next_cursor}


# --- Writes ----------------------------------------------------------------------------------


@router.post(
    "/tickets/{ref}/acknowledge",
    response={200: schemas.TroubleTicket, WRITE_ERRORS: Problem},
    operation_id="ticket_acknowledge",
    by_alias=True,
    summary="Acknowledge a ticket",
    openapi_extra=_write_parameters(if_match_required=False),
)
@decorate_view(idempotent)
def ticket_acknowledge(request: HttpRequest, ref: str, response: HttpResponse) -> Any:
    """Your supplier has seen the ticket: stops its response clock. Again changes nothing."""
    ticket = _ticket(request, ref)
    services.ticket_acknowledge(
        ticket=ticket,
        actor=_key(request),
        expected_version=expected_version(request, required=False),
    )
    return _shaped(request, _reloaded(request, ticket), response)


@router.post(
    "/tickets/{ref}/notes",
    response={201: schemas.Note, WRITE_ERRORS: Problem},
    operation_id="note_add",
    by_alias=True,
    summary="Add a note",
    openapi_extra=_write_parameters(if_match_required=False),
)
@decorate_view(idempotent)
def note_add(
    request: HttpRequest, ref: str, payload: schemas.NoteIn, response: HttpResponse
) -> Any:
    """A public note (the reporter sees it; the first one acknowledges for you) or an
    internal one."""
    ticket = _ticket(request, ref)
    updated = services.ticket_add_note(
        ticket=ticket,
        actor=_key(request),
        body=payload.text,
        public=payload.public,
        expected_version=expected_version(request, required=False),
    )
    note = TicketEvent.objects.get(ticket=updated, sequence=updated.version)
    response["ETag"] = etag(updated.version)
    return Status(201, note_shape(updated, note))


@router.post(
    "/tickets/{ref}/status",
    response={200: schemas.TroubleTicket, WRITE_ERRORS: Problem},
    operation_id="ticket_move",
    by_alias=True,
    summary="Move a ticket's status",
    openapi_extra=_write_parameters(if_match_required=True),
)
@decorate_view(idempotent)
def ticket_move(
    request: HttpRequest, ref: str, payload: schemas.StatusIn, response: HttpResponse
) -> Any:
    """Start work, wait on the resident or a third party (with a reason), resume, or resolve
    (with a resolution code)."""
    ticket = _ticket(request, ref)
    key = _key(request)
    version = expected_version(request, required=True)
    if payload.status == "in_progress":
        waiting = ticket.status in {TicketStatus.WAITING_RESIDENT, TicketStatus.WAITING_THIRD_PARTY}
        if waiting:
            services.ticket_resume(
                ticket=ticket, actor=key, reason=payload.reason, expected_version=version
            )
        else:
            services.ticket_start(ticket=ticket, actor=key, expected_version=version)
    elif payload.status == "resolved":
        services.ticket_resolve(
            ticket=ticket,
            actor=key,
            resolution_code=payload.resolutionCode or "",
            note=payload.note,
            expected_version=version,
        )
    else:
        on = WaitingOn.RESIDENT if payload.status == "waiting_resident" else WaitingOn.THIRD_PARTY
        services.ticket_wait(
            ticket=ticket, actor=key, on=on, reason=payload.reason, expected_version=version
        )
    return _shaped(request, _reloaded(request, ticket), response)


@router.put(
    "/tickets/{ref}/supplier-reference",
    response={200: schemas.TroubleTicket, WRITE_ERRORS: Problem},
    operation_id="supplier_reference_set",
    by_alias=True,
    summary="Set your own reference for a ticket",
    openapi_extra=_write_parameters(if_match_required=True),
)
@decorate_view(idempotent)
def supplier_reference_set(
    request: HttpRequest, ref: str, payload: schemas.SupplierReferenceIn, response: HttpResponse
) -> Any:
    """Your system's id for the ticket; it comes back as `externalId`. Empty clears it."""
    ticket = _ticket(request, ref)
    services.ticket_set_supplier_reference(
        ticket=ticket,
        actor=_key(request),
        reference=payload.supplierReference,
        expected_version=expected_version(request, required=True),
    )
    return _shaped(request, _reloaded(request, ticket), response)


@router.post(
    "/tickets/{ref}/handback",
    response={200: schemas.TroubleTicket, WRITE_ERRORS: Problem},
    operation_id="ticket_hand_back",
    by_alias=True,
    summary="Hand a ticket back to the integrator",
    openapi_extra=_write_parameters(if_match_required=True),
)
@decorate_view(idempotent)
def ticket_hand_back(
    request: HttpRequest, ref: str, payload: schemas.HandbackIn, response: HttpResponse
) -> Any:
    """Give the ticket back to the integrator's desk, saying why (not yours to fix, wrongly
    routed…). You keep read-only sight of it afterwards."""
    ticket = _ticket(request, ref)
    services.ticket_assign(
        ticket=ticket,
        actor=_key(request),
        holder=services.DESK,
        reason=payload.reason,
        expected_version=expected_version(request, required=True),
    )
    return _shaped(request, _reloaded(request, ticket), response)


@router.post(
    "/tickets/{ref}/attachments",
    response={201: schemas.AttachmentOut, WRITE_ERRORS: Problem},
    operation_id="attachment_add",
    summary="Attach a file",
    openapi_extra=_write_parameters(if_match_required=False),
)
@decorate_view(idempotent)
def attachment_add(
    request: HttpRequest,
    ref: str,
    response: HttpResponse,
    file: File[UploadedFile],
    public: Form[bool] = False,
) -> Any:
    """Upload a file (multipart, field `file`): photos and documents the service desk
    accepts, within its size limit; `public` shows it to the reporter."""
    ticket = _ticket(request, ref)
    try:
        attachment = services.ticket_attach(
            ticket=ticket,
            actor=_key(request),
            name=file.name or "upload",
            # One byte past the limit is enough for the service desk to refuse it.
            data=file.read(max_bytes() + 1),
            public=public,
            expected_version=expected_version(request, required=False),
        )
    except ValidationError as invalid:
        if hasattr(invalid, "error_dict"):
            raise
        raise ApiProblem(
            422,
            "invalid-input",
            _("Invalid input"),
            " ".join(invalid.messages),
            errors=[
                {"location": "body", "field": "file", "detail": message}
                for message in invalid.messages
            ],
        ) from None
    version = attachment.ticket.version
    response["ETag"] = etag(version)
    return Status(
        201,
        {
            "id": attachment.pk,
            "name": attachment.original_name,
            "contentType": attachment.content_type,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "public": attachment.public,
            "uploaded": attachment.uploaded_at,
            "ticketVersion": version,
        },
    )
