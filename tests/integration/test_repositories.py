"""Round trips of every repository on SQLite and PostgreSQL, and the unit of work's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, StatementError

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.access import Role
from lawtrail.domain.devices import DeviceLogEntry, DeviceStatus, DeviceType, LogKind
from lawtrail.domain.org import Bureau, Certificate, Unit, UnitKind, User
from tests.integration.support import row_counts
from tests.unit.factories import (
    T0,
    make_bureau,
    make_device,
    make_event,
    make_session,
    make_token,
    make_unit,
    make_user,
)

BEIJING = timezone(timedelta(hours=8))
#: A time given in Beijing time with microseconds: it must come back equal, and in UTC.
ODD_TIME = datetime(2026, 11, 26, 16, 30, 15, 123456, tzinfo=BEIJING)


def is_utc(value: datetime | None) -> bool:
    return value is not None and value.utcoffset() == timedelta(0)


@pytest.fixture
def org(engine: Engine) -> tuple[Bureau, Unit, Unit, User]:
    """A bureau, two units and an officer, committed."""
    bureau = make_bureau(name="广州市市场监督管理局")
    unit_a, unit_b = make_unit(bureau, code="JC1"), make_unit(bureau, code="JC2")
    officer = make_user(unit_a, Role.OFFICER)
    with SqlUnitOfWork(engine) as uow:
        uow.bureaus.add(bureau)
        uow.units.add(unit_a)
        uow.units.add(unit_b)
        uow.users.add(officer)
        uow.commit()
    return bureau, unit_a, unit_b, officer


# ---- organisation ---------------------------------------------------------------------------


def test_bureaus_round_trip(engine: Engine) -> None:
    first = make_bureau(code="B2", name="深圳市市场监督管理局", created_at=ODD_TIME)
    second = make_bureau(code="B1")
    with SqlUnitOfWork(engine) as uow:
        uow.bureaus.add(first)
        uow.bureaus.add(second)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        got = uow.bureaus.get(first.id)
        assert got == first
        assert got is not None and is_utc(got.created_at)
        assert uow.bureaus.by_code("B2") == first
        assert uow.bureaus.by_code("B3") is None
        assert uow.bureaus.get(uuid.uuid4()) is None
        assert [b.code for b in uow.bureaus.list()] == ["B1", "B2"]


def test_units_round_trip_update_and_scoped_lists(engine: Engine, org: tuple[Bureau, Unit, Unit, User]) -> None:
    bureau, unit_a, unit_b, _ = org
    changed = Unit(**{**vars(unit_a), "name": "综合执法科", "kind": UnitKind.ENTRUSTED_ORG, "active": False,
                      "updated_at": ODD_TIME})
    with SqlUnitOfWork(engine) as uow:
        uow.units.update(changed)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        got = uow.units.get(unit_a.id)
        assert got == changed
        assert got is not None and got.kind is UnitKind.ENTRUSTED_ORG and is_utc(got.updated_at)
        assert uow.units.by_code(bureau.id, "JC2") == unit_b
        assert uow.units.by_code(uuid.uuid4(), "JC2") is None
        assert [u.code for u in uow.units.list(bureau.id, None)] == ["JC1", "JC2"]
        assert uow.units.list(bureau.id, frozenset({unit_b.id})) == [unit_b]
        assert uow.units.list(bureau.id, frozenset()) == []


def test_users_round_trip_with_roles_certificate_and_dates(engine: Engine,
                                                         org: tuple[Bureau, Unit, Unit, User]) -> None:
    bureau, unit_a, unit_b, officer = org
    person = make_user(unit_b, Role.LEGAL_REVIEWER, Role.UNIT_HEAD, Role.OFFICER, username="li.si",
                       display_name="李四", phone="020-8888", totp_secret="JBSWY3DPEHPK3PXP", totp_enabled=True,
                       certificate=Certificate("粤4400123456", date(2026, 1, 1), date(2028, 12, 31)),
                       created_at=ODD_TIME, updated_at=ODD_TIME)
    with SqlUnitOfWork(engine) as uow:
        uow.users.add(person)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        got = uow.users.get(person.id)
        assert got == person
        assert got is not None
        assert got.roles == {Role.LEGAL_REVIEWER, Role.UNIT_HEAD, Role.OFFICER}
        assert all(type(r) is Role for r in got.roles)
        assert got.certificate is not None and type(got.certificate.valid_to) is date
        assert is_utc(got.created_at)
        assert uow.users.by_username("li.si") == person
        assert uow.users.by_username("nobody") is None
        assert [u.username for u in uow.users.list(bureau.id, None)] == sorted([officer.username, "li.si"])
        assert uow.users.list(bureau.id, frozenset({unit_a.id})) == [officer]
    demoted = person.with_changes(roles=frozenset({Role.OFFICER}), certificate=None, totp_secret=None,
                                  totp_enabled=False, unit_id=unit_a.id, active=False)
    with SqlUnitOfWork(engine) as uow:
        uow.users.update(demoted)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.users.get(person.id) == demoted


def test_duplicate_username_is_refused_by_the_database(engine: Engine, org: tuple[Bureau, Unit, Unit, User]) -> None:
    _, unit_a, _, officer = org
    with SqlUnitOfWork(engine) as uow, pytest.raises(IntegrityError):
        uow.users.add(make_user(unit_a, username=officer.username))


def test_database_errors_do_not_carry_secrets(engine: Engine, org: tuple[Bureau, Unit, Unit, User]) -> None:
    # BUG: the engines are made without hide_parameters, so every DBAPI error's text - which
    # ends up in logs and tracebacks - lists the bound values: password hashes, TOTP secrets.
    _, unit_a, _, officer = org
    clash = make_user(unit_a, username=officer.username, totp_secret="JBSWY3DPEHPK3PXP")
    with SqlUnitOfWork(engine) as uow, pytest.raises(IntegrityError) as info:
        uow.users.add(clash)
    assert clash.password_hash not in str(info.value)
    assert "JBSWY3DPEHPK3PXP" not in str(info.value)


# ---- devices -------------------------------------------------------------------------------


def test_devices_round_trip(engine: Engine, org: tuple[Bureau, Unit, Unit, User]) -> None:
    bureau, unit_a, unit_b, officer = org
    device = make_device(unit_a, number="ZFJLY-001", type=DeviceType.AUDIO_RECORDER, make="执法仪厂",
                         created_at=ODD_TIME)
    other = make_device(unit_b, number="ZFJLY-000")
    with SqlUnitOfWork(engine) as uow:
        uow.devices.add(device)
        uow.devices.add(other)
        uow.commit()
    moved = make_device(unit_b, id=device.id, number="ZFJLY-001", status=DeviceStatus.UNDER_REPAIR,
                        holder_id=officer.id, created_at=ODD_TIME, updated_at=T0 + timedelta(days=1))
    with SqlUnitOfWork(engine) as uow:
        assert uow.devices.get(device.id) == device
        assert uow.devices.by_number("ZFJLY-001") == device
        uow.devices.update(moved)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        got = uow.devices.get(device.id)
        assert got == moved
        assert got is not None and got.status is DeviceStatus.UNDER_REPAIR and got.type is DeviceType.BODY_CAMERA
        assert [d.number for d in uow.devices.list(bureau.id, None)] == ["ZFJLY-000", "ZFJLY-001"]
        assert uow.devices.list(bureau.id, frozenset({unit_a.id})) == []


def test_device_log_round_trip_in_time_order(engine: Engine, org: tuple[Bureau, Unit, Unit, User]) -> None:
    _, unit_a, _, officer = org
    device = make_device(unit_a)
    entries = [
        DeviceLogEntry(id=uuid.uuid4(), device_id=device.id, at=T0 + timedelta(hours=2), kind=LogKind.HOLDER,
                       note="领用", actor_id=officer.id, actor_name="张三", holder_id=officer.id),
        DeviceLogEntry(id=uuid.uuid4(), device_id=device.id, at=ODD_TIME, kind=LogKind.STATUS, note="登记入册",
                       actor_id=None, actor_name="系统", status=DeviceStatus.IN_SERVICE),
    ]
    with SqlUnitOfWork(engine) as uow:
        uow.devices.add(device)
        for entry in entries:
            uow.device_log.append(entry)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        got = uow.device_log.for_device(device.id)
        assert got == sorted(entries, key=lambda e: e.at)
        assert got[0].status is DeviceStatus.IN_SERVICE and got[1].kind is LogKind.HOLDER
        assert all(is_utc(e.at) for e in got)
        assert uow.device_log.for_device(uuid.uuid4()) == []


# ---- sessions, tokens, login attempts ------------------------------------------------------


def test_sessions_round_trip(engine: Engine, org: tuple[Bureau, Unit, Unit, User]) -> None:
    officer = org[3]
    first = make_session(officer, totp_pending=True, created_at=ODD_TIME, last_seen_at=ODD_TIME)
    second, ended = make_session(officer), make_session(officer, ended_at=T0)
    with SqlUnitOfWork(engine) as uow:
        for s in (first, second, ended):
            uow.sessions.add(s)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.sessions.by_token_hash(first.token_hash) == first
        assert uow.sessions.by_token_hash("missing") is None
        uow.sessions.touch(first.id, T0 + timedelta(minutes=5))
        uow.sessions.clear_totp_pending(first.id)
        uow.sessions.end(second.id, T0 + timedelta(minutes=6))
        uow.sessions.end_all_for_user(officer.id, T0 + timedelta(minutes=7))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        got = uow.sessions.by_token_hash(first.token_hash)
        assert got is not None
        assert (got.last_seen_at, got.totp_pending, got.ended_at) == (
            T0 + timedelta(minutes=5), False, T0 + timedelta(minutes=7))
        assert is_utc(got.ended_at)
        ended_second = uow.sessions.by_token_hash(second.token_hash)
        assert ended_second is not None and ended_second.ended_at == T0 + timedelta(minutes=6)
        already = uow.sessions.by_token_hash(ended.token_hash)
        assert already is not None and already.ended_at == T0


def test_tokens_round_trip(engine: Engine, org: tuple[Bureau, Unit, Unit, User]) -> None:
    officer = org[3]
    older = make_token(officer, name="采集站1号", created_at=T0 - timedelta(days=1), expires_at=None)
    newer = make_token(officer, name="采集站2号", expires_at=ODD_TIME + timedelta(days=30))
    with SqlUnitOfWork(engine) as uow:
        uow.tokens.add(newer)
        uow.tokens.add(older)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.tokens.get(newer.id) == newer
        assert uow.tokens.by_hash(older.token_hash) == older
        assert uow.tokens.by_hash("missing") is None
        assert [t.name for t in uow.tokens.for_user(officer.id)] == ["采集站1号", "采集站2号"]
        uow.tokens.revoke(newer.id, T0 + timedelta(hours=1))
        uow.tokens.touch(older.id, T0 + timedelta(hours=2))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        revoked, touched = uow.tokens.get(newer.id), uow.tokens.get(older.id)
        assert revoked is not None and revoked.revoked_at == T0 + timedelta(hours=1)
        assert touched is not None and touched.last_used_at == T0 + timedelta(hours=2)
        assert is_utc(revoked.revoked_at) and is_utc(revoked.expires_at)


def test_login_failures_count_after_the_last_success(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.login_attempts.add("zhang", T0, False, "10.0.0.1")
        uow.login_attempts.add("zhang", T0 + timedelta(minutes=1), True, "10.0.0.1")
        uow.login_attempts.add("zhang", T0 + timedelta(minutes=2), False, "10.0.0.1")
        uow.login_attempts.add("zhang", ODD_TIME + timedelta(minutes=3), False, "x" * 100)
        uow.login_attempts.add("li", T0 + timedelta(minutes=2), False, "10.0.0.2")
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        got = uow.login_attempts.failures_since("zhang", T0 - timedelta(hours=1))
        assert sorted(got) == [T0 + timedelta(minutes=2), ODD_TIME + timedelta(minutes=3)]
        assert all(is_utc(t) for t in got)
        assert uow.login_attempts.failures_since("zhang", T0 + timedelta(minutes=2)) == [
            ODD_TIME + timedelta(minutes=3)]
        assert uow.login_attempts.failures_since("wang", T0 - timedelta(hours=1)) == []


# ---- events ---------------------------------------------------------------------------------


def test_events_round_trip_with_chinese_json(engine: Engine) -> None:
    subject = str(uuid.uuid4())
    nested = {"名称": "执法稽查一科", "roles": ["officer", "unit_head"], "证件": {"号码": "粤0123456789"},
              "count": 3, "flag": True, "nothing": None, "quote": "\"引号\"\n\\"}
    events = [
        make_event(subject_id=subject, before=None, after=nested, occurred_at=ODD_TIME),
        make_event(actor_id=None, actor_name="系统", before={"a": "旧"}, after=None, request_id=None),
        make_event(subject_id=subject, before=nested, after={"名称": "新"}),
    ]
    with SqlUnitOfWork(engine) as uow:
        stored = [uow.events.append(e) for e in events]
        uow.commit()
    assert [e.seq for e in stored] == [0, 1, 2]
    with SqlUnitOfWork(engine) as uow:
        assert uow.events.count() == 3
        listed = uow.events.list()
        assert listed == list(reversed(stored))
        assert listed[-1].after == nested
        assert is_utc(listed[-1].occurred_at) and listed[-1].occurred_at == ODD_TIME
        assert [e.seq for e in uow.events.list(subject_type="unit", subject_id=subject)] == [2, 0]
        assert [e.seq for e in uow.events.list(actor_id=events[0].actor_id)] == [0]
        assert [e.seq for e in uow.events.list(before_seq=2, limit=1)] == [1]


def test_naive_datetimes_never_reach_the_database(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow, pytest.raises(StatementError, match="naive"):
        uow.bureaus.add(make_bureau(created_at=datetime(2026, 11, 26, 8, 30)))


# ---- the unit of work ------------------------------------------------------------------------


def test_leaving_without_commit_rolls_back(engine: Engine) -> None:
    before = row_counts(engine)
    bureau = make_bureau()
    with SqlUnitOfWork(engine) as uow:
        uow.bureaus.add(bureau)
        uow.events.append(make_event())
        assert uow.bureaus.get(bureau.id) == bureau
    assert row_counts(engine) == before


def test_an_exception_rolls_back_what_was_not_committed(engine: Engine) -> None:
    first, second = make_bureau(), make_bureau()
    uow = SqlUnitOfWork(engine)
    with pytest.raises(RuntimeError, match="boom"), uow:
        uow.bureaus.add(first)
        uow.commit()
        uow.bureaus.add(second)
        uow.events.append(make_event())
        raise RuntimeError("boom")
    with uow:  # the same unit of work starts a fresh transaction
        assert uow.bureaus.get(first.id) == first
        assert uow.bureaus.get(second.id) is None
        assert uow.events.count() == 0


def test_explicit_rollback_and_nested_blocks(engine: Engine) -> None:
    bureau = make_bureau()
    uow = SqlUnitOfWork(engine)
    with uow:
        uow.bureaus.add(make_bureau())
        uow.rollback()
        with uow:  # nested: the same transaction
            uow.bureaus.add(bureau)
        uow.commit()
    with uow:
        assert [b.id for b in uow.bureaus.list()] == [bureau.id]


def test_unit_of_work_refuses_use_outside_its_block(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    with pytest.raises(RuntimeError):
        uow.commit()
    with uow:
        pass
    with pytest.raises(RuntimeError):
        _ = uow.connection


def test_utc_offsets_do_not_change_the_instant(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        stored = uow.events.append(make_event(occurred_at=ODD_TIME))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        [got] = uow.events.list()
    assert got.occurred_at == ODD_TIME.astimezone(UTC) == stored.occurred_at
    assert got.occurred_at.tzinfo is not None and got.occurred_at.utcoffset() == timedelta(0)
