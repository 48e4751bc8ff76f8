"""What the ticket page reads and how it words it: the ticket (scoped by visibility), its
answers by question label, attachments, links, the timeline paged by sequence, the SLA clocks
with their explanation, and the ticket's deliveries to supplier systems (the exchange's).

A fixed number of queries whatever the length of the ticket's history."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from interchange.accounts.models import User
from interchange.catalogue.models import Question
from interchange.catalogue.selectors import service_questions
from interchange.core.priorities import Level, Priority
from interchange.exchange.models import Delivery
from interchange.exchange.selectors import deliveries_for_ticket
from interchange.servicedesk import clocks
from interchange.servicedesk.models import (
    Attachment,
    ClockState,
    ResolutionCode,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
)
from interchange.servicedesk.search import parse_reference
from interchange.servicedesk.selectors import ticket_timeline
from interchange.servicedesk.visibility import visible_to
from interchange.suppliers.models import SlaPolicy, Supplier

TIMELINE_ON_PAGE = 20
TIMELINE_PAGE = 50
DELIVERIES_SHOWN = 20

STATUS_COLOURS = {
    Status.NEW: "blue",
    Status.ASSIGNED: "light-blue",
    Status.IN_PROGRESS: "turquoise",
    Status.WAITING_RESIDENT: "yellow",
    Status.WAITING_THIRD_PARTY: "yellow",
    Status.RESOLVED: "green",
    Status.CLOSED: "grey",
    Status.CANCELLED: "grey",
}
PRIORITY_COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "grey"}
CLOCK_COLOURS = {
    ClockState.RUNNING: "blue",
    ClockState.PAUSED: "yellow",
    ClockState.MET: "green",
    ClockState.BREACHED: "red",
    ClockState.STOPPED: "grey",
}


def ticket_or_404(user: User, reference: str) -> Ticket:
    """The ticket `reference` names, if `user` may see it; otherwise 404 (never 403, so a
    reference tells nobody whether a ticket they may not see exists)."""
    parsed = parse_reference(reference)
    if parsed is None:
        raise Http404
    ticket_type, pk = parsed
    tickets = visible_to(user).filter(pk=pk)
    if ticket_type is not None:
        tickets = tickets.filter(type=ticket_type)
    ticket = (
        tickets.select_related("service", "holder_supplier", "assignee", "area").order_by().first()
    )
    if ticket is None:
        raise Http404
    return ticket


def duration_text(value: timedelta) -> str:
    """A duration in words, to the minute: "1 day 3 hours 5 minutes"."""
    negative = value < timedelta(0)
    minutes = int(abs(value).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if mins or not parts:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins})
    text = " ".join(parts)
    return _("%(time)s over") % {"time": text} if negative else text


# --- Answers -----------------------------------------------------------------------------------


def answer_rows(ticket: Ticket) -> list[dict[str, str]]:
    """The service's questions answered on this ticket, by label, in the service's order."""
    answers = ticket.answers if isinstance(ticket.answers, dict) else {}
    if not answers:
        return []
    rows = []
    for question in service_questions(ticket.service):
        value = answers.get(question.code)
        if value in (None, "", []):
            continue
        rows.append({"key": question.label, "value": _answer_text(question, value)})
    return rows


def _answer_text(question: Question, value: object) -> str:
    if question.has_choices:
        names = {choice.key: choice.name for choice in question.choices.all()}
        values = value if isinstance(value, list) else [value]
        return ", ".join(names.get(str(v), str(v)) for v in values)
    return str(value)


# --- Attachments and links -------------------------------------------------------------------


def ticket_attachments(ticket: Ticket) -> list[Attachment]:
    return list(
        Attachment.objects.filter(ticket=ticket)
        .only("pk", "original_name", "content_type", "size", "public", "uploaded_at", "ticket")
        .order_by("uploaded_at", "pk")
    )


@dataclass(frozen=True)
class LinkRow:
    kind: str
    reference: str
    title: str | None  # None where the person may not see the other ticket
    status: str


def ticket_links(user: User, ticket: Ticket) -> list[LinkRow]:
    """The ticket's links both ways, worded from this ticket's side; the other ticket's title
    only where `user` may see it."""
    links = list(
        TicketLink.objects.filter(Q(from_ticket=ticket) | Q(to_ticket=ticket))
        .select_related("from_ticket", "to_ticket")
        .order_by("created_at", "pk")[:100]
    )
    if not links:
        return []
    others = {
        link.to_ticket_id if link.from_ticket_id == ticket.pk else link.from_ticket_id
        for link in links
    }
    seen = set(visible_to(user).filter(pk__in=others).values_list("pk", flat=True))
    rows = []
    for link in links:
        outgoing = link.from_ticket_id == ticket.pk
        other = link.to_ticket if outgoing else link.from_ticket
        rows.append(
            LinkRow(
                kind=_link_wording(link.kind, outgoing),
                reference=other.reference,
                title=other.title if other.pk in seen else None,
                status=other.get_status_display() if other.pk in seen else "",
            )
        )
    return rows


def _link_wording(kind: str, outgoing: bool) -> str:
    if kind == TicketLink.Kind.PROBLEM:
        return _("Caused by problem") if outgoing else _("Causes")
    if kind == TicketLink.Kind.DUPLICATE_OF:
        return _("Duplicate of") if outgoing else _("Duplicated by")
    return _("Related to")


# --- Timeline -----------------------------------------------------------------------------------


@dataclass
class EventView:
    sequence: int
    at: datetime
    title: str
    actor: str
    public: bool
    lines: list[str] = field(default_factory=list)
    body: str = ""


@dataclass
class TimelinePage:
    events: list[EventView]
    # The sequence to pass as `before` for the next (older) page, or None at the start.
    older_than: int | None


def timeline_page(ticket: Ticket, *, before: int | None, limit: int) -> TimelinePage:
    """Up to `limit` events older than `before` (newest first), keyset by sequence: one query
    for the events, one for the names they mention."""
    events = ticket_timeline(ticket=ticket, before=before, limit=limit + 1, newest_first=True)
    more = len(events) > limit
    events = events[:limit]
    return TimelinePage(
        events=describe_events(events), older_than=events[-1].sequence if more else None
    )


def describe_events(events: list[TicketEvent]) -> list[EventView]:
    """The events in words; the people they name are read in one query."""
    person_ids: set[int] = set()
    for event in events:
        for payload in (event.old, event.new):
            if isinstance(payload, dict) and isinstance(payload.get("assignee"), int):
                person_ids.add(payload["assignee"])
    suppliers = _reference.get().suppliers
    people = {
        p.pk: p.get_full_name() or p.get_username()
        for p in (User.objects.filter(pk__in=person_ids) if person_ids else [])
    }
    return [_event_view(event, suppliers, people) for event in events]


def _event_view(event: TicketEvent, suppliers: dict[int, str], people: dict[int, str]) -> EventView:
    old = event.old if isinstance(event.old, dict) else {}
    new = event.new if isinstance(event.new, dict) else {}
    view = EventView(
        sequence=event.sequence,
        at=event.at,
        title=str(TicketEvent.Kind(event.kind).label)
        if event.kind in TicketEvent.Kind.values
        else event.kind,
        actor=event.actor_label or str(TicketEvent.ActorKind(event.actor_kind).label),
        public=event.public,
    )

    def holder(value: Any) -> str:
        if value is None:
            return _("Integrator desk")
        return suppliers.get(value, _("Supplier %(id)s") % {"id": value})

    def person(value: Any) -> str:
        return _("nobody") if value is None else people.get(value, str(value))

    if "status" in new and "status" in old:
        view.lines.append(
            _("Status: %(old)s → %(new)s")
            % {"old": _label(Status, old["status"]), "new": _label(Status, new["status"])}
        )
    elif event.kind == TicketEvent.Kind.OPENED:
        view.lines.append(_("Status: %(new)s") % {"new": _label(Status, new.get("status"))})
    if "holder_supplier" in new:
        if "holder_supplier" in old:
            view.lines.append(
                _("Holder: %(old)s → %(new)s")
                % {"old": holder(old["holder_supplier"]), "new": holder(new["holder_supplier"])}
            )
        else:
            view.lines.append(_("Holder: %(new)s") % {"new": holder(new["holder_supplier"])})
    if "assignee" in new:
        view.lines.append(
            _("Person: %(old)s → %(new)s")
            % {"old": person(old.get("assignee")), "new": person(new["assignee"])}
        )
    if "priority" in new and event.kind != TicketEvent.Kind.OPENED:
        view.lines.append(
            _("Priority: %(old)s → %(new)s")
            % {"old": _priority(old.get("priority")), "new": _priority(new["priority"])}
        )
    for key, label in (("impact", _("Impact")), ("urgency", _("Urgency"))):
        if key in new and key in old:
            view.lines.append(
                _("%(field)s: %(old)s → %(new)s")
                % {"field": label, "old": _label(Level, old[key]), "new": _label(Level, new[key])}
            )
    if "major_incident" in new:
        view.lines.append(
            _("Major incident raised") if new["major_incident"] else _("Major incident cleared")
        )
    if new.get("resolution_code"):
        view.lines.append(
            _("Resolution: %(code)s") % {"code": _label(ResolutionCode, new["resolution_code"])}
        )
    if event.kind == TicketEvent.Kind.DUPLICATE and new.get("duplicate_of_reference"):
        view.lines.append(
            _("Duplicate of %(reference)s") % {"reference": new["duplicate_of_reference"]}
        )
    if event.kind == TicketEvent.Kind.LINKED and new.get("to_reference"):
        view.lines.append(_("Linked to %(reference)s") % {"reference": new["to_reference"]})
    if event.kind == TicketEvent.Kind.ATTACHMENT and new.get("name"):
        view.lines.append(_("File: %(name)s") % {"name": new["name"]})
    if event.kind in clocks.ALERT_KINDS and new.get("clock"):
        scope = _("end to end") if new.get("scope") == "end_to_end" else _("holder's")
        view.lines.append(
            _("Clock: %(scope)s %(clock)s") % {"scope": scope, "clock": new.get("clock")}
        )
    if new.get("resolution_note"):
        view.body = str(new["resolution_note"])
    if event.kind == TicketEvent.Kind.NOTE:
        view.body = str(new.get("body", ""))
    if event.reason:
        view.lines.append(_("Reason: %(reason)s") % {"reason": event.reason})
    return view


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _priority(value: Any) -> str:
    return f"P{value}" if value in Priority.values else str(value)


# --- SLA clocks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    name: str
    state: str
    state_label: str
    colour: str
    target: str
    elapsed: str
    paused: str
    left: str
    deadline: datetime | None
    calendar: str
    priority: str


@dataclass(frozen=True)
class SegmentView:
    number: int
    holder: str
    started_at: datetime
    ended_at: datetime | None
    wall: str
    business: str
    policy: str
    response: ClockView
    resolution: ClockView
    reopens: int

    @property
    def clocks(self) -> tuple[ClockView, ClockView]:
        return (self.response, self.resolution)


@dataclass(frozen=True)
class PauseView:
    started_at: datetime
    ended_at: datetime | None
    status: str
    reason: str


@dataclass(frozen=True)
class SlaView:
    clocks: list[ClockView]
    segments: list[SegmentView]
    pauses: list[PauseView]
    priority_changes: list[tuple[datetime, str]]
    life: str

    @property
    def current(self) -> SegmentView | None:
        """The holder's own hold while the ticket is with it (its clocks under its policy)."""
        last = self.segments[-1] if self.segments else None
        return last if last is not None and last.ended_at is None else None


@dataclass(frozen=True)
class Reference:
    """What every ticket page reads and nobody changes more than a few times a year: the SLA
    rules (every target, policy version and calendar: seven queries and the calendars'
    set-up) and the names of suppliers and SLA policies."""

    rules: clocks.Rules
    suppliers: dict[int, str]
    policies: dict[int, str]

    @classmethod
    def load(cls) -> Reference:
        return cls(
            rules=clocks.Rules.load(),
            suppliers=dict(Supplier.objects.values_list("pk", "name")),
            policies=dict(SlaPolicy.objects.order_by().values_list("pk", "name")),
        )


class _ReferenceCache:
    """`Reference`, kept for `REFERENCE_SECONDS` in each process. A change shows on ticket
    pages within that time; stored clocks, breach scans and reports never use this copy."""

    def __init__(self) -> None:
        self.value: Reference | None = None
        self.loaded_at = 0.0

    def get(self) -> Reference:
        now = time.monotonic()
        if self.value is None or now - self.loaded_at > REFERENCE_SECONDS:
            self.value, self.loaded_at = Reference.load(), now
        return self.value

    def forget(self) -> None:
        self.value = None


REFERENCE_SECONDS = 60.0
_reference = _ReferenceCache()


def forget_reference() -> None:
    """Read the reference data afresh on the next page (tests that change it call this)."""
    _reference.forget()


def sla_view(ticket: Ticket, *, at: datetime | None = None) -> SlaView:
    """The ticket's clocks now, recomputed from its timeline (the fold `clocks.explain` shows;
    one query), in words."""
    at = at or timezone.now()
    reference = _reference.get()
    fold = clocks.fold_ticket(
        ticket, rules=reference.rules, at=at, warning_share=clocks.warning_share()
    )
    names, policies = reference.suppliers, reference.policies
    segments = [
        SegmentView(
            number=s.number,
            holder=names.get(s.holder, str(s.holder))
            if s.holder is not None
            else _("Integrator desk"),
            started_at=s.started_at,
            ended_at=s.ended_at,
            wall=duration_text(s.wall(at)),
            business=duration_text(s.business),
            policy=_policy_text(s, policies),
            response=_clock_view(s.response, _("Response")),
            resolution=_clock_view(s.resolution, _("Resolution")),
            reopens=s.reopens,
        )
        for s in fold.segments
    ]
    return SlaView(
        clocks=[
            _clock_view(fold.response, _("Response (end to end)")),
            _clock_view(fold.resolution, _("Resolution (end to end)")),
        ],
        segments=segments,
        pauses=[
            PauseView(p.started_at, p.ended_at, _label(Status, p.status), p.reason)
            for p in fold.pauses
        ],
        priority_changes=[(when, _priority(p)) for when, p in fold.priority_changes],
        life=duration_text(fold.life),
    )


def _policy_text(segment: clocks.Segment, policies: dict[int, str]) -> str:
    if segment.holder is None:
        return _("The integrator desk's OLA")
    if segment.version is None:
        return _("No SLA policy in force")
    return _("%(policy)s, version %(number)s (in force from %(date)s)") % {
        "policy": policies.get(segment.version.policy_id, segment.version.policy_id),
        "number": segment.version.number,
        "date": timezone.localtime(segment.version.effective_from).strftime("%d %b %Y"),
    }


def _clock_view(clock: clocks.Clock, name: str) -> ClockView:
    state = ClockState.BREACHED if clock.breached and clock.state != ClockState.STOPPED else None
    state = state or ClockState(clock.state)
    if clock.target is None:
        left = _("No target")
    elif clock.state in (ClockState.RUNNING, ClockState.PAUSED):
        left = duration_text(clock.target - clock.elapsed)
    else:
        left = "–"
    return ClockView(
        name=name,
        state=state.value,
        state_label=str(state.label),
        colour=CLOCK_COLOURS[state],
        target=duration_text(clock.target) if clock.target is not None else _("No target"),
        elapsed=duration_text(clock.elapsed),
        paused=duration_text(clock.paused),
        left=left,
        deadline=clock.deadline,
        calendar=clock.calendar.name or _("Wall-clock time"),
        priority=_priority(clock.priority),
    )


# --- Exchange deliveries ------------------------------------------------------------------------


def exchange_deliveries(ticket: Ticket, user: User) -> list[Delivery]:
    """The ticket's latest deliveries to supplier systems that `user` may see (the exchange's
    own public selector decides which: the integrator all, a supplier its own endpoints)."""
    return deliveries_for_ticket(ticket, user, limit=DELIVERIES_SHOWN)
