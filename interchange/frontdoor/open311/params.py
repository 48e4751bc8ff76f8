"""Reading Open311 query parameters: comma lists, ISO 8601 dates and their window, paging.

Every problem is collected under its parameter's name, so the error document lists them all
at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

# The specification's rules for GET requests: at most 90 days, at most 1,000 requests.
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
# The page/page_size extension, used only when a client sends either.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

# An unencoded "+" in a query string arrives as a space: "10:00:00 01:00" meant "+01:00".
_LOST_PLUS = re.compile(r"^(.*T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


class Invalid(Exception):
    """Bad parameters, with every message under its parameter's name."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass
class Problems:
    """Messages collected by parameter name while reading a request."""

    by_name: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_name.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self.by_name:
            raise Invalid(self.by_name)


@dataclass(frozen=True)
class Paging:
    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class Window:
    """An inclusive span of time the results were made (or changed) in."""

    start: datetime
    end: datetime


def comma_list(data: QueryDict, name: str) -> list[str]:
    """A parameter given comma-separated, repeated, or both, blanks dropped, order kept."""
    items: list[str] = []
    for raw in data.getlist(name):
        items.extend(part.strip() for part in raw.split(",") if part.strip())
    return list(dict.fromkeys(items))


def parse_datetime(raw: str) -> datetime | None:
    """An ISO 8601 date and time (or date); without an offset it is the council's local time.
    None when it is not one."""
    text = raw.strip()
    lost_plus = _LOST_PLUS.match(text)
    if lost_plus:
        text = f"{lost_plus[1]}+{lost_plus[2]}"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def window(
    data: QueryDict, problems: Problems, *, default_span: timedelta, now: datetime
) -> Window:
    """`start_date` and `end_date`, at most 90 days apart. Without either, the last
    `default_span`; with one, 90 days from the start or `default_span` up to the end."""
    start = _datetime_param(data, "start_date", problems)
    end = _datetime_param(data, "end_date", problems)
    if start is not None and end is not None:
        if end < start:
            problems.add("end_date", _("end_date must not be before start_date."))
        elif end - start > MAX_SPAN:
            problems.add(
                "end_date",
                _("start_date and end_date may be at most %(days)s days apart.")
                % {"days": MAX_SPAN.days},
            )
    if start is None and end is None:
        return Window(now - default_span, now)
    if end is None:
        assert start is not None
        return Window(start, start + MAX_SPAN)
    return Window(start if start is not None else end - default_span, end)


def _datetime_param(data: QueryDict, name: str, problems: Problems) -> datetime | None:
    raw = data.get(name, "")
    if not raw.strip():
        return None
    value = parse_datetime(raw)
    if value is None:
        problems.add(
            name,
            _("%(name)s must be an ISO 8601 date and time, like 2026-03-02T09:00:00+00:00.")
            % {"name": name},
        )
    return value


def paging(data: QueryDict, problems: Problems) -> Paging | None:
    """The page/page_size extension when either is sent; None for the specification's own
    answer."""
    if "page" not in data and "page_size" not in data:
        return None
    page = _whole(data, "page", problems, default=1, low=1, high=None)
    size = _whole(data, "page_size", problems, default=DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    return Paging(page=page, size=size)


def _whole(
    data: QueryDict, name: str, problems: Problems, *, default: int, low: int, high: int | None
) -> int:
    raw = data.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        problems.add(name, _("%(name)s must be a whole number.") % {"name": name})
        return default
    value = int(raw)
    if value < low or (high is not None and value > high):
        if high is None:
            message = _("%(name)s must be at least %(low)s.") % {"name": name, "low": low}
        else:
            message = _("%(name)s must be from %(low)s to %(high)s.") % {
                "name": name,
                "low": low,
                "high": high,
            }
        problems.add(name, message)
        return default
    return value


def flag(data: QueryDict, name: str) -> bool:
    """A true/false parameter such as `extensions=true`."""
    return data.get(name, "").strip().lower() in {"true", "1", "yes"}
