"""The ledger API under /api/v1/ledger: checkpoints, proofs, verification, the public key.

Proofs and results use the JSON forms DESIGN.md fixes; permission checks are in
``services.ledger`` (ledger:view to read, ledger:verify to verify or sign on demand).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from lawtrail.domain.ledger.audit import StoredCheckpoint
from lawtrail.errors import NotFound
from lawtrail.services import ledger as ledger_svc
from lawtrail.web import ledger_runtime as rt
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])
Who = Annotated[Principal, Depends(api_principal)]


class CheckpointOut(BaseModel):
    size: int
    root: str
    note: str
    created_at: datetime | None
    timestamped: bool

    @classmethod
    def of(cls, cp: StoredCheckpoint) -> CheckpointOut:
        return cls(size=cp.size, root=cp.root.hex(), note=cp.note, created_at=cp.created_at,
                   timestamped=cp.timestamp_token is not None)


class InclusionProofOut(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    hashes: list[str]


class ConsistencyProofOut(BaseModel):
    first_size: int
    second_size: int
    hashes: list[str]


class PublicKeyOut(BaseModel):
    origin: str
    vkey: str


@router.get("/checkpoints/latest", response_model=CheckpointOut)
def latest_checkpoint(request: Request, who: Who) -> CheckpointOut:
    """The latest signed checkpoint (C2SP note); 404 ``ledger.no_checkpoint`` before the first."""
    cp = ledger_svc.latest_checkpoint(rt.uow(container(request)), who.ctx(request))
    if cp is None:
        raise NotFound("尚未签发检查点", "no checkpoint has been signed yet", code="ledger.no_checkpoint")
    return CheckpointOut.of(cp)


@router.get("/checkpoints", response_model=list[CheckpointOut])
def list_checkpoints(request: Request, who: Who,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[CheckpointOut]:
    """The newest ``limit`` checkpoints, newest first."""
    found = ledger_svc.list_checkpoints(rt.uow(container(request)), who.ctx(request))
    return [CheckpointOut.of(cp) for cp in reversed(found[-limit:])]


@router.post("/checkpoints", response_model=CheckpointOut, status_code=201)
def create_checkpoint(request: Request, who: Who) -> CheckpointOut:
    """Sign a checkpoint of the current tree now (the latest one when nothing was added)."""
    c = container(request)
    cp = ledger_svc.create_checkpoint(rt.uow(c), who.ctx(request), rt.signer(c), c.settings.ledger_origin,
                                      timestamper=c.timestamper)
    return CheckpointOut.of(cp)


@router.get("/proof/{index}", response_model=InclusionProofOut)
def inclusion_proof(request: Request, who: Who, index: int,
                    size: Annotated[int | None, Query(ge=0)] = None) -> dict[str, Any]:
    """Inclusion proof of leaf ``index`` in the tree of ``size`` (default: latest checkpoint)."""
    return ledger_svc.inclusion_proof(rt.uow(container(request)), who.ctx(request), index, size).to_json()


@router.get("/consistency", response_model=ConsistencyProofOut)
def consistency_proof(request: Request, who: Who, first: Annotated[int, Query(ge=0)],
                      second: Annotated[int, Query(ge=0)]) -> dict[str, Any]:
    """Consistency proof between the trees of sizes ``first`` <= ``second``."""
    return ledger_svc.consistency_proof(rt.uow(container(request)), who.ctx(request), first, second).to_json()


@router.post("/verify")
def verify(request: Request, who: Who) -> dict[str, object]:
    """Verify the whole ledger now (as ``lawtrail ledger verify --json``) and record the run."""
    c = container(request)
    result = ledger_svc.run_verification(rt.uow(c), who.ctx(request), rt.checker(c), c.settings.ledger_origin)
    return result.to_json()


@router.get("/public-key", response_model=PublicKeyOut)
def public_key(request: Request, who: Who) -> PublicKeyOut:
    """The verifier key (C2SP ``vkey``) to check checkpoint signatures with."""
    c = container(request)
    return PublicKeyOut(origin=c.settings.ledger_origin, vkey=ledger_svc.public_key(who.ctx(request), rt.signer(c)))
