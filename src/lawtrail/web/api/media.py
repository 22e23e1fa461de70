"""The media API under /api/v1/media: the list, one original, its Art. 42 registration, the
download of the original (recorded, Art. 45) and the refused alterations (Art. 37).

Permission checks live in ``services.media``; routes translate HTTP and nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field

from lawtrail.domain.vault import MediaRecord, Registration, missing_items
from lawtrail.services import media as media_svc
from lawtrail.services import prefill as prefill_svc
from lawtrail.web.api.schemas import In
from lawtrail.web.auth import Principal, api_principal, container
from lawtrail.web.ranges import serve

router = APIRouter(prefix="/api/v1/media", tags=["media"])
Who = Annotated[Principal, Depends(api_principal)]


class RegistrationOut(BaseModel):
    version: int
    unit_name: str
    category: str
    device_number: str
    officer_id: UUID | None
    officer_name: str
    used_from: datetime | None
    used_to: datetime | None
    party: str
    case_name: str
    missing: list[str]
    actor_name: str
    at: datetime

    @classmethod
    def of(cls, r: Registration) -> RegistrationOut:
        return cls(version=r.version, unit_name=r.unit_name, category=r.category, device_number=r.device_number,
                   officer_id=r.officer_id, officer_name=r.officer_name, used_from=r.used_from, used_to=r.used_to,
                   party=r.party, case_name=r.case_name, missing=missing_items(r), actor_name=r.actor_name,
                   at=r.at)


class MediaOut(BaseModel):
    id: UUID
    sha256: str
    size: int
    media_type: str
    original_name: str
    probe_ok: bool
    device_id: UUID
    officer_id: UUID | None
    unit_id: UUID
    captured_at: datetime | None
    captured_end: datetime | None
    handed_in_at: datetime
    stored_at: datetime
    clock_offset_s: float | None
    facts: dict[str, Any]
    registration: RegistrationOut | None
    missing: list[str]

    @classmethod
    def of(cls, m: MediaRecord, reg: Registration | None) -> MediaOut:
        return cls(id=m.id, sha256=m.sha256, size=m.size, media_type=m.media_type.value,
                   original_name=m.original_name, probe_ok=m.probe_ok, device_id=m.device_id,
                   officer_id=m.officer_id, unit_id=m.unit_id, captured_at=m.captured_at,
                   captured_end=m.captured_end, handed_in_at=m.handed_in_at, stored_at=m.stored_at,
                   clock_offset_s=m.clock_offset_s, facts=m.facts,
                   registration=RegistrationOut.of(reg) if reg else None, missing=missing_items(reg))


class MediaPageOut(BaseModel):
    items: list[MediaOut]
    total: int
    page: int
    per_page: int


class RegistrationIn(In):
    """A correction: all seven items as they should now read, and the reason (required)."""

    unit_name: str = ""
    category: str = ""
    device_number: str = ""
    officer_id: UUID | None = None
    used_from: AwareDatetime | None = None
    used_to: AwareDatetime | None = None
    party: str = ""
    case_name: str = ""
    reason: str = Field("", max_length=500)
    base_version: int | None = Field(None, ge=0)
    case_id: UUID | None = Field(None, description="accepting a case's suggestion: also link the original to it")


class SourceOut(BaseModel):
    via: Literal["activity", "case", "device", "officer"]
    subject_id: UUID
    name: str
    at: datetime | None
    seconds_apart: float | None


class CandidateOut(BaseModel):
    source: SourceOut
    category: str
    party: str
    case_name: str
    case_id: UUID | None
    case_number: str


class SuggestionOut(BaseModel):
    unit_name: str
    category: str
    device_number: str
    officer_id: UUID | None
    officer_name: str
    used_from: datetime | None
    used_to: datetime | None
    party: str
    case_name: str
    sources: dict[str, SourceOut]
    candidates: list[CandidateOut]
    case_id: UUID | None


@router.get("", response_model=MediaPageOut)
def list_media(request: Request, who: Who, unit_id: UUID | None = None, category: str | None = None,
               device_number: str | None = None, officer_id: UUID | None = None,
               used_from: AwareDatetime | None = None, used_to: AwareDatetime | None = None,
               party: str | None = None, case_name: str | None = None, media_type: str | None = None,
               incomplete: bool | None = None, page: Annotated[int, Query(ge=1)] = 1,
               per_page: Annotated[int, Query(ge=1, le=media_svc.PER_PAGE_MAX)] = 50) -> MediaPageOut:
    """Originals the caller may see, filtered by the Art. 42 items (text filters match a part),
    media type and ``incomplete`` registration; newest capture first."""
    found = media_svc.list_media(
        container(request).uow(), who.ctx(request), unit_id=unit_id, category=category,
        device_number=device_number, officer_id=officer_id, used_from=used_from, used_to=used_to, party=party,
        case_name=case_name, media_type=media_type, incomplete=incomplete, page=page, per_page=per_page)
    return MediaPageOut(items=[MediaOut.of(r.media, r.registration) for r in found.rows], total=found.total,
                        page=found.page, per_page=found.per_page)


@router.get("/{media_id}", response_model=MediaOut)
def get_media(request: Request, who: Who, media_id: UUID) -> MediaOut:
    detail = media_svc.get_media(container(request).uow(), who.ctx(request), media_id)
    return MediaOut.of(detail.media, detail.current)


@router.get("/{media_id}/registrations", response_model=list[RegistrationOut])
def list_registrations(request: Request, who: Who, media_id: UUID) -> list[RegistrationOut]:
    """Every version of the Art. 42 registration, oldest first."""
    return [RegistrationOut.of(r) for r in
            media_svc.registrations(container(request).uow(), who.ctx(request), media_id)]


@router.post("/{media_id}/registrations", response_model=RegistrationOut, status_code=201)
def correct_registration(request: Request, who: Who, media_id: UUID, body: RegistrationIn) -> RegistrationOut:
    """Register the items anew as the next version (never an update), with the reason."""
    reg = media_svc.correct_registration(
        container(request).uow(), who.ctx(request), media_id, unit_name=body.unit_name, category=body.category,
        device_number=body.device_number, officer_id=body.officer_id, used_from=body.used_from,
        used_to=body.used_to, party=body.party, case_name=body.case_name, reason=body.reason,
        base_version=body.base_version, case_id=body.case_id)
    return RegistrationOut.of(reg)


@router.get("/{media_id}/suggestion", response_model=SuggestionOut)
def suggestion(request: Request, who: Who, media_id: UUID) -> SuggestionOut:
    """A prefill of the seven items from the original, its device, the on-site activity it was
    recorded at, the officer's open cases and neighbouring clips (candidates best first)."""
    s = prefill_svc.suggest_registration(container(request).uow(), who.ctx(request), media_id)
    return SuggestionOut(
        unit_name=s.unit_name, category=s.category, device_number=s.device_number, officer_id=s.officer_id,
        officer_name=s.officer_name, used_from=s.used_from, used_to=s.used_to, party=s.party,
        case_name=s.case_name, sources={k: SourceOut(**vars(v)) for k, v in s.sources.items()},
        candidates=[CandidateOut(source=SourceOut(**vars(c.source)), category=c.category, party=c.party,
                                 case_name=c.case_name, case_id=c.case_id, case_number=c.case_number)
                    for c in s.candidates], case_id=s.case_id)


@router.get("/{media_id}/content", response_class=Response,
            responses={200: {"description": "the original"}, 206: {"description": "one byte range"},
                       416: {"description": "range not satisfiable"}})
def download(request: Request, who: Who, media_id: UUID) -> Response:
    """Download the original (``Range`` supported). Every request is one recorded
    ``media:original:download`` event naming the range asked for."""
    c = container(request)
    original = media_svc.open_original(c.uow(), who.ctx(request), c.blobs, media_id, purpose="download",
                                       range_spec=request.headers.get("range"))
    return serve(request, size=original.size, etag=original.etag, media_type=original.content_type,
                 filename=original.media.original_name, download=True,
                 open_range=lambda start, end: media_svc.read_range(c.blobs, original, start, end))


@router.delete("/{media_id}", status_code=204, responses={422: {"description": "always: Art. 37"}})
def delete_media(request: Request, who: Who, media_id: UUID) -> Response:
    """Always refused (Art. 37: originals are never deleted); the attempt is recorded."""
    media_svc.refuse_alteration(container(request).uow(), who.ctx(request), media_id, attempt="delete")


@router.put("/{media_id}/content", status_code=204, responses={422: {"description": "always: Art. 37"}})
def replace_content(request: Request, who: Who, media_id: UUID) -> Response:
    """Always refused (Art. 37: originals are never cut or edited); the body is not read, the
    attempt is recorded."""
    media_svc.refuse_alteration(container(request).uow(), who.ctx(request), media_id, attempt="replace")
