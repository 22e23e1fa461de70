"""Use cases of hand-ins (交接登记, Art. 41): record that a device's footage was handed in
(with the exception of Art. 41 when it applies), then complete the hand-in by linking the
stored originals. Each is one transaction with one ledger event; nothing recorded is changed
(the completion is its own append-only record)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.devices import Device, holder_at
from lawtrail.domain.events import Action, format_time
from lawtrail.domain.evidence import (
    HANDIN_COMPLETED,
    HANDIN_EXCEPTION_LABELS,
    Handin,
    HandinCompletion,
    HandinException,
)
from lawtrail.domain.org import Problems, clean_text
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import Conflict, NotFound, ValidationFailed, invalid
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, visible_units
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record

#: A time "in the future" by more than this (clock skew between station and server) is refused.
SKEW = timedelta(minutes=5)


def _device(uow: UnitOfWork, ctx: Ctx, number: str) -> Device:
    """The device with this number in the actor's bureau; raise ValidationFailed when no number
    is given, NotFound ``device.not_found`` when there is no such device."""
    if not number.strip():
        raise invalid("device_number", "请选择或填写设备编号", "device_number is required")
    with uow:
        device = uow.devices.by_number(number.strip())
    if device is None or (ctx.actor.bureau_id and device.bureau_id != ctx.actor.bureau_id):
        raise NotFound(f"设备编号 {number} 不存在", f"no device with number {number!r}", code="device.not_found")
    return device


def _exception(value: str | HandinException | None, problems: Problems) -> HandinException | None:
    if value is None or value == "":
        return None
    try:
        return HandinException(value)
    except ValueError:
        problems.add("exception", "例外情形须为：" + "、".join(HANDIN_EXCEPTION_LABELS.values()),
                     "exception must be one of " + ", ".join(e.value for e in HandinException))
        return None


def _check_times(ctx: Ctx, handed_in_at: datetime, exception: HandinException | None,
                 returned_at: datetime | None, problems: Problems) -> None:
    times = (("handed_in_at", "交接时间", handed_in_at), ("returned_at", "返回单位时间", returned_at))
    for name, label, value in times:
        if value is not None and value.utcoffset() is None:
            problems.add(name, f"{label}须带时区", f"{name} must carry a time zone")
        elif value is not None and value > ctx.now + SKEW:
            problems.add(name, f"{label}不能晚于当前时间", f"{name} must not be in the future")
    if exception is not None and returned_at is None:
        problems.add("returned_at", "有例外情形时须填写返回单位时间（第四十一条）",
                     "an exception needs the time of the return to the unit (Art. 41)")
    if exception is None and returned_at is not None:
        problems.add("exception", "填写了返回单位时间，请选择例外情形", "a return time needs an exception kind")


def record_handin(uow: UnitOfWork, ctx: Ctx, *, device_number: str, handed_in_at: datetime | None = None,
                  officer_id: UUID | None = None, exception: str | HandinException | None = None,
                  returned_at: datetime | None = None, note: str = "") -> Handin:
    """Record the hand-in of device ``device_number``'s footage (default: now). Without an
    officer, the device's holder at the hand-in time is taken. Needs media:handin on the
    device's unit. Raise NotFound (device, officer), ValidationFailed for bad input."""
    device = _device(uow, ctx, device_number)
    require(ctx.actor, Permission.MEDIA_HANDIN, bureau_id=device.bureau_id, unit_id=device.unit_id)
    problems = Problems()
    when = handed_in_at or ctx.now
    kind = _exception(exception, problems)
    _check_times(ctx, when, kind, returned_at, problems)
    note = clean_text(note, "note", "说明", problems, max_len=2000, required=False)
    problems.raise_if_any()
    with uow:
        if officer_id is not None:
            officer = uow.users.get(officer_id)
            if officer is None or officer.bureau_id != device.bureau_id:
                raise NotFound("执法人员不存在", "no such officer", code="user.not_found")
        else:
            officer_id = holder_at(uow.device_log.for_device(device.id), when)
        handin = Handin(id=uuid.uuid4(), bureau_id=device.bureau_id, unit_id=device.unit_id, device_id=device.id,
                        device_number=device.number, officer_id=officer_id, handed_in_at=when, exception=kind,
                        returned_at=returned_at if kind else None, note=note, recorded_by_id=ctx.actor.user_id,
                        recorded_by_name=ctx.actor.name[:100], recorded_at=ctx.now)
        uow.handins.add(handin)
        record(uow, ctx, Action.MEDIA_HANDIN_RECORD, subject_type="handin", subject_id=handin.id,
               subject_name=f"交接 {device.number}", after=handin)
        uow.commit()
    return handin


def _load(uow: UnitOfWork, ctx: Ctx, handin_id: UUID) -> Handin:
    handin = uow.handins.get(handin_id)
    if handin is None or (ctx.actor.bureau_id and handin.bureau_id != ctx.actor.bureau_id):
        raise NotFound("交接登记不存在", "no such hand-in", code="handin.not_found")
    return handin


def _chosen_media(uow: UnitOfWork, handin: Handin, media_ids: Sequence[UUID] | None) -> list[MediaRecord]:
    """The originals to link: those given (each of the hand-in's device), or else every original
    of the device no hand-in accounts for that was captured before the hand-in (or return)."""
    if media_ids is None:
        until = max(handin.handed_in_at, handin.returned_at or handin.handed_in_at)
        found = [m for m in uow.handins.unlinked_media(handin.device_id)
                 if m.captured_at is None or m.captured_at <= until]
        if not found:
            raise invalid("media_ids", f"设备 {handin.device_number} 没有待关联的原始文件：请先入库",
                          f"device {handin.device_number} has no original to link: ingest the footage first")
        return found
    if not media_ids:
        raise invalid("media_ids", "请至少选择一个原始文件", "choose at least one original")
    chosen = []
    for media_id in dict.fromkeys(media_ids):
        found_one = uow.media.in_scope(handin.bureau_id, None, media_id=media_id)
        if not found_one or found_one[0].device_id != handin.device_id:
            raise invalid("media_ids", f"原始文件 {media_id} 不存在或不属于设备 {handin.device_number}",
                          f"original {media_id} does not exist or is not of device {handin.device_number}")
        chosen.extend(found_one)
    return chosen


def complete_handin(uow: UnitOfWork, ctx: Ctx, handin_id: UUID, *,
                    media_ids: Sequence[UUID] | None = None) -> HandinCompletion:
    """State that the hand-in's footage is all stored, linking the originals (see ``_chosen_media``).

    Needs media:handin on the hand-in's unit. Raise NotFound, ValidationFailed, Conflict
    ``handin.completed`` (done before) or ``handin.media_linked`` (an original already linked)."""
    with uow:
        handin = _load(uow, ctx, handin_id)
        require(ctx.actor, Permission.MEDIA_HANDIN, bureau_id=handin.bureau_id, unit_id=handin.unit_id)
        if uow.handins.completion(handin.id) is not None:
            raise Conflict("该交接已完成储存", "this hand-in is already completed", code=HANDIN_COMPLETED)
        media = _chosen_media(uow, handin, media_ids)
        completion = HandinCompletion(handin_id=handin.id, completed_at=ctx.now, actor_id=ctx.actor.user_id,
                                      actor_name=ctx.actor.name[:100], media_ids=tuple(sorted(m.id for m in media)))
        uow.handins.complete(completion)
        late = [str(m.id) for m in media if m.stored_at > handin.deadline]
        record(uow, ctx, Action.MEDIA_HANDIN_COMPLETE, subject_type="handin", subject_id=handin.id,
               subject_name=f"交接 {handin.device_number}",
               after_dict={"media_ids": [str(m) for m in completion.media_ids],
                           "deadline": format_time(handin.deadline), "stored_late": late})
        uow.commit()
    return completion


def list_handins(uow: UnitOfWork, ctx: Ctx, *, open_only: bool = False
                 ) -> list[tuple[Handin, HandinCompletion | None]]:
    """Hand-ins the actor may see (finding:view), newest first, each with its completion."""
    scope = visible_units(ctx.actor, Permission.FINDING_VIEW)
    if ctx.actor.bureau_id is None:
        raise ValidationFailed("请指定机关", "no bureau chosen", code="bureau.required")
    with uow:
        handins = uow.handins.in_scope(ctx.actor.bureau_id, scope)
        done = uow.handins.completions_in_scope(ctx.actor.bureau_id, scope)
    return [(h, done.get(h.id)) for h in handins if not (open_only and h.id in done)]
