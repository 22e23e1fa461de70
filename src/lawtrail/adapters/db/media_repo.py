"""SQL repository of the evidence vault (``services.ports.MediaRepo``): write-once media rows
and their versioned registrations. There is no update or delete here, and the database's
triggers refuse both anyway."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, and_, func, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import tables as t
from lawtrail.domain.activities import Clip
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
