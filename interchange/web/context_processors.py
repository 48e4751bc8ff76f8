"""Template context every page shares: the council's and the service's names and settings."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from interchange.web.navigation import primary_navigation, ticket_search_url

_PHASES = {"alpha": _("Alpha"), "beta": _("Beta"), "live": _("Live")}


def service(request: HttpRequest) -> dict[str, object]:
    return {
        "service": {
            "name": settings.SERVICE_NAME,
            "staff_name": settings.STAFF_SERVICE_NAME,
            "council_name": settings.COUNCIL_NAME,
            "phase_label": _PHASES.get(settings.SERVICE_PHASE, settings.SERVICE_PHASE),
            "feedback_url": settings.FEEDBACK_URL,
            "map_tile_url": settings.MAP_TILE_URL,
            "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
        # Built only when a staff page renders its navigation.
        "primary_navigation": SimpleLazyObject(lambda: primary_navigation(request)),
        "ticket_search_url": SimpleLazyObject(lambda: ticket_search_url(request) or ""),
    }
