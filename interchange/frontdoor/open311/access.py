"""Who is calling the Open311 API and whether they may: the jurisdiction, the `api_key`
(in the body, as the specification has it, or the query string), and the rate limits — per
key at the key's own limit, per client address for keyless traffic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from interchange.accounts.models import ApiKey
from interchange.accounts.services import api_key_authenticate, api_key_check_rate
from interchange.core import ratelimit
from interchange.frontdoor.open311.formats import errors
from interchange.servicedesk.actors import Public


@dataclass(frozen=True)
class Caller:
    """The client application's key, when it gave a good one; else the public."""

    key: ApiKey | None

    @property
    def actor(self) -> ApiKey | Public:
        """Whom the visibility scope answers for."""
        return self.key if self.key is not None else Public()

    @property
    def label(self) -> str:
        """The client's name, as the timeline shows whoever acts through it."""
        if self.key is None:
            return str(Public())
        return self.key.client_name or self.key.name


View = Callable[..., HttpResponse]


def open311_view(methods: list[str], *, key_required: bool = False) -> Callable[[View], View]:
    """Allowed methods, no CSRF (API clients), a body that parses, `jurisdiction_id` checked
    when given, the API key (required for writes), and the rate limit. The view is called as
    `view(request, fmt, caller, **kwargs)`."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @require_http_methods(methods)
        @wraps(view)
        def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                data = request.POST if request.method == "POST" else request.GET
                # Parse uploads now, so a broken body is this error and not a crash later.
                request.FILES  # noqa: B018
            except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError):
                return errors(fmt, [(400, _("The request body could not be read."))], status=400)
            given = data.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
            if given and given != settings.OPEN311_JURISDICTION_ID:
                return errors(
                    fmt,
                    [(400, _("jurisdiction_id %(given)s is not served here.") % {"given": given})],
                    status=400,
                )
            presented = data.get("api_key") or request.GET.get("api_key") or ""
            key = _client_key(presented) if presented else None
            if key is None and (presented or key_required):
                # Guessing keys is keyless traffic, and counts against the address.
                refused = _limited(fmt, _address_limit(request))
                return refused or errors(fmt, [(403, _invalid_key_message())], status=403)
            rate = api_key_check_rate(key) if key is not None else _address_limit(request)
            refused = _limited(fmt, rate)
            if refused is not None:
                return refused
            return view(request, fmt, Caller(key), **kwargs)

        return wrapped

    return decorate


def _client_key(presented: str) -> ApiKey | None:
    """The usable client-application key `presented` is; supplier systems' keys are for the
    supplier API, not this one."""
    key = api_key_authenticate(presented)
    if key is None or key.kind != ApiKey.Kind.OPEN311_CLIENT:
        return None
    return key


def _invalid_key_message() -> str:
    return _("Invalid api_key received: give the key issued to your client application.")


def _address_limit(request: HttpRequest) -> ratelimit.RateLimitResult:
    address = get_client_ip_address(request) or "unknown"
    return ratelimit.hit(
        f"open311-address:{address}", limit=settings.OPEN311_ANONYMOUS_RATE_PER_MINUTE, per=60
    )


def _limited(fmt: str, rate: ratelimit.RateLimitResult) -> HttpResponse | None:
    if rate.allowed:
        return None
    message = _("Too many requests: try again in %(seconds)s seconds.") % {
        "seconds": rate.retry_after_s
    }
    return errors(
        fmt, [(429, message)], status=429, headers={"Retry-After": str(rate.retry_after_s)}
    )
