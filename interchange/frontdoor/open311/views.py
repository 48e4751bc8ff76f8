"""Open311 GeoReport v2 endpoints (plain Django views): each in XML and JSON by suffix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from interchange.catalogue.models import Service
from interchange.frontdoor.open311 import documents, selectors
from interchange.frontdoor.open311.access import Caller, open311_view
from interchange.frontdoor.open311.formats import errors, problems_of, respond
from interchange.frontdoor.open311.intake import read_report, report_open, ticket_problems
from interchange.frontdoor.open311.params import (
    MAX_RESULTS,
    MAX_SPAN,
    Invalid,
    Problems,
    comma_list,
    flag,
    paging,
    window,
)
from interchange.frontdoor.open311.retries import once
from interchange.frontdoor.open311.selectors import RequestRow
from interchange.frontdoor.open311.updates import read_update, update_apply
from interchange.servicedesk.errors import TicketValidationError

# How far back the update feed reaches when a client names no dates.
UPDATES_DEFAULT_SPAN = timedelta(days=1)


@open311_view(["GET"])
def discovery(request: HttpRequest, fmt: str, caller: Caller) -> HttpResponse:
    url = request.build_absolute_uri(reverse("frontdoor:open311-root"))
    document = documents.discovery(endpoint_url=url.rstrip("/"))
    return respond(fmt, "discovery", document, charset=False)


@open311_view(["GET"])
def services(request: HttpRequest, fmt: str, caller: Caller) -> HttpResponse:
    return respond(fmt, "services", documents.services(list(documents.offered_services())))


@open311_view(["GET"])
def service_definition(request: HttpRequest, fmt: str, caller: Caller, code: str) -> HttpResponse:
    service = Service.objects.filter(active=True, open311_exposed=True, code=code).first()
    if service is None:
        return _not_found(fmt, _("There is no service with code %(code)s.") % {"code": code})
    return respond(fmt, "service_definition", documents.definition(service))


@csrf_exempt
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET lists service requests; POST creates one (each checks its own caller)."""
    if request.method == "POST":
        return create_request(request, fmt)
    return list_requests(request, fmt)


@open311_view(["GET"])
def list_requests(request: HttpRequest, fmt: str, caller: Caller) -> HttpResponse:
    try:
        tickets, has_next = _listed(request, caller)
    except Invalid as invalid:
        return _invalid(fmt, invalid)
    response = _requests_response(request, fmt, tickets)
    if has_next:
        response["Link"] = f'<{_next_page(request)}>; rel="next"'
    return response


@open311_view(["POST"], key_required=True)
def create_request(request: HttpRequest, fmt: str, caller: Caller) -> HttpResponse:
    assert caller.key is not None
    key = caller.key

    def work() -> HttpResponse:
        try:
            report = read_report(request.POST, request.FILES)
            record = report_open(report=report, key=key)
        except Invalid as invalid:
            return _invalid(fmt, invalid)
        except TicketValidationError as refused:
            return _invalid(fmt, ticket_problems(refused))
        except ValidationError as refused:
            # A file that passed the check but not the second look when it was stored.
            return _invalid(fmt, Invalid({"media": refused.messages}))
        document = documents.created(
            reference=None if record.token else record.ticket.reference,
            token=record.token,
            notice=report.service.notice,
        )
        return respond(fmt, "service_requests", document, status=201)

    return once(request, fmt, key=key, work=work)


@open311_view(["GET"])
def request_detail(request: HttpRequest, fmt: str, caller: Caller, reference: str) -> HttpResponse:
    found = selectors.requests_by_reference(actor=caller.actor, references=[reference])
    if not found:
        return _not_found(fmt, _("There is no request %(id)s.") % {"id": reference})
    return _requests_response(request, fmt, found[:1])


@open311_view(["GET"])
def token(request: HttpRequest, fmt: str, caller: Caller, value: str) -> HttpResponse:
    record = selectors.request_for_token(actor=caller.actor, token=value)
    if record is None:
        return _not_found(fmt, _("There is no request with token %(token)s.") % {"token": value})
    document = documents.token(reference=record.ticket.reference, value=value)
    return respond(fmt, "service_requests", document)


@csrf_exempt
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """mySociety's extension: GET lists public changes, POST takes a resident's update."""
    if request.method == "POST":
        return post_update(request, fmt)
    return list_updates(request, fmt)


@open311_view(["GET"])
def list_updates(request: HttpRequest, fmt: str, caller: Caller) -> HttpResponse:
    problems = Problems()
    span = window(request.GET, problems, default_span=UPDATES_DEFAULT_SPAN, now=timezone.now())
    pages = paging(request.GET, problems)
    if problems.by_name:
        return _invalid(fmt, Invalid(problems.by_name))
    events = selectors.updates(actor=caller.actor, window=span, paging=pages, limit=MAX_RESULTS)
    has_next = pages is not None and len(events) > pages.size
    document = documents.request_updates(
        events[: pages.size] if pages else events, media_url=_media_url_maker(request)
    )
    response = respond(fmt, "service_request_updates", document)
    if has_next:
        response["Link"] = f'<{_next_page(request)}>; rel="next"'
    return response


@open311_view(["POST"], key_required=True)
def post_update(request: HttpRequest, fmt: str, caller: Caller) -> HttpResponse:
    assert caller.key is not None
    try:
        update = read_update(request.POST)
    except Invalid as invalid:
        return _invalid(fmt, invalid)
    ticket = selectors.request_by_reference(actor=caller.actor, reference=update.reference)
    if ticket is None:
        return _not_found(fmt, _("There is no request %(id)s.") % {"id": update.reference})

    key = caller.key

    def work() -> HttpResponse:
        try:
            event = update_apply(ticket=ticket, update=update, key=key)
        except TicketValidationError as refused:
            return _invalid(fmt, Invalid(refused.message_dict))
        document = documents.update_received(event.pk)
        return respond(fmt, "service_request_updates", document, status=201)

    # The client's own update_id names the update: a resend, however late, adds nothing.
    return once(
        request,
        fmt,
        key=caller.key,
        work=work,
        natural_key=f"update:{update.update_id}",
        natural_fingerprint=f"{ticket.pk}:{update.update_id}",
    )


@require_GET
def media(request: HttpRequest, pk: int) -> FileResponse:
    """A public photo or document of a report the public may see, served as what it is."""
    attachment = selectors.public_attachment(pk)
    if attachment is None:
        raise Http404(_("There is no such file."))
    is_image = attachment.content_type.startswith("image/")
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not is_image,
        filename=attachment.original_name,
    )
    # Browsers must take the checked type at its word, never guess a script from the bytes.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- Helpers -------------------------------------------------------------------------------


def _listed(request: HttpRequest, caller: Caller) -> tuple[list[RequestRow], bool]:
    """The tickets GET requests asks for, and whether another page follows."""
    data = request.GET
    references = comma_list(data, "service_request_id")
    problems = Problems()
    if references:
        # The specification: a list of ids overrides every other parameter.
        if len(references) > MAX_RESULTS:
            problems.add(
                "service_request_id",
                _("Ask for at most %(count)s requests at once.") % {"count": MAX_RESULTS},
            )
            problems.raise_any()
        return selectors.requests_by_reference(actor=caller.actor, references=references), False
    span = window(data, problems, default_span=MAX_SPAN, now=timezone.now())
    pages = paging(data, problems)
    codes = comma_list(data, "service_code")
    found = selectors.services_by_code(codes) if codes else {}
    for code in codes:
        if code not in found:
            problems.add(
                "service_code", _("There is no service with code %(code)s.") % {"code": code}
            )
    statuses = [s.lower() for s in comma_list(data, "status")]
    for status in statuses:
        if status not in selectors.STATUS_FILTER:
            problems.add("status", _("status must be open or closed, not %(s)s.") % {"s": status})
    problems.raise_any()
    tickets = selectors.requests_list(
        actor=caller.actor,
        window=span,
        services=list(found.values()) if codes else None,
        statuses=statuses or None,
        paging=pages,
        limit=MAX_RESULTS,
    )
    if pages is not None and len(tickets) > pages.size:
        return tickets[: pages.size], True
    return tickets, False


def _requests_response(request: HttpRequest, fmt: str, tickets: list[RequestRow]) -> HttpResponse:
    extended = flag(request.GET, "extensions")
    extras = documents.Extras(
        media_url=_media_url_maker(request),
        expected=selectors.expected_datetime(tickets),
        notes=selectors.public_notes(tickets) if extended else None,
        questions=selectors.questions_of(tickets) if extended else None,
    )
    return respond(fmt, "service_requests", documents.service_requests(tickets, extras))


def _media_url_maker(request: HttpRequest) -> Callable[[int], str]:
    base = request.build_absolute_uri(reverse("frontdoor:open311-media", args=[0]))
    prefix = base[: -len("0")]
    return lambda pk: f"{prefix}{pk}"


def _next_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query["page"] = str(int(query.get("page") or 1) + 1)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _invalid(fmt: str, invalid: Invalid) -> HttpResponse:
    return errors(fmt, problems_of(invalid.problems), status=400)


def _not_found(fmt: str, message: str) -> HttpResponse:
    return errors(fmt, [(404, message)], status=404)
