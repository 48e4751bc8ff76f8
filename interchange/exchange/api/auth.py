"""Who is calling the supplier API: a supplier system's API key, in the Authorization header
only (`Authorization: Bearer ick_…`), within the key's own rate limit.

A key anywhere in the query string is refused, even beside a good header: URLs end up in logs,
browser histories and proxies. Open311 client applications' keys open the Open311 API, not
this one. The outcome is kept on the request, so the idempotency wrapper (which runs first)
and ninja's own authentication step count one request once against the rate limit.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from interchange.accounts.models import ApiKey
from interchange.accounts.services import api_key_authenticate, api_key_check_rate, parse_key
from interchange.exchange.api.problems import ApiProblem

REALM = "interchange"
# Query parameters that clients commonly put keys in; each is refused whatever its value.
KEY_PARAMETERS = frozenset({"api_key", "apikey", "key", "access_token", "token"})
_OUTCOME = "_exchange_api_outcome"


def _unauthorised(detail: str, error: str | None = None) -> ApiProblem:
    challenge = f'Bearer realm="{REALM}"' + (f', error="{error}"' if error else "")
    return ApiProblem(
        401,
        "unauthorised",
        _("Unauthorised"),
        detail,
        headers={"WWW-Authenticate": challenge},
    )


def _key_in_query(request: HttpRequest) -> bool:
    for name, values in request.GET.lists():
        if name.lower() in KEY_PARAMETERS:
            return True
        if any(parse_key(value) is not None for value in values):
            return True
    return False


def _resolve(request: HttpRequest) -> ApiKey:
    if _key_in_query(request):
        raise ApiProblem(
            400,
            "key-in-query",
            _("API key in the address"),
            _(
                "Send the API key in the Authorization header (Authorization: Bearer <key>), "
                "never in the address. Treat a key that was sent in an address as exposed, "
                "and rotate it."
            ),
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}", error="invalid_request"'},
        )
    header = request.headers.get("Authorization", "")
    scheme, _space, presented = header.strip().partition(" ")
    if not header:
        raise _unauthorised(
            _("Send your supplier system's API key as Authorization: Bearer <key>.")
        )
    if scheme.lower() != "bearer" or not presented.strip():
        raise _unauthorised(
            _("Send your supplier system's API key as Authorization: Bearer <key>."),
            "invalid_request",
        )
    key = api_key_authenticate(presented.strip())
    if key is None or key.kind != ApiKey.Kind.SUPPLIER_SYSTEM:
        raise _unauthorised(
            _(
                "This key is not a supplier system's key in use: it is unknown, revoked or "
                "expired, or it belongs to an Open311 client application."
            ),
            "invalid_token",
        )
    rate = api_key_check_rate(key)
    if not rate.allowed:
        raise ApiProblem(
            429,
            "rate-limited",
            _("Too many requests"),
            _("This key has made %(limit)s requests this minute. Try again in %(seconds)s s.")
            % {"limit": rate.limit, "seconds": rate.retry_after_s},
            headers={"Retry-After": str(rate.retry_after_s)},
        )
    return key


def authenticate_request(request: HttpRequest) -> ApiKey:
    """The supplier system's key behind `request`, or an ApiProblem (400, 401 or 429).
    Decided once per request."""
    outcome: ApiKey | ApiProblem | None = getattr(request, _OUTCOME, None)
    if outcome is None:
        try:
            outcome = _resolve(request)
        except ApiProblem as problem:
            outcome = problem
        setattr(request, _OUTCOME, outcome)
    if isinstance(outcome, ApiProblem):
        raise outcome
    return outcome


class SupplierKey(HttpBearer):
    """The OpenAPI security scheme and ninja's authentication step (`request.auth`)."""

    def __call__(self, request: HttpRequest) -> Any:
        return authenticate_request(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return authenticate_request(request)
