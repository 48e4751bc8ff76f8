"""The staff layout's primary navigation: one list, marked active by URL prefix."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    text: str | Promise
    href: str
    active: bool


def primary_navigation(request: HttpRequest) -> list[NavItem]:
    """Items the signed-in person may use; later apps add their own sections here."""
    entries: list[tuple[str | Promise, str, bool]] = [
        (_("Home"), reverse("web:staff-home"), True),
        (_("Business calendars"), reverse("web:calendar-list"), True),
        (_("Administration"), reverse("admin:index"), request.user.is_staff),
        (_("Your account"), reverse("web:accounts:account"), True),
    ]
    path = request.path
    items = []
    for text, href, allowed in entries:
        if not allowed:
            continue
        active = path == href if href == reverse("web:staff-home") else path.startswith(href)
        items.append(NavItem(text, href, active))
    return items
