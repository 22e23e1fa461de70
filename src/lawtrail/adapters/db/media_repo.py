"""SQL repository of the evidence vault (``services.ports.MediaRepo``): write-once media rows
and their versioned registrations. There is no update or delete here, and the database's
triggers refuse both anyway."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, func, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import tables as t
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import MEDIA_EXISTS, MediaRecord, Registration
from lawtrail.errors import Conflict


def _media(row: Row[Any]) -> MediaRecord:
    data = dict(row._mapping)
    data["media_type"] = MediaType(data["media_type"])
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
        self.conn.execute(insert(t.media_registrations).values(**vars(registration)))

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
        return [_media(r) for r in self.conn.execute(query.order_by(t.media.c.stored_at, t.media.c.id))]

    def latest_registrations(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> dict[UUID, Registration]:
        """The latest registration version of every original of the bureau (or units)."""
        rg, md = t.media_registrations, t.media
        latest = select(rg.c.media_id, func.max(rg.c.version).label("version")).group_by(rg.c.media_id).subquery()
        query = (select(rg).join(latest, (latest.c.media_id == rg.c.media_id) & (latest.c.version == rg.c.version))
                 .join(md, md.c.id == rg.c.media_id).where(md.c.bureau_id == bureau_id))
        if unit_ids is not None:
            query = query.where(md.c.unit_id.in_(sorted(unit_ids)))
        return {r.media_id: Registration(**dict(r._mapping)) for r in self.conn.execute(query)}
