"""Approval rules: the emergency start's 24 hours (Art. 9), the collective discussion signed by
every participant (Art. 18) and the decision made only after its chain's approval (Art. 19).
Pure functions over plain data (``ApprovalFacts``).

"The decision is made" is the case's latest forward move into service (送达 needs a decision,
Art. 20–21): at that moment the decision approval must have been approved, and every
participant of a collective discussion of the case must have signed. Both look at the record as
it stood then (``state_of(..., until=decided_at)``): a signature or approval added afterwards is
back-filled, which Art. 6 does not allow, so the finding stays and names it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from lawtrail.domain.approvals import (
    STATUS_LABELS,
    Approval,
    ApprovalAction,
    ApprovalRequest,
    CaseRef,
    Status,
    Step,
    decision_required,
    in_order,
    next_approver,
    state_of,
)
from lawtrail.domain.cases import Stage
from lawtrail.domain.findings import DUE_SOON, Finding, RuleSpec, Severity, Subject, finding
from lawtrail.domain.rules.common import local

ART09_EMERGENCY = RuleSpec("ART09-EMERGENCY-APPROVAL-24H", "第九条", Severity.ERROR,
                           "紧急先行启动的，应在启动后24小时内补报审批",
                           "an emergency start is approved within 24 hours")
ART18_SIGNED = RuleSpec("ART18-DISCUSSION-SIGNED", "第十八条", Severity.ERROR,
                        "集体讨论记录应由参加人员签名", "a collective discussion record is signed by every participant")
ART19_CHAIN = RuleSpec("ART19-APPROVAL-CHAIN", "第十九条", Severity.ERROR,
                       "作出决定前应经承办人员、执法机构及机关负责人审批",
                       "a decision is approved by the handler, the unit head and the agency head first")

#: Every rule of this module by id.
RULES: dict[str, RuleSpec] = {r.id: r for r in (ART09_EMERGENCY, ART18_SIGNED, ART19_CHAIN)}

DECIDED_STAGES = frozenset({Stage.SERVICE, Stage.EXECUTION, Stage.ARCHIVE})


@dataclass(frozen=True)
class ApprovalFacts:
    """The cases concerned (with approvals, or decided), every request and action of them, and
    when each decided case last moved forward into service. ``names`` maps user ids to names."""

    cases: dict[UUID, CaseRef]
    requests: list[ApprovalRequest]
    actions: list[ApprovalAction]
    decided_at: dict[UUID, datetime]
    names: dict[UUID, str] = field(default_factory=dict)


def _subject(case: CaseRef) -> Subject:
    return Subject("case", str(case.id), case.title)


def _by_case(facts: ApprovalFacts) -> dict[UUID, list[Approval]]:
    acts: dict[UUID, list[ApprovalAction]] = defaultdict(list)
    for action in facts.actions:
        acts[action.request_id].append(action)
    out: dict[UUID, list[Approval]] = defaultdict(list)
    for r in sorted(facts.requests, key=lambda r: r.submitted_at):
        mine = tuple(sorted(acts.get(r.id, ()), key=in_order))
        out[r.case_id].append(Approval(r, mine, state_of(r, mine), facts.cases.get(r.case_id)))
    return out


def emergency_approval(case: CaseRef, approvals: list[Approval], *, now: datetime,
                       due_soon: timedelta = DUE_SOON) -> list[Finding]:
    """ART09-EMERGENCY-APPROVAL-24H: the case started in an emergency and its initiation is not
    approved; due 24 h after the (first) emergency start. Cleared once approved."""
    starts = [a for a in approvals if a.request.step is Step.INITIATION and a.request.emergency]
    if not starts or any(a.request.step is Step.INITIATION and a.state.status is Status.APPROVED
                         for a in approvals):
        return []
    first = min(starts, key=lambda a: a.request.submitted_at)
    due = first.request.due_at
    assert due is not None  # an emergency request has a due time
    latest = max(starts, key=lambda a: a.request.submitted_at)
    waiting = next_approver(latest)
    where = f"待{waiting}" if waiting else STATUS_LABELS.get(latest.state.status, "") if latest.state.status else ""
    zh = (f"{local(first.request.submitted_at)} 紧急先行启动（{first.request.emergency_reason}），"
          f"立案审批应于 {local(due)} 前完成，目前：{where}")
    en = (f"emergency start at {local(first.request.submitted_at)}: the initiation approval is due by "
          f"{local(due)}; now {latest.state.status.value if latest.state.status else 'not submitted'}")
    return [finding(ART09_EMERGENCY, _subject(case), zh, en, now=now, due_at=due, due_soon=due_soon,
                    unit_id=str(case.unit_id), people=(str(first.request.submitted_by),))]


def discussion_signed(case: CaseRef, approvals: list[Approval], decided_at: datetime, *, now: datetime,
                      names: dict[UUID, str]) -> list[Finding]:
    """ART18-DISCUSSION-SIGNED: a collective discussion of a decided case that some participant
    had not signed when the decision was made (withdrawn discussions do not count)."""
    out = []
    for a in approvals:
        if a.request.step is not Step.DISCUSSION:
            continue
        then = state_of(a.request, a.actions, until=decided_at)
        if then.status in (None, Status.WITHDRAWN, Status.APPROVED):
            continue
        missing = [p for p in a.request.participants if p not in then.signed]
        who = "、".join(names.get(p, str(p)) for p in missing)
        zh = (f"{local(a.request.submitted_at)} 的集体讨论记录在作出决定（{local(decided_at)}）时"
              f"尚缺参加人员签名：{who}")
        en = (f"the collective discussion of {local(a.request.submitted_at)} lacked {len(missing)} participant "
              f"signature(s) when the decision was made ({local(decided_at)}): {who}")
        out.append(finding(ART18_SIGNED, _subject(case), zh, en, now=now, due_at=decided_at,
                           unit_id=str(case.unit_id), people=tuple(str(p) for p in missing)))
    return out


def approval_chain(case: CaseRef, approvals: list[Approval], decided_at: datetime, *,
                   now: datetime) -> list[Finding]:
    """ART19-APPROVAL-CHAIN: a general-procedure case moved to service (the decision made) without
    its decision approval approved by then."""
    if not decision_required(case):
        return []
    decisions = [a for a in approvals if a.request.step is Step.DECISION]
    states = [(a, state_of(a.request, a.actions, until=decided_at)) for a in decisions]
    if any(s.status is Status.APPROVED for _, s in states):
        return []
    standing = [(a, s) for a, s in states if s.status is not None]
    if standing:
        a, s = standing[-1]
        if s.status is Status.PENDING:
            what_zh = f"决定审批尚缺{a.request.chain[s.level - 1].label}"
        else:
            what_zh = f"决定审批{STATUS_LABELS[s.status]}"  # type: ignore[index]
        what_en = f"the decision approval was {s.status.value if s.status else ''}"
    else:
        what_zh, what_en = "未提交决定审批", "no decision approval was submitted"
    zh = f"案件于 {local(decided_at)} 进入送达环节（已作出决定），但此前{what_zh}"
    en = f"the case moved to service (decision made) at {local(decided_at)}, but {what_en}"
    return [finding(ART19_CHAIN, _subject(case), zh, en, now=now, due_at=decided_at, unit_id=str(case.unit_id))]


def check_approvals(facts: ApprovalFacts, now: datetime, *, rule: str | None = None,
                    due_soon: timedelta = DUE_SOON) -> list[Finding]:
    """Every finding of the three rules (or only ``rule``) over ``facts``."""
    by_case = _by_case(facts)
    out: list[Finding] = []
    for case_id, case in facts.cases.items():
        approvals = by_case.get(case_id, [])
        decided = facts.decided_at.get(case_id)
        if rule in (None, ART09_EMERGENCY.id):
            out += emergency_approval(case, approvals, now=now, due_soon=due_soon)
        if decided is None or case.closed or case.stage not in DECIDED_STAGES:
            continue
        if rule in (None, ART18_SIGNED.id):
            out += discussion_signed(case, approvals, decided, now=now, names=facts.names)
        if rule in (None, ART19_CHAIN.id):
            out += approval_chain(case, approvals, decided, now=now)
    return out


def assemble(requests: Iterable[ApprovalRequest], actions: Iterable[ApprovalAction],
            cases: dict[UUID, CaseRef] | None = None) -> list[Approval]:
    """Requests with their actions and state, oldest submission first."""
    facts = ApprovalFacts(cases or {}, list(requests), list(actions), {})
    return [a for group in _by_case(facts).values() for a in group]
