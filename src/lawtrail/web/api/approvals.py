"""The approvals API: submit a step of a case and read its approvals (under /api/v1/cases/{id}),
give an opinion, withdraw, and one's own inbox (under /api/v1/approvals). Routes translate HTTP to
service calls; the services check permissions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from lawtrail.domain.approvals import (
    DECISION_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    Approval,
    ApprovalAction,
    Status,
    next_approver,
)
from lawtrail.domain.cases import STAGE_LABELS
from lawtrail.services import approvals as svc
from lawtrail.web.api.schemas import In
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1", tags=["approvals"])
Who = Annotated[Principal, Depends(api_principal)]


class SubmitIn(In):
    step: str
    opinion: str
    emergency: bool = False
    emergency_reason: str = ""
    participants: list[UUID] = Field(default_factory=list, max_length=50)


class ActIn(In):
    decision: str
    opinion: str
    advice: str = ""


class WithdrawIn(In):
    reason: str


class ActionOut(BaseModel):
    level: int
    level_label: str
    actor_id: UUID
    actor_name: str
    decision: str
    decision_label: str
    opinion: str
    advice: str
    at: datetime

    @classmethod
    def of(cls, a: ApprovalAction, label: str) -> ActionOut:
        return cls(level=a.level, level_label=label, actor_id=a.actor_id, actor_name=a.actor_name,
                   decision=a.decision.value, decision_label=DECISION_LABELS[a.decision], opinion=a.opinion,
                   advice=a.advice, at=a.at)


class ApprovalOut(BaseModel):
    id: UUID
    case_id: UUID
    step: str
    step_label: str
    status: str
    status_label: str
    level: int
    waiting_for: str
    emergency: bool
    emergency_reason: str
    due_at: datetime | None
    participants: list[UUID]
    submitted_by: UUID
    submitted_by_name: str
    submitted_at: datetime
    actions: list[ActionOut]
    may_act: bool | None = None

    @classmethod
    def of(cls, a: Approval, may_act: bool | None = None) -> ApprovalOut:
        r, s = a.request, a.state
        labels = ["承办人意见" if r.step.value != "discussion" else "讨论结论", *(lv.label for lv in r.chain)]
        return cls(id=r.id, case_id=r.case_id, step=r.step.value, step_label=STEP_LABELS[r.step],
                   status=s.status.value if s.status else "", status_label=STATUS_LABELS[s.status] if s.status else "",
                   level=s.level, waiting_for=next_approver(a), emergency=r.emergency,
                   emergency_reason=r.emergency_reason, due_at=r.due_at, participants=list(r.participants),
                   submitted_by=r.submitted_by, submitted_by_name=r.submitted_by_name, submitted_at=r.submitted_at,
                   actions=[ActionOut.of(x, labels[min(x.level, len(labels) - 1)]) for x in a.actions],
                   may_act=may_act)


class InboxOut(BaseModel):
    approval: ApprovalOut
    case_number: str
    case_name: str
    case_stage: str
    case_stage_label: str


@router.post("/cases/{case_id}/approvals", response_model=ApprovalOut, status_code=201)
def submit(request: Request, who: Who, case_id: UUID, body: SubmitIn) -> ApprovalOut:
    """Submit a step (initiation, legal_review, discussion, decision) with the handler's opinion, or
    resubmit the returned request of that step; ``emergency`` with a reason starts an initiation first."""
    return ApprovalOut.of(svc.submit(container(request).uow(), who.ctx(request), case_id, step=body.step,
                                     opinion=body.opinion, emergency=body.emergency,
                                     emergency_reason=body.emergency_reason, participants=body.participants))


@router.get("/cases/{case_id}/approvals", response_model=list[ApprovalOut])
def case_approvals(request: Request, who: Who, case_id: UUID) -> list[ApprovalOut]:
    """The case's approvals, oldest first, with every opinion; ``may_act``: the caller's turn now."""
    found = svc.case_approvals(container(request).uow(), who.ctx(request), case_id)
    return [ApprovalOut.of(a, a.request.id in found.may_act) for a in found.approvals]


@router.post("/approvals/{request_id}/actions", response_model=ApprovalOut)
def act(request: Request, who: Who, request_id: UUID, body: ActIn) -> ApprovalOut:
    """Give the opinion the request waits for: ``approve`` (a participant signs), ``return`` or ``refuse``."""
    return ApprovalOut.of(svc.act(container(request).uow(), who.ctx(request), request_id, decision=body.decision,
                                  opinion=body.opinion, advice=body.advice))


@router.post("/approvals/{request_id}/withdraw", response_model=ApprovalOut)
def withdraw(request: Request, who: Who, request_id: UUID, body: WithdrawIn) -> ApprovalOut:
    return ApprovalOut.of(svc.withdraw(container(request).uow(), who.ctx(request), request_id, reason=body.reason))


@router.get("/approvals/inbox", response_model=list[InboxOut])
def inbox(request: Request, who: Who) -> list[InboxOut]:
    """What waits for the caller now: emergency deadlines first, then the oldest."""
    items = svc.inbox(container(request).uow(), who.ctx(request))
    return [InboxOut(approval=ApprovalOut.of(i.approval, i.approval.state.status is Status.PENDING),
                     case_number=i.case.number, case_name=i.case.name,
                     case_stage=i.case.stage.value, case_stage_label=STAGE_LABELS[i.case.stage]) for i in items]
