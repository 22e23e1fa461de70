"""Use cases for field recording devices and their maintenance log (Art. 7, 40)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.devices import (
    DEVICE_TYPE_LABELS,
    MANUAL_LOG_KINDS,
    Device,
    DeviceLogEntry,
    DeviceStatus,
    DeviceType,
    LogKind,
    check_device_number,
)
from lawtrail.domain.events import Action
from lawtrail.domain.org import Problems, clean_text
from lawtrail.errors import Conflict, NotFound, ValidationFailed, invalid
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, visible_units
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record


def _device_type(value: str | DeviceType, problems: Problems) -> DeviceType:
    try:
        return DeviceType(value)
    except ValueError:
        problems.add("type", "设备类型须为：" + "、".join(DEVICE_TYPE_LABELS.values()),
                     "device type must be one of " + ", ".join(t.value for t in DeviceType))
        return DeviceType.BODY_CAMERA


def _load(uow: UnitOfWork, ctx: Ctx, device_id: UUID) -> Device:
    device = uow.devices.get(device_id)
    if device is None or (ctx.actor.bureau_id and device.bureau_id != ctx.actor.bureau_id):
        raise NotFound("设备不存在", "no such device", code="device.not_found")
    return device


def _log(uow: UnitOfWork, ctx: Ctx, device: Device, kind: LogKind, note: str, *,
         holder_id: UUID | None = None, status: DeviceStatus | None = None) -> DeviceLogEntry:
    entry = DeviceLogEntry(id=uuid.uuid4(), device_id=device.id, at=ctx.now, kind=kind, note=note,
                           actor_id=ctx.actor.user_id, actor_name=ctx.actor.name,
                           holder_id=holder_id, status=status)
    uow.device_log.append(entry)
    return entry


def create_device(uow: UnitOfWork, ctx: Ctx, *, number: str, type: str | DeviceType, unit_id: UUID,
                  make: str = "", model: str = "", serial: str = "") -> Device:
    """Register a device; raise Conflict when the number is taken, NotFound for an unknown unit."""
    problems = Problems()
    number = check_device_number(number, problems)
    dtype = _device_type(type, problems)
    make = clean_text(make, "make", "品牌", problems, max_len=50, required=False)
    model = clean_text(model, "model", "型号", problems, max_len=50, required=False)
    serial = clean_text(serial, "serial", "序列号", problems, max_len=80, required=False)
    problems.raise_if_any()
    with uow:
        unit = uow.units.get(unit_id)
        if unit is None or not unit.active:
            raise NotFound("执法机构不存在或已停用", "unknown or inactive unit", code="unit.not_found")
        require(ctx.actor, Permission.DEVICE_MANAGE, bureau_id=unit.bureau_id, unit_id=unit.id)
        if uow.devices.by_number(number):
            raise Conflict(f"设备编号 {number} 已存在", f"device number {number!r} already exists",
                           code="device.number_taken")
        device = Device(id=uuid.uuid4(), bureau_id=unit.bureau_id, unit_id=unit.id, number=number,
                        type=dtype, status=DeviceStatus.IN_SERVICE, holder_id=None, make=make,
                        model=model, serial=serial, created_at=ctx.now, updated_at=ctx.now)
        uow.devices.add(device)
        _log(uow, ctx, device, LogKind.STATUS, "登记入册", status=DeviceStatus.IN_SERVICE)
        record(uow, ctx, Action.DEVICE_CREATE, subject_type="device", subject_id=device.id,
               subject_name=number, after=device)
        uow.commit()
    return device


def get_device(uow: UnitOfWork, ctx: Ctx, device_id: UUID) -> tuple[Device, list[DeviceLogEntry]]:
    """The device and its log, oldest entry first."""
    with uow:
        device = _load(uow, ctx, device_id)
        require(ctx.actor, Permission.DEVICE_VIEW, bureau_id=device.bureau_id, unit_id=device.unit_id)
        return device, uow.device_log.for_device(device.id)


def find_device(uow: UnitOfWork, ctx: Ctx, number: str) -> Device:
    """The device with ``number``; raise NotFound if there is none the actor may see."""
    with uow:
        device = uow.devices.by_number(number.strip())
    if device is None or (ctx.actor.bureau_id and device.bureau_id != ctx.actor.bureau_id):
        raise NotFound(f"设备编号 {number} 不存在", f"unknown device number {number!r}",
                       code="device.not_found")
    require(ctx.actor, Permission.DEVICE_VIEW, bureau_id=device.bureau_id, unit_id=device.unit_id)
    return device


def list_devices(uow: UnitOfWork, ctx: Ctx) -> list[Device]:
    scope = visible_units(ctx.actor, Permission.DEVICE_VIEW)
    if ctx.actor.bureau_id is None:
        return []
    with uow:
        return uow.devices.list(ctx.actor.bureau_id, scope)


def held_devices(uow: UnitOfWork, ctx: Ctx) -> list[Device]:
    """The devices the actor holds now (everyone may see what they hold themselves)."""
    if ctx.actor.bureau_id is None or ctx.actor.user_id is None:
        return []
    with uow:
        return [d for d in uow.devices.list(ctx.actor.bureau_id, None) if d.holder_id == ctx.actor.user_id]


def update_device(uow: UnitOfWork, ctx: Ctx, device_id: UUID, *, type: str | None = None,
                  unit_id: UUID | None = None, make: str | None = None, model: str | None = None,
                  serial: str | None = None) -> Device:
    """Edit the device's descriptive fields or move it to another unit of the bureau."""
    problems = Problems()
    changes: dict[str, object] = {}
    if type is not None:
        changes["type"] = _device_type(type, problems)
    for key, value, label, size in (("make", make, "品牌", 50), ("model", model, "型号", 50),
                                    ("serial", serial, "序列号", 80)):
        if value is not None:
            changes[key] = clean_text(value, key, label, problems, max_len=size, required=False)
    problems.raise_if_any()
    with uow:
        before = _load(uow, ctx, device_id)
        require(ctx.actor, Permission.DEVICE_MANAGE, bureau_id=before.bureau_id, unit_id=before.unit_id)
        if unit_id is not None and unit_id != before.unit_id:
            unit = uow.units.get(unit_id)
            if unit is None or not unit.active or unit.bureau_id != before.bureau_id:
                raise NotFound("执法机构不存在或已停用", "unknown or inactive unit", code="unit.not_found")
            changes["unit_id"] = unit_id
        after = replace(before, **changes, updated_at=ctx.now)  # type: ignore[arg-type]
        if after == replace(before, updated_at=ctx.now):
            return before
        uow.devices.update(after)
        record(uow, ctx, Action.DEVICE_UPDATE, subject_type="device", subject_id=after.id,
               subject_name=after.number, before=before, after=after)
        uow.commit()
    return after


def assign_device(uow: UnitOfWork, ctx: Ctx, device_id: UUID, *, holder_id: UUID | None,
                  note: str = "") -> Device:
    """Hand the device to ``holder_id`` (None: returned to the store). Logged as a HOLDER entry."""
    problems = Problems()
    note = clean_text(note, "note", "备注", problems, max_len=500, required=False)
    problems.raise_if_any()
    with uow:
        before = _load(uow, ctx, device_id)
        require(ctx.actor, Permission.DEVICE_MANAGE, bureau_id=before.bureau_id, unit_id=before.unit_id)
        if holder_id is not None:
            holder = uow.users.get(holder_id)
            if holder is None or not holder.active or holder.bureau_id != before.bureau_id:
                raise NotFound("领用人不存在或已停用", "unknown or inactive holder", code="user.not_found")
        if before.status is not DeviceStatus.IN_SERVICE and holder_id is not None:
            raise ValidationFailed("只有在用设备可以领用", "only an in-service device can be handed out",
                                   code="device.not_in_service")
        after = replace(before, holder_id=holder_id, updated_at=ctx.now)
        uow.devices.update(after)
        _log(uow, ctx, after, LogKind.HOLDER, note or ("领用" if holder_id else "归还"), holder_id=holder_id)
        record(uow, ctx, Action.DEVICE_ASSIGN, subject_type="device", subject_id=after.id,
               subject_name=after.number, before=before, after=after)
        uow.commit()
    return after


def set_device_status(uow: UnitOfWork, ctx: Ctx, device_id: UUID, *, status: str, note: str) -> Device:
    """Change status (retire = deactivate; nothing is deleted). A reason is required."""
    problems = Problems()
    note = clean_text(note, "note", "原因", problems, max_len=500)
    try:
        new_status = DeviceStatus(status)
    except ValueError:
        problems.add("status", "未知设备状态", f"unknown device status {status!r}")
    problems.raise_if_any()
    with uow:
        before = _load(uow, ctx, device_id)
        require(ctx.actor, Permission.DEVICE_MANAGE, bureau_id=before.bureau_id, unit_id=before.unit_id)
        if new_status is before.status:
            raise invalid("status", "设备已处于该状态", "the device already has this status")
        holder = before.holder_id if new_status is DeviceStatus.IN_SERVICE else None
        after = replace(before, status=new_status, holder_id=holder, updated_at=ctx.now)
        uow.devices.update(after)
        _log(uow, ctx, after, LogKind.STATUS, note, status=new_status)
        record(uow, ctx, Action.DEVICE_STATUS, subject_type="device", subject_id=after.id,
               subject_name=after.number, before=before, after=after)
        uow.commit()
    return after


def add_log_entry(uow: UnitOfWork, ctx: Ctx, device_id: UUID, *, kind: str, note: str) -> DeviceLogEntry:
    """Append a maintenance, repair, fault, inspection or note entry to the device's log."""
    problems = Problems()
    note = clean_text(note, "note", "内容", problems, max_len=2000)
    try:
        log_kind = LogKind(kind)
    except ValueError:
        log_kind = LogKind.NOTE
        problems.add("kind", "未知记录类型", f"unknown log kind {kind!r}")
    if log_kind not in MANUAL_LOG_KINDS:
        problems.add("kind", "领用和状态变更请使用专门的操作", "holder and status changes have their own actions")
    problems.raise_if_any()
    with uow:
        device = _load(uow, ctx, device_id)
        require(ctx.actor, Permission.DEVICE_LOG, bureau_id=device.bureau_id, unit_id=device.unit_id)
        entry = _log(uow, ctx, device, log_kind, note)
        record(uow, ctx, Action.DEVICE_LOG, subject_type="device", subject_id=device.id,
               subject_name=device.number, after=entry)
        uow.commit()
    return entry
