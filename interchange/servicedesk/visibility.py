"""The one place that decides which tickets a caller may see and change, and whose personal
data they may read. Every page, API and export goes through `visible_to`."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from interchange.accounts.models import ApiKey, Role, User
from interchange.servicedesk.actors import Actor, Public, Resident, System
from interchange.servicedesk.models import Ticket, TicketHolding

# Roles that see and change every ticket, with the reporter's details.
_DESK_ROLES = frozenset({Role.INTEGRATOR_AGENT, Role.INTEGRATOR_LEAD, Role.ADMINISTRATOR})
_SUPPLIER_ROLES = frozenset({Role.SUPPLIER_AGENT, Role.SUPPLIER_ADMIN})


def _supplier_of(actor: Actor) -> int | None:
    """The supplier a supplier person or supplier system acts for, else None."""
    if isinstance(actor, User) and actor.role in _SUPPLIER_ROLES:
        return actor.supplier_id
    if isinstance(actor, ApiKey) and actor.kind == ApiKey.Kind.SUPPLIER_SYSTEM:
        return actor.supplier_id
    return None


def _held_before(supplier_id: int) -> Exists:
    return Exists(TicketHolding.objects.filter(ticket=OuterRef("pk"), supplier_id=supplier_id))


def visible_to(actor: Actor, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """The tickets `actor` may read.

    Integrator staff: all. A supplier's people and systems: what it holds now, plus what it
    held before (read-only, its own history). Service owners: their services' tickets.
    Commissioners: all, read-only, without personal data. Open311 client applications and
    the public: the tickets of services offered through Open311 (their public view).
    Everyone else: none.
    """
    tickets = Ticket.objects.all() if queryset is None else queryset
    if isinstance(actor, System):
        return tickets
    if isinstance(actor, Resident):
        return tickets.none()
    if isinstance(actor, Public):
        return tickets.filter(service__open311_exposed=True)
    if isinstance(actor, ApiKey):
        if not actor.is_usable(timezone.now()):
            return tickets.none()
        if actor.kind == ApiKey.Kind.OPEN311_CLIENT:
            return tickets.filter(service__open311_exposed=True)
    elif not (isinstance(actor, User) and actor.is_active):
        return tickets.none()
    elif actor.role in _DESK_ROLES or actor.role == Role.COMMISSIONER:
        return tickets
    elif actor.role == Role.SERVICE_OWNER:
        return tickets.filter(service__owners=actor)
    supplier_id = _supplier_of(actor)
    if supplier_id is None:
        return tickets.none()
    return tickets.filter(Q(holder_supplier_id=supplier_id) | _held_before(supplier_id))


def changeable_by(actor: Actor, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    """The tickets `actor` may change: integrator staff all, a supplier only what it holds now."""
    tickets = Ticket.objects.all() if queryset is None else queryset
    if isinstance(actor, System):
        return tickets
    if isinstance(actor, User) and actor.is_active and actor.role in _DESK_ROLES:
        return tickets
    if isinstance(actor, ApiKey) and not actor.is_usable(timezone.now()):
        return tickets.none()
    supplier_id = _supplier_of(actor)
    if supplier_id is None or (isinstance(actor, User) and not actor.is_active):
        return tickets.none()
    return tickets.filter(holder_supplier_id=supplier_id)


def can_change(actor: Actor, ticket: Ticket) -> bool:
    """Whether `actor` may change this ticket (no query: it reads the loaded row)."""
    if isinstance(actor, System):
        return True
    if isinstance(actor, User) and actor.is_active and actor.role in _DESK_ROLES:
        return True
    if isinstance(actor, ApiKey) and not actor.is_usable(timezone.now()):
        return False
    if isinstance(actor, User) and not actor.is_active:
        return False
    supplier_id = _supplier_of(actor)
    return supplier_id is not None and ticket.holder_supplier_id == supplier_id


def can_see_reporter(actor: Actor, ticket: Ticket) -> bool:
    """Whether `actor` may read the reporter's name and contact details on this ticket.

    Integrator staff always; a supplier only while it holds the ticket (it may need to reach
    the resident to do the work); nobody else.
    """
    if isinstance(actor, System):
        return True
    if isinstance(actor, User) and actor.is_active and actor.role in _DESK_ROLES:
        return True
    return _supplier_of(actor) is not None and can_change(actor, ticket)
