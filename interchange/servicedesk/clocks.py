"""SLA clocks from a ticket's timeline: the end-to-end response and resolution clocks and each
holder's segments, by a pure fold over the events' state columns: `fold` for one ticket
(scalar business time), `fold_many` for many at once (numpy, by calendar), and `explain`.

The rules, in one place (DESIGN.md, "SLA clocks" and "Whose time it was"):

- Time counts while a ticket is new, assigned or in progress. Waiting on the resident or a
  third party pauses every clock; resolved, closed and cancelled count nothing, so a
  reopened ticket's clocks resume where they stopped.
- The end-to-end response clock runs from opening to the first acknowledgement of all (the
  event that sets the ticket's `acknowledged_at`: acknowledging, starting, resolving,
  marking a duplicate, or staff's first public reply). The resolution clock runs until the
  ticket is resolved; closing a resolved ticket keeps its result; cancelling, or closing as
  a duplicate, stops it.
- A holder segment is a run of events with one holder (a supplier, or the desk). Its
  response clock runs until that holder acknowledges; its resolution clock counts the
  segment's working time. A handover stops a supplier's clocks (stopped), but meets or
  breaches the desk's resolution target, which is "hand on or resolve within". A reopen is
  counted in the segment it happens in: always the holder that resolved, since nothing can
  be handed over while resolved.
- Targets: end to end, the service's for the priority; the desk's OLA; a supplier's SLA
  policy named on the handover event, in the version in force when the segment started. A
  revision therefore never changes a segment already started, and a supplier handed a
  ticket after a revision works under the terms in force when it was handed the ticket.
- Priority changes: each stretch of time counts in the calendar of the priority then in
  force (so elapsed never goes down), against the target of the priority in force when the
  clock stopped, or now while it runs or is paused.
- Without a target (none for the service and priority, a supplier without a provision) a
  clock counts wall-clock time and is never breached.
- A clock is running, paused, met or breached (stopped by its own event, within or over
  target), or stopped (ended otherwise). `breached` is elapsed > target in every state. The
  deadline, only while running, is when elapsed reaches the target (past, if breached).
- A warning (elapsed at least SLA_WARNING_SHARE of the target, while running) and a breach
  (elapsed over target, even if the clock has stopped since) are timeline events, once per
  clock; the fold reads those already raised from the timeline, so they are derived too.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
from django.conf import settings
from django.utils import timezone
from numpy.typing import NDArray

from interchange.catalogue.models import DeskTarget, ServiceTarget
from interchange.core.businesstime import BusinessTime, CalendarSpec, epoch_us
from interchange.core.models import BusinessCalendar
from interchange.servicedesk.models import ClockKind, ClockState, Status, Ticket, TicketEvent
from interchange.suppliers.models import SlaPolicyVersion, SlaTarget, Supplier

I64 = NDArray[np.int64]
I8 = NDArray[np.int8]
Bools = NDArray[np.bool_]

Kind = TicketEvent.Kind
ONE_US = timedelta(microseconds=1)
# Null in the bulk arrays' instant and duration columns.
NONE = int(np.iinfo(np.int64).min)
_FAR = int(np.iinfo(np.int64).max)
BASIS_POINTS = 10_000
DEFAULT_WARNING_SHARE = 0.75

# The bulk fold's small codes: a status or state is its position here.
STATUSES: tuple[Status, ...] = (
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.WAITING_RESIDENT,
    Status.WAITING_THIRD_PARTY,
    Status.RESOLVED,
    Status.CLOSED,
    Status.CANCELLED,
)
STATUS_CODE: dict[str, int] = {status.value: code for code, status in enumerate(STATUSES)}
COUNTING = frozenset({Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS})
WAITING = frozenset({Status.WAITING_RESIDENT, Status.WAITING_THIRD_PARTY})
ENDED = frozenset({Status.CLOSED, Status.CANCELLED})
_LAST_COUNTING = STATUS_CODE[Status.IN_PROGRESS]
_WAITING_CODES = (STATUS_CODE[Status.WAITING_RESIDENT], STATUS_CODE[Status.WAITING_THIRD_PARTY])
_RESOLVED = STATUS_CODE[Status.RESOLVED]
_CLOSED = STATUS_CODE[Status.CLOSED]
_CANCELLED = STATUS_CODE[Status.CANCELLED]

STATES: tuple[ClockState, ...] = (
    ClockState.RUNNING,
    ClockState.PAUSED,
    ClockState.MET,
    ClockState.BREACHED,
    ClockState.STOPPED,
)
STATE_CODE: dict[str, int] = {state.value: code for code, state in enumerate(STATES)}

# How a clock stands before its target decides between met and breached.
RUN, PAUSE, DONE, STOP = 0, 1, 2, 3
_STATE_OF_PHASE = {RUN: ClockState.RUNNING, PAUSE: ClockState.PAUSED, STOP: ClockState.STOPPED}

# Event kinds the fold tells apart; every other kind is 0.
KIND_REOPENED, KIND_WARNING, KIND_BREACH = 1, 2, 3
KIND_CODE: dict[str, int] = {
    Kind.REOPENED: KIND_REOPENED,
    Kind.SLA_WARNING: KIND_WARNING,
    Kind.SLA_BREACH: KIND_BREACH,
}
ALERT_KINDS = frozenset({Kind.SLA_WARNING, Kind.SLA_BREACH})
# The events that can hand a ticket to a holder; they name the policy it works under.
HOLDER_KINDS = frozenset({Kind.OPENED, Kind.ASSIGNED, Kind.ROUTED})


def _us(value: timedelta) -> int:
    return value // ONE_US


def warning_share() -> float:
    """SLA_WARNING_SHARE: the share of a target at which a running clock warns (0.75)."""
    return float(settings.SLA_WARNING_SHARE)


def warning_basis_points(share: float) -> int:
    """The warning share in basis points, so scalar and bulk folds do the same integer sum."""
    if not 0 <= share <= 1:
        raise ValueError(f"SLA_WARNING_SHARE must be between 0 and 1, not {share!r}.")
    return round(share * BASIS_POINTS)


# --- Which clock ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class ClockRef:
    """A clock of a ticket: an end-to-end one (segment None) or one of holder segment n's."""

    segment: int | None
    kind: ClockKind

    @property
    def key(self) -> int:
        """A small integer for the bulk arrays: segment * 2, plus one for resolution."""
        return (self.segment or 0) * 2 + (self.kind == ClockKind.RESOLUTION)

    @classmethod
    def from_key(cls, key: int) -> ClockRef:
        kind = ClockKind.RESOLUTION if key % 2 else ClockKind.RESPONSE
        return cls(key // 2 or None, kind)

    def payload(self) -> dict[str, Any]:
        """How an SLA event names its clock (and how the fold reads it back)."""
        return {
            "clock": self.kind.value,
            "scope": "end_to_end" if self.segment is None else "holder",
            "segment": self.segment,
        }

    @classmethod
    def from_payload(cls, new: dict[str, Any]) -> ClockRef | None:
        try:
            kind = ClockKind(str(new.get("clock")))
        except ValueError:
            return None
        segment = new.get("segment")
        return cls(segment if isinstance(segment, int) and segment > 0 else None, kind)


# --- Targets and calendars -----------------------------------------------------------------


@dataclass(frozen=True)
class CalendarRef:
    """The calendar a clock counts in; `id` None is wall-clock time (no target)."""

    id: int | None
    code: str
    name: str
    spec: CalendarSpec = field(repr=False)


WALL_CLOCK = CalendarRef(None, "", "", CalendarSpec(is_24x7=True))


@dataclass(frozen=True)
class Target:
    response: timedelta
    resolution: timedelta
    calendar: CalendarRef

    def of(self, kind: ClockKind) -> timedelta:
        return self.response if kind == ClockKind.RESPONSE else self.resolution


@dataclass(frozen=True)
class VersionRef:
    """An SLA policy version and its targets by priority."""

    id: int
    policy_id: int
    number: int
    effective_from: datetime
    targets: dict[int, Target] = field(compare=False, hash=False, repr=False)


class Rules:
    """Every target the clocks measure against and the calendars they count in, loaded once
    and shared by the scalar and the bulk fold."""

    def __init__(
        self,
        *,
        end_to_end: dict[tuple[int, int], Target],
        desk: dict[int, Target],
        versions: dict[int, list[VersionRef]],
    ) -> None:
        self.end_to_end = end_to_end
        self.desk = desk
        # Each policy's versions in order of taking effect.
        self.versions = {
            p: sorted(vs, key=lambda v: v.effective_from) for p, vs in versions.items()
        }
        self._effective = {p: [v.effective_from for v in vs] for p, vs in self.versions.items()}
        self._engines: dict[CalendarSpec, BusinessTime] = {}
        self._tables: _Tables | None = None

    @classmethod
    def load(cls) -> Rules:
        """All targets, versions and calendars (seven queries)."""
        calendars = {
            c.pk: CalendarRef(c.pk, c.code, c.name, c.spec())
            for c in BusinessCalendar.objects.with_rules()
        }

        def target(row: ServiceTarget | DeskTarget | SlaTarget) -> Target:
            return Target(row.response, row.resolution, calendars[row.calendar_id])

        end_to_end = {(t.service_id, t.priority): target(t) for t in ServiceTarget.objects.all()}
        desk = {t.priority: target(t) for t in DeskTarget.objects.all()}
        by_version: dict[int, dict[int, Target]] = {}
        for t in SlaTarget.objects.all():
            by_version.setdefault(t.version_id, {})[t.priority] = target(t)
        versions: dict[int, list[VersionRef]] = {}
        for v in SlaPolicyVersion.objects.all():
            ref = VersionRef(
                v.pk, v.policy_id, v.number, v.effective_from, by_version.get(v.pk, {})
            )
            versions.setdefault(v.policy_id, []).append(ref)
        return cls(end_to_end=end_to_end, desk=desk, versions=versions)

    def version_at(self, policy_id: int | None, at: datetime) -> VersionRef | None:
        """The version of the policy in force at `at`: the latest that took effect by then."""
        if policy_id is None or policy_id not in self.versions:
            return None
        index = bisect_right(self._effective[policy_id], at) - 1
        return self.versions[policy_id][index] if index >= 0 else None

    def engine(self, calendar: CalendarRef) -> BusinessTime:
        engine = self._engines.get(calendar.spec)
        if engine is None:
            engine = self._engines[calendar.spec] = BusinessTime(calendar.spec)
        return engine

    def tables(self) -> _Tables:
        if self._tables is None:
            self._tables = _Tables(self)
        return self._tables


# --- The timeline as the clocks read it ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One timeline event as the clocks read it: the ticket's state after it, and the few
    facts of the event itself that matter to them."""

    at: datetime
    kind: str
    status: str
    holder: int | None
    priority: int
    holder_acknowledged: bool
    # The first acknowledgement of all: this event set the ticket's acknowledged_at.
    acknowledges: bool = False
    # On a change of holder, the SLA policy the new holder works under.
    policy: int | None = None
    # On an SLA event, the clock it was raised for.
    alert: ClockRef | None = None
    reason: str = ""


STEP_FIELDS = (
    "at",
    "kind",
    "status",
    "holder_supplier_id",
    "priority",
    "holder_acknowledged",
    "new",
    "reason",
)


def step_of(event: TicketEvent) -> Step:
    new = event.new if isinstance(event.new, dict) else {}
    policy = new.get("sla_policy") if event.kind in HOLDER_KINDS else None
    return Step(
        at=event.at,
        kind=event.kind,
        status=event.status,
        holder=event.holder_supplier_id,
        priority=event.priority,
        holder_acknowledged=event.holder_acknowledged,
        acknowledges="acknowledged_at" in new,
        policy=policy if isinstance(policy, int) else None,
        alert=ClockRef.from_payload(new) if event.kind in ALERT_KINDS else None,
        reason=event.reason,
    )


def steps_of(ticket_id: int, *, at: datetime | None = None) -> list[Step]:
    """A ticket's timeline (up to `at`) as steps, in order; one query."""
    events = TicketEvent.objects.filter(ticket_id=ticket_id)
    if at is not None:
        events = events.filter(at__lte=at)
    return [step_of(e) for e in events.only(*STEP_FIELDS).order_by("sequence")]


# --- What the fold finds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One clock at the moment of the fold."""

    ref: ClockRef
    state: ClockState
    elapsed: timedelta
    paused: timedelta
    target: timedelta | None
    deadline: datetime | None
    breached: bool
    # The priority whose target applies, and the calendar that target counts in.
    priority: int
    calendar: CalendarRef
    warning_raised_at: datetime | None
    breach_raised_at: datetime | None
    # When a warning or breach not yet raised falls due (possibly in the past).
    warning_due_at: datetime | None
    breach_due_at: datetime | None

    @property
    def alert_due_at(self) -> datetime | None:
        due = [t for t in (self.warning_due_at, self.breach_due_at) if t is not None]
        return min(due) if due else None


@dataclass(frozen=True)
class Segment:
    """One holder's uninterrupted hold and how it did against its own targets."""

    number: int
    holder: int | None
    started_at: datetime
    ended_at: datetime | None
    policy: int | None
    version: VersionRef | None
    reopens: int
    response: Clock
    resolution: Clock
    holder_name: str = ""

    @property
    def business(self) -> timedelta:
        """Working time counted in the holder's calendar (its resolution clock's elapsed)."""
        return self.resolution.elapsed

    @property
    def paused(self) -> timedelta:
        return self.resolution.paused

    def wall(self, at: datetime) -> timedelta:
        """Wall-clock span, up to `at` while the segment is still open."""
        return (self.ended_at or at) - self.started_at


@dataclass(frozen=True)
class Pause:
    started_at: datetime
    ended_at: datetime | None
    status: str
    reason: str
    holder: int | None


class Alert(NamedTuple):
    ref: ClockRef
    kind: str  # Kind.SLA_WARNING or Kind.SLA_BREACH
    due_at: datetime
    clock: Clock


@dataclass(frozen=True)
class Fold:
    """All of a ticket's clocks as of `at`."""

    ticket_id: int
    at: datetime
    created_at: datetime
    # When the ticket was closed or cancelled; None while it may still change.
    ended_at: datetime | None
    response: Clock
    resolution: Clock
    segments: tuple[Segment, ...]
    pauses: tuple[Pause, ...]
    priority_changes: tuple[tuple[datetime, int], ...]

    def clocks(self) -> Iterator[Clock]:
        yield self.response
        yield self.resolution
        for segment in self.segments:
            yield segment.response
            yield segment.resolution

    def alerts_due(self, at: datetime) -> list[Alert]:
        """The warnings and breaches due by `at` and not yet raised; a clock due both gets
        only the breach, since a warning would come too late to help."""
        alerts = []
        for clock in self.clocks():
            if clock.breach_due_at is not None and clock.breach_due_at <= at:
                alerts.append(Alert(clock.ref, Kind.SLA_BREACH, clock.breach_due_at, clock))
            elif clock.warning_due_at is not None and clock.warning_due_at <= at:
                alerts.append(Alert(clock.ref, Kind.SLA_WARNING, clock.warning_due_at, clock))
        return alerts

    @property
    def life(self) -> timedelta:
        return (self.ended_at or self.at) - self.created_at


# --- The scalar fold -------------------------------------------------------------------------


class _Tally:
    """What one clock counted: its stretches with their working time, and paused time."""

    __slots__ = ("elapsed", "paused", "spans")

    def __init__(self) -> None:
        self.spans: list[tuple[datetime, int, BusinessTime]] = []
        self.elapsed = 0
        self.paused = 0

    def count(self, start: datetime, end: datetime, engine: BusinessTime) -> None:
        worked = _us(engine.between(start, end))
        self.spans.append((start, worked, engine))
        self.elapsed += worked

    def pause(self, start: datetime, end: datetime, engine: BusinessTime) -> None:
        self.paused += _us(engine.between(start, end))

    def crossing(self, threshold: int, running: bool) -> datetime | None:
        """The earliest instant elapsed reaches `threshold` (µs), the last stretch going on
        if the clock is running; None if it never does."""
        if not self.spans:
            return None
        if threshold <= 0:
            start, _worked, engine = self.spans[0]
            return engine.add(start, timedelta(0))
        before = 0
        for start, worked, engine in self.spans:
            if before + worked >= threshold:
                return engine.add(start, (threshold - before) * ONE_US)
            before += worked
        if not running:
            return None
        start, worked, engine = self.spans[-1]
        return engine.add(start, (threshold - before + worked) * ONE_US)


class _Holding:
    """A segment being folded."""

    def __init__(self, number: int, first: Step, rules: Rules) -> None:
        self.number = number
        self.first = first
        self.last = first
        self.version = rules.version_at(first.policy, first.at) if first.holder else None
        self.targets = (
            rules.desk if first.holder is None else (self.version.targets if self.version else {})
        )
        self.acknowledged: Step | None = None
        self.reopens = 0
        self.response = _Tally()
        self.resolution = _Tally()


def _open_phase(status: str) -> int:
    if status in COUNTING:
        return RUN
    return PAUSE if status in WAITING else STOP


def _resolution_phase(status: str, closed_after_resolving: bool) -> int:
    if status == Status.RESOLVED or (status == Status.CLOSED and closed_after_resolving):
        return DONE
    return _open_phase(status)


def _holding_phases(
    holding: _Holding, current: bool, last_status: str, resolution_phase: int
) -> tuple[int, int]:
    """How a segment's response and resolution clocks stand before their targets apply."""
    if holding.acknowledged is not None:
        response = DONE
    elif current:
        response = _open_phase(last_status)
    else:
        response = STOP
    if current:
        resolution = resolution_phase
    elif holding.first.holder is None:
        # The desk's OLA is "hand on or resolve within": handing on is what it measures.
        resolution = DONE
    else:
        resolution = STOP
    return response, resolution


def _clock(
    ref: ClockRef,
    tally: _Tally,
    target: Target | None,
    priority: int,
    phase: int,
    raised: tuple[datetime | None, datetime | None],
    share_bp: int,
) -> Clock:
    warning_raised_at, breach_raised_at = raised
    target_us = _us(target.of(ref.kind)) if target is not None else None
    breached = target_us is not None and tally.elapsed > target_us
    running = phase == RUN
    if phase == DONE:
        state = ClockState.BREACHED if breached else ClockState.MET
    else:
        state = _STATE_OF_PHASE[phase]
    deadline = warning_due = breach_due = None
    if target_us is not None:
        if running:
            deadline = tally.crossing(target_us, True)
        if breach_raised_at is None and (running or breached):
            breach_due = tally.crossing(target_us + 1, running)
        if running and warning_raised_at is None and breach_raised_at is None:
            warning_due = tally.crossing(target_us * share_bp // BASIS_POINTS, True)
    return Clock(
        ref=ref,
        state=state,
        elapsed=tally.elapsed * ONE_US,
        paused=tally.paused * ONE_US,
        target=None if target_us is None else target_us * ONE_US,
        deadline=deadline,
        breached=breached,
        priority=priority,
        calendar=target.calendar if target is not None else WALL_CLOCK,
        warning_raised_at=warning_raised_at,
        breach_raised_at=breach_raised_at,
        warning_due_at=warning_due,
        breach_due_at=breach_due,
    )


def fold(
    steps: Sequence[Step],
    *,
    ticket_id: int,
    service_id: int,
    rules: Rules,
    at: datetime,
    warning_share: float = DEFAULT_WARNING_SHARE,
) -> Fold:
    """Every clock of one ticket as of `at`, from its timeline (steps after `at` ignored)."""
    steps = [s for s in steps if s.at <= at]
    if not steps:
        raise ValueError(f"Ticket {ticket_id} has no timeline by {at.isoformat()}.")
    share_bp = warning_basis_points(warning_share)
    response, resolution = _Tally(), _Tally()
    acknowledged: Step | None = None
    holdings: list[_Holding] = []
    warnings: dict[ClockRef, datetime] = {}
    breaches: dict[ClockRef, datetime] = {}
    pauses: list[Pause] = []
    priority_changes: list[tuple[datetime, int]] = []
    last_not_closed: Step | None = None
    # Where the final run of closed or cancelled states began: when the ticket ended.
    ended_since: Step | None = None
    previous: Step | None = None
    for index, step in enumerate(steps):
        end = steps[index + 1].at if index + 1 < len(steps) else at
        if previous is None or step.holder != previous.holder:
            holdings.append(_Holding(len(holdings) + 1, step, rules))
        holding = holdings[-1]
        holding.last = step
        if step.acknowledges and acknowledged is None:
            acknowledged = step
        if step.holder_acknowledged and holding.acknowledged is None:
            holding.acknowledged = step
        if step.kind == Kind.REOPENED:
            holding.reopens += 1
        if step.alert is not None:
            seen = warnings if step.kind == Kind.SLA_WARNING else breaches
            seen.setdefault(step.alert, step.at)
        if step.status != Status.CLOSED:
            last_not_closed = step
        if step.status not in ENDED:
            ended_since = None
        elif ended_since is None:
            ended_since = step
        if previous is not None and step.priority != previous.priority:
            priority_changes.append((step.at, step.priority))
        if pauses and pauses[-1].ended_at is None and step.status != pauses[-1].status:
            pauses[-1] = replace(pauses[-1], ended_at=step.at)
        if step.status in WAITING and (previous is None or previous.status != step.status):
            pauses.append(Pause(step.at, None, step.status, step.reason, step.holder))
        previous = step

        if step.status not in COUNTING and step.status not in WAITING:
            continue
        e2e = rules.end_to_end.get((service_id, step.priority))
        own = holding.targets.get(step.priority)
        e2e_engine = rules.engine(e2e.calendar if e2e else WALL_CLOCK)
        own_engine = rules.engine(own.calendar if own else WALL_CLOCK)
        if step.status in COUNTING:
            resolution.count(step.at, end, e2e_engine)
            holding.resolution.count(step.at, end, own_engine)
            if acknowledged is None:
                response.count(step.at, end, e2e_engine)
            if holding.acknowledged is None:
                holding.response.count(step.at, end, own_engine)
        else:
            resolution.pause(step.at, end, e2e_engine)
            holding.resolution.pause(step.at, end, own_engine)
            if acknowledged is None:
                response.pause(step.at, end, e2e_engine)
            if holding.acknowledged is None:
                holding.response.pause(step.at, end, own_engine)

    last = steps[-1]
    ended_at = ended_since.at if ended_since is not None else None
    closed_after_resolving = (
        last_not_closed is not None and last_not_closed.status == Status.RESOLVED
    )
    resolution_phase = _resolution_phase(last.status, closed_after_resolving)

    def raised(ref: ClockRef) -> tuple[datetime | None, datetime | None]:
        return warnings.get(ref), breaches.get(ref)

    def end_to_end(priority: int) -> Target | None:
        return rules.end_to_end.get((service_id, priority))

    ref = ClockRef(None, ClockKind.RESPONSE)
    priority = acknowledged.priority if acknowledged else last.priority
    phase = DONE if acknowledged else _open_phase(last.status)
    e2e_response = _clock(
        ref, response, end_to_end(priority), priority, phase, raised(ref), share_bp
    )
    ref = ClockRef(None, ClockKind.RESOLUTION)
    e2e_resolution = _clock(
        ref,
        resolution,
        end_to_end(last.priority),
        last.priority,
        resolution_phase,
        raised(ref),
        share_bp,
    )
    segments = []
    for number, holding in enumerate(holdings, start=1):
        following = holdings[number] if number < len(holdings) else None
        response_phase, holding_phase = _holding_phases(
            holding, following is None, last.status, resolution_phase
        )
        ack = holding.acknowledged
        clocks = []
        for kind, tally, priority, phase in (
            (ClockKind.RESPONSE, holding.response, (ack or holding.last).priority, response_phase),
            (ClockKind.RESOLUTION, holding.resolution, holding.last.priority, holding_phase),
        ):
            ref = ClockRef(number, kind)
            target = holding.targets.get(priority)
            clocks.append(_clock(ref, tally, target, priority, phase, raised(ref), share_bp))
        segments.append(
            Segment(
                number=number,
                holder=holding.first.holder,
                started_at=holding.first.at,
                ended_at=following.first.at if following else ended_at,
                policy=holding.first.policy if holding.first.holder else None,
                version=holding.version,
                reopens=holding.reopens,
                response=clocks[0],
                resolution=clocks[1],
            )
        )
    return Fold(
        ticket_id=ticket_id,
        at=at,
        created_at=steps[0].at,
        ended_at=ended_at,
        response=e2e_response,
        resolution=e2e_resolution,
        segments=tuple(segments),
        pauses=tuple(pauses),
        priority_changes=tuple(priority_changes),
    )


def fold_ticket(
    ticket: Ticket, *, rules: Rules, at: datetime, warning_share: float = DEFAULT_WARNING_SHARE
) -> Fold:
    """`fold` over the ticket's timeline as stored (one query for the events)."""
    return fold(
        steps_of(ticket.pk, at=at),
        ticket_id=ticket.pk,
        service_id=ticket.service_id,
        rules=rules,
        at=at,
        warning_share=warning_share,
    )


# --- The bulk fold ---------------------------------------------------------------------------


class _Tables:
    """The rules as arrays: calendars by index, targets by (row, priority), versions by
    policy, for `fold_many`."""

    def __init__(self, rules: Rules) -> None:
        specs: dict[CalendarSpec, int] = {WALL_CLOCK.spec: 0}
        self.engines: list[BusinessTime] = [rules.engine(WALL_CLOCK)]

        def calendar_index(calendar: CalendarRef) -> int:
            if calendar.spec not in specs:
                specs[calendar.spec] = len(self.engines)
                self.engines.append(rules.engine(calendar))
            return specs[calendar.spec]

        def table(rows: int) -> tuple[I64, I64, I64]:
            # Priorities index directly (1-4); column 0 is unused. No target: wall clock, -1.
            return (
                np.zeros((rows, 5), dtype=np.int64),
                np.full((rows, 5), -1, dtype=np.int64),
                np.full((rows, 5), -1, dtype=np.int64),
            )

        def fill(arrays: tuple[I64, I64, I64], row: int, targets: dict[int, Target]) -> None:
            for priority, target in targets.items():
                arrays[0][row, priority] = calendar_index(target.calendar)
                arrays[1][row, priority] = _us(target.response)
                arrays[2][row, priority] = _us(target.resolution)

        # End to end: a row per service with targets, then one for "none".
        self.service_ids = np.array(
            sorted({service for service, _priority in rules.end_to_end}), dtype=np.int64
        )
        e2e = table(len(self.service_ids) + 1)
        for (service, priority), target in rules.end_to_end.items():
            row = int(np.searchsorted(self.service_ids, service))
            fill(e2e, row, {priority: target})
        self.e2e_calendar, self.e2e_response, self.e2e_resolution = e2e

        # Holders: row 0 none, row 1 the desk, then one per policy version.
        versions = [v for vs in rules.versions.values() for v in vs]
        holder = table(len(versions) + 2)
        fill(holder, 1, rules.desk)
        self.version_ids = np.zeros(len(versions) + 2, dtype=np.int64)
        self.policies: dict[int, tuple[I64, I64]] = {}
        row = 2
        for policy, policy_versions in rules.versions.items():
            rows = []
            for version in policy_versions:
                fill(holder, row, version.targets)
                self.version_ids[row] = version.id
                rows.append(row)
                row += 1
            effective = np.array([epoch_us(v.effective_from) for v in policy_versions])
            self.policies[policy] = (effective.astype(np.int64), np.array(rows, dtype=np.int64))
        self.holder_calendar, self.holder_response, self.holder_resolution = holder

    def service_rows(self, service_ids: I64) -> I64:
        rows = np.searchsorted(self.service_ids, service_ids)
        found = rows < len(self.service_ids)
        found[found] = self.service_ids[rows[found]] == service_ids[found]
        return np.where(found, rows, len(self.service_ids)).astype(np.int64)

    def holder_rows(self, holders: I64, policies: I64, starts: I64) -> I64:
        rows = np.where(holders == 0, 1, 0).astype(np.int64)
        for policy, (effective, policy_rows) in self.policies.items():
            chosen = np.flatnonzero((holders != 0) & (policies == policy))
            if not len(chosen):
                continue
            k = np.searchsorted(effective, starts[chosen], side="right") - 1
            rows[chosen] = np.where(k >= 0, policy_rows[np.maximum(k, 0)], 0)
        return rows


@dataclass
class Timelines:
    """Many tickets' timelines as arrays, events ordered by ticket then sequence; instants
    in epoch µs, holder 0 for the desk, policy 0 for none, alert -1 for none."""

    ticket: I64
    at: I64
    status: I8
    holder: I64
    priority: I8
    kind: I8
    holder_acknowledged: Bools
    acknowledges: Bools
    policy: I64
    alert: I64
    # Per ticket, in the order the tickets appear: id and service.
    ticket_ids: I64
    service_ids: I64

    @classmethod
    def from_steps(cls, tickets: Iterable[tuple[int, int, Sequence[Step]]]) -> Timelines:
        """From (ticket id, service id, steps) in ticket order (for tests and small batches)."""
        rows: list[tuple[int, ...]] = []
        ids, services = [], []
        for ticket_id, service_id, steps in tickets:
            ids.append(ticket_id)
            services.append(service_id)
            rows.extend(
                (
                    ticket_id,
                    epoch_us(s.at),
                    STATUS_CODE[s.status],
                    s.holder or 0,
                    s.priority,
                    KIND_CODE.get(s.kind, 0),
                    s.holder_acknowledged,
                    s.acknowledges,
                    s.policy or 0,
                    s.alert.key if s.alert is not None else -1,
                )
                for s in steps
            )
        return cls.from_rows(rows, ids, services)

    @classmethod
    def from_rows(
        cls, rows: Sequence[tuple[Any, ...]], ticket_ids: Sequence[int], service_ids: Sequence[int]
    ) -> Timelines:
        """From tuples in the field order above (ticket, at, status, … alert)."""
        table = np.array(rows, dtype=np.int64).reshape(-1, 10)
        return cls(
            ticket=table[:, 0].copy(),
            at=table[:, 1].copy(),
            status=table[:, 2].astype(np.int8),
            holder=table[:, 3].copy(),
            priority=table[:, 4].astype(np.int8),
            kind=table[:, 5].astype(np.int8),
            holder_acknowledged=table[:, 6].astype(np.bool_),
            acknowledges=table[:, 7].astype(np.bool_),
            policy=table[:, 8].copy(),
            alert=table[:, 9].copy(),
            ticket_ids=np.asarray(ticket_ids, dtype=np.int64),
            service_ids=np.asarray(service_ids, dtype=np.int64),
        )

    def until(self, at_us: int) -> Timelines:
        """The events up to `at_us`, and the tickets that have any by then."""
        keep = self.at <= at_us
        if keep.all():
            return self
        present = np.isin(self.ticket_ids, self.ticket[keep])
        return Timelines(
            **{
                name: getattr(self, name)[keep]
                for name in (
                    "ticket",
                    "at",
                    "status",
                    "holder",
                    "priority",
                    "kind",
                    "holder_acknowledged",
                    "acknowledges",
                    "policy",
                    "alert",
                )
            },
            ticket_ids=self.ticket_ids[present],
            service_ids=self.service_ids[present],
        )


@dataclass
class ClockArrays:
    """One kind of clock for many tickets or segments; NONE where a value is null."""

    state: I8
    elapsed: I64
    paused: I64
    target: I64
    deadline: I64
    breached: Bools
    warning_raised: I64
    breach_raised: I64
    warning_due: I64
    breach_due: I64
    # The priority whose target applies (as `Clock.priority`); filled by the folds.
    priority: I64 | None = None

    @property
    def alert_due(self) -> I64:
        warning = np.where(self.warning_due == NONE, _FAR, self.warning_due)
        breach = np.where(self.breach_due == NONE, _FAR, self.breach_due)
        due = np.minimum(warning, breach)
        return np.where(due == _FAR, NONE, due)


@dataclass
class BulkFold:
    """`fold_many`'s answer: end-to-end clocks per ticket, and every holder segment."""

    ticket_ids: I64
    response: ClockArrays
    resolution: ClockArrays
    segment_ticket: I64
    segment_number: I64
    segment_holder: I64
    segment_version: I64
    segment_start: I64
    segment_end: I64
    segment_reopens: I64
    segment_response: ClockArrays
    segment_resolution: ClockArrays


def _group_first_true(mask: Bools, group: I64, groups: int) -> I64:
    """For each group, the index of its first True in `mask` (groups contiguous), else -1."""
    found = np.flatnonzero(mask)
    out = np.full(groups, -1, dtype=np.int64)
    if len(found):
        g = group[found]
        first = np.ones(len(found), dtype=np.bool_)
        first[1:] = g[1:] != g[:-1]
        out[g[first]] = found[first]
    return out


def _seen_so_far(flags: Bools, first: I64, group: I64) -> Bools:
    """For each event, whether `flags` is set on it or on an earlier event of its group."""
    running = np.cumsum(flags, dtype=np.int64)
    before = running[first] - flags[first]
    return np.greater(running - before[group], 0)


def _group_sums(values: I64, first: I64, last: I64) -> tuple[I64, I64, I64]:
    """Running totals, the total before each group, and each group's total."""
    running = np.cumsum(values)
    before = running[first] - values[first]
    return running, before, running[last] - before


class _Groups(NamedTuple):
    """Contiguous runs of events (each ticket's, or each segment's), and the calendar each
    event's interval counts in for the clocks of those runs."""

    of: I64
    first: I64
    last: I64
    calendar: I64


class _Family:
    """One kind of clock over many groups (tickets or segments): what it counts, where."""

    def __init__(self, groups: _Groups, *, counting: Bools, waiting: Bools, worked: I64) -> None:
        first, last = groups.first, groups.last
        self.counted = np.where(counting, worked, 0)
        self.counting = counting
        self.calendar = groups.calendar
        self.group = groups.of
        self.last = last
        self.running_total, self.before, self.elapsed = _group_sums(self.counted, first, last)
        self.paused = _group_sums(np.where(waiting, worked, 0), first, last)[2]
        self._first_counting: I64 | None = None

    def crossing(
        self,
        threshold: I64,
        wanted: Bools,
        running: Bools,
        starts: I64,
        engines: list[BusinessTime],
    ) -> I64:
        """`_Tally.crossing` for each wanted group: the earliest instant its elapsed reaches
        `threshold`, the last stretch going on while running; NONE otherwise."""
        out = np.full(len(threshold), NONE, dtype=np.int64)
        groups = np.flatnonzero(wanted)
        if not len(groups):
            return out
        goal = threshold[groups]
        # Running totals never go down, so one search over all groups finds each first
        # stretch whose total reaches the goal; past the group's end means not yet.
        index = np.searchsorted(self.running_total, self.before[groups] + goal, side="left")
        if (goal <= 0).any():
            if self._first_counting is None:
                self._first_counting = _group_first_true(self.counting, self.group, len(threshold))
            index = np.where(goal <= 0, self._first_counting[groups], index)
        last = self.last[groups]
        found = (index >= 0) & (index <= last)
        index = np.where(found, index, np.where(running[groups], last, -1))
        keep = index >= 0
        groups, goal, index = groups[keep], goal[keep], index[keep]
        counted_before = self.running_total[index] - self.counted[index] - self.before[groups]
        remaining = np.maximum(goal - counted_before, 0)
        result = np.empty(len(index), dtype=np.int64)
        calendars = self.calendar[index]
        for calendar in np.unique(calendars):
            chosen = calendars == calendar
            result[chosen] = engines[int(calendar)].add_many(
                starts[index[chosen]], remaining[chosen]
            )
        out[groups] = result
        return out

    def clocks(
        self,
        *,
        phase: I8,
        target: I64,
        warning_raised: I64,
        breach_raised: I64,
        share_bp: int,
        starts: I64,
        engines: list[BusinessTime],
        priority: I64 | None = None,
    ) -> ClockArrays:
        has_target = target >= 0
        breached = has_target & (self.elapsed > target)
        running = phase == RUN
        state = np.select(
            [phase == RUN, phase == PAUSE, phase == STOP, breached],
            [
                STATE_CODE["running"],
                STATE_CODE["paused"],
                STATE_CODE["stopped"],
                STATE_CODE["breached"],
            ],
            STATE_CODE["met"],
        ).astype(np.int8)
        not_raised = breach_raised == NONE
        deadline = self.crossing(target, has_target & running, running, starts, engines)
        breach_due = self.crossing(
            target + 1, has_target & not_raised & (running | breached), running, starts, engines
        )
        warning_due = self.crossing(
            target * share_bp // BASIS_POINTS,
            has_target & running & (warning_raised == NONE) & not_raised,
            running,
            starts,
            engines,
        )
        return ClockArrays(
            state=state,
            elapsed=self.elapsed,
            paused=self.paused,
            target=np.where(has_target, target, NONE),
            deadline=deadline,
            breached=breached,
            warning_raised=warning_raised,
            breach_raised=breach_raised,
            warning_due=warning_due,
            breach_due=breach_due,
            priority=priority,
        )


def _phases_open(status: I8) -> I8:
    waiting = np.isin(status, _WAITING_CODES)
    return np.select([status <= _LAST_COUNTING, waiting], [RUN, PAUSE], STOP).astype(np.int8)


def _phases_resolution(status: I8, closed_after_resolving: Bools) -> I8:
    done = (status == _RESOLVED) | ((status == _CLOSED) & closed_after_resolving)
    return np.where(done, DONE, _phases_open(status)).astype(np.int8)


def _worked(
    starts: I64, ends: I64, wanted: Bools, calendar: I64, engines: list[BusinessTime]
) -> I64:
    """Working time of each wanted interval in its calendar; 0 elsewhere."""
    out = np.zeros(len(starts), dtype=np.int64)
    for index in np.unique(calendar[wanted]):
        chosen = np.flatnonzero(wanted & (calendar == index))
        out[chosen] = engines[int(index)].between_many(starts[chosen], ends[chosen])
    return out


def _first_raised(times: I64, where: I64, count: int) -> I64:
    out = np.full(count, _FAR, dtype=np.int64)
    np.minimum.at(out, where, times)
    return np.where(out == _FAR, NONE, out)


def fold_many(
    timelines: Timelines,
    *,
    rules: Rules,
    at: datetime,
    warning_share: float = DEFAULT_WARNING_SHARE,
) -> BulkFold:
    """`fold` for many tickets at once, exactly: the same rules on arrays, business time in
    bulk per calendar."""
    at_us = epoch_us(at)
    return _fold_arrays(timelines.until(at_us), rules, at_us, warning_share)


def fold_many_at(
    timelines: Timelines,
    *,
    rules: Rules,
    at_us: I64,
    warning_share: float = DEFAULT_WARNING_SHARE,
) -> BulkFold:
    """`fold_many` with each ticket folded as of its own instant: `at_us` (epoch µs) holds
    one per ticket, in the order of `timelines.ticket_ids`; each ticket's events after its
    instant are ignored, and a ticket with none by then is left out. The same as `fold` of
    each ticket at its instant (as a breach scan folds it), for many moments at once."""
    at_us = np.asarray(at_us, dtype=np.int64)
    if len(at_us) != len(timelines.ticket_ids):
        raise ValueError("fold_many_at needs one instant per ticket.")
    events = len(timelines.ticket)
    if not events:
        return _empty_fold()
    new_ticket = np.ones(events, dtype=np.bool_)
    new_ticket[1:] = timelines.ticket[1:] != timelines.ticket[:-1]
    of = np.cumsum(new_ticket) - 1
    keep = timelines.at <= at_us[of]
    if keep.all():
        return _fold_arrays(timelines, rules, at_us, warning_share)
    present = np.zeros(len(timelines.ticket_ids), dtype=np.bool_)
    present[of[keep]] = True
    cut = Timelines(
        **{name: getattr(timelines, name)[keep] for name in _EVENT_FIELDS},
        ticket_ids=timelines.ticket_ids[present],
        service_ids=timelines.service_ids[present],
    )
    return _fold_arrays(cut, rules, at_us[present], warning_share)


_EVENT_FIELDS = (
    "ticket",
    "at",
    "status",
    "holder",
    "priority",
    "kind",
    "holder_acknowledged",
    "acknowledges",
    "policy",
    "alert",
)


def _fold_arrays(tl: Timelines, rules: Rules, at_us: int | I64, warning_share: float) -> BulkFold:
    """The bulk fold of timelines already cut at their instants: `at_us` is one instant for
    every ticket, or one per ticket (in ticket order)."""
    tables = rules.tables()
    engines = tables.engines
    share_bp = warning_basis_points(warning_share)
    events = len(tl.ticket)
    if not events:
        return _empty_fold()

    new_ticket = np.ones(events, dtype=np.bool_)
    new_ticket[1:] = tl.ticket[1:] != tl.ticket[:-1]
    t_first = np.flatnonzero(new_ticket)
    t_last = np.append(t_first[1:] - 1, events - 1)
    tickets = len(t_first)
    if not np.array_equal(tl.ticket[t_first], tl.ticket_ids):
        raise ValueError("Timelines must list the tickets in the order their events come.")
    t_of = np.cumsum(new_ticket) - 1

    new_segment = new_ticket.copy()
    new_segment[1:] |= tl.holder[1:] != tl.holder[:-1]
    s_first = np.flatnonzero(new_segment)
    s_last = np.append(s_first[1:] - 1, events - 1)
    segments = len(s_first)
    s_of = np.cumsum(new_segment) - 1
    segment_ticket = t_of[s_first]
    t_first_segment = s_of[t_first]
    t_segments = s_of[t_last] - t_first_segment + 1

    starts = tl.at
    ends = np.empty(events, dtype=np.int64)
    ends[:-1] = tl.at[1:]
    ends[t_last] = at_us
    status = tl.status
    counting: Bools = status <= _LAST_COUNTING
    waiting: Bools = np.isin(status, _WAITING_CODES)
    priority = tl.priority.astype(np.int64)

    # Which targets: end to end by the ticket's service, the holder's by segment.
    service_row = tables.service_rows(tl.service_ids)
    segment_holder = tl.holder[s_first]
    segment_start = tl.at[s_first]
    holder_row = tables.holder_rows(segment_holder, tl.policy[s_first], segment_start)
    e2e_calendar = tables.e2e_calendar[service_row[t_of], priority]
    own_calendar = tables.holder_calendar[holder_row[s_of], priority]
    measured = counting | waiting
    e2e_worked = _worked(starts, ends, measured, e2e_calendar, engines)
    own_worked = _worked(starts, ends, measured, own_calendar, engines)

    # Acknowledgements: the first of all (end to end), the first in each segment (holder).
    t_ack = _group_first_true(tl.acknowledges, t_of, tickets)
    acked_through = _seen_so_far(tl.acknowledges, t_first, t_of)
    s_ack = _group_first_true(tl.holder_acknowledged, s_of, segments)
    held_acked_through = _seen_so_far(tl.holder_acknowledged, s_first, s_of)

    # Alerts already raised, by clock.
    alert_at = np.flatnonzero(tl.alert >= 0)
    alert_key = tl.alert[alert_at]
    alert_segment = alert_key // 2
    alert_resolution = alert_key % 2 == 1
    alert_ticket = t_of[alert_at]
    alert_is_warning = tl.kind[alert_at] == KIND_WARNING

    def raised(on_segments: bool, resolution: bool, warning: bool) -> I64:
        chosen = (alert_resolution == resolution) & (alert_is_warning == warning)
        if on_segments:
            chosen &= (alert_segment >= 1) & (alert_segment <= t_segments[alert_ticket])
            where = t_first_segment[alert_ticket] + alert_segment - 1
            count = segments
        else:
            chosen &= alert_segment == 0
            where = alert_ticket
            count = tickets
        return _first_raised(tl.at[alert_at][chosen], where[chosen], count)

    # How each clock stands before its target is applied.
    last_status = status[t_last]
    index = np.arange(events, dtype=np.int64)
    last_not_closed = np.maximum.reduceat(np.where(status != _CLOSED, index, -1), t_first)
    last_not_ended = np.maximum.reduceat(np.where(status < _CLOSED, index, -1), t_first)
    closed_after_resolving = (last_not_closed >= 0) & (
        status[np.maximum(last_not_closed, 0)] == _RESOLVED
    )
    ended = np.isin(last_status, (_CLOSED, _CANCELLED))
    ended_since = np.clip(last_not_ended + 1, t_first, t_last)
    ended_at = np.where(ended, tl.at[ended_since], NONE)
    resolution_phase = _phases_resolution(last_status, closed_after_resolving)
    open_phase = _phases_open(last_status)

    e2e = _Groups(t_of, t_first, t_last, e2e_calendar)
    response_priority = np.where(t_ack >= 0, priority[np.maximum(t_ack, 0)], priority[t_last])
    response = _Family(
        e2e, counting=counting & ~acked_through, waiting=waiting & ~acked_through, worked=e2e_worked
    ).clocks(
        phase=np.where(t_ack >= 0, DONE, open_phase).astype(np.int8),
        target=tables.e2e_response[service_row, response_priority],
        warning_raised=raised(False, False, True),
        breach_raised=raised(False, False, False),
        share_bp=share_bp,
        starts=starts,
        engines=engines,
        priority=response_priority,
    )
    resolution = _Family(e2e, counting=counting, waiting=waiting, worked=e2e_worked).clocks(
        phase=resolution_phase,
        target=tables.e2e_resolution[service_row, priority[t_last]],
        warning_raised=raised(False, True, True),
        breach_raised=raised(False, True, False),
        share_bp=share_bp,
        starts=starts,
        engines=engines,
        priority=priority[t_last],
    )

    current = s_last == t_last[segment_ticket]
    own = _Groups(s_of, s_first, s_last, own_calendar)
    segment_response_priority = np.where(
        s_ack >= 0, priority[np.maximum(s_ack, 0)], priority[s_last]
    )
    segment_response = _Family(
        own,
        counting=counting & ~held_acked_through,
        waiting=waiting & ~held_acked_through,
        worked=own_worked,
    ).clocks(
        phase=np.where(
            s_ack >= 0, DONE, np.where(current, open_phase[segment_ticket], STOP)
        ).astype(np.int8),
        target=tables.holder_response[holder_row, segment_response_priority],
        warning_raised=raised(True, False, True),
        breach_raised=raised(True, False, False),
        share_bp=share_bp,
        starts=starts,
        engines=engines,
        priority=segment_response_priority,
    )
    handed_on_phase = np.where(segment_holder == 0, DONE, STOP)
    segment_resolution = _Family(own, counting=counting, waiting=waiting, worked=own_worked).clocks(
        phase=np.where(current, resolution_phase[segment_ticket], handed_on_phase).astype(np.int8),
        target=tables.holder_resolution[holder_row, priority[s_last]],
        warning_raised=raised(True, True, True),
        breach_raised=raised(True, True, False),
        share_bp=share_bp,
        starts=starts,
        engines=engines,
        priority=priority[s_last],
    )

    segment_end = np.empty(segments, dtype=np.int64)
    segment_end[:-1] = segment_start[1:]
    segment_end[current] = ended_at[segment_ticket[current]]
    reopens = _group_sums((tl.kind == KIND_REOPENED).astype(np.int64), s_first, s_last)[2]
    return BulkFold(
        ticket_ids=tl.ticket_ids,
        response=response,
        resolution=resolution,
        segment_ticket=tl.ticket_ids[segment_ticket],
        segment_number=np.arange(segments, dtype=np.int64) - t_first_segment[segment_ticket] + 1,
        segment_holder=segment_holder,
        segment_version=tables.version_ids[holder_row],
        segment_start=segment_start,
        segment_end=segment_end,
        segment_reopens=reopens,
        segment_response=segment_response,
        segment_resolution=segment_resolution,
    )


def _empty_clocks(count: int = 0) -> ClockArrays:
    empty = np.zeros(count, dtype=np.int64)
    return ClockArrays(
        state=empty.astype(np.int8),
        elapsed=empty,
        paused=empty,
        target=empty,
        deadline=empty,
        breached=empty.astype(np.bool_),
        warning_raised=empty,
        breach_raised=empty,
        warning_due=empty,
        breach_due=empty,
    )


def _empty_fold() -> BulkFold:
    empty = np.zeros(0, dtype=np.int64)
    return BulkFold(
        ticket_ids=empty,
        response=_empty_clocks(),
        resolution=_empty_clocks(),
        segment_ticket=empty,
        segment_number=empty,
        segment_holder=empty,
        segment_version=empty,
        segment_start=empty,
        segment_end=empty,
        segment_reopens=empty,
        segment_response=_empty_clocks(),
        segment_resolution=_empty_clocks(),
    )


# --- Rows: the stored shape ------------------------------------------


def _instant(value: datetime | None) -> int | None:
    return None if value is None else epoch_us(value)


def _clock_row(clock: Clock, *, paused: bool = True) -> tuple[Any, ...]:
    return (
        clock.state.value,
        _us(clock.elapsed),
        *((_us(clock.paused),) if paused else ()),
        None if clock.target is None else _us(clock.target),
        _instant(clock.deadline),
        clock.breached,
        _instant(clock.warning_raised_at),
        _instant(clock.breach_raised_at),
    )


def fold_rows(result: Fold) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The stored rows a fold gives: end-to-end clocks (ticket, clock, state, elapsed µs,
    paused µs, target µs, deadline µs, breached, warning raised, breach raised, alert due)
    and segments (ticket, number, holder, version, start, end, reopens, paused µs, then the
    response and the resolution clock's values less paused, alert due). None for null."""
    clocks = [
        (result.ticket_id, clock.ref.kind.value, *_clock_row(clock), _instant(clock.alert_due_at))
        for clock in (result.response, result.resolution)
    ]
    segments = []
    for segment in result.segments:
        due = [t for t in (segment.response.alert_due_at, segment.resolution.alert_due_at) if t]
        segments.append(
            (
                result.ticket_id,
                segment.number,
                segment.holder,
                segment.version.id if segment.version else None,
                epoch_us(segment.started_at),
                _instant(segment.ended_at),
                segment.reopens,
                _us(segment.paused),
                *_clock_row(segment.response, paused=False),
                *_clock_row(segment.resolution, paused=False),
                _instant(min(due)) if due else None,
            )
        )
    return clocks, segments


# --- Explain ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """Why a ticket's clocks stand as they do: the fold, with the names a page shows."""

    ticket_id: int
    reference: str
    fold: Fold

    @property
    def response(self) -> Clock:
        return self.fold.response

    @property
    def resolution(self) -> Clock:
        return self.fold.resolution

    @property
    def segments(self) -> tuple[Segment, ...]:
        return self.fold.segments

    @property
    def pauses(self) -> tuple[Pause, ...]:
        return self.fold.pauses


def explain(
    ticket: Ticket,
    *,
    at: datetime | None = None,
    rules: Rules | None = None,
    share: float | None = None,
) -> Explanation:
    """The ticket's clocks as of `at` (now) with everything behind them: each clock's state,
    elapsed and paused time, target, deadline, calendar and the priority whose target
    applies; the holder segments with their policy versions; the pauses with their reasons;
    the priority changes. Recomputed from the timeline, never read from stored state."""
    rules = rules or Rules.load()
    at = at or timezone.now()
    share = warning_share() if share is None else share
    result = fold_ticket(ticket, rules=rules, at=at, warning_share=share)
    holders = {s.holder for s in result.segments if s.holder is not None}
    names = dict(Supplier.objects.filter(pk__in=holders).values_list("pk", "name"))
    segments = tuple(
        replace(s, holder_name=names.get(s.holder, "")) if s.holder else s for s in result.segments
    )
    return Explanation(ticket.pk, ticket.reference, replace(result, segments=segments))
