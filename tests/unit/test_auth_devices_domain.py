"""The pure parts of auth (throttle, session and token lifetimes) and devices (numbers, holders)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lawtrail.domain.auth import ThrottlePolicy
from lawtrail.domain.devices import DeviceLogEntry, LogKind, check_device_number, holder_at
from lawtrail.domain.events import format_time
from lawtrail.domain.org import Problems, User
from tests.unit.factories import T0, make_bureau, make_event, make_session, make_token, make_unit, make_user

WINDOW = timedelta(minutes=15)
POLICY = ThrottlePolicy(max_failures=3, window=WINDOW)
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)


# ---- throttle ----------------------------------------------------------------------------


def test_fewer_failures_than_the_limit_do_not_lock() -> None:
    assert POLICY.locked([T0, T0 + timedelta(minutes=1)], T0 + timedelta(minutes=2)) is None


def test_reaching_the_limit_locks_for_a_while() -> None:
    failures = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    until = POLICY.locked(failures, T0 + timedelta(minutes=3))
    assert until is not None
    assert T0 + timedelta(minutes=3) < until <= T0 + timedelta(minutes=2) + WINDOW


def test_the_lock_lifts_exactly_when_it_says() -> None:
    # The lock lasts one window after the latest failure, as the login message promises.
    failures = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    until = POLICY.locked(failures, T0 + timedelta(minutes=3))
    assert until == T0 + timedelta(minutes=2) + WINDOW
    assert POLICY.locked(failures, until - timedelta(seconds=1)) == until
    assert POLICY.locked(failures, until) is None


def test_failures_spread_wider_than_the_window_do_not_lock() -> None:
    failures = [T0, T0 + timedelta(minutes=10), T0 + WINDOW + timedelta(minutes=1)]
    assert POLICY.locked(failures, T0 + WINDOW + timedelta(minutes=2)) is None


def test_a_failure_inside_the_lock_extends_it() -> None:
    failures = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2), T0 + timedelta(minutes=14)]
    assert POLICY.locked(failures, T0 + timedelta(minutes=20)) == T0 + timedelta(minutes=14) + WINDOW


# ---- sessions and tokens -------------------------------------------------------------


@pytest.fixture
def user() -> User:
    return make_user(make_unit(make_bureau()))


def test_session_idle_timeout_edge(user: User) -> None:
    session = make_session(user, created_at=T0, last_seen_at=T0)
    assert not session.expired(T0 + IDLE, IDLE, ABSOLUTE)
    assert session.expired(T0 + IDLE + timedelta(microseconds=1), IDLE, ABSOLUTE)


def test_session_absolute_timeout_despite_activity(user: User) -> None:
    session = make_session(user, created_at=T0, last_seen_at=T0 + ABSOLUTE - timedelta(minutes=1))
    assert not session.expired(T0 + ABSOLUTE, IDLE, ABSOLUTE)
    assert session.expired(T0 + ABSOLUTE + timedelta(microseconds=1), IDLE, ABSOLUTE)


def test_ended_session_is_expired_at_once(user: User) -> None:
    assert make_session(user, ended_at=T0).expired(T0, IDLE, ABSOLUTE)


def test_token_is_usable_until_just_before_it_expires(user: User) -> None:
    token = make_token(user, expires_at=T0 + timedelta(days=1))
    assert token.usable(T0 + timedelta(days=1) - timedelta(microseconds=1))
    assert not token.usable(T0 + timedelta(days=1))


def test_token_without_expiry_lasts_until_revoked(user: User) -> None:
    assert make_token(user, expires_at=None).usable(T0 + timedelta(days=36500))
    assert not make_token(user, expires_at=None, revoked_at=T0).usable(T0)


# ---- devices ------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["ZF-01", "A1", "x" * 40, "DSJ.2026_001"])
def test_wellformed_device_numbers(number: str) -> None:
    problems = Problems()
    assert check_device_number(f" {number} ", problems) == number
    assert problems.items == []


@pytest.mark.parametrize("number", ["", "A", "x" * 41, "-A01", "记录仪1", "ZF 01"])
def test_malformed_device_numbers(number: str) -> None:
    problems = Problems()
    check_device_number(number, problems)
    assert [p.field for p in problems.items] == ["number"]


def _entry(at: datetime, kind: LogKind, holder: uuid.UUID | None = None) -> DeviceLogEntry:
    return DeviceLogEntry(id=uuid.uuid4(), device_id=uuid.uuid4(), at=at, kind=kind, note="",
                          actor_id=None, actor_name="档案员", holder_id=holder)


def test_holder_at_follows_the_holder_entries_in_time_order() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    log = [
        _entry(T0 + timedelta(hours=3), LogKind.HOLDER, None),  # returned
        _entry(T0 + timedelta(hours=1), LogKind.HOLDER, a),
        _entry(T0 + timedelta(hours=2), LogKind.HOLDER, b),
        _entry(T0 + timedelta(hours=2, minutes=30), LogKind.REPAIR),
    ]
    assert holder_at(log, T0) is None
    assert holder_at(log, T0 + timedelta(hours=1)) == a  # at the exact time of the hand-over
    assert holder_at(log, T0 + timedelta(hours=2, minutes=59)) == b
    assert holder_at(log, T0 + timedelta(hours=3)) is None


# ---- event times ------------------------------------------------------------------------


def test_event_time_is_utc_with_microseconds_and_z() -> None:
    beijing = timezone(timedelta(hours=8))
    assert format_time(datetime(2026, 11, 26, 16, 30, 0, 5, tzinfo=beijing)) == "2026-11-26T08:30:00.000005Z"
    assert format_time(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000000Z"
    # four-digit years, as stored (glibc's strftime %Y would write "999")
    assert format_time(datetime(999, 1, 1, tzinfo=UTC)) == "0999-01-01T00:00:00.000000Z"


def test_naive_event_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        make_event(occurred_at=datetime(2026, 11, 26, 8, 30)).to_leaf_dict()


def test_leaf_dict_holds_names_and_the_seq() -> None:
    event = make_event(seq=7, occurred_at=T0.astimezone(UTC))
    leaf = event.to_leaf_dict()
    assert leaf["v"] == 1
    assert leaf["seq"] == 7
    assert leaf["actor"]["name"] == "张三"
    assert leaf["subject"] == {"type": "unit", "id": event.subject_id, "name": "执法稽查科"}
