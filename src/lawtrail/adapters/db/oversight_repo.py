"""SQL repository of supervision (``services.ports.OversightRepo``): set-based reads for the
accountability report and the dashboard, and the daily snapshots (decision 0020)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, and_, delete, false, func, insert, or_, select

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.media_repo import _media
from lawtrail.domain.devices import DeviceLogEntry, DeviceStatus, LogKind
from lawtrail.domain.events import Event
from lawtrail.domain.supervision import SnapshotRow
from lawtrail.domain.vault import MediaRecord


def _entry(row: Row[Any]) -> DeviceLogEntry:
    data = dict(row._mapping)
    data["kind"] = LogKind(data["kind"])
    data["status"] = DeviceStatus(data["status"]) if data["status"] else None
    return DeviceLogEntry(**data)


def _event(row: Row[Any]) -> Event:
    data = dict(row._mapping)
    data.pop("leaf_hash")
    return Event(**data)


class SqlOversight:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def population(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> dict[tuple[UUID, str], int]:
        """Four grouped counts (originals, hand-ins, activities by distinct id, cases)."""
        out: dict[tuple[UUID, str], int] = {}
        sources = (("media", t.media, func.count()), ("handin", t.handins, func.count()),
                   ("activity", t.activities, func.count(t.activities.c.id.distinct())),
                   ("case", t.cases, func.count()))
        for kind, table, counted in sources:
            query = (select(table.c.unit_id, counted).where(table.c.bureau_id == bureau_id)
                     .group_by(table.c.unit_id))
            if unit_ids is not None:
                query = query.where(table.c.unit_id.in_(unit_ids))
            for unit_id, n in self.conn.execute(query):
                out[(unit_id, kind)] = int(n)
        return out

    def events_between(self, actions: Collection[str], start: datetime | None,
                       end: datetime | None) -> list[Event]:
        query = select(t.events).where(t.events.c.action.in_(list(actions)))
        if start is not None:
            query = query.where(t.events.c.occurred_at >= start)
        if end is not None:
            query = query.where(t.events.c.occurred_at < end)
        return [_event(r) for r in self.conn.execute(query.order_by(t.events.c.seq))]

    def media_for(self, ids: Collection[UUID], digests: Collection[str]) -> list[MediaRecord]:
        if not ids and not digests:
            return []
        cond = or_(t.media.c.id.in_(list(ids)) if ids else false(),
                   t.media.c.sha256.in_(list(digests)) if digests else false())
        return [_media(r) for r in self.conn.execute(select(t.media).where(cond))]

    def device_troubles(self, bureau_id: UUID, start: datetime | None, end: datetime | None
                        ) -> list[DeviceLogEntry]:
        log = t.device_log
        trouble = or_(log.c.kind == LogKind.FAULT.value,
                      and_(log.c.kind == LogKind.STATUS.value, log.c.status == DeviceStatus.LOST.value))
        query = (select(log).join(t.devices, t.devices.c.id == log.c.device_id)
                 .where(t.devices.c.bureau_id == bureau_id, trouble))
        if start is not None:
            query = query.where(log.c.at >= start)
        if end is not None:
            query = query.where(log.c.at < end)
        return [_entry(r) for r in self.conn.execute(query.order_by(log.c.at, log.c.id))]

    def device_logs(self, device_ids: Collection[UUID]) -> dict[UUID, list[DeviceLogEntry]]:
        out: dict[UUID, list[DeviceLogEntry]] = defaultdict(list)
        if not device_ids:
            return out
        log = t.device_log
        for row in self.conn.execute(select(log).where(log.c.device_id.in_(list(device_ids)))
                                     .order_by(log.c.device_id, log.c.at)):
            out[row.device_id].append(_entry(row))
        return dict(out)

    def replace_snapshot(self, bureau_id: UUID, day: date, rows: Sequence[SnapshotRow]) -> None:
        snap = t.oversight_snapshots
        self.conn.execute(delete(snap).where(snap.c.bureau_id == bureau_id, snap.c.day == day))
        if rows:
            self.conn.execute(insert(snap), [
                {"bureau_id": bureau_id, "day": day, "unit_id": UUID(r.unit_id), "metric": r.metric,
                 "numerator": r.numerator, "denominator": r.denominator, "taken_at": r.taken_at} for r in rows])

    def snapshots(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, since: date,
                  until: date) -> list[SnapshotRow]:
        snap = t.oversight_snapshots
        query = select(snap).where(snap.c.bureau_id == bureau_id, snap.c.day >= since, snap.c.day <= until)
        if unit_ids is not None:
            query = query.where(snap.c.unit_id.in_(unit_ids))
        return [SnapshotRow(bureau_id=str(r.bureau_id), day=r.day, unit_id=str(r.unit_id), metric=r.metric,
                            numerator=r.numerator, denominator=r.denominator, taken_at=r.taken_at)
                for r in self.conn.execute(query.order_by(snap.c.day, snap.c.unit_id, snap.c.metric))]

    def last_snapshot_at(self, bureau_id: UUID) -> datetime | None:
        snap = t.oversight_snapshots
        value = self.conn.execute(select(func.max(snap.c.taken_at)).where(snap.c.bureau_id == bureau_id)).scalar()
        if value is None:
            return None
        return t.UTCDateTime().process_result_value(value, self.conn.dialect)
