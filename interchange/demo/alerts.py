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
from typing import Any

MINUTE_US = 60_000_000
# One timeline entry: at (epoch s), kind, status, holder, priority, holder acknowledged,
# acknowledges, policy, alert clock key (-1 for none), reason.
Entry = tuple[int, str, str, int | None, int, bool, bool, int | None, int, str]


def available() -> bool:
    """Whether the SLA clocks exist to plan with."""
    try:
        from interchange.servicedesk import clocks, sla  # noqa: F401
    except ImportError:
        return False
    return True


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
        clocks = self.clocks
        rows: list[tuple[int, ...]] = []
        for ticket_id, _service, timeline in tickets:
            rows.extend(
                (
                    ticket_id,
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
                for at, kind, status, holder, priority, held, acknowledges, policy, alert, _r in (
                    timeline
                )
            )
        if not rows:
            return {}
        timelines = clocks.Timelines.from_rows(
            rows, [t[0] for t in tickets], [t[1] for t in tickets]
        )
        found: dict[int, set[int]] = {}
        for rules in (self.rules, self.warning_rules):
            result = clocks.fold_many(
                timelines, rules=rules, at=self.end_at, warning_share=self.share
            )
            ids = result.ticket_ids.tolist()
            owners = result.segment_ticket.tolist()
            for arrays, who in (
                (result.response, ids),
                (result.resolution, ids),
                (result.segment_response, owners),
                (result.segment_resolution, owners),
            ):
                for due_array in (arrays.breach_due, arrays.warning_due):
                    for ticket_id, due in zip(who, due_array.tolist(), strict=True):
                        if due == clocks.NONE:
                            continue
                        scan = -(-due // MINUTE_US) * 60
                        if scan < self.end:
                            found.setdefault(ticket_id, set()).add(scan)
        return {ticket_id: sorted(times) for ticket_id, times in found.items()}

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
