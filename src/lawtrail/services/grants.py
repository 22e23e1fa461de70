"""Use cases of access requests (Art. 45): ask, approve, refuse, withdraw, revoke, list.

Each move is one transaction with one ledger event; the move table and who may make each move
are in ``domain.grants`` (docs/decisions/0017).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from lawtrail.domain.access import Permission, allows
from lawtrail.domain.events import Action
from lawtrail.domain.grants import MAX_PERIOD, PURPOSE_MAX, AccessRequest, Decision, Grant, Status, check_move
from lawtrail.domain.org import Problems, clean_text
from lawtrail.errors import NotFound, PermissionDenied
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record

MAX_ITEMS = 100
REASON_MAX = 500
MOVE_ACTIONS: dict[Status, Action] = {Status.APPROVED: Action.ACCESS_APPROVE, Status.REFUSED: Action.ACCESS_REFUSE,
                                      Status.WITHDRAWN: Action.ACCESS_WITHDRAW, Status.REVOKED: Action.ACCESS_REVOKE}
Scope = Literal["mine", "pending", "all"]


def _not_found() -> NotFound:
    return NotFound("查阅申请不存在", "no such access request", code="access.not_found")


def _name(request: AccessRequest) -> str:
    return f"查阅申请 {request.requester_name} {str(request.id)[:8]}"


def _facts(request: AccessRequest) -> dict[str, Any]:
    return {"purpose": request.purpose, "case_id": str(request.case_id) if request.case_id else None,
            "media_ids": [str(m) for m in request.media_ids], "starts_at": request.starts_at.isoformat(),
            "ends_at": request.ends_at.isoformat(), "requester_id": str(request.requester_id)}


def _check_request(purpose: str, case_id: UUID | None, media_ids: Sequence[UUID], starts_at: datetime,
                   ends_at: datetime | None, now: datetime) -> str:
    problems = Problems()
    text = clean_text(purpose, "purpose", "查阅事由", problems, max_len=PURPOSE_MAX)
    if (case_id is None) == (not media_ids):
        problems.add("scope", "查阅范围须为一个案件，或列明的音像资料（二者择一）",
                     "the scope is either one case or listed originals")
    if len(media_ids) > MAX_ITEMS:
        problems.add("media_ids", f"一次最多申请{MAX_ITEMS}件", f"at most {MAX_ITEMS} items per request")
    if starts_at.utcoffset() is None or (ends_at is not None and ends_at.utcoffset() is None):
        problems.add("ends_at", "时间须带时区", "times must carry a time zone")
    elif ends_at is None or ends_at <= starts_at:
        problems.add("ends_at", "查阅期限的结束须晚于开始", "the period must end after it starts")
    elif ends_at <= now:
        problems.add("ends_at", "查阅期限已经结束", "the period has already ended")
    elif ends_at - starts_at > MAX_PERIOD:
        problems.add("ends_at", f"查阅期限不得超过{MAX_PERIOD.days}天", f"at most {MAX_PERIOD.days} days")
    problems.raise_if_any()
    return text


def request_access(uow: UnitOfWork, ctx: Ctx, *, purpose: str, ends_at: datetime | None,
                   case_id: UUID | None = None, media_ids: Sequence[UUID] = (),
                   starts_at: datetime | None = None) -> Grant:
    """Ask to read one case's records and originals, or the listed originals, for ``purpose``
    during ``[starts_at (default now), ends_at)`` (at most 30 days): one
    ``access:request:create`` event. Needs access:request.

    Raise ValidationFailed for a missing purpose, no or both scopes, a bad period, originals not
    of the bureau; NotFound ``case.not_found`` for a case not of the bureau."""
    require(ctx.actor, Permission.ACCESS_REQUEST)
    start = starts_at or ctx.now
    ids = tuple(dict.fromkeys(media_ids))
    text = _check_request(purpose, case_id, ids, start, ends_at, ctx.now)
    assert ends_at is not None and ctx.actor.user_id is not None and ctx.actor.bureau_id is not None
    with uow:
        if case_id is not None:
            case = uow.cases.get(case_id)
            if case is None or case.bureau_id != ctx.actor.bureau_id:
                raise NotFound("案件不存在", "no such case", code="case.not_found")
        problems = Problems()
        for media_id in ids:
            media = uow.media.get(media_id)
            if media is None or media.bureau_id != ctx.actor.bureau_id:
                problems.add("media_ids", f"音像资料 {media_id} 不存在", f"no such original {media_id}")
        problems.raise_if_any()
        user = uow.users.get(ctx.actor.user_id)
        assert user is not None
        request = AccessRequest(
            id=uuid.uuid4(), bureau_id=ctx.actor.bureau_id, requester_id=user.id,
            requester_name=user.display_name[:100], requester_unit_id=user.unit_id, purpose=text, case_id=case_id,
            media_ids=ids, starts_at=start, ends_at=ends_at, created_at=ctx.now)
        uow.access.add_request(request)
        record(uow, ctx, Action.ACCESS_REQUEST, subject_type="access_request", subject_id=request.id,
               subject_name=_name(request), after_dict=_facts(request))
        uow.commit()
    return Grant(request)


def _move(uow: UnitOfWork, ctx: Ctx, request_id: UUID, to: Status, reason: str, *, reason_required: bool) -> Grant:
    problems = Problems()
    text = clean_text(reason, "reason", "理由", problems, max_len=REASON_MAX, required=reason_required)
    problems.raise_if_any()
    with uow:
        grant = uow.access.grant(request_id)
        if grant is None or grant.request.bureau_id != ctx.actor.bureau_id:
            raise _not_found()
        before = grant.status(ctx.now)
        check_move(grant, to, ctx.actor, ctx.now)
        decision = Decision(id=uuid.uuid4(), request_id=grant.request.id, status=to, actor_id=ctx.actor.user_id,
                            actor_name=ctx.actor.name[:100], at=ctx.now, reason=text)
        uow.access.add_decision(decision)
        record(uow, ctx, MOVE_ACTIONS[to], subject_type="access_request", subject_id=grant.request.id,
               subject_name=_name(grant.request), before_dict={"status": before.value},
               after_dict={"status": to.value, "reason": text})
        uow.commit()
    return Grant(grant.request, (*grant.decisions, decision))


def approve(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, reason: str = "") -> Grant:
    """The bureau head approves (access:approve; never their own request). Raise NotFound,
    PermissionDenied (``access.own_request``), InvalidTransition (``access.bad_transition``:
    not pending, or expired), Conflict ``access.decided`` (decided meanwhile)."""
    return _move(uow, ctx, request_id, Status.APPROVED, reason, reason_required=False)


def refuse(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, reason: str) -> Grant:
    """The bureau head refuses, with a reason. Errors as ``approve``."""
    return _move(uow, ctx, request_id, Status.REFUSED, reason, reason_required=True)


def withdraw(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, reason: str = "") -> Grant:
    """The requester withdraws a pending request (PermissionDenied ``access.not_requester``)."""
    return _move(uow, ctx, request_id, Status.WITHDRAWN, reason, reason_required=False)


def revoke(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, reason: str) -> Grant:
    """The bureau head revokes an approval with immediate effect (the next read, including the
    next range request of a viewing under way, is refused). Errors as ``approve``."""
    return _move(uow, ctx, request_id, Status.REVOKED, reason, reason_required=True)


@dataclass(frozen=True)
class GrantView:
    grant: Grant
    status: Status
    can_decide: bool
    can_withdraw: bool


def list_requests(uow: UnitOfWork, ctx: Ctx, *, scope: Scope = "mine") -> list[GrantView]:
    """Requests newest first: the actor's own (access:request), the pending ones (access:approve)
    or all of the bureau (access:approve or access:register). Raise PermissionDenied otherwise."""
    if scope == "mine":
        require(ctx.actor, Permission.ACCESS_REQUEST)
    elif scope == "pending":
        require(ctx.actor, Permission.ACCESS_APPROVE)
    elif not allows(ctx.actor, Permission.ACCESS_APPROVE, bureau_id=ctx.actor.bureau_id, unit_id=None):
        require(ctx.actor, Permission.ACCESS_REGISTER)
    if ctx.actor.bureau_id is None:
        return []
    with uow:
        grants = uow.access.list_grants(ctx.actor.bureau_id,
                                        requester_id=ctx.actor.user_id if scope == "mine" else None)
    views = [_view(ctx, g) for g in grants]
    return [v for v in views if v.status == Status.REQUESTED] if scope == "pending" else views


def _view(ctx: Ctx, grant: Grant) -> GrantView:
    status = grant.status(ctx.now)
    deciding = allows(ctx.actor, Permission.ACCESS_APPROVE, bureau_id=grant.request.bureau_id, unit_id=None)
    return GrantView(grant, status,
                     can_decide=deciding and ((status == Status.REQUESTED
                                               and ctx.actor.user_id != grant.request.requester_id)
                                              or status == Status.APPROVED),
                     can_withdraw=status == Status.REQUESTED and ctx.actor.user_id == grant.request.requester_id)


def get_request(uow: UnitOfWork, ctx: Ctx, request_id: UUID) -> GrantView:
    """One request: for its requester, or whoever approves or keeps the register. NotFound else."""
    with uow:
        grant = uow.access.grant(request_id)
    if grant is None or grant.request.bureau_id != ctx.actor.bureau_id:
        raise _not_found()
    if grant.request.requester_id != ctx.actor.user_id and not any(
            allows(ctx.actor, p, bureau_id=grant.request.bureau_id, unit_id=None)
            for p in (Permission.ACCESS_APPROVE, Permission.ACCESS_REGISTER)):
        raise PermissionDenied("无权查看他人的查阅申请", "not allowed to see another person's request",
                               code="permission_denied", details={"permission": Permission.ACCESS_REGISTER.value})
    return _view(ctx, grant)


def scope_names(uow: UnitOfWork, ctx: Ctx, views: Sequence[GrantView]) -> tuple[dict[UUID, str], dict[UUID, str]]:
    """Case numbers and original names for showing the scopes of ``views`` (already permitted to
    the actor); metadata only, so nothing is read and nothing recorded."""
    case_ids = {v.grant.request.case_id for v in views if v.grant.request.case_id}
    media_ids = {m for v in views for m in v.grant.request.media_ids}
    cases: dict[UUID, str] = {}
    names: dict[UUID, str] = {}
    with uow:
        for case_id in case_ids:
            case = uow.cases.get(case_id)
            if case is not None and case.bureau_id == ctx.actor.bureau_id:
                cases[case_id] = case.number
        for media_id in media_ids:
            media = uow.media.get(media_id)
            if media is not None and media.bureau_id == ctx.actor.bureau_id:
                names[media_id] = media.original_name
    return cases, names
