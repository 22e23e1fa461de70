"""SQL repository of on-site activities and recording interruptions (``services.ports.ActivityRepo``).

Both are versioned and append-only: there is no update or delete here, and the database's
triggers refuse both anyway. "The latest version" is read with one grouped sub-query, so a
list of any length costs the same fixed number of queries (activities, devices, officers).
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, Select, and_, func, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.sql import Subquery

from lawtrail.adapters.db import tables as t
from lawtrail.domain.activities import Activity, ActivityKind, Interruption, InterruptionReason
from lawtrail.errors import Conflict

#: Error codes of a clash on (id, version): two corrections raced (the services agree).
ACTIVITY_VERSION_TAKEN = "activity.version_taken"
INTERRUPTION_VERSION_TAKEN = "interruption.version_taken"

_A = t.activities
_I = t.interruptions
_ACTIVITY_COLUMNS = [c for c in _A.c]


class SqlActivities:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # ---- activities ---------------------------------------------------------------------------

    def add(self, activity: Activity) -> None:
        values = {c.name: getattr(activity, c.name) for c in _A.c}
        values["kind"] = activity.kind.value
        try:  # the transaction is useless afterwards; the service leaves it (rollback)
            self.conn.execute(insert(_A).values(**values))
        except SqlIntegrityError:
            raise Conflict("该执法活动已被他人更正，请刷新后重试",
                           "the activity was corrected by someone else; reload and try again",
                           code=ACTIVITY_VERSION_TAKEN) from None
        key = {"activity_id": activity.id, "version": activity.version}
        if activity.device_ids:
            self.conn.execute(insert(t.activity_devices), [
                key | {"device_id": d, "position": i} for i, d in enumerate(activity.device_ids)])
        if activity.officer_ids:
            self.conn.execute(insert(t.activity_officers), [
                key | {"user_id": u, "position": i} for i, u in enumerate(activity.officer_ids)])

    def get(self, activity_id: UUID) -> Activity | None:
        found = self._load(self._latest(None, None, [activity_id]))
        return found[0] if found else None

    def versions(self, activity_id: UUID) -> list[Activity]:
        keys = select(_A.c.id, _A.c.version).where(_A.c.id == activity_id).subquery()
        return sorted(self._load(keys), key=lambda a: a.version)

    def for_case(self, case_id: UUID) -> list[Activity]:
        """Four queries: the activities any version of which names the case, then those whose
        version in force still does."""
        ids = self.conn.execute(select(_A.c.id).where(_A.c.case_id == case_id).distinct()).scalars().all()
        if not ids:
            return []
        return [a for a in self._load(self._latest(None, None, ids)) if a.case_id == case_id]

    def _latest(self, bureau_id: UUID | None, unit_ids: frozenset[UUID] | None,
                activity_ids: Collection[UUID] | None) -> Subquery:
        """(id, version) of the latest version of each chosen activity."""
        query: Select[Any] = select(_A.c.id, func.max(_A.c.version).label("version")).group_by(_A.c.id)
        if bureau_id is not None:
            query = query.where(_A.c.bureau_id == bureau_id)
        if unit_ids is not None:
            query = query.where(_A.c.unit_id.in_(unit_ids))
        if activity_ids is not None:
            query = query.where(_A.c.id.in_(list(activity_ids)))
        return query.subquery()

    def _load(self, keys: Subquery) -> list[Activity]:
        """Three queries: the version rows, their devices, their officers."""
        on = and_(_A.c.id == keys.c.id, _A.c.version == keys.c.version)
        rows = self.conn.execute(select(*_ACTIVITY_COLUMNS).join(keys, on)
                                 .order_by(_A.c.arrived_at.desc(), _A.c.id, _A.c.version)).all()
        if not rows:
            return []
        devices = self._members(t.activity_devices, t.activity_devices.c.device_id, keys)
        officers = self._members(t.activity_officers, t.activity_officers.c.user_id, keys)
        return [_activity(r, devices, officers) for r in rows]

    def _members(self, table: Any, column: Any, keys: Subquery) -> dict[tuple[UUID, int], tuple[UUID, ...]]:
        on = and_(table.c.activity_id == keys.c.id, table.c.version == keys.c.version)
        out: dict[tuple[UUID, int], list[UUID]] = defaultdict(list)
        for activity_id, version, member in self.conn.execute(
                select(table.c.activity_id, table.c.version, column).join(keys, on)
                .order_by(table.c.activity_id, table.c.version, table.c.position)):
            out[(activity_id, version)].append(member)
        return {k: tuple(v) for k, v in out.items()}

    # ---- interruptions ------------------------------------------------------------------------

    def add_interruption(self, interruption: Interruption) -> None:
        values = vars(interruption) | {"reason": interruption.reason.value if interruption.reason else None}
        try:
            self.conn.execute(insert(_I).values(**values))
        except SqlIntegrityError:
            raise Conflict("该中断记录已被他人补充，请刷新后重试",
                           "the interruption was completed by someone else; reload and try again",
                           code=INTERRUPTION_VERSION_TAKEN) from None

    def interruption(self, interruption_id: UUID) -> Interruption | None:
        row = self.conn.execute(select(_I).where(_I.c.id == interruption_id)
                                .order_by(_I.c.version.desc()).limit(1)).first()
        return _interruption(row) if row else None

    def interruptions(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                      activity_ids: Collection[UUID] | None = None) -> list[Interruption]:
        latest = select(_I.c.id, func.max(_I.c.version).label("version")).group_by(_I.c.id)
        if activity_ids is not None:
            latest = latest.where(_I.c.activity_id.in_(list(activity_ids)))
        keys = latest.subquery()
        query = (select(_I).join(keys, and_(_I.c.id == keys.c.id, _I.c.version == keys.c.version))
                 .join(_A, and_(_A.c.id == _I.c.activity_id, _A.c.version == _I.c.activity_version))
                 .where(_A.c.bureau_id == bureau_id))
        if unit_ids is not None:
            query = query.where(_A.c.unit_id.in_(unit_ids))
        return [_interruption(r) for r in self.conn.execute(query.order_by(_I.c.started_at, _I.c.id))]

    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
             activity_ids: Collection[UUID] | None = None) -> list[Activity]:
        return self._load(self._latest(bureau_id, unit_ids, activity_ids))

    def for_device(self, device_id: UUID, at: datetime) -> builtins.list[Activity]:
        latest = self._latest(None, None, None)
        d = t.activity_devices
        keys = (select(_A.c.id, _A.c.version)
                .join(latest, and_(_A.c.id == latest.c.id, _A.c.version == latest.c.version))
                .join(d, and_(d.c.activity_id == _A.c.id, d.c.version == _A.c.version))
                .where(d.c.device_id == device_id, _A.c.arrived_at <= at, _A.c.departed_at >= at)).subquery()
        return self._load(keys)


def _activity(row: Row[Any], devices: dict[tuple[UUID, int], tuple[UUID, ...]],
              officers: dict[tuple[UUID, int], tuple[UUID, ...]]) -> Activity:
    data = dict(row._mapping)
    data["kind"] = ActivityKind(data["kind"])
    key = (row.id, row.version)
    return Activity(**data, device_ids=devices.get(key, ()), officer_ids=officers.get(key, ()))


def _interruption(row: Row[Any]) -> Interruption:
    data = dict(row._mapping)
    data["reason"] = InterruptionReason(data["reason"]) if data["reason"] else None
    return Interruption(**data)
