"""SQL repository of derived objects (``services.ports.DerivedRepo``): write-once rows, one per
original and kind; no update or delete here, and the database's triggers refuse both anyway."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import tables as t
from lawtrail.domain.derived import DERIVED_EXISTS, DerivedKind, DerivedObject
from lawtrail.errors import Conflict

_D = t.media_derived


def _derived(row: Row[Any]) -> DerivedObject:
    data = dict(row._mapping)
    data["kind"] = DerivedKind(data["kind"])
    return DerivedObject(**data)


class SqlDerived:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, derived: DerivedObject) -> None:
        try:  # the transaction is useless afterwards; the service leaves it (rollback)
            self.conn.execute(insert(_D).values(**(vars(derived) | {"kind": derived.kind.value})))
        except SqlIntegrityError:
            raise Conflict("该原始文件的派生文件已生成", "this derived object exists already",
                           code=DERIVED_EXISTS, details={"kind": derived.kind.value}) from None

    def for_media(self, media_ids: Collection[UUID]) -> dict[UUID, dict[DerivedKind, DerivedObject]]:
        if not media_ids:
            return {}
        out: dict[UUID, dict[DerivedKind, DerivedObject]] = {}
        for row in self.conn.execute(select(_D).where(_D.c.media_id.in_(list(media_ids)))):
            item = _derived(row)
            out.setdefault(item.media_id, {})[item.kind] = item
        return out

    def digests(self, batch: int = 5000) -> Iterator[tuple[str, int, UUID, DerivedKind]]:
        """(sha256, size, media id, kind) of every derived object, in digest order, in batches.
        Two originals' derived objects may share a digest (the same bytes made twice)."""
        last_sha: str = ""
        last_id: UUID | None = None
        while True:
            query = select(_D.c.sha256, _D.c.size, _D.c.media_id, _D.c.kind, _D.c.id)
            if last_id is not None:
                query = query.where((_D.c.sha256 > last_sha) | ((_D.c.sha256 == last_sha) & (_D.c.id > last_id)))
            rows = self.conn.execute(query.order_by(_D.c.sha256, _D.c.id).limit(batch)).all()
            if not rows:
                return
            for sha256, size, media_id, kind, _id in rows:
                yield str(sha256), int(size), media_id, DerivedKind(kind)
            last_sha, last_id = str(rows[-1][0]), rows[-1][4]
