"""Signed-in sessions end after a spell without use, and after a fixed time whatever."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext

# Unix times in the session: when this person signed in, and when they last used it.
SESSION_STARTED = "interchange.session_started"
SESSION_SEEN = "interchange.session_seen"
# Writing the session on every request costs a query; the idle clock needs no finer grain.
SEEN_PRECISION_S = 60


def start_session_clock(request: HttpRequest, *, now: int | None = None) -> None:
    """Start the idle and absolute clocks of a session that has just signed in."""
    now = int(time.time()) if now is None else now
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


class SessionTimeoutMiddleware:
    """Signs a person out when their session has been idle or alive too long.

    The clocks start on the response that signs someone in, by any route (our sign-in page,
    the admin's), so they never carry over from an anonymous session: sign-in flushes or
    renews the session, and sign-out flushes it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request, int(time.time()))
        response = self.get_response(request)
        if request.user.is_authenticated and SESSION_STARTED not in request.session:
            start_session_clock(request)
        return response

    def _check(self, request: HttpRequest, now: int) -> None:
        started = request.session.get(SESSION_STARTED)
        seen = request.session.get(SESSION_SEEN)
        if not isinstance(started, int) or not isinstance(seen, int):
            start_session_clock(request, now=now)
            return
        idle = now - seen > settings.SESSION_IDLE_TIMEOUT_S
        too_old = now - started > settings.SESSION_ABSOLUTE_TIMEOUT_S
        if idle or too_old:
            logout(request)
            messages.info(request, _idle_message() if idle else _expired_message())
        elif now - seen >= SEEN_PRECISION_S:
            request.session[SESSION_SEEN] = now


def _idle_message() -> str:
    minutes = max(1, settings.SESSION_IDLE_TIMEOUT_S // 60)
    return ngettext(
        "You were signed out because you had not used the service for %(minutes)d minute. "
        "Sign in again to continue.",
        "You were signed out because you had not used the service for %(minutes)d minutes. "
        "Sign in again to continue.",
        minutes,
    ) % {"minutes": minutes}


def _expired_message() -> str:
    hours = max(1, settings.SESSION_ABSOLUTE_TIMEOUT_S // 3600)
    return ngettext(
        "For your security, you are signed out %(hours)d hour after you sign in. "
        "Sign in again to continue.",
        "For your security, you are signed out %(hours)d hours after you sign in. "
        "Sign in again to continue.",
        hours,
    ) % {"hours": hours}
