"""Use cases of requests from outside the bureau (Art. 46): record what a party or another
agency asked and on what legal basis; record the bureau head's decision and exactly what was
provided (each original with its digest and size, read or copied). One event each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.events import Action
from lawtrail.domain.org import Problems, clean_text
from lawtrail.domain.outside import Outcome, OutsideDecision, OutsideRequest, Provided, Requester
from lawtrail.errors import NotFound, ValidationFailed
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, require_bureau_wide
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record

MAX_ITEMS = 200


def _name(request: OutsideRequest) -> str:
    return f"外部查阅申请 {request.requester_name} {str(request.id)[:8]}"


def record_request(uow: UnitOfWork, ctx: Ctx, *, kind: str, requester_name: str, requester_org: str,
                   legal_basis: str, purpose: str, asked: str, wants_copy: bool, received_at: datetime,
                   case_id: UUID | None = None) -> OutsideRequest:
    """Record a request from a party or another agency (access:outside, bureau-wide): one
    ``access:outside:record`` event. Raise ValidationFailed for a missing name, legal basis,
    purpose or description, an unknown kind, a naive or future receipt time; NotFound for a case
    not of the bureau."""
    problems = Problems()
    try:
        who = Requester(kind)
    except ValueError:
        problems.add("kind", "申请人类别须为当事人或其他机关", "kind is party or agency")
        who = Requester.PARTY
    name = clean_text(requester_name, "requester_name", "申请人", problems, max_len=100)
    org = clean_text(requester_org, "requester_org", "所在单位", problems, max_len=200,
                     required=who is Requester.AGENCY)
    basis = clean_text(legal_basis, "legal_basis", "法律依据", problems, max_len=500)
    why = clean_text(purpose, "purpose", "用途", problems, max_len=500)
    what = clean_text(asked, "asked", "申请查阅的内容", problems, max_len=1000)
    if received_at.utcoffset() is None:
        problems.add("received_at", "收到时间须带时区", "the receipt time must carry a time zone")
    elif received_at > ctx.now:
        problems.add("received_at", "收到时间不能晚于现在", "the receipt time is in the future")
    problems.raise_if_any()
    require_bureau_wide(ctx.actor, Permission.ACCESS_OUTSIDE)
    assert ctx.actor.bureau_id is not None
    with uow:
        if case_id is not None:
            case = uow.cases.get(case_id)
            if case is None or case.bureau_id != ctx.actor.bureau_id:
                raise NotFound("案件不存在", "no such case", code="case.not_found")
        request = OutsideRequest(
            id=uuid.uuid4(), bureau_id=ctx.actor.bureau_id, kind=who, requester_name=name, requester_org=org,
            legal_basis=basis, purpose=why, wants_copy=wants_copy, case_id=case_id, asked=what,
            received_at=received_at, recorded_by_id=ctx.actor.user_id, recorded_by=ctx.actor.name[:100],
            recorded_at=ctx.now)
        uow.access.add_outside(request)
        record(uow, ctx, Action.OUTSIDE_REQUEST, subject_type="outside_request", subject_id=request.id,
               subject_name=_name(request), after_dict={
                   "kind": who.value, "requester_name": name, "requester_org": org, "legal_basis": basis,
                   "purpose": why, "asked": what, "wants_copy": wants_copy,
                   "case_id": str(case_id) if case_id else None})
        uow.commit()
    return request


def decide_request(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, outcome: str, reason: str,
                   media_ids: Sequence[UUID] = ()) -> OutsideDecision:
    """The bureau head decides (access:approve): granted or partly granted with the originals
    provided (each recorded with its digest and size; copied when the request asked for copies),
    or refused with nothing provided. One ``access:outside:decide`` event. Raise ValidationFailed
    for an unknown outcome, a missing reason, items with a refusal or none with a grant, unknown
    originals; Conflict ``outside.decided``; NotFound."""
    problems = Problems()
    try:
        result = Outcome(outcome)
    except ValueError:
        problems.add("outcome", "决定须为同意、部分同意或不同意", "outcome is granted, partly or refused")
        result = Outcome.REFUSED
    text = clean_text(reason, "reason", "理由", problems, max_len=500)
    ids = tuple(dict.fromkeys(media_ids))
    if result is Outcome.REFUSED and ids:
        problems.add("media_ids", "不同意的，不得提供任何材料", "a refusal provides nothing")
    if result is not Outcome.REFUSED and not ids:
        problems.add("media_ids", "同意提供的，须列明提供的材料", "list what is provided")
    if len(ids) > MAX_ITEMS:
        problems.add("media_ids", f"一次最多{MAX_ITEMS}件", f"at most {MAX_ITEMS} items")
    problems.raise_if_any()
    require(ctx.actor, Permission.ACCESS_APPROVE)
    with uow:
        found = uow.access.outside(request_id)
        if found is None or found[0].bureau_id != ctx.actor.bureau_id:
            raise NotFound("外部查阅申请不存在", "no such outside request", code="outside.not_found")
        request = found[0]
        provided = []
        for media_id in ids:
            media = uow.media.get(media_id)
            if media is None or media.bureau_id != request.bureau_id:
                raise ValidationFailed(f"输入有误：音像资料 {media_id} 不存在",
                                       f"Invalid input: no original {media_id}", code="validation_failed")
            provided.append(Provided(media.id, media.original_name, media.sha256, media.size, request.wants_copy))
        decision = OutsideDecision(request.id, result, ctx.actor.user_id, ctx.actor.name[:100], text,
                                   tuple(provided), ctx.now)
        uow.access.decide_outside(decision)
        record(uow, ctx, Action.OUTSIDE_DECIDE, subject_type="outside_request", subject_id=request.id,
               subject_name=_name(request), after_dict={"outcome": result.value, "reason": text,
                                                        "provided": [p.as_dict() for p in provided]})
        uow.commit()
    return decision


def list_requests(uow: UnitOfWork, ctx: Ctx) -> list[tuple[OutsideRequest, OutsideDecision | None]]:
    """Every outside request of the bureau with its decision, newest first (access:outside or
    access:approve, bureau-wide)."""
    require_bureau_wide(ctx.actor, Permission.ACCESS_OUTSIDE)
    if ctx.actor.bureau_id is None:
        return []
    with uow:
        return uow.access.list_outside(ctx.actor.bureau_id)
