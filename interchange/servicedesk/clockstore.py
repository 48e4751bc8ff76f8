"""Reading timelines and stored clock rows as arrays, and writing the rows that changed: on
PostgreSQL in packed binary that numpy reads and builds in place, elsewhere through the ORM.

`servicedesk.sla` decides what to read and write; this module only moves rows. Both
backends give and take the same structured arrays (CLOCK_DTYPE, SEGMENT_DTYPE), in which
instants and durations are epoch microseconds and clocks.NONE stands for null.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, IntegerField, Q, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from numpy.typing import NDArray
from psycopg import sql

from interchange.core.businesstime import epoch_us, from_epoch_us
from interchange.servicedesk.clocks import (
    ALERT_KINDS,
    HOLDER_KINDS,
    KIND_CODE,
    NONE,
    ONE_US,
    STATE_CODE,
    STATES,
    STATUS_CODE,
    STATUSES,
    BulkFold,
    ClockArrays,
    ClockRef,
    Timelines,
)
from interchange.servicedesk.models import (
    ClockKind,
    HolderSegment,
    Ticket,
    TicketClock,
    TicketEvent,
)

Rows = NDArray[np.void]
I64 = NDArray[np.int64]

# A clock's stored values, in the order of `clocks.ClockArrays` (less the due times).
_CLOCK_VALUES = [
    ("state", "i1"),
    ("elapsed", "i8"),
    ("paused", "i8"),
    ("target", "i8"),
    ("deadline", "i8"),
    ("breached", "?"),
    ("warning_raised", "i8"),
    ("breach_raised", "i8"),
]
CLOCK_DTYPE = np.dtype([("ticket", "i8"), ("clock", "i1"), *_CLOCK_VALUES, ("alert_due", "i8")])
_SEGMENT_CLOCK_VALUES = [(name, kind) for name, kind in _CLOCK_VALUES if name != "paused"]
SEGMENT_DTYPE = np.dtype(
    [
        ("ticket", "i8"),
        ("number", "i8"),
        ("holder", "i8"),
        ("version", "i8"),
        ("started", "i8"),
        ("ended", "i8"),
        ("reopens", "i8"),
        ("paused", "i8"),
        *[(f"response_{name}", kind) for name, kind in _SEGMENT_CLOCK_VALUES],
        *[(f"resolution_{name}", kind) for name, kind in _SEGMENT_CLOCK_VALUES],
        ("alert_due", "i8"),
    ]
)
CLOCK_KINDS = (ClockKind.RESPONSE, ClockKind.RESOLUTION)


def clock_key(rows: Rows) -> I64:
    """A sortable unique key per clock row: ticket, then response before resolution."""
    return np.asarray(rows["ticket"] * 2 + rows["clock"], dtype=np.int64)


def segment_key(rows: Rows) -> I64:
    return np.asarray(rows["ticket"] * 65_536 + rows["number"], dtype=np.int64)


def _earliest(a: I64, b: I64) -> I64:
    far = np.iinfo(np.int64).max
    due = np.minimum(np.where(a == NONE, far, a), np.where(b == NONE, far, b))
    return np.where(due == far, NONE, due)


def _put(rows: Rows, prefix: str, clocks: ClockArrays, *, paused: bool = True) -> None:
    for name, _kind in _CLOCK_VALUES:
        if name != "paused" or paused:
            rows[prefix + name] = getattr(clocks, name)


def clock_rows(result: BulkFold) -> Rows:
    """The end-to-end clock rows of a bulk fold, ordered by `clock_key`."""
    rows = np.zeros(2 * len(result.ticket_ids), dtype=CLOCK_DTYPE)
    for code, clocks in enumerate((result.response, result.resolution)):
        part = rows[code::2]
        part["ticket"] = result.ticket_ids
        part["clock"] = code
        _put(part, "", clocks)
        part["alert_due"] = clocks.alert_due
    return rows


def segment_rows(result: BulkFold) -> Rows:
    """The holder segment rows of a bulk fold, ordered by `segment_key`."""
    rows = np.zeros(len(result.segment_ticket), dtype=SEGMENT_DTYPE)
    rows["ticket"] = result.segment_ticket
    rows["number"] = result.segment_number
    rows["holder"] = result.segment_holder
    rows["version"] = result.segment_version
    rows["started"] = result.segment_start
    rows["ended"] = result.segment_end
    rows["reopens"] = result.segment_reopens
    rows["paused"] = result.segment_resolution.paused
    _put(rows, "response_", result.segment_response, paused=False)
    _put(rows, "resolution_", result.segment_resolution, paused=False)
    rows["alert_due"] = _earliest(
        result.segment_response.alert_due, result.segment_resolution.alert_due
    )
    return rows


def as_tuples(clocks: Rows, segments: Rows) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows as the tuples `clocks.fold_rows` gives: states and clocks by name, None for null
    (and for the desk's holder and a missing version)."""
    return _tuples(clocks), _tuples(segments)


def _tuples(rows: Rows) -> list[tuple[Any, ...]]:
    convert: list[Callable[[Any], Any]] = []
    for name in rows.dtype.names or ():
        if name == "clock":
            convert.append(lambda v: CLOCK_KINDS[v].value)
        elif name.endswith("state"):
            convert.append(lambda v: STATES[v].value)
        elif name in ("holder", "version"):
            convert.append(lambda v: v or None)
        elif rows.dtype[name] == np.bool_:
            convert.append(bool)
        else:
            convert.append(lambda v: None if v == NONE else v)
    return [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows.tolist()]


@dataclass(frozen=True)
class Chunk:
    """Which tickets one pass reads: an id range [lo, hi) (every ticket) or a list."""

    ids: Sequence[int] | None = None
    lo: int = 0
    hi: int = 0

    def q(self, field: str = "ticket_id") -> Q:
        if self.ids is not None:
            return Q(**{f"{field}__in": self.ids})
        return Q(**{f"{field}__gte": self.lo, f"{field}__lt": self.hi})


class Store:
    """The ORM backend: portable, row by row in Python (SQLite, and small batches)."""

    # Whether another connection may read timelines while this one writes (see sla).
    reads_ahead = False

    def timelines(self, chunk: Chunk, at: datetime) -> Timelines:
        """The chunk's timelines up to `at` (two queries)."""
        services = dict(Ticket.objects.filter(chunk.q("pk")).values_list("pk", "service_id"))
        rows = []
        ids: list[int] = []
        alert_clocks = set(ClockKind.values)
        for (
            ticket,
            when,
            status,
            holder,
            priority,
            kind,
            held,
            acks,
            policy,
            seg,
            clock,
        ) in _event_values(chunk, at):
            if not ids or ids[-1] != ticket:
                ids.append(ticket)
            alert = -1
            if clock in alert_clocks:
                alert = ClockRef(seg if seg and seg > 0 else None, ClockKind(clock)).key
            rows.append(
                (
                    ticket,
                    epoch_us(when),
                    STATUS_CODE[status],
                    holder or 0,
                    priority,
                    KIND_CODE.get(kind, 0),
                    held,
                    acks,
                    policy or 0,
                    alert,
                )
            )
        return Timelines.from_rows(rows, ids, [services[t] for t in ids])

    def stored_clocks(self, chunk: Chunk) -> tuple[I64, Rows]:
        """Ids and rows of the chunk's stored end-to-end clocks, ordered by `clock_key`."""
        found = TicketClock.objects.filter(chunk.q()).values_list(
            "pk", "ticket_id", "clock", *CLOCK_FIELDS, "alert_due_at"
        )
        pks, rows = [], []
        for pk, ticket, clock, *values, due in found:
            pks.append(pk)
            rows.append((ticket, CLOCK_KINDS.index(clock), *_values(values), _instant(due)))
        return _sorted(pks, rows, CLOCK_DTYPE, clock_key)

    def stored_segments(self, chunk: Chunk) -> tuple[I64, Rows]:
        found = HolderSegment.objects.filter(chunk.q()).values_list(
            "pk", "ticket_id", "number", "holder_supplier_id", "policy_version_id",
            "started_at", "ended_at", "reopens", "paused",
            *(f"response_{name}" for name in SEGMENT_CLOCK_FIELDS),
            *(f"resolution_{name}" for name in SEGMENT_CLOCK_FIELDS),
            "alert_due_at",
        )  # fmt: skip
        pks, rows = [], []
        width = len(SEGMENT_CLOCK_FIELDS)
        for pk, ticket, number, holder, version, start, end, reopens, paused, *rest in found:
            pks.append(pk)
            response, resolution, due = rest[:width], rest[width:-1], rest[-1]
            rows.append(
                (
                    ticket,
                    number,
                    holder or 0,
                    version or 0,
                    _instant(start),
                    _instant(end),
                    reopens,
                    _duration(paused),
                    *_values(response, paused=False),
                    *_values(resolution, paused=False),
                    _instant(due),
                )
            )
        return _sorted(pks, rows, SEGMENT_DTYPE, segment_key)

    def delete(self, clock_ids: I64, segment_ids: I64) -> None:
        if len(clock_ids):
            TicketClock.objects.filter(pk__in=clock_ids.tolist()).delete()
        if len(segment_ids):
            HolderSegment.objects.filter(pk__in=segment_ids.tolist()).delete()

    def write_clocks(self, rows: Rows, at: datetime, *, new: bool = False) -> None:
        """Insert or update these clock rows, measured at `at` (`new`: none is stored yet,
        as far as the caller saw)."""
        _upsert_rows(TicketClock, rows, at, _CLOCK_IN_COLUMNS, ("ticket_id", "clock"))

    def write_segments(self, rows: Rows, at: datetime, *, new: bool = False) -> None:
        _upsert_rows(HolderSegment, rows, at, _SEGMENT_IN_COLUMNS, ("ticket_id", "number"))


# The model fields of a clock, in the order of _CLOCK_VALUES.
CLOCK_FIELDS = (
    "state",
    "elapsed",
    "paused",
    "target",
    "deadline",
    "breached",
    "warning_raised_at",
    "breach_raised_at",
)
SEGMENT_CLOCK_FIELDS = tuple(name for name in CLOCK_FIELDS if name != "paused")
_DURATION_FIELDS = {"elapsed", "paused", "target"}


def _event_values(chunk: Chunk, at: datetime) -> Any:
    return (
        TicketEvent.objects.filter(chunk.q(), at__lte=at)
        .order_by("ticket_id", "sequence")
        .annotate(
            sets_ack=Case(When(new__has_key="acknowledged_at", then=Value(1)), default=Value(0)),
            policy=Case(
                When(kind__in=HOLDER_KINDS, then=Cast(KT("new__sla_policy"), BigIntegerField())),
                default=Value(None, output_field=BigIntegerField()),
            ),
            alert_segment=Case(
                When(kind__in=ALERT_KINDS, then=Cast(KT("new__segment"), IntegerField())),
                default=Value(None, output_field=IntegerField()),
            ),
            alert_clock=Case(When(kind__in=ALERT_KINDS, then=KT("new__clock")), default=None),
        )
        .values_list(
            "ticket_id",
            "at",
            "status",
            "holder_supplier_id",
            "priority",
            "kind",
            "holder_acknowledged",
            "sets_ack",
            "policy",
            "alert_segment",
            "alert_clock",
        )
    )


def _instant(value: datetime | None) -> int:
    return NONE if value is None else epoch_us(value)


def _duration(value: timedelta | None) -> int:
    return NONE if value is None else value // ONE_US


def _values(values: Sequence[Any], *, paused: bool = True) -> list[Any]:
    """A stored clock's model values as array values (state as its code)."""
    names = CLOCK_FIELDS if paused else SEGMENT_CLOCK_FIELDS
    out: list[Any] = []
    for name, value in zip(names, values, strict=True):
        if name == "state":
            out.append(STATE_CODE[value])
        elif name == "breached":
            out.append(bool(value))
        elif name in _DURATION_FIELDS:
            out.append(_duration(value))
        else:
            out.append(_instant(value))
    return out


def _upsert_rows(
    model: type[TicketClock] | type[HolderSegment],
    rows: Rows,
    at: datetime,
    columns: Sequence[tuple[str, str]],
    key: Sequence[str],
) -> None:
    """Insert or update rows with one executemany, each column converted as a whole to what
    the database takes (model instances and bulk_create cost ten times more)."""
    if not len(rows):
        return
    values = [
        _db_values(name, kind, rows[field])
        for (name, kind), field in zip(columns, rows.dtype.names or (), strict=True)
    ]
    values.append([connection.ops.adapt_datetimefield_value(at)] * len(rows))
    quote = connection.ops.quote_name
    names = [name for name, _kind in columns] + ["measured_at"]
    # Identifiers come from the model, quoted; every value is a parameter.
    statement = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {}".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(name) for name in names),
        ", ".join(["%s"] * len(names)),
        ", ".join(quote(name) for name in key),
        ", ".join(f"{quote(n)} = excluded.{quote(n)}" for n in names if n not in key),
    )
    with connection.cursor() as cursor:
        cursor.executemany(statement, list(zip(*values, strict=True)))


def _db_values(column: str, kind: str, array: I64) -> list[Any]:
    """A column of array values as the database takes them (NONE as null)."""
    values = array.tolist()
    if column == "clock":
        return [CLOCK_KINDS[v].value for v in values]
    if column.endswith("state"):
        return [STATES[v].value for v in values]
    if column in ("holder_supplier_id", "policy_version_id"):
        return [v or None for v in values]
    if kind == "bool":
        return [bool(v) for v in values]
    if kind == "timestamptz":
        adapt = connection.ops.adapt_datetimefield_value
        return [None if v == NONE else adapt(from_epoch_us(v)) for v in values]
    if kind == "interval":
        if connection.features.has_native_duration_field:
            return [None if v == NONE else timedelta(microseconds=v) for v in values]
        # Stored as integer microseconds, as DurationField does without a native type.
        return [None if v == NONE else v for v in values]
    return values


def _sorted(
    pks: list[int], rows: list[tuple[Any, ...]], dtype: np.dtype[Any], key: Any
) -> tuple[I64, Rows]:
    array = np.array(rows, dtype=dtype) if rows else np.zeros(0, dtype=dtype)
    order = np.argsort(key(array), kind="stable")
    return np.asarray(pks, dtype=np.int64)[order], array[order]


# --- PostgreSQL: packed binary rows ------------------------------------------------------------

# Binary COPY's framing, and its instants: microseconds since 2000-01-01 UTC.
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_HEADER = _SIGNATURE + bytes(8)
_TRAILER = b"\xff\xff"
_PG_EPOCH_US = 946_684_800_000_000
_INFINITY = int(np.iinfo(np.int64).max)
_DAY_US = 86_400_000_000
# A null interval travels as -1 µs (no duration is negative).
_NO_INTERVAL = -1
_WIRE = {"int8": ">i8", "int2": ">i2", "bool": "?", "timestamptz": ">i8"}


def _wire_dtype(types: Sequence[str], *, copy: bool = False) -> np.dtype[Any]:
    """One row of these PostgreSQL types, none null, as a numpy record: as record_send packs
    it (field count, then each field's type oid, size and value), or as binary COPY does
    (no oids, a 16-bit count)."""
    fields: list[tuple[str, str]] = [("count", ">i2" if copy else ">i4")]
    for index, kind in enumerate(types):
        if not copy:
            fields.append((f"oid{index}", ">i4"))
        fields.append((f"size{index}", ">i4"))
        if kind == "interval":
            fields += [(f"v{index}", ">i8"), (f"days{index}", ">i4"), (f"months{index}", ">i4")]
        else:
            fields.append((f"v{index}", _WIRE[kind]))
    return np.dtype(fields)


def _size(kind: str) -> int:
    return 16 if kind == "interval" else np.dtype(_WIRE[kind]).itemsize


def _records(query: sql.Composable, types: Sequence[str]) -> list[I64]:
    """Run `query` (a SELECT of columns of `types`, none null) and return its columns as
    native arrays: instants in epoch µs and intervals in µs, NONE for infinity and for the
    -1 µs that stand for null.

    The server packs every row with record_send into one bytea, which numpy reads in place:
    a row at a time, drivers spend microseconds on each, most of a recompute at millions.
    Rows come in no particular order.
    """
    packed = sql.SQL("SELECT string_agg(record_send(r), ''::bytea) FROM ({}) AS r").format(query)
    connection.ensure_connection()
    # Django's cursors bind on the client, which cannot return binary results.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(packed, binary=True)
        row = cursor.fetchone()
    data = row[0] if row is not None and row[0] is not None else b""
    wire = np.frombuffer(data, dtype=_wire_dtype(types))
    for index, kind in enumerate(types):
        # A null (size -1) would shift every later field: the queries coalesce them all.
        if not (wire[f"size{index}"] == _size(kind)).all():
            raise ValueError(f"Column {index} of clock rows is null or of the wrong type.")
    columns = []
    for index, kind in enumerate(types):
        raw = wire[f"v{index}"].astype(np.int64)
        if kind == "timestamptz":
            raw = np.where(np.abs(raw) == _INFINITY, NONE, raw + _PG_EPOCH_US)
        elif kind == "interval":
            days = wire[f"days{index}"].astype(np.int64) + 30 * wire[f"months{index}"]
            raw = raw + days * _DAY_US
            raw = np.where(raw == _NO_INTERVAL, NONE, raw)
        columns.append(raw)
    return columns


def _copy_in(
    cursor: Any, table: str, columns: Sequence[tuple[str, str]], values: Sequence[Any]
) -> None:
    """Binary COPY of equal-length arrays into `table`: (column, type) each, NONE for null
    instants (sent as infinity) and intervals (sent as -1 µs)."""
    types = [kind for _name, kind in columns]
    wire = np.zeros(len(values[0]) if values else 0, dtype=_wire_dtype(types, copy=True))
    wire["count"] = len(columns)
    for index, (kind, array) in enumerate(zip(types, values, strict=True)):
        wire[f"size{index}"] = _size(kind)
        if kind == "timestamptz":
            array = np.where(array == NONE, _INFINITY, array - _PG_EPOCH_US)
        elif kind == "interval":
            array = np.where(array == NONE, _NO_INTERVAL, array)
        wire[f"v{index}"] = array
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(n) for n, _k in columns)
    )
    with cursor.copy(statement) as copy:
        copy.write(_HEADER + wire.tobytes() + _TRAILER)


def _cases(column: str, codes: Sequence[str]) -> sql.Composable:
    """`CASE column WHEN code THEN position …` as int2."""
    whens = sql.SQL(" ").join(
        sql.SQL("WHEN {} THEN {}").format(sql.Literal(code), sql.Literal(index))
        for index, code in enumerate(codes)
    )
    return sql.SQL("(CASE {} {} END)::int2").format(sql.SQL(column), whens)


def _array(codes: Sequence[str]) -> sql.Composable:
    """`(ARRAY[…])` to turn a code back into its text, indexed from 1."""
    return sql.SQL("(ARRAY[{}])").format(sql.SQL(", ").join(sql.Literal(c) for c in codes))


def _literals(values: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Literal(v) for v in values)


_STATE_CODES = [state.value for state in STATES]
_CLOCK_CODES = [kind.value for kind in CLOCK_KINDS]
_KIND_CODES = ["", *sorted(KIND_CODE, key=KIND_CODE.__getitem__)]

_EVENTS = sql.SQL(
    """SELECT e.ticket_id, e.sequence::int8, e.at, {status},
    COALESCE(e.holder_supplier_id, 0)::int8, e.priority::int2, COALESCE({kind}, 0::int2),
    e.holder_acknowledged,
    e.new ? 'acknowledged_at',
    CASE WHEN e.kind IN ({holder_kinds})
        THEN COALESCE((e.new ->> 'sla_policy')::int8, 0) ELSE 0::int8 END,
    CASE WHEN e.kind IN ({alert_kinds}) THEN COALESCE(
        GREATEST(COALESCE((e.new ->> 'segment')::int8, 0), 0) * 2
        + CASE e.new ->> 'clock' WHEN 'response' THEN 0 WHEN 'resolution' THEN 1 END,
        -1) ELSE -1::int8 END
    FROM {events} e WHERE {where} AND e.at <= {at}"""
)
_EVENT_TYPES = [
    "int8",
    "int8",
    "timestamptz",
    "int2",
    "int8",
    "int2",
    "int2",
    "bool",
    "bool",
    "int8",
    "int8",
]

_CLOCK_SELECT = sql.SQL(
    """SELECT id, ticket_id, {clock}, {state}, elapsed, paused,
    COALESCE(target, INTERVAL '-1 microsecond'), COALESCE(deadline, 'infinity'), breached,
    COALESCE(warning_raised_at, 'infinity'), COALESCE(breach_raised_at, 'infinity'),
    COALESCE(alert_due_at, 'infinity')
    FROM {table} WHERE {where}"""
)
_CLOCK_TYPES = ["int8", "int8", "int2", "int2", "interval", "interval", "interval"]
_CLOCK_TYPES += ["timestamptz", "bool", "timestamptz", "timestamptz", "timestamptz"]
_SEGMENT_SELECT = sql.SQL(
    """SELECT id, ticket_id, number::int8, COALESCE(holder_supplier_id, 0)::int8,
    COALESCE(policy_version_id, 0)::int8, started_at, COALESCE(ended_at, 'infinity'),
    reopens::int8, paused, {response}, {resolution}, COALESCE(alert_due_at, 'infinity')
    FROM {table} WHERE {where}"""
)


def _segment_clock_select(prefix: str) -> sql.Composable:
    return sql.SQL(
        """{state}, {p}_elapsed, COALESCE({p}_target, INTERVAL '-1 microsecond'),
        COALESCE({p}_deadline, 'infinity'), {p}_breached,
        COALESCE({p}_warning_raised_at, 'infinity'), COALESCE({p}_breach_raised_at, 'infinity')"""
    ).format(state=_cases(f"{prefix}_state", _STATE_CODES), p=sql.SQL(prefix))


_SEGMENT_CLOCK_TYPES = ["int2", "interval", "interval", "timestamptz", "bool", "timestamptz"]
_SEGMENT_CLOCK_TYPES += ["timestamptz"]
_SEGMENT_TYPES = ["int8", "int8", "int8", "int8", "int8", "timestamptz", "timestamptz", "int8"]
_SEGMENT_TYPES += ["interval", *_SEGMENT_CLOCK_TYPES, *_SEGMENT_CLOCK_TYPES, "timestamptz"]

# Temporary tables rows are copied into, then upserted from, in the wire types.
_CLOCK_IN = "sla_clock_in"
_CLOCK_IN_COLUMNS = [
    ("ticket_id", "int8"),
    ("clock", "int2"),
    ("state", "int2"),
    ("elapsed", "interval"),
    ("paused", "interval"),
    ("target", "interval"),
    ("deadline", "timestamptz"),
    ("breached", "bool"),
    ("warning_raised_at", "timestamptz"),
    ("breach_raised_at", "timestamptz"),
    ("alert_due_at", "timestamptz"),
]
_SEGMENT_IN = "sla_segment_in"


def _segment_clock_columns(prefix: str) -> list[tuple[str, str]]:
    return [
        (f"{prefix}_state", "int2"),
        (f"{prefix}_elapsed", "interval"),
        (f"{prefix}_target", "interval"),
        (f"{prefix}_deadline", "timestamptz"),
        (f"{prefix}_breached", "bool"),
        (f"{prefix}_warning_raised_at", "timestamptz"),
        (f"{prefix}_breach_raised_at", "timestamptz"),
    ]


_SEGMENT_IN_COLUMNS = [
    ("ticket_id", "int8"),
    ("number", "int8"),
    ("holder_supplier_id", "int8"),
    ("policy_version_id", "int8"),
    ("started_at", "timestamptz"),
    ("ended_at", "timestamptz"),
    ("reopens", "int8"),
    ("paused", "interval"),
    *_segment_clock_columns("response"),
    *_segment_clock_columns("resolution"),
    ("alert_due_at", "timestamptz"),
]


def _stored_value(column: str, kind: str) -> sql.Composable:
    """How a temporary column becomes the stored column's value."""
    name = sql.Identifier(column)
    if column == "clock":
        return sql.SQL("{}[{} + 1]").format(_array(_CLOCK_CODES), name)
    if column.endswith("state"):
        return sql.SQL("{}[{} + 1]").format(_array(_STATE_CODES), name)
    if column in ("holder_supplier_id", "policy_version_id"):
        return sql.SQL("NULLIF({}, 0)").format(name)
    if kind == "timestamptz":
        return sql.SQL("NULLIF({}, 'infinity')").format(name)
    if kind == "interval" and column.endswith("target"):
        return sql.SQL("NULLIF({}, INTERVAL '-1 microsecond')").format(name)
    return name


def _insert(target: str, source: str, columns: Sequence[tuple[str, str]]) -> sql.Composed:
    return sql.SQL(
        "INSERT INTO {target} ({columns}, measured_at) SELECT {values}, %s FROM {source}"
    ).format(
        target=sql.Identifier(target),
        columns=sql.SQL(", ").join(sql.Identifier(n) for n, _k in columns),
        values=sql.SQL(", ").join(_stored_value(n, k) for n, k in columns),
        source=sql.Identifier(source),
    )


def _upsert(
    target: str, source: str, columns: Sequence[tuple[str, str]], key: Sequence[str]
) -> sql.Composed:
    updated = [name for name, _kind in columns if name not in key] + ["measured_at"]
    return sql.SQL("{insert} ON CONFLICT ({key}) DO UPDATE SET {updates}").format(
        insert=_insert(target, source, columns),
        key=sql.SQL(", ").join(sql.Identifier(k) for k in key),
        updates=sql.SQL(", ").join(
            sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(n), sql.Identifier(n))
            for n in updated
        ),
    )


def _temporary(table: str, columns: Sequence[tuple[str, str]]) -> sql.Composable:
    return sql.SQL("CREATE TEMPORARY TABLE IF NOT EXISTS {} ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(
            sql.SQL("{} {} NOT NULL").format(sql.Identifier(n), sql.SQL(k)) for n, k in columns
        ),
    )


class PostgresStore(Store):
    """PostgreSQL: each read of many rows is one packed bytea, each write one binary COPY."""

    reads_ahead = True

    def _where(self, chunk: Chunk, column: str) -> sql.Composable:
        name = sql.SQL(column)
        if chunk.ids is not None:
            return sql.SQL("{} = ANY({}::int8[])").format(name, sql.Literal(list(chunk.ids)))
        return sql.SQL("{} >= {} AND {} < {}").format(
            name, sql.Literal(chunk.lo), name, sql.Literal(chunk.hi)
        )

    def timelines(self, chunk: Chunk, at: datetime) -> Timelines:
        query = _EVENTS.format(
            status=_cases("e.status", [s.value for s in STATUSES]),
            kind=_cases("e.kind", _KIND_CODES),
            holder_kinds=_literals(sorted(HOLDER_KINDS)),
            alert_kinds=_literals(sorted(ALERT_KINDS)),
            events=sql.Identifier(TicketEvent._meta.db_table),
            where=self._where(chunk, "e.ticket_id"),
            at=sql.Literal(at),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("SELECT id, service_id FROM {} WHERE {}")
                .format(sql.Identifier(Ticket._meta.db_table), self._where(chunk, "id"))
                .as_string(cursor.cursor)
            )
            services = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 2)
        ticket, sequence, *columns = _records(query, _EVENT_TYPES)
        order = np.lexsort((sequence, ticket))
        ticket = ticket[order]
        instant, status, holder, priority, kind, held, acks, policy, alert = (
            column[order] for column in columns
        )
        new = np.ones(len(ticket), dtype=np.bool_)
        new[1:] = ticket[1:] != ticket[:-1]
        ids = ticket[new]
        services = services[np.argsort(services[:, 0])]
        found = np.searchsorted(services[:, 0], ids)
        return Timelines(
            ticket=ticket,
            at=instant,
            status=status.astype(np.int8),
            holder=holder,
            priority=priority.astype(np.int8),
            kind=kind.astype(np.int8),
            holder_acknowledged=held.astype(np.bool_),
            acknowledges=acks.astype(np.bool_),
            policy=policy,
            alert=alert,
            ticket_ids=ids,
            service_ids=services[found, 1],
        )

    def _stored(
        self,
        query: sql.SQL,
        table: str,
        chunk: Chunk,
        types: Sequence[str],
        **parts: sql.Composable,
    ) -> tuple[I64, list[I64]]:
        where = self._where(chunk, "ticket_id")
        columns = _records(query.format(table=sql.Identifier(table), where=where, **parts), types)
        return columns[0], columns[1:]

    def stored_clocks(self, chunk: Chunk) -> tuple[I64, Rows]:
        pks, columns = self._stored(
            _CLOCK_SELECT,
            TicketClock._meta.db_table,
            chunk,
            _CLOCK_TYPES,
            clock=_cases("clock", _CLOCK_CODES),
            state=_cases("state", _STATE_CODES),
        )
        return _sorted_columns(pks, columns, CLOCK_DTYPE, clock_key)

    def stored_segments(self, chunk: Chunk) -> tuple[I64, Rows]:
        pks, columns = self._stored(
            _SEGMENT_SELECT,
            HolderSegment._meta.db_table,
            chunk,
            _SEGMENT_TYPES,
            response=_segment_clock_select("response"),
            resolution=_segment_clock_select("resolution"),
        )
        return _sorted_columns(pks, columns, SEGMENT_DTYPE, segment_key)

    def _write(
        self,
        rows: Rows,
        at: datetime,
        *,
        new: bool,
        table: str,
        temporary: str,
        columns: Sequence[tuple[str, str]],
        key: Sequence[str],
    ) -> None:
        if not len(rows):
            return
        with connection.cursor() as cursor:
            raw = cursor.cursor
            raw.execute(_temporary(temporary, columns))
            # Emptied first, not on commit: inside a test's transaction nothing commits.
            raw.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(temporary)))
            _copy_in(raw, temporary, columns, [rows[name] for name in rows.dtype.names or ()])
            if new:
                # A plain insert costs half an upsert; only a writer that stored the same
                # ticket's rows meanwhile makes it fail, and then the upsert does it.
                try:
                    with transaction.atomic():
                        raw.execute(_insert(table, temporary, columns), [at])
                    return
                except psycopg.errors.UniqueViolation:
                    pass
            raw.execute(_upsert(table, temporary, columns, key), [at])

    def write_clocks(self, rows: Rows, at: datetime, *, new: bool = False) -> None:
        self._write(
            rows,
            at,
            new=new,
            table=TicketClock._meta.db_table,
            temporary=_CLOCK_IN,
            columns=_CLOCK_IN_COLUMNS,
            key=("ticket_id", "clock"),
        )

    def write_segments(self, rows: Rows, at: datetime, *, new: bool = False) -> None:
        self._write(
            rows,
            at,
            new=new,
            table=HolderSegment._meta.db_table,
            temporary=_SEGMENT_IN,
            columns=_SEGMENT_IN_COLUMNS,
            key=("ticket_id", "number"),
        )


def _sorted_columns(
    pks: I64, columns: list[I64], dtype: np.dtype[Any], key: Any
) -> tuple[I64, Rows]:
    rows = np.zeros(len(pks), dtype=dtype)
    for name, column in zip(dtype.names or (), columns, strict=True):
        rows[name] = column
    order = np.argsort(key(rows), kind="stable")
    return pks[order], rows[order]


def store() -> Store:
    """The backend for the default database."""
    return PostgresStore() if connection.vendor == "postgresql" else Store()
