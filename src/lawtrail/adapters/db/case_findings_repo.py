"""The stored findings of cases (``case_findings``, decisions 0048, 0050): a derived cache of what
the compliance engine computed for a case. The repository stores and reads JSON text; what is in
it and when it may be used is the engine's business (``services.stored_findings``).

A stored row counts only while it has the stamp asked for and the case's ``facts_rev`` is the one
stored (``covered``). The database raises ``facts_rev`` itself (triggers, migration 0024) on every
change to the case's row or to a row the rules read about it, so no code path that writes can
forget to make a stored row stale; a row stored from a snapshot that a concurrent writer has
since moved past simply never counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, Select, Table, delete, exists, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.fastrows import fetch

F, C = t.case_findings.c, t.cases.c
#: PostgreSQL's SQLSTATE for "could not serialize access".
SERIALIZATION_FAILURE = "40001"
#: Rows per INSERT / DELETE statement when storing (SQLite's bound-parameter limit is far above).
CHUNK = 2_000


def covered(stamp: str) -> ColumnElement[bool]:
    """True for a case (``cases`` in the FROM clause) whose stored findings hold for ``stamp``."""
    return exists().where(F.case_id == C.id, F.stamp == stamp, F.facts_rev == C.facts_rev)


def case_ids(bureau_id: UUID, unit_ids: frozenset[UUID] | None, case_id: UUID | None,
             skip_stored: str | None, *, also: ColumnElement[bool] | None = None) -> Select[Any]:
    """The ids of the cases in scope (the bureau's, of ``unit_ids`` when given, or ``case_id``
    only), without those ``covered`` by ``skip_stored`` unless ``also`` holds for them. For
    ``child.case_id IN (…)``: the database finds those few ids first and then each one's rows by
    the child's index, instead of testing every child row against the store (≈ 0.5 s a table at
    100,000 cases on SQLite when every case is stored)."""
    query = select(C.id).where(C.bureau_id == bureau_id)
    if unit_ids is not None:
        query = query.where(C.unit_id.in_(unit_ids))
    if case_id is not None:
        query = query.where(C.id == case_id)
    if skip_stored is not None:
        query = query.where(or_(~covered(skip_stored), also) if also is not None else ~covered(skip_stored))
    return query


#: Up to this many case ids are sent as a list of parameters; more, and the database picks them
#: out itself (``case_ids``).
LIST_LIMIT = 2_000


def in_fresh(column: ColumnElement[Any], bureau_id: UUID, unit_ids: frozenset[UUID] | None, case_id: UUID | None,
             skip_stored: str | None, fresh: Sequence[UUID] | None = None) -> ColumnElement[bool]:
    """``column IN`` the cases in scope not covered by ``skip_stored``: the list ``fresh`` when the
    caller knows it (the case evaluator's read) and it is short, else ``case_ids``."""
    if skip_stored is not None and fresh is not None and len(fresh) <= LIST_LIMIT:
        return column.in_(list(fresh))
    return column.in_(case_ids(bureau_id, unit_ids, case_id, skip_stored))


def stored(conn: Connection, bureau_id: UUID, unit_ids: frozenset[UUID] | None, case_id: UUID | None,
           stamp: str) -> list[tuple[UUID, str]]:
    """One statement: (case id, stored findings as JSON text) of the cases in scope that are
    ``covered`` by ``stamp``, by case id."""
    query = (select(F.case_id, F.findings).join(t.cases, C.id == F.case_id)
             .where(C.bureau_id == bureau_id, F.stamp == stamp, F.facts_rev == C.facts_rev))
    if unit_ids is not None:
        query = query.where(C.unit_id.in_(unit_ids))
    if case_id is not None:
        query = query.where(C.id == case_id)
    _, rows = fetch(conn, query.order_by(F.case_id))
    return [(case, text) for case, text in rows]


def keep(conn: Connection, stamp: str, at: datetime, sets: Sequence[tuple[UUID, int, str]],
         table: Table = t.case_findings) -> bool:
    """Store each (subject id, its ``facts_rev`` when read, findings JSON) under ``stamp`` in
    ``table`` (``case_findings``, or ``media_findings`` of originals), replacing what was stored
    for those subjects, inside a savepoint; return False, having stored nothing, when another
    transaction stored or removed some of those rows meanwhile (PostgreSQL's serialization
    failure under REPEATABLE READ: a cache is simply not filled this time)."""
    upsert: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    key = next(iter(table.primary_key.columns))
    try:
        with conn.begin_nested():
            for start in range(0, len(sets), CHUNK):
                chunk = sets[start:start + CHUNK]
                conn.execute(delete(table).where(key.in_([subject for subject, _, _ in chunk])))
                conn.execute(upsert(table).on_conflict_do_nothing(index_elements=[key.name]),
                             [{key.name: subject, "stamp": stamp, "facts_rev": rev, "stored_at": at,
                               "findings": text} for subject, rev, text in chunk])
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != SERIALIZATION_FAILURE:
            raise
        return False
    return True


__all__ = ["case_ids", "covered", "in_fresh", "keep", "stored"]
