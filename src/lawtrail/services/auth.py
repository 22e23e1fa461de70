"""Login, sessions, API tokens and the TOTP second factor."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.auth import ApiToken, Session
from lawtrail.domain.events import Action
from lawtrail.domain.org import Problems, User, clean_text
from lawtrail.errors import NotFound, PermissionDenied, TooManyAttempts, Unauthenticated, invalid
from lawtrail.services.context import Ctx, Deps
from lawtrail.services.guard import require
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record

TOKEN_PREFIX = "lt_"


def digest(secret: str) -> str:
    """SHA-256 hex of a random bearer secret (sessions, tokens): what the database keeps."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _bad_login() -> Unauthenticated:
    return Unauthenticated("用户名或密码错误", "wrong username or password", code="auth.bad_credentials")


@dataclass(frozen=True)
class LoginResult:
    session: Session
    cookie_token: str
    user: User

    @property
    def needs_totp(self) -> bool:
        return self.session.totp_pending


def login(uow: UnitOfWork, ctx: Ctx, deps: Deps, *, username: str, password: str, ip: str) -> LoginResult:
    """Check the password and open a session (TOTP-pending when the user has TOTP on).

    Raise TooManyAttempts when throttled and Unauthenticated on a wrong password, an unknown
    or deactivated user; each refusal is recorded as an event.
    """
    name = (username or "").strip().lower()[:64]
    with uow:
        policy = deps.policy.throttle
        failures = uow.login_attempts.failures_since(name, ctx.now - 2 * policy.window)
        if (until := policy.locked(failures, ctx.now)) is not None:
            _refuse(uow, ctx, name, ip, "throttled")
            minutes = max(1, int((until - ctx.now).total_seconds() // 60) + 1)
            raise TooManyAttempts(f"登录失败次数过多，请{minutes}分钟后再试",
                                  f"too many failed logins; try again in {minutes} min",
                                  code="auth.throttled")
        user = uow.users.by_username(name)
        # An unknown name costs the same hash verification, so timing does not tell it apart.
        ok = deps.hasher.verify(user.password_hash if user else _dummy_hash(deps), password or "")
        ok = ok and user is not None
        if user is None or not ok or not user.active:
            _refuse(uow, ctx, name, ip, "inactive" if ok else "bad_credentials")
            raise _bad_login()
        raw = secrets.token_urlsafe(32)
        session = Session(id=uuid.uuid4(), user_id=user.id, token_hash=digest(raw),
                          csrf_token=secrets.token_urlsafe(32), created_at=ctx.now,
                          last_seen_at=ctx.now, ended_at=None,
                          totp_pending=user.totp_enabled)
        uow.sessions.add(session)
        if not session.totp_pending:  # a success only once every factor is in
            uow.login_attempts.add(name, ctx.now, True, ip)
        record(uow, ctx, Action.LOGIN, subject_type="user", subject_id=user.id,
               subject_name=f"{user.display_name}（{user.username}）",
               after_dict={"ip": ip, "totp_pending": session.totp_pending})
        uow.commit()
    return LoginResult(session, raw, user)


_DUMMY: dict[int, str] = {}


def _dummy_hash(deps: Deps) -> str:
    """A hash of a random password, made once per hasher, to verify unknown names against."""
    key = id(deps.hasher)
    if key not in _DUMMY:
        _DUMMY[key] = deps.hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY[key]


def _refuse(uow: UnitOfWork, ctx: Ctx, name: str, ip: str, reason: str) -> None:
    """Record a refused login. Attempts refused by the throttle itself are recorded as events
    but do not count as failures, so the lock lifts when it said it would."""
    if reason != "throttled":
        uow.login_attempts.add(name, ctx.now, False, ip)
    record(uow, ctx, Action.LOGIN_REFUSED, subject_type="login", subject_id=name, subject_name=name,
           after_dict={"ip": ip, "reason": reason})
    uow.commit()


def session_user(uow: UnitOfWork, deps: Deps, cookie_token: str, now: datetime) -> tuple[Session, User]:
    """The live session and its user for a cookie; touch it at most once a minute.

    Raise Unauthenticated when the cookie is unknown, the session ended or timed out, or the
    user was deactivated.
    """
    with uow:
        session = uow.sessions.by_token_hash(digest(cookie_token))
        if session is None:
            raise Unauthenticated("请先登录", "please log in", code="auth.no_session")
        if session.expired(now, deps.policy.session_idle, deps.policy.session_absolute):
            raise Unauthenticated("会话已过期，请重新登录", "session expired; log in again",
                                  code="auth.session_expired")
        user = uow.users.get(session.user_id)
        if user is None or not user.active:
            raise Unauthenticated("账号已停用", "account deactivated", code="auth.inactive")
        if now - session.last_seen_at > timedelta(minutes=1):
            uow.sessions.touch(session.id, now)
            uow.commit()
    return session, user


def verify_totp_login(uow: UnitOfWork, ctx: Ctx, deps: Deps, *, session: Session, code: str) -> None:
    """Complete a TOTP-pending login; raise Unauthenticated on a wrong code (recorded)."""
    with uow:
        user = uow.users.get(session.user_id)
        name = user.username if user else "?"
        policy = deps.policy.throttle
        if policy.locked(uow.login_attempts.failures_since(name, ctx.now - 2 * policy.window), ctx.now):
            uow.sessions.end(session.id, ctx.now)
            _refuse(uow, ctx, name, "totp", "throttled")
            raise TooManyAttempts("动态验证码错误次数过多，请稍后重新登录", "too many wrong one-time codes",
                                  code="auth.throttled")
        if user is None or not user.totp_secret or not deps.totp.verify(user.totp_secret, code, ctx.now):
            uow.login_attempts.add(user.username if user else "?", ctx.now, False, "totp")
            record(uow, ctx, Action.LOGIN_REFUSED, subject_type="user", subject_id=session.user_id,
                   subject_name=user.display_name if user else "?", after_dict={"reason": "bad_totp"})
            uow.commit()
            raise Unauthenticated("动态验证码错误", "wrong one-time code", code="auth.bad_totp")
        uow.sessions.clear_totp_pending(session.id)
        uow.login_attempts.add(user.username, ctx.now, True, "totp")
        record(uow, ctx, Action.LOGIN_SECOND_FACTOR, subject_type="user", subject_id=user.id,
               subject_name=f"{user.display_name}（{user.username}）", after_dict={"totp_pending": False})
        uow.commit()


def logout(uow: UnitOfWork, ctx: Ctx, session: Session) -> None:
    with uow:
        uow.sessions.end(session.id, ctx.now)
        record(uow, ctx, Action.LOGOUT, subject_type="user", subject_id=session.user_id,
               subject_name=ctx.actor.name)
        uow.commit()


def enable_totp(uow: UnitOfWork, ctx: Ctx, deps: Deps, *, secret: str, code: str) -> None:
    """Turn on TOTP for the actor once ``code`` proves their authenticator holds ``secret``."""
    require(ctx.actor, Permission.SELF_MANAGE)
    if not re.fullmatch(r"[A-Z2-7]{16,64}", secret or ""):
        raise invalid("secret", "密钥无效", "invalid secret")
    if not deps.totp.verify(secret, code, ctx.now):
        raise invalid("code", "验证码不正确，请核对手机上的时间", "wrong code; check the phone's clock")
    _set_totp(uow, ctx, secret)


def disable_totp(uow: UnitOfWork, ctx: Ctx) -> None:
    """Turn TOTP off for the actor; refused when an administrator requires it."""
    require(ctx.actor, Permission.SELF_MANAGE)
    _set_totp(uow, ctx, None)


def _set_totp(uow: UnitOfWork, ctx: Ctx, secret: str | None) -> None:
    with uow:
        user = uow.users.get(ctx.actor.user_id) if ctx.actor.user_id else None
        if user is None:
            raise NotFound("用户不存在", "no such user", code="user.not_found")
        if secret is None and user.totp_required:
            raise PermissionDenied("管理员要求您使用动态验证码，不能关闭",
                                   "an administrator requires TOTP for you", code="auth.totp_required")
        uow.users.update(replace(user, totp_secret=secret, totp_enabled=secret is not None,
                                 updated_at=ctx.now))
        action = Action.USER_TOTP_ENABLE if secret else Action.USER_TOTP_DISABLE
        record(uow, ctx, action, subject_type="user", subject_id=user.id, subject_name=user.display_name)
        uow.commit()


def create_token(uow: UnitOfWork, ctx: Ctx, *, owner_id: UUID, name: str,
                 days: int | None = 365) -> tuple[ApiToken, str]:
    """Issue an API token for ``owner_id``; return it and the secret (shown once, never stored)."""
    problems = Problems()
    name = clean_text(name, "name", "令牌名称", problems, max_len=80)
    if days is not None and not 1 <= days <= 3650:
        problems.add("days", "有效天数须在1到3650之间", "days must be between 1 and 3650")
    problems.raise_if_any()
    with uow:
        owner = uow.users.get(owner_id)
        if owner is None or not owner.active or (ctx.actor.bureau_id and owner.bureau_id != ctx.actor.bureau_id):
            raise NotFound("用户不存在或已停用", "unknown or inactive user", code="user.not_found")
        require(ctx.actor, Permission.TOKEN_MANAGE, bureau_id=owner.bureau_id, unit_id=owner.unit_id)
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(id=uuid.uuid4(), user_id=owner.id, name=name, token_hash=digest(raw),
                         prefix=raw[:8], created_at=ctx.now,
                         expires_at=ctx.now + timedelta(days=days) if days else None, revoked_at=None)
        uow.tokens.add(token)
        record(uow, ctx, Action.TOKEN_CREATE, subject_type="token", subject_id=token.id,
               subject_name=f"{name}（{owner.username}）", after=token)
        uow.commit()
    return token, raw


def revoke_token(uow: UnitOfWork, ctx: Ctx, token_id: UUID) -> None:
    with uow:
        token = uow.tokens.get(token_id)
        owner = uow.users.get(token.user_id) if token else None
        if token is None or owner is None or (ctx.actor.bureau_id and owner.bureau_id != ctx.actor.bureau_id):
            raise NotFound("令牌不存在", "no such token", code="token.not_found")
        require(ctx.actor, Permission.TOKEN_MANAGE, bureau_id=owner.bureau_id, unit_id=owner.unit_id)
        if token.revoked_at is None:
            uow.tokens.revoke(token.id, ctx.now)
            record(uow, ctx, Action.TOKEN_REVOKE, subject_type="token", subject_id=token.id,
                   subject_name=token.name, before=token)
            uow.commit()


def list_tokens(uow: UnitOfWork, ctx: Ctx, owner_id: UUID) -> list[ApiToken]:
    with uow:
        owner = uow.users.get(owner_id)
        if owner is None or (ctx.actor.bureau_id and owner.bureau_id != ctx.actor.bureau_id):
            raise NotFound("用户不存在", "no such user", code="user.not_found")
        require(ctx.actor, Permission.TOKEN_MANAGE, bureau_id=owner.bureau_id, unit_id=owner.unit_id)
        return uow.tokens.for_user(owner.id)


def token_user(uow: UnitOfWork, raw: str, now: datetime) -> User:
    """The active user behind an API token; raise Unauthenticated otherwise."""
    with uow:
        token = uow.tokens.by_hash(digest(raw))
        if token is None or not token.usable(now):
            raise Unauthenticated("API令牌无效或已过期", "invalid or expired API token", code="auth.bad_token")
        user = uow.users.get(token.user_id)
        if user is None or not user.active:
            raise Unauthenticated("账号已停用", "account deactivated", code="auth.inactive")
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            uow.tokens.touch(token.id, now)
            uow.commit()
    return user
