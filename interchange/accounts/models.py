"""People, their roles, and API keys for Open311 client applications and supplier systems."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from interchange.suppliers.models import Supplier


class Role(models.TextChoices):
    INTEGRATOR_AGENT = "integrator_agent", _("Integrator agent")
    INTEGRATOR_LEAD = "integrator_lead", _("Integrator lead")
    SUPPLIER_AGENT = "supplier_agent", _("Supplier agent")
    SUPPLIER_ADMIN = "supplier_admin", _("Supplier administrator")
    SERVICE_OWNER = "service_owner", _("Service owner")
    COMMISSIONER = "commissioner", _("Commissioner")
    GOVERNANCE_VIEWER = "governance_viewer", _("Governance viewer")
    ADMINISTRATOR = "administrator", _("Administrator")


SUPPLIER_ROLES = frozenset({Role.SUPPLIER_AGENT, Role.SUPPLIER_ADMIN})
INTEGRATOR_ROLES = frozenset({Role.INTEGRATOR_AGENT, Role.INTEGRATOR_LEAD, Role.ADMINISTRATOR})


def _require_role(fields: dict[str, Any]) -> None:
    if fields.get("role") not in Role.values:
        raise ValueError(f"A role is required, one of {', '.join(Role.values)}.")


class PersonManager(UserManager["User"]):
    """`create_user` insists on a role, so nobody exists who fits no part of the access rules."""

    # Migrations get a plain manager; they must not depend on this module.
    use_in_migrations = False

    def create_user(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> User:
        _require_role(extra_fields)
        return super().create_user(username, email, password, **extra_fields)

    def create_superuser(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> User:
        # `createsuperuser` asks for no role; whoever runs it is an administrator.
        extra_fields.setdefault("role", Role.ADMINISTRATOR)
        _require_role(extra_fields)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A member of council staff or of a supplier; residents never sign in."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("supplier"),
        help_text=_("Required for supplier roles, empty for council staff."),
    )

    objects: ClassVar[PersonManager] = PersonManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values),
                name="accounts_user_has_a_role",
                violation_error_message=_("Choose a role."),
            ),
            models.CheckConstraint(
                condition=(
                    Q(role__in=sorted(SUPPLIER_ROLES), supplier__isnull=False)
                    | (~Q(role__in=sorted(SUPPLIER_ROLES)) & Q(supplier__isnull=True))
                ),
                name="accounts_user_supplier_matches_role",
                violation_error_message=_(
                    "Supplier people belong to one supplier; council staff to none."
                ),
            ),
        ]

    @property
    def is_supplier_person(self) -> bool:
        return self.role in SUPPLIER_ROLES

    @property
    def is_integrator(self) -> bool:
        return self.role in INTEGRATOR_ROLES


class ApiKey(models.Model):
    """A secret for a client application or a supplier's system, shown once, stored as SHA-256.

    The key reads `ick_<prefix>_<secret>`; the prefix finds the row, the hash proves the secret.
    """

    class Kind(models.TextChoices):
        OPEN311_CLIENT = "open311_client", _("Open311 client application")
        SUPPLIER_SYSTEM = "supplier_system", _("Supplier system")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRING = "retiring", _("Replaced, works until it expires")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Revoked")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    client_name = models.CharField(
        _("client application"), max_length=200, blank=True, help_text=_("e.g. FixMyStreet")
    )
    supplier = models.ForeignKey(
        Supplier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_keys",
        verbose_name=_("supplier"),
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    rate_limit_per_minute = models.PositiveIntegerField(_("requests a minute"), default=600)
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="supplier_system", supplier__isnull=False)
                    | Q(kind="open311_client", supplier__isnull=True)
                ),
                name="accounts_apikey_scope",
                violation_error_message=_(
                    "A supplier system's key belongs to one supplier; "
                    "a client application's to none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def is_usable(self, at: datetime) -> bool:
        """Whether the key opens the API at `at`: neither revoked nor expired by then, and
        for a supplier system, its supplier still active."""
        revoked = self.revoked_at is not None and self.revoked_at <= at
        expired = self.expires_at is not None and self.expires_at <= at
        retired_supplier = self.supplier is not None and not self.supplier.active
        return not (revoked or expired or retired_supplier)

    def status(self, at: datetime) -> ApiKey.Status:
        """Revoked, expired, retiring (rotated, in its grace period) or active."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return ApiKey.Status.REVOKED
        if self.expires_at is not None and self.expires_at <= at:
            return ApiKey.Status.EXPIRED
        if hasattr(self, "replaced_by"):
            return ApiKey.Status.RETIRING
        return ApiKey.Status.ACTIVE
