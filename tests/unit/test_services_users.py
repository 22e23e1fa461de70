"""People use cases against the fakes: create, read, edit, deactivate, passwords (Art. 5)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from lawtrail.domain.access import Role
from lawtrail.domain.events import Action
from lawtrail.domain.org import Certificate
from lawtrail.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from lawtrail.services import users
from tests.unit.factories import PASSWORD, T0, World, make_session, only_new_event, refused

LATER = T0 + timedelta(minutes=5)
NEW_PASSWORD = "Xin-mima-2027!"


def create_args(**over: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "username": "Wang.Wu", "display_name": "王五", "roles": ["officer"], "password": NEW_PASSWORD,
        "cert_number": "粤4400123456", "cert_valid_from": date(2026, 1, 1), "cert_valid_to": date(2028, 12, 31),
        "phone": "020-12345678",
    }
    args.update(over)
    return args


# ---- create ------------------------------------------------------------------------------


def test_admin_creates_a_person_with_one_event_and_no_secrets_in_it(world: World) -> None:
    user = users.create_user(world.uow(), world.ctx(world.admin), world.deps, unit_id=world.unit_b.id,
                             **create_args())
    stored = world.user(user.id)
    assert stored == user
    assert (stored.username, stored.unit_id, stored.bureau_id) == ("wang.wu", world.unit_b.id, world.bureau.id)
    assert stored.certificate == Certificate("粤4400123456", date(2026, 1, 1), date(2028, 12, 31))
    assert stored.password_hash != NEW_PASSWORD
    assert world.deps.hasher.verify(stored.password_hash, NEW_PASSWORD)
    assert not world.deps.hasher.verify(stored.password_hash, PASSWORD)
    event = only_new_event(world, 0)
    assert event.action == Action.USER_CREATE
    assert (event.subject_type, event.subject_id, event.subject_name) == ("user", str(user.id), "王五（wang.wu）")
    assert event.before is None and event.after is not None
    assert "password_hash" not in event.after and "totp_secret" not in event.after
    assert event.after["roles"] == ["officer"]
    assert event.after["certificate"] == {"number": "粤4400123456", "valid_from": "2026-01-01",
                                          "valid_to": "2028-12-31"}
    assert NEW_PASSWORD not in repr(event)


@pytest.mark.parametrize("who", ["officer_a", "unit_head_a", "leader", "archivist", "supervisor", "other_admin"])
def test_only_an_admin_of_the_bureau_creates_people(world: World, who: str) -> None:
    refused(world, PermissionDenied, lambda: users.create_user(
        world.uow(), world.ctx(getattr(world, who)), world.deps, unit_id=world.unit_a.id, **create_args()))


@pytest.mark.parametrize(("field", "over"), [
    ("username", {"username": "wu"}),
    ("display_name", {"display_name": ""}),
    ("display_name", {"display_name": "王" * 51}),
    ("roles", {"roles": []}),
    ("roles", {"roles": ["root"]}),
    ("cert_number", {"cert_number": "粤123"}),
    ("cert_valid_to", {"cert_valid_from": date(2027, 1, 1), "cert_valid_to": date(2026, 1, 1)}),
    ("phone", {"phone": "1" * 31}),
    ("password", {"password": "short1!"}),
    ("password", {"password": "wang.wu"}),
    ("password", {"password": "aaaaaaaaaaaaaa"}),
    ("password", {"password": "ab12" * 65}),
])
def test_invalid_person_is_refused_and_nothing_written(world: World, field: str, over: dict[str, Any]) -> None:
    error = refused(world, ValidationFailed, lambda: users.create_user(
        world.uow(), world.ctx(world.admin), world.deps, unit_id=world.unit_a.id, **create_args(**over)))
    assert field in [p.field for p in error.problems]


def test_password_equal_to_the_username_is_too_weak(world: World) -> None:
    error = refused(world, ValidationFailed, lambda: users.create_user(
        world.uow(), world.ctx(world.admin), world.deps, unit_id=world.unit_a.id,
        **create_args(username="zhangsan.01", password="Zhangsan.01")))
    assert [p.message_en for p in error.problems] == ["password is too weak"]


def test_username_is_unique_whatever_its_case(world: World) -> None:
    error = refused(world, Conflict, lambda: users.create_user(
        world.uow(), world.ctx(world.admin), world.deps, unit_id=world.unit_a.id,
        **create_args(username="Officer.A")))
    assert error.code == "user.username_taken"


@pytest.mark.parametrize("unit", ["unit_closed", "missing"])
def test_person_in_an_inactive_or_unknown_unit_is_refused(world: World, unit: str) -> None:
    unit_id = world.unit_closed.id if unit == "unit_closed" else uuid.uuid4()
    refused(world, NotFound, lambda: users.create_user(
        world.uow(), world.ctx(world.admin), world.deps, unit_id=unit_id, **create_args()))


# ---- read ---------------------------------------------------------------------------------


def test_officer_sees_colleagues_of_the_own_unit_only(world: World) -> None:
    ctx = world.ctx(world.officer_a)
    assert users.get_user(world.uow(), ctx, world.unit_head_a.id) == world.unit_head_a
    with pytest.raises(PermissionDenied):
        users.get_user(world.uow(), ctx, world.officer_b.id)
    listed = {u.username for u in users.list_users(world.uow(), ctx)}
    assert listed == {"admin", "officer.a", "head.a", "former", "nobody"}


def test_bureau_wide_role_sees_everyone_of_the_bureau_and_nobody_else(world: World) -> None:
    listed = users.list_users(world.uow(), world.ctx(world.leader))
    assert len(listed) == 10
    assert world.other_admin.id not in {u.id for u in listed}
    assert [u.username for u in listed] == sorted(u.username for u in listed)


def test_a_person_of_another_bureau_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        users.get_user(world.uow(), world.ctx(world.admin), world.other_admin.id)


def test_a_person_without_roles_sees_only_themself(world: World) -> None:
    assert users.get_user(world.uow(), world.ctx(world.nobody), world.nobody.id) == world.nobody
    with pytest.raises(PermissionDenied):
        users.get_user(world.uow(), world.ctx(world.nobody), world.officer_a.id)
    with pytest.raises(PermissionDenied):
        users.list_users(world.uow(), world.ctx(world.nobody))


# ---- update -------------------------------------------------------------------------------


def test_edit_records_before_and_after(world: World) -> None:
    after = users.update_user(world.uow(), world.ctx(world.admin, now=LATER), world.deps, world.officer_a.id,
                              display_name="李四", roles=["officer", "unit_head"], unit_id=world.unit_b.id,
                              certificate=(None, None, None))
    assert world.user(after.id) == after
    assert (after.display_name, after.unit_id, after.certificate, after.updated_at) == (
        "李四", world.unit_b.id, None, LATER)
    event = only_new_event(world, 0)
    assert event.action == Action.USER_UPDATE
    assert event.before is not None and event.after is not None
    assert (event.before["display_name"], event.after["display_name"]) == ("officer.a同志", "李四")
    assert (event.before["roles"], event.after["roles"]) == (["officer"], ["officer", "unit_head"])
    assert (event.before["unit_id"], event.after["unit_id"]) == (str(world.unit_a.id), str(world.unit_b.id))
    assert event.before["certificate"] is not None and event.after["certificate"] is None
    assert "password_hash" not in event.before


def test_deactivation_is_its_own_action_and_ends_the_sessions(world: World) -> None:
    live, done = make_session(world.officer_a), make_session(world.officer_a, ended_at=T0)
    other = make_session(world.officer_b)
    world.put(live, done, other)
    users.update_user(world.uow(), world.ctx(world.admin, now=LATER), world.deps, world.officer_a.id, active=False)
    assert world.user(world.officer_a.id).active is False
    assert world.state.sessions[live.id].ended_at == LATER
    assert world.state.sessions[done.id].ended_at == T0
    assert world.state.sessions[other.id].ended_at is None
    assert only_new_event(world, 0).action == Action.USER_DEACTIVATE


def test_reactivation_is_its_own_action(world: World) -> None:
    users.update_user(world.uow(), world.ctx(world.admin), world.deps, world.former_officer.id, active=True)
    assert only_new_event(world, 0).action == Action.USER_REACTIVATE


def test_an_edit_that_changes_nothing_writes_nothing(world: World) -> None:
    before = world.snapshot()
    result = users.update_user(world.uow(), world.ctx(world.admin, now=LATER), world.deps, world.officer_a.id,
                               display_name="officer.a同志", roles=["officer"], unit_id=world.unit_a.id)
    assert result == world.officer_a
    assert world.state == before


@pytest.mark.parametrize("change", [{"active": False}, {"roles": ["officer"]}])
def test_admin_cannot_lock_themself_out(world: World, change: dict[str, Any]) -> None:
    error = refused(world, PermissionDenied, lambda: users.update_user(
        world.uow(), world.ctx(world.admin), world.deps, world.admin.id, **change))
    assert error.code == "user.self_lockout"


def test_moving_a_person_to_an_inactive_unit_is_refused(world: World) -> None:
    refused(world, NotFound, lambda: users.update_user(
        world.uow(), world.ctx(world.admin), world.deps, world.officer_a.id, unit_id=world.unit_closed.id))


def test_moving_a_person_to_another_bureaus_unit_is_refused(world: World) -> None:
    refused(world, NotFound, lambda: users.update_user(
        world.uow(), world.ctx(world.admin), world.deps, world.officer_a.id, unit_id=world.other_unit.id))


def test_only_an_admin_edits_people(world: World) -> None:
    refused(world, PermissionDenied, lambda: users.update_user(
        world.uow(), world.ctx(world.unit_head_a), world.deps, world.officer_a.id, display_name="改名"))


def test_admin_of_another_bureau_does_not_find_the_person(world: World) -> None:
    refused(world, NotFound, lambda: users.update_user(
        world.uow(), world.ctx(world.other_admin), world.deps, world.officer_a.id, active=False))


def test_invalid_edit_writes_nothing(world: World) -> None:
    refused(world, ValidationFailed, lambda: users.update_user(
        world.uow(), world.ctx(world.admin), world.deps, world.officer_a.id,
        certificate=("粤12345678", date(2027, 1, 1), date(2026, 1, 1))))


# ---- passwords ----------------------------------------------------------------------------


def test_admin_resets_a_password_ending_the_sessions(world: World) -> None:
    session = make_session(world.officer_a)
    world.put(session)
    users.reset_password(world.uow(), world.ctx(world.admin, now=LATER), world.deps, world.officer_a.id,
                         password=NEW_PASSWORD)
    stored = world.user(world.officer_a.id)
    assert world.deps.hasher.verify(stored.password_hash, NEW_PASSWORD)
    assert not world.deps.hasher.verify(stored.password_hash, PASSWORD)
    assert world.state.sessions[session.id].ended_at == LATER
    event = only_new_event(world, 0)
    assert (event.action, event.subject_id, event.before, event.after) == (
        Action.USER_PASSWORD_RESET, str(world.officer_a.id), None, None)


def test_weak_reset_password_writes_nothing(world: World) -> None:
    refused(world, ValidationFailed, lambda: users.reset_password(
        world.uow(), world.ctx(world.admin), world.deps, world.officer_a.id, password="123"))


def test_only_an_admin_resets_passwords(world: World) -> None:
    refused(world, PermissionDenied, lambda: users.reset_password(
        world.uow(), world.ctx(world.archivist), world.deps, world.officer_a.id, password=NEW_PASSWORD))


def test_changing_the_own_password_needs_the_current_one(world: World) -> None:
    error = refused(world, ValidationFailed, lambda: users.change_own_password(
        world.uow(), world.ctx(world.officer_a), world.deps, current="wrong-password", new=NEW_PASSWORD))
    assert [p.field for p in error.problems] == ["current"]


def test_changing_the_own_password(world: World) -> None:
    users.change_own_password(world.uow(), world.ctx(world.officer_a), world.deps, current=PASSWORD,
                              new=NEW_PASSWORD)
    assert world.deps.hasher.verify(world.user(world.officer_a.id).password_hash, NEW_PASSWORD)
    event = only_new_event(world, 0)
    assert (event.action, event.actor_id, event.subject_id) == (
        Action.USER_PASSWORD_CHANGE, world.officer_a.id, str(world.officer_a.id))
    assert event.after is None


def test_weak_new_own_password_writes_nothing(world: World) -> None:
    refused(world, ValidationFailed, lambda: users.change_own_password(
        world.uow(), world.ctx(world.officer_a), world.deps, current=PASSWORD, new="officer.a"))


def test_actor_for_carries_the_persons_scope(world: World) -> None:
    actor = users.actor_for(world.unit_head_a)
    assert (actor.user_id, actor.bureau_id, actor.unit_id) == (
        world.unit_head_a.id, world.bureau.id, world.unit_a.id)
    assert actor.roles == {Role.UNIT_HEAD, Role.OFFICER}
    assert not actor.is_system


def test_changing_the_own_password_ends_the_other_sessions_only(world: World) -> None:
    here, elsewhere = make_session(world.officer_a), make_session(world.officer_a)
    world.state.sessions[here.id] = here
    world.state.sessions[elsewhere.id] = elsewhere
    users.change_own_password(world.uow(), world.ctx(world.officer_a), world.deps, current=PASSWORD,
                              new=NEW_PASSWORD, keep_session=here.id)
    assert world.state.sessions[here.id].ended_at is None
    assert world.state.sessions[elsewhere.id].ended_at is not None
