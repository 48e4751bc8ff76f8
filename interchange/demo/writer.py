"""Writing the emulator's rows in bulk: many rows per statement on SQLite, COPY on
PostgreSQL, each batch in its own transaction so memory stays bounded at any size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction

from interchange.demo import emulate
from interchange.demo.emulate import Rows
from interchange.servicedesk.models import (
    SatisfactionResponse,
    SearchDocument,
    Ticket,
    TicketEvent,
    TicketHolding,
    TicketLink,
)

# Columns holding instants (epoch seconds in the emulator's rows), per table.
TABLES: tuple[tuple[str, type[models.Model], Sequence[str], frozenset[str]], ...] = (
    ("tickets", Ticket, emulate.TICKET_COLUMNS, emulate.TIMES),
    (
        "events",
        TicketEvent,
        emulate.EVENT_COLUMNS,
        frozenset({"at", "dispatched_at"}),
    ),
    ("holdings", TicketHolding, emulate.HOLDING_COLUMNS, frozenset({"first_held_at"})),
    ("links", TicketLink, emulate.LINK_COLUMNS, frozenset({"created_at"})),
    ("satisfaction", SatisfactionResponse, emulate.SATISFACTION_COLUMNS, frozenset({"at"})),
    ("search", SearchDocument, emulate.SEARCH_COLUMNS, frozenset()),
)


def _sqlite_instant(t: int) -> str:
    # As Django's SQLite backend stores an aware datetime: naive UTC text.
    return datetime.fromtimestamp(t, UTC).replace(tzinfo=None).isoformat(" ")


def _pg_instant(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class Writer:
    """Inserts `Rows` into the database Django is connected to."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.instant: Callable[[int], Any] = (
            _pg_instant if self.vendor == "postgresql" else _sqlite_instant
        )

    def write(self, rows: Rows) -> None:
        """All of the rows, in one transaction."""
        with transaction.atomic():
            for attr, model, columns, instants in TABLES:
                data = getattr(rows, attr)
                if not data:
                    continue
                positions = [i for i, c in enumerate(columns) if c in instants]
                table = model._meta.db_table
                names = [_column(model, c) for c in columns]
                if positions:
                    data = [self._adapt(row, positions) for row in data]
                if self.vendor == "postgresql":
                    self._copy(table, names, data)
                else:
                    self._insert(table, names, data)

    def _adapt(self, row: tuple[Any, ...], positions: list[int]) -> tuple[Any, ...]:
        values = list(row)
        for i in positions:
            if values[i] is not None:
                values[i] = self.instant(values[i])
        return tuple(values)

    def _insert(self, table: str, names: list[str], data: list[tuple[Any, ...]]) -> None:
        quote = connection.ops.quote_name
        # Table and column names come from the models, quoted; values travel as parameters.
        sql = (
            f"INSERT INTO {quote(table)} ({', '.join(quote(n) for n in names)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(names))})"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, data)

    def _copy(self, table: str, names: list[str], data: list[tuple[Any, ...]]) -> None:
        quote = connection.ops.quote_name
        sql = f"COPY {quote(table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in data:
                copy.write_row(row)

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids given explicitly."""
        if self.vendor != "postgresql":
            return  # SQLite's AUTOINCREMENT follows explicit ids by itself.
        statements = connection.ops.sequence_reset_sql(no_style(), [Ticket, SatisfactionResponse])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _column(model: type[models.Model], attname: str) -> str:
    """The database column of a field given by its attribute name (`service_id`)."""
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return str(field.column)
    raise LookupError(f"{model.__name__} has no field {attname}")


def next_ids() -> tuple[int, int]:
    """The first free ticket id and satisfaction response id."""
    last_ticket = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_response = (
        SatisfactionResponse.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    )
    return last_ticket + 1, last_response + 1
