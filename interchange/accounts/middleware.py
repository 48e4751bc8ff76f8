"""Signed-in sessions end after a spell without use, and after a fixed time whatever."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

_STARTED = "interchange.session_started"
_SEEN = "interchange.session_seen"


class SessionTimeoutMiddleware:
    """Signs a person out when their session has been idle or alive too long."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(_STARTED, now)
            seen = request.session.get(_SEEN, now)
            idle = now - seen > settings.SESSION_IDLE_TIMEOUT_S
            too_old = now - started > settings.SESSION_ABSOLUTE_TIMEOUT_S
            if idle or too_old:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after a period without use. Sign in again to continue.")
                    if idle
                    else _("Your session has ended. Sign in again to continue."),
                )
            # Writing the session on every request costs a query; once a minute is plenty.
            elif now - seen >= 60 or _SEEN not in request.session:
                request.session[_SEEN] = now
        return self.get_response(request)
