"""Logging a ticket on someone's behalf (a phone call, a visit to the desk): choose the service,
then its questions and the caller's details; the ticket is opened by `ticket_open`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from interchange.accounts.models import User
from interchange.catalogue.forms import ServiceQuestionsForm
from interchange.catalogue.models import Service
from interchange.servicedesk.errors import TicketValidationError
from interchange.servicedesk.services import ticket_open
from interchange.web.forms import place_errors
from interchange.workspace.ticket_forms import LogTicketForm, ServiceSearchForm

SERVICES_SHOWN = 50

View = Callable[..., HttpResponse]


def desk_only(view: View) -> View:
    """Only the integrator's desk logs tickets for callers; suppliers work what they are sent."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _person(request).is_integrator:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _person(request: HttpRequest) -> User:
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


@desk_only
@require_GET
def choose_service(request: HttpRequest) -> HttpResponse:
    search = ServiceSearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    services = Service.objects.filter(active=True).order_by("name")
    for word in query.split():
        services = services.filter(
            Q(name__icontains=word) | Q(code__icontains=word) | Q(description__icontains=word)
        )
    shown = list(services.only("code", "name", "description")[: SERVICES_SHOWN + 1])
    context = {
        "search": search,
        "query": query,
        "services": shown[:SERVICES_SHOWN],
        "more": len(shown) > SERVICES_SHOWN,
    }
    return render(request, "workspace/log/choose_service.html", context)


@desk_only
@require_http_methods(["GET", "POST"])
def log_ticket(request: HttpRequest, code: str) -> HttpResponse:
    service = Service.objects.filter(code=code, active=True).first()
    if service is None:
        raise Http404
    data = request.POST if request.method == "POST" else None
    form = LogTicketForm(data, service=service)
    questions = ServiceQuestionsForm(service, data)
    if data is not None and all([form.is_valid(), questions.is_valid()]):
        try:
            opened = ticket_open(
                actor=_person(request),
                service=service,
                answers=questions.answers,
                **form.cleaned_data,
            )
        except TicketValidationError as refused:
            place_errors(form, refused)
        else:
            reference = opened.ticket.reference
            messages.success(request, _("Ticket %(reference)s logged.") % {"reference": reference})
            return redirect("workspace:ticket", reference=reference)
    context = {
        "service_obj": service,
        "form": form,
        "questions": questions,
        "centre": settings.FRONTDOOR_MAP_CENTRE,
        "zoom": settings.FRONTDOOR_MAP_ZOOM,
    }
    return render(request, "workspace/log/log_ticket.html", context)
