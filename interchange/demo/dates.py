"""The demo's fixed points in time, all derived from one anchor so a reload on the same day
gives the same data: the history's two years, the policy revision and the transition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

HISTORY_DAYS = 730


def _months_before(day: date, months: int) -> date:
    """The first of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def local_midnight(day: date) -> datetime:
    """The start of `day` in the council's time zone, as an aware UTC datetime."""
    zone = ZoneInfo(settings.TIME_ZONE)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class DemoDates:
    """`anchor` is the end of the history (the start of the anchor day, local time)."""

    anchor_day: date

    @classmethod
    def today(cls) -> DemoDates:
        return cls(datetime.now(ZoneInfo(settings.TIME_ZONE)).date())

    @property
    def anchor(self) -> datetime:
        return local_midnight(self.anchor_day)

    @property
    def first_day(self) -> date:
        return self.anchor_day - timedelta(days=HISTORY_DAYS)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def setup_at(self) -> datetime:
        """When the council set up its catalogue, wards and people: before the history."""
        return local_midnight(self.first_day - timedelta(days=60))

    @property
    def transition_on(self) -> date:
        """The outgoing supplier's last day is the day before this (about nine months ago)."""
        return _months_before(self.anchor_day, 9)

    @property
    def revision_from(self) -> datetime:
        """When the revised waste SLA (version 2) took effect: about a year ago."""
        return local_midnight(_months_before(self.anchor_day, 12))

    @property
    def storm_day(self) -> date:
        """The first day of the winter storm: the second Monday of the last January that
        lies wholly inside the history."""
        year = self.anchor_day.year if self.anchor_day.month > 1 else self.anchor_day.year - 1
        first = date(year, 1, 8)
        return first + timedelta(days=(7 - first.weekday()) % 7)
