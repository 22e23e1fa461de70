"""SQL repository of disclosures (Art. 37): requests with their originals, decisions, exports
with their marked copies. Every table is append-only (migration 0016)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, Select, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import tables as t
from lawtrail.domain.disclosure import (
    Disclosure,
    DisclosureDecision,
    DisclosureExport,
    DisclosureRequest,
    ExportedCopy,
    ItemKind,
    Method,
    Status,
)
from lawtrail.errors import Conflict

_CHUNK = 500


def _m(row: Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


class SqlDisclosures:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_request(self, request: DisclosureRequest) -> None:
        values = {k: v for k, v in vars(request).items() if k not in ("media_ids", "attachment_ids")}
        self.conn.execute(insert(t.disclosure_requests).values(**values))
        if request.media_ids:
            self.conn.execute(insert(t.disclosure_request_media),
                              [{"request_id": request.id, "media_id": m} for m in request.media_ids])
        if request.attachment_ids:
            self.conn.execute(insert(t.disclosure_request_attachments),
                              [{"request_id": request.id, "attachment_id": a} for a in request.attachment_ids])

    def add_decision(self, decision: DisclosureDecision) -> None:
        try:  # the transaction is useless afterwards; the service leaves it (rollback)
            self.conn.execute(insert(t.disclosure_decisions).values(**(vars(decision)
                                                                      | {"status": decision.status.value})))
        except SqlIntegrityError:
            raise Conflict("该申请已被他人处理，请刷新后重试", "the request was decided meanwhile; reload",
                           code="disclosure.decided") from None

    def _many(self, query: Select[Any]) -> list[Disclosure]:
        rows = list(self.conn.execute(query))
        ids = [r.id for r in rows]
        media: dict[UUID, list[UUID]] = defaultdict(list)
        attachments: dict[UUID, list[UUID]] = defaultdict(list)
        decisions: dict[UUID, list[DisclosureDecision]] = defaultdict(list)
        rm, ra, dd = t.disclosure_request_media, t.disclosure_request_attachments, t.disclosure_decisions
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            for link in self.conn.execute(select(rm).where(rm.c.request_id.in_(chunk)).order_by(rm.c.media_id)):
                media[link.request_id].append(link.media_id)
            for a in self.conn.execute(select(ra).where(ra.c.request_id.in_(chunk)).order_by(ra.c.attachment_id)):
                attachments[a.request_id].append(a.attachment_id)
            for d in self.conn.execute(select(dd).where(dd.c.request_id.in_(chunk)).order_by(dd.c.at)):
                decisions[d.request_id].append(DisclosureDecision(**(_m(d) | {"status": Status(d.status)})))
        return [Disclosure(DisclosureRequest(**_m(r), media_ids=tuple(media[r.id]),
                                             attachment_ids=tuple(attachments[r.id])), tuple(decisions[r.id]))
                for r in rows]

    def get(self, request_id: UUID) -> Disclosure | None:
        found = self._many(select(t.disclosure_requests).where(t.disclosure_requests.c.id == request_id))
        return found[0] if found else None

    def list_for(self, bureau_id: UUID, *, requester_id: UUID | None = None, limit: int = 500) -> list[Disclosure]:
        dr = t.disclosure_requests
        query = select(dr).where(dr.c.bureau_id == bureau_id)
        if requester_id is not None:
            query = query.where(dr.c.requester_id == requester_id)
        return self._many(query.order_by(dr.c.created_at.desc()).limit(limit))

    def add_export(self, export: DisclosureExport) -> None:
        values = {k: v for k, v in vars(export).items() if k != "copies"}
        self.conn.execute(insert(t.disclosure_exports).values(**values))
        if export.copies:
            self.conn.execute(insert(t.disclosure_copies),
                              [vars(c) | {"method": c.method.value, "kind": c.kind.value} for c in export.copies])

    def _exports(self, query: Select[Any]) -> list[DisclosureExport]:
        rows = list(self.conn.execute(query))
        copies: dict[UUID, list[ExportedCopy]] = defaultdict(list)
        dc = t.disclosure_copies
        ids = [r.id for r in rows]
        for start in range(0, len(ids), _CHUNK):
            for c in self.conn.execute(select(dc).where(dc.c.export_id.in_(ids[start:start + _CHUNK]))
                                       .order_by(dc.c.kind.desc(), dc.c.item_id)):  # media first, as made
                copies[c.export_id].append(ExportedCopy(**(_m(c) | {"method": Method(c.method),
                                                                    "kind": ItemKind(c.kind)})))
        return [DisclosureExport(**_m(r), copies=tuple(copies[r.id])) for r in rows]

    def exports(self, *, request_id: UUID | None = None, bureau_id: UUID | None = None) -> list[DisclosureExport]:
        """The exports of one request, or of a whole bureau (for the rules), newest first."""
        de = t.disclosure_exports
        query = select(de)
        if request_id is not None:
            query = query.where(de.c.request_id == request_id)
        if bureau_id is not None:
            query = query.where(de.c.bureau_id == bureau_id)
        return self._exports(query.order_by(de.c.at.desc()))

    def export(self, export_id: UUID) -> DisclosureExport | None:
        found = self._exports(select(t.disclosure_exports).where(t.disclosure_exports.c.id == export_id))
        return found[0] if found else None


__all__ = ["SqlDisclosures"]
