"""Read many rows fast for the compliance engine (issue 5 "Speed", decision 0034).

SQLAlchemy's result processing costs more than the query on the rule-facts reads: every ``Uuid``
cell is parsed again on SQLite (the same user, unit and case ids on every row), every datetime
goes through a regular expression and a ``TypeDecorator``, and ``dict(row._mapping)`` rebuilds
the keys per row. ``fetch`` runs the same statement with its columns' types coerced away (the
driver's own values come back) and converts each column as its type would: ids through a
per-``Ids`` cache on SQLite (psycopg hands out ``UUID`` objects already), times with
``datetime.fromisoformat``. The values and their types are exactly what the column types give
(``tests/integration/test_fastrows_db.py`` compares them on both engines); the statement is the
same, so the statement count does not change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, SafeUUID

from sqlalchemy import JSON, Boolean, Connection, Date, Select, Uuid, type_coerce
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.types import NullType

from lawtrail.adapters.db.tables import UTCDateTime

#: Turns one column of driver values (all rows) into the column type's values.
ColumnConvert = Callable[[Sequence[Any]], list[Any]]


_new, _set, _UNKNOWN = object.__new__, object.__setattr__, SafeUUID.unknown


def _uuid(raw: str) -> UUID:
    """``UUID(raw)`` for the 32 hex digits SQLite holds, built as ``UUID.__init__`` builds it
    (its ``int`` and ``is_safe`` slots) without its parsing of every other spelling: a quarter of
    the cost, and the engine parses ≈ 470,000 distinct ids at 100,000 cases. ``isalnum`` keeps
    out what ``int(…, 16)`` would accept but a UUID may not hold (signs, spaces, underscores)."""
    if len(raw) == 32 and raw.isalnum():
        value = _new(UUID)
        _set(value, "int", int(raw, 16))
        _set(value, "is_safe", _UNKNOWN)
        return value
    return UUID(raw)


class Ids(dict[Any, "UUID | None"]):
    """Parse each distinct id once (one instance per evaluation: the cache dies with it). Call
    it, or use ``get`` (``dict.__getitem__``: no Python frame for an id seen before)."""

    def __init__(self) -> None:
        super().__init__({None: None})
        self.get_ = self.__getitem__

    def __missing__(self, raw: Any) -> UUID:
        value = raw if isinstance(raw, UUID) else _uuid(raw)
        self[raw] = value
        return value

    def __call__(self, raw: Any) -> UUID | None:
        return self[raw]


def _sqlite_time(raw: Any) -> datetime | None:
    if raw is None:
        return None
    if isinstance(raw, str):  # what SQLite holds: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]"
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    assert isinstance(raw, datetime)
    return raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)


def _sqlite_times(column: Sequence[Any]) -> list[Any]:
    # Naive UTC text with "+00:00" appended parses straight to an aware time whose tzinfo is UTC:
    # five times cheaper than parsing, then ``replace(tzinfo=UTC)``. Anything else (a datetime, a
    # text with its own offset) fails here and takes the general path.
    parse = datetime.fromisoformat
    try:
        return [None if raw is None else parse(raw + "+00:00") for raw in column]
    except (TypeError, ValueError):
        return [_sqlite_time(raw) for raw in column]


def _pg_time(raw: Any) -> datetime | None:
    if raw is None:
        return None
    assert isinstance(raw, datetime)
    return raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)


def _each(convert: Callable[[Any], Any]) -> ColumnConvert:
    """Convert a column value by value, NULL staying None."""
    def column(values: Sequence[Any]) -> list[Any]:
        return [None if raw is None else convert(raw) for raw in values]
    return column


def _sqlite_date(raw: Any) -> date:
    return raw if isinstance(raw, date) else date.fromisoformat(raw)


def converter(kind: TypeEngine[Any], sqlite: bool, ids: Ids) -> ColumnConvert | None:
    """What turns a column of the driver's values of a column of type ``kind`` into the column
    type's results (None: the driver's values are them)."""
    if isinstance(kind, UTCDateTime):
        return _sqlite_times if sqlite else _each(_pg_time)
    if not sqlite:
        return None  # psycopg gives UUIDs, booleans, dates and decoded JSON itself
    if isinstance(kind, Uuid):
        get = ids.get_  # dict.__getitem__ mapped in C: a seen id costs no Python frame
        return lambda values: list(map(get, values))
    if isinstance(kind, Boolean):
        return _each(bool)
    if isinstance(kind, JSON):
        return _each(json.loads)
    if isinstance(kind, Date):
        return _each(_sqlite_date)
    return None


def fetch(conn: Connection, query: Select[Any], ids: Ids | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``query`` and return its column names and rows (tuples of the values SQLAlchemy's
    types would give). Only plain column types are known (see ``converter``); anything else
    falls back to SQLAlchemy's processing of that column. The values are converted a column at
    a time (one comprehension or ``map`` per column rather than a Python call per cell)."""
    ids = ids if ids is not None else Ids()
    sqlite = conn.dialect.name == "sqlite"
    columns = list(query.selected_columns)
    names = [c.key or c.name for c in columns]
    convs: list[tuple[int, ColumnConvert]] = []
    raw: list[Any] = []
    for i, col in enumerate(columns):
        conv = converter(col.type, sqlite, ids)
        known = conv is not None or type(col.type) in _PLAIN
        raw.append(type_coerce(col, NullType()).label(names[i]) if known else col)
        if conv is not None:
            convs.append((i, conv))
    rows = conn.execute(query.with_only_columns(*raw, maintain_column_froms=True)).all()
    if not rows or not convs:
        return names, [tuple(r) for r in rows]
    by_column: list[Sequence[Any]] = list(zip(*rows, strict=True))
    for i, conv in convs:
        by_column[i] = conv(by_column[i])
    return names, list(zip(*by_column, strict=True))


def dicts(conn: Connection, query: Select[Any], ids: Ids | None = None) -> list[dict[str, Any]]:
    """``fetch`` as one dict per row (column name → value)."""
    names, rows = fetch(conn, query, ids)
    return [dict(zip(names, r, strict=True)) for r in rows]


def _plain_types() -> frozenset[type[Any]]:
    from sqlalchemy import BigInteger, Integer, SmallInteger, String, Text

    return frozenset({String, Text, Integer, BigInteger, SmallInteger})


_PLAIN = _plain_types()


def enum_map(kind: Any) -> dict[Any, Any]:
    """A dict from an enum's values to its members (faster than calling the enum)."""
    return {m.value: m for m in kind}

