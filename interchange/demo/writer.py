"""Writing the emulator's rows in bulk: many rows per statement on SQLite, COPY on
PostgreSQL, each batch in its own transaction so memory stays bounded at any size.

A large load on PostgreSQL is written as `pg_restore` writes a dump (and as PostgreSQL's
"Populating a Database" advises): in one transaction, the loaded tables' secondary indexes
and foreign keys are dropped, the rows copied, then the indexes built and the foreign keys
added back (checked over every row, old and new, in one pass each) and the tables analysed.
A failure anywhere rolls all of it back, indexes included.

On PostgreSQL a batch travels as COPY text (`pack`), which the worker processes that make
the rows also format, so the writing process only hands blocks of bytes to the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from django.core.management.color import no_style
from django.db import connection, models, transaction
from psycopg import sql

from interchange.demo import emulate
from interchange.demo.alerts import Folded
from interchange.demo.emulate import Rows
from interchange.servicedesk import clockstore
from interchange.servicedesk.models import (
    HolderSegment,
    SatisfactionResponse,
    SearchDocument,
    Ticket,
    TicketClock,
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


# From this many tickets, and no fewer than the tickets already there, rebuilding the
# indexes and foreign keys once beats maintaining them row by row.
REBUILD_FROM = 100_000
# Memory for each index build and foreign key check of a rebuild (this transaction only).
REBUILD_MEMORY = "256MB"


def _sqlite_instant(t: int) -> str:
    # As Django's SQLite backend stores an aware datetime: naive UTC text.
    return datetime.fromtimestamp(t, UTC).replace(tzinfo=None).isoformat(" ")


class Packed(NamedTuple):
    """A batch's rows in PostgreSQL's COPY text format: one block per table of `TABLES`, in
    that order (empty where the batch has none), and its folded SLA clocks."""

    blocks: tuple[bytes, ...]
    folded: Folded | None


def pack(rows: Rows) -> Packed:
    """The rows as COPY text, each value written as PostgreSQL reads it back: `\\N` for
    null, `t`/`f`, instants in UTC, text with backslash, tab and line breaks escaped.
    Converted a column at a time, mostly by built-ins: this runs for millions of rows."""
    blocks = []
    for attr, model, columns, instants in TABLES:
        data = getattr(rows, attr)
        if not data:
            blocks.append(b"")
            continue
        converted: list[Sequence[str]] = []
        # Columns converted so far, to reuse: a seeded event is dispatched as it happens.
        done: list[tuple[Column, Sequence[str]]] = []
        for convert, values in zip(
            _converters(model, columns, instants), zip(*data, strict=True), strict=True
        ):
            text = next((t for v, t in done if v == values), None)
            if text is None:
                text = convert(values)
                if convert is _instants:
                    done.append((values, text))
            converted.append(text)
        lines = list(map("\t".join, zip(*converted, strict=True)))
        lines.append("")
        blocks.append("\n".join(lines).encode())
    return Packed(tuple(blocks), rows.folded)


Column = tuple[Any, ...]


@cache
def _converters(
    model: type[models.Model], columns: Sequence[str], instants: frozenset[str]
) -> tuple[Callable[[Column], Sequence[str]], ...]:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    convert: list[Callable[[Column], Sequence[str]]] = []
    for column in columns:
        field = fields[column]
        if column in instants:
            convert.append(_instants)
        elif isinstance(field, models.BooleanField):
            convert.append(_booleans)
        elif isinstance(field, (models.CharField, models.TextField, models.JSONField)):
            convert.append(_texts)
        elif isinstance(field, (models.IntegerField, models.ForeignKey)):
            convert.append(_integers)
        else:  # other numbers
            convert.append(_plain)
    return tuple(convert)


_NULL = "\\N"
_BOOLEANS = {True: "t", False: "f", None: _NULL}
_SPECIAL = ("\\", "\t", "\n", "\r")


def _plain(values: Column) -> Sequence[str]:
    if None in values:
        return [_NULL if v is None else str(v) for v in values]
    return list(map(str, values))


def _integers(values: Column) -> Sequence[str]:
    # Each distinct value converted once: most integer columns hold a few ids or codes.
    return list(map(_IntegerTexts().__getitem__, values))


class _IntegerTexts(dict[int | None, str]):
    """The text of each integer, or null, as COPY reads it, made on first asking."""

    def __init__(self) -> None:
        super().__init__({None: _NULL})

    def __missing__(self, value: int | None) -> str:
        text = self[value] = str(value)
        return text


def _booleans(values: Column) -> Sequence[str]:
    return list(map(_BOOLEANS.__getitem__, values))


def _texts(values: Column) -> Sequence[str]:
    if None in values:
        return [_NULL if v is None else _escaped(v) for v in values]
    joined = "".join(values)
    if any(c in joined for c in _SPECIAL):
        return [_escaped(v) for v in values]
    return values


def _escaped(value: str) -> str:
    # Four replaces beat one translate by a table more than tenfold on short text.
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _instants(values: Column) -> Sequence[str]:
    if None in values:
        return [_NULL if t is None else emulate.iso(t) for t in values]
    return emulate.isos(values)


class Writer:
    """Inserts `Rows` into the database Django is connected to."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def rebuilds(self, count: int) -> bool:
        """Whether `loading` rebuilds the indexes around a load of `count` tickets."""
        return (
            self.vendor == "postgresql"
            and not connection.in_atomic_block
            and count >= max(REBUILD_FROM, Ticket.objects.count())
        )

    @contextmanager
    def loading(self, count: int) -> Iterator[None]:
        """Around writing `count` tickets: for a large load on PostgreSQL, one transaction
        with the loaded tables' secondary indexes and foreign keys rebuilt at the end (see
        the module's docstring), when the load is a transaction of its own; otherwise
        nothing, each batch committing on its own."""
        if not self.rebuilds(count):
            yield
            return
        tables = loaded_tables()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(REBUILD_MEMORY))
            )
            indexes, constraints = _suspended(cursor, tables)
            for name, _definition in indexes:
                cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            for table, name, _definition in constraints:
                cursor.execute(
                    sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                        sql.Identifier(table), sql.Identifier(name)
                    )
                )
            yield
            # The definitions come from PostgreSQL's own catalogue (pg_get_indexdef and
            # pg_get_constraintdef), exactly as they were.
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in constraints:
                cursor.execute(
                    sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                        sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
                    )
                )
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
            )

    def prepare(self, rows: Rows) -> Rows | Packed:
        """The rows as `write` sends them: packed as COPY text for PostgreSQL (work a
        worker process can do), as they are for SQLite."""
        return pack(rows) if self.vendor == "postgresql" else rows

    def write(self, rows: Rows | Packed) -> None:
        """All of the rows, and the folded clocks if any, in one transaction."""
        batch = self.prepare(rows) if isinstance(rows, Rows) else rows
        with transaction.atomic():
            if isinstance(batch, Packed):
                for (_attr, model, columns, _instants), block in zip(
                    TABLES, batch.blocks, strict=True
                ):
                    if block:
                        self._copy(model._meta.db_table, _names(model, columns), block)
            else:
                for attr, model, columns, instants in TABLES:
                    data = getattr(batch, attr)
                    if not data:
                        continue
                    positions = [i for i, c in enumerate(columns) if c in instants]
                    if positions:
                        data = [self._adapt(row, positions) for row in data]
                    self._insert(model._meta.db_table, _names(model, columns), data)
            if batch.folded is not None:
                # The clocks of new tickets: none is stored yet.
                store = clockstore.store()
                store.write_clocks(batch.folded.clocks, batch.folded.at, new=True)
                store.write_segments(batch.folded.segments, batch.folded.at, new=True)

    def _adapt(self, row: tuple[Any, ...], positions: list[int]) -> tuple[Any, ...]:
        values = list(row)
        for i in positions:
            if values[i] is not None:
                values[i] = _sqlite_instant(values[i])
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

    def _copy(self, table: str, names: list[str], block: bytes) -> None:
        quote = connection.ops.quote_name
        sql = f"COPY {quote(table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            copy.write(block)

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids given explicitly."""
        if self.vendor != "postgresql":
            return  # SQLite's AUTOINCREMENT follows explicit ids by itself.
        statements = connection.ops.sequence_reset_sql(no_style(), [Ticket, SatisfactionResponse])
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def loaded_tables() -> list[str]:
    """The tables a load writes: those of `TABLES`, and the SLA clocks'."""
    loaded = [model for _attr, model, _c, _i in TABLES] + [TicketClock, HolderSegment]
    return [model._meta.db_table for model in loaded]


def _suspended(
    cursor: Any, tables: list[str]
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """What a large load drops and rebuilds on `tables`: (name, definition) of each index
    that no constraint owns, and (table, name, definition) of each foreign key from them
    and each unique constraint on them that no foreign key relies on. Primary keys stay,
    and so do partial indexes: they take part of the rows at most (none of the seeded past,
    for some), and keeping them up costs less than rebuilding them, a whole table's scan
    each."""
    cursor.execute(
        """
        SELECT index.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class index ON index.oid = i.indexrelid
        JOIN pg_class owner ON owner.oid = i.indrelid
        WHERE owner.relname = ANY(%s) AND owner.relnamespace = current_schema()::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
          AND i.indpred IS NULL
        ORDER BY index.relname
        """,
        [tables],
    )
    indexes = [(str(name), str(definition)) for name, definition in cursor.fetchall()]
    cursor.execute(
        """
        SELECT owner.relname, k.conname, pg_get_constraintdef(k.oid)
        FROM pg_constraint k
        JOIN pg_class owner ON owner.oid = k.conrelid
        WHERE owner.relname = ANY(%s) AND owner.relnamespace = current_schema()::regnamespace
          AND (
            k.contype = 'f'
            OR (
              k.contype = 'u'
              AND NOT EXISTS (
                SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid
              )
            )
          )
        ORDER BY k.contype DESC, owner.relname, k.conname
        """,
        [tables],
    )
    constraints = [(str(t), str(n), str(d)) for t, n, d in cursor.fetchall()]
    return indexes, constraints


def _names(model: type[models.Model], columns: Sequence[str]) -> list[str]:
    return [_column(model, c) for c in columns]


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
