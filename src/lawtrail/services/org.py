"""Use cases for bureaus and enforcement units (Art. 5, 50)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.events import Action
from lawtrail.domain.org import (
    NAME_MAX,
    UNIT_KIND_LABELS,
    Bureau,
    Problems,
    Unit,
    UnitKind,
    check_code,
    clean_text,
)
from lawtrail.errors import Conflict, NotFound, PermissionDenied
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, visible_units
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record


def create_bureau(uow: UnitOfWork, ctx: Ctx, *, code: str, name: str) -> Bureau:
    """Create a bureau (only the system actor does this, at `lawtrail init`)."""
    if not ctx.actor.is_system:
        raise PermissionDenied("只有系统初始化可以创建机关", "only `lawtrail init` creates bureaus",
                               code="permission_denied")
    problems = Problems()
    code = check_code(code, "code", "机关代码", problems)
    name = clean_text(name, "name", "机关名称", problems)
    problems.raise_if_any()
    with uow:
        if uow.bureaus.by_code(code):
            raise Conflict("机关代码已存在", f"bureau code {code!r} already exists", code="bureau.code_taken")
        bureau = Bureau(id=uuid.uuid4(), code=code, name=name, created_at=ctx.now)
        uow.bureaus.add(bureau)
        record(uow, ctx, Action.BUREAU_CREATE, subject_type="bureau", subject_id=bureau.id,
               subject_name=name, after=bureau)
        uow.commit()
    return bureau


def _unit_kind(value: str | UnitKind, problems: Problems) -> UnitKind:
    try:
        return UnitKind(value)
    except ValueError:
        labels = "、".join(UNIT_KIND_LABELS.values())
        problems.add("kind", f"执法机构类型须为：{labels}",
                     f"unit kind must be one of {', '.join(k.value for k in UnitKind)}")
        return UnitKind.BUSINESS_SECTION


def create_unit(uow: UnitOfWork, ctx: Ctx, *, bureau_id: UUID, code: str, name: str,
                kind: str | UnitKind) -> Unit:
    """Create a unit of ``bureau_id``; raise ValidationFailed, Conflict or PermissionDenied."""
    require(ctx.actor, Permission.UNIT_MANAGE, bureau_id=bureau_id)
    problems = Problems()
    code = check_code(code, "code", "机构代码", problems)
    name = clean_text(name, "name", "机构名称", problems, max_len=NAME_MAX)
    unit_kind = _unit_kind(kind, problems)
    problems.raise_if_any()
    with uow:
        if uow.bureaus.get(bureau_id) is None:
            raise NotFound("机关不存在", "no such bureau", code="bureau.not_found")
        if uow.units.by_code(bureau_id, code):
            raise Conflict(f"机构代码 {code} 已存在", f"unit code {code!r} already exists",
                           code="unit.code_taken", problems=[])
        unit = Unit(id=uuid.uuid4(), bureau_id=bureau_id, code=code, name=name, kind=unit_kind,
                    active=True, created_at=ctx.now, updated_at=ctx.now)
        uow.units.add(unit)
        record(uow, ctx, Action.UNIT_CREATE, subject_type="unit", subject_id=unit.id,
               subject_name=name, after=unit)
        uow.commit()
    return unit


def get_unit(uow: UnitOfWork, ctx: Ctx, unit_id: UUID) -> Unit:
    """Return the unit; raise NotFound if absent or outside the actor's view."""
    with uow:
        unit = uow.units.get(unit_id)
    if unit is None or unit.bureau_id != (ctx.actor.bureau_id or unit.bureau_id):
        raise NotFound("执法机构不存在", "no such unit", code="unit.not_found")
    require(ctx.actor, Permission.UNIT_VIEW, bureau_id=unit.bureau_id, unit_id=None)
    return unit


def list_units(uow: UnitOfWork, ctx: Ctx, *, bureau_id: UUID | None = None) -> list[Unit]:
    """All units of the actor's bureau (every role with unit:view sees the unit list)."""
    target = bureau_id or ctx.actor.bureau_id
    require(ctx.actor, Permission.UNIT_VIEW, bureau_id=target)
    with uow:
        if target is None:
            return [u for b in uow.bureaus.list() for u in uow.units.list(b.id, None)]
        return uow.units.list(target, None)


def update_unit(uow: UnitOfWork, ctx: Ctx, unit_id: UUID, *, name: str | None = None,
                kind: str | UnitKind | None = None, active: bool | None = None) -> Unit:
    """Change a unit's name, kind or active flag (deactivate instead of delete)."""
    require(ctx.actor, Permission.UNIT_MANAGE)
    problems = Problems()
    new_name = clean_text(name, "name", "机构名称", problems) if name is not None else None
    new_kind = _unit_kind(kind, problems) if kind is not None else None
    problems.raise_if_any()
    with uow:
        before = uow.units.get(unit_id)
        if before is None or before.bureau_id != (ctx.actor.bureau_id or before.bureau_id):
            raise NotFound("执法机构不存在", "no such unit", code="unit.not_found")
        after = replace(before, name=new_name or before.name, kind=new_kind or before.kind,
                        active=before.active if active is None else active, updated_at=ctx.now)
        if after == replace(before, updated_at=ctx.now):
            return before
        uow.units.update(after)
        action = Action.UNIT_UPDATE
        if before.active and not after.active:
            action = Action.UNIT_DEACTIVATE
        elif not before.active and after.active:
            action = Action.UNIT_REACTIVATE
        record(uow, ctx, action, subject_type="unit", subject_id=unit_id, subject_name=after.name,
               before=before, after=after)
        uow.commit()
    return after


__all__ = ["create_bureau", "create_unit", "get_unit", "list_units", "update_unit", "visible_units"]
