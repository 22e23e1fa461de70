"""SQL repositories of hand-ins (``services.ports.HandinRepo``) and evidence / retention marks
(``services.ports.MarkRepo``). Append-only: there is no update or delete here, and the
database's triggers refuse both anyway. The ``*_in_scope`` reads are set-based: one statement
for every row of a bureau (optionally of some units), whatever the number of originals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, Select, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import media_findings_repo
from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.fastrows import dicts
from lawtrail.adapters.db.media_repo import _media
from lawtrail.domain.evidence import (
    HANDIN_COMPLETED,
    MARK_VERSION_TAKEN,
    MEDIA_LINKED,
    Handin,
    HandinCompletion,
    HandinException,
    MediaMark,
    RetentionClass,
    Situation,
)
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import Conflict


def _handin(row: Row[Any]) -> Handin:
    data = dict(row._mapping)
    data["exception"] = HandinException(data["exception"]) if data["exception"] else None
    return Handin(**data)


def _mark(row: Row[Any]) -> MediaMark:
    return _mark_from(dict(row._mapping))


def _mark_from(data: dict[str, Any]) -> MediaMark:
    data["situations"] = tuple(Situation(s) for s in data["situations"])
    data["retention"] = RetentionClass(data["retention"])
    return MediaMark(**data)


def _scoped(query: Select[Any], unit_col: Any, bureau_col: Any, bureau_id: UUID,
            unit_ids: frozenset[UUID] | None) -> Select[Any]:
    query = query.where(bureau_col == bureau_id)
    return query if unit_ids is None else query.where(unit_col.in_(sorted(unit_ids)))


class SqlHandins:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, handin: Handin) -> None:
        values = vars(handin) | {"exception": handin.exception.value if handin.exception else None}
        self.conn.execute(insert(t.handins).values(**values))

    def get(self, handin_id: UUID) -> Handin | None:
        row = self.conn.execute(select(t.handins).where(t.handins.c.id == handin_id)).first()
        return _handin(row) if row else None

    def complete(self, completion: HandinCompletion) -> None:
        """Insert the completion and its links; raise Conflict ``handin.completed`` when the
        hand-in was already completed, ``handin.media_linked`` when an original already
        belongs to a hand-in (the transaction is then useless; the service leaves it)."""
        try:
            self.conn.execute(insert(t.handin_completions).values(
                handin_id=completion.handin_id, completed_at=completion.completed_at,
                actor_id=completion.actor_id, actor_name=completion.actor_name))
        except SqlIntegrityError:
            raise Conflict("该交接已完成储存", "this hand-in is already completed", code=HANDIN_COMPLETED) from None
        if not completion.media_ids:
            return
        try:
            self.conn.execute(insert(t.handin_media), [
                {"media_id": m, "handin_id": completion.handin_id} for m in completion.media_ids])
        except SqlIntegrityError:
            raise Conflict("原始文件已属于其他交接", "an original already belongs to another hand-in",
                           code=MEDIA_LINKED) from None

    def completion(self, handin_id: UUID) -> HandinCompletion | None:
        row = self.conn.execute(select(t.handin_completions)
                                .where(t.handin_completions.c.handin_id == handin_id)).first()
        if row is None:
            return None
        media = self.conn.execute(select(t.handin_media.c.media_id).where(t.handin_media.c.handin_id == handin_id)
                                  .order_by(t.handin_media.c.media_id)).scalars()
        return HandinCompletion(media_ids=tuple(media), **dict(row._mapping))

    def in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[Handin]:
        """Every hand-in of the bureau (of ``unit_ids`` when given), newest first."""
        query = _scoped(select(t.handins), t.handins.c.unit_id, t.handins.c.bureau_id, bureau_id, unit_ids)
        return [_handin(r) for r in self.conn.execute(query.order_by(t.handins.c.handed_in_at.desc()))]

    def completions_in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None
                             ) -> dict[UUID, HandinCompletion]:
        """The completions of those hand-ins, with their originals: two statements in all."""
        h, c, m = t.handins, t.handin_completions, t.handin_media
        rows = self.conn.execute(_scoped(select(c).join(h, h.c.id == c.c.handin_id), h.c.unit_id, h.c.bureau_id,
                                         bureau_id, unit_ids)).all()
        links: dict[UUID, list[UUID]] = defaultdict(list)
        link_rows = self.conn.execute(_scoped(select(m.c.handin_id, m.c.media_id).join(h, h.c.id == m.c.handin_id),
                                              h.c.unit_id, h.c.bureau_id, bureau_id, unit_ids))
        for handin_id, media_id in link_rows:
            links[handin_id].append(media_id)
        return {r.handin_id: HandinCompletion(media_ids=tuple(sorted(links[r.handin_id])), **dict(r._mapping))
                for r in rows}

    def unlinked_media(self, device_id: UUID) -> list[MediaRecord]:
        """Originals of the device that no hand-in accounts for yet, oldest capture first."""
        query = (select(t.media).where(t.media.c.device_id == device_id)
                 .where(~t.media.c.id.in_(select(t.handin_media.c.media_id)))
                 .order_by(t.media.c.captured_at, t.media.c.stored_at))
        return [_media(r) for r in self.conn.execute(query)]


class SqlMarks:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, mark: MediaMark) -> None:
        """Insert a version; raise Conflict ``media.mark_version_taken`` when another writer
        took the same version number first."""
        values = vars(mark) | {"situations": [s.value for s in mark.situations], "retention": mark.retention.value}
        try:
            self.conn.execute(insert(t.media_marks).values(**values))
        except SqlIntegrityError:
            raise Conflict("标记已被他人同时修改，请刷新后重试", "the mark was changed meanwhile; reload and retry",
                           code=MARK_VERSION_TAKEN) from None

    def for_media(self, media_id: UUID) -> list[MediaMark]:
        """Every version, oldest first."""
        rows = self.conn.execute(select(t.media_marks).where(t.media_marks.c.media_id == media_id)
                                 .order_by(t.media_marks.c.version))
        return [_mark(r) for r in rows]

    def latest_in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                        fresh: Sequence[UUID] | None = None, skip_stored: str | None = None) -> dict[UUID, MediaMark]:
        """The latest version of every marked original of the bureau (or units), in one
        statement; with ``skip_stored``, of the originals not stored under it only (``fresh``:
        their ids)."""
        mk, md = t.media_marks, t.media
        latest_rows = media_findings_repo.latest_versions(mk, bureau_id, unit_ids, skip_stored, fresh)
        query = (select(mk).join(latest_rows, (latest_rows.c.media_id == mk.c.media_id)
                                 & (latest_rows.c.version == mk.c.version))
                 .join(md, md.c.id == mk.c.media_id))
        rows = dicts(self.conn, _scoped(query, md.c.unit_id, md.c.bureau_id, bureau_id, unit_ids))
        return {d["media_id"]: _mark_from(d) for d in rows}
