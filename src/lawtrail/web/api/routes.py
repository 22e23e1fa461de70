"""The JSON API under /api/v1. Routes translate HTTP to service calls and nothing else:
permission checks live in the services (DESIGN.md rule 2)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from lawtrail.domain.access import ROLE_PERMISSIONS
from lawtrail.domain.org import local_date
from lawtrail.services import auth as auth_svc
from lawtrail.services import devices as dev_svc
from lawtrail.services import events as ev_svc
from lawtrail.services import org as org_svc
from lawtrail.services import users as user_svc
from lawtrail.web.api import schemas as s
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1")
Who = Annotated[Principal, Depends(api_principal)]


def _today(request: Request) -> date:
    return local_date(container(request).clock.now())


@router.get("/me", response_model=s.MeOut, tags=["auth"])
def me(request: Request, who: Who) -> s.MeOut:
    perms = sorted({p.value for r in who.user.roles for p in ROLE_PERMISSIONS[r]})
    return s.MeOut(user=s.UserOut.of(who.user, _today(request)), permissions=perms)


# ---- units ----------------------------------------------------------------------------------

@router.get("/units", response_model=list[s.UnitOut], tags=["org"])
def list_units(request: Request, who: Who) -> list[s.UnitOut]:
    return [s.UnitOut.of(u) for u in org_svc.list_units(container(request).uow(), who.ctx(request))]


@router.post("/units", response_model=s.UnitOut, status_code=201, tags=["org"])
def create_unit(request: Request, who: Who, body: s.UnitIn) -> s.UnitOut:
    unit = org_svc.create_unit(container(request).uow(), who.ctx(request), bureau_id=who.user.bureau_id,
                               code=body.code, name=body.name, kind=body.kind)
    return s.UnitOut.of(unit)


@router.get("/units/{unit_id}", response_model=s.UnitOut, tags=["org"])
def get_unit(request: Request, who: Who, unit_id: UUID) -> s.UnitOut:
    return s.UnitOut.of(org_svc.get_unit(container(request).uow(), who.ctx(request), unit_id))


@router.patch("/units/{unit_id}", response_model=s.UnitOut, tags=["org"])
def update_unit(request: Request, who: Who, unit_id: UUID, body: s.UnitPatch) -> s.UnitOut:
    unit = org_svc.update_unit(container(request).uow(), who.ctx(request), unit_id, name=body.name,
                               kind=body.kind, active=body.active)
    return s.UnitOut.of(unit)


# ---- users ----------------------------------------------------------------------------------

@router.get("/users", response_model=list[s.UserOut], tags=["org"])
def list_users(request: Request, who: Who) -> list[s.UserOut]:
    today = _today(request)
    return [s.UserOut.of(u, today) for u in user_svc.list_users(container(request).uow(), who.ctx(request))]


@router.post("/users", response_model=s.UserOut, status_code=201, tags=["org"])
def create_user(request: Request, who: Who, body: s.UserIn) -> s.UserOut:
    c = container(request)
    cert = body.certificate
    user = user_svc.create_user(
        c.uow(), who.ctx(request), c.deps, unit_id=body.unit_id, username=body.username,
        display_name=body.display_name, roles=body.roles, password=body.password, phone=body.phone,
        cert_number=cert.number if cert else None, cert_valid_from=cert.valid_from if cert else None,
        cert_valid_to=cert.valid_to if cert else None)
    return s.UserOut.of(user, _today(request))


@router.get("/users/{user_id}", response_model=s.UserOut, tags=["org"])
def get_user(request: Request, who: Who, user_id: UUID) -> s.UserOut:
    return s.UserOut.of(user_svc.get_user(container(request).uow(), who.ctx(request), user_id), _today(request))


@router.patch("/users/{user_id}", response_model=s.UserOut, tags=["org"])
def update_user(request: Request, who: Who, user_id: UUID, body: s.UserPatch) -> s.UserOut:
    c = container(request)
    cert: tuple[str | None, object, object] | None = None
    if body.remove_certificate:
        cert = (None, None, None)
    elif body.certificate:
        cert = (body.certificate.number, body.certificate.valid_from, body.certificate.valid_to)
    user = user_svc.update_user(
        c.uow(), who.ctx(request), c.deps, user_id, display_name=body.display_name, unit_id=body.unit_id,
        roles=body.roles, phone=body.phone, certificate=cert,  # type: ignore[arg-type]
        totp_required=body.totp_required, active=body.active)
    return s.UserOut.of(user, _today(request))


@router.post("/users/{user_id}/password", status_code=204, tags=["org"])
def reset_password(request: Request, who: Who, user_id: UUID, body: s.PasswordIn) -> None:
    c = container(request)
    user_svc.reset_password(c.uow(), who.ctx(request), c.deps, user_id, password=body.password)


@router.get("/users/{user_id}/tokens", response_model=list[s.TokenOut], tags=["auth"])
def list_tokens(request: Request, who: Who, user_id: UUID) -> list[s.TokenOut]:
    return [s.TokenOut.of(t) for t in auth_svc.list_tokens(container(request).uow(), who.ctx(request), user_id)]


@router.post("/users/{user_id}/tokens", response_model=s.TokenCreated, status_code=201, tags=["auth"])
def create_token(request: Request, who: Who, user_id: UUID, body: s.TokenIn) -> s.TokenCreated:
    token, raw = auth_svc.create_token(container(request).uow(), who.ctx(request), owner_id=user_id,
                                       name=body.name, days=body.days)
    return s.TokenCreated(**s.TokenOut.of(token).model_dump(), token=raw)


@router.post("/tokens/{token_id}/revoke", status_code=204, tags=["auth"])
def revoke_token(request: Request, who: Who, token_id: UUID) -> None:
    auth_svc.revoke_token(container(request).uow(), who.ctx(request), token_id)


# ---- devices --------------------------------------------------------------------------------

@router.get("/devices", response_model=list[s.DeviceOut], tags=["devices"])
def list_devices(request: Request, who: Who) -> list[s.DeviceOut]:
    return [s.DeviceOut.of(d) for d in dev_svc.list_devices(container(request).uow(), who.ctx(request))]


@router.post("/devices", response_model=s.DeviceOut, status_code=201, tags=["devices"])
def create_device(request: Request, who: Who, body: s.DeviceIn) -> s.DeviceOut:
    device = dev_svc.create_device(container(request).uow(), who.ctx(request), number=body.number,
                                   type=body.type, unit_id=body.unit_id, make=body.make, model=body.model,
                                   serial=body.serial)
    return s.DeviceOut.of(device)


@router.get("/devices/{device_id}", response_model=s.DeviceDetail, tags=["devices"])
def get_device(request: Request, who: Who, device_id: UUID) -> s.DeviceDetail:
    device, log = dev_svc.get_device(container(request).uow(), who.ctx(request), device_id)
    return s.DeviceDetail(**s.DeviceOut.of(device).model_dump(), log=[s.DeviceLogOut.of(e) for e in log])


@router.patch("/devices/{device_id}", response_model=s.DeviceOut, tags=["devices"])
def update_device(request: Request, who: Who, device_id: UUID, body: s.DevicePatch) -> s.DeviceOut:
    device = dev_svc.update_device(container(request).uow(), who.ctx(request), device_id, type=body.type,
                                   unit_id=body.unit_id, make=body.make, model=body.model, serial=body.serial)
    return s.DeviceOut.of(device)


@router.post("/devices/{device_id}/assign", response_model=s.DeviceOut, tags=["devices"])
def assign_device(request: Request, who: Who, device_id: UUID, body: s.AssignIn) -> s.DeviceOut:
    device = dev_svc.assign_device(container(request).uow(), who.ctx(request), device_id,
                                   holder_id=body.holder_id, note=body.note)
    return s.DeviceOut.of(device)


@router.post("/devices/{device_id}/status", response_model=s.DeviceOut, tags=["devices"])
def set_device_status(request: Request, who: Who, device_id: UUID, body: s.StatusIn) -> s.DeviceOut:
    device = dev_svc.set_device_status(container(request).uow(), who.ctx(request), device_id,
                                       status=body.status, note=body.note)
    return s.DeviceOut.of(device)


@router.post("/devices/{device_id}/log", response_model=s.DeviceLogOut, status_code=201, tags=["devices"])
def add_device_log(request: Request, who: Who, device_id: UUID, body: s.LogIn) -> s.DeviceLogOut:
    entry = dev_svc.add_log_entry(container(request).uow(), who.ctx(request), device_id,
                                  kind=body.kind, note=body.note)
    return s.DeviceLogOut.of(entry)


# ---- the trail ------------------------------------------------------------------------------

@router.get("/events", response_model=list[s.EventOut], tags=["ledger"])
def list_events(request: Request, who: Who, subject_type: str | None = None, subject_id: str | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                before_seq: Annotated[int | None, Query(ge=0)] = None) -> list[s.EventOut]:
    events = ev_svc.list_events(container(request).uow(), who.ctx(request), subject_type=subject_type,
                                subject_id=subject_id, limit=limit, before_seq=before_seq)
    return [s.EventOut.of(e) for e in events]
