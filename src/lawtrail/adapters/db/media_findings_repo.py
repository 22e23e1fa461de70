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

from sqlalchemy import ColumnElement, Connection, Select, exists, func, select

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.case_findings_repo import LIST_LIMIT
from lawtrail.adapters.db.fastrows import fetch

F, M, R = t.media_findings.c, t.media.c, t.media_revs.c
#: What an original's stored findings hold when it has none (not read back: nothing to add).
NONE = "[]"


def rev_of(media_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """The original's ``facts_rev`` now: its ``media_revs.rev``, 0 without a row."""
    return func.coalesce(select(R.rev).where(R.media_id == media_id).correlate_except(t.media_revs)
                         .scalar_subquery(), 0)


def covered(stamp: str) -> ColumnElement[bool]:
    """True for an original (``media`` in the FROM clause) whose stored findings hold for ``stamp``."""
    return exists().where(F.media_id == M.id, F.stamp == stamp, F.facts_rev == rev_of(F.media_id))


def _scoped(query: Select[Any], bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> Select[Any]:
    query = query.where(M.bureau_id == bureau_id)
    return query if unit_ids is None else query.where(M.unit_id.in_(sorted(unit_ids)))


def media_ids(bureau_id: UUID, unit_ids: frozenset[UUID] | None, skip_stored: str) -> Select[Any]:
    """The ids of the originals in scope not ``covered`` by ``skip_stored``."""
    return _scoped(select(M.id), bureau_id, unit_ids).where(~covered(skip_stored))


def in_fresh(column: ColumnElement[Any], bureau_id: UUID, unit_ids: frozenset[UUID] | None, skip_stored: str,
             fresh: Sequence[UUID]) -> ColumnElement[bool]:
    """``column IN`` the originals in scope not covered by ``skip_stored``: the list ``fresh``
    when it is short, else ``media_ids``."""
    return column.in_(list(fresh)) if len(fresh) <= LIST_LIMIT else column.in_(media_ids(bureau_id, unit_ids,
                                                                                           skip_stored))


def stored(conn: Connection, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
           stamp: str) -> list[tuple[UUID, str]]:
    """One statement: (media id, stored findings as JSON text) of the originals in scope that are
    ``covered`` by ``stamp`` and have findings, by media id."""
    query = (_scoped(select(F.media_id, F.findings).join(t.media, M.id == F.media_id)
                     .outerjoin(t.media_revs, R.media_id == F.media_id), bureau_id, unit_ids)
             .where(F.stamp == stamp, F.facts_rev == func.coalesce(R.rev, 0), F.findings != NONE))
    _, rows = fetch(conn, query.order_by(F.media_id))
    return [(media, text) for media, text in rows]


__all__ = ["NONE", "covered", "in_fresh", "media_ids", "rev_of", "stored"]
