"""The compliance API under /api/v1: findings (DESIGN.md's finding form), hand-ins of footage
(Art. 41) and the evidence / retention marks of an original (Art. 43, 44).

Routes translate HTTP to service calls and nothing else: permission checks are in the services
(finding:view to read, media:handin and media:evidence to write); inputs are strict (unknown
fields refused), every error is problem+json with a zh/en message.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from lawtrail.domain.evidence import Handin, HandinCompletion, MediaMark
from lawtrail.domain.findings import FindingStatus, status_at
from lawtrail.errors import invalid
from lawtrail.services import evidence as evidence_svc
from lawtrail.services import findings as findings_svc
from lawtrail.services import handins as handin_svc
from lawtrail.services import workbench as workbench_svc
from lawtrail.web.api.schemas import In
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1", tags=["compliance"])
Who = Annotated[Principal, Depends(api_principal)]


# ---- shapes -----------------------------------------------------------------------------------

def _utc(value: datetime | None) -> datetime | None:
    """Times go out in UTC whatever zone they came in with (as the stored rows give them back)."""
    return value.astimezone(UTC) if value is not None else None


class SubjectOut(BaseModel):
    type: str
    id: str
    name: str


class FindingOut(BaseModel):
    """DESIGN.md's finding object (plus the unit and the people directly responsible)."""

    rule: str
    article: str
    severity: str
    subject: SubjectOut
    message_zh: str
    message_en: str
    due_at: str | None = Field(description="UTC, e.g. 2026-11-26T08:30:00.000000Z; null without a deadline")
    status: str = Field(description="open | due_soon | overdue")
    unit_id: str | None
    people: list[str]


class HandinIn(In):
    device_number: str = Field(min_length=1, max_length=40)
    handed_in_at: datetime | None = Field(None, description="default: now; with a time zone")
    officer_id: UUID | None = Field(None, description="default: the device's holder at the hand-in time")
    exception: str | None = Field(None, description="long_continuous_work | out_of_town | on_water | remote_area")
    returned_at: datetime | None = Field(None, description="the return to the unit; required with an exception")
    note: str = ""


class CompleteIn(In):
    media_ids: list[UUID] | None = Field(
        None, min_length=1, max_length=10_000,
        description="default: every original of the device no hand-in accounts for yet")


class CompletionOut(BaseModel):
    handin_id: UUID
    completed_at: datetime
    actor_name: str
    media_ids: list[UUID]

    @classmethod
    def of(cls, c: HandinCompletion) -> CompletionOut:
        return cls(handin_id=c.handin_id, completed_at=_utc(c.completed_at), actor_name=c.actor_name,
                   media_ids=list(c.media_ids))


class HandinOut(BaseModel):
    id: UUID
    unit_id: UUID
    device_id: UUID
    device_number: str
    officer_id: UUID | None
    handed_in_at: datetime
    exception: str | None
    returned_at: datetime | None
    note: str
    recorded_by_name: str
    recorded_at: datetime
    deadline: datetime
    status: str = Field(description="completed, or the deadline's open | due_soon | overdue")
    completion: CompletionOut | None

    @classmethod
    def of(cls, h: Handin, done: HandinCompletion | None, status: str) -> HandinOut:
        return cls(id=h.id, unit_id=h.unit_id, device_id=h.device_id, device_number=h.device_number,
                   officer_id=h.officer_id, handed_in_at=_utc(h.handed_in_at),
                   exception=h.exception.value if h.exception else None, returned_at=_utc(h.returned_at),
                   note=h.note, recorded_by_name=h.recorded_by_name, recorded_at=_utc(h.recorded_at),
                   deadline=_utc(h.deadline),
                   status=status, completion=CompletionOut.of(done) if done else None)


class MarkIn(In):
    evidence: bool
    collector: str = ""
    collected_at: datetime | None = None
    place: str = ""
    situations: list[str] = Field(default_factory=list, max_length=10,
                                  description="objection | obstruction | mass_incident | other")
    situation_note: str = ""
    retention: str | None = Field(None, description="standard | long_term; default: follows the mark")
    retain_until: datetime | None = Field(None, description="a later end for standard retention")


class MarkOut(BaseModel):
    media_id: UUID
    version: int
    evidence: bool
    collector: str
    collected_at: datetime | None
    place: str
    situations: list[str]
    situation_note: str
    retention: str
    retain_until: datetime | None
    actor_name: str
    at: datetime
    missing_note_items: list[str]

    @classmethod
    def of(cls, m: MediaMark) -> MarkOut:
        return cls(media_id=m.media_id, version=m.version, evidence=m.evidence, collector=m.collector,
                   collected_at=_utc(m.collected_at), place=m.place, situations=[s.value for s in m.situations],
                   situation_note=m.situation_note, retention=m.retention.value, retain_until=_utc(m.retain_until),
                   actor_name=m.actor_name, at=_utc(m.at), missing_note_items=list(m.missing_note_items()))


class MarkHistoryOut(BaseModel):
    media_id: UUID
    sha256: str
    original_name: str
    marks: list[MarkOut] = Field(description="every version, oldest first")


# ---- findings ---------------------------------------------------------------------------------

@router.get("/findings", response_model=list[FindingOut])
def list_findings(request: Request, who: Who,
                  rule: Annotated[str | None, Query(max_length=80)] = None,
                  status: FindingStatus | None = None,
                  unit: UUID | None = None,
                  subject_type: Annotated[str | None, Query(max_length=40)] = None,
                  subject_id: Annotated[str | None, Query(max_length=80)] = None,
                  case: UUID | None = None) -> list[dict[str, Any]]:
    """The findings now: overdue first, then due soon, then open. ``subject_type`` and
    ``subject_id`` go together (a media file, a hand-in …); ``case`` gives the findings of the
    case, its records and the media linked to it (404 ``case.not_found`` for an unknown case)."""
    if (subject_type is None) != (subject_id is None):
        raise invalid("subject_id", "subject_type 与 subject_id 须同时给出",
                      "subject_type and subject_id go together")
    c, ctx = container(request), who.ctx(request)
    subject = (subject_type, subject_id) if subject_type is not None and subject_id is not None else None
    # Evaluated read-only (no write lock while the rules run), stored in a short write after.
    found = findings_svc.evaluate(c.uow(read_only=True), ctx, ctx.now, settings=c.rules, catalogue=c.catalogue,
                                  rule=rule, unit=unit, subject=subject, status=status, case=case, keep=c.uow())
    return [f.to_json() for f in found]


class RuleCountOut(BaseModel):
    rule: str
    article: str
    open: int
    due_soon: int
    overdue: int
    total: int


class UnitCountOut(BaseModel):
    unit_id: str | None = Field(description="null: findings of the bureau itself, of no unit")
    name: str
    open: int
    due_soon: int
    overdue: int
    total: int
    rules: list[RuleCountOut]


class SummaryOut(BaseModel):
    generated_at: datetime
    units: list[UnitCountOut] = Field(description="every unit the caller may see, most overdue first")


@router.get("/findings/summary", response_model=SummaryOut)
def findings_summary(request: Request, who: Who, rule: Annotated[str | None, Query(max_length=80)] = None,
                     unit: UUID | None = None) -> SummaryOut:
    """Per unit the findings now by status (open, due_soon, overdue) and by rule: the 单位合规看板
    as JSON (finding:view; officers and unit heads: their own unit)."""
    c, ctx = container(request), who.ctx(request)
    summary = workbench_svc.unit_summary(c.uow(), ctx, settings=c.rules, catalogue=c.catalogue, unit=unit, rule=rule)
    names = summary.names
    return SummaryOut(generated_at=summary.generated_at.astimezone(UTC), units=[
        UnitCountOut.model_validate({**row.to_json(), "name": names.get(row.unit_id or "", "") if row.unit_id
                                     else "机关"}) for row in summary.rows])


# ---- hand-ins ---------------------------------------------------------------------------------

def _handin_status(request: Request, h: Handin, done: HandinCompletion | None, now: datetime) -> str:
    if done is not None:
        return "completed"
    return status_at(h.deadline, now, due_soon=container(request).rules.due_soon).value


@router.get("/handins", response_model=list[HandinOut])
def list_handins(request: Request, who: Who,
                 open_only: Annotated[bool, Query(alias="open")] = False) -> list[HandinOut]:
    """Hand-ins the caller may see, newest first; ``open=true``: only those not completed."""
    ctx = who.ctx(request)
    rows = handin_svc.list_handins(container(request).uow(), ctx, open_only=open_only)
    return [HandinOut.of(h, done, _handin_status(request, h, done, ctx.now)) for h, done in rows]


@router.post("/handins", response_model=HandinOut, status_code=201)
def record_handin(request: Request, who: Who, body: HandinIn) -> HandinOut:
    """Record that a device's footage was handed in (Art. 41); due 24 h later, or 24 h after the return."""
    ctx = who.ctx(request)
    h = handin_svc.record_handin(container(request).uow(), ctx, device_number=body.device_number,
                                 handed_in_at=body.handed_in_at, officer_id=body.officer_id,
                                 exception=body.exception, returned_at=body.returned_at, note=body.note)
    return HandinOut.of(h, None, _handin_status(request, h, None, ctx.now))


@router.post("/handins/{handin_id}/complete", response_model=CompletionOut)
def complete_handin(request: Request, who: Who, handin_id: UUID, body: CompleteIn | None = None) -> CompletionOut:
    """State that the hand-in's footage is stored, linking the originals (409 when done before)."""
    done = handin_svc.complete_handin(container(request).uow(), who.ctx(request), handin_id,
                                      media_ids=body.media_ids if body else None)
    return CompletionOut.of(done)


# ---- evidence marks ---------------------------------------------------------------------------

@router.get("/media/{media_id}/marks", response_model=MarkHistoryOut)
def list_marks(request: Request, who: Who, media_id: UUID) -> MarkHistoryOut:
    media, marks = evidence_svc.list_marks(container(request).uow(), who.ctx(request), media_id)
    return MarkHistoryOut(media_id=media.id, sha256=media.sha256, original_name=media.original_name,
                          marks=[MarkOut.of(m) for m in marks])


@router.post("/media/{media_id}/marks", response_model=MarkOut, status_code=201)
def add_mark(request: Request, who: Who, media_id: UUID, body: MarkIn) -> MarkOut:
    """Add the next version of the original's mark: evidence with the written note (who
    collected it, when, where — Art. 43), Art. 44 situations, retention."""
    c = container(request)
    mark = evidence_svc.mark_media(c.uow(), who.ctx(request), media_id, policy=c.rules.retention,
                                   evidence=body.evidence, collector=body.collector, collected_at=body.collected_at,
                                   place=body.place, situations=body.situations, situation_note=body.situation_note,
                                   retention=body.retention, retain_until=body.retain_until)
    return MarkOut.of(mark)


__all__ = ["router"]
