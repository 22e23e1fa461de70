"""SQL implementations of the repository ports (``lawtrail.services.ports``), on SQLAlchemy Core.

Each repository works on the connection of the unit of work that owns it, so everything a
service does commits or rolls back together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update

from lawtrail.adapters.db import tables as t
from lawtrail.domain.access import Role
from lawtrail.domain.auth import ApiToken, Session
from lawtrail.domain.devices import Device, DeviceLogEntry, DeviceStatus, DeviceType, LogKind
from lawtrail.domain.events import Event
from lawtrail.domain.ledger.audit import LeafRow, StoredCheckpoint
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.merkle import append_dependency_keys, leaf_hash, new_nodes_after_append
from lawtrail.domain.org import Bureau, Certificate, Unit, UnitKind, User


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

    def end_all_for_user(self, user_id: UUID, at: datetime) -> None:
        self.conn.execute(
            update(t.sessions)
            .where(and_(t.sessions.c.user_id == user_id, t.sessions.c.ended_at.is_(None)))
            .values(ended_at=at)
        )

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


def _event(row: Row[Any]) -> Event:
    data = _m(row)
    data.pop("leaf_hash")
    return Event(**data)


class SqlEvents:
    """The trail. Appends take the next index under the ``ledger_head`` row lock (gapless),
    and store the Merkle subtrees they complete in ``ledger_nodes`` in the same transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, event: Event) -> Event:
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[Event]) -> list[Event]:
        """Store ``events`` as the next leaves, in order; one ``ledger_head`` update for all."""
        if not events:
            return []
        size = self.conn.execute(
            update(t.ledger_head).where(t.ledger_head.c.id == 1)
            .values(size=t.ledger_head.c.size + len(events)).returning(t.ledger_head.c.size)
        ).scalar_one()
        first = size - len(events)
        stored = [Event(**{**vars(e), "seq": first + i}) for i, e in enumerate(events)]
        leaves = [leaf_hash(canonical_json(e.to_leaf_dict())) for e in stored]
        self.conn.execute(insert(t.events), [{**vars(e), "leaf_hash": h} for e, h in zip(stored, leaves, strict=True)])
        self.conn.execute(insert(t.ledger_nodes), _nodes_for(first, leaves, SqlLedgerNodes(self.conn)))
        return stored
    def list(self, *, subject_type: str | None = None, subject_id: str | None = None,
             actor_id: UUID | None = None, limit: int = 100, before_seq: int | None = None) -> list[Event]:
        query = select(t.events)
        if subject_type is not None:
            query = query.where(t.events.c.subject_type == subject_type)
        if subject_id is not None:
            query = query.where(t.events.c.subject_id == subject_id)
        if actor_id is not None:
            query = query.where(t.events.c.actor_id == actor_id)
        if before_seq is not None:
            query = query.where(t.events.c.seq < before_seq)
        rows = self.conn.execute(query.order_by(t.events.c.seq.desc()).limit(limit))
        return [_event(r) for r in rows]

    def count(self) -> int:
        return int(self.conn.execute(select(t.ledger_head.c.size).where(t.ledger_head.c.id == 1)).scalar_one())


def _nodes_for(first: int, leaves: Sequence[bytes], source: SqlLedgerNodes) -> list[dict[str, Any]]:
    """Rows of ``ledger_nodes`` for leaves ``first, first + 1, ...``: the leaves themselves and
    every subtree they complete. Stored subtrees they build on are read in one query."""
    wanted = {key for i in range(first, first + len(leaves)) for key in append_dependency_keys(i)}
    known = source.get_many(key for key in wanted if (key[1] + 1) << key[0] <= first)
    rows: list[dict[str, Any]] = []
    for i, leaf in enumerate(leaves, start=first):
        known[(0, i)] = leaf
        rows.append({"level": 0, "idx": i, "hash": leaf})
        for level, index, value in new_nodes_after_append(i, leaf, lambda lv, ix: known[(lv, ix)]):
            known[(level, index)] = value
            rows.append({"level": level, "idx": index, "hash": value})
    return rows


class SqlLedgerNodes:
    """The stored perfect subtrees, a ``SubtreeSource``: one query per ``get_many``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, level: int, index: int) -> bytes:
        return self.get_many([(level, index)])[(level, index)]

    def get_many(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Raise KeyError when a key is not stored."""
        wanted = set(keys)
        if not wanted:
            return {}
        n = t.ledger_nodes.c
        by_level: dict[int, list[int]] = {}
        for level, index in sorted(wanted):
            by_level.setdefault(level, []).append(index)
        # One IN list per level rather than a row-value IN: SQLite plans the latter as a
        # full scan, the former as primary-key lookups.
        rows = self.conn.execute(select(n.level, n.idx, n.hash).where(
            or_(*(and_(n.level == level, n.idx.in_(indexes)) for level, indexes in by_level.items()))))
        found = {(r.level, r.idx): bytes(r.hash) for r in rows}
        missing = wanted - found.keys()
        if missing:
            raise KeyError(f"ledger nodes not stored: {sorted(missing)[:5]}")
        return found

    def snapshot(self) -> None:
        """Make the rest of this transaction read one consistent snapshot (call it first).

        PostgreSQL's default READ COMMITTED would let an append commit between reading the
        log size and streaming the rows; SQLite transactions here begin IMMEDIATE already.
        """
        if self.conn.dialect.name == "postgresql":
            self.conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    def recorded_size(self) -> int:
        """How many leaf hashes are recorded (level 0)."""
        n = t.ledger_nodes.c
        value = self.conn.execute(select(func.max(n.idx)).where(n.level == 0)).scalar()
        return 0 if value is None else int(value) + 1

    def locate_leaf(self, value: bytes) -> int | None:
        """The index at which leaf hash ``value`` was recorded, if any (failure path only)."""
        n = t.ledger_nodes.c
        found = self.conn.execute(select(n.idx).where(and_(n.level == 0, n.hash == value)).limit(1)).scalar()
        return None if found is None else int(found)

    def leaf_rows(self, batch: int = 5000) -> Iterator[LeafRow]:
        """Every stored event in leaf order with its recorded leaf hash, streamed."""
        n = t.ledger_nodes
        query = (select(t.events, n.c.hash.label("recorded"))
                 .outerjoin(n, and_(n.c.level == 0, n.c.idx == t.events.c.seq))
                 .order_by(t.events.c.seq))
        result = self.conn.execute(query.execution_options(yield_per=batch))
        for row in result:
            data = _m(row)
            recorded = data.pop("recorded")
            stored = bytes(data.pop("leaf_hash"))
            yield LeafRow(Event(**data).to_leaf_dict(), stored, bytes(recorded) if recorded is not None else None)


def _checkpoint(row: Row[Any]) -> StoredCheckpoint:
    return StoredCheckpoint(size=int(row.size), root=bytes(row.root), note=row.note, created_at=row.created_at,
                            timestamp_token=bytes(row.timestamp_token) if row.timestamp_token else None)


class SqlCheckpoints:
    """Signed tree heads, one per size; append-only."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, checkpoint: StoredCheckpoint) -> None:
        self.conn.execute(insert(t.checkpoints).values(**vars(checkpoint)))

    def latest(self) -> StoredCheckpoint | None:
        row = self.conn.execute(select(t.checkpoints).order_by(t.checkpoints.c.size.desc()).limit(1)).first()
        return _checkpoint(row) if row else None

    def get(self, size: int) -> StoredCheckpoint | None:
        row = self.conn.execute(select(t.checkpoints).where(t.checkpoints.c.size == size)).first()
        return _checkpoint(row) if row else None

    def list(self) -> list[StoredCheckpoint]:
        return [_checkpoint(r) for r in self.conn.execute(select(t.checkpoints).order_by(t.checkpoints.c.size))]
