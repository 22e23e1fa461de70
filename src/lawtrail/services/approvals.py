"""Use cases of approvals (审批): submit a step of a case (or resubmit it after a return), give an
opinion on it (approve, return, refuse; a discussion's participants sign), withdraw it; and the
reads: the inbox of one person (what waits for them now) and the approvals of a case.

Each change is one transaction with one ledger event on the case (``case:approval:submit``,
``case:approval:act``, ``case:approval:withdraw``); a refusal raises before anything is written.
Permissions: ``case:manage`` on the case's unit to submit and withdraw, ``approval:act`` to give an
opinion (the level decides who exactly: ``domain.approvals.approver_problem``), ``case:view`` to read.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.approvals import (
    MAX_PARTICIPANTS,
    MIN_PARTICIPANTS,
    PARTICIPANT_ROLES,
    SUBMISSION_LABELS,
    TERMINAL,
    Approval,
    ApprovalAction,
    ApprovalRequest,
    CaseRef,
    Decision,
    Status,
    Step,
    approver_problem,
    check_submittable,
    move,
    waiting_on,
)
from lawtrail.domain.cases import Case, Stage
from lawtrail.domain.events import Action
from lawtrail.domain.org import Problems, User
from lawtrail.domain.rules.approvals import assemble
from lawtrail.errors import InvalidTransition, LawtrailError, NotFound, PermissionDenied, ValidationFailed
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record

OPINION_MAX = 2000
ACTS = (Decision.APPROVE, Decision.RETURN, Decision.REFUSE)

__all__ = ["CaseApprovals", "InboxItem", "act", "case_approvals", "inbox", "participant_candidates", "submit",
           "waiting_count", "withdraw"]


@dataclass(frozen=True)
class InboxItem:
    """One request waiting for the person: their opinion, or (returned) their resubmission."""

    approval: Approval
    case: CaseRef

    @property
    def due_at(self) -> datetime | None:
        return self.approval.request.due_at


@dataclass(frozen=True)
class CaseApprovals:
    """A case's approvals for its page: each request with its actions and state, which of them
    the reader may give an opinion on now, whether they may submit or withdraw, the steps they may
    submit now, and the names of the people involved."""

    approvals: list[Approval]
    may_act: frozenset[UUID]
    may_manage: bool
    submittable: list[Step]
    names: dict[UUID, str]


# ---- helpers ------------------------------------------------------------------------------------


def _case(uow: UnitOfWork, ctx: Ctx, case_id: UUID) -> Case:
    case = uow.cases.get(case_id)
    if case is None or (ctx.actor.bureau_id and case.bureau_id != ctx.actor.bureau_id):
        raise NotFound("案件不存在", "no such case", code="case.not_found")
    return case


def _person(ctx: Ctx) -> UUID:
    if ctx.actor.user_id is None:
        raise PermissionDenied("审批事项须由本人办理并签署", "approvals are submitted and signed by a person",
                               code="approval.person_required")
    return ctx.actor.user_id


def _request(uow: UnitOfWork, ctx: Ctx, request_id: UUID) -> tuple[Approval, Case]:
    found = uow.approvals.get(request_id)
    if found is None:
        raise NotFound("审批事项不存在", "no such approval request", code="approval.not_found")
    request, actions = found
    case = _case(uow, ctx, request.case_id)
    return assemble([request], actions)[0], case


def _live(case: Case) -> None:
    if case.closed or case.stage is Stage.ARCHIVE:
        raise InvalidTransition("案件已终结或归档，审批不能再办理", "the case has ended; its approvals cannot change",
                                code="approval.case_ended")


def _approvals(uow: UnitOfWork, case_id: UUID) -> list[Approval]:
    return assemble(*uow.approvals.for_case(case_id))


def _event(uow: UnitOfWork, ctx: Ctx, action: Action, case: Case, after: dict[str, Any]) -> None:
    record(uow, ctx, action, subject_type="case", subject_id=case.id, subject_name=case.title[:300],
           after_dict=after)


def _keep_waiting(uow: UnitOfWork, case: Case, approval: Approval) -> None:
    """Store who the request waits for now (decision 0035), in the transaction of its action."""
    uow.approvals.set_waiting(approval.request, case.bureau_id, case.unit_id,
                              waiting_on(approval.request, approval.state))


def _text(value: str | None, field_name: str, label: str, problems: Problems, *, max_len: int = OPINION_MAX,
          required: bool = True) -> str:
    """Like ``org.clean_text``, but an opinion may run over several lines (newlines and tabs kept)."""
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n")).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        problems.add(field_name, f"{label}含有控制字符", f"{field_name} contains control characters")
    if required and not text:
        problems.add(field_name, f"{label}不能为空", f"{field_name} must not be empty")
    elif len(text) > max_len:
        problems.add(field_name, f"{label}不能超过{max_len}个字符",
                     f"{field_name} must be at most {max_len} characters")
    return text


def _step(raw: Step | str, problems: Problems) -> Step | None:
    try:
        return Step(raw)
    except ValueError:
        problems.add("step", "未知的审批事项", f"unknown step {raw!r}")
        return None


def _check_participants(uow: UnitOfWork, ctx: Ctx, case: Case, ids: Sequence[UUID]) -> None:
    """Each participant an active person of the bureau who gives opinions (unit head, leader,
    legal reviewer), listed once, not the submitter; between MIN and MAX of them."""
    problems = Problems()
    if len(set(ids)) != len(ids):
        problems.add("participants", "参加人员不能重复", "a participant is listed twice")
    if not MIN_PARTICIPANTS <= len(set(ids)) <= MAX_PARTICIPANTS:
        problems.add("participants", f"参加人员应为{MIN_PARTICIPANTS}至{MAX_PARTICIPANTS}人",
                     f"a discussion has {MIN_PARTICIPANTS} to {MAX_PARTICIPANTS} participants")
    for user_id in ids:
        user = uow.users.get(user_id)
        if user is None or user.bureau_id != case.bureau_id or not user.active:
            problems.add("participants", "参加人员不存在或已停用", "unknown or inactive participant")
        elif not (user.roles & PARTICIPANT_ROLES):
            problems.add("participants", f"{user.display_name}不是执法机构负责人、机关负责人或法制审核人员",
                         f"{user.username} is not a unit head, leader or legal reviewer")
        elif user.id == ctx.actor.user_id:
            problems.add("participants", "提交人不能作为签名的参加人员", "the submitter cannot sign as a participant")
    problems.raise_if_any()


# ---- changes ------------------------------------------------------------------------------------


def submit(uow: UnitOfWork, ctx: Ctx, case_id: UUID, *, step: Step | str, opinion: str, emergency: bool = False,
           emergency_reason: str = "", participants: Sequence[UUID] = ()) -> Approval:
    """Submit ``step`` of the case with the handler's opinion (a discussion: its conclusions and
    participants), or resubmit the returned request of that step. ``emergency`` (initiation only,
    with a reason) records an emergency start: the case may then start investigating at once and
    the approval is due within 24 h (Art. 9).

    Raise ValidationFailed for bad input, PermissionDenied without ``case:manage``, InvalidTransition
    when the step does not apply now (wrong stage, pending or approved already, ended case)."""
    problems = Problems()
    chosen = _step(step, problems)
    label = SUBMISSION_LABELS.get(chosen, "意见") if chosen else "意见"
    opinion = _text(opinion, "opinion", label, problems)
    emergency_reason = _text(emergency_reason, "emergency_reason", "紧急启动理由", problems,
                             max_len=1000) if emergency else ""
    if emergency and chosen is not None and chosen is not Step.INITIATION:
        problems.add("emergency", "只有立案审批可以紧急先行启动", "only initiation may start in an emergency")
    if chosen is not None and chosen is not Step.DISCUSSION and participants:
        problems.add("participants", "只有集体讨论列明参加人员", "only a discussion has participants")
    problems.raise_if_any()
    assert chosen is not None
    me = _person(ctx)
    with uow:
        case = _case(uow, ctx, case_id)
        require(ctx.actor, Permission.CASE_MANAGE, bureau_id=case.bureau_id, unit_id=case.unit_id)
        approvals = _approvals(uow, case.id)
        returned = next((a for a in approvals if a.request.step is chosen and a.state.status is Status.RETURNED),
                        None)
        if emergency and (returned or case.stage is not Stage.INITIATION):
            raise InvalidTransition("紧急先行启动只能在程序启动环节首次报批时登记",
                                    "an emergency start is recorded with the first initiation submission",
                                    code="approval.emergency_late", article="第九条")
        check_submittable(case, chosen, approvals)
        if returned is not None:
            if participants and tuple(participants) != returned.request.participants:
                raise ValidationFailed("重新提交不能更改参加人员；请撤回后重新提交",
                                       "a resubmission keeps its participants; withdraw and submit anew",
                                       code="approval.participants_fixed")
            request = returned.request
        else:
            if chosen is Step.DISCUSSION:
                _check_participants(uow, ctx, case, list(participants))
            request = ApprovalRequest(id=uuid.uuid4(), case_id=case.id, step=chosen, submitted_by=me,
                                      submitted_by_name=ctx.actor.name[:100], submitted_at=ctx.now,
                                      emergency=emergency, emergency_reason=emergency_reason,
                                      participants=tuple(participants))
            uow.approvals.add_request(request)
        action = ApprovalAction(id=uuid.uuid4(), request_id=request.id, level=0, actor_id=me,
                                actor_name=ctx.actor.name[:100], decision=Decision.SUBMIT, opinion=opinion,
                                at=ctx.now, seq=len(returned.actions) if returned else 0)
        uow.approvals.add_action(action)
        after: dict[str, Any] = {"request_id": str(request.id), "step": chosen.value, "opinion": opinion,
                                 "resubmitted": returned is not None}
        if request.emergency and returned is None:
            after |= {"emergency": True, "emergency_reason": emergency_reason}
        if request.participants:
            after["participants"] = [str(p) for p in request.participants]
        _event(uow, ctx, Action.CASE_APPROVAL_SUBMIT, case, after)
        result = assemble([request], [*(returned.actions if returned else ()), action])[0]
        _keep_waiting(uow, case, result)
        uow.commit()
    return result


def act(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, decision: Decision | str, opinion: str,
        advice: str = "") -> Approval:
    """Give the opinion the request waits for: approve (a participant signs), return it to the
    handler with the reason, or refuse it. ``advice`` is the legal review's 建议 (Art. 16).

    Raise ValidationFailed for bad input, PermissionDenied when it is not the actor's level (or
    their own submission), InvalidTransition when the request cannot take this decision."""
    problems = Problems()
    try:
        chosen = Decision(decision)
        if chosen not in ACTS:
            raise ValueError(chosen)
    except ValueError:
        problems.add("decision", "审批结论应为同意、退回或不同意", "decision must be approve, return or refuse")
        chosen = Decision.APPROVE
    label = "退回理由" if chosen is Decision.RETURN else ("不同意的理由" if chosen is Decision.REFUSE else "意见")
    opinion = _text(opinion, "opinion", label, problems)
    advice = _text(advice, "advice", "建议", problems, required=False)
    problems.raise_if_any()
    me = _person(ctx)
    with uow:
        approval, case = _request(uow, ctx, request_id)
        request, state = approval.request, approval.state
        unit = None if request.step is Step.DISCUSSION else case.unit_id  # participants may come from any unit
        require(ctx.actor, Permission.APPROVAL_ACT, bureau_id=case.bureau_id, unit_id=unit)
        _live(case)
        if advice and request.step is not Step.LEGAL_REVIEW:
            raise ValidationFailed("只有法制审核填写审核建议", "only a legal review gives advice",
                                   code="validation_failed")
        problem = approver_problem(ctx.actor, request, state, case.unit_id)
        if problem is not None:
            raise problem
        after = move(request.step, state, chosen, request.participants)
        action = ApprovalAction(id=uuid.uuid4(), request_id=request.id, level=state.level, actor_id=me,
                                actor_name=ctx.actor.name[:100], decision=chosen, opinion=opinion, at=ctx.now,
                                advice=advice, final=after in TERMINAL, seq=len(approval.actions))
        uow.approvals.add_action(action)
        level = request.chain[state.level - 1].label if state.level else ""
        _event(uow, ctx, Action.CASE_APPROVAL_ACT, case, {
            "request_id": str(request.id), "step": request.step.value, "level": state.level, "level_label": level,
            "decision": chosen.value, "opinion": opinion, **({"advice": advice} if advice else {}),
            "status": after.value})
        result = assemble([request], [*approval.actions, action])[0]
        _keep_waiting(uow, case, result)
        uow.commit()
    return result


def withdraw(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, reason: str) -> Approval:
    """Withdraw a pending or returned request, with the reason (``case:manage``); it ends withdrawn
    and the step may be submitted anew. An emergency start stays recorded (its 24 h still run).
    On an archived case it also removes the case's stored findings (decision 0048)."""
    problems = Problems()
    reason = _text(reason, "reason", "撤回理由", problems)
    problems.raise_if_any()
    me = _person(ctx)
    with uow:
        approval, case = _request(uow, ctx, request_id)
        require(ctx.actor, Permission.CASE_MANAGE, bureau_id=case.bureau_id, unit_id=case.unit_id)
        move(approval.request.step, approval.state, Decision.WITHDRAW)
        action = ApprovalAction(id=uuid.uuid4(), request_id=approval.request.id, level=0, actor_id=me,
                                actor_name=ctx.actor.name[:100], decision=Decision.WITHDRAW, opinion=reason,
                                at=ctx.now, final=True, seq=len(approval.actions))
        uow.approvals.add_action(action)
        _event(uow, ctx, Action.CASE_APPROVAL_WITHDRAW, case, {
            "request_id": str(approval.request.id), "step": approval.request.step.value, "reason": reason})
        result = assemble([approval.request], [*approval.actions, action])[0]
        _keep_waiting(uow, case, result)
        uow.commit()
    return result


# ---- reads --------------------------------------------------------------------------------------


def inbox(uow: UnitOfWork, ctx: Ctx, *, offset: int = 0, limit: int | None = None) -> list[InboxItem]:
    """What waits for the actor now (their opinion at a pending level, or the resubmission of a
    request returned to them): emergency deadlines first, then oldest first; ``offset``/``limit``
    page through it. Read from the stored waiting state (decision 0035): at most four
    statements whatever the number of requests; empty for the system or a person without any."""
    if ctx.actor.user_id is None or ctx.actor.bureau_id is None:
        return []
    with uow:
        requests, actions, cases = uow.approvals.waiting_for(ctx.actor, offset=offset, limit=limit)
    by_id = {a.request.id: a for a in assemble(requests, actions, cases)}
    return [InboxItem(by_id[r.id], cases[r.case_id]) for r in requests]


def waiting_count(uow: UnitOfWork, ctx: Ctx) -> int:
    """How many requests wait for the actor (the navigation's badge): one COUNT over the stored
    waiting state (decision 0035); 0 for the system or when it cannot be read."""
    if ctx.actor.user_id is None or ctx.actor.bureau_id is None:
        return 0
    try:
        with uow:
            return uow.approvals.count_waiting(ctx.actor)
    except LawtrailError:
        return 0


def case_approvals(uow: UnitOfWork, ctx: Ctx, case_id: UUID) -> CaseApprovals:
    """The case's approvals for its page (``case:view``): NotFound / PermissionDenied."""
    with uow:
        case = _case(uow, ctx, case_id)
        require(ctx.actor, Permission.CASE_VIEW, bureau_id=case.bureau_id, unit_id=case.unit_id)
        approvals = _approvals(uow, case.id)
        ids = {a.request.submitted_by for a in approvals} | {p for a in approvals for p in a.request.participants}
        names = {i: u.display_name for i in ids if (u := uow.users.get(i)) is not None}
    manage = _allowed(ctx, Permission.CASE_MANAGE, case)
    may_act = frozenset(a.request.id for a in approvals if a.state.status is Status.PENDING
                        and _allowed(ctx, Permission.APPROVAL_ACT, case, a.request.step)
                        and approver_problem(ctx.actor, a.request, a.state, case.unit_id) is None)
    submittable = []
    if manage and ctx.actor.user_id is not None:
        for step in Step:
            try:
                check_submittable(case, step, approvals)
            except LawtrailError:
                continue
            submittable.append(step)
    return CaseApprovals(approvals, may_act, manage, submittable, names)


def _allowed(ctx: Ctx, perm: Permission, case: Case, step: Step | None = None) -> bool:
    try:
        require(ctx.actor, perm, bureau_id=case.bureau_id,
                unit_id=None if step is Step.DISCUSSION else case.unit_id)
    except PermissionDenied:
        return False
    return True



def participant_candidates(uow: UnitOfWork, ctx: Ctx, case_id: UUID) -> list[User]:
    """Who may sit on a collective discussion of the case and sign it: the active unit heads,
    leaders and legal reviewers of the bureau, whatever their unit (``case:manage`` on the case)."""
    with uow:
        case = _case(uow, ctx, case_id)
        require(ctx.actor, Permission.CASE_MANAGE, bureau_id=case.bureau_id, unit_id=case.unit_id)
        people = uow.users.list(case.bureau_id, None)
    return [u for u in people if u.active and u.roles & PARTICIPANT_ROLES and u.id != ctx.actor.user_id]
