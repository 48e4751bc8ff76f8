"""The ticket page, its timeline, attachment downloads and its actions (each a small form that
posts to its own URL with the version it was rendered with; Post/Redirect/Get)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from interchange.accounts.models import User
from interchange.exchange import selfservice
from interchange.servicedesk.errors import (
    IllegalTransition,
    NotPermitted,
    StaleVersion,
    TicketValidationError,
)
from interchange.servicedesk.models import Attachment, Status, Ticket
from interchange.servicedesk.selectors import ticket_timeline
from interchange.servicedesk.visibility import can_see_reporter
from interchange.web.forms import place_errors
from interchange.workspace import ticket_display as display
from interchange.workspace.ticket_actions import (
    ACTIONS,
    ActionSpec,
    major_incident_wording,
    offered,
)
from interchange.workspace.ticket_forms import NoteForm, VersionedForm

# Domain error keys that a form names differently; the version check is the whole form's.
_FIELD_FOR = {"master": "reference", "to_ticket": "reference", "on": "reason", "version": None}


@login_required
@require_GET
def ticket(request: HttpRequest, reference: str) -> HttpResponse:
    me = _person(request)
    ticket = display.ticket_or_404(me, reference)
    actions = offered(me, ticket)
    context = {
        **_ticket_context(request, ticket),
        "actions": actions,
        "note_form": NoteForm(
            initial={"version": ticket.version}, ticket=ticket, user=_person(request)
        )
        if ACTIONS["note"] in actions
        else None,
        "timeline": display.timeline_page(ticket, before=None, limit=display.TIMELINE_ON_PAGE),
        "answers": display.answer_rows(ticket),
        "attachments": display.ticket_attachments(ticket),
        "links": display.ticket_links(_person(request), ticket),
        "sla": display.sla_view(ticket),
        "show_reporter": can_see_reporter(_person(request), ticket),
        "deliveries": display.exchange_deliveries(ticket, _person(request)),
        # Each delivery opens in the supplier-systems pages, for those who may use them.
        "deliveries_linked": selfservice.may_use(_person(request)),
    }
    return render(request, "workspace/ticket/ticket.html", context)


@login_required
@require_GET
def ticket_timeline_page(request: HttpRequest, reference: str) -> HttpResponse:
    """The whole timeline, newest first, a page at a time; htmx asks for the next page alone."""
    ticket = display.ticket_or_404(_person(request), reference)
    before = request.GET.get("before", "")
    page = display.timeline_page(
        ticket, before=int(before) if before.isdigit() else None, limit=display.TIMELINE_PAGE
    )
    context = {**_ticket_context(request, ticket), "timeline": page, "sub": "timeline"}
    if request.headers.get("HX-Request"):
        return render(request, "workspace/ticket/_timeline_items.html", context)
    return render(request, "workspace/ticket/timeline.html", context)


@login_required
@require_GET
def ticket_attachment(request: HttpRequest, reference: str, pk: int) -> FileResponse:
    ticket = display.ticket_or_404(_person(request), reference)
    attachment = Attachment.objects.filter(ticket=ticket, pk=pk).first()
    if attachment is None:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def ticket_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    me = _person(request)
    ticket = display.ticket_or_404(me, reference)
    if request.method == "GET" and spec not in offered(me, ticket):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None
    form = spec.form(
        data, initial={"version": ticket.version}, ticket=ticket, user=_person(request)
    )
    status, changes = 200, None
    if form.is_bound and form.is_valid():
        try:
            message = spec.perform(ticket, _person(request), form.cleaned_data)
        except StaleVersion as stale:
            status, form = 409, _refreshed(spec, request.POST, ticket, _person(request), stale)
            changes = _changes_since(ticket, stale.expected)
            ticket = form.ticket
        except (NotPermitted, IllegalTransition, TicketValidationError) as refusal:
            status = _refuse(form, refusal)
        else:
            messages.success(request, message)
            return redirect("workspace:ticket", reference=ticket.reference)
    context = _action_context(request, ticket, spec, form, changes)
    return render(request, "workspace/ticket/action.html", context, status=status)


def _person(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind `login_required`)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _ticket_context(request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    url = reverse("workspace:ticket", args=[ticket.reference])
    timeline_url = reverse("workspace:ticket-timeline", args=[ticket.reference])
    return {
        "ticket": ticket,
        "status_colour": display.STATUS_COLOURS.get(Status(ticket.status), "grey"),
        "priority_colour": display.PRIORITY_COLOURS.get(ticket.priority, "grey"),
        "ticket_navigation": [
            {"text": ticket.reference, "href": url, "active": request.path == url},
            {
                "text": _("Timeline"),
                "href": timeline_url,
                "active": request.path == timeline_url,
            },
        ],
    }


def _refreshed(
    spec: ActionSpec, posted: QueryDict, ticket: Ticket, user: User, stale: StaleVersion
) -> VersionedForm:
    """The person's input again, now at the ticket's current version, so they can look at
    what changed and send it again."""
    data = posted.copy()
    data["version"] = str(stale.current)
    fresh = Ticket.objects.select_related("service", "holder_supplier", "assignee").get(
        pk=ticket.pk
    )
    form = spec.form(data, ticket=fresh, user=user)
    form.is_valid()
    form.add_error(None, stale.message)
    return form


def _changes_since(ticket: Ticket, version: int) -> list[display.EventView]:
    return display.describe_events(ticket_timeline(ticket=ticket, after=version, limit=50))


def _refuse(form: VersionedForm, refusal: Exception) -> int:
    """Put the service desk's refusal on the form; the status code that goes with it."""
    if isinstance(refusal, TicketValidationError):
        place_errors(form, refusal, _FIELD_FOR)
        return 200
    form.add_error(None, getattr(refusal, "message", None) or str(refusal))
    return 403 if isinstance(refusal, NotPermitted) else 409


def _action_context(
    request: HttpRequest,
    ticket: Ticket,
    spec: ActionSpec,
    form: VersionedForm,
    changes: list[display.EventView] | None,
) -> dict[str, Any]:
    title, button = str(spec.title), spec.button_text
    if spec.key == "major-incident":
        title, button = major_incident_wording(ticket)
    return {
        **_ticket_context(request, ticket),
        "spec": spec,
        "form": form,
        "title": title,
        "button": button,
        "changes": changes,
    }
