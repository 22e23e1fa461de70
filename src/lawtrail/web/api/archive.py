"""The archive API under /api/v1 (Art. 39–44): retention of every original and the policy
preview, legal holds, disposal proposals, decisions and certificates.

Routes translate HTTP to service calls and nothing else: permission checks are in the services
(archive:manage to propose, hold and read retention; archive:approve to decide); inputs are
strict (unknown fields refused), every error is problem+json with a zh/en message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from lawtrail.domain.archive import Disposal, LegalHold
from lawtrail.domain.events import format_time
from lawtrail.domain.evidence import parse_retention
from lawtrail.errors import NotFound
from lawtrail.services import disposal as disposal_svc
from lawtrail.services import retention as retention_svc
from lawtrail.web.api.schemas import In
from lawtrail.web.auth import Principal, api_principal, container
from lawtrail.web.ledger_runtime import signer, uow

router = APIRouter(prefix="/api/v1/archive", tags=["archive"])
Who = Annotated[Principal, Depends(api_principal)]


def _t(value: datetime | None) -> str | None:
    return format_time(value) if value is not None else None


def _hold(h: LegalHold) -> dict[str, Any]:
    return {"id": str(h.id), "target": h.target.value, "target_id": str(h.target_id), "target_name": h.target_name,
            "reason": h.reason, "placed_by": h.placed_by_name, "placed_at": _t(h.placed_at), "active": h.active,
            "released_by": h.released_by_name or None, "released_at": _t(h.released_at),
            "release_reason": h.release_reason or None}


def _disposal(d: Disposal) -> dict[str, Any]:
    return {"id": str(d.id), "status": d.status.value, "reason": d.reason, "proposed_by": d.proposed_by_name,
            "proposed_at": _t(d.proposed_at),
            "items": [{"media_id": str(i.media_id), "name": i.name, "sha256": i.sha256, "size": i.size,
                       "retention": i.retention.value, "retain_until": _t(i.retain_until)} for i in d.items],
            "decisions": [{"kind": x.kind.value, "by": x.actor_name, "at": _t(x.at), "note": x.note,
                           "ledger_index": x.ledger_index} for x in d.decisions]}


@router.get("/retention")
def retention_list(request: Request, who: Who, disposable: bool = False) -> list[dict[str, Any]]:
    """Every original of the bureau with its retention, and whether it may be disposed of now."""
    c = container(request)
    rows = retention_svc.retention_list(c.uow(), who.ctx(request), c.rules.retention, only_disposable=disposable)
    return [{"media_id": str(r.facts.media.id), "name": r.facts.media.original_name, "sha256": r.facts.media.sha256,
             "retention": r.retention.retention.value, "until": _t(r.retention.until),
             "reasons": list(r.retention.reasons), "held": bool(r.facts.holds), "disposed": r.facts.disposed,
             "disposable": r.disposable, "refusals": list(r.refusals)} for r in rows]


class PolicyIn(In):
    standard_months: int = Field(ge=0, le=10_000)
    archival_months: int = Field(ge=0, le=10_000)


@router.post("/retention/preview")
def retention_preview(request: Request, who: Who, body: PolicyIn) -> list[dict[str, Any]]:
    """The originals the candidate policy would make disposable now (nothing is changed)."""
    c = container(request)
    candidate = parse_retention({"version": 1, "classes": {
        "standard": {"months": body.standard_months}, "long_term": {"months": None},
        "archival": {"months": body.archival_months}}})
    found = retention_svc.preview_policy(c.uow(), who.ctx(request), c.rules.retention, candidate)
    return [{"media_id": str(f.media.id), "name": f.media.original_name, "sha256": f.media.sha256,
             "until": _t(r.until)} for f, r in found]


@router.get("/holds")
def holds(request: Request, who: Who) -> list[dict[str, Any]]:
    return [_hold(h) for h in retention_svc.list_holds(container(request).uow(), who.ctx(request))]


class HoldIn(In):
    target: str = Field(pattern="^(media|case)$")
    target_id: UUID
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/holds", status_code=201)
def hold_place(request: Request, who: Who, body: HoldIn) -> dict[str, Any]:
    return _hold(retention_svc.place_hold(container(request).uow(), who.ctx(request), target=body.target,
                                          target_id=body.target_id, reason=body.reason))


class ReasonIn(In):
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/holds/{hold_id}/release")
def hold_release(request: Request, who: Who, hold_id: UUID, body: ReasonIn) -> dict[str, Any]:
    return _hold(retention_svc.release_hold(container(request).uow(), who.ctx(request), hold_id, reason=body.reason))


@router.get("/disposals")
def disposals(request: Request, who: Who) -> list[dict[str, Any]]:
    return [_disposal(d) for d in disposal_svc.list_disposals(container(request).uow(), who.ctx(request))]


class DisposalIn(In):
    media_ids: list[UUID] = Field(min_length=1, max_length=disposal_svc.MAX_ITEMS)
    reason: str = Field(min_length=1, max_length=1000)


@router.post("/disposals", status_code=201)
def disposal_propose(request: Request, who: Who, body: DisposalIn) -> dict[str, Any]:
    c = container(request)
    return _disposal(disposal_svc.propose_disposal(c.uow(), who.ctx(request), policy=c.rules.retention,
                                                   media_ids=body.media_ids, reason=body.reason))


class NoteIn(In):
    note: str = Field(default="", max_length=1000)


@router.post("/disposals/{disposal_id}/approve")
def disposal_approve(request: Request, who: Who, disposal_id: UUID, body: NoteIn) -> dict[str, Any]:
    """Approve (another person than the proposer) and carry out; ``locked`` carries the Object
    Lock refusal when the bytes could not be deleted yet (the disposal then stays approved)."""
    c = container(request)
    outcome = disposal_svc.approve_disposal(uow(c), who.ctx(request), c.blobs, signer(c), policy=c.rules.retention,
                                            disposal_id=disposal_id, note=body.note)
    return _disposal(outcome.disposal) | {"locked": outcome.locked.as_dict() if outcome.locked else None}


@router.post("/disposals/{disposal_id}/reject")
def disposal_reject(request: Request, who: Who, disposal_id: UUID, body: NoteIn) -> dict[str, Any]:
    c = container(request)
    return _disposal(disposal_svc.reject_disposal(c.uow(), who.ctx(request), policy=c.rules.retention,
                                                  disposal_id=disposal_id, note=body.note))


@router.post("/disposals/{disposal_id}/execute")
def disposal_execute(request: Request, who: Who, disposal_id: UUID) -> dict[str, Any]:
    c = container(request)
    return _disposal(disposal_svc.execute_disposal(uow(c), who.ctx(request), c.blobs, signer(c),
                                                   policy=c.rules.retention, disposal_id=disposal_id))


@router.get("/disposals/{disposal_id}/certificate")
def disposal_certificate(request: Request, who: Who, disposal_id: UUID) -> dict[str, Any]:
    """The signed disposal certificate (``body`` + Ed25519 ``signature`` over its canonical JSON)."""
    found = disposal_svc.get_disposal(container(request).uow(), who.ctx(request), disposal_id)
    execute = next((d for d in found.decisions if d.certificate is not None), None)
    if execute is None or execute.certificate is None:
        raise NotFound("尚无销毁证明", "no disposal certificate yet", code="archive.no_certificate")
    return dict(execute.certificate)
