"""What the staff home shows a person, by role: the integrator's desk, their supplier's queue,
or the services they own, each with capped counts of the queues they work from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count as CountOf
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import INTEGRATOR_ROLES, SUPPLIER_ROLES, Role, User
from interchange.catalogue.models import Service
from interchange.servicedesk.models import OPEN_STATUSES
from interchange.servicedesk.visibility import visible_to
from interchange.workspace import queues
from interchange.workspace.queues import Count, Queue, capped_count


@dataclass(frozen=True)
class Tile:
    title: str | Promise
    count: Count
    href: str


def _tile(user: User, queue: Queue, title: str | Promise | None = None, **kw: Any) -> Tile:
    supplier = kw.get("supplier")
    return Tile(
        title or queue.title,
        capped_count(queues.base_tickets(user, queue, supplier=supplier)),
        queues.queue_url(queue, supplier.code if supplier else None),
    )


def home_panel(user: User) -> dict[str, Any]:
    """The home page's workspace part for `user` (empty for roles that do not work tickets)."""
    if not queues.may_use_queues(user):
        return {"kind": None}
    if user.role in INTEGRATOR_ROLES or user.role == Role.COMMISSIONER:
        tiles = [_tile(user, queues.DESK, _("Open at the desk"))]
        if queues.may_open(user, queues.MINE):
            tiles.append(_tile(user, queues.MINE))
        tiles += [
            _tile(user, queues.BREACHING_SOON),
            _tile(user, queues.BREACHED),
            _tile(user, queues.MAJOR),
        ]
        return {
            "kind": "desk",
            "heading": _("The integrator's desk"),
            "tiles": tiles,
            # Logging a call for someone is the desk's own work (see ticket_log.desk_only).
            "can_log": user.is_integrator,
        }
    if user.role in SUPPLIER_ROLES:
        supplier = user.supplier
        assert supplier is not None
        tiles = [
            _tile(
                user,
                queues.SUPPLIER,
                _("Open, held by %(supplier)s") % {"supplier": supplier.public_name},
                supplier=supplier,
            ),
            _tile(user, queues.MINE),
            _tile(user, queues.BREACHING_SOON),
            _tile(user, queues.BREACHED),
            _tile(user, queues.WAITING),
        ]
        return {
            "kind": "supplier",
            "heading": _("%(supplier)s queue") % {"supplier": supplier.public_name},
            "tiles": tiles,
        }
    return {"kind": "services", "heading": _("Your services"), "services": _services(user)}


def _services(user: User) -> list[dict[str, Any]]:
    """The services `user` owns, each with its open and breached tickets (two queries)."""
    owned = list(Service.objects.filter(owners=user).order_by("name"))
    open_counts = dict(
        visible_to(user)
        .filter(status__in=sorted(OPEN_STATUSES))
        .order_by()
        .values_list("service")
        .annotate(n=CountOf("id", filter=Q()))
        .values_list("service", "n")
    )
    rows = []
    for service in owned:
        query = urlencode({"service": service.pk})
        rows.append(
            {
                "service": service,
                "open": open_counts.get(service.pk, 0),
                "breached_href": f"{queues.queue_url(queues.BREACHED)}?{query}",
                "soon_href": f"{queues.queue_url(queues.BREACHING_SOON)}?{query}",
            }
        )
    return rows
