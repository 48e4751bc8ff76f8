"""The demo council: each app's demo loader, called in dependency order, and the logins."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from interchange.accounts.models import Role
from interchange.core import demo as core_demo

# Demo only: printed by `make demo`, refused outside DEBUG by the command.
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str


@transaction.atomic
def load() -> list[Login]:
    """Create or refresh the demo data; running it twice changes nothing."""
    core_demo.load()
    user_model = get_user_model()
    admin, _created = user_model.objects.get_or_create(
        username="admin",
        defaults={
            "first_name": "Ada",
            "last_name": "Admin",
            "email": "admin@example.org",
            "role": Role.ADMINISTRATOR,
        },
    )
    admin.is_staff = True
    admin.is_superuser = True
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    return [Login("administrator", admin.get_username(), DEMO_PASSWORD)]
