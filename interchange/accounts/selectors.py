"""Who may manage which people and API keys: the one scope the services and the admin share.

Integrator leads and administrators manage every key; a supplier's administrator manages only
their own supplier's system keys. Administrators manage people; a supplier's administrator
only their own supplier's people; integrator leads may look. Superusers may do anything, and
only they see or change other superusers. Nobody else manages either.
"""

from __future__ import annotations

from django.db.models import QuerySet

from interchange.accounts.models import SUPPLIER_ROLES, ApiKey, Role, User

KEY_MANAGER_ROLES = frozenset({Role.INTEGRATOR_LEAD, Role.ADMINISTRATOR})
PEOPLE_VIEWER_ROLES = frozenset({Role.INTEGRATOR_LEAD, Role.ADMINISTRATOR, Role.SUPPLIER_ADMIN})
PEOPLE_MANAGER_ROLES = frozenset({Role.ADMINISTRATOR, Role.SUPPLIER_ADMIN})


def _person(actor: object) -> User | None:
    """The active person behind `actor`; None for anyone signed out, deactivated or not a person."""
    return actor if isinstance(actor, User) and actor.is_active else None


def _own_supplier_id(person: User) -> int | None:
    """The supplier whose people and keys a supplier's administrator manages; else None."""
    return person.supplier_id if person.role == Role.SUPPLIER_ADMIN else None


def _is_supplier_admin(person: User) -> bool:
    return _own_supplier_id(person) is not None


def may_manage_api_keys(actor: object, *, supplier_id: int | None) -> bool:
    """Whether `actor` may create, rotate and revoke keys of `supplier_id` (None: client apps)."""
    person = _person(actor)
    if person is None:
        return False
    if person.is_superuser or person.role in KEY_MANAGER_ROLES:
        return True
    return _is_supplier_admin(person) and supplier_id == person.supplier_id


def manages_any_api_keys(actor: object) -> bool:
    """Whether `actor` manages some keys at all (so the admin offers them the list)."""
    person = _person(actor)
    return person is not None and (
        person.is_superuser or person.role in KEY_MANAGER_ROLES or _is_supplier_admin(person)
    )


def api_keys_manageable_by(
    actor: object, queryset: QuerySet[ApiKey] | None = None
) -> QuerySet[ApiKey]:
    """The keys (of `queryset`, else all) that `actor` may see and manage."""
    keys = ApiKey.objects.all() if queryset is None else queryset
    person = _person(actor)
    if person is None:
        return keys.none()
    if person.is_superuser or person.role in KEY_MANAGER_ROLES:
        return keys
    if (own := _own_supplier_id(person)) is not None:
        return keys.filter(supplier_id=own)
    return keys.none()


def people_visible_to(actor: object, queryset: QuerySet[User] | None = None) -> QuerySet[User]:
    """The people (of `queryset`, else all) whose records `actor` may see in the admin."""
    people = User.objects.all() if queryset is None else queryset
    person = _person(actor)
    if person is None:
        return people.none()
    if person.is_superuser:
        return people
    if (own := _own_supplier_id(person)) is not None:
        return people.filter(supplier_id=own, is_superuser=False)
    if person.role in PEOPLE_VIEWER_ROLES:
        # A superuser's record is theirs alone: a password reset here would hand over everything.
        return people.filter(is_superuser=False)
    return people.none()


def may_view_people(actor: object) -> bool:
    person = _person(actor)
    return person is not None and (person.is_superuser or person.role in PEOPLE_VIEWER_ROLES)


def may_change_people(actor: object) -> bool:
    """Whether `actor` may add and change the people `people_visible_to` gives them."""
    person = _person(actor)
    return person is not None and (person.is_superuser or person.role in PEOPLE_MANAGER_ROLES)


def roles_assignable_by(actor: object) -> list[Role]:
    """The roles `actor` may give someone: a supplier's administrator, only supplier roles."""
    person = _person(actor)
    if person is None or not may_change_people(person):
        return []
    if person.is_superuser or person.role == Role.ADMINISTRATOR:
        return list(Role)
    return [role for role in Role if role in SUPPLIER_ROLES]
