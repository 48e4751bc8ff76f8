"""Open311 GeoReport v2 endpoints (plain Django views): each in XML and JSON by suffix."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from interchange.catalogue.models import Service
from interchange.frontdoor.open311 import documents
from interchange.frontdoor.open311.formats import errors, respond

View = Callable[..., HttpResponse]


def open311_view(methods: list[str]) -> Callable[[View], View]:
    """Allowed methods, no CSRF (API clients), and `jurisdiction_id` checked when given."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @require_http_methods(methods)
        @wraps(view)
        def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            given = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
            if given and given != settings.OPEN311_JURISDICTION_ID:
                return errors(
                    fmt,
                    [(400, _("jurisdiction_id %(given)s is not served here.") % {"given": given})],
                    status=400,
                )
            return view(request, fmt, **kwargs)

        return wrapped

    return decorate


@open311_view(["GET"])
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    url = request.build_absolute_uri(reverse("frontdoor:open311-root"))
    document = documents.discovery(endpoint_url=url.rstrip("/"))
    return respond(fmt, "discovery", document, charset=False)


@open311_view(["GET"])
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return respond(fmt, "services", documents.services(list(documents.offered_services())))


@open311_view(["GET"])
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    service = Service.objects.filter(active=True, open311_exposed=True, code=code).first()
    if service is None:
        return errors(
            fmt, [(404, _("There is no service with code %(code)s.") % {"code": code})], status=404
        )
    return respond(fmt, "service_definition", documents.definition(service))
