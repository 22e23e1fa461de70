"""Admin pages for units and people (organisation, Art. 5, 50)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from lawtrail.domain.access import Role
from lawtrail.errors import LawtrailError
from lawtrail.services import auth as auth_svc
from lawtrail.services import org as org_svc
from lawtrail.services import users as user_svc
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.forms import checked_form, done, form_state, optional_date, optional_uuid, text
from lawtrail.web.ui.render import page

router = APIRouter()
Who = Depends(ui_principal)


# ---- units ----------------------------------------------------------------------------------

def _units_page(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    units = org_svc.list_units(container(request).uow(), who.ctx(request))
    return page(request, "units.html", status=status, units=units, **ctx)


@router.get("/admin/units", response_class=HTMLResponse)
def units_list(request: Request, who: Principal = Who) -> Response:
    return _units_page(request, who)


@router.post("/admin/units")
async def units_create(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        org_svc.create_unit(container(request).uow(), who.ctx(request), bureau_id=who.user.bureau_id,
                            code=text(form, "code"), name=text(form, "name"), kind=text(form, "kind"))
    except LawtrailError as exc:
        return _units_page(request, who, 422, **form_state(form, exc))
    return done("/admin/units", "执法机构已创建")


@router.get("/admin/units/{unit_id}", response_class=HTMLResponse)
def unit_detail(request: Request, unit_id: UUID, who: Principal = Who) -> Response:
    return _unit_page(request, who, unit_id)


def _unit_page(request: Request, who: Principal, unit_id: UUID, status: int = 200, **ctx: object) -> Response:
    c = container(request)
    unit = org_svc.get_unit(c.uow(), who.ctx(request), unit_id)
    members = [u for u in user_svc.list_users(c.uow(), who.ctx(request)) if u.unit_id == unit.id]
    return page(request, "unit_detail.html", status=status, unit=unit, members=members, **ctx)


@router.post("/admin/units/{unit_id}")
async def unit_update(request: Request, unit_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    action = text(form, "action")
    active = {"deactivate": False, "reactivate": True}.get(action)
    try:
        org_svc.update_unit(container(request).uow(), who.ctx(request), unit_id,
                            name=None if active is not None else text(form, "name"),
                            kind=None if active is not None else text(form, "kind"), active=active)
    except LawtrailError as exc:
        return _unit_page(request, who, unit_id, 422, **form_state(form, exc))
    return done(f"/admin/units/{unit_id}", "已保存")


# ---- users ----------------------------------------------------------------------------------

def _users_page(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    c = container(request)
    users = user_svc.list_users(c.uow(), who.ctx(request))
    units = org_svc.list_units(c.uow(), who.ctx(request))
    return page(request, "users.html", status=status, users=users, units=units,
                unit_names={u.id: u.name for u in units}, roles=list(Role), **ctx)


@router.get("/admin/users", response_class=HTMLResponse)
def users_list(request: Request, who: Principal = Who) -> Response:
    return _users_page(request, who)


def _certificate(form: FormData) -> tuple[str | None, object, object]:
    return (text(form, "cert_number") or None, optional_date(form, "cert_valid_from", "执法证生效"),
            optional_date(form, "cert_valid_to", "执法证到期"))


@router.post("/admin/users")
async def users_create(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    try:
        number, valid_from, valid_to = _certificate(form)
        unit_id = optional_uuid(form, "unit_id", "执法机构")
        user = user_svc.create_user(
            c.uow(), who.ctx(request), c.deps, unit_id=unit_id or UUID(int=0),
            username=text(form, "username"), display_name=text(form, "display_name"),
            roles=[r for r in form.getlist("roles") if isinstance(r, str)], password=text(form, "password"),
            phone=text(form, "phone"), cert_number=number, cert_valid_from=valid_from,  # type: ignore[arg-type]
            cert_valid_to=valid_to)  # type: ignore[arg-type]
    except LawtrailError as exc:
        return _users_page(request, who, 422, **form_state(form, exc))
    return done(f"/admin/users/{user.id}", "用户已创建")


def _user_page(request: Request, who: Principal, user_id: UUID, status: int = 200, **ctx: object) -> Response:
    c = container(request)
    user = user_svc.get_user(c.uow(), who.ctx(request), user_id)
    units = org_svc.list_units(c.uow(), who.ctx(request))
    tokens = []
    try:
        tokens = auth_svc.list_tokens(c.uow(), who.ctx(request), user.id)
    except LawtrailError:
        tokens = []
    return page(request, "user_detail.html", status=status, user=user, units=units, roles=list(Role),
                unit_names={u.id: u.name for u in units}, tokens=tokens, **ctx)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_detail(request: Request, user_id: UUID, who: Principal = Who) -> Response:
    return _user_page(request, who, user_id)


@router.post("/admin/users/{user_id}")
async def user_update(request: Request, user_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    action = text(form, "action")
    try:
        if action in ("deactivate", "reactivate"):
            user_svc.update_user(c.uow(), who.ctx(request), c.deps, user_id, active=action == "reactivate")
        else:
            user_svc.update_user(
                c.uow(), who.ctx(request), c.deps, user_id, display_name=text(form, "display_name"),
                unit_id=optional_uuid(form, "unit_id", "执法机构"),
                roles=[r for r in form.getlist("roles") if isinstance(r, str)], phone=text(form, "phone"),
                certificate=_certificate(form),  # type: ignore[arg-type]
                totp_required=text(form, "totp_required") == "on")
    except LawtrailError as exc:
        return _user_page(request, who, user_id, 422, **form_state(form, exc))
    return done(f"/admin/users/{user_id}", "已保存")


@router.post("/admin/users/{user_id}/password")
async def user_password(request: Request, user_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    try:
        user_svc.reset_password(c.uow(), who.ctx(request), c.deps, user_id, password=text(form, "password"))
    except LawtrailError as exc:
        return _user_page(request, who, user_id, 422, **form_state(form, exc))
    return done(f"/admin/users/{user_id}", "密码已重置，该用户的登录会话已全部失效")


@router.post("/admin/users/{user_id}/tokens")
async def user_token(request: Request, user_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        days_raw = text(form, "days")
        _token, raw = auth_svc.create_token(container(request).uow(), who.ctx(request), owner_id=user_id,
                                            name=text(form, "name"),
                                            days=int(days_raw) if days_raw.isdigit() else 365)
    except LawtrailError as exc:
        return _user_page(request, who, user_id, 422, **form_state(form, exc))
    return _user_page(request, who, user_id, 201, new_token=raw)


@router.post("/admin/tokens/{token_id}/revoke")
async def token_revoke(request: Request, token_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    auth_svc.revoke_token(container(request).uow(), who.ctx(request), token_id)
    return done(f"/admin/users/{text(form, 'user_id')}", "令牌已吊销")
