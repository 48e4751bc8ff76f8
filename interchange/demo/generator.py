"""The seeded history's generator: ticket scripts for a council's two years, deterministic
from a seed and the anchor day.

Volume follows the weekday and hour of day, each service's season (potholes after the frost,
overgrown hedges in summer, fewer ICT calls in August) and a winter storm in one January week
(street lights, drains, fallen trees). Each ticket then lives a plausible life through the
rules: its holder responds and resolves within times drawn around its targets (slow suppliers
breach more often), waits on residents or third parties, hands back misrouted work, sees its
reports reopened, cancelled and marked as duplicates, and the outgoing supplier's open work
passes to its successors on the transition date.

Tickets are generated a day at a time, each day from its own random stream, so a day's
scripts do not depend on how many days came before or how the work is split.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any

import holidays
import numpy as np
import shapely

from interchange.demo import text
from interchange.demo.catalogue import ServiceSpec
from interchange.demo.dates import local_midnight
from interchange.demo.scripts import (
    RESIDENT,
    SYSTEM,
    ActorKind,
    ActorRef,
    Op,
    Opening,
    Step,
    TicketScript,
)
from interchange.demo.suppliers import OUTGOING, targets_for
from interchange.demo.world import World

HOUR = 3600
DAY = 24 * HOUR
FOREVER = 2**62

MONTHLY: dict[str, tuple[float, ...]] = {
    "flat": (1,) * 12,
    "potholes": (1.6, 1.7, 1.5, 1.1, 0.8, 0.6, 0.5, 0.5, 0.7, 0.9, 1.2, 1.4),
    "dark": (1.4, 1.2, 1.0, 0.8, 0.6, 0.5, 0.5, 0.6, 0.8, 1.1, 1.4, 1.5),
    "winter_only": (3, 3, 0.8, 0.05, 0.02, 0.02, 0.02, 0.02, 0.02, 0.1, 1.0, 2.5),
    "christmas_bins": (1,) * 12,
    "spring_clear": (0.7, 0.8, 1.2, 1.4, 1.3, 1.1, 1.0, 1.0, 1.0, 0.9, 0.8, 0.8),
    "summer_up": (0.7, 0.7, 0.9, 1.0, 1.2, 1.4, 1.5, 1.5, 1.2, 1.0, 0.8, 0.7),
    "autumn_leaves": (1.3, 1.1, 0.9, 0.7, 0.6, 0.6, 0.7, 0.8, 1.0, 1.5, 1.6, 1.4),
    "growing": (0.2, 0.2, 0.5, 1.2, 2.2, 2.6, 2.5, 2.0, 1.2, 0.6, 0.3, 0.2),
    "ict": (1.0, 1.0, 1.0, 0.95, 0.95, 0.9, 0.8, 0.75, 1.05, 1.05, 1.0, 0.7),
    "new_starters": (1.0, 0.9, 0.9, 1.0, 0.9, 0.9, 0.8, 0.9, 1.6, 1.2, 1.0, 0.6),
    "ict_annual_billing": (1.0, 1.1, 2.0, 1.3, 0.9, 0.9, 0.8, 0.75, 1.0, 1.0, 1.0, 0.7),
}
WEEKDAY = {
    "resident": (1.2, 1.1, 1.05, 1.0, 0.95, 0.75, 0.7),
    "ict": (1.25, 1.05, 1.05, 1.0, 0.85, 0.08, 0.06),
}
HOURS = {
    "resident": (
        0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.6, 3.0, 3.6, 3.4, 3.1,
        2.9, 2.8, 2.7, 2.6, 2.7, 3.0, 3.1, 2.8, 2.3, 1.8, 1.1, 0.6,
    ),
    "ict": (
        0.05, 0.02, 0.02, 0.02, 0.02, 0.05, 0.2, 1.2, 4.5, 5.0, 4.6, 4.0,
        3.2, 3.8, 4.0, 3.6, 3.0, 1.6, 0.6, 0.3, 0.2, 0.15, 0.1, 0.05,
    ),
    "always": (1,) * 24,
}  # fmt: skip
STORM_DECAY = (1.0, 0.8, 0.5, 0.3, 0.15)
H, M, L = "high", "medium", "low"
LEVELS: dict[str, tuple[tuple[tuple[str, str], float], ...]] = {
    "routine": (((H, H), 0.5), ((H, M), 3), ((M, H), 3), ((M, M), 40), ((L, H), 4),
                ((M, L), 25), ((L, M), 15), ((L, L), 9)),
    "roads": (((H, H), 1.5), ((H, M), 6), ((M, H), 5), ((M, M), 42), ((H, L), 2),
              ((M, L), 25), ((L, M), 12), ((L, L), 6)),
    "lighting": (((H, H), 1), ((H, M), 4), ((M, H), 4), ((M, M), 50), ((M, L), 28),
                 ((L, L), 13)),
    "urgent": (((H, H), 35), ((H, M), 35), ((M, H), 15), ((M, M), 15)),
    "drains": (((H, H), 4), ((H, M), 12), ((M, H), 10), ((M, M), 45), ((M, L), 20),
               ((L, L), 9)),
    "trees": (((H, H), 10), ((H, M), 20), ((M, H), 15), ((M, M), 35), ((M, L), 20)),
    "low": (((M, M), 25), ((M, L), 35), ((L, M), 20), ((L, L), 20)),
    "ict": (((H, H), 1.5), ((H, M), 5), ((M, H), 6), ((M, M), 45), ((H, L), 3),
            ((M, L), 22), ((L, M), 10), ((L, L), 7.5)),
    "ict_low": (((M, M), 30), ((M, L), 35), ((L, M), 15), ((L, L), 20)),
    "network": (((H, H), 8), ((H, M), 15), ((M, H), 12), ((M, M), 40), ((M, L), 25)),
    "applications": (((H, H), 4), ((H, M), 12), ((M, H), 10), ((M, M), 44), ((M, L), 22),
                     ((L, L), 8)),
    "request": (((M, M), 20), ((M, L), 45), ((L, M), 15), ((L, L), 20)),
}  # fmt: skip
# The weights above as the cumulative weights `random.choices` makes of them on each call
# (the same sums, so the same draws), made once.
_HOURS_CUM = {profile: list(accumulate(weights)) for profile, weights in HOURS.items()}
_LEVELS_CUM = {
    name: ([level for level, _w in levels], list(accumulate(w for _level, w in levels)))
    for name, levels in LEVELS.items()
}
PRIORITY = {(H, H): 1, (H, M): 2, (M, H): 2, (H, L): 3, (M, M): 3, (L, H): 3}
MAJOR_SERVICES = frozenset(
    {"traffic-signals", "site-network", "contact-centre-telephony", "online-forms", "hosting"}
    | {"fallen-tree", "revenues-benefits", "social-care-case"}
)
DESK_DAYS = {
    "password-reset": (0.05, 0.3),
    "system-access": (0.5, 3),
    "noise": (3, 15),
    "abandoned-vehicle": (5, 20),
}
HANDBACK = {"kerbline": "area", "rivermead": "area", "brightdesk": "wrong_team"}
HANDBACK["greenbank"] = HANDBACK["oakfield"] = "private"
OTHER_CONTRACTOR = {"kerbline": "rivermead", "rivermead": "kerbline", "brightdesk": "quayline"}
DESK_AGENTS = ("desk.agent", "desk.agent2", "desk.agent3")


class _Transition(Exception):  # a signal, not an error
    """The outgoing supplier still holds open work when its contract ends."""


def _month_factor(spec: ServiceSpec, day: date) -> float:
    factor = MONTHLY[spec.season][day.month - 1]
    if spec.season == "christmas_bins" and (
        (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day <= 7)
    ):
        factor *= 2.5
    return factor


class Generator:
    """Ticket scripts for `count` tickets between the world's history start and its anchor."""

    def __init__(
        self,
        world: World,
        *,
        count: int,
        seed: int,
        first_day: date | None = None,
        last_day: date | None = None,
    ) -> None:
        """By default the two years before the anchor; `first_day` and `last_day` (both
        included) choose another stretch, as tests do."""
        self.world = world
        self.seed = seed
        self.count = count
        dates = world.dates
        self.first_day = first_day or dates.first_day
        last_day = last_day or dates.anchor_day - timedelta(days=1)
        self.days = (last_day - self.first_day).days + 1
        self.end = world.epoch(local_midnight(last_day + timedelta(days=1)))
        self.specs = list(world.services.items())
        self.transition = (
            world.epoch(local_midnight(world.transition_on)) if world.transition_on else None
        )
        self.outgoing = world.supplier_ids.get(OUTGOING)
        self.desk_agents = [world.usernames[name] for name in DESK_AGENTS]
        self.lead = world.usernames["desk.lead"]
        self.storm = dates.storm_day
        years = range(self.first_day.year, dates.anchor_day.year + 1)
        self.bank = holidays.country_holidays("GB", subdiv="ENG", years=years)
        self.weights = self._weights()
        totals = self.weights.sum(axis=1)
        rng = np.random.default_rng(seed)
        self.per_day = rng.multinomial(count, totals / totals.sum()) if count else totals * 0
        # Demo data, not secrets: a seeded generator is what makes it reproducible.
        self.streets = {ward.id: _streets(random.Random(ward.code)) for ward in world.wards}  # noqa: S311
        ward_weights = [ward.weight for ward in world.wards]
        self.ward_cum = list(np.cumsum(ward_weights))

    def _weights(self) -> np.ndarray:
        """Expected tickets per day and service: volume × season × storm × weekday × trend."""
        weights = np.zeros((self.days, len(self.specs)))
        for d in range(self.days):
            day = self.first_day + timedelta(days=d)
            trend = 0.96 + 0.08 * d / max(self.days, 1)
            storm_index = (day - self.storm).days
            for s, (_id, spec) in enumerate(self.specs):
                kind = "resident" if spec.resident else "ict"
                factor = WEEKDAY[kind][day.weekday()]
                if day in self.bank:
                    factor *= 0.8 if spec.resident else 0.1
                storm = 1.0
                if 0 <= storm_index < len(STORM_DECAY):
                    storm += (spec.storm - 1) * STORM_DECAY[storm_index]
                weights[d, s] = spec.volume * _month_factor(spec, day) * storm * factor * trend
        return weights

    def plan(self, size: int = 2000) -> list[tuple[int, int, int]]:
        """Batches of whole days with about `size` tickets each, as (first day, day after
        the last, index of the batch's first ticket): each can be generated on its own."""
        batches = []
        start = index = count = 0
        for d in range(self.days):
            count += int(self.per_day[d])
            if count >= size or d == self.days - 1:
                batches.append((start, d + 1, index))
                index += count
                start, count = d + 1, 0
        return [b for b in batches if b[0] < b[1]]

    def scripts(self, first: int, end: int, index: int) -> list[TicketScript]:
        """The scripts of days `first` to `end` (not included), numbered from `index`."""
        scripts: list[TicketScript] = []
        for d in range(first, end):
            scripts.extend(self.day(d, index + len(scripts)))
        return scripts

    def batches(self, size: int = 2000) -> Iterator[list[TicketScript]]:
        """The scripts in order of opening, a few days' worth at a time (about `size`)."""
        for first, end, index in self.plan(size):
            yield self.scripts(first, end, index)

    def day(self, d: int, first_index: int) -> list[TicketScript]:
        """The day's tickets, numbered from `first_index`, from the day's own random stream."""
        n = int(self.per_day[d])
        if n == 0:
            return []
        day = self.first_day + timedelta(days=d)
        rng = random.Random(f"interchange-demo:{self.seed}:{day.isoformat()}")  # noqa: S311
        start = self.world.epoch(local_midnight(day))
        length = self.world.epoch(local_midnight(day + timedelta(days=1))) - start
        services = rng.choices(self.specs, weights=self.weights[d], k=n)
        openings = []
        for service_id, spec in services:
            profile = "ict" if not spec.resident else "resident"
            if spec.monitoring and rng.random() < 0.3:
                profile = "always"
            hour = rng.choices(range(24), cum_weights=_HOURS_CUM[profile])[0]
            offset = int((hour + rng.random()) * length / 24)
            openings.append((start + offset, service_id, spec, profile == "always"))
        openings.sort(key=lambda o: o[0])
        day_scripts: list[TicketScript] = []
        alive: dict[int, list[tuple[TicketScript, int]]] = {}
        for number, (at, service_id, spec, monitored) in enumerate(openings):
            script = self._ticket(rng, first_index + number, at, service_id, spec, monitored, alive)
            day_scripts.append(script)
            if spec.resident and not any(s.op == Op.DUPLICATE for s in script.steps):
                ended = next((s.at for s in script.steps if s.op in (Op.CLOSE, Op.CANCEL)), FOREVER)
                alive.setdefault(service_id, []).append((script, ended))
        return day_scripts

    # --- One ticket ------------------------------------------------------------------------

    def _ticket(
        self,
        rng: random.Random,
        index: int,
        at: int,
        service_id: int,
        spec: ServiceSpec,
        monitored: bool,
        alive: dict[int, list[tuple[TicketScript, int]]],
    ) -> TicketScript:
        levels, cumulative = _LEVELS_CUM[spec.levels]
        impact, urgency = rng.choices(levels, cum_weights=cumulative)[0]
        progress = (at - self.end) / (self.days * DAY) + 1
        channel, actor = self._channel(rng, spec, monitored, progress)
        opening = Opening(
            type=spec.type,
            service_id=service_id,
            title="",
            channel=channel,
            impact=impact,
            urgency=urgency,
        )
        master = None
        duplicate_at = at + rng.randint(20 * 60, 6 * HOUR)
        if spec.resident and rng.random() < 0.07:
            candidates = [
                s for s, ended in alive.get(service_id, ()) if s.at < at and ended > duplicate_at
            ]
            if candidates:
                master = rng.choice(candidates)
        area_id = self._place(rng, opening, spec, master)
        self._describe(rng, opening, spec, area_id)
        self._reporter(rng, opening, spec)
        opening.answers = _answers(rng, spec)
        script = TicketScript(index=index, at=at, actor=actor, opening=opening, area_id=area_id)
        provision = self.world.route(service_id, area_id, at)
        life = _Life(self, rng, script, spec, provision.supplier_id if provision else None)
        life.priority = PRIORITY.get((impact, urgency), 4)
        if master is not None:
            life._attempt(
                lambda: life.add(
                    Op.DUPLICATE,
                    duplicate_at,
                    life.desk,
                    master=master.index,
                    reason="Same problem reported earlier today.",
                )
            )
        else:
            life.live()
        script.steps = [step for step in script.steps if step.at < self.end]
        return script

    def _channel(
        self, rng: random.Random, spec: ServiceSpec, monitored: bool, progress: float
    ) -> tuple[str, ActorRef]:
        desk = ActorRef(ActorKind.PERSON, rng.choice(self.desk_agents))
        if monitored:
            return "monitoring", ActorRef(ActorKind.SYSTEM, label="monitoring")
        if spec.resident:
            # Channel shift: more reports online, fewer by phone, as the two years go by.
            web, open311 = 0.40 + 0.15 * progress, 0.12 + 0.08 * progress
            phone = 0.38 - 0.2 * progress
            roll = rng.random()
            if roll < web:
                return "web", RESIDENT
            if roll < web + open311:
                fixmystreet = self.world.key_ids.get("FixMyStreet")
                if fixmystreet is not None:
                    return "open311", ActorRef(ActorKind.API_KEY, fixmystreet)
                return "web", RESIDENT
            if roll < web + open311 + phone:
                return "phone", desk
            if roll < 0.97:
                return "email", desk
            return "walk_in", desk
        roll = rng.random()
        if roll < 0.5:
            return "web", ActorRef(ActorKind.SYSTEM, label="self-service portal")
        if roll < 0.8:
            return "phone", desk
        return "email", desk

    def _place(
        self, rng: random.Random, opening: Opening, spec: ServiceSpec, master: TicketScript | None
    ) -> int | None:
        if not spec.resident:
            return None
        if master is not None:
            opening.latitude, opening.longitude = master.opening.latitude, master.opening.longitude
            opening.address, opening.address_id = master.opening.address, master.opening.address_id
            return master.area_id
        ward = self.world.wards[_pick(rng, self.ward_cum)]
        west, south, east, north = ward.bounds
        while True:
            longitude = round(rng.uniform(west, east), 6)
            latitude = round(rng.uniform(south, north), 6)
            # Strictly inside: for a point, `contains` is `contains_properly`.
            if shapely.contains_xy(ward.shape, longitude, latitude):
                break
        opening.latitude, opening.longitude = latitude, longitude
        street = rng.choice(self.streets[ward.id])
        opening.address = f"{rng.randint(1, 180)} {street}, {ward.name}, Harbourside"
        opening.address_id = f"69{rng.randint(0, 10**8 - 1):08d}"
        return ward.id

    def _describe(
        self, rng: random.Random, opening: Opening, spec: ServiceSpec, area_id: int | None
    ) -> None:
        if area_id is not None:
            number, _space, street = opening.address.split(",")[0].partition(" ")
            ward = self.world.ward_by_id[area_id].name
        else:
            number, street, ward = "", "", ""
        words = {
            "street": street,
            "number": number,
            "ward": ward,
            "building": rng.choice(text.BUILDINGS),
            "team": rng.choice(text.TEAMS),
        }
        opening.title = rng.choice(spec.titles).format(**words)
        opening.description = rng.choice(spec.descriptions) if rng.random() < 0.85 else ""

    def _reporter(self, rng: random.Random, opening: Opening, spec: ServiceSpec) -> None:
        first, last = rng.choice(text.FIRST_NAMES), rng.choice(text.LAST_NAMES)
        opening.reporter_first_name, opening.reporter_last_name = first, last
        if not spec.resident:
            opening.reporter_email = f"{first}.{last}@{text.STAFF_DOMAIN}".lower()
            return
        roll = rng.random()
        if roll < 0.8:
            domain = rng.choice(text.RESIDENT_DOMAINS)
            opening.reporter_email = f"{first}.{last}{rng.randint(1, 99)}@{domain}".lower()
        if roll > 0.5:
            opening.reporter_phone = f"07700 900{rng.randint(0, 999):03d}"
        if not opening.reporter_email:
            opening.reporter_contact_preference = "phone" if opening.reporter_phone else "none"
        opening.reporter_anonymous = rng.random() < 0.05


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    roll = rng.random() * cumulative[-1]
    for i, edge in enumerate(cumulative):
        if roll < edge:
            return i
    return len(cumulative) - 1


def _streets(rng: random.Random) -> list[str]:
    return [f"{rng.choice(text.STREET_WORDS)} {rng.choice(text.STREET_KINDS)}" for _ in range(24)]


_LETTERS = "ABCDEFGHJKLMNPRSTUVWXY"


def _answers(rng: random.Random, spec: ServiceSpec) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for q in spec.questions:
        if not q.required and rng.random() < 0.4:
            continue
        if q.datatype == "singlevaluelist":
            answers[q.code] = rng.choice(q.choices)[0]
        elif q.datatype == "multivaluelist":
            chosen = set(rng.sample([key for key, _name in q.choices], rng.randint(1, 2)))
            answers[q.code] = [key for key, _name in q.choices if key in chosen]
        elif q.datatype == "number":
            answers[q.code] = rng.randint(1, 6) if q.code == "items" else rng.randint(10, 120)
        else:
            answers[q.code] = _string_answer(rng, q.code)
    return answers


def _string_answer(rng: random.Random, code: str) -> str:
    if code == "column":
        return f"HL-{rng.randint(1, 4999):04d}"
    if code == "registration":
        letters = "".join(rng.choice(_LETTERS) for _ in range(5))
        return f"{letters[:2]}{rng.randint(10, 24)} {letters[2:]}"
    if code == "asset":
        return f"HCC-{rng.choice(('LT', 'DT', 'MN'))}-{rng.randint(1, 99999):05d}"
    if code == "mailbox":
        team = rng.choice(("revenues", "benefits", "planning", "highways", "finance", "hr"))
        return f"{team}@{text.STAFF_DOMAIN}"
    if code == "system":
        return rng.choice(("APP-FIN-01", "SQL-CARE-02", "WEB-PROD-03", "FILE-04", "GIS-01"))
    if code == "page":
        return f"https://www.harbourside.example/{rng.choice(('bins', 'parking', 'council-tax'))}"
    return "See description"


class _Life:
    """Builds one ticket's steps in time order, keeping what the state machine needs."""

    def __init__(
        self,
        gen: Generator,
        rng: random.Random,
        script: TicketScript,
        spec: ServiceSpec,
        holder: int | None,
    ) -> None:
        self.gen, self.rng, self.script, self.spec = gen, rng, script, spec
        self.world = gen.world
        self.t = script.at
        self.holder = holder
        self.open = True
        self.priority = 4
        self.handovers = 0
        # Why the last supplier handed the ticket back to the desk, until the desk acts on it.
        self.handback: str | None = None
        self.desk = ActorRef(ActorKind.PERSON, rng.choice(gen.desk_agents))

    # Every step goes through here: time only moves on, and the outgoing supplier's open
    # work moves to its successor the moment its contract ends.
    def add(self, op: Op, at: int, actor: ActorRef, **args: Any) -> None:
        at = max(at, self.t + 1)
        gen = self.gen
        if (
            self.open
            and self.holder is not None
            and self.holder == gen.outgoing
            and gen.transition is not None
            and at >= gen.transition
        ):
            raise _Transition
        self.script.steps.append(Step(op, at, actor, args))
        self.t = at

    def live(self) -> None:
        rng = self.rng
        if rng.random() < 0.03:
            self._attempt(self._cancel)
            return
        if rng.random() < 0.015:
            self._attempt(self._override)
        major = self.priority == 1 and self.spec.code in MAJOR_SERVICES and rng.random() < 0.3
        if major:
            self._attempt(
                lambda: self.add(
                    Op.MAJOR_INCIDENT,
                    self.t + rng.randint(600, 1800),
                    self._lead(),
                    major=True,
                    reason="Declared a major incident: widespread impact on residents.",
                )
            )
        self._attempt(self._work)
        resolved_at = self.t
        if major:
            self._attempt(
                lambda: self.add(
                    Op.MAJOR_INCIDENT,
                    self.t + rng.randint(600, 3600),
                    self._lead(),
                    major=False,
                    reason="Stood down: service restored.",
                )
            )
        self._after(resolved_at)

    def _attempt(self, action: Any) -> None:
        """Run `action`, first passing the outgoing supplier's work on if its contract ends."""
        while True:
            try:
                action()
                return
            except _Transition:
                self._hand_over_at_transition()

    def _hand_over_at_transition(self) -> None:
        gen = self.gen
        assert gen.transition is not None
        provision = self.world.route(
            self.script.opening.service_id, self.script.area_id, gen.transition
        )
        successor = self.world.suppliers[provision.supplier_id] if provision else None
        self.holder = None  # the route step below is not the outgoing supplier's
        self.add(
            Op.ROUTE,
            gen.transition,
            SYSTEM,
            reason=(
                f"Contract transition: open work passes to "
                f"{successor.public_name if successor else 'the service desk'}."
            ),
        )
        self.holder = provision.supplier_id if provision else None

    def _lead(self) -> ActorRef:
        return ActorRef(ActorKind.PERSON, self.gen.lead)

    def _cancel(self) -> None:
        rng = self.rng
        actor = RESIDENT if self.spec.resident and rng.random() < 0.6 else self.desk
        if rng.random() < 0.5:
            self.add(Op.ACKNOWLEDGE, self.t + rng.randint(600, 4 * HOUR), self._actor())
        self.add(
            Op.CANCEL,
            self.t + rng.randint(600, 2 * DAY),
            actor,
            reason=rng.choice(text.CANCEL_REASONS),
        )
        self.open = False

    def _override(self) -> None:
        priority = self.priority - 1 if self.priority > 1 else 2
        self.add(
            Op.OVERRIDE_PRIORITY,
            self.t + self.rng.randint(600, 90 * 60),
            self.desk,
            priority=priority,
            reason=(
                "A vulnerable resident is affected."
                if self.spec.resident
                else "Affects a whole team's work."
            ),
        )
        self.priority = priority

    def _actor(self) -> ActorRef:
        """Who acts for the current holder: the desk, a supplier's system or its agent."""
        if self.holder is None:
            return self.desk
        spec = self.world.suppliers[self.holder]
        if spec.has_system and self.rng.random() < 0.85:
            key = self.world.key_ids.get("Kerbline works management system")
            if key is not None:
                return ActorRef(ActorKind.API_KEY, key)
        return ActorRef(ActorKind.PERSON, self.world.usernames[f"{spec.code}.agent"])

    def _targets(self) -> tuple[float, float, str, float]:
        """Response and resolution targets (hours), calendar, and speed of the holder."""
        if self.holder is None:
            low, high = DESK_DAYS.get(self.spec.code, (0.1, 1))
            return 1, 10 * self.rng.uniform(low, high) / 0.6, "office-hours", 0.6
        spec = self.world.suppliers[self.holder]
        moment = datetime.fromtimestamp(self.t, self.world.zone)
        response, resolution, calendar = targets_for(spec.code, moment, self.world.revision_from)[
            self.priority
        ]
        speed = spec.speed
        transition = self.gen.transition
        # Service slipped in the outgoing supplier's last six months.
        if transition and spec.code == OUTGOING and transition - 183 * DAY <= self.t < transition:
            speed *= 1.35
        return response, resolution, calendar, speed

    def _work(self) -> None:
        """The current holder works the ticket until it is resolved or handed on."""
        while True:
            handed = self._desk_phase() if self.holder is None else self._supplier_phase()
            if not handed:
                return

    def _supplier_phase(self) -> bool:
        rng = self.rng
        response, resolution, calendar, speed = self._targets()
        work = self.world.working[calendar]
        begin = self.t
        actor = self._actor()
        ack_at = work.add(begin, response * HOUR * rng.lognormvariate(math.log(speed * 0.8), 0.8))
        style = rng.random()
        started = False
        if style < 0.55:
            self.add(Op.ACKNOWLEDGE, ack_at, actor)
        elif style < 0.8:
            self.add(Op.START, ack_at, actor)
            started = True
        else:
            self.add(Op.NOTE, ack_at, actor, body=rng.choice(text.ACK_NOTES), public=True)
        spec = self.world.suppliers[self.holder] if self.holder is not None else None
        if (
            spec is not None
            and spec.reference_prefix
            and (actor.kind == ActorKind.API_KEY or rng.random() < 0.5)
        ):
            self.add(
                Op.SUPPLIER_REFERENCE,
                self.t + rng.randint(60, 900),
                actor,
                reference=f"{spec.reference_prefix}-{rng.randint(100000, 999999)}",
            )
        kind = HANDBACK.get(spec.code) if spec is not None else None
        if kind and self.handovers < 2 and rng.random() < 0.04:
            self.add(
                Op.ASSIGN,
                work.add(self.t, rng.uniform(0.3, 4) * HOUR),
                actor,
                holder=None,
                reason=text.HANDBACK_REASONS[kind],
            )
            self.holder = None
            self.handovers += 1
            self.handback = kind
            return True
        total = resolution * HOUR * rng.lognormvariate(math.log(speed), 0.6)
        resolve_at = work.add(begin, total)
        if not started:
            self.add(
                Op.START,
                work.add(self.t, max(60.0, (resolve_at - self.t) * rng.uniform(0.05, 0.4))),
                actor,
            )
        span = max(resolve_at - self.t, 600)
        if rng.random() < (0.12 if self.spec.resident else 0.15):
            on = "resident" if rng.random() < 0.4 else "third_party"
            reasons = (
                text.WAIT_THIRD_PARTY_REASONS
                if on == "third_party"
                else text.WAIT_RESIDENT_REASONS
                if self.spec.resident
                else text.WAIT_STAFF_REASONS
            )
            self.add(
                Op.WAIT,
                self.t + int(span * rng.uniform(0.1, 0.5)),
                actor,
                on=on,
                reason=rng.choice(reasons),
            )
            paused = int(rng.uniform(0.3, 7) * DAY)
            self.add(Op.RESUME, self.t + paused, actor)
            resolve_at += paused
        if rng.random() < 0.2:
            notes = text.PUBLIC_PROGRESS_NOTES if self.spec.resident else text.ICT_PROGRESS_NOTES
            self.add(
                Op.NOTE,
                self.t + int(max(resolve_at - self.t, 120) * rng.uniform(0.2, 0.6)),
                actor,
                body=rng.choice(notes),
                public=True,
            )
        if rng.random() < 0.15:
            self.add(
                Op.NOTE,
                self.t + int(max(resolve_at - self.t, 120) * rng.uniform(0.2, 0.6)),
                actor,
                body=rng.choice(text.INTERNAL_NOTES),
                public=False,
            )
        self._resolve(max(resolve_at, self.t + 300), actor)
        return False

    def _desk_phase(self) -> bool:
        rng = self.rng
        handback = self.handback
        work = self.world.working["office-hours"]
        if handback is not None:
            self.handback = None
            self.add(Op.ACKNOWLEDGE, work.add(self.t, rng.uniform(0.1, 2) * HOUR), self.desk)
            other = OTHER_CONTRACTOR.get(self._last_supplier_code() or "")
            if handback == "private" or other is None:
                self._resolve(
                    work.add(self.t, rng.uniform(0.2, 2) * HOUR),
                    self.desk,
                    code="not_councils_responsibility",
                )
                return False
            target = self.world.supplier_ids[other]
            self.add(
                Op.ASSIGN,
                work.add(self.t, rng.uniform(0.1, 1.5) * HOUR),
                self.desk,
                holder=target,
                reason=f"Passed to {self.world.suppliers[target].public_name}.",
            )
            self.holder = target
            return True
        _response, resolution, _calendar, speed = self._targets()
        self.add(
            Op.ASSIGN,
            work.add(self.t, rng.uniform(0.05, 1.0) * HOUR),
            self.desk,
            assignee=self.desk.id,
        )
        self.add(Op.START, work.add(self.t, rng.uniform(0.05, 0.5) * HOUR), self.desk)
        resolve_at = work.add(self.t, resolution * HOUR * rng.lognormvariate(math.log(speed), 0.5))
        if self.spec.code in ("noise", "abandoned-vehicle") and rng.random() < 0.3:
            self.add(
                Op.WAIT,
                self.t + int((resolve_at - self.t) * 0.3),
                self.desk,
                on="resident",
                reason="Please keep a noise diary for two weeks."
                if self.spec.code == "noise"
                else "Please tell us if the vehicle is still there next week.",
            )
            paused = int(rng.uniform(3, 14) * DAY)
            self.add(Op.RESUME, self.t + paused, self.desk, reason="Reply received.")
            resolve_at += paused
        self._resolve(max(resolve_at, self.t + 300), self.desk)
        return False

    def _last_supplier_code(self) -> str | None:
        for step in reversed(self.script.steps):
            if step.op == Op.ASSIGN and step.args.get("holder", 0) is None:
                if step.actor.kind == ActorKind.API_KEY:
                    key = self.world.keys[step.actor.id or 0]
                    return self.world.suppliers[key.supplier_id or 0].code
                person = self.world.people[step.actor.id or 0]
                return self.world.suppliers[person.supplier_id or 0].code
        return None

    def _resolve(self, at: int, actor: ActorRef, code: str | None = None) -> None:
        rng = self.rng
        if code is None:
            if self.spec.type == "request":
                code = "fulfilled" if rng.random() < 0.9 else "no_further_action"
            else:
                roll = rng.random()
                code = (
                    "fixed"
                    if roll < 0.8
                    else "workaround"
                    if roll < 0.85
                    else "no_fault_found"
                    if roll < 0.93
                    else "no_further_action"
                    if roll < 0.97
                    else "not_councils_responsibility"
                )
        self.add(
            Op.RESOLVE,
            at,
            actor,
            resolution_code=code,
            note=rng.choice(text.RESOLUTION_NOTES[code]),
        )
        self.open = False

    def _after(self, resolved_at: int) -> None:
        """Satisfaction, a reopen now and then, and closing five days after resolution."""
        rng = self.rng
        close_at = resolved_at + 5 * DAY
        if self.spec.resident and rng.random() < 0.12:
            score = rng.choices((1, 2, 3, 4, 5), (1, 1, 2, 4, 5))[0]
            self.add(
                Op.SATISFACTION,
                self.t + rng.randint(2 * HOUR, 3 * DAY),
                RESIDENT,
                score=score,
                comment=rng.choice(text.SATISFACTION_COMMENTS),
            )
            self.add(Op.CLOSE, max(close_at, self.t + 60), SYSTEM)
            return
        if rng.random() < 0.05:
            reopen_at = resolved_at + rng.randint(DAY, 10 * DAY)
            if reopen_at > close_at:
                self.add(Op.CLOSE, close_at, SYSTEM)
            actor = RESIDENT if self.spec.resident and rng.random() < 0.7 else self.desk
            self.add(Op.REOPEN, reopen_at, actor, reason=rng.choice(text.REOPEN_REASONS))
            self.open = True
            self._attempt(self._rework)
            self.add(Op.CLOSE, self.t + 5 * DAY, SYSTEM)
            return
        self.add(Op.CLOSE, close_at, SYSTEM)

    def _rework(self) -> None:
        _response, resolution, calendar, speed = self._targets()
        work = self.world.working[calendar]
        at = work.add(self.t, resolution * HOUR * self.rng.uniform(0.1, 0.5) * speed)
        self._resolve(max(at, self.t + 600), self._actor())
