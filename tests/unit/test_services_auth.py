"""Login, throttling, sessions, TOTP and API tokens against the fakes, with a moving clock."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest

from lawtrail.domain.events import Action
from lawtrail.domain.org import User
from lawtrail.errors import NotFound, PermissionDenied, TooManyAttempts, Unauthenticated, ValidationFailed
from lawtrail.services import auth, users
from tests.unit.factories import PASSWORD, T0, World, only_new_event, refused
from tests.unit.fakes import FakeTotp

IP = "10.20.30.40"
MINUTE = timedelta(minutes=1)
WINDOW = timedelta(minutes=15)  # the factories' throttle policy: 5 failures in 15 minutes


def login(world: World, username: str = "officer.a", password: str = PASSWORD, now: datetime = T0) -> auth.LoginResult:
    return auth.login(world.uow(), world.ctx(world.admin, now=now, request_id=None), world.deps,
                      username=username, password=password, ip=IP)


def fail_logins(world: World, username: str, count: int, start: datetime = T0) -> datetime:
    """``count`` wrong-password logins one minute apart; return the time of the last one."""
    at = start
    for i in range(count):
        at = start + i * MINUTE
        with pytest.raises(Unauthenticated):
            login(world, username, "wrong-password", now=at)
    return at


def totp_user(world: World) -> tuple[User, str]:
    totp = world.deps.totp
    assert isinstance(totp, FakeTotp)
    secret = totp.new_secret()
    user = world.user(world.officer_a.id).with_changes(totp_secret=secret, totp_enabled=True)
    with world.uow() as uow:
        uow.users.update(user)
        uow.commit()
    return user, secret


def wrong_code(world: World, secret: str, at: datetime) -> str:
    totp = world.deps.totp
    return next(c for c in ("000000", "111111", "222222", "333333") if not totp.verify(secret, c, at))


# ---- login ---------------------------------------------------------------------------------


def test_login_opens_a_session_and_records_it(world: World) -> None:
    result = login(world, "  Officer.A ")
    assert result.user.id == world.officer_a.id
    assert not result.needs_totp
    stored = world.state.sessions[result.session.id]
    assert stored.token_hash == hashlib.sha256(result.cookie_token.encode()).hexdigest()
    assert result.cookie_token not in repr(stored)
    assert (stored.created_at, stored.last_seen_at, stored.ended_at) == (T0, T0, None)
    event = only_new_event(world, 0)
    assert (event.action, event.subject_type, event.subject_id) == (Action.LOGIN, "user", str(world.officer_a.id))
    assert event.after == {"ip": IP, "totp_pending": False}
    assert world.state.login_attempts[-1][1:] == (T0, True, IP)


@pytest.mark.parametrize(("username", "password", "reason"), [
    ("officer.a", "wrong-password", "bad_credentials"),
    ("no.such.user", PASSWORD, "bad_credentials"),
    ("former", PASSWORD, "inactive"),
    ("officer.a", "", "bad_credentials"),
])
def test_refused_login_opens_nothing_and_records_only_the_refusal(
        world: World, username: str, password: str, reason: str) -> None:
    with pytest.raises(Unauthenticated) as info:
        login(world, username, password)
    assert info.value.code == "auth.bad_credentials"  # the same answer whatever went wrong
    assert info.value.message_en == "wrong username or password"
    assert world.state.sessions == {}
    event = only_new_event(world, 0)
    assert (event.action, event.subject_type, event.subject_id) == (Action.LOGIN_REFUSED, "login", username)
    assert event.after == {"ip": IP, "reason": reason}
    assert password not in repr(event) or password == ""
    assert [a.success for a in world.state.login_attempts] == [False]


def test_throttled_after_the_limit_even_with_the_right_password(world: World) -> None:
    last = fail_logins(world, "officer.a", 5)
    with pytest.raises(TooManyAttempts) as info:
        login(world, "officer.a", now=last + MINUTE)
    assert info.value.code == "auth.throttled"
    assert world.state.sessions == {}
    assert world.events()[-1].after == {"ip": IP, "reason": "throttled"}
    assert len(world.events()) == 6


def test_four_failures_do_not_lock(world: World) -> None:
    last = fail_logins(world, "officer.a", 4)
    assert login(world, "officer.a", now=last + MINUTE).user.id == world.officer_a.id


def test_lock_holds_inside_the_window_and_is_released_after_it(world: World) -> None:
    last = fail_logins(world, "officer.a", 5)
    with pytest.raises(TooManyAttempts):
        login(world, "officer.a", now=T0 + WINDOW - timedelta(seconds=1))
    assert login(world, "officer.a", now=last + WINDOW + timedelta(seconds=1)).session is not None


def test_failures_spread_wider_than_the_window_do_not_lock(world: World) -> None:
    for i in range(8):
        with pytest.raises(Unauthenticated):
            login(world, "officer.a", "wrong-password", now=T0 + i * timedelta(minutes=4))
    assert login(world, "officer.a", now=T0 + 8 * timedelta(minutes=4)).session is not None


def test_a_successful_login_resets_the_count(world: World) -> None:
    last = fail_logins(world, "officer.a", 4)
    login(world, "officer.a", now=last + MINUTE)
    last = fail_logins(world, "officer.a", 4, start=last + 2 * MINUTE)
    assert login(world, "officer.a", now=last + MINUTE).session is not None


def test_throttling_is_per_username(world: World) -> None:
    fail_logins(world, "officer.a", 5)
    assert login(world, "officer.b", now=T0 + 5 * MINUTE).user.id == world.officer_b.id


# ---- sessions --------------------------------------------------------------------------------


def test_session_user_resolves_the_cookie_and_touches_at_most_once_a_minute(world: World) -> None:
    result = login(world)
    commits = world.db.commits
    session, user = auth.session_user(world.uow(), world.deps, result.cookie_token, T0 + timedelta(seconds=59))
    assert user.id == world.officer_a.id
    assert world.db.commits == commits  # no write within the first minute
    auth.session_user(world.uow(), world.deps, result.cookie_token, T0 + 2 * MINUTE)
    assert world.state.sessions[session.id].last_seen_at == T0 + 2 * MINUTE
    assert len(world.events()) == 1  # touching is not an event


def test_unknown_cookie_is_refused(world: World) -> None:
    with pytest.raises(Unauthenticated) as info:
        auth.session_user(world.uow(), world.deps, "forged-cookie", T0)
    assert info.value.code == "auth.no_session"


def test_session_idle_timeout(world: World) -> None:
    cookie = login(world).cookie_token
    auth.session_user(world.uow(), world.deps, cookie, T0 + timedelta(minutes=30))  # exactly idle: still fine
    with pytest.raises(Unauthenticated) as info:
        auth.session_user(world.uow(), world.deps, cookie, T0 + timedelta(minutes=60, seconds=1))
    assert info.value.code == "auth.session_expired"


def test_session_absolute_timeout_despite_activity(world: World) -> None:
    cookie = login(world).cookie_token
    now = T0
    while now < T0 + timedelta(hours=12):
        now += timedelta(minutes=20)
        now = min(now, T0 + timedelta(hours=12))
        auth.session_user(world.uow(), world.deps, cookie, now)
    with pytest.raises(Unauthenticated) as info:
        auth.session_user(world.uow(), world.deps, cookie, now + timedelta(seconds=1))
    assert info.value.code == "auth.session_expired"


def test_logout_ends_the_session_with_an_event(world: World) -> None:
    result = login(world)
    ctx = world.ctx(world.officer_a, now=T0 + 5 * MINUTE)
    auth.logout(world.uow(), ctx, result.session)
    assert world.state.sessions[result.session.id].ended_at == T0 + 5 * MINUTE
    event = only_new_event(world, 1)
    assert (event.action, event.subject_id, event.actor_id) == (
        Action.LOGOUT, str(world.officer_a.id), world.officer_a.id)
    with pytest.raises(Unauthenticated):
        auth.session_user(world.uow(), world.deps, result.cookie_token, T0 + 6 * MINUTE)


def test_deactivated_persons_session_stops_working(world: World) -> None:
    cookie = login(world).cookie_token
    users.update_user(world.uow(), world.ctx(world.admin), world.deps, world.officer_a.id, active=False)
    with pytest.raises(Unauthenticated):
        auth.session_user(world.uow(), world.deps, cookie, T0 + MINUTE)


# ---- TOTP ------------------------------------------------------------------------------------


def test_totp_user_gets_a_pending_session_until_the_code_is_given(world: World) -> None:
    _, secret = totp_user(world)
    result = login(world)
    assert result.needs_totp
    assert world.events()[-1].after == {"ip": IP, "totp_pending": True}
    code = FakeTotp().code_at(secret, T0 + MINUTE)
    auth.verify_totp_login(world.uow(), world.ctx(world.officer_a, now=T0 + MINUTE), world.deps,
                           session=result.session, code=code)
    assert world.state.sessions[result.session.id].totp_pending is False


def test_wrong_one_time_code_is_refused_and_recorded(world: World) -> None:
    _, secret = totp_user(world)
    result = login(world)
    events = len(world.events())
    with pytest.raises(Unauthenticated) as info:
        auth.verify_totp_login(world.uow(), world.ctx(world.officer_a), world.deps, session=result.session,
                               code=wrong_code(world, secret, T0))
    assert info.value.code == "auth.bad_totp"
    assert world.state.sessions[result.session.id].totp_pending is True
    event = only_new_event(world, events)
    assert (event.action, event.after) == (Action.LOGIN_REFUSED, {"reason": "bad_totp"})


def test_completing_the_second_factor_is_recorded(world: World) -> None:
    # BUG (rule 1): clearing totp_pending is a change with no event, so the trail cannot tell a
    # login that passed the second factor from one that stopped at the password.
    _, secret = totp_user(world)
    result = login(world)
    events = len(world.events())
    auth.verify_totp_login(world.uow(), world.ctx(world.officer_a), world.deps, session=result.session,
                           code=FakeTotp().code_at(secret, T0))
    event = only_new_event(world, events)
    assert event.subject_id == str(world.officer_a.id)


def test_one_time_codes_cannot_be_guessed_without_limit(world: World) -> None:
    # BUG: verify_totp_login never consults the throttle, so whoever knows the password can
    # try all 10**6 codes on one pending session (the password step is throttled, this is not).
    _, secret = totp_user(world)
    result = login(world)
    for i in range(1, 6):  # after the password step at T0, which reset the failure count
        at = T0 + i * timedelta(seconds=1)
        with pytest.raises(Unauthenticated):
            auth.verify_totp_login(world.uow(), world.ctx(world.officer_a, now=at), world.deps,
                                   session=result.session, code=wrong_code(world, secret, at))
    at = T0 + timedelta(seconds=10)
    with pytest.raises(TooManyAttempts):
        auth.verify_totp_login(world.uow(), world.ctx(world.officer_a, now=at), world.deps,
                               session=result.session, code=FakeTotp().code_at(secret, at))


def test_a_new_password_login_does_not_reset_the_count_of_wrong_codes(world: World) -> None:
    # BUG (same cause): the password step records a success, which resets the failure count,
    # so logging in again buys another round of guesses at the one-time code.
    _, secret = totp_user(world)
    at = T0
    for wrong_codes in (2, 2, 1):  # five wrong codes over three password logins
        result = login(world, now=at)
        for _ in range(wrong_codes):
            at += timedelta(seconds=1)
            with pytest.raises(Unauthenticated):
                auth.verify_totp_login(world.uow(), world.ctx(world.officer_a, now=at), world.deps,
                                       session=result.session, code=wrong_code(world, secret, at))
        at += timedelta(seconds=1)
    with pytest.raises(TooManyAttempts):
        login(world, now=at)


def test_enable_totp_needs_a_valid_secret_and_a_matching_code(world: World) -> None:
    secret = world.deps.totp.new_secret()
    ctx = world.ctx(world.officer_a)
    refused(world, ValidationFailed, lambda: auth.enable_totp(world.uow(), ctx, world.deps, secret="SHORT",
                                                              code="123456"))
    refused(world, ValidationFailed, lambda: auth.enable_totp(world.uow(), ctx, world.deps, secret=secret,
                                                              code=wrong_code(world, secret, T0)))
    auth.enable_totp(world.uow(), ctx, world.deps, secret=secret, code=FakeTotp().code_at(secret, T0))
    stored = world.user(world.officer_a.id)
    assert (stored.totp_enabled, stored.totp_secret) == (True, secret)
    event = only_new_event(world, 0)
    assert (event.action, event.before, event.after) == (Action.USER_TOTP_ENABLE, None, None)
    assert secret not in repr(event)


def test_disable_totp(world: World) -> None:
    totp_user(world)
    auth.disable_totp(world.uow(), world.ctx(world.officer_a))
    stored = world.user(world.officer_a.id)
    assert (stored.totp_enabled, stored.totp_secret) == (False, None)
    assert only_new_event(world, 0).action == Action.USER_TOTP_DISABLE


def test_totp_required_by_an_admin_cannot_be_disabled(world: World) -> None:
    totp_user(world)
    users.update_user(world.uow(), world.ctx(world.admin), world.deps, world.officer_a.id, totp_required=True)
    error = refused(world, PermissionDenied, lambda: auth.disable_totp(world.uow(), world.ctx(world.officer_a)))
    assert error.code == "auth.totp_required"


# ---- API tokens ------------------------------------------------------------------------------


def test_archivist_issues_a_token_shown_once_and_stored_as_a_hash(world: World) -> None:
    token, raw = auth.create_token(world.uow(), world.ctx(world.archivist), owner_id=world.officer_a.id,
                                   name="采集站 1号", days=30)
    assert raw.startswith("lt_") and len(raw) > 40
    stored = world.state.tokens[token.id]
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.prefix == raw[:8]
    assert stored.expires_at == T0 + timedelta(days=30)
    event = only_new_event(world, 0)
    assert (event.action, event.subject_type, event.subject_name) == (
        Action.TOKEN_CREATE, "token", "采集站 1号（officer.a）")
    assert event.after is not None and "token_hash" not in event.after
    assert raw not in repr(event) and stored.token_hash not in repr(event)
    assert auth.token_user(world.uow(), raw, T0 + MINUTE).id == world.officer_a.id
    assert world.state.tokens[token.id].last_used_at == T0 + MINUTE


@pytest.mark.parametrize("who", ["officer_a", "unit_head_a", "leader", "other_admin"])
def test_only_token_managers_of_the_bureau_issue_tokens(world: World, who: str) -> None:
    exc = NotFound if who == "other_admin" else PermissionDenied
    refused(world, exc, lambda: auth.create_token(
        world.uow(), world.ctx(getattr(world, who)), owner_id=world.officer_a.id, name="站点"))


@pytest.mark.parametrize(("name", "days"), [("", 30), ("站点", 0), ("站点", 3651), ("站" * 81, 30)])
def test_invalid_token_request_writes_nothing(world: World, name: str, days: int) -> None:
    refused(world, ValidationFailed, lambda: auth.create_token(
        world.uow(), world.ctx(world.admin), owner_id=world.officer_a.id, name=name, days=days))


def test_no_token_for_an_inactive_person(world: World) -> None:
    refused(world, NotFound, lambda: auth.create_token(
        world.uow(), world.ctx(world.admin), owner_id=world.former_officer.id, name="站点"))


def test_token_stops_working_when_it_expires(world: World) -> None:
    _, raw = auth.create_token(world.uow(), world.ctx(world.admin), owner_id=world.officer_a.id, name="站点",
                               days=1)
    auth.token_user(world.uow(), raw, T0 + timedelta(days=1) - timedelta(seconds=1))
    with pytest.raises(Unauthenticated) as info:
        auth.token_user(world.uow(), raw, T0 + timedelta(days=1))
    assert info.value.code == "auth.bad_token"


def test_token_without_expiry(world: World) -> None:
    token, raw = auth.create_token(world.uow(), world.ctx(world.admin), owner_id=world.officer_a.id,
                                   name="站点", days=None)
    assert token.expires_at is None
    assert auth.token_user(world.uow(), raw, T0 + timedelta(days=5000)).id == world.officer_a.id


def test_revoking_records_once_and_stops_the_token(world: World) -> None:
    token, raw = auth.create_token(world.uow(), world.ctx(world.admin), owner_id=world.officer_a.id, name="站点")
    later = world.ctx(world.archivist, now=T0 + timedelta(hours=1))
    auth.revoke_token(world.uow(), later, token.id)
    auth.revoke_token(world.uow(), later, token.id)  # a second revoke changes nothing
    assert world.state.tokens[token.id].revoked_at == T0 + timedelta(hours=1)
    event = only_new_event(world, 1)
    assert event.action == Action.TOKEN_REVOKE
    assert event.before is not None and event.before["revoked_at"] is None
    with pytest.raises(Unauthenticated):
        auth.token_user(world.uow(), raw, T0 + timedelta(hours=2))


def test_officer_cannot_revoke_tokens(world: World) -> None:
    token, _ = auth.create_token(world.uow(), world.ctx(world.admin), owner_id=world.officer_a.id, name="站点")
    refused(world, PermissionDenied, lambda: auth.revoke_token(world.uow(), world.ctx(world.officer_a), token.id))


def test_token_of_a_deactivated_person_stops_working(world: World) -> None:
    _, raw = auth.create_token(world.uow(), world.ctx(world.admin), owner_id=world.officer_a.id, name="站点")
    users.update_user(world.uow(), world.ctx(world.admin), world.deps, world.officer_a.id, active=False)
    with pytest.raises(Unauthenticated) as info:
        auth.token_user(world.uow(), raw, T0 + MINUTE)
    assert info.value.code == "auth.inactive"


def test_unknown_token_is_refused(world: World) -> None:
    with pytest.raises(Unauthenticated):
        auth.token_user(world.uow(), "lt_forged", T0)


def test_list_tokens_is_for_token_managers(world: World) -> None:
    token, _ = auth.create_token(world.uow(), world.ctx(world.admin), owner_id=world.officer_a.id, name="站点")
    assert [t.id for t in auth.list_tokens(world.uow(), world.ctx(world.archivist), world.officer_a.id)] == [token.id]
    with pytest.raises(PermissionDenied):
        auth.list_tokens(world.uow(), world.ctx(world.officer_a), world.officer_a.id)
