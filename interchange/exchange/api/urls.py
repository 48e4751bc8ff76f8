"""The supplier API's addresses under /api/v1/: ninja's operations, its OpenAPI document
(`openapi.json`) and docs (`docs`), with every other address and method answered by a problem
rather than an HTML page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.utils.translation import gettext as _

from interchange.exchange.api.api import api
from interchange.exchange.api.problems import MEDIA_TYPE, not_found_view, problem_response


def _problem_for_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type") == MEDIA_TYPE:
            return response
        return problem_response(
            405,
            "method-not-allowed",
            _("Method not allowed"),
            _("%(method)s is not allowed here. Allowed: %(allowed)s.")
            % {"method": request.method, "allowed": response.get("Allow", "")},
            headers={"Allow": response.get("Allow", "")},
        )

    return wrapped


def _patterns() -> list[URLPattern | URLResolver]:
    patterns, app_name, namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern = URLPattern(
                pattern.pattern,
                _problem_for_405(pattern.callback),
                pattern.default_args,
                pattern.name,
            )
        wrapped.append(pattern)
    return [path("", include((wrapped, app_name), namespace=namespace))]


urlpatterns: list[URLPattern | URLResolver] = [
    *_patterns(),
    re_path(r"^.*$", not_found_view, name="api-not-found"),
]
