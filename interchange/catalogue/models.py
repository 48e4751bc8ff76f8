"""The service catalogue: services, their questions and targets, the desk's OLA, and areas."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from interchange.core.models import BusinessCalendar
from interchange.core.priorities import Priority


class ServiceGroup(models.Model):
    """A heading residents and staff browse services by (Roads, Waste, Devices…)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service group")
        verbose_name_plural = _("service groups")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    class Kind(models.TextChoices):
        ICT = "ict", _("Internal ICT")
        RESIDENT = "resident", _("Resident-facing")

    class Open311Type(models.TextChoices):
        REALTIME = "realtime", _("Realtime")
        BATCH = "batch", _("Batch")
        BLACKBOX = "blackbox", _("Black box")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    groups = models.ManyToManyField(
        ServiceGroup, related_name="services", blank=True, verbose_name=_("groups")
    )
    keywords = models.JSONField(
        _("keywords"), default=list, blank=True, help_text=_("Words people search for it by.")
    )
    owner_team = models.CharField(_("owning team"), max_length=200, blank=True)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="owned_services",
        blank=True,
        verbose_name=_("service owners"),
    )
    active = models.BooleanField(_("active"), default=True)
    open311_exposed = models.BooleanField(_("offered through Open311"), default=False)
    open311_type = models.CharField(
        _("Open311 type"), max_length=10, choices=Open311Type.choices, default=Open311Type.REALTIME
    )
    notice = models.TextField(
        _("service notice"),
        blank=True,
        help_text=_("Shown to people before they report, for example a known outage."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        indexes = [
            models.Index(
                fields=["kind", "name"],
                condition=Q(active=True),
                name="catalogue_service_active_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """A service-specific question, as Open311's service definition attributes."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Short text")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Long text")
        SINGLE_CHOICE = "singlevaluelist", _("Single choice")
        MULTIPLE_CHOICE = "multivaluelist", _("Multiple choice")

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="questions", verbose_name=_("service")
    )
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("question"), max_length=300)
    description = models.TextField(_("help text"), blank=True)
    datatype = models.CharField(_("answer type"), max_length=20, choices=Datatype.choices)
    datatype_description = models.CharField(_("answer format"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(
        _("asks for an answer"),
        default=True,
        help_text=_("Untick for information shown to the person, with no answer asked."),
    )
    missing_message = models.CharField(
        _("message when not answered"),
        max_length=300,
        blank=True,
        help_text=_(
            "For example “Enter how deep the pothole is”. Leave empty for a message built "
            "from the question."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["service", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="catalogue_question_code"),
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.required and not self.variable:
            raise ValidationError(
                {"required": _("Information shown to people cannot require an answer.")},
                code="required_information",
            )

    @property
    def has_choices(self) -> bool:
        return self.datatype in {self.Datatype.SINGLE_CHOICE, self.Datatype.MULTIPLE_CHOICE}


class QuestionChoice(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question")
    )
    key = models.CharField(_("key"), max_length=100)
    name = models.CharField(_("name"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("answer choice")
        verbose_name_plural = _("answer choices")
        ordering = ["question", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["question", "key"], name="catalogue_choice_key"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceTarget(models.Model):
    """The council's end-to-end promise for a service at one priority."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="targets", verbose_name=_("service")
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    response = models.DurationField(_("respond within"))
    resolution = models.DurationField(_("resolve within"))
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="+", verbose_name=_("calendar")
    )

    class Meta:
        verbose_name = _("end-to-end target")
        verbose_name_plural = _("end-to-end targets")
        ordering = ["service", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "priority"], name="catalogue_target_service_priority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} {Priority(self.priority).code}"


class DeskTarget(models.Model):
    """The integrator desk's OLA at one priority: how long the desk may hold a ticket."""

    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, unique=True
    )
    response = models.DurationField(_("respond within"))
    resolution = models.DurationField(_("hand on or resolve within"))
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="+", verbose_name=_("calendar")
    )

    class Meta:
        verbose_name = _("integrator desk OLA target")
        verbose_name_plural = _("integrator desk OLA targets")
        ordering = ["priority"]

    def __str__(self) -> str:
        return Priority(self.priority).code


class Area(models.Model):
    """A ward (or other area) with its GeoJSON boundary; tickets are placed by point-in-polygon."""

    class Kind(models.TextChoices):
        WARD = "ward", _("Ward")

    code = models.CharField(_("code"), max_length=20, unique=True, help_text=_("e.g. E05001234"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.WARD)
    boundary = models.JSONField(_("boundary"), help_text=_("A GeoJSON Polygon or MultiPolygon."))
    # The boundary's bounding box, so a look-up tests few polygons.
    min_lon = models.FloatField(editable=False)
    min_lat = models.FloatField(editable=False)
    max_lon = models.FloatField(editable=False)
    max_lat = models.FloatField(editable=False)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["name"]
        indexes = [
            models.Index(
                fields=["min_lon", "max_lon", "min_lat", "max_lat"], name="catalogue_area_bbox"
            ),
        ]

    def __str__(self) -> str:
        return self.name
