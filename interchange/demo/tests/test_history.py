"""Loading seeded history: every related row, all of it dispatched, clocks with nothing from
the past left to raise, and the same rows however many processes build them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from interchange.demo import alerts, history
from interchange.demo.dates import DemoDates
from interchange.demo.people import Login
from interchange.demo.progress import Progress
from interchange.servicedesk.models import (
    SearchDocument,
    Ticket,
    TicketEvent,
    TicketHolding,
)


@pytest.mark.django_db
def test_a_load_writes_every_related_row_and_marks_the_past_dispatched(
    logins: list[Login], dates: DemoDates
) -> None:
    written = history.load(count=400, seed=5, dates=dates)
    assert written == Ticket.objects.count() == SearchDocument.objects.count() == 400
    assert not TicketEvent.objects.filter(dispatched_at__isnull=True).exists()
    held = Ticket.objects.filter(holder_supplier__isnull=False)
    assert TicketHolding.objects.filter(ticket__in=held).count() >= held.count()
    first = Ticket.objects.order_by("pk").first()
    assert first is not None and first.reference in first.search_document.body
    assert Ticket.objects.order_by("-created_at").first().created_at < dates.anchor  # type: ignore[union-attr]


@pytest.mark.django_db
@pytest.mark.skipif(not alerts.available(), reason="the SLA clocks are not there yet")
def test_no_warning_or_breach_from_the_past_is_left_for_the_worker_to_raise(
    logins: list[Login], dates: DemoDates
) -> None:
    from interchange.servicedesk.models import HolderSegment, TicketClock

    history.load(count=400, seed=6, dates=dates)
    assert TicketEvent.objects.filter(kind__in=["sla_warning", "sla_breach"]).exists()
    assert TicketClock.objects.count() == 800
    due = {"alert_due_at__lt": dates.anchor}
    assert not TicketClock.objects.filter(**due).exists()
    assert not HolderSegment.objects.filter(**due).exists()


def _rows() -> list[tuple[Any, ...]]:
    tickets = list(
        Ticket.objects.order_by("pk").values_list("pk", "title", "status", "version", "updated_at")
    )
    events = list(
        TicketEvent.objects.order_by("ticket_id", "sequence").values_list(
            "ticket_id", "sequence", "kind", "at", "new"
        )
    )
    return [*tickets, *events]


@pytest.mark.django_db(transaction=True)
def test_worker_processes_build_the_same_rows_as_one_process(dates: DemoDates) -> None:
    from interchange.demo import reference

    reference.load(dates)
    history.load(count=600, seed=8, dates=dates, batch_size=100, workers=2, clocks=False)
    parallel = _rows()
    Ticket.objects.all().delete()
    history.load(count=600, seed=8, dates=dates, batch_size=100, workers=1, clocks=False)
    single = _rows()
    offset = single[0][0] - parallel[0][0]
    assert len(parallel) == len(single) > 600
    shifted = [(row[0] + offset, *row[1:]) for row in parallel]
    assert shifted == single


def test_the_progress_bar_redraws_on_a_terminal_and_prints_tenths_elsewhere() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    bar = Progress(100, stream=terminal)
    bar.advance(100)
    bar.finish("done")
    assert "\r[##############################] 100/100 tickets" in terminal.getvalue()
    log = io.StringIO()
    bar = Progress(1000, stream=log)
    for _ in range(100):
        bar.advance(10)
    lines = log.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("[" + "#" * 30 + "] 1,000/1,000")


@pytest.mark.django_db
def test_seed_demo_refuses_outside_development() -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", "--tickets", "10")


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_seed_demo_loads_the_council_and_its_history_and_will_not_load_twice(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("seed_demo", "--tickets", "150", "--seed", "9")
    out, err = capsys.readouterr()
    assert "Seeded 150 tickets" in out
    assert "150/150 tickets" in err
    assert Ticket.objects.count() == 150
    with pytest.raises(CommandError, match="already has 150 tickets"):
        call_command("seed_demo", "--tickets", "10")
    call_command("seed_demo", "--tickets", "20", "--append", "--no-clocks")
    assert Ticket.objects.count() == 170
