"""Pages: login (with TOTP), logout, the home page per role, and one's own profile.

The admin and device pages live in their own modules; this module gathers all page routers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from lawtrail.errors import LawtrailError, PermissionDenied, TooManyAttempts, Unauthenticated, invalid
from lawtrail.services import auth as auth_svc
from lawtrail.services import devices as dev_svc
from lawtrail.services import users as user_svc
from lawtrail.web.auth import SESSION_COOKIE, Principal, container, ui_pending_principal, ui_principal
from lawtrail.web.ui import approvals as approvals_pages
from lawtrail.web.ui import archive as archive_pages
from lawtrail.web.ui import cases as cases_pages
from lawtrail.web.ui import devices as devices_pages
from lawtrail.web.ui import findings as findings_pages
from lawtrail.web.ui import ledger as ledger_pages
from lawtrail.web.ui import org as org_pages
from lawtrail.web.ui import oversight as oversight_pages
from lawtrail.web.ui import prints as prints_pages
from lawtrail.web.ui import records as records_pages
from lawtrail.web.ui import trail as trail_pages
from lawtrail.web.ui import uploads as upload_pages
from lawtrail.web.ui import workbench as workbench_pages
from lawtrail.web.ui.forms import checked_form, done, form_state, text
from lawtrail.web.ui.render import page

router = APIRouter(include_in_schema=False)
router.include_router(org_pages.router)
router.include_router(devices_pages.router)
router.include_router(trail_pages.router)
router.include_router(ledger_pages.router)
router.include_router(upload_pages.router)
router.include_router(findings_pages.router)
router.include_router(cases_pages.router)
router.include_router(oversight_pages.router)
router.include_router(records_pages.router)
router.include_router(prints_pages.router)
router.include_router(archive_pages.router)
router.include_router(approvals_pages.router)
router.include_router(workbench_pages.router)

LOGIN_CSRF_COOKIE = "lawtrail_login"
REASONS = {
    "auth.session_expired": "会话已过期，请重新登录。",
    "auth.no_session": "请先登录。",
    "auth.totp_pending": "请完成动态验证码验证。",
    "auth.inactive": "账号已停用。",
    "logged_out": "您已安全退出。",
}


def _login_csrf(request: Request, nonce: str) -> str:
    key = container(request).settings.secret_key.encode()
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a fresh login to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(request: Request, status: int = 200, **ctx: object) -> Response:
    nonce = secrets.token_urlsafe(24)
    reason = REASONS.get(request.query_params.get("reason", ""), "")
    response = page(request, "login.html", status=status, login_csrf=_login_csrf(request, nonce),
                    next=_safe_next(request.query_params.get("next")), reason=reason, **ctx)
    response.set_cookie(LOGIN_CSRF_COOKIE, nonce, httponly=True, samesite="strict",
                        secure=container(request).settings.cookie_secure, max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await request.form()
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    supplied = text(form, "csrf")
    username = text(form, "username")
    if not nonce or not hmac.compare_digest(supplied, _login_csrf(request, nonce)):
        err: LawtrailError = PermissionDenied("页面已过期，请重新登录", "form expired; please try again",
                                              code="auth.csrf")
        return _login_page(request, 403, error=err, username=username)
    c = container(request)
    ip = request.client.host if request.client else "?"
    try:
        result = auth_svc.login(c.uow(), c.system_ctx("login"), c.deps, username=username,
                                password=text(form, "password"), ip=ip)
    except (Unauthenticated, TooManyAttempts) as exc:
        return _login_page(request, 401 if isinstance(exc, Unauthenticated) else 429,
                           error=exc, username=username)
    target = "/login/totp" if result.needs_totp else _safe_next(text(form, "next"))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, result.cookie_token, httponly=True, samesite="lax",
                        secure=c.settings.cookie_secure, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.get("/login/totp", response_class=HTMLResponse)
def totp_form(request: Request, who: Principal = Depends(ui_pending_principal)) -> Response:
    return page(request, "login_totp.html", csrf=who.session.csrf_token if who.session else "")


@router.post("/login/totp")
async def totp_submit(request: Request, who: Principal = Depends(ui_pending_principal)) -> Response:
    form = await checked_form(request, who)
    assert who.session is not None
    try:
        auth_svc.verify_totp_login(container(request).uow(), who.ctx(request), container(request).deps,
                                   session=who.session, code=text(form, "code"))
    except Unauthenticated as exc:
        return page(request, "login_totp.html", status=401, error=exc, csrf=who.session.csrf_token)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
async def logout(request: Request, who: Principal = Depends(ui_pending_principal)) -> Response:
    await checked_form(request, who)
    if who.session is not None:
        auth_svc.logout(container(request).uow(), who.ctx(request), who.session)
    response = RedirectResponse("/login?reason=logged_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Principal = Depends(ui_principal)) -> Response:
    c = container(request)
    ctx = who.ctx(request)
    my_devices = dev_svc.held_devices(c.uow(), ctx)
    must_enrol = who.user.totp_required and not who.user.totp_enabled
    return page(request, "home.html", my_devices=my_devices, must_enrol=must_enrol,
                oversight=oversight_pages.home_numbers(request, who), **workbench_pages.home_context(request, who))


@router.get("/me", response_class=HTMLResponse)
def profile(request: Request, who: Principal = Depends(ui_principal)) -> Response:
    return _profile(request, who)


def _profile(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    c = container(request)
    posted = ctx.get("values", {})
    secret = (posted.get("secret") if isinstance(posted, dict) else None) or c.deps.totp.new_secret()
    uri = c.deps.totp.uri(secret, who.user.username, c.settings.totp_issuer)
    qr_svg = segno.make(uri, error="m").svg_data_uri(scale=4)
    return page(request, "me.html", status=status, totp_secret=secret, totp_qr=qr_svg, **ctx)


@router.post("/me/password")
async def change_password(request: Request, who: Principal = Depends(ui_principal)) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    if text(form, "new") != text(form, "confirm"):
        return _profile(request, who, 422, **form_state(form, invalid("confirm", "两次输入的新密码不一致",
                                                                        "the new passwords differ")))
    try:
        user_svc.change_own_password(c.uow(), who.ctx(request), c.deps, current=text(form, "current"),
                                     new=text(form, "new"), keep_session=who.session.id if who.session else None)
    except LawtrailError as exc:
        return _profile(request, who, 422, **form_state(form, exc))
    return done("/me", "密码已修改")


@router.post("/me/totp")
async def enable_totp(request: Request, who: Principal = Depends(ui_principal)) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    try:
        auth_svc.enable_totp(c.uow(), who.ctx(request), c.deps, secret=text(form, "secret"),
                             code=text(form, "code"))
    except LawtrailError as exc:
        return _profile(request, who, 422, **form_state(form, exc))
    return done("/me", "已开启动态验证码")


@router.post("/me/totp/disable")
async def disable_totp(request: Request, who: Principal = Depends(ui_principal)) -> Response:
    await checked_form(request, who)
    auth_svc.disable_totp(container(request).uow(), who.ctx(request))
    return done("/me", "已关闭动态验证码")
