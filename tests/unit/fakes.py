"""In-memory implementations of every port in ``lawtrail.services.ports`` (DESIGN.md rule 8).

The fakes keep the contracts the SQL adapters keep, so a service that passes against them
has a fair chance against the database:

* ``with uow:`` starts from a *copy* of the committed state; ``commit()`` publishes the copy;
  leaving the block (normally or by exception) drops whatever was not committed. Using a
  repository outside ``with uow:`` raises, as the SQL unit of work does.
* Unique keys and foreign keys of the schema are enforced (``FakeIntegrityError``), naive
  datetimes are refused, updates of rows that do not exist are refused.
* ``events.append`` hands out the gapless ``seq`` and stores before/after as JSON would
  (a round trip through ``json``), after checking the leaf is canonical-JSON encodable.
* The password hasher really compares; the TOTP checker really derives codes from the
  secret and the 30-second step, with one step of drift either way.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, NamedTuple, Self
from uuid import UUID

from lawtrail.domain.auth import ApiToken, Session
from lawtrail.domain.cases import Case, CaseFilter, Handler, MediaLink, StageChange
from lawtrail.domain.devices import Device, DeviceLogEntry
from lawtrail.domain.events import Event
from lawtrail.domain.ledger import canonical_json
from lawtrail.domain.media import MediaFacts, not_probeable
from lawtrail.domain.org import Bureau, Unit, User
from lawtrail.domain.parties import Party
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.errors import Conflict, NotFound, ValidationFailed


class FakeIntegrityError(Exception):
    """What the database would refuse: a duplicate key, a dangling reference, a naive time."""


class LoginAttempt(NamedTuple):
    username: str
    at: datetime
    success: bool
    ip: str


@dataclass
class FakeState:
    """Everything stored. Domain objects are frozen, so a shallow copy of the containers is a
    true snapshot (events and users, which hold dicts, are deep-copied when written)."""

    bureaus: dict[UUID, Bureau] = field(default_factory=dict)
    units: dict[UUID, Unit] = field(default_factory=dict)
    users: dict[UUID, User] = field(default_factory=dict)
    devices: dict[UUID, Device] = field(default_factory=dict)
    device_log: list[DeviceLogEntry] = field(default_factory=list)
    sessions: dict[UUID, Session] = field(default_factory=dict)
    tokens: dict[UUID, ApiToken] = field(default_factory=dict)
    login_attempts: list[LoginAttempt] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    media: dict[UUID, MediaRecord] = field(default_factory=dict)
    registrations: list[Registration] = field(default_factory=list)
    cases: dict[UUID, Case] = field(default_factory=dict)
    case_parties: list[Party] = field(default_factory=list)
    case_handlers: dict[UUID, tuple[Handler, ...]] = field(default_factory=dict)
    case_stage_changes: list[StageChange] = field(default_factory=list)
    case_media: list[MediaLink] = field(default_factory=list)
    case_numbers: dict[tuple[UUID, int], int] = field(default_factory=dict)

    def copy(self) -> FakeState:
        return FakeState(
            bureaus=dict(self.bureaus), units=dict(self.units), users=dict(self.users),
            devices=dict(self.devices), device_log=list(self.device_log),
            sessions=dict(self.sessions), tokens=dict(self.tokens),
            login_attempts=list(self.login_attempts), events=list(self.events),
            media=dict(self.media), registrations=list(self.registrations),
            cases=dict(self.cases), case_parties=list(self.case_parties),
            case_handlers=dict(self.case_handlers), case_stage_changes=list(self.case_stage_changes),
            case_media=list(self.case_media), case_numbers=dict(self.case_numbers),
        )


@dataclass
class FakeDatabase:
    """The committed state shared by every unit of work made from it."""

    state: FakeState = field(default_factory=FakeState)
    commits: int = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


def _require_aware(obj: object) -> None:
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, datetime) and value.utcoffset() is None:
            raise FakeIntegrityError(f"naive datetime in {type(obj).__name__}.{f.name}")


def _unique(rows: Iterable[Any], key: Callable[[Any], object], new: Any, what: str) -> None:
    wanted = key(new)
    for row in rows:
        if row.id != new.id and key(row) == wanted:
            raise FakeIntegrityError(f"duplicate {what}: {wanted!r}")


def _exists(table: dict[UUID, Any], ref: UUID | None, what: str) -> None:
    if ref is not None and ref not in table:
        raise FakeIntegrityError(f"foreign key: no {what} {ref}")


class _Repo:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def s(self) -> FakeState:
        return self._uow.working


class FakeBureaus(_Repo):
    def get(self, bureau_id: UUID) -> Bureau | None:
        return self.s.bureaus.get(bureau_id)

    def by_code(self, code: str) -> Bureau | None:
        return next((b for b in self.s.bureaus.values() if b.code == code), None)

    def add(self, bureau: Bureau) -> None:
        _require_aware(bureau)
        if bureau.id in self.s.bureaus:
            raise FakeIntegrityError("duplicate bureau id")
        _unique(self.s.bureaus.values(), lambda b: b.code, bureau, "bureau code")
        self.s.bureaus[bureau.id] = bureau

    def list(self) -> list[Bureau]:
        return sorted(self.s.bureaus.values(), key=lambda b: b.code)


class FakeUnits(_Repo):
    def get(self, unit_id: UUID) -> Unit | None:
        return self.s.units.get(unit_id)

    def by_code(self, bureau_id: UUID, code: str) -> Unit | None:
        return next((u for u in self.s.units.values() if u.bureau_id == bureau_id and u.code == code), None)

    def _check(self, unit: Unit) -> None:
        _require_aware(unit)
        _exists(self.s.bureaus, unit.bureau_id, "bureau")
        _unique(self.s.units.values(), lambda u: (u.bureau_id, u.code), unit, "unit code")

    def add(self, unit: Unit) -> None:
        if unit.id in self.s.units:
            raise FakeIntegrityError("duplicate unit id")
        self._check(unit)
        self.s.units[unit.id] = unit

    def update(self, unit: Unit) -> None:
        if unit.id not in self.s.units:
            raise FakeIntegrityError(f"update of a missing unit {unit.id}")
        self._check(unit)
        self.s.units[unit.id] = unit

    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[Unit]:
        rows = [u for u in self.s.units.values()
                if u.bureau_id == bureau_id and (unit_ids is None or u.id in unit_ids)]
        return sorted(rows, key=lambda u: u.code)


class FakeUsers(_Repo):
    def get(self, user_id: UUID) -> User | None:
        user = self.s.users.get(user_id)
        return copy.deepcopy(user) if user else None

    def by_username(self, username: str) -> User | None:
        user = next((u for u in self.s.users.values() if u.username == username), None)
        return copy.deepcopy(user) if user else None

    def _check(self, user: User) -> None:
        _require_aware(user)
        _exists(self.s.bureaus, user.bureau_id, "bureau")
        _exists(self.s.units, user.unit_id, "unit")
        _unique(self.s.users.values(), lambda u: u.username, user, "username")

    def add(self, user: User) -> None:
        if user.id in self.s.users:
            raise FakeIntegrityError("duplicate user id")
        self._check(user)
        self.s.users[user.id] = copy.deepcopy(user)

    def update(self, user: User) -> None:
        if user.id not in self.s.users:
            raise FakeIntegrityError(f"update of a missing user {user.id}")
        self._check(user)
        self.s.users[user.id] = copy.deepcopy(user)

    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[User]:
        rows = [copy.deepcopy(u) for u in self.s.users.values()
                if u.bureau_id == bureau_id and (unit_ids is None or u.unit_id in unit_ids)]
        return sorted(rows, key=lambda u: u.username)


class FakeDevices(_Repo):
    def get(self, device_id: UUID) -> Device | None:
        return self.s.devices.get(device_id)

    def by_number(self, number: str) -> Device | None:
        return next((d for d in self.s.devices.values() if d.number == number), None)

    def _check(self, device: Device) -> None:
        _require_aware(device)
        _exists(self.s.bureaus, device.bureau_id, "bureau")
        _exists(self.s.units, device.unit_id, "unit")
        _exists(self.s.users, device.holder_id, "holder")
        _unique(self.s.devices.values(), lambda d: d.number, device, "device number")

    def add(self, device: Device) -> None:
        if device.id in self.s.devices:
            raise FakeIntegrityError("duplicate device id")
        self._check(device)
        self.s.devices[device.id] = device

    def update(self, device: Device) -> None:
        if device.id not in self.s.devices:
            raise FakeIntegrityError(f"update of a missing device {device.id}")
        self._check(device)
        self.s.devices[device.id] = device

    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[Device]:
        rows = [d for d in self.s.devices.values()
                if d.bureau_id == bureau_id and (unit_ids is None or d.unit_id in unit_ids)]
        return sorted(rows, key=lambda d: d.number)


class FakeDeviceLog(_Repo):
    """Append-only, like the table: there is no way to change or remove an entry."""

    def append(self, entry: DeviceLogEntry) -> None:
        _require_aware(entry)
        _exists(self.s.devices, entry.device_id, "device")
        _exists(self.s.users, entry.holder_id, "holder")
        if any(e.id == entry.id for e in self.s.device_log):
            raise FakeIntegrityError("duplicate device log id")
        self.s.device_log.append(entry)

    def for_device(self, device_id: UUID) -> list[DeviceLogEntry]:
        return sorted((e for e in self.s.device_log if e.device_id == device_id), key=lambda e: e.at)


class FakeSessions(_Repo):
    def add(self, session: Session) -> None:
        _require_aware(session)
        _exists(self.s.users, session.user_id, "user")
        if session.id in self.s.sessions:
            raise FakeIntegrityError("duplicate session id")
        _unique(self.s.sessions.values(), lambda x: x.token_hash, session, "session token hash")
        self.s.sessions[session.id] = session

    def by_token_hash(self, token_hash: str) -> Session | None:
        return next((x for x in self.s.sessions.values() if x.token_hash == token_hash), None)

    def _change(self, session_id: UUID, **changes: Any) -> None:
        if session_id in self.s.sessions:  # SQL UPDATE ... WHERE id = ? touches no row either
            self.s.sessions[session_id] = replace(self.s.sessions[session_id], **changes)

    def touch(self, session_id: UUID, at: datetime) -> None:
        self._change(session_id, last_seen_at=at)

    def end(self, session_id: UUID, at: datetime) -> None:
        self._change(session_id, ended_at=at)

    def end_all_for_user(self, user_id: UUID, at: datetime, *, keep: UUID | None = None) -> None:
        for x in list(self.s.sessions.values()):
            if x.user_id == user_id and x.ended_at is None and x.id != keep:
                self._change(x.id, ended_at=at)

    def clear_totp_pending(self, session_id: UUID) -> None:
        self._change(session_id, totp_pending=False)


class FakeTokens(_Repo):
    def add(self, token: ApiToken) -> None:
        _require_aware(token)
        _exists(self.s.users, token.user_id, "user")
        if token.id in self.s.tokens:
            raise FakeIntegrityError("duplicate token id")
        _unique(self.s.tokens.values(), lambda x: x.token_hash, token, "token hash")
        self.s.tokens[token.id] = token

    def get(self, token_id: UUID) -> ApiToken | None:
        return self.s.tokens.get(token_id)

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return next((x for x in self.s.tokens.values() if x.token_hash == token_hash), None)

    def for_user(self, user_id: UUID) -> list[ApiToken]:
        return sorted((x for x in self.s.tokens.values() if x.user_id == user_id), key=lambda x: x.created_at)

    def revoke(self, token_id: UUID, at: datetime) -> None:
        if token_id in self.s.tokens:
            self.s.tokens[token_id] = replace(self.s.tokens[token_id], revoked_at=at)

    def touch(self, token_id: UUID, at: datetime) -> None:
        if token_id in self.s.tokens:
            self.s.tokens[token_id] = replace(self.s.tokens[token_id], last_used_at=at)


class FakeLoginAttempts(_Repo):
    def add(self, username: str, at: datetime, success: bool, ip: str) -> None:
        if at.utcoffset() is None:
            raise FakeIntegrityError("naive datetime in a login attempt")
        self.s.login_attempts.append(LoginAttempt(username, at, success, ip[:64]))

    def failures_since(self, username: str, since: datetime) -> list[datetime]:
        """Failures after ``since`` and after the user's last successful login."""
        mine = [a for a in self.s.login_attempts if a.username == username]
        last_ok = max((a.at for a in mine if a.success), default=None)
        floor = max(since, last_ok) if last_ok else since
        return [a.at for a in mine if not a.success and a.at > floor]


def _json_copy(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False))


class FakeEvents(_Repo):
    """The trail: gapless ``seq``, append-only, newest first when listed."""

    def append(self, event: Event) -> Event:
        if event.occurred_at.utcoffset() is None:
            raise FakeIntegrityError("naive occurred_at")
        if any(e.id == event.id for e in self.s.events):
            raise FakeIntegrityError("duplicate event id")
        stored = replace(event, seq=len(self.s.events),
                         before=_json_copy(event.before), after=_json_copy(event.after))
        canonical_json(stored.to_leaf_dict())  # the SQL adapter hashes this; it must encode
        self.s.events.append(stored)
        return copy.deepcopy(stored)

    def list(self, *, subject_type: str | None = None, subject_id: str | None = None,
             actor_id: UUID | None = None, limit: int = 100, before_seq: int | None = None
             ) -> list[Event]:
        rows = [e for e in reversed(self.s.events)
                if (subject_type is None or e.subject_type == subject_type)
                and (subject_id is None or e.subject_id == subject_id)
                and (actor_id is None or e.actor_id == actor_id)
                and (before_seq is None or e.seq < before_seq)]
        return copy.deepcopy(rows[:limit])

    def count(self) -> int:
        return len(self.s.events)


class FakeMedia(_Repo):
    """Write-once media rows (unique digest, foreign keys checked) and versioned registrations."""

    def add(self, media: MediaRecord) -> None:
        _require_aware(media)
        _exists(self.s.devices, media.device_id, "device")
        _exists(self.s.users, media.officer_id, "user")
        if media.id in self.s.media:
            raise FakeIntegrityError("duplicate media id")
        if any(m.sha256 == media.sha256 for m in self.s.media.values()):
            raise Conflict("该文件已入库", "this file is already in the vault", code="media.exists")
        self.s.media[media.id] = copy.deepcopy(media)

    def by_sha256(self, sha256: str) -> MediaRecord | None:
        found = next((m for m in self.s.media.values() if m.sha256 == sha256), None)
        return copy.deepcopy(found)

    def digests(self, batch: int = 5000) -> Iterator[tuple[str, int]]:
        yield from sorted((m.sha256, m.size) for m in self.s.media.values())

    def add_registration(self, registration: Registration) -> None:
        _require_aware(registration)
        _exists(self.s.media, registration.media_id, "media")
        key = (registration.media_id, registration.version)
        if any((r.media_id, r.version) == key for r in self.s.registrations):
            raise FakeIntegrityError(f"duplicate registration version {key}")
        self.s.registrations.append(registration)

    def registrations(self, media_id: UUID) -> list[Registration]:
        return sorted((r for r in self.s.registrations if r.media_id == media_id), key=lambda r: r.version)


class FakeCases(_Repo):
    """Cases: unique number and (bureau, year, serial), foreign keys checked; the stage history
    and the media link log are append-only (no method changes or removes a row)."""

    def _check(self, case: Case) -> None:
        _require_aware(case)
        _exists(self.s.bureaus, case.bureau_id, "bureau")
        _exists(self.s.units, case.unit_id, "unit")
        _unique(self.s.cases.values(), lambda c: c.number, case, "case number")
        _unique(self.s.cases.values(), lambda c: (c.bureau_id, c.year, c.serial), case, "case serial")

    def add(self, case: Case) -> None:
        if case.id in self.s.cases:
            raise FakeIntegrityError("duplicate case id")
        self._check(case)
        self.s.cases[case.id] = case

    def update(self, case: Case) -> None:
        if case.id not in self.s.cases:
            raise FakeIntegrityError(f"update of a missing case {case.id}")
        self._check(case)
        self.s.cases[case.id] = case

    def get(self, case_id: UUID) -> Case | None:
        return self.s.cases.get(case_id)

    def by_number(self, bureau_id: UUID, number: str) -> Case | None:
        return next((c for c in self.s.cases.values() if c.bureau_id == bureau_id and c.number == number), None)

    def next_serial(self, bureau_id: UUID, year: int) -> int:
        _exists(self.s.bureaus, bureau_id, "bureau")
        serial = self.s.case_numbers.get((bureau_id, year), 0) + 1
        self.s.case_numbers[(bureau_id, year)] = serial
        return serial

    def search(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, flt: CaseFilter, *,
               offset: int, limit: int) -> tuple[list[Case], int]:
        def keep(c: Case) -> bool:
            handlers = {h.user_id for h in self.s.case_handlers.get(c.id, ())}
            parties = [p.name for p in self.s.case_parties if p.case_id == c.id]
            return (c.bureau_id == bureau_id and (unit_ids is None or c.unit_id in unit_ids)
                    and (flt.stage is None or c.stage == flt.stage)
                    and (flt.action_type is None or c.action_type == flt.action_type)
                    and (flt.unit_id is None or c.unit_id == flt.unit_id)
                    and (not flt.number or flt.number in c.number)
                    and (flt.handler_id is None or flt.handler_id in handlers)
                    and (not flt.party or any(flt.party in name for name in parties)))

        rows = sorted(filter(keep, self.s.cases.values()), key=lambda c: (c.opened_at, c.serial), reverse=True)
        return rows[offset:offset + limit], len(rows)

    def add_party(self, party: Party) -> None:
        _require_aware(party)
        _exists(self.s.cases, party.case_id, "case")
        if any(p.id == party.id for p in self.s.case_parties):
            raise FakeIntegrityError("duplicate party id")
        self.s.case_parties.append(party)

    def parties(self, case_id: UUID) -> list[Party]:
        return sorted((p for p in self.s.case_parties if p.case_id == case_id), key=lambda p: (p.added_at, p.name))

    def set_handlers(self, case_id: UUID, handlers: Iterable[Handler]) -> None:
        rows = tuple(handlers)
        _exists(self.s.cases, case_id, "case")
        for h in rows:
            _require_aware(h)
            _exists(self.s.users, h.user_id, "user")
            if h.case_id != case_id:
                raise FakeIntegrityError("handler of another case")
        if len({h.user_id for h in rows}) != len(rows):
            raise FakeIntegrityError("duplicate handler")
        self.s.case_handlers[case_id] = rows

    def handlers(self, case_id: UUID) -> list[Handler]:
        return sorted(self.s.case_handlers.get(case_id, ()), key=lambda h: (not h.lead, h.assigned_at))

    def add_stage_change(self, change: StageChange) -> None:
        _require_aware(change)
        _exists(self.s.cases, change.case_id, "case")
        if any(x.id == change.id for x in self.s.case_stage_changes):
            raise FakeIntegrityError("duplicate stage change id")
        self.s.case_stage_changes.append(change)

    def stage_changes(self, case_id: UUID) -> list[StageChange]:
        return sorted((x for x in self.s.case_stage_changes if x.case_id == case_id), key=lambda x: x.at)

    def add_media_link(self, link: MediaLink) -> None:
        _require_aware(link)
        _exists(self.s.cases, link.case_id, "case")
        _exists(self.s.media, link.media_id, "media")
        if any(x.id == link.id for x in self.s.case_media):
            raise FakeIntegrityError("duplicate media link id")
        self.s.case_media.append(link)

    def media_links(self, case_id: UUID) -> list[MediaLink]:
        return sorted((x for x in self.s.case_media if x.case_id == case_id), key=lambda x: x.at)

    def media(self, media_id: UUID) -> MediaRecord | None:
        return copy.deepcopy(self.s.media.get(media_id))

    def open_for_officer(self, user_id: UUID, around: datetime) -> list[Case]:
        mine = {cid for cid, hs in self.s.case_handlers.items() if any(h.user_id == user_id for h in hs)}
        rows = [c for c in self.s.cases.values() if c.id in mine and c.opened_at <= around
                and (c.ended_at is None or c.ended_at > around)]
        return sorted(rows, key=lambda c: (c.opened_at, c.serial), reverse=True)


class FakeUnitOfWork:
    """One transaction over a ``FakeDatabase``: snapshot on enter, publish on commit,
    discard on leaving without commit (DESIGN.md rule 1: both commit or neither does)."""

    def __init__(self, db: FakeDatabase | None = None) -> None:
        self.db = db or FakeDatabase()
        self._working: FakeState | None = None
        self._depth = 0
        self.bureaus = FakeBureaus(self)
        self.units = FakeUnits(self)
        self.users = FakeUsers(self)
        self.devices = FakeDevices(self)
        self.device_log = FakeDeviceLog(self)
        self.sessions = FakeSessions(self)
        self.tokens = FakeTokens(self)
        self.login_attempts = FakeLoginAttempts(self)
        self.events = FakeEvents(self)
        self.media = FakeMedia(self)
        self.cases = FakeCases(self)

    @property
    def working(self) -> FakeState:
        if self._working is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._working

    def __enter__(self) -> Self:
        if self._depth == 0:
            self._working = self.db.state.copy()
        self._depth += 1
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._working = None  # whatever was not committed is gone

    def commit(self) -> None:
        self.db.state = self.working.copy()
        self.db.commits += 1

    def rollback(self) -> None:
        self._working = self.db.state.copy()


class FakeHasher:
    """Fast salted SHA-256 in place of Argon2id; ``verify`` really recomputes and compares."""

    PREFIX = "fake-sha256"

    def hash(self, password: str) -> str:
        salt = secrets.token_hex(8)
        return f"{self.PREFIX}${salt}${self._digest(salt, password)}"

    def verify(self, password_hash: str, password: str) -> bool:
        parts = password_hash.split("$")
        if len(parts) != 3 or parts[0] != self.PREFIX:
            return False
        return hmac.compare_digest(parts[2], self._digest(parts[1], password))

    @staticmethod
    def _digest(salt: str, password: str) -> str:
        return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


class FakeTotp:
    """A TOTP stand-in: 6-digit codes derived from the secret and the 30 s step; accepts the
    step of ``at`` and one step either side, like the real checker."""

    STEP = 30

    def new_secret(self) -> str:
        return base64.b32encode(secrets.token_bytes(20)).decode()  # 32 base32 characters, as pyotp

    def code_at(self, secret: str, at: datetime) -> str:
        step = int(at.timestamp()) // self.STEP
        digest = hashlib.sha256(f"{secret}:{step}".encode()).digest()
        return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"

    def verify(self, secret: str, code: str, at: datetime) -> bool:
        code = (code or "").strip()
        return any(
            hmac.compare_digest(code, self.code_at(secret, at + timedelta(seconds=self.STEP * drift)))
            for drift in (-1, 0, 1)
        )

    def uri(self, secret: str, account: str, issuer: str) -> str:
        return f"otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}"


@dataclass(frozen=True)
class FakeStoredBlob:
    sha256: str
    size: int
    created: bool


class FakeBlobStore:
    """An in-memory write-once store: hashes while reading ``read(n)`` blocks, refuses empty
    input, never overwrites; ``fail_next_put`` simulates a crash or a full disk."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.puts = 0
        self.fail_next_put: Exception | None = None

    def put_stream(self, source: Any, *, expected_sha256: str | None = None,
                   max_bytes: int | None = None) -> FakeStoredBlob:
        self.puts += 1
        data = bytearray()
        while block := source.read(1 << 16):
            data += block
        if self.fail_next_put is not None:
            exc, self.fail_next_put = self.fail_next_put, None
            raise exc
        if not data:
            raise ValidationFailed("文件为空（0 字节），不予保存", "the file is empty (0 bytes); not stored",
                                   code="vault.empty")
        digest = hashlib.sha256(data).hexdigest()
        created = digest not in self.objects
        if created:
            self.objects[digest] = bytes(data)
        return FakeStoredBlob(digest, len(data), created)

    def exists(self, sha256: str) -> bool:
        return sha256 in self.objects

    def size(self, sha256: str) -> int:
        if sha256 not in self.objects:
            raise NotFound("无", "no such object", code="vault.not_found")
        return len(self.objects[sha256])

    def iter_digests(self) -> Iterator[str]:
        return iter(list(self.objects))

    def verify(self, sha256: str) -> bool:
        if sha256 not in self.objects:
            raise NotFound("无", "no such object", code="vault.not_found")
        return hashlib.sha256(self.objects[sha256]).hexdigest() == sha256

    def open(self, sha256: str) -> Any:
        raise NotImplementedError  # not used by the services under test

    def open_range(self, sha256: str, start: int, end: int) -> Any:
        raise NotImplementedError  # not used by the services under test

    def remove_for_disposal(self, sha256: str) -> None:
        raise NotImplementedError  # not used by the services under test


class FakeProbe:
    """Returns the facts registered for a file name, else "not probeable"; records what it read."""

    def __init__(self, facts: dict[str, MediaFacts] | None = None) -> None:
        self.facts = facts or {}
        self.probed: list[str] = []

    def probe(self, path: Any) -> MediaFacts:
        self.probed.append(str(path))
        return self.facts.get(path.name, not_probeable("not a media file"))

