"""Reading the trail (留痕): who did what, when, before/after."""

from __future__ import annotations

from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.events import Event
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, require_bureau_wide
from lawtrail.services.ports import UnitOfWork


def _subject_unit(uow: UnitOfWork, subject_type: str, subject_id: str) -> tuple[bool, UUID | None]:
    """(found, unit) of a subject whose unit decides who may read its trail."""
    try:
        key = UUID(subject_id)
    except ValueError:
        return False, None
    if subject_type == "unit":
        unit = uow.units.get(key)
        return unit is not None, unit.id if unit else None
    if subject_type == "user":
        user = uow.users.get(key)
        return user is not None, user.unit_id if user else None
    if subject_type == "device":
        device = uow.devices.get(key)
        return device is not None, device.unit_id if device else None
    if subject_type == "media":
        media = uow.media.get(key)
        return media is not None, media.unit_id if media else None
    if subject_type == "case":
        case = uow.cases.get(key)
        return case is not None, case.unit_id if case else None
    return False, None


def list_events(uow: UnitOfWork, ctx: Ctx, *, subject_type: str | None = None,
                subject_id: str | None = None, limit: int = 100, before_seq: int | None = None
                ) -> list[Event]:
    """Newest first. The trail of one unit, user or device needs event:view for its unit;
    the whole trail needs event:view bureau-wide."""
    limit = max(1, min(limit, 500))
    with uow:
        if subject_type and subject_id:
            found, unit_id = _subject_unit(uow, subject_type, subject_id)
            require(ctx.actor, Permission.EVENT_VIEW, unit_id=unit_id if found else None)
        else:
            require_bureau_wide(ctx.actor, Permission.EVENT_VIEW)
        return uow.events.list(subject_type=subject_type, subject_id=subject_id, limit=limit,
                               before_seq=before_seq)

