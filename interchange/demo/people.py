"""The demo's people (one or more for every role, and people at every supplier) and its two
API keys: FixMyStreet's Open311 client key and Kerbline's works management system key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from interchange.accounts.models import ApiKey, Role, User
from interchange.accounts.services import KEY_LABEL, api_key_create, parse_key
from interchange.catalogue.models import Service
from interchange.core.audit import record_change, snapshot
from interchange.demo.catalogue import OWNERS
from interchange.demo.suppliers import SUPPLIERS
from interchange.suppliers.models import Supplier

# Demo only: printed by `make demo`, refused outside DEBUG by the command.
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105

FIXMYSTREET = "FixMyStreet"
SUPPLIER_SYSTEM_OF = "kerbline"
SUPPLIER_SYSTEM = "Kerbline works management system"


@dataclass(frozen=True)
class PersonSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    supplier: str = ""
    is_staff: bool = False


COUNCIL: tuple[PersonSpec, ...] = (
    PersonSpec("desk.agent", "Priya", "Shah", Role.INTEGRATOR_AGENT),
    PersonSpec("desk.agent2", "Tom", "Okafor", Role.INTEGRATOR_AGENT),
    PersonSpec("desk.agent3", "Megan", "Lloyd", Role.INTEGRATOR_AGENT),
    PersonSpec("desk.lead", "Daniel", "Hughes", Role.INTEGRATOR_LEAD, is_staff=True),
    PersonSpec("owner.streets", "Fiona", "Grant", Role.SERVICE_OWNER),
    PersonSpec("owner.ict", "Ravi", "Patel", Role.SERVICE_OWNER),
    PersonSpec("commissioner", "Helen", "Morris", Role.COMMISSIONER),
    PersonSpec("governance", "James", "Bennett", Role.GOVERNANCE_VIEWER),
)
# One agent at every supplier (invented names); administrators at three of them.
_AGENT_NAMES = {
    "stonebridge": ("Gary", "Lund"),
    "brightdesk": ("Leah", "Marsh"),
    "quayline": ("Dev", "Anand"),
    "cloudharbour": ("Holly", "Strand"),
    "ledgerline": ("Simon", "Ault"),
    "carepath": ("Ruth", "Kemble"),
    "lantern": ("Ollie", "Penrose"),
    "kerbline": ("Sam", "Carter"),
    "rivermead": ("Jo", "Tarrant"),
    "lumen": ("Ivan", "Petrov"),
    "greenbank": ("Kelly", "Dunn"),
    "oakfield": ("Aled", "Rhys"),
}
_ADMIN_NAMES = {
    "kerbline": ("Ali", "Brennan"),
    "greenbank": ("Maxine", "Ford"),
    "brightdesk": ("Colin", "Vance"),
}
SUPPLIER_PEOPLE: tuple[PersonSpec, ...] = tuple(
    PersonSpec(f"{spec.code}.agent", *_AGENT_NAMES[spec.code], Role.SUPPLIER_AGENT, spec.code)
    for spec in SUPPLIERS
) + tuple(
    PersonSpec(f"{code}.admin", *names, Role.SUPPLIER_ADMIN, code, is_staff=True)
    for code, names in _ADMIN_NAMES.items()
)
PEOPLE = COUNCIL + SUPPLIER_PEOPLE


# Outside development a key's secret exists only when issued; it cannot be printed again.
NOT_SHOWN = "(shown once when issued; rotate the key for a new one)"


@dataclass(frozen=True)
class Login:
    """A line `make demo` prints: a person's role, username and password, or an API key's
    kind, name and secret."""

    role: str
    username: str
    password: str


@transaction.atomic
def load(*, at: datetime) -> list[Login]:
    """Create the administrator, the people and the keys (once; the administrator's password
    is set again each time). Returns every login and key to print."""
    # Argon2 is slow by design: hash the shared demo password once for everyone.
    hashed = make_password(DEMO_PASSWORD)
    admin, _created = User.objects.get_or_create(
        username="admin",
        defaults={
            "first_name": "Ada",
            "last_name": "Admin",
            "email": "admin@example.org",
            "role": Role.ADMINISTRATOR,
        },
    )
    admin.is_staff = admin.is_superuser = True
    admin.password = hashed
    admin.save()
    logins = [Login(Role.ADMINISTRATOR.value, "admin", DEMO_PASSWORD)]
    suppliers = {s.code: s for s in Supplier.objects.all()}
    existing = set(User.objects.values_list("username", flat=True))
    for spec in PEOPLE:
        if spec.username not in existing:
            person = User.objects.create_user(
                spec.username,
                email=f"{spec.username}@{spec.supplier or 'harbourside'}.example",
                role=spec.role,
                supplier=suppliers[spec.supplier] if spec.supplier else None,
                first_name=spec.first_name,
                last_name=spec.last_name,
                is_staff=spec.is_staff,
                date_joined=at,
            )
            person.password = hashed
            person.save(update_fields=["password"])
            record_change(person, actor=None, before=None, after=_person_record(person), at=at)
        logins.append(Login(Role(spec.role).value, spec.username, DEMO_PASSWORD))
    for username, codes in OWNERS.items():
        owner = User.objects.get(username=username)
        owner.owned_services.add(*Service.objects.filter(code__in=codes))
    logins += _keys(admin, suppliers[SUPPLIER_SYSTEM_OF], at=at)
    return logins


def _person_record(person: User) -> dict[str, object]:
    data = snapshot(person)
    data.pop("password", None)
    return data


def _keys(admin: User, supplier: Supplier, *, at: datetime) -> list[Login]:
    wanted = (
        (FIXMYSTREET, ApiKey.Kind.OPEN311_CLIENT, None),
        (SUPPLIER_SYSTEM, ApiKey.Kind.SUPPLIER_SYSTEM, supplier),
    )
    logins = []
    for name, kind, owner in wanted:
        key = ApiKey.objects.filter(name=name, kind=kind, revoked_at__isnull=True).first()
        plaintext = None
        if key is None:
            key, plaintext = api_key_create(
                actor=admin,
                name=name,
                kind=kind,
                supplier=owner,
                client_name=FIXMYSTREET if owner is None else "",
                at=at,
            )
        if settings.DEBUG:
            plaintext = _reproducible(admin, key, at=at)
        logins.append(Login(f"{kind.value} key", name, plaintext or NOT_SHOWN))
    return logins


def demo_key(name: str, kind: str = ApiKey.Kind.SUPPLIER_SYSTEM) -> tuple[str, str]:
    """A demo key's prefix and secret, derived from its name: the same on every laptop, so
    the README can quote it; the Open311 key is OPEN311_DEMO_API_KEY when that is set. Only
    ever used under DEBUG."""
    chosen = settings.OPEN311_DEMO_API_KEY
    if chosen and kind == ApiKey.Kind.OPEN311_CLIENT:
        parsed = parse_key(chosen)
        if parsed is None:
            raise ImproperlyConfigured(
                "OPEN311_DEMO_API_KEY must look like ick_<10 to 16 hex digits>_<secret of 16 "
                "or more letters, digits, - or _>, for example ick_0123456789_my-demo-secret-1."
            )
        return parsed
    digest = hashlib.sha256(f"interchange-demo-key:{name}".encode()).hexdigest()
    return digest[:10], f"demo_{digest[10:42]}"


def _reproducible(admin: User, key: ApiKey, *, at: datetime) -> str:
    """Give the key its reproducible secret (recorded as a change), and return the key."""
    prefix, secret = demo_key(key.name, key.kind)
    secret_hash = hashlib.sha256(secret.encode()).hexdigest()
    if key.prefix != prefix or key.secret_hash != secret_hash:
        before = snapshot(key)
        key.prefix, key.secret_hash = prefix, secret_hash
        key.save(update_fields=["prefix", "secret_hash"])
        after = snapshot(key)
        before.pop("secret_hash"), after.pop("secret_hash")
        record_change(
            key,
            actor=admin,
            before=before,
            after=after,
            reason="Demo key given its published demo secret",
            at=at,
        )
    return f"{KEY_LABEL}_{prefix}_{secret}"
