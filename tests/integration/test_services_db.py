"""Service flows end to end on SQLite and PostgreSQL, with the real hasher and TOTP."""

from __future__ import annotations

from datetime import date, timedelta

import pyotp
import pytest

from lawtrail.adapters.clock import FixedClock
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.devices import DeviceStatus, LogKind, holder_at
from lawtrail.domain.events import Action
from lawtrail.errors import Conflict, TooManyAttempts, Unauthenticated, ValidationFailed
from lawtrail.services import auth, devices, org, users
from tests.integration.support import Seed, row_counts
from tests.unit.factories import PASSWORD, T0

NEW_PASSWORD = "Xin-mima-2027!"


def actions_since(seed: Seed, start: int) -> list[str]:
    with SqlUnitOfWork(seed.container.engine) as uow:
        return [e.action for e in reversed(uow.events.list(limit=1000)) if e.seq >= start]


def test_unit_person_device_lifecycle(seed: Seed, clock: FixedClock) -> None:
    c = seed.container
    unit = org.create_unit(c.uow(), seed.ctx(), bureau_id=seed.bureau.id, code="JC2", name="执法稽查二科",
                           kind="business_section")
    officer = users.create_user(c.uow(), seed.ctx(), c.deps, unit_id=unit.id, username="Zhang.San",
                                display_name="张三", roles=["officer"], password=NEW_PASSWORD,
                                cert_number="粤4400123456", cert_valid_from=date(2026, 1, 1),
                                cert_valid_to=date(2028, 12, 31))
    archivist = users.create_user(c.uow(), seed.ctx(), c.deps, unit_id=seed.unit.id, username="li.si",
                                  display_name="李四", roles=["archivist"], password=NEW_PASSWORD)
    device = devices.create_device(c.uow(), seed.ctx(archivist), number="ZFJLY-001", type="body_camera",
                                   unit_id=unit.id, make="海康威视")
    clock.advance(timedelta(hours=1))
    devices.assign_device(c.uow(), seed.ctx(archivist), device.id, holder_id=officer.id)
    clock.advance(timedelta(hours=1))
    devices.add_log_entry(c.uow(), seed.ctx(officer), device.id, kind="fault", note="按键失灵")
    clock.advance(timedelta(hours=1))
    devices.assign_device(c.uow(), seed.ctx(archivist), device.id, holder_id=None)
    devices.set_device_status(c.uow(), seed.ctx(archivist), device.id, status="under_repair", note="送修")
    users.update_user(c.uow(), seed.ctx(), c.deps, officer.id, active=False)

    stored, log = devices.get_device(c.uow(), seed.ctx(archivist), device.id)
    assert (stored.status, stored.holder_id) == (DeviceStatus.UNDER_REPAIR, None)
    assert [e.kind for e in log] == [LogKind.STATUS, LogKind.HOLDER, LogKind.FAULT, LogKind.HOLDER, LogKind.STATUS]
    assert holder_at(log, T0 + timedelta(hours=1, minutes=30)) == officer.id
    assert holder_at(log, T0 + timedelta(hours=4)) is None
    gone = users.get_user(c.uow(), seed.ctx(), officer.id)
    assert (gone.active, gone.username, gone.certificate and gone.certificate.valid_to) == (
        False, "zhang.san", date(2028, 12, 31))
    assert actions_since(seed, 3) == [
        Action.UNIT_CREATE, Action.USER_CREATE, Action.USER_CREATE, Action.DEVICE_CREATE, Action.DEVICE_ASSIGN,
        Action.DEVICE_LOG, Action.DEVICE_ASSIGN, Action.DEVICE_STATUS, Action.USER_DEACTIVATE,
    ]


def test_duplicate_device_number_is_a_conflict_and_writes_nothing(seed: Seed) -> None:
    c = seed.container
    devices.create_device(c.uow(), seed.ctx(), number="ZFJLY-001", type="body_camera", unit_id=seed.unit.id)
    before = row_counts(c.engine)
    with pytest.raises(Conflict) as info:
        devices.create_device(c.uow(), seed.ctx(), number=" ZFJLY-001 ", type="camera", unit_id=seed.unit.id)
    assert info.value.code == "device.number_taken"
    assert row_counts(c.engine) == before


def test_invalid_input_writes_nothing(seed: Seed) -> None:
    c = seed.container
    before = row_counts(c.engine)
    with pytest.raises(ValidationFailed):
        users.create_user(c.uow(), seed.ctx(), c.deps, unit_id=seed.unit.id, username="wang.wu",
                          display_name="王五", roles=["officer"], password=NEW_PASSWORD, cert_number="粤1",
                          cert_valid_from=date(2026, 1, 1), cert_valid_to=date(2025, 1, 1))
    assert row_counts(c.engine) == before


def test_login_session_logout_with_argon2(seed: Seed, clock: FixedClock) -> None:
    c = seed.container
    assert seed.admin.password_hash.startswith("$argon2id$")
    result = auth.login(c.uow(), c.system_ctx(), c.deps, username="ADMIN", password=PASSWORD, ip="127.0.0.1")
    clock.advance(timedelta(minutes=10))
    session, user = auth.session_user(c.uow(), c.deps, result.cookie_token, clock.now())
    assert user.id == seed.admin.id
    auth.logout(c.uow(), seed.ctx(), session)
    with pytest.raises(Unauthenticated):
        auth.session_user(c.uow(), c.deps, result.cookie_token, clock.now())
    assert actions_since(seed, 3) == [Action.LOGIN, Action.LOGOUT]


def test_throttling_on_the_database(seed: Seed, clock: FixedClock) -> None:
    c = seed.container
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            auth.login(c.uow(), c.system_ctx(), c.deps, username="admin", password="wrong", ip="10.0.0.9")
        clock.advance(timedelta(minutes=1))
    with pytest.raises(TooManyAttempts):
        auth.login(c.uow(), c.system_ctx(), c.deps, username="admin", password=PASSWORD, ip="10.0.0.9")
    clock.advance(timedelta(minutes=16))
    auth.login(c.uow(), c.system_ctx(), c.deps, username="admin", password=PASSWORD, ip="10.0.0.9")
    assert actions_since(seed, 3) == [Action.LOGIN_REFUSED] * 6 + [Action.LOGIN]


def test_totp_with_the_real_checker(seed: Seed, clock: FixedClock) -> None:
    c = seed.container
    secret = c.deps.totp.new_secret()
    auth.enable_totp(c.uow(), seed.ctx(), c.deps, secret=secret, code=pyotp.TOTP(secret).at(clock.now()))
    result = auth.login(c.uow(), c.system_ctx(), c.deps, username="admin", password=PASSWORD, ip="127.0.0.1")
    assert result.needs_totp
    with pytest.raises(Unauthenticated):
        auth.verify_totp_login(c.uow(), seed.ctx(), c.deps, session=result.session, code="12345x")
    auth.verify_totp_login(c.uow(), seed.ctx(), c.deps, session=result.session,
                           code=pyotp.TOTP(secret).at(clock.now()))
    session, _ = auth.session_user(c.uow(), c.deps, result.cookie_token, clock.now())
    assert not session.totp_pending


@pytest.mark.parametrize("secret", ["0189" * 4, "密钥" * 8], ids=["not-base32", "not-ascii"])
def test_a_malformed_totp_secret_is_a_validation_error(seed: Seed, secret: str) -> None:
    # BUG: enable_totp accepts any alphanumeric secret of 16+ characters; pyotp then raises
    # binascii.Error / ValueError on one that is not base32, which surfaces as a 500, not a 422.
    c = seed.container
    before = row_counts(c.engine)
    with pytest.raises(ValidationFailed):
        auth.enable_totp(c.uow(), seed.ctx(), c.deps, secret=secret, code="123456")
    assert row_counts(c.engine) == before


def test_a_totp_secret_longer_than_its_column_is_a_validation_error(seed: Seed, clock: FixedClock) -> None:
    # BUG: no upper bound on the secret: with a matching code, 80 base32 characters reach
    # users.totp_secret (VARCHAR 64) - PostgreSQL raises a DataError, SQLite stores it as typed.
    c = seed.container
    secret = "JBSWY3DPEHPK3PXP" * 5
    before = row_counts(c.engine)
    with pytest.raises(ValidationFailed):
        auth.enable_totp(c.uow(), seed.ctx(), c.deps, secret=secret, code=pyotp.TOTP(secret).at(clock.now()))
    assert row_counts(c.engine) == before


def test_api_token_round_trip(seed: Seed, clock: FixedClock) -> None:
    c = seed.container
    token, raw = auth.create_token(c.uow(), seed.ctx(), owner_id=seed.admin.id, name="采集站1号", days=1)
    assert auth.token_user(c.uow(), raw, clock.now()).id == seed.admin.id
    auth.revoke_token(c.uow(), seed.ctx(), token.id)
    with pytest.raises(Unauthenticated):
        auth.token_user(c.uow(), raw, clock.now())
    assert actions_since(seed, 3) == [Action.TOKEN_CREATE, Action.TOKEN_REVOKE]
