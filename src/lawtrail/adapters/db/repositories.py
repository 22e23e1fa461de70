"""SQL implementations of the repository ports (``lawtrail.services.ports``), on SQLAlchemy Core.

Each repository works on the connection of the unit of work that owns it, so everything a
service does commits or rolls back together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, and_, delete, func, insert, select, update

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.ledger_repo import SqlCheckpoints, SqlEvents, SqlLedgerNodes
from lawtrail.domain.access import Role
from lawtrail.domain.auth import ApiToken, Session
from lawtrail.domain.devices import Device, DeviceLogEntry, DeviceStatus, DeviceType, LogKind
from lawtrail.domain.org import Bureau, Certificate, Unit, UnitKind, User

__all__ = ["SqlBureaus", "SqlCheckpoints", "SqlDeviceLog", "SqlDevices", "SqlEvents", "SqlLedgerNodes",
           "SqlLoginAttempts", "SqlSessions", "SqlTokens", "SqlUnits", "SqlUsers"]


def _m(row: Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


class SqlBureaus:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, bureau_id: UUID) -> Bureau | None:
        row = self.conn.execute(select(t.bureaus).where(t.bureaus.c.id == bureau_id)).first()
        return Bureau(**_m(row)) if row else None

    def by_code(self, code: str) -> Bureau | None:
        row = self.conn.execute(select(t.bureaus).where(t.bureaus.c.code == code)).first()
        return Bureau(**_m(row)) if row else None

    def add(self, bureau: Bureau) -> None:
        self.conn.execute(insert(t.bureaus).values(**vars(bureau)))

    def list(self) -> list[Bureau]:
        return [Bureau(**_m(r)) for r in self.conn.execute(select(t.bureaus).order_by(t.bureaus.c.code))]


def _unit(row: Row[Any]) -> Unit:
    data = _m(row)
    data["kind"] = UnitKind(data["kind"])
    return Unit(**data)


class SqlUnits:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, unit_id: UUID) -> Unit | None:
        row = self.conn.execute(select(t.units).where(t.units.c.id == unit_id)).first()
        return _unit(row) if row else None

    def by_code(self, bureau_id: UUID, code: str) -> Unit | None:
        row = self.conn.execute(
            select(t.units).where(and_(t.units.c.bureau_id == bureau_id, t.units.c.code == code))
        ).first()
        return _unit(row) if row else None

    def add(self, unit: Unit) -> None:
        self.conn.execute(insert(t.units).values(**vars(unit)))

    def update(self, unit: Unit) -> None:
        self.conn.execute(update(t.units).where(t.units.c.id == unit.id).values(**vars(unit)))

    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[Unit]:
        query = select(t.units).where(t.units.c.bureau_id == bureau_id)
        if unit_ids is not None:
            query = query.where(t.units.c.id.in_(unit_ids))
        return [_unit(r) for r in self.conn.execute(query.order_by(t.units.c.code))]


_USER_COLUMNS = ("id", "bureau_id", "unit_id", "username", "display_name", "active", "password_hash",
                 "phone", "totp_secret", "totp_enabled", "totp_required", "created_at", "updated_at")


def _user_values(user: User) -> dict[str, Any]:
    values = {name: getattr(user, name) for name in _USER_COLUMNS}
    cert = user.certificate
    values["cert_number"] = cert.number if cert else None
    values["cert_valid_from"] = cert.valid_from if cert else None
    values["cert_valid_to"] = cert.valid_to if cert else None
    return values


class SqlUsers:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _load(self, rows: list[Row[Any]]) -> list[User]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        roles: dict[UUID, set[Role]] = {i: set() for i in ids}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start:chunk_start + 500]
            for uid, role in self.conn.execute(
                select(t.user_roles.c.user_id, t.user_roles.c.role).where(t.user_roles.c.user_id.in_(chunk))
            ):
                roles[uid].add(Role(role))
        users = []
        for row in rows:
            data = {k: v for k, v in _m(row).items() if not k.startswith("cert_")}
            cert = None
            if row.cert_number is not None and row.cert_valid_from and row.cert_valid_to:
                cert = Certificate(row.cert_number, row.cert_valid_from, row.cert_valid_to)
            users.append(User(**data, roles=frozenset(roles[row.id]), certificate=cert))
        return users

    def get(self, user_id: UUID) -> User | None:
        rows = list(self.conn.execute(select(t.users).where(t.users.c.id == user_id)))
        found = self._load(rows)
        return found[0] if found else None

    def by_username(self, username: str) -> User | None:
        rows = list(self.conn.execute(select(t.users).where(t.users.c.username == username)))
        found = self._load(rows)
        return found[0] if found else None

    def add(self, user: User) -> None:
        self.conn.execute(insert(t.users).values(**_user_values(user)))
        self._set_roles(user)

    def update(self, user: User) -> None:
        self.conn.execute(update(t.users).where(t.users.c.id == user.id).values(**_user_values(user)))
        self.conn.execute(delete(t.user_roles).where(t.user_roles.c.user_id == user.id))
        self._set_roles(user)

    def _set_roles(self, user: User) -> None:
        if user.roles:
            self.conn.execute(insert(t.user_roles), [{"user_id": user.id, "role": r.value} for r in user.roles])

    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[User]:
        query = select(t.users).where(t.users.c.bureau_id == bureau_id)
        if unit_ids is not None:
            query = query.where(t.users.c.unit_id.in_(unit_ids))
        return self._load(list(self.conn.execute(query.order_by(t.users.c.username))))


def _device(row: Row[Any]) -> Device:
    data = _m(row)
    data["type"] = DeviceType(data["type"])
    data["status"] = DeviceStatus(data["status"])
    return Device(**data)


class SqlDevices:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, device_id: UUID) -> Device | None:
        row = self.conn.execute(select(t.devices).where(t.devices.c.id == device_id)).first()
        return _device(row) if row else None

    def by_number(self, number: str) -> Device | None:
        row = self.conn.execute(select(t.devices).where(t.devices.c.number == number)).first()
        return _device(row) if row else None

    def add(self, device: Device) -> None:
        self.conn.execute(insert(t.devices).values(**vars(device)))

    def update(self, device: Device) -> None:
        self.conn.execute(update(t.devices).where(t.devices.c.id == device.id).values(**vars(device)))

    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[Device]:
        query = select(t.devices).where(t.devices.c.bureau_id == bureau_id)
        if unit_ids is not None:
            query = query.where(t.devices.c.unit_id.in_(unit_ids))
        return [_device(r) for r in self.conn.execute(query.order_by(t.devices.c.number))]


class SqlDeviceLog:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, entry: DeviceLogEntry) -> None:
        values = vars(entry).copy()
        values["kind"] = entry.kind.value
        values["status"] = entry.status.value if entry.status else None
        self.conn.execute(insert(t.device_log).values(**values))

    def for_device(self, device_id: UUID) -> list[DeviceLogEntry]:
        rows = self.conn.execute(
            select(t.device_log).where(t.device_log.c.device_id == device_id).order_by(t.device_log.c.at)
        )
        out = []
        for row in rows:
            data = _m(row)
            data["kind"] = LogKind(data["kind"])
            data["status"] = DeviceStatus(data["status"]) if data["status"] else None
            out.append(DeviceLogEntry(**data))
        return out


class SqlSessions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, session: Session) -> None:
        self.conn.execute(insert(t.sessions).values(**vars(session)))

    def by_token_hash(self, token_hash: str) -> Session | None:
        row = self.conn.execute(select(t.sessions).where(t.sessions.c.token_hash == token_hash)).first()
        return Session(**_m(row)) if row else None

    def touch(self, session_id: UUID, at: datetime) -> None:
        self.conn.execute(update(t.sessions).where(t.sessions.c.id == session_id).values(last_seen_at=at))

    def end(self, session_id: UUID, at: datetime) -> None:
        self.conn.execute(update(t.sessions).where(t.sessions.c.id == session_id).values(ended_at=at))

    def end_all_for_user(self, user_id: UUID, at: datetime, *, keep: UUID | None = None) -> None:
        query = update(t.sessions).where(and_(t.sessions.c.user_id == user_id, t.sessions.c.ended_at.is_(None)))
        if keep is not None:
            query = query.where(t.sessions.c.id != keep)
        self.conn.execute(query.values(ended_at=at))

    def clear_totp_pending(self, session_id: UUID) -> None:
        self.conn.execute(update(t.sessions).where(t.sessions.c.id == session_id).values(totp_pending=False))


class SqlTokens:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, token: ApiToken) -> None:
        self.conn.execute(insert(t.api_tokens).values(**vars(token)))

    def get(self, token_id: UUID) -> ApiToken | None:
        row = self.conn.execute(select(t.api_tokens).where(t.api_tokens.c.id == token_id)).first()
        return ApiToken(**_m(row)) if row else None

    def by_hash(self, token_hash: str) -> ApiToken | None:
        row = self.conn.execute(select(t.api_tokens).where(t.api_tokens.c.token_hash == token_hash)).first()
        return ApiToken(**_m(row)) if row else None

    def for_user(self, user_id: UUID) -> list[ApiToken]:
        rows = self.conn.execute(
            select(t.api_tokens).where(t.api_tokens.c.user_id == user_id).order_by(t.api_tokens.c.created_at)
        )
        return [ApiToken(**_m(r)) for r in rows]

    def revoke(self, token_id: UUID, at: datetime) -> None:
        self.conn.execute(update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(revoked_at=at))

    def touch(self, token_id: UUID, at: datetime) -> None:
        self.conn.execute(update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(last_used_at=at))


class SqlLoginAttempts:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, username: str, at: datetime, success: bool, ip: str) -> None:
        self.conn.execute(insert(t.login_attempts).values(username=username, at=at, success=success, ip=ip[:64]))

    def failures_since(self, username: str, since: datetime) -> list[datetime]:
        la = t.login_attempts
        last_ok = self.conn.execute(
            select(func.max(la.c.at)).where(and_(la.c.username == username, la.c.success.is_(True)))
        ).scalar()
        floor = max(since, last_ok) if last_ok else since
        rows = self.conn.execute(
            select(la.c.at).where(and_(la.c.username == username, la.c.success.is_(False), la.c.at > floor))
        )
        return [r.at for r in rows]
