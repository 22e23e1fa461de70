"""The records API: the record catalogue (/api/v1/catalogue) and text records on cases
(/api/v1/cases/{id}/records, /api/v1/records/{id}: versions, signatures, refusals, attachments).
Routes translate HTTP to service calls; the services check permissions and validate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from lawtrail.domain.catalogue import Catalogue, RecordKind
from lawtrail.domain.records import Attachment, Completeness, Gap, RecordVersion, Signature
from lawtrail.services import catalogue as cat_svc
from lawtrail.services import record_reads as reads
from lawtrail.services import records as svc
from lawtrail.services.ports import BlobReader
from lawtrail.web.api.schemas import In
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1", tags=["records"])
Who = Annotated[Principal, Depends(api_principal)]


class OfficerIn(In):
    user_id: UUID
    cert_shown: bool


class RecordBody(In):
    values: dict[str, Any] = Field(max_length=60)
    officers: list[OfficerIn] = Field(default_factory=list, max_length=20)
    rights_method: str = ""
    av_media_ids: list[UUID] = Field(default_factory=list, max_length=50)
    av_waiver: str = ""

    def data(self) -> svc.RecordInput:
        return svc.RecordInput(values=self.values, officers=[svc.OfficerInput(o.user_id, o.cert_shown)
                                                             for o in self.officers],
                               rights_method=self.rights_method, av_media_ids=self.av_media_ids,
                               av_waiver=self.av_waiver)


class RecordIn(RecordBody):
    kind_id: str
    stage: str = ""


class CorrectionIn(RecordBody):
    reason: str
    base_version: int | None = None


class CatalogueIn(In):
    model_config = In.model_config | {"str_max_length": 600_000}
    text: str
    reason: str
    base_version: int | None = None


def _kind(k: RecordKind) -> dict[str, Any]:
    return {"id": k.id, "name": k.name, "stages": [s.value for s in k.stages], "articles": list(k.articles),
            "av": k.av.value, "officers": k.officers, "rights_notice": k.rights_notice, "required": k.required,
            "group": k.group, "action_types": sorted(a.value for a in k.action_types),
            "procedures": sorted(p.value for p in k.procedures), "origins": sorted(o.value for o in k.origins),
            "signers": [{"capacity": s.capacity.value, "count": s.count, "count_from": s.count_from,
                         "label": s.label} for s in k.signers],
            "fields": [{"id": f.id, "label": f.label, "type": f.type.value, "required": f.required,
                        "max_len": f.max_len or None, "options": list(f.options) or None, "min": f.minimum,
                        "max_value": f.maximum, "future": f.future} for f in k.fields]}


class CatalogueOut(BaseModel):
    version: int
    sha256: str
    kinds: list[dict[str, Any]]

    @classmethod
    def of(cls, c: Catalogue) -> CatalogueOut:
        return cls(version=c.version, sha256=c.sha256, kinds=[_kind(k) for k in c.kinds])


class SignatureOut(BaseModel):
    id: UUID
    version: int
    capacity: str
    signer_name: str
    refused: bool
    method: str | None
    signed_at: datetime
    scan_id: UUID | None
    refusal_reason: str
    witness_name: str
    witness_org: str
    recorded_by: str

    @classmethod
    def of(cls, s: Signature) -> SignatureOut:
        return cls(id=s.id, version=s.record_version, capacity=s.capacity.value, signer_name=s.signer_name,
                   refused=s.refused, method=s.method.value if s.method else None, signed_at=s.signed_at,
                   scan_id=s.scan_id, refusal_reason=s.refusal_reason, witness_name=s.witness_name,
                   witness_org=s.witness_org, recorded_by=s.actor_name)


class AttachmentOut(BaseModel):
    id: UUID
    name: str
    content_type: str
    size: int
    sha256: str
    purpose: str
    added_at: datetime

    @classmethod
    def of(cls, a: Attachment) -> AttachmentOut:
        return cls(id=a.id, name=a.name, content_type=a.content_type, size=a.size, sha256=a.sha256,
                   purpose=a.purpose, added_at=a.added_at)


def _state(state: Completeness | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {"complete": state.complete, "signatures_complete": state.signatures_complete,
            "av_missing": state.av_missing,
            "slots": [{"capacity": s.capacity.value, "needed": s.needed, "given": s.given, "refused": s.refused}
                      for s in state.slots]}


class VersionOut(BaseModel):
    record_id: UUID
    version: int
    case_id: UUID
    stage: str
    kind_id: str
    kind_name: str
    catalogue_version: int
    values: dict[str, Any]
    officers: list[dict[str, Any]]
    rights_method: str | None
    av_media_ids: list[UUID]
    av_waiver: str
    reason: str
    created_at: datetime
    created_by: str
    changed: list[str] = Field(default_factory=list)
    completeness: dict[str, Any] | None = None
    signatures: list[SignatureOut] = Field(default_factory=list)

    @classmethod
    def of(cls, v: RecordVersion, **extra: Any) -> VersionOut:
        return cls(record_id=v.record_id, version=v.version, case_id=v.case_id, stage=v.stage.value,
                   kind_id=v.kind_id, kind_name=v.kind_name, catalogue_version=v.catalogue_version, values=v.values,
                   officers=[{"user_id": str(o.user_id), "name": o.name, "cert_number": o.cert_number,
                              "cert_shown": o.cert_shown} for o in v.officers],
                   rights_method=v.rights_method.value if v.rights_method else None,
                   av_media_ids=list(v.av_media_ids), av_waiver=v.av_waiver, reason=v.reason,
                   created_at=v.created_at, created_by=v.actor_name, **extra)


class RecordOut(BaseModel):
    record_id: UUID
    case_id: UUID
    kind_id: str
    latest: VersionOut
    versions: list[VersionOut]
    attachments: list[AttachmentOut]


class GapOut(BaseModel):
    stage: str
    gap: str
    kind_id: str
    kind_name: str
    articles: list[str]
    record_id: UUID | None
    overdue: bool
    missing: list[str]

    @classmethod
    def of(cls, g: Gap) -> GapOut:
        return cls(stage=g.stage.value, gap=g.gap.value, kind_id=g.kind_id, kind_name=g.kind_name,
                   articles=list(g.articles), record_id=g.record_id, overdue=g.overdue, missing=list(g.missing))


def record_out(request: Request, who: Principal, record_id: UUID) -> RecordOut:
    c = container(request)
    d = reads.get_record(c.uow(), who.ctx(request), c.catalogue, record_id)
    versions = [VersionOut.of(v.version, changed=v.changed, completeness=_state(v.state),
                              signatures=[SignatureOut.of(s) for s in v.signatures]) for v in d.versions]
    return RecordOut(record_id=record_id, case_id=d.case.id, kind_id=d.latest.version.kind_id, latest=versions[-1],
                     versions=versions, attachments=[AttachmentOut.of(a) for a in d.attachments])


# ---- the catalogue ----------------------------------------------------------------------------------

@router.get("/catalogue", response_model=CatalogueOut)
def get_catalogue(request: Request, who: Who, version: int | None = None) -> CatalogueOut:
    """The record catalogue in force (or ``version``)."""
    c = container(request)
    return CatalogueOut.of(cat_svc.get_catalogue(c.uow(), who.ctx(request), c.catalogue, version).catalogue)


@router.put("/catalogue", response_model=CatalogueOut)
def put_catalogue(request: Request, who: Who, body: CatalogueIn) -> CatalogueOut:
    """Accept an edited catalogue (YAML text) as the next version; every problem is listed."""
    c = container(request)
    return CatalogueOut.of(cat_svc.update_catalogue(c.uow(), who.ctx(request), c.catalogue, text=body.text,
                                                    reason=body.reason, base_version=body.base_version))


# ---- records ----------------------------------------------------------------------------------------

@router.get("/cases/{case_id}/records", response_model=dict[str, list[VersionOut]])
def case_records(request: Request, who: Who, case_id: UUID) -> dict[str, list[VersionOut]]:
    """The case's records (latest versions) per stage, with their completeness."""
    c = container(request)
    found = reads.case_records(c.uow(), who.ctx(request), c.catalogue, case_id)
    return {stage.value: [VersionOut.of(r.latest, completeness=_state(r.state),
                                        signatures=[SignatureOut.of(s) for s in r.signatures]) for r in items]
            for stage, items in found.items()}


@router.get("/cases/{case_id}/records/gaps", response_model=list[GapOut])
def case_gaps(request: Request, who: Who, case_id: UUID) -> list[GapOut]:
    """What the case still lacks per stage: required records, signatures (Art. 13), AV (Art. 14)."""
    c = container(request)
    return [GapOut.of(g) for g in reads.case_gaps(c.uow(), who.ctx(request), c.catalogue, case_id)]


@router.post("/cases/{case_id}/records", response_model=RecordOut, status_code=201)
def create_record(request: Request, who: Who, case_id: UUID, body: RecordIn) -> RecordOut:
    c = container(request)
    version = svc.create_record(c.uow(), who.ctx(request), c.catalogue, case_id, kind_id=body.kind_id,
                                data=body.data(), stage=body.stage)
    return record_out(request, who, version.record_id)


@router.get("/records/{record_id}", response_model=RecordOut)
def get_record(request: Request, who: Who, record_id: UUID) -> RecordOut:
    """The record with every version, its signatures and refusals, completeness and attachments."""
    return record_out(request, who, record_id)


@router.post("/records/{record_id}/versions", response_model=RecordOut, status_code=201)
def correct_record(request: Request, who: Who, record_id: UUID, body: CorrectionIn) -> RecordOut:
    """Correct the record: a new version with the reason; the earlier ones stay."""
    c = container(request)
    svc.correct_record(c.uow(), who.ctx(request), c.catalogue, record_id, data=body.data(), reason=body.reason,
                       base_version=body.base_version)
    return record_out(request, who, record_id)


def _upload(file: UploadFile | None) -> svc.Upload | None:
    if file is None or not file.filename:
        return None
    return svc.Upload(name=file.filename, content_type=file.content_type or "", source=file.file)


@router.post("/records/{record_id}/signatures", response_model=SignatureOut, status_code=201)
def sign(request: Request, who: Who, record_id: UUID, capacity: Annotated[str, Form(max_length=20)],
         method: Annotated[str, Form(max_length=20)], signer_name: Annotated[str, Form(max_length=200)] = "",
         signer_user_id: Annotated[UUID | None, Form()] = None, signed_at: Annotated[datetime | None, Form()] = None,
         version: Annotated[int | None, Form()] = None,
         scan: Annotated[UploadFile | None, File()] = None) -> SignatureOut:
    """Record a signature (multipart form; ``scan`` required for handwriting and seal)."""
    c = container(request)
    data = svc.SignatureInput(capacity=capacity, signer_name=signer_name, signer_user_id=signer_user_id,
                              method=method, signed_at=signed_at, version=version)
    return SignatureOut.of(svc.sign_record(c.uow(), who.ctx(request), c.blobs, record_id, data, _upload(scan)))


@router.post("/records/{record_id}/refusals", response_model=SignatureOut, status_code=201)
def refuse(request: Request, who: Who, record_id: UUID, capacity: Annotated[str, Form(max_length=20)],
           signer_name: Annotated[str, Form(max_length=200)], reason: Annotated[str, Form(max_length=2000)],
           witness_name: Annotated[str, Form(max_length=200)], witness_org: Annotated[str, Form(max_length=200)] = "",
           refused_at: Annotated[datetime | None, Form()] = None, version: Annotated[int | None, Form()] = None,
           scan: Annotated[UploadFile | None, File()] = None) -> SignatureOut:
    """Record a refusal to sign or cooperate, with the reason and the witness (Art. 13)."""
    c = container(request)
    data = svc.RefusalInput(capacity=capacity, signer_name=signer_name, reason=reason, witness_name=witness_name,
                            witness_org=witness_org, refused_at=refused_at, version=version)
    return SignatureOut.of(svc.refuse_signature(c.uow(), who.ctx(request), c.blobs, record_id, data,
                                                _upload(scan)))


@router.post("/records/{record_id}/attachments", response_model=AttachmentOut, status_code=201)
def attach(request: Request, who: Who, record_id: UUID, file: Annotated[UploadFile, File()]) -> AttachmentOut:
    """Attach a scan or photo (PDF, JPEG, PNG, TIFF), stored write-once."""
    c = container(request)
    upload = _upload(file) or svc.Upload(name="", content_type=file.content_type or "", source=file.file)
    return AttachmentOut.of(svc.add_attachment(c.uow(), who.ctx(request), c.blobs, record_id, upload))


def serve_file(opened: reads.OpenedFile, *, download: bool) -> StreamingResponse:
    """Stream an opened scan (its read is already recorded) with a safe content type and name."""
    a = opened.attachment

    def chunks(reader: BlobReader = opened.reader) -> Iterator[bytes]:
        with reader:
            while block := reader.read(1 << 16):
                yield block

    disposition = "attachment" if download else "inline"
    return StreamingResponse(chunks(), media_type=a.content_type, headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(a.name)}", "Content-Length": str(a.size),
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "ETag": f'"{a.sha256}"'})


@router.get("/records/{record_id}/attachments/{attachment_id}", response_class=StreamingResponse,
            responses={200: {"description": "the stored scan or photo"}})
def read_attachment(request: Request, who: Who, record_id: UUID, attachment_id: UUID) -> StreamingResponse:
    """The stored file; each read is one recorded ``case:record:read`` event (refusals too)."""
    c = container(request)
    return serve_file(reads.open_attachment(c.uow(), who.ctx(request), c.blobs, record_id, attachment_id),
                      download=True)
