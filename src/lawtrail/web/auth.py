"""Who is calling: an API token (machines), or a browser session with its CSRF token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request

from lawtrail.bootstrap import Container
from lawtrail.domain.access import Actor
from lawtrail.domain.auth import Session
from lawtrail.domain.org import User
from lawtrail.errors import PermissionDenied, Unauthenticated
from lawtrail.services import auth as auth_service
from lawtrail.services.context import Ctx
from lawtrail.services.users import actor_for

SESSION_COOKIE = "lawtrail_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Where a user whom an administrator requires to use TOTP may go before turning it on.
ENROLMENT_PATHS = frozenset({"/me", "/me/totp", "/me/password"})
TOTP_ENROLMENT_REQUIRED = "auth.totp_enrolment_required"


def container(request: Request) -> Container:
    c = request.app.state.container
    assert isinstance(c, Container)
    return c


@dataclass(frozen=True)
class Principal:
    user: User
    actor: Actor
    session: Session | None  # None when authenticated by an API token

    def ctx(self, request: Request) -> Ctx:
        return container(request).ctx(self.actor, getattr(request.state, "request_id", None))


def _from_session(request: Request, *, allow_totp_pending: bool = False) -> Principal:
    c = container(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated("请先登录", "please log in", code="auth.no_session")
    session, user = auth_service.session_user(c.uow(), c.deps, token, c.clock.now())
    if session.totp_pending and not allow_totp_pending:
        raise Unauthenticated("请输入动态验证码", "one-time code required", code="auth.totp_pending")
    if user.totp_required and not user.totp_enabled and request.url.path not in ENROLMENT_PATHS \
            and not allow_totp_pending:
        raise PermissionDenied("管理员要求您先开启动态验证码（个人设置）后才能继续使用",
                               "an administrator requires you to turn on TOTP (profile page) first",
                               code=TOTP_ENROLMENT_REQUIRED)
    return Principal(user=user, actor=actor_for(user), session=session)


def check_csrf(request: Request, principal: Principal, supplied: str | None) -> None:
    """Refuse a state-changing browser request whose CSRF token does not match its session."""
    if principal.session is None:
        return
    expected = principal.session.csrf_token
    if not supplied or not hmac.compare_digest(supplied, expected):
        raise PermissionDenied("安全校验失败（CSRF），请刷新页面后重试",
                               "CSRF check failed; reload the page and try again", code="auth.csrf")


def api_principal(request: Request) -> Principal:
    """FastAPI dependency for /api/v1: Bearer token, or session cookie + X-CSRF-Token header."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        c = container(request)
        user = auth_service.token_user(c.uow(), header[7:].strip(), c.clock.now())
        return Principal(user=user, actor=actor_for(user), session=None)
    principal = _from_session(request)
    if request.method not in SAFE_METHODS:
        check_csrf(request, principal, request.headers.get("x-csrf-token"))
    return principal


def ui_principal(request: Request) -> Principal:
    """FastAPI dependency for pages: a complete (not TOTP-pending) browser session."""
    principal = _from_session(request)
    request.state.principal = principal
    return principal


def ui_pending_principal(request: Request) -> Principal:
    """For the TOTP step of the login: a session that may still be TOTP-pending."""
    return _from_session(request, allow_totp_pending=True)
