"""The history's generator: deterministic, independent of how it is split, valid answers,
and the patterns a council's demand has (seasons, weekdays, the storm, channel shift)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from statistics import median

import pytest

from interchange.catalogue.models import Service
from interchange.catalogue.services import validate_answers
from interchange.demo.generator import Generator
from interchange.demo.scripts import ActorKind, Op, TicketScript
from interchange.demo.world import World

pytestmark = pytest.mark.django_db


def _all(generator: Generator) -> list[TicketScript]:
    return [script for batch in generator.batches() for script in batch]


@pytest.fixture
def history(world: World) -> list[TicketScript]:
    return _all(Generator(world, count=8_000, seed=3))


def _day(script: TicketScript) -> datetime:
    return datetime.fromtimestamp(script.at, UTC)


def test_the_same_seed_gives_the_same_history_and_another_seed_another(world: World) -> None:
    first = _all(Generator(world, count=500, seed=1))
    assert first == _all(Generator(world, count=500, seed=1))
    assert first != _all(Generator(world, count=500, seed=2))
    assert [s.index for s in first] == list(range(500))
    assert [s.at for s in first] == sorted(s.at for s in first)


def test_batches_do_not_depend_on_how_the_history_is_split(world: World) -> None:
    generator = Generator(world, count=800, seed=4)
    small = [s for batch in generator.batches(50) for s in batch]
    assert small == [s for batch in generator.batches(5000) for s in batch]


def test_every_answer_passes_the_services_own_rules(
    world: World, history: list[TicketScript]
) -> None:
    services = {s.pk: s for s in Service.objects.all()}
    for script in history[:1500]:
        service = services[script.opening.service_id]
        assert validate_answers(service, script.opening.answers) == script.opening.answers


def test_each_ticket_steps_forward_in_time_and_stops_at_the_anchor(
    world: World, history: list[TicketScript]
) -> None:
    end = world.epoch(world.dates.anchor)
    for script in history:
        times = [script.at, *(step.at for step in script.steps)]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert times[-1] < end


def test_the_history_has_every_kind_of_life(history: list[TicketScript]) -> None:
    ops = Counter(step.op for script in history for step in script.steps)
    for op in set(Op) - {Op.SLA_SCAN}:
        assert ops[op] > 0, op
    handovers = [
        step
        for script in history
        for step in script.steps
        if step.op == Op.ASSIGN and step.args.get("holder") is not None
    ]
    assert handovers
    open_at_end = [s for s in history if not any(x.op in (Op.CLOSE, Op.CANCEL) for x in s.steps)]
    assert 0.003 < len(open_at_end) / len(history) < 0.08


def test_demand_follows_seasons_weekdays_and_the_storm(
    world: World, history: list[TicketScript]
) -> None:
    code = {service_id: spec.code for service_id, spec in world.services.items()}
    by_month = Counter(_day(s).month for s in history if code[s.opening.service_id] == "pothole")
    assert by_month[2] > 2 * by_month[7]
    ict = [s for s in history if not world.services[s.opening.service_id].resident]
    weekend = sum(_day(s).weekday() >= 5 for s in ict)
    assert weekend < 0.05 * len(ict)
    storm = world.dates.storm_day
    stormy = {"street-light", "blocked-drain", "fallen-tree"}

    def week(first: date) -> int:
        start = datetime.combine(first, time(0), tzinfo=UTC)
        return sum(
            code[s.opening.service_id] in stormy and start <= _day(s) < start + timedelta(days=5)
            for s in history
        )

    assert week(storm) > 2.5 * week(storm - timedelta(days=14))


def test_reports_move_online_over_the_two_years(history: list[TicketScript]) -> None:
    def online_share(scripts: list[TicketScript]) -> float:
        resident = [s for s in scripts if s.opening.latitude is not None]
        return sum(s.opening.channel in ("web", "open311") for s in resident) / len(resident)

    half = len(history) // 2
    assert online_share(history[half:]) > online_share(history[:half]) + 0.05
    assert any(s.actor.kind == ActorKind.API_KEY for s in history)


def test_slow_suppliers_take_longer_to_resolve(world: World, history: list[TicketScript]) -> None:
    def resolution_days(code: str) -> float:
        """Median days to the first resolution of tickets routed to `code` and kept."""
        supplier = world.supplier_ids[code]
        spans = []
        for script in history:
            routed = world.route(script.opening.service_id, script.area_id, script.at)
            if routed is None or routed.supplier_id != supplier:
                continue
            if any(step.op == Op.ASSIGN for step in script.steps):
                continue
            resolved = next((step.at for step in script.steps if step.op == Op.RESOLVE), None)
            if resolved is not None:
                spans.append((resolved - script.at) / 86400)
        return median(spans)

    assert resolution_days("rivermead") > 1.4 * resolution_days("kerbline")
