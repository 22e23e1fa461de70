"""The cases API under /api/v1/cases: list, read, open, edit, parties, handlers, stage moves,
closing and media links. Routes translate HTTP to service calls; the services check permissions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from lawtrail.domain.cases import (
    ACTION_TYPE_LABELS,
    STAGE_LABELS,
    ActionType,
    Case,
    CaseFilter,
    Handler,
    MediaLink,
    Stage,
    next_stages,
)
from lawtrail.domain.org import User, cert_status, local_date
from lawtrail.domain.parties import Party, PartyInput
from lawtrail.errors import invalid
from lawtrail.services import cases as svc
from lawtrail.services.case_input import CaseDetails
from lawtrail.web.api.schemas import In
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
Who = Annotated[Principal, Depends(api_principal)]


class PartyIn(In):
    kind: str
    name: str
    id_number: str = ""
    legal_rep: str = ""
    address: str = ""
    phone: str = ""

    def data(self) -> PartyInput:
        return PartyInput(**self.model_dump())


class DetailsIn(In):
    action_type: str
    procedure: str
    origin: str
    name: str
    cause: str
    origin_detail: str = ""
    complainant_real_name: bool | None = None
    complainant_name: str = ""
    complainant_contact: str = ""

    def data(self) -> CaseDetails:
        return CaseDetails(**self.model_dump(include=set(DetailsIn.model_fields)))


class CaseIn(DetailsIn):
    unit_id: UUID
    parties: list[PartyIn] = Field(default_factory=list, max_length=50)
    handler_ids: list[UUID] = Field(default_factory=list, max_length=20)
    lead_id: UUID | None = None


class HandlersIn(In):
    handler_ids: list[UUID] = Field(max_length=20)
    lead_id: UUID | None = None


class StageIn(In):
    to: str
    reason: str = ""
    correction: bool = False


class CloseIn(In):
    reason: str


class MediaIn(In):
    media_id: UUID
    reason: str = ""


class UnlinkIn(In):
    reason: str


class CaseOut(BaseModel):
    id: UUID
    number: str
    name: str
    cause: str
    unit_id: UUID
    action_type: str
    action_type_label: str
    procedure: str
    origin: str
    origin_detail: str
    complainant_real_name: bool | None
    complainant_name: str
    complainant_contact: str
    stage: str
    stage_label: str
    opened_at: datetime
    ended_at: datetime | None
    closed_kind: str | None
    closed_reason: str
    secrecy: str
    next_stages: list[str]

    @classmethod
    def of(cls, c: Case) -> CaseOut:
        return cls(id=c.id, number=c.number, name=c.name, cause=c.cause, unit_id=c.unit_id,
                   action_type=c.action_type.value, action_type_label=ACTION_TYPE_LABELS[c.action_type],
                   procedure=c.procedure.value, origin=c.origin.value, origin_detail=c.origin_detail,
                   complainant_real_name=c.complainant_real_name, complainant_name=c.complainant_name,
                   complainant_contact=c.complainant_contact, stage=c.stage.value, stage_label=STAGE_LABELS[c.stage],
                   opened_at=c.opened_at, ended_at=c.ended_at,
                   closed_kind=c.closed_kind.value if c.closed_kind else None, closed_reason=c.closed_reason,
                   secrecy=c.secrecy, next_stages=[s.value for s in next_stages(c)])


class PartyOut(BaseModel):
    id: UUID
    kind: str
    name: str
    id_number: str
    legal_rep: str
    address: str
    phone: str
    added_at: datetime

    @classmethod
    def of(cls, p: Party) -> PartyOut:
        return cls(id=p.id, kind=p.kind.value, name=p.name, id_number=p.id_number, legal_rep=p.legal_rep,
                   address=p.address, phone=p.phone, added_at=p.added_at)


class HandlerOut(BaseModel):
    user_id: UUID
    name: str | None
    lead: bool
    cert_status: str | None

    @classmethod
    def of(cls, h: Handler, user: User | None, today: date) -> HandlerOut:
        return cls(user_id=h.user_id, name=user.display_name if user else None, lead=h.lead,
                   cert_status=cert_status(user.certificate, today).value if user else None)


class LinkOut(BaseModel):
    media_id: UUID
    linked: bool
    at: datetime
    actor_name: str
    reason: str

    @classmethod
    def of(cls, x: MediaLink) -> LinkOut:
        return cls(media_id=x.media_id, linked=x.linked, at=x.at, actor_name=x.actor_name, reason=x.reason)


class CaseDetailOut(CaseOut):
    parties: list[PartyOut]
    handlers: list[HandlerOut]
    stages: list[dict[str, Any]]
    media: list[dict[str, Any]]
    links: list[LinkOut]


class CasePageOut(BaseModel):
    items: list[CaseOut]
    total: int
    page: int
    page_size: int


def _detail(request: Request, who: Principal, case_id: UUID) -> CaseDetailOut:
    d = svc.get_case(container(request).uow(), who.ctx(request), case_id)
    today = local_date(container(request).clock.now())
    stages = [{"from": s.from_stage.value if s.from_stage else None, "to": s.to_stage.value, "at": s.at,
               "by": s.actor_name, "reason": s.reason, "correction": s.correction} for s in d.stages]
    media = [{"id": str(m.id), "sha256": m.sha256, "name": m.original_name, "media_type": m.media_type.value,
              "captured_at": m.captured_at} for m in d.media]
    return CaseDetailOut(**CaseOut.of(d.case).model_dump(), parties=[PartyOut.of(p) for p in d.parties],
                         handlers=[HandlerOut.of(h, u, today) for h, u in d.handlers], stages=stages,
                         media=media, links=[LinkOut.of(x) for x in d.links])


def _enum(kind: Any, value: str | None, name: str) -> Any:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise invalid(name, f"{name} 取值无效", f"unknown {name} {value!r}") from None


@router.get("", response_model=CasePageOut)
def list_cases(request: Request, who: Who, stage: str | None = None, action_type: str | None = None,
               unit_id: UUID | None = None, handler_id: UUID | None = None, party: str = "", number: str = "",
               page: Annotated[int, Query(ge=1)] = 1,
               page_size: Annotated[int, Query(ge=1, le=svc.PAGE_SIZE_MAX)] = svc.PAGE_SIZE) -> CasePageOut:
    """The cases the caller may see, newest first, filtered and paginated."""
    flt = CaseFilter(stage=_enum(Stage, stage, "stage"), action_type=_enum(ActionType, action_type, "action_type"),
                     unit_id=unit_id, handler_id=handler_id, party=party.strip()[:100], number=number.strip()[:80])
    found = svc.list_cases(container(request).uow(), who.ctx(request), flt, page=page, page_size=page_size)
    return CasePageOut(items=[CaseOut.of(c) for c in found.items], total=found.total, page=found.page,
                       page_size=found.page_size)


@router.post("", response_model=CaseDetailOut, status_code=201)
def open_case(request: Request, who: Who, body: CaseIn) -> CaseDetailOut:
    case = svc.open_case(container(request).uow(), who.ctx(request), unit_id=body.unit_id, details=body.data(),
                         parties=[p.data() for p in body.parties], handler_ids=body.handler_ids,
                         lead_id=body.lead_id)
    return _detail(request, who, case.id)


@router.get("/{case_id}", response_model=CaseDetailOut)
def get_case(request: Request, who: Who, case_id: UUID) -> CaseDetailOut:
    return _detail(request, who, case_id)


@router.put("/{case_id}", response_model=CaseOut)
def update_case(request: Request, who: Who, case_id: UUID, body: DetailsIn) -> CaseOut:
    """Replace the descriptive details (every field is sent)."""
    return CaseOut.of(svc.update_case_details(container(request).uow(), who.ctx(request), case_id,
                                              details=body.data()))


@router.post("/{case_id}/parties", response_model=PartyOut, status_code=201)
def add_party(request: Request, who: Who, case_id: UUID, body: PartyIn) -> PartyOut:
    return PartyOut.of(svc.add_party(container(request).uow(), who.ctx(request), case_id, body.data()))


@router.put("/{case_id}/handlers", response_model=list[HandlerOut])
def set_handlers(request: Request, who: Who, case_id: UUID, body: HandlersIn) -> list[HandlerOut]:
    svc.set_handlers(container(request).uow(), who.ctx(request), case_id, handler_ids=body.handler_ids,
                     lead_id=body.lead_id)
    return _detail(request, who, case_id).handlers


@router.post("/{case_id}/stage", response_model=CaseOut)
def advance_stage(request: Request, who: Who, case_id: UUID, body: StageIn) -> CaseOut:
    """Move to stage ``to`` (forward as the table allows; back only with ``correction`` and a reason)."""
    return CaseOut.of(svc.advance_stage(container(request).uow(), who.ctx(request), case_id, to=body.to,
                                        reason=body.reason, correction=body.correction))


@router.post("/{case_id}/close", response_model=CaseOut)
def close_case(request: Request, who: Who, case_id: UUID, body: CloseIn) -> CaseOut:
    return CaseOut.of(svc.close_case(container(request).uow(), who.ctx(request), case_id, reason=body.reason))


@router.post("/{case_id}/media", response_model=LinkOut, status_code=201)
def link_media(request: Request, who: Who, case_id: UUID, body: MediaIn) -> LinkOut:
    c = container(request)
    return LinkOut.of(svc.link_media(c.uow(), who.ctx(request), case_id, body.media_id, reason=body.reason,
                                     state_secret_content=c.settings.state_secret_content_allowed))


@router.post("/{case_id}/media/{media_id}/unlink", response_model=LinkOut)
def unlink_media(request: Request, who: Who, case_id: UUID, media_id: UUID, body: UnlinkIn) -> LinkOut:
    return LinkOut.of(svc.unlink_media(container(request).uow(), who.ctx(request), case_id, media_id,
                                       reason=body.reason))
