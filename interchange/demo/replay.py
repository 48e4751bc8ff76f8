"""Replaying ticket scripts through the real domain functions, one call per step at its own
moment, all tickets' steps merged in time order: what the bulk writer must equal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from interchange.accounts.models import ApiKey, User
from interchange.catalogue.models import Service
from interchange.demo.scripts import ActorKind, ActorRef, Op, Step, TicketScript
from interchange.servicedesk import services
from interchange.servicedesk.actors import Actor, Resident, System
from interchange.servicedesk.models import Ticket
from interchange.suppliers.models import Supplier


def _moment(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class Replayer:
    """Calls `servicedesk.services` (and the SLA breach scan) for each step of the scripts."""

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self._people = {u.pk: u for u in User.objects.all()}
        self._keys = {k.pk: k for k in ApiKey.objects.select_related("supplier")}
        self._services = {s.pk: s for s in Service.objects.all()}
        self._suppliers = {s.pk: s for s in Supplier.objects.all()}

    def run(self, scripts: list[TicketScript]) -> dict[int, int]:
        """Replay every script; returns each script's index → the new ticket's id."""
        moments: list[tuple[int, int, int, TicketScript, Step | None]] = []
        for script in scripts:
            moments.append((script.at, script.index, -1, script, None))
            moments.extend(
                (step.at, script.index, n, script, step) for n, step in enumerate(script.steps)
            )
        # Time order across tickets: a duplicate's master must be as it was at that moment.
        moments.sort(key=lambda m: (m[0], m[1], m[2]))
        for _at, _index, _n, script, step in moments:
            if step is None:
                self._open(script)
            else:
                self._step(script, step)
        return self.ids

    def actor(self, ref: ActorRef) -> Actor:
        if ref.kind == ActorKind.PERSON:
            return self._people[ref.id or 0]
        if ref.kind == ActorKind.API_KEY:
            return self._keys[ref.id or 0]
        if ref.kind == ActorKind.SYSTEM:
            return System(ref.label)
        return Resident(ref.label)

    def _open(self, script: TicketScript) -> None:
        o = script.opening
        opened = services.ticket_open(
            actor=self.actor(script.actor),
            type=o.type,
            service=self._services[o.service_id],
            title=o.title,
            channel=o.channel,
            impact=o.impact,
            urgency=o.urgency,
            description=o.description,
            reporter_first_name=o.reporter_first_name,
            reporter_last_name=o.reporter_last_name,
            reporter_email=o.reporter_email,
            reporter_phone=o.reporter_phone,
            reporter_contact_preference=o.reporter_contact_preference,
            reporter_anonymous=o.reporter_anonymous,
            latitude=o.latitude,
            longitude=o.longitude,
            address=o.address,
            address_id=o.address_id,
            answers=o.answers,
            at=_moment(script.at),
        )
        self.ids[script.index] = opened.ticket.pk

    def _step(self, script: TicketScript, step: Step) -> None:
        ticket = Ticket(pk=self.ids[script.index])
        at = _moment(step.at)
        if step.op == Op.SLA_SCAN:
            from interchange.servicedesk import sla

            sla.raise_due_alerts(ticket.pk, at=at)
            return
        args: dict[str, Any] = dict(step.args)
        if step.op == Op.ASSIGN:
            if "holder" in args:
                holder = args.pop("holder")
                args["holder"] = services.DESK if holder is None else self._suppliers[holder]
            assignee = args.pop("assignee", None)
            args["assignee"] = self._people[assignee] if assignee is not None else None
        elif step.op == Op.DUPLICATE:
            args["master"] = Ticket.objects.get(pk=self.ids[args.pop("master")])
        function = getattr(services, step.op.value)
        function(ticket=ticket, actor=self.actor(step.actor), at=at, **args)
