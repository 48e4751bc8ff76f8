"""The workspace's queues: which queues a person may open, what each holds (always within
`servicedesk.visibility`), their filters, server-side sort, keyset pages and capped counts.

"Breaching soon" means a running SLA clock (response or resolution) whose deadline falls
within the next WORKSPACE_BREACHING_SOON_HOURS of wall-clock time (4 by default) and has
not passed yet; a running clock past its deadline, or one marked breached, is "breached".
The breach warning at SLA_WARNING_SHARE of the target is an email and a timeline event;
the queue is about what needs doing in the next few hours, so it reads the deadline, which
the partial index on running clocks' deadlines serves.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import (
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from interchange.accounts.models import INTEGRATOR_ROLES, SUPPLIER_ROLES, Role, User
from interchange.servicedesk.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    ClockKind,
    ClockState,
    Ticket,
    TicketClock,
)
from interchange.servicedesk.visibility import visible_to
from interchange.suppliers.models import Supplier

# Who may open queues at all: everyone whose visibility scope holds tickets for staff work.
QUEUE_ROLES = INTEGRATOR_ROLES | SUPPLIER_ROLES | {Role.SERVICE_OWNER, Role.COMMISSIONER}
# Who may change tickets from a queue (bulk actions); the domain functions still decide each.
ACTING_ROLES = INTEGRATOR_ROLES | SUPPLIER_ROLES
# Who sees the integrator desk's queue and every supplier's.
ALL_QUEUE_ROLES = INTEGRATOR_ROLES | {Role.COMMISSIONER}

PAGE_SIZES = (25, 50, 100)
COUNT_CAP = 1000
OPEN = sorted(OPEN_STATUSES)


def breaching_soon_window() -> timedelta:
    """WORKSPACE_BREACHING_SOON_HOURS as a duration (wall-clock time)."""
    return timedelta(hours=float(getattr(settings, "WORKSPACE_BREACHING_SOON_HOURS", 4)))


class SlaState:
    """The SLA states a queue filters by and shows as a badge."""

    ON_TRACK = "on_track"
    BREACHING_SOON = "breaching_soon"
    BREACHED = "breached"
    PAUSED = "paused"
    ENDED = "ended"

    CHOICES: tuple[tuple[str, Promise], ...] = (
        (ON_TRACK, _("On track")),
        (BREACHING_SOON, _("Breaching soon")),
        (BREACHED, _("Breached")),
        (PAUSED, _("Paused")),
        (ENDED, _("Met or stopped")),
    )
    COLOURS = {
        ON_TRACK: "green",
        BREACHING_SOON: "orange",
        BREACHED: "red",
        PAUSED: "grey",
        ENDED: "",
    }


# --- Queues ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    """One queue: its key in URLs, its title, default sort and who may open it."""

    key: str
    title: str | Promise
    description: str | Promise
    default_sort: str
    default_descending: bool
    roles: frozenset[str]


MINE = Queue(
    "mine",
    _("My work"),
    _("Open tickets assigned to you."),
    "deadline",
    False,
    frozenset(ACTING_ROLES),
)
DESK = Queue(
    "desk",
    _("Integrator desk"),
    _("Open tickets held by the integrator's desk, not by a supplier."),
    "created",
    True,
    frozenset(ALL_QUEUE_ROLES),
)
SUPPLIER = Queue(
    "supplier",
    _("Supplier queue"),
    _("Open tickets the supplier holds."),
    "deadline",
    False,
    frozenset(QUEUE_ROLES),
)
BREACHING_SOON = Queue(
    "breaching-soon",
    _("Breaching soon"),
    _("Open tickets with an SLA clock running out within %(hours)s hours."),
    "deadline",
    False,
    frozenset(QUEUE_ROLES),
)
BREACHED = Queue(
    "breached",
    _("Breached"),
    _("Open tickets that have missed an SLA target."),
    "deadline",
    False,
    frozenset(QUEUE_ROLES),
)
WAITING = Queue(
    "waiting",
    _("Waiting"),
    _("Tickets waiting on the resident or a third party (their clocks are paused)."),
    "updated",
    False,
    frozenset(QUEUE_ROLES),
)
MAJOR = Queue(
    "major-incidents",
    _("Major incidents"),
    _("Open tickets marked as major incidents."),
    "created",
    True,
    frozenset(QUEUE_ROLES),
)
QUEUES: dict[str, Queue] = {
    q.key: q for q in (MINE, DESK, SUPPLIER, BREACHING_SOON, BREACHED, WAITING, MAJOR)
}
# Queues with a plain URL (the supplier queue takes the supplier's code).
PLAIN_QUEUES = (MINE, DESK, BREACHING_SOON, BREACHED, WAITING, MAJOR)


def may_use_queues(user: User) -> bool:
    return user.is_active and user.role in QUEUE_ROLES


def may_act(user: User) -> bool:
    """Whether the person may change tickets from a queue (bulk actions)."""
    return user.is_active and user.role in ACTING_ROLES


def may_open(user: User, queue: Queue) -> bool:
    return may_use_queues(user) and user.role in queue.roles


def own_supplier(user: User) -> int | None:
    """The supplier a supplier person works for, else None."""
    return user.supplier_id if user.role in SUPPLIER_ROLES else None


def queue_url(queue: Queue, supplier_code: str | None = None) -> str:
    if queue is SUPPLIER:
        return reverse("workspace:supplier-queue", args=[supplier_code])
    return reverse("workspace:queue", args=[queue.key])


def queue_title(queue: Queue, supplier: Supplier | None) -> str:
    if queue is SUPPLIER and supplier is not None:
        return str(_("%(supplier)s queue") % {"supplier": supplier.public_name})
    if queue is BREACHING_SOON:
        return str(queue.title)
    return str(queue.title)


@dataclass(frozen=True)
class NavItem:
    text: str | Promise
    href: str
    active: bool


def queue_navigation(user: User, current: str | None = None) -> list[NavItem]:
    """The workspace sub-navigation: the queues `user` may open, then saved views."""
    if not may_use_queues(user):
        return []
    items: list[NavItem] = []
    for queue in PLAIN_QUEUES:
        if not may_open(user, queue):
            continue
        if queue is DESK:
            items.append(NavItem(queue.title, queue_url(queue), current == queue.key))
            items.append(
                NavItem(_("Suppliers"), reverse("workspace:suppliers"), current == "suppliers")
            )
            continue
        items.append(NavItem(queue.title, queue_url(queue), current == queue.key))
        if queue is MINE and own_supplier(user) is not None:
            # A supplier's people: their own supplier's queue, right after their own work.
            supplier = user.supplier
            assert supplier is not None  # a supplier role always has one (database check)
            items.append(
                NavItem(
                    _("%(supplier)s queue") % {"supplier": supplier.public_name},
                    queue_url(SUPPLIER, supplier.code),
                    current == SUPPLIER.key,
                )
            )
    items.append(NavItem(_("Saved views"), reverse("workspace:saved-views"), current == "saved"))
    return items


# --- What a queue holds --------------------------------------------------------------------


def base_tickets(user: User, queue: Queue, *, supplier: Supplier | None = None) -> QuerySet[Ticket]:
    """The tickets of `queue` that `user` may see, before filters (`with_row_data` adds what
    each row shows; counts leave it out)."""
    tickets = visible_to(user)
    now = timezone.now()
    own = own_supplier(user)
    if own is not None and queue is not SUPPLIER:
        # A supplier's people work their own supplier's tickets in every queue.
        tickets = tickets.filter(holder_supplier_id=own)
    if queue is MINE:
        tickets = tickets.filter(assignee=user, status__in=OPEN)
    elif queue is DESK:
        tickets = tickets.filter(holder_supplier__isnull=True, status__in=OPEN)
    elif queue is SUPPLIER:
        assert supplier is not None
        tickets = tickets.filter(holder_supplier=supplier, status__in=OPEN)
    elif queue is BREACHING_SOON:
        tickets = tickets.filter(_breaching_soon(now), status__in=OPEN)
    elif queue is BREACHED:
        tickets = tickets.filter(_breached(now), status__in=OPEN)
    elif queue is WAITING:
        tickets = tickets.filter(status__in=sorted(WAITING_STATUSES))
    elif queue is MAJOR:
        tickets = tickets.filter(major_incident=True, status__in=OPEN)
    return tickets


def with_row_data(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Everything a queue row shows, in the same query: the service, holder, assignee, area
    and both end-to-end clocks (each a join on the clocks' unique (ticket, clock) index)."""
    return (
        tickets.select_related("service", "holder_supplier", "assignee", "area")
        .annotate(
            resolution_clock=FilteredRelation(
                "clocks", condition=Q(clocks__clock=ClockKind.RESOLUTION)
            ),
            response_clock=FilteredRelation(
                "clocks", condition=Q(clocks__clock=ClockKind.RESPONSE)
            ),
        )
        .annotate(
            deadline=F("resolution_clock__deadline"),
            resolution_state=F("resolution_clock__state"),
            resolution_breached=F("resolution_clock__breached"),
            response_deadline=F("response_clock__deadline"),
            response_state=F("response_clock__state"),
            response_breached=F("response_clock__breached"),
        )
    )


def _clocks(**conditions: Any) -> QuerySet[TicketClock]:
    return TicketClock.objects.filter(ticket=OuterRef("pk"), **conditions)


def _breaching_soon(now: datetime) -> Exists:
    return Exists(
        _clocks(
            state=ClockState.RUNNING,
            breached=False,
            deadline__gt=now,
            deadline__lte=now + breaching_soon_window(),
        )
    )


def _breached(now: datetime) -> Q:
    return Q(Exists(_clocks(breached=True))) | Q(
        Exists(_clocks(state=ClockState.RUNNING, deadline__lte=now))
    )


def sla_state_q(state: str, now: datetime) -> Q:
    """Tickets in an SLA state (by either clock; "breached" wins over the others)."""
    if state == SlaState.BREACHED:
        return _breached(now)
    if state == SlaState.BREACHING_SOON:
        return Q(_breaching_soon(now)) & ~_breached(now)
    if state == SlaState.PAUSED:
        return Q(Exists(_clocks(state=ClockState.PAUSED))) & ~_breached(now)
    if state == SlaState.ON_TRACK:
        return (
            Q(Exists(_clocks(state=ClockState.RUNNING, deadline__gt=now + breaching_soon_window())))
            & ~_breached(now)
            & ~Q(_breaching_soon(now))
        )
    # Ended: no clock running or paused (met, or stopped by a cancellation), none breached.
    return ~Q(Exists(_clocks(state__in=[ClockState.RUNNING, ClockState.PAUSED]))) & ~_breached(now)


def row_sla_state(ticket: Any, now: datetime) -> str:
    """The SLA state of a row annotated by `with_row_data` (no query)."""
    states = [ticket.response_state, ticket.resolution_state]
    deadlines = [ticket.response_deadline, ticket.deadline]
    breached = ticket.response_breached or ticket.resolution_breached
    running = [d for s, d in zip(states, deadlines, strict=True) if s == ClockState.RUNNING and d]
    if breached or any(d <= now for d in running):
        return SlaState.BREACHED
    if any(d <= now + breaching_soon_window() for d in running):
        return SlaState.BREACHING_SOON
    if running or ClockState.RUNNING in states:
        return SlaState.ON_TRACK
    if ClockState.PAUSED in states:
        return SlaState.PAUSED
    return SlaState.ENDED


# --- Filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a person narrowed a queue to; empty means everything in the queue."""

    types: Sequence[str] = ()
    statuses: Sequence[str] = ()
    priorities: Sequence[int] = ()
    channels: Sequence[str] = ()
    service_id: int | None = None
    supplier_id: int | None = None
    area_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None
    sla: str = ""

    def apply(self, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.types:
            tickets = tickets.filter(type__in=self.types)
        if self.statuses:
            tickets = tickets.filter(status__in=self.statuses)
        if self.priorities:
            tickets = tickets.filter(priority__in=self.priorities)
        if self.channels:
            tickets = tickets.filter(channel__in=self.channels)
        if self.service_id is not None:
            tickets = tickets.filter(service_id=self.service_id)
        if self.supplier_id is not None:
            tickets = tickets.filter(holder_supplier_id=self.supplier_id)
        if self.area_id is not None:
            tickets = tickets.filter(area_id=self.area_id)
        if self.created_from is not None:
            tickets = tickets.filter(created_at__gte=_day_start(self.created_from))
        if self.created_to is not None:
            tickets = tickets.filter(created_at__lt=_day_start(self.created_to + timedelta(1)))
        if self.updated_from is not None:
            tickets = tickets.filter(updated_at__gte=_day_start(self.updated_from))
        if self.updated_to is not None:
            tickets = tickets.filter(updated_at__lt=_day_start(self.updated_to + timedelta(1)))
        if self.sla:
            tickets = tickets.filter(sla_state_q(self.sla, timezone.now()))
        return tickets


def _day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the council's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


# --- Sort and keyset pages ------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    key: str
    field: str
    label: str | Promise
    nullable: bool = False


SORT_KEYS: dict[str, SortKey] = {
    k.key: k
    for k in (
        SortKey("created", "created_at", _("Created")),
        SortKey("updated", "updated_at", _("Updated")),
        SortKey("priority", "priority", _("Priority")),
        SortKey("deadline", "deadline", _("Deadline"), nullable=True),
    )
}


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @property
    def spec(self) -> SortKey:
        return SORT_KEYS[self.key]

    def order_by(self, *, reverse: bool = False) -> list[Any]:
        """ORDER BY with the id as a tiebreak in the same direction; empty deadlines last."""
        descending = self.descending != reverse
        spec = self.spec
        value = F(spec.field)
        if spec.nullable:
            # Empty deadlines last going forward, so first when reading backwards.
            nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
            term = value.desc(**nulls) if descending else value.asc(**nulls)
        else:
            term = value.desc() if descending else value.asc()
        return [term, F("id").desc() if descending else F("id").asc()]


def read_sort(params: dict[str, str], queue: Queue) -> Sort:
    key = params.get("sort", "")
    if key not in SORT_KEYS:
        return Sort(queue.default_sort, queue.default_descending)
    order = params.get("order", "")
    if order not in {"asc", "desc"}:
        descending = queue.default_descending if key == queue.default_sort else False
    else:
        descending = order == "desc"
    return Sort(key, descending)


class BadCursor(ValueError):
    """A page link that does not decode (edited by hand, or from another sort)."""


def encode_cursor(sort: Sort, ticket: Ticket) -> str:
    value = getattr(ticket, sort.spec.field)
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort.key, value, ticket.pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key, value, pk = json.loads(raw)
    except (ValueError, binascii.Error, TypeError) as error:
        raise BadCursor(cursor) from error
    if key != sort.key or not isinstance(pk, int):
        raise BadCursor(cursor)
    spec = sort.spec
    try:
        if value is not None and spec.field != "priority":
            value = datetime.fromisoformat(value)
        elif value is not None and not isinstance(value, int):
            raise BadCursor(cursor)
    except (TypeError, ValueError) as error:
        raise BadCursor(cursor) from error
    if value is None and not spec.nullable:
        raise BadCursor(cursor)
    return value, pk


def _beyond(sort: Sort, value: Any, pk: int, *, reverse: bool) -> Q:
    """Rows after (value, pk) in the sort order (or before it, when `reverse`)."""
    descending = sort.descending != reverse
    field = sort.spec.field
    further = "lt" if descending else "gt"
    if not sort.spec.nullable:
        return Q(**{f"{field}__{further}": value}) | Q(**{field: value, f"id__{further}": pk})
    # Empty deadlines sort last going forward (first going back).
    if value is None:
        if reverse:
            return Q(**{f"{field}__isnull": False}) | Q(
                **{f"{field}__isnull": True, f"id__{further}": pk}
            )
        return Q(**{f"{field}__isnull": True, f"id__{further}": pk})
    after = Q(**{f"{field}__{further}": value}) | Q(**{field: value, f"id__{further}": pk})
    return after if reverse else after | Q(**{f"{field}__isnull": True})


@dataclass
class Page:
    tickets: list[Ticket]
    next_cursor: str | None
    previous_cursor: str | None
    size: int


def keyset_page(
    tickets: QuerySet[Ticket],
    sort: Sort,
    *,
    size: int,
    after: str | None = None,
    before: str | None = None,
) -> Page:
    """One page of `tickets` in `sort` order, after or before a cursor: one query however deep
    the page, and pages never overlap or skip a row (ties broken by id)."""
    tickets = with_row_data(tickets)
    if before:
        value, pk = decode_cursor(sort, before)
        rows = list(
            tickets.filter(_beyond(sort, value, pk, reverse=True)).order_by(
                *sort.order_by(reverse=True)
            )[: size + 1]
        )
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows,
            encode_cursor(sort, rows[-1]) if rows else None,
            encode_cursor(sort, rows[0]) if rows and more_before else None,
            size,
        )
    if after:
        value, pk = decode_cursor(sort, after)
        tickets = tickets.filter(_beyond(sort, value, pk, reverse=False))
    rows = list(tickets.order_by(*sort.order_by())[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        encode_cursor(sort, rows[-1]) if more else None,
        encode_cursor(sort, rows[0]) if after and rows else None,
        size,
    )


@dataclass(frozen=True)
class Count:
    """A count that stops at COUNT_CAP: "1,000+" beyond it."""

    value: int
    capped: bool

    def __str__(self) -> str:
        shown = f"{min(self.value, COUNT_CAP):,}"
        return f"{shown}+" if self.capped else shown


def capped_count(tickets: QuerySet[Ticket]) -> Count:
    """How many, counting no further than COUNT_CAP + 1 rows (one LIMIT-ed query)."""
    counted = tickets.order_by().values("pk")[: COUNT_CAP + 1].count()
    return Count(counted, counted > COUNT_CAP)


def page_query(params: dict[str, Any], **changes: str | None) -> str:
    """`params` with `changes` applied (None removes a key), as a query string."""
    merged: dict[str, Any] = {k: v for k, v in params.items() if v not in (None, "", [])}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return urlencode(merged, doseq=True)


@dataclass
class QueueResult:
    """A queue page ready to show."""

    queue: Queue
    supplier: Supplier | None
    sort: Sort
    page: Page
    count: Count
    params: dict[str, Any] = field(default_factory=dict)
