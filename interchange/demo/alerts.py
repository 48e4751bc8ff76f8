"""SLA warnings and breaches in the seeded history, raised when a live breach scan would have
raised them, so the worker finds nothing from the past to raise (and mail) when it starts.

The clocks decide everything: a bulk fold of each batch at the history's end says when each
clock crossed its target, and a second fold with every target cut to the warning share says
when it crossed that. The scan is placed at the next whole minute (the scan runs every
minute), and at each scan the real fold, as `sla.raise_due_alerts` runs it, says what is due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any, NamedTuple

import numpy as np

from interchange.core.businesstime import from_epoch_us

MINUTE_US = 60_000_000
# One timeline entry: at (epoch s), kind, status, holder, priority, holder acknowledged,
# acknowledges, policy, alert clock key (-1 for none), reason.
Entry = tuple[int, str, str, int | None, int, bool, bool, int | None, int, str]
# What the breach scans raise for a ticket: by scan moment (epoch s), each alert's kind and
# payload, in the order raised.
Raised = dict[int, list[tuple[str, dict[str, Any]]]]


class Folded(NamedTuple):
    """A batch's SLA clocks and holder segments as `servicedesk.clockstore` rows, folded as
    of `at`."""

    at: datetime
    clocks: Any
    segments: Any


class Planner:
    """Finds when each ticket of a batch needs a breach scan, and what the scan raises."""

    def __init__(self, end: int) -> None:
        from interchange.servicedesk import clocks, sla

        self.clocks, self.sla = clocks, sla
        self.end = end
        self.end_at = datetime.fromtimestamp(end, UTC)
        self.rules = clocks.Rules.load()
        self.share = sla.warning_share()
        self.warning_rules = self._scaled(self.rules)

    def _scaled(self, rules: Any) -> Any:
        """The rules with every target cut to the warning share: their breach is the warning."""
        clocks = self.clocks
        basis = clocks.warning_basis_points(self.share)

        def cut(value: timedelta) -> timedelta:
            return timedelta(microseconds=(value // clocks.ONE_US) * basis // clocks.BASIS_POINTS)

        def scale(target: Any) -> Any:
            return clocks.Target(cut(target.response), cut(target.resolution), target.calendar)

        return clocks.Rules(
            end_to_end={key: scale(t) for key, t in rules.end_to_end.items()},
            desk={key: scale(t) for key, t in rules.desk.items()},
            versions={
                policy: [
                    clocks.VersionRef(
                        v.id,
                        v.policy_id,
                        v.number,
                        v.effective_from,
                        {p: scale(t) for p, t in v.targets.items()},
                    )
                    for v in versions
                ]
                for policy, versions in rules.versions.items()
            },
        )

    def scan_times(
        self, tickets: Sequence[tuple[int, int, Sequence[Entry]]]
    ) -> dict[int, list[int]]:
        """For (ticket id, service id, timeline) of a batch: the moments (epoch s, before the
        history's end) a scan would find a warning or breach due, by ticket id."""
        return self._scan_times(tickets, self._table(tickets))

    def _table(self, tickets: Sequence[tuple[int, int, Sequence[Entry]]]) -> Any:
        """Every timeline entry as a row of int64: the ticket's position in `tickets`, then
        the `clocks.Timelines` columns (instants in epoch µs), in ticket then time order."""
        clocks = self.clocks
        # Read straight into the array, without a list of tuples between.
        return np.fromiter(
            chain.from_iterable(
                (
                    position,
                    at * 1_000_000,
                    clocks.STATUS_CODE[status],
                    holder or 0,
                    priority,
                    clocks.KIND_CODE.get(kind, 0),
                    held,
                    acknowledges,
                    (policy or 0) if kind in clocks.HOLDER_KINDS else 0,
                    alert,
                )
                for position, (_id, _service, timeline) in enumerate(tickets)
                for at, kind, status, holder, priority, held, acknowledges, policy, alert, _r in (
                    timeline
                )
            ),
            dtype=np.int64,
            count=10 * sum(len(timeline) for _id, _service, timeline in tickets),
        ).reshape(-1, 10)

    def fold(self, batches: Sequence[Any], at: datetime) -> Folded:
        """The SLA clocks and holder segments of each batch's `clocks.Timelines`, alerts
        included (from `plan_with_timelines`), as of `at`: the rows `sla.recompute` would
        store for them, without reading the events back."""
        from interchange.servicedesk import clockstore

        clock_rows, segment_rows = [], []
        for timelines in batches:
            result = self.clocks.fold_many(
                timelines, rules=self.rules, at=at, warning_share=self.share
            )
            clock_rows.append(clockstore.clock_rows(result))
            segment_rows.append(clockstore.segment_rows(result))
        return Folded(at, np.concatenate(clock_rows), np.concatenate(segment_rows))

    def _timelines(self, tickets: Sequence[tuple[int, int, Sequence[Entry]]], table: Any) -> Any:
        """`clocks.Timelines` of the tickets from their `_table`."""
        clocks = self.clocks
        ids = np.array([t[0] for t in tickets], dtype=np.int64)
        return clocks.Timelines.from_rows(
            np.column_stack([ids[table[:, 0]], table[:, 1:]]), ids, [t[1] for t in tickets]
        )

    def _scan_times(
        self, tickets: Sequence[tuple[int, int, Sequence[Entry]]], table: Any
    ) -> dict[int, list[int]]:
        clocks = self.clocks
        if not len(table):
            return {}
        timelines = self._timelines(tickets, table)
        # When each ticket's priority changed (epoch µs). A raised priority can make an
        # alert due at once, its new target already passed: the live scan raises it the
        # minute after the change, which the due moment at the end does not tell.
        changed = (
            np.flatnonzero((table[1:, 0] == table[:-1, 0]) & (table[1:, 4] != table[:-1, 4])) + 1
        )
        changes: dict[int, list[int]] = {}
        for position, at_us in table[changed, :2].tolist():
            changes.setdefault(tickets[position][0], []).append(at_us)
        changing = np.array(list(changes), dtype=np.int64)
        owners: list[Any] = []
        moments: list[Any] = []
        for rules in (self.rules, self.warning_rules):
            result = clocks.fold_many(
                timelines, rules=rules, at=self.end_at, warning_share=self.share
            )
            for arrays, who in (
                (result.response, result.ticket_ids),
                (result.resolution, result.ticket_ids),
                (result.segment_response, result.segment_ticket),
                (result.segment_resolution, result.segment_ticket),
            ):
                for due in (arrays.breach_due, arrays.warning_due):
                    # The first whole minute at or after the moment it falls due.
                    scan = -(-due // MINUTE_US) * 60
                    keep = (due != clocks.NONE) & (scan < self.end)
                    owners.append(who[keep])
                    moments.append(scan[keep])
                    later = (due != clocks.NONE) & np.isin(who, changing)
                    for ticket_id, due_us in zip(
                        who[later].tolist(), due[later].tolist(), strict=True
                    ):
                        for at_us in changes[ticket_id]:
                            scan_at = -(-at_us // MINUTE_US) * 60
                            if at_us > due_us and scan_at < self.end:
                                owners.append(np.array([ticket_id], dtype=np.int64))
                                moments.append(np.array([scan_at], dtype=np.int64))
        found: dict[int, list[int]] = {}
        pairs = np.unique(
            np.column_stack([np.concatenate(owners), np.concatenate(moments)]), axis=0
        )
        for ticket_id, scan in pairs.tolist():
            found.setdefault(ticket_id, []).append(scan)
        return found

    def plan_with_timelines(
        self, tickets: Sequence[tuple[int, int, Sequence[Entry]]]
    ) -> tuple[dict[int, Raised], Any]:
        """For (ticket id, service id, timeline) of a batch: at each scan that raises
        anything, what it raises, by ticket id and then scan moment (epoch s); idle scans are
        left out. The same as `due` at each of `scan_times`, in order, each scan's alerts
        joining the timeline before the next, but folded in bulk: each round folds every
        ticket's next scan at once (`clocks.fold_many_at`).

        And the batch's `clocks.Timelines` with the alerts raised in place: after the entries
        of their scan's moment, in the order raised, as the emulator puts their events. What
        `fold` takes, so the timelines are not read again."""
        table = self._table(tickets)
        raised, alerts = self._raise(tickets, table)
        return raised, self._timelines(tickets, _inserted(table, alerts))

    def _raise(
        self, tickets: Sequence[tuple[int, int, Sequence[Entry]]], table: Any
    ) -> tuple[dict[int, Raised], Any]:
        """What `plan_with_timelines` raises, from the batch's `_table`, and the alerts as
        rows of that table."""
        scans = self._scan_times(tickets, table)
        picked = [p for p, t in enumerate(tickets) if t[0] in scans]
        none = np.empty((0, table.shape[1]), dtype=np.int64)
        if not picked:
            return {}, none
        chosen = [tickets[p] for p in picked]
        # Every chosen ticket's timeline, by its position among the chosen.
        renumber = np.full(len(tickets), -1, dtype=np.int64)
        renumber[picked] = np.arange(len(picked))
        base = table[renumber[table[:, 0]] >= 0]
        base[:, 0] = renumber[base[:, 0]]
        clocks = self.clocks
        ids = np.array([t[0] for t in chosen], dtype=np.int64)
        services = np.array([t[1] for t in chosen], dtype=np.int64)
        times = [scans[t[0]] for t in chosen]
        raised: dict[int, Raised] = {}
        # Alerts raised so far, as rows like `base` (an array per round): they join the
        # timelines of later scans.
        added: list[Any] = []
        for round_ in range(max(len(t) for t in times)):
            moment = np.array([t[round_] if round_ < len(t) else -1 for t in times], dtype=np.int64)
            # Only the tickets with a scan this round: most have one or two in all.
            active = moment >= 0
            table = base[active[base[:, 0]]]
            if added:
                alerts = np.concatenate(added)
                alerts = alerts[active[alerts[:, 0]]]
                if len(alerts):
                    table = np.concatenate([table, alerts])
                    # By ticket, then time; an alert after the events of its own moment
                    # (the scan runs after them), in the order raised.
                    table = table[np.lexsort((np.arange(len(table)), table[:, 1], table[:, 0]))]
            table = table[table[:, 1] <= moment[table[:, 0]] * 1_000_000]
            positions = np.flatnonzero(active)
            timelines = clocks.Timelines(
                ticket=ids[table[:, 0]],
                at=table[:, 1].copy(),
                status=table[:, 2].astype(np.int8),
                holder=table[:, 3].copy(),
                priority=table[:, 4].astype(np.int8),
                kind=table[:, 5].astype(np.int8),
                holder_acknowledged=table[:, 6].astype(np.bool_),
                acknowledges=table[:, 7].astype(np.bool_),
                policy=table[:, 8].copy(),
                alert=table[:, 9].copy(),
                ticket_ids=ids[positions],
                service_ids=services[positions],
            )
            at_us = moment[positions] * 1_000_000
            result = clocks.fold_many_at(
                timelines, rules=self.rules, at_us=at_us, warning_share=self.share
            )
            # The state after each ticket's last event by the scan: what its alerts carry.
            last = np.append(np.flatnonzero(np.diff(table[:, 0])), len(table) - 1)
            found = self._found(result, positions, at_us)
            if not found:
                continue
            where = np.array([f[0] for f in found], dtype=np.int64)
            # Status, holder, priority, kind and holder acknowledged of that last event.
            states = table[last[np.searchsorted(positions, where)], 2:7].tolist()
            rows = []
            for (position, key, kind, payload), state, ticket_id, second in zip(
                found, states, ids[where].tolist(), moment[where].tolist(), strict=True
            ):
                raised.setdefault(ticket_id, {}).setdefault(second, []).append((kind, payload))
                code = clocks.KIND_WARNING if kind == "sla_warning" else clocks.KIND_BREACH
                status, holder, priority, _kind, held = state
                rows.append(
                    (position, second * 1_000_000, status, holder, priority, code, held, 0, 0, key)
                )
            added.append(np.array(rows, dtype=np.int64))
        if not added:
            return raised, none
        alerts = np.concatenate(added)
        # Positions among the chosen back to positions in the batch.
        alerts[:, 0] = np.array(picked, dtype=np.int64)[alerts[:, 0]]
        return raised, alerts

    def _found(
        self, result: Any, positions: Any, at_us: Any
    ) -> list[tuple[int, int, str, dict[str, Any]]]:
        """Each alert the bulk fold finds due by its ticket's scan, as `Fold.alerts_due` finds
        them: (ticket position, clock key, kind, payload), by ticket then clock key."""
        clocks, none = self.clocks, self.clocks.NONE
        ticket_at = dict(zip(result.ticket_ids.tolist(), at_us.tolist(), strict=True))
        position_of = dict(zip(result.ticket_ids.tolist(), positions.tolist(), strict=True))
        numbers = result.segment_number.tolist()
        holders = result.segment_holder.tolist()
        found = []
        for arrays, owners, resolution, on_segments in (
            (result.response, result.ticket_ids, False, False),
            (result.resolution, result.ticket_ids, True, False),
            (result.segment_response, result.segment_ticket, False, True),
            (result.segment_resolution, result.segment_ticket, True, True),
        ):
            owner_at = np.array([ticket_at[t] for t in owners.tolist()], dtype=np.int64)
            breach = (arrays.breach_due != none) & (arrays.breach_due <= owner_at)
            warning = ~breach & (arrays.warning_due != none) & (arrays.warning_due <= owner_at)
            for i in np.flatnonzero(breach | warning).tolist():
                is_breach = bool(breach[i])
                number = numbers[i] if on_segments else 0
                ref = clocks.ClockRef.from_key(number * 2 + resolution)
                target = int(arrays.target[i])
                deadline = int(arrays.deadline[i])
                assert arrays.priority is not None
                payload = self.sla.payload_of(
                    ref,
                    holder=(holders[i] or None) if on_segments else None,
                    priority=int(arrays.priority[i]),
                    target=None if target == none else timedelta(microseconds=target),
                    elapsed=timedelta(microseconds=int(arrays.elapsed[i])),
                    due_at=from_epoch_us(
                        int(arrays.breach_due[i] if is_breach else arrays.warning_due[i])
                    ),
                    deadline=None if deadline == none else from_epoch_us(deadline),
                )
                kind = "sla_breach" if is_breach else "sla_warning"
                found.append((position_of[int(owners[i])], ref.key, kind, payload))
        found.sort(key=lambda f: (f[0], f[1]))
        return found

    def due(
        self, ticket_id: int, service_id: int, timeline: Sequence[Entry], at: int
    ) -> list[tuple[str, dict[str, Any]]]:
        """What the breach scan raises for the ticket at `at`: (kind, payload) of each alert,
        from the real fold, as `sla.raise_due_alerts` does."""
        clocks = self.clocks
        moment = datetime.fromtimestamp(at, UTC)
        steps = [
            clocks.Step(
                at=datetime.fromtimestamp(when, UTC),
                kind=kind,
                status=status,
                holder=holder,
                priority=priority,
                holder_acknowledged=held,
                acknowledges=acknowledges,
                policy=policy if kind in clocks.HOLDER_KINDS else None,
                alert=clocks.ClockRef.from_key(alert) if alert >= 0 else None,
                reason=reason,
            )
            for when, kind, status, holder, priority, held, acknowledges, policy, alert, reason in (
                timeline
            )
        ]
        result = clocks.fold(
            steps,
            ticket_id=ticket_id,
            service_id=service_id,
            rules=self.rules,
            at=moment,
            warning_share=self.share,
        )
        # The sla module's own payload, so a seeded alert reads exactly like a live one.
        return [
            (alert.kind, self.sla.alert_payload(result, alert))
            for alert in result.alerts_due(moment)
        ]

    def alert_key(self, payload: dict[str, Any]) -> int:
        ref = self.clocks.ClockRef.from_payload(payload)
        return ref.key if ref is not None else -1


def _inserted(table: Any, rows: Any) -> Any:
    """`table` (rows of ticket position, then instant, in that order) with `rows` put in:
    each after the entries of its ticket at or before its instant, those of one moment in
    the order given. Each row's ticket has an entry at or before it (an alert comes after
    the ticket opened), and a ticket's rows come in time order. One search over a single
    key, position then instant: a sort of the whole costs some fifty times more."""
    if not len(rows):
        return table
    low = min(table[:, 1].min(), rows[:, 1].min())
    span = int(max(table[:, 1].max(), rows[:, 1].max()) - low + 1)
    if int(max(table[-1, 0], rows[:, 0].max()) + 1) * span >= 2**62:
        raise OverflowError("A batch's timelines span too long to merge by one key.")
    keys = table[:, 0] * span + (table[:, 1] - low)
    where = np.searchsorted(keys, rows[:, 0] * span + (rows[:, 1] - low), side="right")
    return np.insert(table, where, rows, axis=0)
