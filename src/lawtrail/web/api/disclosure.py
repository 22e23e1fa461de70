"""The disclosure API under /api/v1/disclosures (Art. 37): requests naming the recipient and the
purpose, their moves, and the exports made (the marked copies are made by the page or
``lawtrail disclosure export``, whose transcodes can take long). The services check permissions
and validate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from lawtrail.domain.disclosure import Disclosure, DisclosureExport
from lawtrail.services import disclosure as svc
from lawtrail.web.api.schemas import In
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1/disclosures", tags=["disclosure"])
Who = Annotated[Principal, Depends(api_principal)]


class DisclosureIn(In):
    recipient_name: str = Field(max_length=1000)
    recipient_org: str = Field("", max_length=1000)
    purpose: str = Field(max_length=2000)
    media_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    attachment_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    publish: bool = False
    secret_confirmed: bool = False


class ReasonIn(In):
    reason: str = Field("", max_length=2000)


class DecisionOut(BaseModel):
    status: str
    actor_name: str
    at: datetime
    reason: str


class CopyOut(BaseModel):
    kind: str
    item_id: UUID
    name: str
    original_sha256: str
    copy_sha256: str
    copy_size: int
    method: str


class ExportOut(BaseModel):
    id: UUID
    at: datetime
    actor_name: str
    manifest_sha256: str
    copies: list[CopyOut]

    @classmethod
    def of(cls, e: DisclosureExport) -> ExportOut:
        return cls(id=e.id, at=e.at, actor_name=e.actor_name, manifest_sha256=e.manifest_sha256,
                   copies=[CopyOut(**c.as_dict()) for c in e.copies])


class DisclosureOut(BaseModel):
    id: UUID
    requester_id: UUID
    requester_name: str
    recipient_name: str
    recipient_org: str
    purpose: str
    publish: bool
    secret_confirmed: bool
    media_ids: list[UUID]
    attachment_ids: list[UUID]
    created_at: datetime
    status: str
    decisions: list[DecisionOut]
    exports: list[ExportOut] = Field(default_factory=list)

    @classmethod
    def of(cls, d: Disclosure, exports: list[DisclosureExport] | None = None) -> DisclosureOut:
        r = d.request
        return cls(id=r.id, requester_id=r.requester_id, requester_name=r.requester_name,
                   recipient_name=r.recipient_name, recipient_org=r.recipient_org, purpose=r.purpose,
                   publish=r.publish, secret_confirmed=r.secret_confirmed, media_ids=list(r.media_ids),
                   attachment_ids=list(r.attachment_ids),
                   created_at=r.created_at, status=d.status.value,
                   decisions=[DecisionOut(status=x.status.value, actor_name=x.actor_name, at=x.at, reason=x.reason)
                              for x in d.decisions],
                   exports=[ExportOut.of(e) for e in exports or []])


@router.post("", response_model=DisclosureOut, status_code=201)
def create(request: Request, who: Who, body: DisclosureIn) -> DisclosureOut:
    c = container(request)
    return DisclosureOut.of(svc.request_disclosure(
        c.uow(), who.ctx(request), recipient_name=body.recipient_name, recipient_org=body.recipient_org,
        purpose=body.purpose, media_ids=body.media_ids, attachment_ids=body.attachment_ids, publish=body.publish,
        secret_confirmed=body.secret_confirmed))


@router.get("", response_model=list[DisclosureOut])
def list_all(request: Request, who: Who, pending: bool = False) -> list[DisclosureOut]:
    return [DisclosureOut.of(d) for d in svc.list_requests(container(request).uow(), who.ctx(request),
                                                           pending=pending)]


@router.get("/{request_id}", response_model=DisclosureOut)
def get_one(request: Request, who: Who, request_id: UUID) -> DisclosureOut:
    found, exports = svc.get_request(container(request).uow(), who.ctx(request), request_id)
    return DisclosureOut.of(found, exports)


@router.post("/{request_id}/{move}", response_model=DisclosureOut)
def move(request: Request, who: Who, request_id: UUID, move: Literal["approve", "refuse", "withdraw"],
         body: ReasonIn) -> DisclosureOut:
    """approve / refuse (a leader; never one's own request) or withdraw (the requester)."""
    uow, ctx = container(request).uow(), who.ctx(request)
    if move == "approve":
        return DisclosureOut.of(svc.approve(uow, ctx, request_id, reason=body.reason))
    if move == "refuse":
        return DisclosureOut.of(svc.refuse(uow, ctx, request_id, reason=body.reason))
    return DisclosureOut.of(svc.withdraw(uow, ctx, request_id, reason=body.reason))
