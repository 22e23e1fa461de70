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
import io
import json
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, NamedTuple, Self
from uuid import UUID

from lawtrail.domain.access import Actor
from lawtrail.domain.activities import Activity, Clip, Interruption
from lawtrail.domain.approvals import ApprovalAction, ApprovalRequest, Waiting, action_taken, in_order
from lawtrail.domain.approvals import CaseRef as ApprovalCaseRef
from lawtrail.domain.auth import ApiToken, Session
from lawtrail.domain.cases import HANDLED_STAGES, Case, CaseFilter, Handler, MediaLink, Stage, StageChange
from lawtrail.domain.catalogue import StoredCatalogue
from lawtrail.domain.derived import DerivedKind, DerivedObject
from lawtrail.domain.devices import Device, DeviceLogEntry
from lawtrail.domain.events import Event
from lawtrail.domain.evidence import (
    HANDIN_COMPLETED,
    MARK_VERSION_TAKEN,
    MEDIA_LINKED,
    Handin,
    HandinCompletion,
    MediaMark,
)
from lawtrail.domain.grants import AccessRequest, CaseRef, Decision, Grant
from lawtrail.domain.ledger import canonical_json
from lawtrail.domain.media import MediaFacts, not_probeable
from lawtrail.domain.org import Bureau, Unit, User
from lawtrail.domain.outside import OutsideDecision, OutsideRequest
from lawtrail.domain.parties import Party
from lawtrail.domain.records import Attachment, RecordVersion, Signature
from lawtrail.domain.register import READ_ACTIONS, REFUSED_ACTIONS, RegisterFilter, RegisterRow
from lawtrail.domain.rules.approvals import DECIDED_STAGES, ApprovalFacts
from lawtrail.domain.rules.case_records import CaseRows
from lawtrail.domain.rules.service import ServiceFacts
from lawtrail.domain.secrecy import Clearance, Level, MediaLevel
from lawtrail.domain.supervision import SnapshotRow
from lawtrail.domain.vault import (
    ORIGINAL_FIELDS,
    MediaFilter,
    MediaRecord,
    MediaRow,
    OriginalFact,
    Registration,
    missing_items,
)
from lawtrail.errors import Conflict, NotFound, ValidationFailed
from tests.unit.fake_archive import FakeArchive
from tests.unit.fake_disclosure import FakeDisclosures


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
    handins: dict[UUID, Handin] = field(default_factory=dict)
    completions: dict[UUID, HandinCompletion] = field(default_factory=dict)
    marks: list[MediaMark] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    interruptions: list[Interruption] = field(default_factory=list)
    cases: dict[UUID, Case] = field(default_factory=dict)
    case_parties: list[Party] = field(default_factory=list)
    case_handlers: dict[UUID, tuple[Handler, ...]] = field(default_factory=dict)
    case_stage_changes: list[StageChange] = field(default_factory=list)
    case_media: list[MediaLink] = field(default_factory=list)
    case_numbers: dict[tuple[UUID, int], int] = field(default_factory=dict)
    access_requests: dict[UUID, AccessRequest] = field(default_factory=dict)
    access_decisions: list[Decision] = field(default_factory=list)
    outside_requests: dict[UUID, OutsideRequest] = field(default_factory=dict)
    outside_decisions: dict[UUID, OutsideDecision] = field(default_factory=dict)
    clearances: list[Clearance] = field(default_factory=list)
    media_levels: list[MediaLevel] = field(default_factory=list)
    snapshots: dict[tuple[UUID, date], tuple[SnapshotRow, ...]] = field(default_factory=dict)
    catalogues: list[StoredCatalogue] = field(default_factory=list)
    record_versions: list[RecordVersion] = field(default_factory=list)
    record_attachments: list[Attachment] = field(default_factory=list)
    record_signatures: list[Signature] = field(default_factory=list)
    overrides: list[Any] = field(default_factory=list)  # tests/unit/fake_archive.py
    holds: list[Any] = field(default_factory=list)
    hold_releases: list[Any] = field(default_factory=list)
    disposals: list[Any] = field(default_factory=list)
    decisions: list[Any] = field(default_factory=list)
    approval_requests: list[ApprovalRequest] = field(default_factory=list)
    approval_actions: list[ApprovalAction] = field(default_factory=list)
    derived: list[DerivedObject] = field(default_factory=list)
    #: request id → (bureau, case unit, who it waits for): the stored waiting state (decision 0035)
    approval_waiting: dict[UUID, tuple[UUID, UUID, Waiting]] = field(default_factory=dict)
    disclosure_rows: list[Any] = field(default_factory=list)  # tests/unit/fake_disclosure.py
    #: case id → (stamp, the case's facts_rev then, findings JSON): the derived store of decision 0050
    case_findings: dict[UUID, tuple[str, int, str]] = field(default_factory=dict)
    media_findings: dict[UUID, tuple[str, int, str]] = field(default_factory=dict)

    def copy(self) -> FakeState:
        return FakeState(
            bureaus=dict(self.bureaus), units=dict(self.units), users=dict(self.users),
            devices=dict(self.devices), device_log=list(self.device_log),
            sessions=dict(self.sessions), tokens=dict(self.tokens),
            login_attempts=list(self.login_attempts), events=list(self.events),
            media=dict(self.media), registrations=list(self.registrations),
            handins=dict(self.handins), completions=dict(self.completions), marks=list(self.marks),
            activities=list(self.activities), interruptions=list(self.interruptions),
            cases=dict(self.cases), case_parties=list(self.case_parties),
            case_handlers=dict(self.case_handlers), case_stage_changes=list(self.case_stage_changes),
            case_media=list(self.case_media), case_numbers=dict(self.case_numbers),
            access_requests=dict(self.access_requests), access_decisions=list(self.access_decisions),
            outside_requests=dict(self.outside_requests), outside_decisions=dict(self.outside_decisions),
            clearances=list(self.clearances), media_levels=list(self.media_levels),
            snapshots=dict(self.snapshots),
            catalogues=list(self.catalogues), record_versions=list(self.record_versions),
            record_attachments=list(self.record_attachments), record_signatures=list(self.record_signatures),
            overrides=list(self.overrides), holds=list(self.holds), hold_releases=list(self.hold_releases),
            disposals=list(self.disposals), decisions=list(self.decisions),
            approval_requests=list(self.approval_requests), approval_actions=list(self.approval_actions),
            derived=list(self.derived), approval_waiting=dict(self.approval_waiting),
            disclosure_rows=list(self.disclosure_rows), case_findings=dict(self.case_findings),
            media_findings=dict(self.media_findings),
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


def _media_facts_rev(s: FakeState, media_id: UUID) -> int:
    """What the SQL triggers keep in ``media_revs.rev`` (migration 0025), as a digest of the
    original's registrations, marks and hand-in link."""
    rows = ([r for r in s.registrations if r.media_id == media_id], [m for m in s.marks if m.media_id == media_id],
            sorted(str(c.handin_id) for c in s.completions.values() if media_id in c.media_ids))
    return int.from_bytes(hashlib.sha256(repr(rows).encode()).digest()[:7], "big")


def _media_covered(s: FakeState, media_id: UUID, stamp: str | None) -> bool:
    """Whether the stored findings of the original hold for ``stamp`` (as ``NOT_COVERED``'s negation)."""
    row = s.media_findings.get(media_id)
    return stamp is not None and row is not None and row[0] == stamp and row[1] == _media_facts_rev(s, media_id)


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
        _exists(self.s.users, registration.officer_id, "user")
        key = (registration.media_id, registration.version)
        if any((r.media_id, r.version) == key for r in self.s.registrations):
            raise Conflict("登记信息已被他人更新", "registration changed meanwhile", code="media.registration_stale")
        self.s.registrations.append(registration)

    def registrations(self, media_id: UUID) -> list[Registration]:
        return sorted((r for r in self.s.registrations if r.media_id == media_id), key=lambda r: r.version)

    def get(self, media_id: UUID) -> MediaRecord | None:
        return copy.deepcopy(self.s.media.get(media_id))

    def _rows(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[MediaRow]:
        latest: dict[UUID, Registration] = {}
        for r in self.s.registrations:
            if r.media_id not in latest or r.version > latest[r.media_id].version:
                latest[r.media_id] = r
        return [MediaRow(copy.deepcopy(m), latest.get(m.id)) for m in self.s.media.values()
                if m.bureau_id == bureau_id and (unit_ids is None or m.unit_id in unit_ids)]

    def search(self, query: MediaFilter) -> tuple[list[MediaRow], int]:
        rows = [row for row in self._rows(query.bureau_id, query.unit_ids) if _matches(row, query)]
        rows.sort(key=lambda row: str(row.media.id))
        rows.sort(key=lambda row: row.media.captured_at or row.media.stored_at, reverse=True)
        start = max(0, query.offset)
        return rows[start:start + max(1, query.limit)], len(rows)

    def recorded_after(self, cursor: tuple[datetime, UUID] | None, limit: int) -> list[MediaRecord]:
        rows = sorted(self.s.media.values(), key=lambda m: (m.created_at, str(m.id)))
        if cursor is not None:
            rows = [m for m in rows if (m.created_at, str(m.id)) > (cursor[0], str(cursor[1]))]
        return [copy.deepcopy(m) for m in rows[:max(1, limit)]]

    def neighbours(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *, exclude: UUID,
                   device_id: UUID, officer_id: UUID | None, start: datetime, end: datetime) -> list[MediaRow]:
        def same(row: MediaRow) -> bool:
            reg_officer = row.registration.officer_id if row.registration else None
            return row.media.device_id == device_id or (
                officer_id is not None and officer_id in (row.media.officer_id, reg_officer))
        return [row for row in self._rows(bureau_id, unit_ids)
                if row.media.id != exclude and row.media.captured_at is not None
                and start <= row.media.captured_at <= end and same(row)]

    def in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                 media_id: UUID | None = None) -> list[MediaRecord]:
        return sorted((m for m in self.s.media.values() if _in_scope(m, bureau_id, unit_ids)
                       and media_id in (None, m.id)), key=lambda m: (m.stored_at, str(m.id)))

    def originals_in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                           skip_stored: str | None = None) -> tuple[list[OriginalFact], dict[UUID, int]]:
        media = [m for m in self.in_scope(bureau_id, unit_ids) if not _media_covered(self.s, m.id, skip_stored)]
        return ([OriginalFact(*(getattr(m, name) for name in ORIGINAL_FIELDS)) for m in media],
                {m.id: _media_facts_rev(self.s, m.id) for m in media})

    def latest_registrations(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                             fresh: Sequence[UUID] | None = None,
                             skip_stored: str | None = None) -> dict[UUID, Registration]:
        out: dict[UUID, Registration] = {}
        for reg in sorted(self.s.registrations, key=lambda r: r.version):
            if _in_scope(self.s.media[reg.media_id], bureau_id, unit_ids) and not _media_covered(
                    self.s, reg.media_id, skip_stored):
                out[reg.media_id] = reg
        return out

    def stored_findings(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                        stamp: str) -> list[tuple[UUID, str]]:
        return [(m.id, self.s.media_findings[m.id][2]) for m in sorted(self.in_scope(bureau_id, unit_ids),
                                                                       key=lambda m: m.id)
                if _media_covered(self.s, m.id, stamp) and self.s.media_findings[m.id][2] != "[]"]

    def keep_findings(self, stamp: str, at: datetime, sets: Sequence[tuple[UUID, int, str]]) -> bool:
        for media_id, rev, text in sets:
            _exists(self.s.media, media_id, "media")
            self.s.media_findings[media_id] = (stamp, rev, text)
        return True

    def clips(self, device_ids: Collection[UUID], start: datetime, end: datetime) -> list[Clip]:
        self._uow.queries += 1
        wanted = set(device_ids)
        found = [m for m in self.s.media.values()
                 if m.device_id in wanted and m.media_type.value in ("video", "audio") and m.captured_at is not None
                 and m.captured_at <= end and (m.captured_end or m.captured_at) >= start]
        found.sort(key=lambda m: (str(m.device_id), m.captured_at, str(m.id)))
        return [Clip(m.id, m.device_id, m.media_type.value, m.original_name, m.captured_at,  # type: ignore[arg-type]
                     m.captured_end, m.clock_offset_s) for m in found]


def _matches(row: MediaRow, q: MediaFilter) -> bool:
    """The fake's reading of ``MediaFilter`` (the SQL adapter's, in Python)."""
    m, r = row.media, row.registration
    if q.unit_id is not None and m.unit_id != q.unit_id:
        return False
    if q.media_type is not None and m.media_type != q.media_type:
        return False
    if q.category and (r is None or r.category != q.category):
        return False
    if q.officer_id is not None and (r is None or r.officer_id != q.officer_id):
        return False
    for text, attr in ((q.device_number, "device_number"), (q.party, "party"), (q.case_name, "case_name")):
        if text and (r is None or text.lower() not in getattr(r, attr).lower()):
            return False
    if q.used_from is not None and (r is None or r.used_to is None or r.used_to < q.used_from):
        return False
    if q.used_to is not None and (r is None or r.used_from is None or r.used_from > q.used_to):
        return False
    if q.media_ids is not None and m.id not in q.media_ids:
        return False
    return q.incomplete is None or bool(missing_items(r)) == q.incomplete


def _in_scope(obj: MediaRecord | Handin, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> bool:
    return obj.bureau_id == bureau_id and (unit_ids is None or obj.unit_id in unit_ids)


class FakeHandins(_Repo):
    """Append-only hand-ins; one completion each; an original linked to one hand-in at most."""

    def add(self, handin: Handin) -> None:
        _require_aware(handin)
        _exists(self.s.devices, handin.device_id, "device")
        _exists(self.s.users, handin.officer_id, "user")
        if handin.id in self.s.handins:
            raise FakeIntegrityError("duplicate hand-in id")
        if (handin.exception is None) != (handin.returned_at is None):
            raise FakeIntegrityError("ck_handins_exception_has_return")
        self.s.handins[handin.id] = handin

    def get(self, handin_id: UUID) -> Handin | None:
        return self.s.handins.get(handin_id)

    def complete(self, completion: HandinCompletion) -> None:
        _require_aware(completion)
        _exists(self.s.handins, completion.handin_id, "hand-in")
        if completion.handin_id in self.s.completions:
            raise Conflict("该交接已完成储存", "this hand-in is already completed", code=HANDIN_COMPLETED)
        linked = {m for c in self.s.completions.values() for m in c.media_ids}
        for media_id in completion.media_ids:
            _exists(self.s.media, media_id, "media")
            if media_id in linked:
                raise Conflict("原始文件已属于其他交接", "an original already belongs to another hand-in",
                               code=MEDIA_LINKED)
        self.s.completions[completion.handin_id] = replace(completion, media_ids=tuple(sorted(completion.media_ids)))

    def completion(self, handin_id: UUID) -> HandinCompletion | None:
        return self.s.completions.get(handin_id)

    def in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> list[Handin]:
        return sorted((h for h in self.s.handins.values() if _in_scope(h, bureau_id, unit_ids)),
                      key=lambda h: h.handed_in_at, reverse=True)

    def completions_in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None
                             ) -> dict[UUID, HandinCompletion]:
        return {k: c for k, c in self.s.completions.items()
                if _in_scope(self.s.handins[k], bureau_id, unit_ids)}

    def unlinked_media(self, device_id: UUID) -> list[MediaRecord]:
        linked = {m for c in self.s.completions.values() for m in c.media_ids}
        return sorted((m for m in self.s.media.values() if m.device_id == device_id and m.id not in linked),
                      key=lambda m: (m.captured_at or m.stored_at, m.stored_at))


class FakeMarks(_Repo):
    """Versioned, append-only marks of originals."""

    def add(self, mark: MediaMark) -> None:
        _require_aware(mark)
        _exists(self.s.media, mark.media_id, "media")
        if any((m.media_id, m.version) == (mark.media_id, mark.version) for m in self.s.marks):
            raise Conflict("标记已被他人同时修改，请刷新后重试", "the mark was changed meanwhile; reload and retry",
                           code=MARK_VERSION_TAKEN)
        self.s.marks.append(mark)

    def for_media(self, media_id: UUID) -> list[MediaMark]:
        return sorted((m for m in self.s.marks if m.media_id == media_id), key=lambda m: m.version)

    def latest_in_scope(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                        fresh: Sequence[UUID] | None = None, skip_stored: str | None = None) -> dict[UUID, MediaMark]:
        out: dict[UUID, MediaMark] = {}
        for mark in sorted(self.s.marks, key=lambda m: m.version):
            if _in_scope(self.s.media[mark.media_id], bureau_id, unit_ids) and not _media_covered(
                    self.s, mark.media_id, skip_stored):
                out[mark.media_id] = mark
        return out


class FakeActivities(_Repo):
    """Versioned, append-only activities and interruptions; (id, version) is unique, foreign
    keys are checked; ``queries`` on the unit of work counts reads (set-based evaluation)."""

    def add(self, activity: Activity) -> None:
        _require_aware(activity)
        _exists(self.s.bureaus, activity.bureau_id, "bureau")
        _exists(self.s.units, activity.unit_id, "unit")
        for device_id in activity.device_ids:
            _exists(self.s.devices, device_id, "device")
        for user_id in activity.officer_ids:
            _exists(self.s.users, user_id, "user")
        if activity.case_id is not None:
            _exists(self.s.cases, activity.case_id, "case")
        if any((a.id, a.version) == (activity.id, activity.version) for a in self.s.activities):
            raise Conflict("该执法活动已被他人更正，请刷新后重试",
                           "the activity was corrected by someone else; reload and try again",
                           code="activity.version_taken")
        if activity.departed_at <= activity.arrived_at or activity.version < 1:
            raise FakeIntegrityError("check constraint on activities")
        self.s.activities.append(activity)

    def _latest(self) -> dict[UUID, Activity]:
        latest: dict[UUID, Activity] = {}
        for a in self.s.activities:
            if a.id not in latest or a.version > latest[a.id].version:
                latest[a.id] = a
        return latest

    def get(self, activity_id: UUID) -> Activity | None:
        self._uow.queries += 1
        return self._latest().get(activity_id)

    def versions(self, activity_id: UUID) -> list[Activity]:
        self._uow.queries += 1
        return sorted((a for a in self.s.activities if a.id == activity_id), key=lambda a: a.version)

    def for_case(self, case_id: UUID) -> list[Activity]:
        self._uow.queries += 4
        return sorted((a for a in self._latest().values() if a.case_id == case_id),
                      key=lambda a: (a.arrived_at, str(a.id)), reverse=True)

    def add_interruption(self, interruption: Interruption) -> None:
        _require_aware(interruption)
        _exists(self.s.devices, interruption.device_id, "device")
        _exists(self.s.users, interruption.reported_to, "user")
        if not any((a.id, a.version) == (interruption.activity_id, interruption.activity_version)
                   for a in self.s.activities):
            raise FakeIntegrityError("foreign key: no such activity version")
        if any((i.id, i.version) == (interruption.id, interruption.version) for i in self.s.interruptions):
            raise Conflict("该中断记录已被他人补充，请刷新后重试",
                           "the interruption was completed by someone else; reload and try again",
                           code="interruption.version_taken")
        if interruption.ended_at is not None and interruption.ended_at <= interruption.started_at:
            raise FakeIntegrityError("check constraint on interruptions")
        self.s.interruptions.append(interruption)

    def _latest_stops(self) -> dict[UUID, Interruption]:
        latest: dict[UUID, Interruption] = {}
        for i in self.s.interruptions:
            if i.id not in latest or i.version > latest[i.id].version:
                latest[i.id] = i
        return latest

    def interruption(self, interruption_id: UUID) -> Interruption | None:
        self._uow.queries += 1
        return self._latest_stops().get(interruption_id)

    def interruptions(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
                      activity_ids: Collection[UUID] | None = None) -> list[Interruption]:
        self._uow.queries += 1
        versions = {(a.id, a.version): a for a in self.s.activities}
        rows = [i for i in self._latest_stops().values()
                if (activity_ids is None or i.activity_id in activity_ids)
                and versions[(i.activity_id, i.activity_version)].bureau_id == bureau_id
                and (unit_ids is None or versions[(i.activity_id, i.activity_version)].unit_id in unit_ids)]
        return sorted(rows, key=lambda i: (i.started_at, str(i.id)))

    def list(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
             activity_ids: Collection[UUID] | None = None) -> list[Activity]:
        self._uow.queries += 1
        rows = [a for a in self._latest().values()
                if a.bureau_id == bureau_id and (unit_ids is None or a.unit_id in unit_ids)
                and (activity_ids is None or a.id in activity_ids)]
        return sorted(rows, key=lambda a: (-a.arrived_at.timestamp(), str(a.id)))

    def for_device(self, device_id: UUID, at: datetime) -> list[Activity]:
        self._uow.queries += 1
        rows = [a for a in self._latest().values() if device_id in a.device_ids and a.arrived_at <= at <= a.departed_at]
        return sorted(rows, key=lambda a: (-a.arrived_at.timestamp(), str(a.id)))


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

    def facts_rev(self, case_id: UUID) -> int:
        """What the SQL triggers keep in ``cases.facts_rev`` (migration 0024), as a digest: it
        changes whenever the case's row or a row the rules read about it does."""
        s = self.s
        records = {v.record_id for v in s.record_versions if v.case_id == case_id}
        requests = [r for r in s.approval_requests if r.case_id == case_id]
        ids = {r.id for r in requests}
        rows = (s.cases.get(case_id), s.case_handlers.get(case_id, ()),
                [x for x in s.case_stage_changes if x.case_id == case_id],
                [v for v in s.record_versions if v.case_id == case_id],
                [g for g in s.record_signatures if g.record_id in records],
                [a for a in s.record_attachments if a.record_id in records],
                requests, [a for a in s.approval_actions if a.request_id in ids])
        return int.from_bytes(hashlib.sha256(repr(rows).encode()).digest()[:7], "big")

    def covered(self, case: Case, stamp: str | None) -> bool:
        """Whether the stored findings of ``case`` hold for ``stamp`` (as the SQL ``covered``)."""
        row = self.s.case_findings.get(case.id)
        return stamp is not None and row is not None and row[0] == stamp and row[1] == self.facts_rev(case.id)

    def stored_findings(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, case_id: UUID | None,
                        stamp: str) -> list[tuple[UUID, str]]:
        return [(c.id, self.s.case_findings[c.id][2]) for c in sorted(self.s.cases.values(), key=lambda c: c.id)
                if c.bureau_id == bureau_id and (unit_ids is None or c.unit_id in unit_ids)
                and case_id in (None, c.id) and self.covered(c, stamp)]

    def keep_findings(self, stamp: str, at: datetime, sets: Sequence[tuple[UUID, int, str]]) -> bool:
        for case_id, rev, text in sets:
            _exists(self.s.cases, case_id, "case")
            self.s.case_findings[case_id] = (stamp, rev, text)
        return True

    def rule_facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                   case_id: UUID | None = None, *, skip_stored: str | None = None) -> CaseRows:
        in_scope = [c for c in self.s.cases.values() if c.bureau_id == bureau_id
                    and (unit_ids is None or c.unit_id in unit_ids) and (case_id is None or c.id == case_id)]
        cases = [c for c in in_scope if not self.covered(c, skip_stored)]
        live = [c for c in in_scope if self.covered(c, skip_stored) and not c.closed and c.stage in HANDLED_STAGES]
        ids = {c.id for c in cases}
        reached = {c.id: frozenset({s.to_stage for s in self.stage_changes(c.id)} | {c.stage}) for c in cases}
        handlers = {c.id: [h.user_id for h in self.handlers(c.id)] for c in [*cases, *live]}
        versions: dict[UUID, list[RecordVersion]] = {}
        for v in self.s.record_versions:
            if v.case_id in ids:
                versions.setdefault(v.case_id, []).append(v)
        of_record = {(v.record_id, v.version): v.case_id for vs in versions.values() for v in vs}
        signatures: dict[UUID, list[Signature]] = {}
        for sig in self.s.record_signatures:
            owner = of_record.get((sig.record_id, sig.record_version))
            if owner is not None:
                signatures.setdefault(owner, []).append(sig)
        return CaseRows(cases, reached, handlers, versions, signatures,
                        {c.id: self.facts_rev(c.id) for c in cases}, live)


class FakeAccess(_Repo):
    """Access requests and decisions, outside requests, clearances, media levels: append-only,
    keys and foreign keys checked; the register is computed from the events, as the SQL does."""

    def add_request(self, request: AccessRequest) -> None:
        _require_aware(request)
        if request.id in self.s.access_requests:
            raise FakeIntegrityError("duplicate access request")
        _exists(self.s.users, request.requester_id, "user")
        _exists(self.s.cases, request.case_id, "case")
        for media_id in request.media_ids:
            _exists(self.s.media, media_id, "media")
        if request.ends_at <= request.starts_at:
            raise FakeIntegrityError("check period_positive")
        self.s.access_requests[request.id] = request

    def add_decision(self, decision: Decision) -> None:
        _require_aware(decision)
        _exists(self.s.access_requests, decision.request_id, "access request")
        if any(d.request_id == decision.request_id and d.status == decision.status for d in self.s.access_decisions):
            raise Conflict("该申请已被他人处理，请刷新后重试", "the request was decided meanwhile; reload",
                           code="access.decided")
        self.s.access_decisions.append(decision)

    def _grant(self, request: AccessRequest) -> Grant:
        decisions = sorted((d for d in self.s.access_decisions if d.request_id == request.id), key=lambda d: d.at)
        return Grant(request, tuple(decisions))

    def grant(self, request_id: UUID) -> Grant | None:
        request = self.s.access_requests.get(request_id)
        return self._grant(request) if request else None

    def grants_for(self, user_id: UUID) -> list[Grant]:
        rows = [r for r in self.s.access_requests.values() if r.requester_id == user_id]
        return [self._grant(r) for r in sorted(rows, key=lambda r: r.created_at, reverse=True)]

    def list_grants(self, bureau_id: UUID, *, requester_id: UUID | None = None, limit: int = 500) -> list[Grant]:
        rows = [r for r in self.s.access_requests.values() if r.bureau_id == bureau_id
                and (requester_id is None or r.requester_id == requester_id)]
        return [self._grant(r) for r in sorted(rows, key=lambda r: r.created_at, reverse=True)[:limit]]

    def case_refs(self, media_id: UUID) -> list[CaseRef]:
        latest: dict[UUID, MediaLink] = {}
        for link in sorted((x for x in self.s.case_media if x.media_id == media_id), key=lambda x: x.at):
            latest[link.case_id] = link
        out = []
        for case_id, link in latest.items():
            case = self.s.cases[case_id]
            if link.linked:
                handlers = frozenset(h.user_id for h in self.s.case_handlers.get(case_id, ()))
                out.append(CaseRef(case_id, case.number, case.ended_at is None, Level(case.secrecy), handlers))
        return sorted(out, key=lambda c: c.number)

    def clearance(self, user_id: UUID) -> Clearance | None:
        rows = [c for c in self.s.clearances if c.user_id == user_id]
        return max(rows, key=lambda c: c.version) if rows else None

    def add_clearance(self, clearance: Clearance) -> None:
        _require_aware(clearance)
        _exists(self.s.users, clearance.user_id, "user")
        if any((c.user_id, c.version) == (clearance.user_id, clearance.version) for c in self.s.clearances):
            raise Conflict("知悉范围已被他人修改，请刷新后重试", "the clearance was changed meanwhile; reload",
                           code="secrecy.stale")
        self.s.clearances.append(clearance)

    def media_level(self, media_id: UUID) -> MediaLevel | None:
        rows = [m for m in self.s.media_levels if m.media_id == media_id]
        return max(rows, key=lambda m: m.version) if rows else None

    def add_media_level(self, level: MediaLevel) -> None:
        _require_aware(level)
        _exists(self.s.media, level.media_id, "media")
        if any((m.media_id, m.version) == (level.media_id, level.version) for m in self.s.media_levels):
            raise Conflict("密级已被他人修改，请刷新后重试", "the level was changed meanwhile; reload",
                           code="secrecy.stale")
        self.s.media_levels.append(level)

    def register(self, query: RegisterFilter) -> tuple[list[RegisterRow], int]:
        actions = {"read": READ_ACTIONS, "refused": REFUSED_ACTIONS}.get(query.outcome or "",
                                                                          READ_ACTIONS + REFUSED_ACTIONS)
        linked = {str(x.media_id) for x in self.s.case_media if x.case_id == query.case_id}
        users = self.s.users

        def keep(e: Event) -> bool:
            user = users.get(e.actor_id) if e.actor_id else None
            return (e.action in actions and e.subject_type == "media" and user is not None
                    and user.bureau_id == query.bureau_id
                    and (query.actor_id is None or e.actor_id == query.actor_id)
                    and (query.unit_id is None or user.unit_id == query.unit_id)
                    and (query.case_id is None or e.subject_id in linked)
                    and (query.start is None or e.occurred_at >= query.start)
                    and (query.end is None or e.occurred_at < query.end))

        rows = [e for e in reversed(self.s.events) if keep(e)]
        page = rows[query.offset:query.offset + query.limit]

        def unit_name(e: Event) -> str:
            user = users[e.actor_id] if e.actor_id else None
            unit = self.s.units.get(user.unit_id) if user else None
            return unit.name if unit else ""

        return [RegisterRow(e.seq, e.occurred_at, e.actor_id, e.actor_name, unit_name(e), e.action, e.subject_id,
                            e.subject_name, copy.deepcopy(e.after or {})) for e in page], len(rows)

    def add_outside(self, request: OutsideRequest) -> None:
        _require_aware(request)
        if request.id in self.s.outside_requests:
            raise FakeIntegrityError("duplicate outside request")
        _exists(self.s.cases, request.case_id, "case")
        self.s.outside_requests[request.id] = request

    def outside(self, request_id: UUID) -> tuple[OutsideRequest, OutsideDecision | None] | None:
        request = self.s.outside_requests.get(request_id)
        return (request, self.s.outside_decisions.get(request_id)) if request else None

    def decide_outside(self, decision: OutsideDecision) -> None:
        _require_aware(decision)
        _exists(self.s.outside_requests, decision.request_id, "outside request")
        if decision.request_id in self.s.outside_decisions:
            raise Conflict("该申请已作出决定", "the request was decided already", code="outside.decided")
        self.s.outside_decisions[decision.request_id] = decision

    def list_outside(self, bureau_id: UUID, limit: int = 500
                     ) -> list[tuple[OutsideRequest, OutsideDecision | None]]:
        rows = sorted((r for r in self.s.outside_requests.values() if r.bureau_id == bureau_id),
                      key=lambda r: r.received_at, reverse=True)[:limit]
        return [(r, self.s.outside_decisions.get(r.id)) for r in rows]
class FakeOversight(_Repo):
    """Supervision reads over the other fakes' state, and the daily snapshots (replaced per day)."""

    def population(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None) -> dict[tuple[UUID, str], int]:
        out: dict[tuple[UUID, str], int] = {}
        latest = {a.id: a for a in self.s.activities}
        for kind, rows in (("media", self.s.media.values()), ("handin", self.s.handins.values()),
                           ("activity", latest.values()), ("case", self.s.cases.values())):
            for row in rows:
                if row.bureau_id == bureau_id and (unit_ids is None or row.unit_id in unit_ids):
                    out[(row.unit_id, kind)] = out.get((row.unit_id, kind), 0) + 1
        return out

    def events_between(self, actions: Collection[str], start: datetime | None,
                       end: datetime | None) -> list[Event]:
        return copy.deepcopy([e for e in self.s.events if e.action in actions
                              and (start is None or e.occurred_at >= start) and (end is None or e.occurred_at < end)])

    def media_for(self, ids: Collection[UUID], digests: Collection[str]) -> list[MediaRecord]:
        return [m for m in self.s.media.values() if m.id in ids or m.sha256 in digests]

    def device_troubles(self, bureau_id: UUID, start: datetime | None, end: datetime | None
                        ) -> list[DeviceLogEntry]:
        from lawtrail.domain.devices import DeviceStatus, LogKind

        mine = {d.id for d in self.s.devices.values() if d.bureau_id == bureau_id}
        return sorted((e for e in self.s.device_log if e.device_id in mine
                       and (e.kind is LogKind.FAULT or (e.kind is LogKind.STATUS and e.status is DeviceStatus.LOST))
                       and (start is None or e.at >= start) and (end is None or e.at < end)), key=lambda e: e.at)

    def device_logs(self, device_ids: Collection[UUID]) -> dict[UUID, list[DeviceLogEntry]]:
        out: dict[UUID, list[DeviceLogEntry]] = {}
        for entry in sorted(self.s.device_log, key=lambda e: e.at):
            if entry.device_id in device_ids:
                out.setdefault(entry.device_id, []).append(entry)
        return out

    def replace_snapshot(self, bureau_id: UUID, day: date, rows: Iterable[SnapshotRow]) -> None:
        rows = tuple(rows)
        for row in rows:
            _require_aware(row)
            if row.numerator < 0 or row.denominator < 0:
                raise FakeIntegrityError("negative count in a snapshot")
        self.s.snapshots[(bureau_id, day)] = rows

    def snapshots(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, since: date,
                  until: date) -> list[SnapshotRow]:
        allowed = None if unit_ids is None else {str(u) for u in unit_ids}
        return [r for (b, day), rows in sorted(self.s.snapshots.items(), key=lambda kv: kv[0][1])
                if b == bureau_id and since <= day <= until for r in rows if allowed is None or r.unit_id in allowed]

    def last_snapshot_at(self, bureau_id: UUID) -> datetime | None:
        return max((r.taken_at for (b, _), rows in self.s.snapshots.items() if b == bureau_id for r in rows),
                   default=None)
class FakeRecords(_Repo):
    """Records and catalogue versions: append-only lists; the keys and references of migration
    0008 are enforced (version clashes raise the Conflicts the SQL repository raises)."""

    def add_catalogue(self, catalogue: StoredCatalogue) -> None:
        if any(c.version == catalogue.version for c in self.s.catalogues):
            raise Conflict("清单版本冲突", "catalogue version taken", code="catalogue.version_taken")
        self.s.catalogues.append(catalogue)

    def catalogue(self, version: int) -> StoredCatalogue | None:
        return next((c for c in self.s.catalogues if c.version == version), None)

    def latest_catalogue(self) -> StoredCatalogue | None:
        return max(self.s.catalogues, key=lambda c: c.version, default=None)

    def catalogues(self) -> list[StoredCatalogue]:
        return sorted(self.s.catalogues, key=lambda c: c.version)

    def add_version(self, version: RecordVersion) -> None:
        _require_aware(version)
        _exists(self.s.cases, version.case_id, "case")
        if self.catalogue(version.catalogue_version) is None:
            raise FakeIntegrityError(f"foreign key: no catalogue version {version.catalogue_version}")
        if any(v.record_id == version.record_id and v.version == version.version for v in self.s.record_versions):
            raise Conflict("记录版本冲突", "record version taken", code="record.version_taken")
        if any(v.id == version.id for v in self.s.record_versions):
            raise FakeIntegrityError("duplicate record version id")
        self.s.record_versions.append(copy.deepcopy(version))

    def versions(self, record_id: UUID) -> list[RecordVersion]:
        return sorted((copy.deepcopy(v) for v in self.s.record_versions if v.record_id == record_id),
                      key=lambda v: v.version)

    def for_case(self, case_id: UUID) -> list[RecordVersion]:
        return sorted((copy.deepcopy(v) for v in self.s.record_versions if v.case_id == case_id),
                      key=lambda v: (v.created_at, str(v.record_id), v.version))

    def add_attachment(self, attachment: Attachment) -> None:
        _require_aware(attachment)
        if any(a.id == attachment.id for a in self.s.record_attachments):
            raise FakeIntegrityError("duplicate attachment id")
        self.s.record_attachments.append(attachment)

    def attachment(self, attachment_id: UUID) -> Attachment | None:
        return next((a for a in self.s.record_attachments if a.id == attachment_id), None)

    def attachments(self, record_id: UUID) -> list[Attachment]:
        return sorted((a for a in self.s.record_attachments if a.record_id == record_id),
                      key=lambda a: (a.added_at, a.name))

    def attachment_digests(self) -> list[tuple[str, int]]:
        return sorted({a.sha256: a.size for a in self.s.record_attachments}.items())

    def add_signature(self, signature: Signature) -> None:
        _require_aware(signature)
        if not any(v.record_id == signature.record_id and v.version == signature.record_version
                   for v in self.s.record_versions):
            raise FakeIntegrityError("foreign key: no such record version")
        if signature.scan_id is not None and self.attachment(signature.scan_id) is None:
            raise FakeIntegrityError("foreign key: no such attachment")
        _exists(self.s.users, signature.signer_user_id, "user")
        self.s.record_signatures.append(signature)

    def signatures(self, record_id: UUID) -> list[Signature]:
        return sorted((x for x in self.s.record_signatures if x.record_id == record_id),
                      key=lambda x: (x.recorded_at, x.signer_name))

    def signatures_for_case(self, case_id: UUID) -> list[Signature]:
        mine = {v.record_id for v in self.s.record_versions if v.case_id == case_id}
        return sorted((x for x in self.s.record_signatures if x.record_id in mine),
                      key=lambda x: (x.recorded_at, x.signer_name))

    def attachment_counts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, kinds: Collection[str],
                          stages: Collection[Stage], *, case_id: UUID | None = None,
                          skip_stored: str | None = None,
                          fresh: Sequence[UUID] | None = None) -> dict[UUID, int]:
        ids = {c.id for c in self.s.cases.values() if c.bureau_id == bureau_id and c.stage in stages
               and (unit_ids is None or c.unit_id in unit_ids) and case_id in (None, c.id)
               and not FakeCases(self._uow).covered(c, skip_stored)}
        records = {v.record_id for v in self.s.record_versions if v.case_id in ids and v.kind_id in kinds}
        counts: dict[UUID, int] = {}
        for a in self.s.record_attachments:
            if a.record_id in records and a.purpose == "attachment":
                counts[a.record_id] = counts.get(a.record_id, 0) + 1
        return counts

    def service_facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                      kinds: Collection[str], stages: Collection[Stage], *,
                      case_id: UUID | None = None) -> ServiceFacts:
        cases = sorted((c for c in self.s.cases.values() if c.bureau_id == bureau_id and c.stage in stages
                        and (unit_ids is None or c.unit_id in unit_ids) and case_id in (None, c.id)),
                       key=lambda c: c.number)
        ids = {c.id for c in cases}
        versions = [copy.deepcopy(v) for v in self.s.record_versions if v.case_id in ids and v.kind_id in kinds]
        records = {v.record_id for v in versions}
        counts: dict[UUID, int] = {}
        for a in self.s.record_attachments:
            if a.record_id in records and a.purpose == "attachment":
                counts[a.record_id] = counts.get(a.record_id, 0) + 1
        return ServiceFacts(cases=[copy.deepcopy(c) for c in cases], versions=versions,
                            signatures=[x for x in self.s.record_signatures if x.record_id in records],
                            attachments=counts)


class FakeCatalogueSource:
    """The packaged catalogue text (or one given) and a YAML reader: the real adapter's functions,
    which read a package resource and parse text (no other I/O)."""

    def __init__(self, text: str | None = None) -> None:
        from lawtrail.adapters.catalogue_file import packaged_catalogue_text

        self.text = text if text is not None else packaged_catalogue_text()

    def packaged_text(self) -> str:
        return self.text

    def load(self, text: str) -> Any:
        from lawtrail.adapters.catalogue_file import load_yaml

        return load_yaml(text)
def _case_ref(case: Case) -> ApprovalCaseRef:
    return ApprovalCaseRef(id=case.id, unit_id=case.unit_id, number=case.number, name=case.name, stage=case.stage,
                   procedure=case.procedure, origin=case.origin, closed=case.closed)


class FakeApprovals(_Repo):
    """Approval requests and actions: foreign keys checked, append-only (nothing is changed or
    removed); reads count as queries like the SQL adapter's fixed number of statements."""

    def add_request(self, request: ApprovalRequest) -> None:
        _require_aware(request)
        _exists(self.s.cases, request.case_id, "case")
        _exists(self.s.users, request.submitted_by, "user")
        if any(r.id == request.id for r in self.s.approval_requests):
            raise FakeIntegrityError("duplicate approval request id")
        self.s.approval_requests.append(request)

    def add_action(self, action: ApprovalAction) -> None:
        _require_aware(action)
        _exists(self.s.users, action.actor_id, "user")
        if not any(r.id == action.request_id for r in self.s.approval_requests):
            raise FakeIntegrityError("action of a missing request")
        if any(a.id == action.id for a in self.s.approval_actions) or action.level < 0:
            raise FakeIntegrityError("duplicate approval action id or negative level")
        if any(a.request_id == action.request_id and a.seq == action.seq for a in self.s.approval_actions):
            raise action_taken()
        self.s.approval_actions.append(action)

    def _actions(self, ids: Collection[UUID]) -> list[ApprovalAction]:
        return sorted((a for a in self.s.approval_actions if a.request_id in ids), key=in_order)

    def get(self, request_id: UUID) -> tuple[ApprovalRequest, list[ApprovalAction]] | None:
        request = next((r for r in self.s.approval_requests if r.id == request_id), None)
        return None if request is None else (request, self._actions({request_id}))

    def for_case(self, case_id: UUID) -> tuple[list[ApprovalRequest], list[ApprovalAction]]:
        self._uow.queries += 2
        rows = sorted((r for r in self.s.approval_requests if r.case_id == case_id), key=lambda r: r.submitted_at)
        return rows, self._actions({r.id for r in rows})

    def set_waiting(self, request: ApprovalRequest, bureau_id: UUID, unit_id: UUID,
                    waiting: Waiting | None) -> None:
        _exists(self.s.cases, request.case_id, "case")
        self.s.approval_waiting.pop(request.id, None)
        if waiting is not None:
            self.s.approval_waiting[request.id] = (bureau_id, unit_id, waiting)

    def _waiting(self, actor: Actor) -> list[ApprovalRequest]:
        ids = {i for i, (bureau, unit, w) in self.s.approval_waiting.items()
               if bureau == actor.bureau_id and w.includes(actor, unit)}
        rows = [r for r in self.s.approval_requests if r.id in ids]
        return sorted(rows, key=lambda r: (not r.emergency, r.submitted_at, r.id))

    def count_waiting(self, actor: Actor) -> int:
        self._uow.queries += 1
        return len(self._waiting(actor))

    def waiting_for(self, actor: Actor, *, offset: int = 0, limit: int | None = None
                    ) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, ApprovalCaseRef]]:
        self._uow.queries += 4
        rows = self._waiting(actor)[offset:None if limit is None else offset + limit]
        return rows, self._actions({r.id for r in rows}), {r.case_id: _case_ref(self.s.cases[r.case_id]) for r in rows}

    def pending_submitted_by(self, bureau_id: UUID, user_id: UUID
                             ) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, ApprovalCaseRef]]:
        self._uow.queries += 3
        ids = {i for i, (bureau, _unit, w) in self.s.approval_waiting.items()
               if bureau == bureau_id and w.status.value == "pending" and user_id in w.submitters}
        rows = sorted((r for r in self.s.approval_requests if r.id in ids), key=lambda r: (r.submitted_at, r.id))
        return rows, self._actions({r.id for r in rows}), {r.case_id: _case_ref(self.s.cases[r.case_id]) for r in rows}

    def open_in(self, bureau_id: UUID
                ) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, ApprovalCaseRef]]:
        self._uow.queries += 2
        ended = {a.request_id for a in self.s.approval_actions if a.final}
        rows = sorted((r for r in self.s.approval_requests if r.id not in ended
                       and self.s.cases[r.case_id].bureau_id == bureau_id), key=lambda r: r.submitted_at)
        return rows, self._actions({r.id for r in rows}), {r.case_id: _case_ref(self.s.cases[r.case_id]) for r in rows}

    def facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
              case_id: UUID | None = None, skip_stored: str | None = None,
              fresh: Sequence[UUID] | None = None) -> ApprovalFacts:
        self._uow.queries += 4

        def mine(case: Case) -> bool:
            return (case.bureau_id == bureau_id and (unit_ids is None or case.unit_id in unit_ids)
                    and case_id in (None, case.id) and not FakeCases(self._uow).covered(case, skip_stored))

        rows = [r for r in self.s.approval_requests if mine(self.s.cases[r.case_id])]
        decided: dict[UUID, datetime] = {}
        for change in self.s.case_stage_changes:
            case = self.s.cases[change.case_id]
            if change.to_stage.value == "service" and not change.correction and mine(case) \
                    and case.stage in DECIDED_STAGES:
                decided[case.id] = max(decided.get(case.id, change.at), change.at)
        cases = {cid: _case_ref(self.s.cases[cid]) for cid in {r.case_id for r in rows} | set(decided)}
        return ApprovalFacts(cases=cases, requests=rows, actions=self._actions({r.id for r in rows}),
                             decided_at=decided,
                             names={u.id: u.display_name for u in self.s.users.values() if u.bureau_id == bureau_id})
class FakeDerived(_Repo):
    """Write-once derived objects: (media, kind) unique, the original must exist."""

    def add(self, derived: DerivedObject) -> None:
        _require_aware(derived)
        _exists(self.s.media, derived.media_id, "media")
        if any((d.media_id, d.kind) == (derived.media_id, derived.kind) for d in self.s.derived):
            raise Conflict("派生文件已生成", "derived object exists", code="derived.exists")
        self.s.derived.append(derived)

    def for_media(self, media_ids: Collection[UUID]) -> dict[UUID, dict[DerivedKind, DerivedObject]]:
        out: dict[UUID, dict[DerivedKind, DerivedObject]] = {}
        for d in self.s.derived:
            if d.media_id in media_ids:
                out.setdefault(d.media_id, {})[d.kind] = d
        return out

    def digests(self, batch: int = 5000) -> Iterator[tuple[str, int, UUID, DerivedKind]]:
        yield from sorted(((d.sha256, d.size, d.media_id, d.kind) for d in self.s.derived), key=lambda r: r[0])


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
        self.handins = FakeHandins(self)
        self.marks = FakeMarks(self)
        self.activities = FakeActivities(self)
        self.queries = 0  # reads of the activity and clip repositories, for set-based checks
        self.cases = FakeCases(self)
        self.access = FakeAccess(self)
        self.oversight = FakeOversight(self)
        self.records = FakeRecords(self)
        self.archive = FakeArchive(self)
        self.approvals = FakeApprovals(self)
        self.derived = FakeDerived(self)
        self.disclosures = FakeDisclosures(self)

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

    def snapshot(self) -> bool:
        return True  # a transaction works on its own copy of the state

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
        self.opened: list[tuple[str, int, int]] = []  # (digest, start, end) of every read
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
        if sha256 not in self.objects:
            raise NotFound("无", "no such object", code="vault.not_found")
        self.opened.append((sha256, 0, len(self.objects[sha256])))
        return io.BytesIO(self.objects[sha256])

    def open_range(self, sha256: str, start: int, end: int) -> Any:
        """Bytes ``[start, end)``, ``end`` clipped, ``vault.bad_range`` as the real stores."""
        size = self.size(sha256)
        if start < 0 or start >= size or end <= start:
            raise ValidationFailed("请求的字节范围无效", "invalid byte range", code="vault.bad_range")
        end = min(end, size)
        self.opened.append((sha256, start, end))
        return io.BytesIO(self.objects[sha256][start:end])

    def dispose(self, sha256: str) -> None:
        if self.objects.pop(sha256, None) is None:
            raise NotFound("无", "no such object", code="vault.not_found")

    files: dict[str, bytes] | None = None  # where adopt_file finds a file's bytes (FakeUploadStaging.parts)
    adopted: int = 0

    def adopt_file(self, path: Any, *, sha256: str) -> FakeStoredBlob:
        assert self.files is not None, "wire blobs.files = staging.parts first"
        data = self.files[str(path)]
        if not data:
            raise ValidationFailed("文件为空", "the file is empty", code="vault.empty")
        self.adopted += 1
        created = sha256 not in self.objects
        if created:
            self.objects[sha256] = bytes(data)
        return FakeStoredBlob(sha256, len(data), created)


class FakeUploadStaging:
    """Incomplete uploads in memory; hashes what is appended (``services.ports.UploadStaging``)."""

    def __init__(self) -> None:
        self.infos: dict[str, dict[str, Any]] = {}
        self.parts: dict[str, bytes] = {}
        self.results: dict[str, dict[str, Any]] = {}

    def _known(self, upload_id: str) -> str:
        if upload_id not in self.infos:
            raise NotFound("上传任务不存在或已过期", "no such upload", code="upload.not_found")
        return upload_id

    def part_path(self, upload_id: str) -> Any:
        from pathlib import PurePosixPath

        return PurePosixPath("/fake-uploads") / self._known(upload_id)

    def create(self, upload_id: str, info: dict[str, Any]) -> None:
        self.infos[upload_id] = dict(info)
        self.parts[str(self.part_path(upload_id))] = b""

    def info(self, upload_id: str) -> dict[str, Any]:
        return dict(self.infos[self._known(upload_id)])

    def acknowledged(self, upload_id: str) -> int:
        return len(self.parts.get(str(self.part_path(upload_id)), b""))

    def open_append(self, upload_id: str, offset: int, length: int) -> Any:
        from lawtrail.domain.uploads import offset_mismatch, room_left

        key = str(self.part_path(upload_id))
        if offset != len(self.parts[key]):
            raise offset_mismatch(offset, len(self.parts[key]))
        staging = self

        class _Appender:
            @property
            def offset(self) -> int:
                return len(staging.parts[key])

            def write(self, block: bytes) -> None:
                room_left(self.offset, length, len(block))
                staging.parts[key] += block

            def close(self) -> int:
                return self.offset

        return _Appender()

    def digest(self, upload_id: str) -> str:
        return hashlib.sha256(self.parts[str(self.part_path(upload_id))]).hexdigest()

    def finish(self, upload_id: str, result: dict[str, Any]) -> None:
        self.results[upload_id] = result
        self.parts.pop(str(self.part_path(upload_id)), None)

    def result(self, upload_id: str) -> dict[str, Any] | None:
        return self.results.get(self._known(upload_id))

    def remove(self, upload_id: str) -> None:
        self.parts.pop(str(self.part_path(upload_id)), None)
        self.infos.pop(upload_id, None)
        self.results.pop(upload_id, None)

    def sweep(self, older_than_s: float) -> int:
        return 0


class FakeProbe:
    """Returns the facts registered for a file name, else "not probeable"; records what it read."""

    def __init__(self, facts: dict[str, MediaFacts] | None = None) -> None:
        self.facts = facts or {}
        self.probed: list[str] = []

    def probe(self, path: Any) -> MediaFacts:
        self.probed.append(str(path))
        return self.facts.get(path.name, not_probeable("not a media file"))

