"""The bulk writer's side of "same rules": a ticket script turned into exactly the rows the
domain functions in `servicedesk.services` would write for it (the ticket, each timeline
event with its state columns and old/new values, holdings, links, satisfaction responses and
the search document), without a query per change.

Each `_op_*` mirrors one domain function; `tests/test_replay.py` replays scripts through the
real functions and compares every row, so a rule changed there and not here fails loudly.
"""

from __future__ import annotations

import hashlib
import operator
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import orjson

from interchange.core.priorities import priority_for
from interchange.demo.alerts import Entry, Folded, Planner, Raised
from interchange.demo.scripts import SYSTEM, ActorKind, ActorRef, Op, Step, TicketScript
from interchange.demo.world import World
from interchange.servicedesk.models import REFERENCE_DIGITS, REFERENCE_PREFIX, TicketType

ALERT_KINDS = frozenset({"sla_warning", "sla_breach"})
HOLDER_KINDS = frozenset({"opened", "assigned", "routed"})
ASSIGNED, IN_PROGRESS, RESOLVED = "assigned", "in_progress", "resolved"
CLOSED, CANCELLED, NEW = "closed", "cancelled", "new"
OPEN = frozenset({NEW, ASSIGNED, IN_PROGRESS, "waiting_resident", "waiting_third_party"})
# Fields whose values are instants (epoch seconds here), written as ISO 8601 in payloads.
TIMES = frozenset(
    {"created_at", "updated_at", "resolved_at", "closed_at", "acknowledged_at"}
    | {"holder_acknowledged_at"}
)
# As `services._JSON_KEYS`: foreign keys appear in payloads by field name.
JSON_KEYS = {"holder_supplier_id": "holder_supplier", "assignee_id": "assignee"}
KEEP = object()

TICKET_COLUMNS = (
    "id", "type", "title", "description", "service_id", "channel", "status", "impact",
    "urgency", "priority", "priority_overridden", "priority_reason", "holder_supplier_id",
    "assignee_id", "supplier_reference", "acknowledged_at", "holder_acknowledged_at",
    "resolution_code", "resolution_note", "major_incident", "reporter_first_name",
    "reporter_last_name", "reporter_email", "reporter_phone", "reporter_contact_preference",
    "reporter_account_id", "reporter_anonymous", "private_token_hash", "latitude", "longitude",
    "address", "address_id", "area_id", "answers", "created_at", "updated_at", "resolved_at",
    "closed_at", "version",
)  # fmt: skip
EVENT_COLUMNS = (
    "ticket_id", "sequence", "kind", "at", "actor_kind", "actor_user_id", "actor_key_id",
    "actor_label", "status", "holder_supplier_id", "priority", "holder_acknowledged", "old",
    "new", "reason", "public", "dispatched_at",
)  # fmt: skip
HOLDING_COLUMNS = ("ticket_id", "supplier_id", "first_held_at")
LINK_COLUMNS = ("from_ticket_id", "to_ticket_id", "kind", "created_at")
SATISFACTION_COLUMNS = ("id", "ticket_id", "score", "comment", "at")
SEARCH_COLUMNS = ("ticket_id", "body")
_VERSION, _UPDATED_AT = TICKET_COLUMNS.index("version"), TICKET_COLUMNS.index("updated_at")
_ANSWERS = TICKET_COLUMNS.index("answers")
_TICKET_VALUES = operator.itemgetter(*TICKET_COLUMNS)
_SYSTEM_KIND = str(SYSTEM.kind)


def iso(t: int) -> str:
    """An instant as the domain writes it into payloads (`datetime.isoformat()` in UTC),
    from cached parts: the seeder writes millions."""
    day, second = divmod(t, _DAY)
    return _iso_day(day) + _iso_clock(second)


def isos(instants: Iterable[int]) -> list[str]:
    """`iso` of each instant (none of them None), without a call of its own for each."""
    day, clock = _iso_day, _iso_clock
    return [day(t // _DAY) + clock(t % _DAY) for t in instants]


_DAY = 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@cache
def _iso_day(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).strftime("%Y-%m-%dT")


@cache
def _iso_clock(second: int) -> str:
    return f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}+00:00"


def _json(value: Any) -> str:
    """JSON text of a payload (compact: the database keeps the value, not the spacing)."""
    return orjson.dumps(value).decode()


def reference(ticket_type: str, ticket_id: int) -> str:
    return f"{REFERENCE_PREFIX[TicketType(ticket_type)]}-{ticket_id:0{REFERENCE_DIGITS}d}"


@dataclass
class Rows:
    """Rows for the tables, in the column orders above; instants as epoch seconds, JSON as
    text, for the writer to adapt to its database."""

    tickets: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    holdings: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[Any, ...]] = field(default_factory=list)
    satisfaction: list[tuple[Any, ...]] = field(default_factory=list)
    search: list[tuple[Any, ...]] = field(default_factory=list)
    # With a planner: each batch's `clocks.Timelines`, alerts included, to fold the SLA
    # clocks from; then the folded clocks.
    timelines: list[Any] = field(default_factory=list)
    folded: Folded | None = None


class Emulator:
    """Applies scripts to in-memory tickets by the domain's rules. Ticket ids are
    `first_ticket_id + script.index`, and a satisfaction response's id is
    `first_satisfaction_id + script.index`."""

    def __init__(
        self,
        world: World,
        *,
        first_ticket_id: int,
        first_satisfaction_id: int,
        planner: Planner | None = None,
    ) -> None:
        self.world = world
        self.planner = planner
        self.first_ticket_id = first_ticket_id
        self.first_satisfaction_id = first_satisfaction_id
        self._ops: dict[Op, Callable[[_Ticket, Step], None]] = {
            Op.ASSIGN: self._op_assign,
            Op.ROUTE: self._op_route,
            Op.ACKNOWLEDGE: self._op_acknowledge,
            Op.START: self._op_start,
            Op.WAIT: self._op_wait,
            Op.RESUME: self._op_resume,
            Op.RESOLVE: self._op_resolve,
            Op.CLOSE: self._op_close,
            Op.REOPEN: self._op_reopen,
            Op.CANCEL: self._op_cancel,
            Op.DUPLICATE: self._op_duplicate,
            Op.NOTE: self._op_note,
            Op.SUPPLIER_REFERENCE: self._op_supplier_reference,
            Op.OVERRIDE_PRIORITY: self._op_override_priority,
            Op.MAJOR_INCIDENT: self._op_major_incident,
            Op.SATISFACTION: self._op_satisfaction,
            Op.SLA_SCAN: self._op_sla_scan,
        }
        self.rows = Rows()
        self._types: dict[int, str] = {}

    def ticket_id(self, index: int) -> int:
        return self.first_ticket_id + index

    def take(self) -> Rows:
        """The rows so far, leaving an empty set for the next batch."""
        rows, self.rows = self.rows, Rows()
        self._types.clear()
        return rows

    def apply(self, script: TicketScript) -> _Ticket:
        """Open the ticket and apply each step, adding its rows."""
        ticket = self._open(script)
        for step in script.steps:
            self._ops[step.op](ticket, step)
        self._finish(ticket)
        return ticket

    def apply_batch(self, scripts: list[TicketScript]) -> None:
        """Apply the scripts (a batch in order of opening, duplicates after their masters),
        then add the breach scans a live system would have run, where they raise anything."""
        rows = self.rows
        first_ticket, first_event = len(rows.tickets), len(rows.events)
        tickets = [self.apply(script) for script in scripts]
        if self.planner is None:
            return
        raised, timelines = self.planner.plan_with_timelines(
            [(t.state["id"], t.state["service_id"], t.timeline) for t in tickets]
        )
        rows.timelines.append(timelines)
        if not raised:
            return
        # A scan's alerts change nothing but the ticket's version and last change: they join
        # the timeline where the scan ran (after the events of its moment), and the events
        # after them move up in sequence, as if the scans had been steps all along. Only the
        # scans that raise anything join the scripts: an idle scan changes nothing.
        events = rows.events[first_event:]
        del rows.events[first_event:]
        begin = 0
        for number, (script, ticket) in enumerate(zip(scripts, tickets, strict=True)):
            end = begin + len(ticket.timeline)
            found = raised.get(ticket.state["id"])
            if not found:
                rows.events.extend(events[begin:end])
            else:
                scans = sorted(found)
                script.steps = _merged(script.steps, scans)
                merged = self._with_alerts(events[begin:end], scans, found)
                rows.events.extend(merged)
                index = first_ticket + number
                row = list(rows.tickets[index])
                row[_VERSION], row[_UPDATED_AT] = len(merged), merged[-1][3]
                rows.tickets[index] = tuple(row)
            begin = end

    @staticmethod
    def _with_alerts(
        events: list[tuple[Any, ...]], scans: list[int], found: Raised
    ) -> list[tuple[Any, ...]]:
        """A ticket's event rows with the alerts of its scans, each after the events of its
        moment, numbered again in order; each alert as `_op_sla_scan` writes it: by the
        system, the ticket's state unchanged."""
        merged: list[tuple[Any, ...]] = []
        j = 0
        for at in scans:
            while j < len(events) and events[j][3] <= at:
                merged.append(events[j])
                j += 1
            # The ticket and its state columns as the event before leaves them.
            ticket, state = merged[-1][0], merged[-1][8:12]
            for kind, payload in found[at]:
                merged.append(
                    (ticket, 0, kind, at, _SYSTEM_KIND, None, None, SYSTEM.label, *state,
                     "{}", _json(payload), "", False, at)
                )  # fmt: skip
        merged.extend(events[j:])
        return [(row[0], sequence, *row[2:]) for sequence, row in enumerate(merged, start=1)]

    # --- Opening, as `ticket_open` ------------------------------------------------------------

    def _open(self, script: TicketScript) -> _Ticket:
        o = script.opening
        ticket_id = self.ticket_id(script.index)
        self._types[script.index] = o.type
        provision = self.world.route(o.service_id, script.area_id, script.at)
        holder = provision.supplier_id if provision else None
        state: dict[str, Any] = {
            "id": ticket_id,
            "type": o.type,
            "title": o.title.strip(),
            "description": o.description.strip(),
            "service_id": o.service_id,
            "channel": o.channel,
            "status": ASSIGNED if provision else NEW,
            "impact": o.impact,
            "urgency": o.urgency,
            "priority": int(priority_for(o.impact, o.urgency)),
            "priority_overridden": False,
            "priority_reason": "",
            "holder_supplier_id": holder,
            "assignee_id": None,
            "supplier_reference": "",
            "acknowledged_at": None,
            "holder_acknowledged_at": None,
            "resolution_code": "",
            "resolution_note": "",
            "major_incident": False,
            "reporter_first_name": o.reporter_first_name.strip(),
            "reporter_last_name": o.reporter_last_name.strip(),
            "reporter_email": o.reporter_email.strip(),
            "reporter_phone": o.reporter_phone.strip(),
            "reporter_contact_preference": o.reporter_contact_preference,
            "reporter_account_id": None,
            "reporter_anonymous": o.reporter_anonymous,
            # Nobody holds a seeded ticket's private link: a random hash that no secret has.
            "private_token_hash": hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
            "latitude": o.latitude,
            "longitude": o.longitude,
            "address": o.address.strip(),
            "address_id": o.address_id.strip(),
            "area_id": script.area_id,
            "answers": o.answers,
            "created_at": script.at,
            "updated_at": script.at,
            "resolved_at": None,
            "closed_at": None,
            "version": 1,
        }
        ticket = _Ticket(state)
        self._hold(ticket, script.at)
        new = {
            "type": o.type,
            "service": o.service_id,
            "channel": o.channel,
            "status": state["status"],
            "impact": o.impact,
            "urgency": o.urgency,
            "priority": state["priority"],
            "area": script.area_id,
            "provision": provision.id if provision else None,
            "sla_policy": provision.policy_id if provision else None,
            "holder_supplier": holder,
        }
        self._event(ticket, "opened", script.actor, script.at, {}, new, "", True)
        return ticket

    # --- Each domain function ---------------------------------------------------------------

    def _op_assign(self, ticket: _Ticket, step: Step) -> None:
        state, args = ticket.state, step.args
        holder = args.get("holder", KEEP)
        new_holder = state["holder_supplier_id"] if holder is KEEP else holder
        hands_over = new_holder != state["holder_supplier_id"]
        changes: dict[str, Any] = {"assignee_id": args.get("assignee")}
        extra: dict[str, Any] = {}
        if hands_over:
            provision = (
                self.world.provision_of(new_holder, state["service_id"], state["area_id"], step.at)
                if new_holder is not None
                else None
            )
            changes |= {
                "holder_supplier_id": new_holder,
                "status": ASSIGNED,
                "holder_acknowledged_at": None,
            }
            extra = {
                "provision": provision.id if provision else None,
                "sla_policy": provision.policy_id if provision else None,
            }
        self._change(ticket, step, "assigned", changes, extra, reason=args.get("reason", ""))
        if hands_over:
            self._hold(ticket, step.at)

    def _op_route(self, ticket: _Ticket, step: Step) -> None:
        state = ticket.state
        provision = self.world.route(state["service_id"], state["area_id"], step.at)
        new_holder = provision.supplier_id if provision else None
        changes = {
            "assignee_id": None,
            "holder_supplier_id": new_holder,
            "status": ASSIGNED,
            "holder_acknowledged_at": None,
        }
        extra = {
            "provision": provision.id if provision else None,
            "sla_policy": provision.policy_id if provision else None,
        }
        self._change(ticket, step, "routed", changes, extra, reason=step.args.get("reason", ""))
        self._hold(ticket, step.at)

    def _op_acknowledge(self, ticket: _Ticket, step: Step) -> None:
        self._change(ticket, step, "acknowledged", self._acknowledgement(ticket, step), public=True)

    def _op_start(self, ticket: _Ticket, step: Step) -> None:
        changes = {"status": IN_PROGRESS} | self._acknowledgement(ticket, step)
        self._change(ticket, step, "status_changed", changes, public=True)

    def _op_wait(self, ticket: _Ticket, step: Step) -> None:
        on = step.args["on"]
        status = "waiting_resident" if on == "resident" else "waiting_third_party"
        self._change(
            ticket,
            step,
            "waiting",
            {"status": status},
            reason=step.args["reason"].strip(),
            public=on == "resident",
        )

    def _op_resume(self, ticket: _Ticket, step: Step) -> None:
        reason = step.args.get("reason", "").strip()
        self._change(ticket, step, "resumed", {"status": IN_PROGRESS}, reason=reason, public=True)

    def _op_resolve(self, ticket: _Ticket, step: Step) -> None:
        changes = {
            "status": RESOLVED,
            "resolution_code": step.args["resolution_code"],
            "resolution_note": step.args.get("note", "").strip(),
            "resolved_at": step.at,
        } | self._acknowledgement(ticket, step)
        self._change(ticket, step, "resolved", changes, public=True)

    def _op_close(self, ticket: _Ticket, step: Step) -> None:
        changes = {"status": CLOSED, "closed_at": step.at}
        self._change(ticket, step, "closed", changes, public=True)

    def _op_reopen(self, ticket: _Ticket, step: Step) -> None:
        changes = {
            "status": IN_PROGRESS,
            "resolution_code": "",
            "resolution_note": "",
            "resolved_at": None,
            "closed_at": None,
        }
        reason = step.args["reason"].strip()
        self._change(ticket, step, "reopened", changes, reason=reason, public=True)

    def _op_cancel(self, ticket: _Ticket, step: Step) -> None:
        changes = {"status": CANCELLED, "closed_at": step.at}
        reason = step.args["reason"].strip()
        self._change(ticket, step, "cancelled", changes, reason=reason, public=True)

    def _op_duplicate(self, ticket: _Ticket, step: Step) -> None:
        master_index = step.args["master"]
        master_id = self.ticket_id(master_index)
        changes = {
            "status": CLOSED,
            "resolution_code": "duplicate",
            "resolved_at": step.at,
            "closed_at": step.at,
        } | self._acknowledgement(ticket, step)
        extra = {
            "duplicate_of": master_id,
            "duplicate_of_reference": reference(self._types[master_index], master_id),
        }
        reason = step.args.get("reason", "").strip()
        self._change(ticket, step, "duplicate", changes, extra, reason=reason, public=True)
        self.rows.links.append((ticket.state["id"], master_id, "duplicate_of", step.at))

    def _op_note(self, ticket: _Ticket, step: Step) -> None:
        state = ticket.state
        body, public = step.args["body"].strip(), step.args["public"]
        changes: dict[str, Any] = {}
        if public and state["status"] in OPEN and self._is_staff(step.actor):
            changes["acknowledged_at"] = state["acknowledged_at"] or step.at
            if self._acts_for_holder(step.actor, state["holder_supplier_id"]):
                changes["holder_acknowledged_at"] = state["holder_acknowledged_at"] or step.at
        self._change(ticket, step, "note", changes, {"body": body}, public=public)
        ticket.notes.append(body)

    def _op_supplier_reference(self, ticket: _Ticket, step: Step) -> None:
        reference_text = step.args["reference"].strip()
        self._change(ticket, step, "supplier_reference", {"supplier_reference": reference_text})

    def _op_override_priority(self, ticket: _Ticket, step: Step) -> None:
        reason = step.args["reason"].strip()
        changes = {
            "priority": step.args["priority"],
            "priority_overridden": True,
            "priority_reason": reason,
        }
        self._change(ticket, step, "priority_changed", changes, reason=reason)

    def _op_major_incident(self, ticket: _Ticket, step: Step) -> None:
        reason = step.args["reason"].strip()
        major = bool(step.args["major"])
        self._change(ticket, step, "major_incident", {"major_incident": major}, reason=reason)

    def _op_satisfaction(self, ticket: _Ticket, step: Step) -> None:
        # A ticket has at most one response in the history: numbering them by ticket lets
        # batches be emulated apart and in any order.
        response_id = self.first_satisfaction_id + ticket.state["id"] - self.first_ticket_id
        score, comment = step.args["score"], step.args.get("comment", "").strip()
        self.rows.satisfaction.append((response_id, ticket.state["id"], score, comment, step.at))
        self._change(ticket, step, "satisfaction", {}, {"score": score, "response": response_id})

    def _op_sla_scan(self, ticket: _Ticket, step: Step) -> None:
        # A script applied with its scans already in place: fold the ticket as the scan does.
        assert self.planner is not None
        state = ticket.state
        due = self.planner.due(state["id"], state["service_id"], ticket.timeline, step.at)
        for kind, payload in due:
            self._change(ticket, step, str(kind), {}, payload)

    # --- The machinery, as `services._change` and `_write_event` ------------------------------

    @staticmethod
    def _acknowledgement(ticket: _Ticket, step: Step) -> dict[str, Any]:
        state = ticket.state
        return {
            "acknowledged_at": state["acknowledged_at"] or step.at,
            "holder_acknowledged_at": state["holder_acknowledged_at"] or step.at,
        }

    def _change(
        self,
        ticket: _Ticket,
        step: Step,
        kind: str,
        changes: dict[str, Any],
        extra_new: dict[str, Any] | None = None,
        *,
        reason: str = "",
        public: bool = False,
    ) -> None:
        state = ticket.state
        old: dict[str, Any] = {}
        new: dict[str, Any] = {}
        for name, value in changes.items():
            before = state[name]
            if before == value:
                continue
            key = JSON_KEYS.get(name, name)
            if name in TIMES:
                old[key] = iso(before) if before is not None else None
                new[key] = iso(value) if value is not None else None
            else:
                old[key], new[key] = before, value
            state[name] = value
        state["version"] += 1
        state["updated_at"] = step.at
        self._event(
            ticket, kind, step.actor, step.at, old, {**new, **(extra_new or {})}, reason, public
        )

    def _event(
        self,
        ticket: _Ticket,
        kind: str,
        actor: ActorRef,
        at: int,
        old: dict[str, Any],
        new: dict[str, Any],
        reason: str,
        public: bool,
    ) -> None:
        state = ticket.state
        user_id = key_id = None
        if actor.kind == ActorKind.PERSON:
            user_id = actor.id
            label = self.world.people[actor.id or 0].label
        elif actor.kind == ActorKind.API_KEY:
            key_id = actor.id
            label = self.world.keys[actor.id or 0].label
        else:
            label = actor.label
        alert = -1
        if kind in ALERT_KINDS and self.planner is not None:
            alert = self.planner.alert_key(new)
        ticket.timeline.append(
            (
                at,
                kind,
                state["status"],
                state["holder_supplier_id"],
                state["priority"],
                state["holder_acknowledged_at"] is not None,
                "acknowledged_at" in new,
                new.get("sla_policy") if kind in HOLDER_KINDS else None,
                alert,
                reason,
            )
        )
        self.rows.events.append(
            (
                state["id"],
                state["version"],
                kind,
                at,
                str(actor.kind),
                user_id,
                key_id,
                label,
                state["status"],
                state["holder_supplier_id"],
                state["priority"],
                state["holder_acknowledged_at"] is not None,
                _json(old) if old else "{}",
                _json(new) if new else "{}",
                reason,
                public,
                # Seeded history is the past: nothing in it is sent to anyone.
                at,
            )
        )

    def _hold(self, ticket: _Ticket, at: int) -> None:
        holder = ticket.state["holder_supplier_id"]
        if holder is not None and holder not in ticket.held:
            ticket.held.add(holder)
            self.rows.holdings.append((ticket.state["id"], holder, at))

    def _is_staff(self, actor: ActorRef) -> bool:
        if actor.kind == ActorKind.PERSON:
            return True
        return (
            actor.kind == ActorKind.API_KEY
            and self.world.keys[actor.id or 0].supplier_id is not None
        )

    def _acts_for_holder(self, actor: ActorRef, holder: int | None) -> bool:
        if holder is None:
            return actor.kind == ActorKind.PERSON and self.world.people[actor.id or 0].is_integrator
        if actor.kind == ActorKind.PERSON:
            person = self.world.people[actor.id or 0]
            return not person.is_integrator and person.supplier_id == holder
        if actor.kind == ActorKind.API_KEY:
            return self.world.keys[actor.id or 0].supplier_id == holder
        return False

    def _finish(self, ticket: _Ticket) -> None:
        """The ticket's row and its search document, as `search.document_text` builds it."""
        state = ticket.state
        row = _TICKET_VALUES(state)
        self.rows.tickets.append((*row[:_ANSWERS], _json(row[_ANSWERS]), *row[_ANSWERS + 1 :]))
        name = f"{state['reporter_first_name']} {state['reporter_last_name']}".strip()
        parts = [
            reference(state["type"], state["id"]),
            state["title"],
            state["description"],
            name,
            state["reporter_email"],
            state["address"],
            state["supplier_reference"],
            *ticket.notes,
        ]
        self.rows.search.append((state["id"], "\n".join(p for p in parts if p)))


class _Ticket:
    """A ticket being emulated: its fields, and what its search document and clocks need."""

    __slots__ = ("held", "notes", "state", "timeline")

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.held: set[int] = set()
        self.notes: list[str] = []
        self.timeline: list[Entry] = []


def _merged(steps: list[Step], scans: list[int]) -> list[Step]:
    """The steps with a breach scan at each of `scans`, after any step at the same moment."""
    merged: list[Step] = []
    pending = list(scans)
    for step in steps:
        while pending and pending[0] < step.at:
            merged.append(Step(Op.SLA_SCAN, pending.pop(0), SYSTEM))
        merged.append(step)
    merged.extend(Step(Op.SLA_SCAN, at, SYSTEM) for at in pending)
    return merged
