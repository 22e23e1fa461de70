"""Use cases for people: create, edit, deactivate, passwords (Art. 5: certificates)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from uuid import UUID

from lawtrail.domain.access import Actor, Permission, Role
from lawtrail.domain.events import Action
from lawtrail.domain.org import (
    Problems,
    User,
    check_certificate,
    check_roles,
    check_username,
    clean_text,
)
from lawtrail.errors import Conflict, NotFound, PermissionDenied
from lawtrail.services.context import Ctx, Deps
from lawtrail.services.guard import require, visible_units
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record


def actor_for(user: User) -> Actor:
    """The Actor a logged-in user acts as."""
    return Actor(user_id=user.id, name=user.display_name, bureau_id=user.bureau_id,
                 unit_id=user.unit_id, roles=user.roles)


def check_password(password: str, username: str, deps: Deps, problems: Problems,
                   field_name: str = "password") -> None:
    """Minimum length from the settings; not the username; not all one character."""
    minimum = deps.policy.password_min_length
    if len(password) < minimum:
        problems.add(field_name, f"密码至少{minimum}位", f"password must be at least {minimum} characters")
    elif password.lower() == username.lower() or len(set(password)) < 4:
        problems.add(field_name, "密码过于简单", "password is too weak")
    elif len(password) > 256:
        problems.add(field_name, "密码不能超过256位", "password must be at most 256 characters")


def create_user(uow: UnitOfWork, ctx: Ctx, deps: Deps, *, unit_id: UUID, username: str,
                display_name: str, roles: list[str], password: str,
                cert_number: str | None = None, cert_valid_from: date | None = None,
                cert_valid_to: date | None = None, phone: str = "") -> User:
    """Create a person in ``unit_id``; raise ValidationFailed, Conflict, NotFound, PermissionDenied."""
    problems = Problems()
    username = check_username(username, problems)
    display_name = clean_text(display_name, "display_name", "姓名", problems, max_len=50)
    role_set = check_roles(roles, problems)
    cert = check_certificate(cert_number, cert_valid_from, cert_valid_to,
                             deps.policy.cert_number_pattern, problems)
    phone = clean_text(phone, "phone", "电话", problems, max_len=30, required=False)
    check_password(password, username, deps, problems)
    problems.raise_if_any()
    with uow:
        unit = uow.units.get(unit_id)
        if unit is None or not unit.active:
            raise NotFound("执法机构不存在或已停用", "unknown or inactive unit", code="unit.not_found")
        require(ctx.actor, Permission.USER_MANAGE, bureau_id=unit.bureau_id, unit_id=unit.id)
        if uow.users.by_username(username):
            raise Conflict(f"用户名 {username} 已被使用", f"username {username!r} is taken",
                           code="user.username_taken")
        user = User(id=uuid.uuid4(), bureau_id=unit.bureau_id, unit_id=unit.id, username=username,
                    display_name=display_name, roles=role_set, active=True,
                    password_hash=deps.hasher.hash(password), created_at=ctx.now, updated_at=ctx.now,
                    certificate=cert, phone=phone)
        uow.users.add(user)
        record(uow, ctx, Action.USER_CREATE, subject_type="user", subject_id=user.id,
               subject_name=f"{display_name}（{username}）", after=user)
        uow.commit()
    return user


def get_user(uow: UnitOfWork, ctx: Ctx, user_id: UUID) -> User:
    """Return the user; raise NotFound when absent or not visible to the actor."""
    with uow:
        user = uow.users.get(user_id)
    if user is None or (ctx.actor.bureau_id and user.bureau_id != ctx.actor.bureau_id):
        raise NotFound("用户不存在", "no such user", code="user.not_found")
    if user.id != ctx.actor.user_id:
        require(ctx.actor, Permission.USER_VIEW, bureau_id=user.bureau_id, unit_id=user.unit_id)
    return user


def list_users(uow: UnitOfWork, ctx: Ctx) -> list[User]:
    """Users the actor may see: their unit's, or the whole bureau's for bureau-wide roles."""
    scope = visible_units(ctx.actor, Permission.USER_VIEW)
    if ctx.actor.bureau_id is None:
        return []
    with uow:
        return uow.users.list(ctx.actor.bureau_id, scope)


def update_user(uow: UnitOfWork, ctx: Ctx, deps: Deps, user_id: UUID, *,
                display_name: str | None = None, unit_id: UUID | None = None,
                roles: list[str] | None = None, phone: str | None = None,
                certificate: tuple[str | None, date | None, date | None] | None = None,
                totp_required: bool | None = None, active: bool | None = None) -> User:
    """Edit a person; only the given fields change. Deactivation ends their sessions."""
    problems = Problems()
    changes: dict[str, object] = {}
    if display_name is not None:
        changes["display_name"] = clean_text(display_name, "display_name", "姓名", problems, max_len=50)
    if roles is not None:
        changes["roles"] = check_roles(roles, problems)
    if phone is not None:
        changes["phone"] = clean_text(phone, "phone", "电话", problems, max_len=30, required=False)
    if certificate is not None:
        changes["certificate"] = check_certificate(*certificate, deps.policy.cert_number_pattern, problems)
    for key, value in (("totp_required", totp_required), ("active", active)):
        if value is not None:
            changes[key] = value
    problems.raise_if_any()
    with uow:
        before = uow.users.get(user_id)
        if before is None or (ctx.actor.bureau_id and before.bureau_id != ctx.actor.bureau_id):
            raise NotFound("用户不存在", "no such user", code="user.not_found")
        require(ctx.actor, Permission.USER_MANAGE, bureau_id=before.bureau_id, unit_id=before.unit_id)
        if unit_id is not None and unit_id != before.unit_id:
            unit = uow.units.get(unit_id)
            if unit is None or not unit.active or unit.bureau_id != before.bureau_id:
                raise NotFound("执法机构不存在或已停用", "unknown or inactive unit", code="unit.not_found")
            changes["unit_id"] = unit_id
        if before.id == ctx.actor.user_id and (changes.get("active") is False or (
                "roles" in changes and Role.ADMIN in before.roles
                and Role.ADMIN not in changes["roles"])):  # type: ignore[operator]
            raise PermissionDenied("不能停用自己或撤销自己的管理员角色",
                                   "you cannot deactivate yourself or drop your own admin role",
                                   code="user.self_lockout")
        after = replace(before, **changes, updated_at=ctx.now)  # type: ignore[arg-type]
        if after == replace(before, updated_at=ctx.now):
            return before
        _keep_an_admin(uow, before, after)
        uow.users.update(after)
        if before.active and not after.active:
            uow.sessions.end_all_for_user(after.id, ctx.now)
        record(uow, ctx, _user_action(before, after), subject_type="user", subject_id=after.id,
               subject_name=f"{after.display_name}（{after.username}）", before=before, after=after)
        uow.commit()
    return after


def _is_admin(user: User) -> bool:
    return user.active and Role.ADMIN in user.roles


def _keep_an_admin(uow: UnitOfWork, before: User, after: User) -> None:
    """Refuse a change that would leave the bureau without an active administrator."""
    if not _is_admin(before) or _is_admin(after):
        return
    others = [u for u in uow.users.list(before.bureau_id, None) if u.id != before.id and _is_admin(u)]
    if not others:
        raise PermissionDenied("这是本局最后一名在用的系统管理员，不能停用或撤销其管理员角色",
                               "this is the bureau's last active administrator", code="user.last_admin")


def _user_action(before: User, after: User) -> Action:
    if before.active and not after.active:
        return Action.USER_DEACTIVATE
    if not before.active and after.active:
        return Action.USER_REACTIVATE
    return Action.USER_UPDATE


def reset_password(uow: UnitOfWork, ctx: Ctx, deps: Deps, user_id: UUID, *, password: str) -> None:
    """An administrator sets a new password; the user's sessions end."""
    with uow:
        user = uow.users.get(user_id)
        if user is None or (ctx.actor.bureau_id and user.bureau_id != ctx.actor.bureau_id):
            raise NotFound("用户不存在", "no such user", code="user.not_found")
        require(ctx.actor, Permission.USER_MANAGE, bureau_id=user.bureau_id, unit_id=user.unit_id)
        problems = Problems()
        check_password(password, user.username, deps, problems)
        problems.raise_if_any()
        uow.users.update(replace(user, password_hash=deps.hasher.hash(password), updated_at=ctx.now))
        uow.sessions.end_all_for_user(user.id, ctx.now)
        record(uow, ctx, Action.USER_PASSWORD_RESET, subject_type="user", subject_id=user.id,
               subject_name=f"{user.display_name}（{user.username}）")
        uow.commit()


def change_own_password(uow: UnitOfWork, ctx: Ctx, deps: Deps, *, current: str, new: str,
                        keep_session: UUID | None = None) -> None:
    """The actor changes their own password after proving the current one; every other
    session of theirs ends (``keep_session``, the one they are using, stays)."""
    require(ctx.actor, Permission.SELF_MANAGE)
    with uow:
        user = uow.users.get(ctx.actor.user_id) if ctx.actor.user_id else None
        if user is None:
            raise NotFound("用户不存在", "no such user", code="user.not_found")
        problems = Problems()
        if not deps.hasher.verify(user.password_hash, current):
            problems.add("current", "当前密码不正确", "current password is wrong")
        check_password(new, user.username, deps, problems, field_name="new")
        problems.raise_if_any()
        uow.users.update(replace(user, password_hash=deps.hasher.hash(new), updated_at=ctx.now))
        uow.sessions.end_all_for_user(user.id, ctx.now, keep=keep_session)
        record(uow, ctx, Action.USER_PASSWORD_CHANGE, subject_type="user", subject_id=user.id,
               subject_name=f"{user.display_name}（{user.username}）")
        uow.commit()
