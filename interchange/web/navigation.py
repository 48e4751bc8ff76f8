"""The staff layout's primary navigation: one list, marked active by URL prefix."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import INTEGRATOR_ROLES, SUPPLIER_ROLES, Role

# Who works tickets in the workspace (its queues and search); the workspace checks again.
_WORKSPACE_ROLES = INTEGRATOR_ROLES | SUPPLIER_ROLES | {Role.SERVICE_OWNER, Role.COMMISSIONER}
_QUEUES_PREFIX = "/staff/queues/"


@dataclass(frozen=True)
class NavItem:
    text: str | Promise
    href: str
    active: bool


def primary_navigation(request: HttpRequest) -> list[NavItem]:
    """Items the signed-in person may use; later apps add their own sections here."""
    works_tickets = _works_tickets(request)
    entries: list[tuple[str | Promise, str, bool]] = [
        (_("Home"), reverse("web:staff-home"), True),
        (_("Queues"), _first_queue(request) if works_tickets else "", works_tickets),
        (_("Search"), reverse("workspace:search"), works_tickets),
        (
            _("Supplier systems"),
            reverse("exchange:index"),
            getattr(request.user, "role", None) in INTEGRATOR_ROLES | {Role.SUPPLIER_ADMIN},
        ),
        (_("Business calendars"), reverse("web:calendar-list"), True),
        (_("Administration"), reverse("admin:index"), request.user.is_staff),
        (_("Your account"), reverse("web:accounts:account"), True),
    ]
    path = request.path
    items = []
    for text, href, allowed in entries:
        if not allowed:
            continue
        if href == reverse("web:staff-home"):
            active = path == href
        elif href.startswith(_QUEUES_PREFIX):
            # Every queue, and the saved views of queues, are one section.
            active = path.startswith((_QUEUES_PREFIX, reverse("workspace:saved-views")))
        else:
            active = path.startswith(href)
        items.append(NavItem(text, href, active))
    return items


def _works_tickets(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and getattr(user, "role", None) in _WORKSPACE_ROLES)


def _first_queue(request: HttpRequest) -> str:
    """The queue a person starts from: the desk, their supplier's queue, or breaching soon."""
    user = request.user
    role = getattr(user, "role", None)
    if role in INTEGRATOR_ROLES or role == Role.COMMISSIONER:
        return reverse("workspace:queue", args=["desk"])
    supplier = getattr(user, "supplier", None)
    if role in SUPPLIER_ROLES and supplier is not None:
        return reverse("workspace:supplier-queue", args=[supplier.code])
    return reverse("workspace:queue", args=["breaching-soon"])


def ticket_search_url(request: HttpRequest) -> str | None:
    """Where the search box on every staff page searches, for people who work tickets."""
    return reverse("workspace:search") if _works_tickets(request) else None
