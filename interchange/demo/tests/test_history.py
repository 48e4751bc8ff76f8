"""Loading seeded history: every related row, all of it dispatched, clocks with nothing from
the past left to raise, and the same rows however many processes build them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from interchange.demo import history
from interchange.demo.dates import DemoDates
from interchange.demo.people import Login
from interchange.demo.progress import Progress
from interchange.demo.world import World
from interchange.servicedesk.models import (
    SearchDocument,
    Ticket,
    TicketClock,
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
def test_no_warning_or_breach_from_the_past_is_left_for_the_worker_to_raise(
    logins: list[Login], dates: DemoDates
) -> None:
    from interchange.servicedesk.models import HolderSegment

    history.load(count=400, seed=6, dates=dates)
    assert TicketEvent.objects.filter(kind__in=["sla_warning", "sla_breach"]).exists()
    assert TicketClock.objects.count() == 800
    due = {"alert_due_at__lt": dates.anchor}
    assert not TicketClock.objects.filter(**due).exists()
    assert not HolderSegment.objects.filter(**due).exists()


@pytest.mark.django_db
def test_the_clocks_folded_while_loading_are_what_a_recompute_stores(
    logins: list[Login], dates: DemoDates
) -> None:
    """The loader folds each batch's clocks from its timelines in memory, alerts included;
    reading the events back and folding them at the same moment changes no row."""
    from interchange.servicedesk import sla
    from interchange.servicedesk.models import HolderSegment

    history.load(count=400, seed=7, dates=dates)
    measured = set(TicketClock.objects.values_list("measured_at", flat=True))
    assert len(measured) == 1
    assert TicketClock.objects.count() == 800
    assert HolderSegment.objects.count() > 300
    stored = sla.stored_rows()
    assert sla.recompute(at=measured.pop()) == 400
    assert sla.stored_rows() == stored


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


def _catalogue() -> set[tuple[str, str]]:
    """Every index and constraint on the tables a load writes, as PostgreSQL defines them."""
    from django.db import connection

    from interchange.demo.writer import loaded_tables

    tables = loaded_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid::regclass::text = ANY(%s) "
            "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(%s)",
            [tables, tables],
        )
        return set(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_a_large_load_ends_with_every_index_and_foreign_key_as_before(
    logins: list[Login], dates: DemoDates, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import IntegrityError, connection, transaction

    from interchange.demo import writer

    if connection.vendor != "postgresql":
        pytest.skip("indexes are rebuilt around large loads on PostgreSQL only")
    before = _catalogue()
    monkeypatch.setattr(writer, "REBUILD_FROM", 100)
    assert history.load(count=300, seed=5, dates=dates, clocks=False) == 300
    # Tickets already there: the rebuild covers them and the new ones alike.
    assert history.load(count=300, seed=6, dates=dates) == 300
    assert _catalogue() == before
    assert TicketClock.objects.count() == 600
    assert Ticket.objects.count() == SearchDocument.objects.count() == 600
    assert TicketEvent.objects.filter(ticket__in=Ticket.objects.all()).count() > 600
    # The rebuilt foreign keys and unique constraints hold again.
    event = TicketEvent.objects.order_by("pk").first()
    assert event is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(ticket_id=10**9)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketEvent.objects.create(
            **{
                f.attname: getattr(event, f.attname)
                for f in TicketEvent._meta.concrete_fields
                if not f.primary_key
            }
        )


@pytest.mark.django_db
def test_text_that_copy_would_misread_is_stored_exactly(world: World) -> None:
    """Tabs, line breaks, backslashes, quotes and accents in titles, notes and JSON answers
    survive the writer (COPY text on PostgreSQL), and nulls stay null."""
    from interchange.demo.emulate import Emulator
    from interchange.demo.generator import Generator
    from interchange.demo.writer import Writer, next_ids

    awkward = 'Tab\there, line\nbreak, carriage\rreturn, back\\slash \\N, "quoted", café ✓'
    generator = Generator(world, count=40, seed=3)
    scripts = next(generator.batches())
    for script in scripts:
        script.opening.title = awkward
        script.opening.answers = {"note": awkward, "list": ["a\tb", "\\"]}
    first_ticket, first_response = next_ids()
    emulator = Emulator(world, first_ticket_id=first_ticket, first_satisfaction_id=first_response)
    emulator.apply_batch(scripts)
    Writer().write(emulator.take())

    tickets = Ticket.objects.filter(pk__gte=first_ticket)
    assert tickets.count() == len(scripts)
    for ticket in tickets:
        assert ticket.title == awkward.strip()
        assert ticket.answers == {"note": awkward, "list": ["a\tb", "\\"]}
        assert awkward.strip() in ticket.search_document.body
        assert (ticket.resolved_at is None) == (ticket.resolution_code == "")
    assert not tickets.filter(private_token_hash="").exists()
