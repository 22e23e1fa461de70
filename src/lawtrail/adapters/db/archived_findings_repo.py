"""The stored findings of archived cases (``archived_findings``, decision 0048): a derived cache
of what the compliance engine computed for a case that can no longer change. The repository
stores and reads JSON text; what is in it and when it may be used is the engine's business
(``services.archived_findings``).

A stored row counts only while it has the stamp asked for, its case is still at 归档 and the
case's ``ended_at`` is the one stored (``covered``): a case taken back by a correction and
archived again is computed afresh even if its row was not removed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, and_, delete, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.fastrows import fetch
from lawtrail.domain.cases import Stage

A, C = t.archived_findings.c, t.cases.c
#: PostgreSQL's SQLSTATE for "could not serialize access".
SERIALIZATION_FAILURE = "40001"
#: Rows per INSERT / DELETE statement when storing (SQLite's bound-parameter limit is far above).
CHUNK = 2_000


def covered(stamp: str) -> ColumnElement[bool]:
    """True for a case (``cases`` in the FROM clause) whose stored findings hold for ``stamp``."""
    return and_(C.stage == Stage.ARCHIVE.value,
                exists().where(A.case_id == C.id, A.stamp == stamp, A.ended_at == C.ended_at))


def stored(conn: Connection, bureau_id: UUID, unit_ids: frozenset[UUID] | None, case_id: UUID | None,
           stamp: str) -> list[tuple[UUID, str]]:
    """One statement: (case id, stored findings as JSON text) of the cases in scope that are
    ``covered`` by ``stamp``, by case id."""
    query = (select(A.case_id, A.findings).join(t.cases, C.id == A.case_id)
             .where(C.bureau_id == bureau_id, C.stage == Stage.ARCHIVE.value, A.stamp == stamp,
                    A.ended_at == C.ended_at))
    if unit_ids is not None:
        query = query.where(C.unit_id.in_(unit_ids))
    if case_id is not None:
        query = query.where(C.id == case_id)
    _, rows = fetch(conn, query.order_by(A.case_id))
    return [(case, text) for case, text in rows]


def keep(conn: Connection, stamp: str, at: datetime, sets: Sequence[tuple[UUID, datetime, str]]) -> bool:
    """Store each (case id, its ``ended_at``, findings JSON) under ``stamp``, replacing what was
    stored for those cases, inside a savepoint; return False, having stored nothing, when another
    transaction stored or removed some of those rows meanwhile (PostgreSQL's serialization
    failure under REPEATABLE READ: a cache is simply not filled this time)."""
    upsert: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    try:
        with conn.begin_nested():
            for start in range(0, len(sets), CHUNK):
                chunk = sets[start:start + CHUNK]
                conn.execute(delete(t.archived_findings).where(A.case_id.in_([case for case, _, _ in chunk])))
                conn.execute(upsert(t.archived_findings).on_conflict_do_nothing(index_elements=["case_id"]),
                             [{"case_id": case, "stamp": stamp, "ended_at": ended, "stored_at": at,
                               "findings": text} for case, ended, text in chunk])
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != SERIALIZATION_FAILURE:
            raise
        return False
    return True


def forget(conn: Connection, case_id: UUID) -> None:
    """Remove what is stored for ``case_id`` (it is leaving 归档 by a correction)."""
    conn.execute(delete(t.archived_findings).where(A.case_id == case_id))


__all__ = ["covered", "forget", "keep", "stored"]
