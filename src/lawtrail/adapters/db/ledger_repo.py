"""SQL repositories of the ledger: the event trail (appends that keep the Merkle subtrees),
the stored subtrees (proofs, verification stream) and the signed checkpoints.

The hot paths (append, verification stream) talk to the driver with constant SQL where
SQLAlchemy's statement building or per-row processing would cost more than the work itself;
see docs/benchmarks.md. Re-exported by ``lawtrail.adapters.db.repositories``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Dialect, Row, and_, func, insert, or_, select
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.db import ledger_scan
from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.engine import READ_ONLY, ReadOnlyViolation
from lawtrail.domain.events import LEAF_VERSION, Event
from lawtrail.domain.ledger.audit import ChunkSummary, LeafRow, StoredCheckpoint
from lawtrail.domain.ledger.leaf import event_leaf_bytes
from lawtrail.domain.ledger.merkle import (
    append_dependency_keys,
    assemble_from_stored,
    leaf_hash,
    new_nodes_after_append,
    stored_keys,
)

__all__ = ["NODE_LEVEL_STEP", "SqlCheckpoints", "SqlEvents", "SqlLedgerNodes"]

#: ``ledger_nodes`` keeps the perfect subtrees of the levels that are multiples of this (level 0,
#: the independent copy of every leaf hash, included): about 1.07 rows per leaf instead of about
#: 2. Any other subtree is hashed up from its 2**r (r < 4) descendants at the stored level below
#: it (``merkle.stored_keys``), so a proof reads at most 8 rows per hash it needs, still in one
#: query (decision 0032). Databases written before keep every level; only these are read.
NODE_LEVEL_STEP = 4


def _m(row: Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


def _event(row: Row[Any]) -> Event:
    data = _m(row)
    data.pop("leaf_hash")
    return Event(**data)


class SqlEvents:
    """The trail. Appends take the next index under the ``ledger_head`` row lock (gapless),
    and store the Merkle subtrees they complete in ``ledger_nodes`` in the same transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, event: Event) -> Event:
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[Event]) -> list[Event]:
        """Store ``events`` as the next leaves, in order; one ``ledger_head`` update for all."""
        if not events:
            return []
        # Constant SQL on the driver (``_Driver``, which begins the transaction if none is
        # open and refuses a read-only unit of work): building the equivalent Core statements
        # costs more than running them. The row lock (PostgreSQL) / write lock (SQLite, BEGIN
        # IMMEDIATE) makes indexes gapless.
        mark = _mark(self.conn)
        driver = _Driver(self.conn)
        size = int(driver.execute(
            f"UPDATE ledger_head SET size = size + {mark} WHERE id = 1 RETURNING size",  # noqa: S608 (constant)
            (len(events),))[0][0])
        first = size - len(events)
        stored = [Event(**{**vars(e), "seq": first + i}) for i, e in enumerate(events)]
        leaves, rows = _event_rows(self.conn, stored)
        driver.insert_events(rows)
        nodes = _nodes_for(first, leaves, lambda keys: _read_nodes(driver, keys))
        # Three plain columns: the driver's executemany directly, without SQLAlchemy's per-row
        # parameter processing (a third of the append's time otherwise).
        sql = f"INSERT INTO ledger_nodes (level, idx, hash) VALUES ({mark}, {mark}, {mark})"  # noqa: S608 (constant)
        driver.executemany(sql, nodes)
        return stored

    def list(self, *, subject_type: str | None = None, subject_id: str | None = None,
             actor_id: UUID | None = None, limit: int = 100, before_seq: int | None = None) -> list[Event]:
        query = select(t.events)
        if subject_type is not None:
            query = query.where(t.events.c.subject_type == subject_type)
        if subject_id is not None:
            query = query.where(t.events.c.subject_id == subject_id)
        if actor_id is not None:
            query = query.where(t.events.c.actor_id == actor_id)
        if before_seq is not None:
            query = query.where(t.events.c.seq < before_seq)
        rows = self.conn.execute(query.order_by(t.events.c.seq.desc()).limit(limit))
        return [_event(r) for r in rows]

    def count(self) -> int:
        return int(self.conn.execute(select(t.ledger_head.c.size).where(t.ledger_head.c.id == 1)).scalar_one())


_EVENT_COLUMNS = tuple(t.events.columns)
_INSERT_EVENT_SQL = (f"INSERT INTO events ({', '.join(c.name for c in _EVENT_COLUMNS)}) "  # noqa: S608 (constant)
                     f"VALUES ({', '.join('?' for _ in _EVENT_COLUMNS)})")


@lru_cache(maxsize=4)
def _event_binders(dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...]:
    return tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in _EVENT_COLUMNS)


def event_params(dialect: Dialect, rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The driver parameters of ``events`` rows (column order of ``t.events``), the values a
    Core insert would send: each passed through SQLAlchemy's own bind processor of its column,
    or on SQLite, for the usual shapes, written directly as those processors write them
    (``_sqlite_params``; equal by test). (Also the baseline of the ledger benchmark.)"""
    binders = tuple(zip(_EVENT_COLUMNS, _event_binders(dialect), strict=True))
    fast = _sqlite_params if dialect.name == "sqlite" and dialect._json_serializer is None else None
    out = []
    for row in rows:
        params = fast(row) if fast is not None else None
        if params is None:
            params = tuple(bind(row[c.name]) if bind is not None else row[c.name] for c, bind in binders)
        out.append(params)
    return out


def _sqlite_params(row: dict[str, Any]) -> tuple[Any, ...] | None:
    """SQLite's parameters of an ``events`` row whose UUIDs and time are the usual types (None
    otherwise): UUIDs as their 32 hex digits (``Uuid``), the time in UTC as SQLite's
    ``YYYY-MM-DD HH:MM:SS.ffffff`` (``UTCDateTime`` over ``DateTime``), JSON columns by
    ``json.dumps`` (``JSON``, None as ``null``), the rest as they are."""
    id_, at, actor = row["id"], row["occurred_at"], row["actor_id"]
    if (type(id_) is not UUID or type(at) is not datetime or at.tzinfo is None
            or (actor is not None and type(actor) is not UUID)):
        return None
    time = at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return (row["seq"], id_.hex, time, None if actor is None else actor.hex, row["actor_name"], row["action"],
            row["subject_type"], row["subject_id"], row["subject_name"], _json_dumps(row["before"]),
            _json_dumps(row["after"]), row["request_id"], row["leaf_hash"])


_json_dumps = json.dumps  # SQLAlchemy's JSON serializer when the engine sets none


def _event_rows(conn: Connection, stored: Sequence[Event]) -> tuple[list[bytes], list[Any]]:
    """The leaf hashes of ``stored`` and their ``events`` rows: on SQLite the driver parameters
    (``event_params``), each leaf written by the C extension from those very parameters — the
    values SQLite stores and verification reads back (``ledger_scan.leaf_bytes``, decision
    0047) — and by ``event_leaf_bytes`` where it declines or is not built; elsewhere dicts for
    a Core insert."""
    if conn.dialect.name != "sqlite":
        leaves = [leaf_hash(event_leaf_bytes(e)) for e in stored]
        return leaves, [{**vars(e), "leaf_hash": h} for e, h in zip(stored, leaves, strict=True)]
    params = event_params(conn.dialect, [{**vars(e), "leaf_hash": b""} for e in stored])
    write = ledger_scan.native_leaf_bytes
    leaves, rows = [], []
    for event, row in zip(stored, params, strict=True):
        data = write(row) if write is not None else None
        value = leaf_hash(data if data is not None else event_leaf_bytes(event))
        leaves.append(value)
        rows.append((*row[:-1], value))
    return leaves, rows


def _mark(conn: Connection) -> str:
    """The driver's positional placeholder (sqlite3: qmark; psycopg: format)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


class _Driver:
    """Constant SQL of an append, in the caller's transaction (begun here when none is).

    On SQLite straight on the DBAPI cursor of that transaction's connection: SQLAlchemy's
    execution context (events, result set-up) cost about as much per statement as SQLite's own
    work for these small statements, i.e. a sixth of a single-event transaction
    (docs/benchmarks.md, decisions 0046, 0047). The transaction is begun through SQLAlchemy
    (``Connection.begin``: the engine's BEGIN IMMEDIATE), and a read-only unit of work is
    refused here, as the engine's guard would refuse its first write (engine.READ_ONLY), before
    anything is sent. Elsewhere through ``exec_driver_sql``. Only constant SQL with bound
    parameters goes through it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._cursor: Any = None
        if conn.dialect.name == "sqlite":
            if conn.get_execution_options().get(READ_ONLY):
                raise ReadOnlyViolation("a read-only unit of work may not write: a ledger append")
            if not conn.in_transaction():
                conn.begin()
            self._cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def execute(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        if self._cursor is None:
            return [tuple(row) for row in self.conn.exec_driver_sql(sql, tuple(params))]
        try:
            return list(self._cursor.execute(sql, params).fetchall())
        except sqlite3.Error as exc:  # as SQLAlchemy would raise it (IntegrityError, OperationalError...)
            raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc

    def insert_events(self, rows: list[Any]) -> None:
        """INSERT the rows of ``_event_rows``: on SQLite the driver's executemany (SQLAlchemy's
        generic per-row parameter handling costs more than the rest of the append)."""
        if self._cursor is None:
            self.conn.execute(insert(t.events), rows)
            return
        self.executemany(_INSERT_EVENT_SQL, rows)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if self._cursor is None:
            self.conn.exec_driver_sql(sql, rows)
            return
        try:
            self._cursor.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, rows, exc, sqlite3.Error) from exc


def _read_nodes(driver: _Driver, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The subtrees ``keys`` (the few an append builds on) from their stored rows, one query on
    the driver; raise KeyError when one is missing."""
    asked = set(keys)
    if not asked:
        return {}
    wanted = stored_keys(asked, NODE_LEVEL_STEP)
    mark = _mark(driver.conn)
    where = " OR ".join(f"(level = {mark} AND idx = {mark})" for _ in wanted)
    params = tuple(value for key in wanted for value in key)
    rows = driver.execute(f"SELECT level, idx, hash FROM ledger_nodes WHERE {where}", params)  # noqa: S608
    found = {(int(level), int(idx)): bytes(value) for level, idx, value in rows}
    missing = set(wanted) - found.keys()
    if missing:
        raise KeyError(f"ledger nodes not stored: {sorted(missing)[:5]}")
    return assemble_from_stored(asked, found, NODE_LEVEL_STEP)


_NodeReader = Callable[[Iterable[tuple[int, int]]], dict[tuple[int, int], bytes]]


def _nodes_for(first: int, leaves: Sequence[bytes], read: _NodeReader) -> list[tuple[int, int, bytes]]:
    """Rows of ``ledger_nodes`` for leaves ``first, first + 1, ...``: the leaves themselves and
    every subtree they complete at a stored level (``NODE_LEVEL_STEP``). The subtrees they build
    on are read in one query."""
    wanted = {key for i in range(first, first + len(leaves)) for key in append_dependency_keys(i)}
    known = read(key for key in wanted if (key[1] + 1) << key[0] <= first)
    rows: list[tuple[int, int, bytes]] = []
    for i, leaf in enumerate(leaves, start=first):
        known[(0, i)] = leaf
        rows.append((0, i, leaf))
        for level, index, value in new_nodes_after_append(i, leaf, lambda lv, ix: known[(lv, ix)]):
            known[(level, index)] = value
            if level % NODE_LEVEL_STEP == 0:
                rows.append((level, index, value))
    return rows


class SqlLedgerNodes:
    """The perfect subtrees, a ``SubtreeSource``: one query per ``get_many`` (for the stored rows
    the asked subtrees are hashed up from, see ``NODE_LEVEL_STEP``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, level: int, index: int) -> bytes:
        return self.get_many([(level, index)])[(level, index)]

    def get_many(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Raise KeyError when a key is not stored."""
        asked = set(keys)
        if not asked:
            return {}
        wanted = stored_keys(asked, NODE_LEVEL_STEP)
        n = t.ledger_nodes.c
        by_level: dict[int, list[int]] = {}
        for level, index in wanted:
            by_level.setdefault(level, []).append(index)
        # One IN list per level rather than a row-value IN: SQLite plans the latter as a
        # full scan, the former as primary-key lookups.
        rows = self.conn.execute(select(n.level, n.idx, n.hash).where(
            or_(*(and_(n.level == level, n.idx.in_(indexes)) for level, indexes in by_level.items()))))
        found = {(r.level, r.idx): bytes(r.hash) for r in rows}
        missing = set(wanted) - found.keys()
        if missing:
            raise KeyError(f"ledger nodes not stored: {sorted(missing)[:5]}")
        return assemble_from_stored(asked, found, NODE_LEVEL_STEP)

    def snapshot(self) -> None:
        """Make the rest of this transaction read one consistent snapshot (call it first).

        PostgreSQL's default READ COMMITTED would let an append commit between reading the
        log size and streaming the rows; SQLite transactions here begin IMMEDIATE already.
        """
        if self.conn.dialect.name == "postgresql":
            self.conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    def recorded_size(self) -> int:
        """How many leaf hashes are recorded (level 0)."""
        n = t.ledger_nodes.c
        value = self.conn.execute(select(func.max(n.idx)).where(n.level == 0)).scalar()
        return 0 if value is None else int(value) + 1

    def locate_leaf(self, value: bytes) -> int | None:
        """The index at which leaf hash ``value`` was recorded, if any (failure path only)."""
        n = t.ledger_nodes.c
        found = self.conn.execute(select(n.idx).where(and_(n.level == 0, n.hash == value)).limit(1)).scalar()
        return None if found is None else int(found)

    def leaf_chunks(self, size: int, checkpoint_sizes: Iterable[int]) -> list[ChunkSummary] | None:
        """The fast path of verification (``audit.certify``): chunk summaries of the whole log,
        from parallel worker processes on a large SQLite file (``ledger_scan``), else from one
        scan on this connection; None on PostgreSQL (verification streams ``leaf_rows``).
        Call inside the verification transaction: it fixes what every worker reads."""
        if self.conn.dialect.name != "sqlite":
            return None
        sizes = [s for s in checkpoint_sizes if s > 0]
        path = self.conn.engine.url.database
        workers = ledger_scan.worker_count()
        if (path and path != ":memory:" and not path.startswith("file:") and workers > 1
                and size >= ledger_scan.PARALLEL_MIN):
            try:
                return ledger_scan.scan_parallel(path, size, ledger_scan.ScanPlan(size, sizes), workers)
            except (OSError, RuntimeError, ValueError):  # no worker could run: scan here instead
                pass
        raw = self.conn.connection.dbapi_connection
        return [ledger_scan.scan_chunk(raw, 0, None, sizes)]  # type: ignore[arg-type]

    def leaf_rows(self, batch: int = 5000) -> Iterator[LeafRow]:
        """Every stored event in leaf order with its recorded leaf hash, streamed."""
        if self.conn.dialect.name == "sqlite":
            yield from _sqlite_leaf_rows(self.conn, batch)
            return
        n = t.ledger_nodes
        query = (select(t.events, n.c.hash.label("recorded"))
                 .outerjoin(n, and_(n.c.level == 0, n.c.idx == t.events.c.seq))
                 .order_by(t.events.c.seq))
        result = self.conn.execute(query.execution_options(yield_per=batch))
        for row in result:
            data = _m(row)
            recorded = data.pop("recorded")
            stored = bytes(data.pop("leaf_hash"))
            yield LeafRow(Event(**data).to_leaf_dict(), stored, bytes(recorded) if recorded is not None else None)


# The verification hot loop on SQLite: raw DBAPI rows (no SQLAlchemy row or type processing),
# turned into the leaf form directly. Each column is converted exactly as the SQLAlchemy types
# would (Uuid: 32 hex digits; UTCDateTime: SQLite's "YYYY-MM-DD HH:MM:SS.ffffff"; JSON:
# json.loads); a stored value in any other shape goes through ``_slow_leaf`` (the types).
_SQLITE_LEAF_ROWS = (
    "SELECT e.seq, e.id, e.occurred_at, e.actor_id, e.actor_name, e.action, e.subject_type, e.subject_id,"
    " e.subject_name, e.before, e.after, e.request_id, e.leaf_hash, n.hash FROM events AS e"
    " LEFT OUTER JOIN ledger_nodes AS n ON n.level = 0 AND n.idx = e.seq ORDER BY e.seq")
_json_decode = json.JSONDecoder().decode  # what json.loads(text) calls, minus its argument checks
_HEX32 = re.compile(r"[0-9a-f]{32}")
_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def _sqlite_leaf_rows(conn: Connection, batch: int) -> Iterator[LeafRow]:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_SQLITE_LEAF_ROWS)
        while rows := cursor.fetchmany(batch):
            for row in rows:
                recorded = None if row[13] is None else bytes(row[13])
                yield LeafRow(_sqlite_leaf(row, conn.dialect), bytes(row[12]), recorded)
    finally:
        cursor.close()


def _uuid_text(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) == 32 and _HEX32.fullmatch(value):
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(UUID(value))


def _sqlite_leaf(row: Sequence[Any], dialect: Dialect) -> dict[str, Any]:
    seq, id_, at, actor_id, actor_name, action, stype, sid, sname, before, after, request_id = row[:12]
    if type(at) is not str or len(at) != 26 or not _SQLITE_TIME.fullmatch(at):
        return _slow_leaf(row, dialect)
    return {
        "v": LEAF_VERSION, "seq": seq, "id": _uuid_text(id_), "time": f"{at[:10]}T{at[11:]}Z",
        "actor": {"id": _uuid_text(actor_id), "name": actor_name}, "action": action,
        "subject": {"type": stype, "id": sid, "name": sname},
        "before": None if before is None else _json_decode(before),
        "after": None if after is None else _json_decode(after), "request_id": request_id,
    }


def _slow_leaf(row: Sequence[Any], dialect: Dialect) -> dict[str, Any]:
    """The leaf through SQLAlchemy's own result processing of each column (rare path)."""
    values: dict[str, Any] = {}
    for column, raw in zip(t.events.columns, row[:12], strict=False):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        values[column.name] = process(raw) if process is not None and raw is not None else raw
    values.pop("leaf_hash", None)
    return Event(**values).to_leaf_dict()


def _checkpoint(row: Row[Any]) -> StoredCheckpoint:
    return StoredCheckpoint(size=int(row.size), root=bytes(row.root), note=row.note, created_at=row.created_at,
                            timestamp_token=bytes(row.timestamp_token) if row.timestamp_token else None)


class SqlCheckpoints:
    """Signed tree heads, one per size; append-only."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, checkpoint: StoredCheckpoint) -> None:
        self.conn.execute(insert(t.checkpoints).values(**vars(checkpoint)))

    def latest(self) -> StoredCheckpoint | None:
        row = self.conn.execute(select(t.checkpoints).order_by(t.checkpoints.c.size.desc()).limit(1)).first()
        return _checkpoint(row) if row else None

    def get(self, size: int) -> StoredCheckpoint | None:
        row = self.conn.execute(select(t.checkpoints).where(t.checkpoints.c.size == size)).first()
        return _checkpoint(row) if row else None

    def list(self) -> list[StoredCheckpoint]:
        return [_checkpoint(r) for r in self.conn.execute(select(t.checkpoints).order_by(t.checkpoints.c.size))]
