"""The access API under /api/v1/access (Art. 45–47): requests and their moves, the register,
requests from outside, clearances and levels. Routes translate HTTP to service calls; the
services check permissions and validate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from lawtrail.domain.grants import Grant
from lawtrail.domain.outside import OutsideDecision, OutsideRequest
from lawtrail.domain.register import RegisterRow
from lawtrail.services import grants as svc
from lawtrail.services import outside as outside_svc
from lawtrail.services import register as register_svc
from lawtrail.services import secrecy as secrecy_svc
from lawtrail.web.api.schemas import In
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1/access", tags=["access"])
Who = Annotated[Principal, Depends(api_principal)]


class RequestIn(In):
    purpose: str = Field(max_length=2000)
    ends_at: datetime
    starts_at: datetime | None = None
    case_id: UUID | None = None
    media_ids: list[UUID] = Field(default_factory=list, max_length=1000)


class ReasonIn(In):
    reason: str = Field("", max_length=2000)


class DecisionOut(BaseModel):
    status: str
    actor_name: str
    at: datetime
    reason: str


class RequestOut(BaseModel):
    id: UUID
    requester_id: UUID
    requester_name: str
    purpose: str
    case_id: UUID | None
    media_ids: list[UUID]
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    status: str
    decisions: list[DecisionOut]

    @classmethod
    def of(cls, grant: Grant, now: datetime) -> RequestOut:
        r = grant.request
        return cls(id=r.id, requester_id=r.requester_id, requester_name=r.requester_name, purpose=r.purpose,
                   case_id=r.case_id, media_ids=list(r.media_ids), starts_at=r.starts_at, ends_at=r.ends_at,
                   created_at=r.created_at, status=grant.status(now).value,
                   decisions=[DecisionOut(status=d.status.value, actor_name=d.actor_name, at=d.at, reason=d.reason)
                              for d in grant.decisions])


@router.post("/requests", response_model=RequestOut, status_code=201)
def create_request(request: Request, who: Who, body: RequestIn) -> RequestOut:
    c = container(request)
    grant = svc.request_access(c.uow(), who.ctx(request), purpose=body.purpose, ends_at=body.ends_at,
                               starts_at=body.starts_at, case_id=body.case_id, media_ids=body.media_ids)
    return RequestOut.of(grant, c.clock.now())


@router.get("/requests", response_model=list[RequestOut])
def list_requests(request: Request, who: Who, scope: Literal["mine", "pending", "all"] = "mine") -> list[RequestOut]:
    c = container(request)
    return [RequestOut.of(v.grant, c.clock.now()) for v in svc.list_requests(c.uow(), who.ctx(request), scope=scope)]


@router.get("/requests/{request_id}", response_model=RequestOut)
def get_request(request: Request, who: Who, request_id: UUID) -> RequestOut:
    c = container(request)
    return RequestOut.of(svc.get_request(c.uow(), who.ctx(request), request_id).grant, c.clock.now())


@router.post("/requests/{request_id}/{move}", response_model=RequestOut)
def move_request(request: Request, who: Who, request_id: UUID, move: Literal["approve", "refuse", "withdraw",
                                                                             "revoke"],
                 body: ReasonIn) -> RequestOut:
    c = container(request)
    call = {"approve": svc.approve, "refuse": svc.refuse, "withdraw": svc.withdraw, "revoke": svc.revoke}[move]
    grant = call(c.uow(), who.ctx(request), request_id, reason=body.reason)
    return RequestOut.of(grant, c.clock.now())


class RegisterRowOut(BaseModel):
    seq: int
    at: datetime
    actor_id: UUID | None
    actor_name: str
    unit_name: str
    action: str
    outcome: str
    subject_id: str
    subject_name: str
    purpose: str
    basis: str
    grant_id: str
    level: str
    code: str

    @classmethod
    def of(cls, r: RegisterRow) -> RegisterRowOut:
        return cls(seq=r.seq, at=r.at, actor_id=r.actor_id, actor_name=r.actor_name, unit_name=r.unit_name,
                   action=r.action, outcome=r.outcome, subject_id=r.subject_id, subject_name=r.subject_name,
                   purpose=r.purpose, basis=r.basis, grant_id=r.grant_id, level=r.level, code=r.code)


class RegisterOut(BaseModel):
    total: int
    page: int
    per_page: int
    rows: list[RegisterRowOut]


@router.get("/register", response_model=RegisterOut)
def register(request: Request, who: Who, person: UUID | None = None, unit: UUID | None = None,
             case: UUID | None = None, start: datetime | None = None, end: datetime | None = None,
             outcome: str | None = None, page: int = 1, per_page: int = 50) -> RegisterOut:
    found = register_svc.register_page(container(request).uow(), who.ctx(request), actor_id=person, unit_id=unit,
                                       case_id=case, start=start, end=end, outcome=outcome, page=page,
                                       per_page=per_page)
    return RegisterOut(total=found.total, page=found.page, per_page=found.per_page,
                       rows=[RegisterRowOut.of(r) for r in found.rows])


class OutsideIn(In):
    kind: str
    requester_name: str = Field(max_length=2000)
    requester_org: str = Field("", max_length=2000)
    legal_basis: str = Field(max_length=2000)
    purpose: str = Field(max_length=2000)
    asked: str = Field(max_length=4000)
    wants_copy: bool = False
    received_at: datetime
    case_id: UUID | None = None


class OutsideDecisionIn(In):
    outcome: str
    reason: str = Field(max_length=2000)
    media_ids: list[UUID] = Field(default_factory=list, max_length=1000)


class OutsideOut(BaseModel):
    id: UUID
    kind: str
    requester_name: str
    requester_org: str
    legal_basis: str
    purpose: str
    asked: str
    wants_copy: bool
    received_at: datetime
    decision: dict[str, Any] | None

    @classmethod
    def of(cls, r: OutsideRequest, d: OutsideDecision | None) -> OutsideOut:
        decision = None if d is None else {
            "outcome": d.outcome.value, "approver_name": d.approver_name, "reason": d.reason, "at": d.at.isoformat(),
            "provided": [p.as_dict() for p in d.provided]}
        return cls(id=r.id, kind=r.kind.value, requester_name=r.requester_name, requester_org=r.requester_org,
                   legal_basis=r.legal_basis, purpose=r.purpose, asked=r.asked, wants_copy=r.wants_copy,
                   received_at=r.received_at, decision=decision)


@router.post("/outside", response_model=OutsideOut, status_code=201)
def record_outside(request: Request, who: Who, body: OutsideIn) -> OutsideOut:
    r = outside_svc.record_request(container(request).uow(), who.ctx(request), **body.model_dump())
    return OutsideOut.of(r, None)


@router.get("/outside", response_model=list[OutsideOut])
def list_outside(request: Request, who: Who) -> list[OutsideOut]:
    return [OutsideOut.of(r, d) for r, d in outside_svc.list_requests(container(request).uow(), who.ctx(request))]


@router.post("/outside/{request_id}/decision", response_model=OutsideOut)
def decide_outside(request: Request, who: Who, request_id: UUID, body: OutsideDecisionIn) -> OutsideOut:
    c = container(request)
    outside_svc.decide_request(c.uow(), who.ctx(request), request_id, outcome=body.outcome, reason=body.reason,
                               media_ids=body.media_ids)
    found = [(r, d) for r, d in outside_svc.list_requests(c.uow(), who.ctx(request)) if r.id == request_id]
    return OutsideOut.of(*found[0])


class LevelIn(In):
    level: str
    reason: str = Field(max_length=2000)


class ClearanceIn(In):
    levels: list[str] = Field(max_length=10)
    reason: str = Field(max_length=2000)


@router.put("/cases/{case_id}/level")
def set_case_level(request: Request, who: Who, case_id: UUID, body: LevelIn) -> dict[str, str]:
    c = container(request)
    case = secrecy_svc.set_case_level(c.uow(), who.ctx(request), case_id, level=body.level, reason=body.reason,
                                      state_secret_content=c.settings.state_secret_content_allowed)
    return {"case_id": str(case.id), "level": case.secrecy}


@router.put("/media/{media_id}/level")
def set_media_level(request: Request, who: Who, media_id: UUID, body: LevelIn) -> dict[str, str]:
    c = container(request)
    row = secrecy_svc.set_media_level(c.uow(), who.ctx(request), media_id, level=body.level, reason=body.reason,
                                      state_secret_content=c.settings.state_secret_content_allowed)
    return {"media_id": str(row.media_id), "level": row.level.value}


@router.put("/users/{user_id}/clearance")
def set_clearance(request: Request, who: Who, user_id: UUID, body: ClearanceIn) -> dict[str, Any]:
    row = secrecy_svc.set_clearance(container(request).uow(), who.ctx(request), user_id, levels=body.levels,
                                    reason=body.reason)
    return {"user_id": str(row.user_id), "levels": sorted(v.value for v in row.levels), "version": row.version}
