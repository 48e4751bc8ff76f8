"""Priority from impact and urgency: the table every ticket, target and SLA shares."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """Impact or urgency."""

    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 – critical")
    P2 = 2, _("P2 – high")
    P3 = 3, _("P3 – moderate")
    P4 = 4, _("P4 – low")

    @property
    def code(self) -> str:
        return f"P{self.value}"


_TABLE: dict[tuple[str, str], Priority] = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.LOW, Level.HIGH): Priority.P3,
}


def priority_for(impact: str, urgency: str) -> Priority:
    """high+high → P1; high+medium or medium+high → P2; high+low, medium+medium or
    low+high → P3; the rest → P4."""
    impact, urgency = Level(impact), Level(urgency)
    return _TABLE.get((impact, urgency), Priority.P4)
