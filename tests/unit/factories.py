"""Factories for domain objects, contexts and a seeded in-memory world (DESIGN.md rule 8).

Every factory gives a valid object with sensible Chinese-bureau defaults; tests override only
the fields they are about. ``seeded_world()`` writes straight into the fake database (no
events), so a test can count exactly what the service under test appended.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from lawtrail.domain.access import Actor, Role, system_actor
from lawtrail.domain.auth import ApiToken, Session, ThrottlePolicy
from lawtrail.domain.devices import Device, DeviceStatus, DeviceType
from lawtrail.domain.events import Event
from lawtrail.domain.org import Bureau, Certificate, Unit, UnitKind, User
from lawtrail.errors import LawtrailError
from lawtrail.services.context import Ctx, Deps, Policy
from lawtrail.services.users import actor_for
from tests.unit.fakes import FakeDatabase, FakeHasher, FakeState, FakeTotp, FakeUnitOfWork

#: The moment every test starts at unless it moves the clock: 2026-11-26 16:30 Beijing time.
T0 = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
TODAY = date(2026, 11, 26)
PASSWORD = "Zhifa-2026-secret"
REQUEST_ID = "req-0001"

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def make_policy(**over: Any) -> Policy:
    values: dict[str, Any] = {
        "cert_number_pattern": r"(粤)?\d{8,14}",
        "password_min_length": 10,
        "session_idle": timedelta(minutes=30),
        "session_absolute": timedelta(hours=12),
        "throttle": ThrottlePolicy(5, timedelta(minutes=15)),
        "totp_issuer": "lawtrail",
    }
    values.update(over)
    return Policy(**values)


def make_deps(**policy_over: Any) -> Deps:
    return Deps(policy=make_policy(**policy_over), hasher=FakeHasher(), totp=FakeTotp())


def make_bureau(**over: Any) -> Bureau:
    n = _n()
    values: dict[str, Any] = {"id": uuid.uuid4(), "code": f"SCJ{n:03d}", "name": f"市场监督管理局{n}",
                              "created_at": T0}
    values.update(over)
    return Bureau(**values)


def make_unit(bureau: Bureau, **over: Any) -> Unit:
    n = _n()
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "bureau_id": bureau.id, "code": f"U{n:03d}", "name": f"执法稽查科{n}",
        "kind": UnitKind.BUSINESS_SECTION, "active": True, "created_at": T0, "updated_at": T0,
    }
    values.update(over)
    return Unit(**values)


def make_certificate(*, valid_from: date | None = None, valid_to: date | None = None,
                     number: str = "粤0123456789") -> Certificate:
    start = valid_from or TODAY - timedelta(days=365)
    return Certificate(number, start, valid_to or TODAY + timedelta(days=365 * 2))


def make_user(unit: Unit, *roles: Role, password: str = PASSWORD, hasher: FakeHasher | None = None,
              **over: Any) -> User:
    n = _n()
    chosen = frozenset(roles or (Role.OFFICER,))
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "bureau_id": unit.bureau_id, "unit_id": unit.id,
        "username": f"user{n:04d}", "display_name": f"执法员{n}", "roles": chosen, "active": True,
        "password_hash": (hasher or FakeHasher()).hash(password), "created_at": T0, "updated_at": T0,
        "certificate": make_certificate() if Role.OFFICER in chosen else None,
    }
    values.update(over)
    return User(**values)


def make_device(unit: Unit, **over: Any) -> Device:
    n = _n()
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "bureau_id": unit.bureau_id, "unit_id": unit.id, "number": f"ZFJLY-{n:04d}",
        "type": DeviceType.BODY_CAMERA, "status": DeviceStatus.IN_SERVICE, "holder_id": None,
        "make": "海康威视", "model": "DSJ-X1", "serial": f"SN{n:08d}", "created_at": T0, "updated_at": T0,
    }
    values.update(over)
    return Device(**values)


def make_session(user: User, **over: Any) -> Session:
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "user_id": user.id, "token_hash": uuid.uuid4().hex + uuid.uuid4().hex,
        "csrf_token": uuid.uuid4().hex, "created_at": T0, "last_seen_at": T0, "ended_at": None,
    }
    values.update(over)
    return Session(**values)


def make_token(user: User, **over: Any) -> ApiToken:
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "user_id": user.id, "name": "采集站1号", "token_hash": uuid.uuid4().hex * 2,
        "prefix": "lt_abcde", "created_at": T0, "expires_at": T0 + timedelta(days=365), "revoked_at": None,
    }
    values.update(over)
    return ApiToken(**values)


def make_event(**over: Any) -> Event:
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "occurred_at": T0, "actor_id": uuid.uuid4(), "actor_name": "张三",
        "action": "org:unit:update", "subject_type": "unit", "subject_id": str(uuid.uuid4()),
        "subject_name": "执法稽查科", "before": {"name": "旧名称"}, "after": {"name": "新名称：执法稽查科"},
        "request_id": REQUEST_ID,
    }
    values.update(over)
    return Event(**values)


def ctx_for(who: User | Actor, now: datetime = T0, request_id: str | None = REQUEST_ID) -> Ctx:
    actor = who if isinstance(who, Actor) else actor_for(who)
    return Ctx(actor=actor, now=now, request_id=request_id)


def system_ctx(now: datetime = T0) -> Ctx:
    return Ctx(actor=system_actor("init"), now=now, request_id=None)


@dataclass
class World:
    """A bureau with two active units and one inactive, a person in each role, and a second
    bureau with its own administrator, all committed with no events."""

    db: FakeDatabase
    deps: Deps
    bureau: Bureau
    unit_a: Unit
    unit_b: Unit
    unit_closed: Unit
    admin: User
    officer_a: User
    officer_b: User
    unit_head_a: User
    legal_reviewer: User
    leader: User
    archivist: User
    supervisor: User
    former_officer: User
    nobody: User
    other_bureau: Bureau
    other_unit: Unit
    other_admin: User
    devices: dict[str, Device] = field(default_factory=dict)

    @property
    def state(self) -> FakeState:
        return self.db.state

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.db)

    def ctx(self, who: User | Actor, now: datetime = T0, request_id: str | None = REQUEST_ID) -> Ctx:
        return ctx_for(who, now, request_id)

    def events(self) -> list[Event]:
        return list(self.db.state.events)

    def snapshot(self) -> FakeState:
        """A copy of everything committed, to compare with after a refused call."""
        return self.db.state.copy()

    def user(self, user_id: UUID) -> User:
        return self.db.state.users[user_id]

    def put(self, *objs: Any) -> None:
        """Commit objects straight into the store (seeding, no events)."""
        with self.uow() as uow:
            for obj in objs:
                repo: Any = {Bureau: uow.bureaus, Unit: uow.units, User: uow.users, Device: uow.devices,
                             Session: uow.sessions, ApiToken: uow.tokens}[type(obj)]
                repo.add(obj)
            uow.commit()


def seeded_world(**policy_over: Any) -> World:
    deps = make_deps(**policy_over)
    hasher = deps.hasher
    assert isinstance(hasher, FakeHasher)
    bureau = make_bureau(code="GZSCJ", name="广州市市场监督管理局")
    unit_a = make_unit(bureau, code="JC1", name="执法稽查一科")
    unit_b = make_unit(bureau, code="JC2", name="执法稽查二科")
    unit_closed = make_unit(bureau, code="OLD", name="已撤销科室", active=False)
    other = make_bureau(code="SZSCJ", name="深圳市市场监督管理局")
    other_unit = make_unit(other, code="JC1", name="深圳稽查一科")

    def person(unit: Unit, name: str, *roles: Role, **over: Any) -> User:
        return make_user(unit, *roles, username=name, display_name=f"{name}同志", hasher=hasher, **over)

    world = World(
        db=FakeDatabase(), deps=deps, bureau=bureau, unit_a=unit_a, unit_b=unit_b, unit_closed=unit_closed,
        admin=person(unit_a, "admin", Role.ADMIN),
        officer_a=person(unit_a, "officer.a", Role.OFFICER),
        officer_b=person(unit_b, "officer.b", Role.OFFICER),
        unit_head_a=person(unit_a, "head.a", Role.UNIT_HEAD, Role.OFFICER),
        legal_reviewer=person(unit_b, "reviewer", Role.LEGAL_REVIEWER),
        leader=person(unit_b, "leader", Role.LEADER),
        archivist=person(unit_b, "archivist", Role.ARCHIVIST),
        supervisor=person(unit_b, "supervisor", Role.SUPERVISOR),
        former_officer=person(unit_a, "former", Role.OFFICER, active=False),
        nobody=make_user(unit_a, username="nobody", hasher=hasher, roles=frozenset()),
        other_bureau=other, other_unit=other_unit,
        other_admin=person(other_unit, "sz.admin", Role.ADMIN),
    )
    world.put(bureau, other, unit_a, unit_b, unit_closed, other_unit)
    world.put(world.admin, world.officer_a, world.officer_b, world.unit_head_a, world.legal_reviewer,
              world.leader, world.archivist, world.supervisor, world.former_officer, world.nobody,
              world.other_admin)
    world.devices = {"a": make_device(unit_a, number="ZFJLY-A001"), "b": make_device(unit_b, number="ZFJLY-B001"),
                     "other": make_device(other_unit, number="SZ-0001")}
    world.put(*world.devices.values())
    world.db.commits = 0
    return world


def only_new_event(world: World, before: int) -> Event:
    """The single event appended since the trail had ``before`` events; fail otherwise."""
    new = world.events()[before:]
    assert len(new) == 1, f"expected exactly one new event, got {[e.action for e in new]}"
    return new[0]


def refused(world: World, exc: type[LawtrailError], call: Callable[[], object]) -> LawtrailError:
    """Run ``call``, expect ``exc``, and check that nothing at all was written or committed."""
    before = world.snapshot()
    commits = world.db.commits
    with pytest.raises(exc) as info:
        call()
    assert world.state == before, "a refused call changed the stored state"
    assert world.db.commits == commits, "a refused call committed"
    return info.value
