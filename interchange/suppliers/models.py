"""Suppliers, their contracts, versioned SLA policies, and which services they provide where."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from interchange.catalogue.models import Area, Service
from interchange.core.models import BusinessCalendar
from interchange.core.priorities import Priority


class Supplier(models.Model):
    class Tower(models.TextChoices):
        END_USER = "end_user", _("End-user computing")
        NETWORK = "network", _("Network and telephony")
        HOSTING = "hosting", _("Hosting and cloud")
        APPLICATIONS = "applications", _("Applications")
        SERVICE_DESK = "service_desk", _("Service desk")
        HIGHWAYS = "highways", _("Highways and street lighting")
        WASTE = "waste", _("Waste and street cleansing")
        ENVIRONMENT = "environment", _("Environmental services")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    public_name = models.CharField(
        _("name shown to residents"), max_length=200, help_text=_("For example, Streetwise Roads.")
    )
    company_number = models.CharField(_("company number"), max_length=20, blank=True)
    tower = models.CharField(_("tower"), max_length=20, choices=Tower.choices)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SupplierContact(models.Model):
    class Role(models.TextChoices):
        SERVICE_MANAGER = "service_manager", _("Service manager")
        ESCALATION = "escalation", _("Escalation")
        COMMERCIAL = "commercial", _("Commercial")
        TECHNICAL = "technical", _("Technical")

    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("supplier")
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    receives_notifications = models.BooleanField(_("receives assignment emails"), default=False)

    class Meta:
        verbose_name = _("supplier contact")
        verbose_name_plural = _("supplier contacts")
        ordering = ["supplier", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.supplier})"


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        NOTICE_GIVEN = "notice_given", _("Notice given")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("supplier")
    )
    reference = models.CharField(_("reference"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    notice_period_days = models.PositiveIntegerField(_("notice period (days)"), default=90)
    break_dates = models.JSONField(
        _("break dates"), default=list, blank=True, help_text=_("Dates either side may end early.")
    )
    annual_value = models.DecimalField(_("annual value (£)"), max_digits=14, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["supplier", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="suppliers_contract_dates_in_order",
                violation_error_message=_("The end must be on or after the start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.title}"

    def clean(self) -> None:
        """Break dates are ISO dates (YYYY-MM-DD) inside the contract's term, kept sorted."""
        if not isinstance(self.break_dates, list):
            raise ValidationError(
                {"break_dates": _('Give the break dates as a list, like ["2027-03-31"].')}
            )
        days = []
        for value in self.break_dates:
            try:
                days.append(date.fromisoformat(value))
            except (TypeError, ValueError):
                message = _("%(value)s is not a date like 2027-03-31.")
                raise ValidationError(
                    {"break_dates": ValidationError(message, params={"value": value})}
                ) from None
        if self.start_date and self.end_date:
            for day in days:
                if not self.start_date <= day <= self.end_date:
                    message = _(
                        "The break date %(day)s is outside the contract, which runs "
                        "from %(start)s to %(end)s."
                    )
                    params = {"day": day, "start": self.start_date, "end": self.end_date}
                    raise ValidationError({"break_dates": ValidationError(message, params=params)})
        self.break_dates = [day.isoformat() for day in sorted(set(days))]


class SlaPolicy(models.Model):
    """A contract's service levels; its targets live in versions effective from a moment."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="sla_policies", verbose_name=_("contract")
    )
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["contract", "name"]

    def __str__(self) -> str:
        return self.name


class SlaPolicyVersion(models.Model):
    """The targets in force from `effective_from` until the next version; never edited once
    in force, so tickets that started under it keep their clocks."""

    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="versions", verbose_name=_("policy")
    )
    number = models.PositiveIntegerField(_("version"))
    effective_from = models.DateTimeField(_("in force from"))
    notes = models.TextField(_("what changed and why"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("SLA policy version")
        verbose_name_plural = _("SLA policy versions")
        ordering = ["policy", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="suppliers_version_number"),
            models.UniqueConstraint(
                fields=["policy", "effective_from"], name="suppliers_version_effective"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"


class SlaTarget(models.Model):
    version = models.ForeignKey(
        SlaPolicyVersion,
        on_delete=models.CASCADE,
        related_name="targets",
        verbose_name=_("version"),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    response = models.DurationField(_("respond within"))
    resolution = models.DurationField(_("resolve within"))
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="+", verbose_name=_("calendar")
    )

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        ordering = ["version", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "priority"], name="suppliers_target_version_priority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} {Priority(self.priority).code}"


class ServiceProvision(models.Model):
    """A contract delivers a service (in some areas, or all) from one date until another.

    `valid_to` is exclusive and empty means open-ended; dates are the council's local
    dates. For one service, provisions that overlap in time must cover disjoint areas,
    and an all-areas provision overlaps no other, so routing is never ambiguous.
    """

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="provisions", verbose_name=_("contract")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="provisions", verbose_name=_("service")
    )
    areas = models.ManyToManyField(
        Area,
        related_name="provisions",
        blank=True,
        verbose_name=_("areas"),
        help_text=_("Leave empty for every area."),
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        on_delete=models.PROTECT,
        related_name="provisions",
        verbose_name=_("SLA policy"),
        help_text=_("The contract's policy this service is measured under."),
    )
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until (not included)"), null=True, blank=True)

    class Meta:
        verbose_name = _("service provision")
        verbose_name_plural = _("service provisions")
        ordering = ["service", "valid_from"]
        indexes = [
            models.Index(fields=["service", "valid_from"], name="suppliers_provision_service"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="suppliers_provision_dates_in_order",
                violation_error_message=_("The end must be after the start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} by {self.contract.supplier}"
