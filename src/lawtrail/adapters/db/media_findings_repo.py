"""The stored findings of originals (``media_findings``, decision 0051): the vault rules' findings
(Art. 41–43) of each original as JSON text, like ``case_findings_repo`` for cases.

A stored row counts only while it has the stamp asked for and its ``facts_rev`` is the
original's ``media_revs.rev`` (0 when the original has no row there): triggers raise it on every
insert into the registrations, marks and hand-in links (migration 0025), so nothing that writes
can forget to make a stored row stale, and a row stored from a snapshot that a writer has since
moved past never counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, FromClause, Select, Subquery, Table, and_, func, or_, select

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.case_findings_repo import LIST_LIMIT
from lawtrail.adapters.db.fastrows import fetch

F, M, R = t.media_findings.c, t.media.c, t.media_revs.c
#: What an original's stored findings hold when it has none (not read back: nothing to add).
NONE = "[]"


#: An original's ``facts_rev`` now, in a query over ``fresh_from``: its ``media_revs.rev``, 0 without a row.
REV = func.coalesce(R.rev, 0)


def fresh_from(skip_stored: str | None) -> FromClause:
    """``media`` with its ``media_revs`` row and, with ``skip_stored``, its stored findings under
    that stamp: outer joins on primary keys, kept to the originals not covered by ``NOT_COVERED``.
    (An anti-join by ``NOT EXISTS`` with the counter's sub-select inside is planned by
    PostgreSQL as a nested loop over every stored row, its selectivity being unknown: minutes
    at 141,538 originals. These joins are a hash or merge join on both engines.)"""
    joined = t.media.outerjoin(t.media_revs, R.media_id == M.id)
    if skip_stored is None:
        return joined
    return joined.outerjoin(t.media_findings, and_(F.media_id == M.id, F.stamp == skip_stored))


#: With ``fresh_from(stamp)``: the original has no stored row under the stamp, or one of an older ``facts_rev``.
NOT_COVERED = or_(F.media_id.is_(None), F.facts_rev != REV)


def _scoped(query: Select[Any], bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> Select[Any]:
    query = query.where(M.bureau_id == bureau_id)
    return query if unit_ids is None else query.where(M.unit_id.in_(sorted(unit_ids)))


def media_ids(bureau_id: UUID, unit_ids: frozenset[UUID] | None, skip_stored: str) -> Select[Any]:
    """The ids of the originals in scope whose findings are not stored under ``skip_stored``."""
    return _scoped(select(M.id).select_from(fresh_from(skip_stored)), bureau_id, unit_ids).where(NOT_COVERED)


def in_fresh(column: ColumnElement[Any], bureau_id: UUID, unit_ids: frozenset[UUID] | None, skip_stored: str,
             fresh: Sequence[UUID]) -> ColumnElement[bool]:
    """``column IN`` the originals in scope not covered by ``skip_stored``: the list ``fresh``
    when it is short, else ``media_ids``."""
    return column.in_(list(fresh)) if len(fresh) <= LIST_LIMIT else column.in_(media_ids(bureau_id, unit_ids,
                                                                                           skip_stored))


def latest_versions(table: Table, bureau_id: UUID, unit_ids: frozenset[UUID] | None, skip_stored: str | None,
                    fresh: Sequence[UUID] | None) -> Subquery:
    """(media_id, version) of the latest version per original in ``table`` (registrations or
    marks); with ``skip_stored`` and ``fresh``, of the originals not stored only (``in_fresh``)."""
    query = select(table.c.media_id, func.max(table.c.version).label("version"))
    if skip_stored is not None and fresh is not None:
        query = query.where(in_fresh(table.c.media_id, bureau_id, unit_ids, skip_stored, fresh))
    return query.group_by(table.c.media_id).subquery()


def stored(conn: Connection, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
           stamp: str) -> list[tuple[UUID, str]]:
    """One statement: (media id, stored findings as JSON text) of the originals in scope that are
    stored under ``stamp`` (at their ``facts_rev`` now) and have findings, by media id."""
    query = (_scoped(select(F.media_id, F.findings).join(t.media, M.id == F.media_id)
                     .outerjoin(t.media_revs, R.media_id == F.media_id), bureau_id, unit_ids)
             .where(F.stamp == stamp, F.facts_rev == REV, F.findings != NONE))
    _, rows = fetch(conn, query.order_by(F.media_id))
    return [(media, text) for media, text in rows]


__all__ = ["NONE", "NOT_COVERED", "REV", "fresh_from", "in_fresh", "latest_versions", "media_ids", "stored"]
