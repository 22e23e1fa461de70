"""SQL repository of the evidence vault (``services.ports.MediaRepo``): write-once media rows
and their versioned registrations. There is no update or delete here, and the database's
triggers refuse both anyway."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, false, func, insert, or_, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import case_findings_repo, media_findings_repo
from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.fastrows import dicts, enum_map, fetch
from lawtrail.domain.activities import Clip
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import (
    MEDIA_EXISTS,
    ORIGINAL_FIELDS,
    REGISTRATION_STALE,
    MediaFilter,
    MediaRecord,
    MediaRow,
    OriginalFact,
    Registration,
)
from lawtrail.errors import Conflict

_MEDIA_TYPES = enum_map(MediaType)
#: The columns of a ``Registration``, in the order of its fields (rows build it positionally).
_REGISTRATION_COLUMNS = tuple(t.media_registrations.c[f.name] for f in fields(Registration))


def _media(row: Row[Any]) -> MediaRecord:
    return _media_from(dict(row._mapping))


def _media_from(data: dict[str, Any]) -> MediaRecord:
    data["media_type"] = _MEDIA_TYPES[data["media_type"]]
    return MediaRecord(**data)


class SqlMedia:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, media: MediaRecord) -> None:
        """Insert the row; raise Conflict ``media.exists`` when the digest is already recorded
        (another process won the race)."""
        values = vars(media) | {"media_type": media.media_type.value}
        try:  # the transaction is useless afterwards; the service leaves it (rollback)
            self.conn.execute(insert(t.media).values(**values))
        except SqlIntegrityError:
            raise Conflict("该文件已入库", "this file is already in the vault", code=MEDIA_EXISTS,
                           details={"sha256": media.sha256}) from None

    def by_sha256(self, sha256: str) -> MediaRecord | None:
        row = self.conn.execute(select(t.media).where(t.media.c.sha256 == sha256)).first()
        return _media(row) if row else None

    def digests(self, batch: int = 5000) -> Iterator[tuple[str, int]]:
        """(sha256, size) of every recorded original, in digest order, read in batches."""
        after = ""
        while True:
            rows = self.conn.execute(
                select(t.media.c.sha256, t.media.c.size).where(t.media.c.sha256 > after)
                .order_by(t.media.c.sha256).limit(batch)).all()
            if not rows:
                return
            for sha256, size in rows:
                yield str(sha256), int(size)
            after = str(rows[-1][0])

    def add_registration(self, registration: Registration) -> None:
        """Insert a version; Conflict ``media.registration_stale`` when it exists already."""
        try:  # as in ``add``: the transaction is useless afterwards, the service leaves it
            self.conn.execute(insert(t.media_registrations).values(**vars(registration)))
        except SqlIntegrityError:
            raise Conflict("登记信息已被他人更新，请刷新后重试",
                           "the registration was changed by someone else meanwhile; reload and retry",
                           code=REGISTRATION_STALE, details={"version": registration.version}) from None

    def registrations(self, media_id: Any) -> list[Registration]:
        """Every version, oldest first."""
        rows = self.conn.execute(select(t.media_registrations)
                                 .where(t.media_registrations.c.media_id == media_id)
                                 .order_by(t.media_registrations.c.version))
        return [Registration(**dict(r._mapping)) for r in rows]

    # --- set-based reads for the compliance engine (one statement each, whatever the count) ---

    def in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                 media_id: UUID | None = None) -> list[MediaRecord]:
        """Every original of the bureau (of ``unit_ids`` when given; only ``media_id`` when given)."""
        query = select(t.media).where(t.media.c.bureau_id == bureau_id)
        if unit_ids is not None:
            query = query.where(t.media.c.unit_id.in_(sorted(unit_ids)))
        if media_id is not None:
            query = query.where(t.media.c.id == media_id)
        return [_media_from(d) for d in dicts(self.conn, query.order_by(t.media.c.stored_at, t.media.c.id))]

    def originals_in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                           skip_stored: str | None = None) -> tuple[list[OriginalFact], dict[UUID, int]]:
        """``in_scope``'s originals, in its order, with only what the vault rules read, and the
        ``facts_rev`` of each (``media_findings_repo.REV``); ``skip_stored``: without those
        whose findings are stored under that stamp."""
        m, store = t.media.c, media_findings_repo
        query = (select(*(m[name] for name in ORIGINAL_FIELDS), store.REV).select_from(store.fresh_from(skip_stored))
                 .where(m.bureau_id == bureau_id))
        if unit_ids is not None:
            query = query.where(m.unit_id.in_(sorted(unit_ids)))
        if skip_stored is not None:
            query = query.where(store.NOT_COVERED)
        _, rows = fetch(self.conn, query.order_by(m.stored_at, m.id))
        return [OriginalFact(*row[:-1]) for row in rows], {row[0]: row[-1] for row in rows}

    def latest_registrations(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                             fresh: Sequence[UUID] | None = None,
                             skip_stored: str | None = None) -> dict[UUID, Registration]:
        """The latest registration version of every original of the bureau (or units); with
        ``skip_stored``, of the originals not stored under it only (``fresh``: their ids)."""
        rg, md = t.media_registrations, t.media
        latest_rows = media_findings_repo.latest_versions(rg, bureau_id, unit_ids, skip_stored, fresh)
        query = (select(*_REGISTRATION_COLUMNS)
                 .join(latest_rows, (latest_rows.c.media_id == rg.c.media_id) & (latest_rows.c.version == rg.c.version))
                 .join(md, md.c.id == rg.c.media_id).where(md.c.bureau_id == bureau_id))
        if unit_ids is not None:
            query = query.where(md.c.unit_id.in_(sorted(unit_ids)))
        _, rows = fetch(self.conn, query)
        return {row[0]: Registration(*row) for row in rows}  # media_id first

    def stored_findings(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                        stamp: str) -> list[tuple[UUID, str]]:
        return media_findings_repo.stored(self.conn, bureau_id, unit_ids, stamp)

    def keep_findings(self, stamp: str, at: datetime, sets: Sequence[tuple[UUID, int, str]]) -> bool:
        return case_findings_repo.keep(self.conn, stamp, at, sets, t.media_findings)

    def get(self, media_id: UUID) -> MediaRecord | None:
        row = self.conn.execute(select(t.media).where(t.media.c.id == media_id)).first()
        return _media(row) if row else None

    def search(self, query: MediaFilter) -> tuple[list[MediaRow], int]:
        """One page and the total, in two set-based statements (media ⟕ latest registration)."""
        m = t.media
        reg, base = _with_latest(select(*m.c, *_reg_columns()), query.bureau_id, query.unit_ids)
        conditions = _conditions(query, reg)
        total = self.conn.execute(
            select(func.count()).select_from(base.where(*conditions).subquery())).scalar_one()
        page = (base.where(*conditions)
                .order_by(func.coalesce(m.c.captured_at, m.c.stored_at).desc(), m.c.id)
                .offset(max(0, query.offset)).limit(max(1, query.limit)))
        return [_row(r) for r in self.conn.execute(page)], int(total)

    def neighbours(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *, exclude: UUID,
                   device_id: UUID, officer_id: UUID | None, start: datetime, end: datetime) -> list[MediaRow]:
        m = t.media
        reg, base = _with_latest(select(*m.c, *_reg_columns()), bureau_id, unit_ids)
        same: ColumnElement[bool] = m.c.device_id == device_id
        if officer_id is not None:
            same = or_(same, m.c.officer_id == officer_id, reg.c.officer_id == officer_id)
        rows = self.conn.execute(base.where(m.c.id != exclude, m.c.captured_at >= start,
                                            m.c.captured_at <= end, same).limit(200))
        return [_row(r) for r in rows]

    def recorded_after(self, cursor: tuple[datetime, UUID] | None, limit: int) -> list[MediaRecord]:
        m = t.media
        query = select(m)
        if cursor is not None:
            at, after = cursor
            query = query.where(or_(m.c.created_at > at, and_(m.c.created_at == at, m.c.id > after)))
        return [_media(r) for r in self.conn.execute(query.order_by(m.c.created_at, m.c.id).limit(max(1, limit)))]

    def clips(self, device_ids: Collection[UUID], start: datetime, end: datetime) -> list[Clip]:
        """Audio/video originals of ``device_ids`` overlapping ``[start, end]`` on the device clock,
        in one query (the continuity check reads every activity's clips at once)."""
        if not device_ids:
            return []
        m = t.media
        rows = self.conn.execute(
            select(m.c.id, m.c.device_id, m.c.media_type, m.c.original_name, m.c.captured_at,
                   m.c.captured_end, m.c.clock_offset_s)
            .where(and_(m.c.device_id.in_(list(device_ids)), m.c.media_type.in_(("video", "audio")),
                        m.c.captured_at.is_not(None), m.c.captured_at <= end,
                        func.coalesce(m.c.captured_end, m.c.captured_at) >= start))
            .order_by(m.c.device_id, m.c.captured_at, m.c.id))
        return [Clip(media_id=r.id, device_id=r.device_id, media_type=r.media_type, original_name=r.original_name,
                     captured_at=r.captured_at, captured_end=r.captured_end, clock_offset_s=r.clock_offset_s)
                for r in rows]


_REG_FIELDS = ("media_id", "version", "unit_name", "category", "device_number", "officer_id", "officer_name",
               "used_from", "used_to", "party", "case_name", "actor_id", "actor_name", "at")
_MEDIA_FIELDS = tuple(c.name for c in t.media.c)


def _reg_columns() -> list[Any]:
    r = t.media_registrations
    return [r.c[name].label(f"reg_{name}") for name in _REG_FIELDS]


def _with_latest(query: Select[Any], bureau_id: UUID, unit_ids: frozenset[UUID] | None
                 ) -> tuple[Any, Select[Any]]:
    """``query`` over media LEFT JOIN its latest registration, limited to the bureau and scope.

    Returns the registrations table (to filter on) and the query."""
    m, r = t.media, t.media_registrations
    latest = (select(r.c.media_id, func.max(r.c.version).label("version"))
              .group_by(r.c.media_id).subquery("latest"))
    joined = m.outerjoin(latest, latest.c.media_id == m.c.id).outerjoin(
        r, and_(r.c.media_id == latest.c.media_id, r.c.version == latest.c.version))
    query = query.select_from(joined).where(m.c.bureau_id == bureau_id)
    if unit_ids is not None:
        query = query.where(m.c.unit_id.in_(unit_ids) if unit_ids else false())
    return r, query


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _blank(column: Any) -> ColumnElement[bool]:
    return or_(column.is_(None), func.trim(column) == "")


def _incomplete(r: Any) -> ColumnElement[bool]:
    """Exactly ``domain.vault.missing_items(reg) != []`` (NULLs are a missing registration)."""
    return or_(_blank(r.c.unit_name), _blank(r.c.category), _blank(r.c.device_number),
               and_(r.c.officer_id.is_(None), _blank(r.c.officer_name)),
               r.c.used_from.is_(None), r.c.used_to.is_(None), _blank(r.c.party), _blank(r.c.case_name))


def _conditions(q: MediaFilter, r: Any) -> list[ColumnElement[bool]]:
    m = t.media
    out: list[ColumnElement[bool]] = []
    if q.unit_id is not None:
        out.append(m.c.unit_id == q.unit_id)
    if q.media_type is not None:
        out.append(m.c.media_type == q.media_type.value)
    if q.category:
        out.append(r.c.category == q.category)
    if q.officer_id is not None:
        out.append(r.c.officer_id == q.officer_id)
    for column, text in ((r.c.device_number, q.device_number), (r.c.party, q.party), (r.c.case_name, q.case_name)):
        if text:
            out.append(_contains(column, text))
    if q.used_from is not None:
        out.append(r.c.used_to >= q.used_from)
    if q.used_to is not None:
        out.append(r.c.used_from <= q.used_to)
    if q.incomplete is not None:
        out.append(_incomplete(r) if q.incomplete else ~_incomplete(r))
    if q.media_ids is not None:
        out.append(m.c.id.in_(sorted(q.media_ids)) if q.media_ids else false())
    return out


def _row(row: Row[Any]) -> MediaRow:
    data = row._mapping
    media = _media_from({name: data[name] for name in _MEDIA_FIELDS})
    if data["reg_media_id"] is None:
        return MediaRow(media, None)
    return MediaRow(media, Registration(**{name: data[f"reg_{name}"] for name in _REG_FIELDS}))
