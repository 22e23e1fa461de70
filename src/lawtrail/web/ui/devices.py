"""Pages for field recording devices and their append-only maintenance log (Art. 7, 40).

Permission checks live in the services; a refused or invalid form re-renders its page with
the problems shown inline (status 422), a successful one redirects with a short message.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from lawtrail.domain.devices import (
    DEVICE_STATUS_LABELS,
    MANUAL_LOG_KINDS,
    Device,
    DeviceStatus,
    DeviceType,
    LogKind,
)
from lawtrail.domain.org import User
from lawtrail.errors import LawtrailError, invalid
from lawtrail.services import devices as dev_svc
from lawtrail.services import org as org_svc
from lawtrail.services import users as user_svc
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.forms import checked_form, done, form_state, optional_uuid, text
from lawtrail.web.ui.render import page

router = APIRouter()
Who = Depends(ui_principal)

#: Query parameters of the list page, each compared with one attribute of the device.
FILTERS = ("unit", "type", "status")
#: Log kinds offered in the "add an entry" form, in the order people expect them.
MANUAL_KINDS = [k for k in LogKind if k in MANUAL_LOG_KINDS]


def _people(request: Request, who: Principal) -> dict[UUID, User]:
    """The people the actor may see, by id (to name holders); empty if they may see none."""
    try:
        users = user_svc.list_users(container(request).uow(), who.ctx(request))
    except LawtrailError:
        users = []
    return {u.id: u for u in users}


def _matches(device: Device, chosen: dict[str, str]) -> bool:
    actual = {"unit": str(device.unit_id), "type": device.type.value, "status": device.status.value}
    return all(not want or actual[key] == want for key, want in chosen.items())


# ---- the list -------------------------------------------------------------------------------

def _devices_page(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    c = container(request)
    devices = dev_svc.list_devices(c.uow(), who.ctx(request))
    units = org_svc.list_units(c.uow(), who.ctx(request))
    chosen = {key: request.query_params.get(key, "") for key in FILTERS}
    shown = [d for d in devices if _matches(d, chosen)]
    return page(request, "devices.html", status=status, devices=shown, total=len(devices), units=units,
                active_units=[u for u in units if u.active], unit_names={u.id: u.name for u in units},
                people=_people(request, who), filters=chosen, device_types=list(DeviceType),
                device_statuses=list(DeviceStatus), **ctx)


@router.get("/devices", response_class=HTMLResponse)
def devices_list(request: Request, who: Principal = Who) -> Response:
    return _devices_page(request, who)


@router.post("/devices")
async def devices_create(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        unit_id = optional_uuid(form, "unit_id", "执法机构")
        device = dev_svc.create_device(
            container(request).uow(), who.ctx(request), number=text(form, "number"),
            type=text(form, "type"), unit_id=unit_id or UUID(int=0), make=text(form, "make"),
            model=text(form, "model"), serial=text(form, "serial"))
    except LawtrailError as exc:
        return _devices_page(request, who, 422, **form_state(form, exc))
    return done(f"/devices/{device.id}", f"设备 {device.number} 已登记")


# ---- one device -----------------------------------------------------------------------------

def _device_page(request: Request, who: Principal, device_id: UUID, status: int = 200,
                 **ctx: object) -> Response:
    c = container(request)
    device, log = dev_svc.get_device(c.uow(), who.ctx(request), device_id)
    units = org_svc.list_units(c.uow(), who.ctx(request))
    people = _people(request, who)
    unit_names = {u.id: u.name for u in units}
    candidates = sorted((u for u in people.values() if u.active and u.id != device.holder_id),
                        key=lambda u: (u.unit_id != device.unit_id, unit_names.get(u.unit_id, ""),
                                       u.display_name))
    return page(request, "device_detail.html", status=status, device=device, log=list(reversed(log)),
                units=units, active_units=[u for u in units if u.active], unit_names=unit_names,
                people=people, candidates=candidates, device_types=list(DeviceType),
                device_statuses=list(DeviceStatus), log_kinds=MANUAL_KINDS, **ctx)


@router.get("/devices/{device_id}", response_class=HTMLResponse)
def device_detail(request: Request, device_id: UUID, who: Principal = Who) -> Response:
    return _device_page(request, who, device_id)


@router.post("/devices/{device_id}")
async def device_update(request: Request, device_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        dev_svc.update_device(container(request).uow(), who.ctx(request), device_id,
                              type=text(form, "type"), unit_id=optional_uuid(form, "unit_id", "执法机构"),
                              make=text(form, "make"), model=text(form, "model"), serial=text(form, "serial"))
    except LawtrailError as exc:
        return _device_page(request, who, device_id, 422, which="edit", **form_state(form, exc))
    return done(f"/devices/{device_id}", "设备信息已保存")


@router.post("/devices/{device_id}/assign")
async def device_assign(request: Request, device_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    returning = text(form, "action") == "return"
    try:
        holder_id = None if returning else optional_uuid(form, "holder_id", "领用人")
        if holder_id is None and not returning:
            raise invalid("holder_id", "请选择领用人", "choose who takes the device")
        dev_svc.assign_device(container(request).uow(), who.ctx(request), device_id, holder_id=holder_id,
                              note=text(form, "note"))
    except LawtrailError as exc:
        return _device_page(request, who, device_id, 422, which="assign", **form_state(form, exc))
    return done(f"/devices/{device_id}", "设备已归还" if returning else "设备已交付领用")


@router.post("/devices/{device_id}/status")
async def device_status(request: Request, device_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        device = dev_svc.set_device_status(container(request).uow(), who.ctx(request), device_id,
                                           status=text(form, "status"), note=text(form, "note"))
    except LawtrailError as exc:
        return _device_page(request, who, device_id, 422, which="status", **form_state(form, exc))
    return done(f"/devices/{device_id}", f"设备状态已改为“{DEVICE_STATUS_LABELS[device.status]}”")


@router.post("/devices/{device_id}/log")
async def device_log(request: Request, device_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        dev_svc.add_log_entry(container(request).uow(), who.ctx(request), device_id, kind=text(form, "kind"),
                              note=text(form, "note"))
    except LawtrailError as exc:
        return _device_page(request, who, device_id, 422, which="log", **form_state(form, exc))
    return done(f"/devices/{device_id}", "记录已添加")

