"""Template filters for sign-in pages: how long a lockout lasts, and until when."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def whole_minutes(duration: timedelta | None) -> int:
    """A duration rounded up to whole minutes, at least one."""
    if duration is None:
        return 0
    return max(1, math.ceil(duration.total_seconds() / 60))


@register.filter
def from_now(duration: timedelta | None) -> datetime | None:
    """The moment `duration` from now, for "try again after 14:35"."""
    return None if duration is None else timezone.now() + duration
