"""Use cases of the resumable upload (tus 1.0 core, creation, termination; decision 0011).

An upload is created with its length and metadata (file name, device, optional officer,
claimed SHA-256 and hand-in time), filled by PATCHes that append at the current offset, and
finalised when the last byte arrives: the claimed digest is checked (a mismatch stores nothing
and drops the upload), a digest already recorded answers with that record, else the part file
is adopted by the blob store without a second full copy and recorded through
``vault.record_original`` (row, registration v1 and ``media:original:ingest`` in one
transaction). Staging an upload writes no database row and no event: the only record is the
ingest itself. Permission: ``media:ingest`` on the device's unit, for every step.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.devices import Device
from lawtrail.domain.uploads import (
    UploadMeta,
    check_content_type,
    check_patch,
    parse_length,
    parse_metadata,
    parse_offset,
    upload_not_found,
)
from lawtrail.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, visible_units
from lawtrail.services.ports import BlobStore, LocalBlobPaths, MediaProbe, UnitOfWork, UploadAppender, UploadStaging
from lawtrail.services.vault import IngestResult, find_device, record_original


@dataclass(frozen=True)
class UploadInfo:
    """One upload as the protocol shows it; ``result`` is set once it was finalised."""

    id: str
    length: int
    offset: int
    meta: UploadMeta
    device_id: UUID
    unit_id: UUID
    bureau_id: UUID
    created_at: datetime
    created_by: str
    result: IngestResult | None = None

    @property
    def complete(self) -> bool:
        return self.result is not None


def _result_from_json(data: dict[str, Any]) -> IngestResult:
    captured = data.get("captured_at")
    return IngestResult(
        path=data["path"], status=data["status"], sha256=data.get("sha256"), size=data.get("size"),
        media_type=data.get("media_type"), duration_s=data.get("duration_s"),
        captured_at=datetime.fromisoformat(captured.replace("Z", "+00:00")) if captured else None,
        officer_id=UUID(data["officer_id"]) if data.get("officer_id") else None, reason=data.get("reason"),
        media_id=UUID(data["media_id"]) if data.get("media_id") else None)


def _info(staging: UploadStaging, upload_id: str) -> UploadInfo:
    raw = staging.info(upload_id)
    result = staging.result(upload_id)
    return UploadInfo(
        id=upload_id, length=int(raw["length"]),
        offset=int(raw["length"]) if result is not None else staging.acknowledged(upload_id),
        meta=UploadMeta.from_json(raw["meta"]), device_id=UUID(raw["device_id"]), unit_id=UUID(raw["unit_id"]),
        bureau_id=UUID(raw["bureau_id"]), created_at=datetime.fromisoformat(raw["created_at"]),
        created_by=raw["created_by"], result=_result_from_json(result) if result is not None else None)


def _load(ctx: Ctx, staging: UploadStaging, upload_id: str) -> UploadInfo:
    """The upload, if the actor may work on it: NotFound outside the actor's bureau,
    PermissionDenied without media:ingest on the device's unit."""
    info = _info(staging, upload_id)
    if ctx.actor.bureau_id is not None and info.bureau_id != ctx.actor.bureau_id:
        raise upload_not_found(upload_id)
    require(ctx.actor, Permission.MEDIA_INGEST, bureau_id=info.bureau_id, unit_id=info.unit_id)
    return info


def _officer(uow: UnitOfWork, ctx: Ctx, officer_id: UUID | None) -> UUID | None:
    if officer_id is None:
        return None
    with uow:
        user = uow.users.get(officer_id)
    if user is None or (ctx.actor.bureau_id and user.bureau_id != ctx.actor.bureau_id):
        raise NotFound("执法人员不存在", "no such officer", code="user.not_found")
    return user.id


# --- the protocol's steps ------------------------------------------------------------------------


def allowed(ctx: Ctx) -> None:
    """Return if the actor may upload at all (media:ingest in some unit); raise PermissionDenied."""
    require(ctx.actor, Permission.MEDIA_INGEST, unit_id=ctx.actor.unit_id)


def devices_for_upload(uow: UnitOfWork, ctx: Ctx) -> list[Device]:
    """The devices whose footage the actor may hand in (media:ingest on the device's unit);
    raise PermissionDenied without media:ingest anywhere."""
    scope = visible_units(ctx.actor, Permission.MEDIA_INGEST)
    if ctx.actor.bureau_id is None:
        return []
    with uow:
        return uow.devices.list(ctx.actor.bureau_id, scope)


def check_device(uow: UnitOfWork, ctx: Ctx, number: str) -> Device:
    """The device, if the actor may hand in its footage (``vault.find_device``)."""
    return find_device(uow, ctx, number)


def create_upload(uow: UnitOfWork, ctx: Ctx, staging: UploadStaging, *, length: str | None,
                  metadata: str | None, max_bytes: int) -> UploadInfo:
    """Open an upload of ``length`` bytes (the ``Upload-Length`` header) described by the
    ``Upload-Metadata`` header. Raise ValidationFailed (``upload.empty`` for zero bytes,
    ``upload.bad_metadata``), PayloadTooLarge (``upload.too_large`` above ``max_bytes``),
    NotFound (``device.not_found``, ``user.not_found``) or PermissionDenied. Nothing is
    written unless every check passes."""
    size = parse_length(length, max_bytes)
    meta = parse_metadata(metadata, ctx.now)
    device = find_device(uow, ctx, meta.device)
    _officer(uow, ctx, meta.officer_id)
    upload_id = uuid.uuid4().hex
    staging.create(upload_id, {
        "length": size, "meta": meta.to_json(), "device_id": str(device.id), "unit_id": str(device.unit_id),
        "bureau_id": str(device.bureau_id), "created_at": ctx.now.isoformat(), "created_by": ctx.actor.name[:100],
        "request_id": ctx.request_id})
    return _info(staging, upload_id)


def upload_status(ctx: Ctx, staging: UploadStaging, upload_id: str) -> UploadInfo:
    """The upload's length, offset (bytes durably received) and, when finalised, its outcome."""
    return _load(ctx, staging, upload_id)


def begin_append(ctx: Ctx, staging: UploadStaging, upload_id: str, *, offset: str | None,
                 content_type: str | None, content_length: int | None) -> tuple[UploadInfo, UploadAppender]:
    """Check a PATCH and lock the part file for it. Raise ValidationFailed
    (``upload.bad_content_type``, bad ``Upload-Offset``), Conflict (``upload.offset_mismatch``,
    ``upload.busy``, ``upload.complete``) or PayloadTooLarge (``upload.beyond_length``)."""
    check_content_type(content_type)
    at = parse_offset(offset)
    info = _load(ctx, staging, upload_id)
    if info.complete:
        if at == info.length and not content_length:
            return info, _Done(info.length)
        raise Conflict("该上传已完成", "this upload is already complete", code="upload.complete")
    check_patch(at, info.offset, info.length, content_length)
    return info, staging.open_append(upload_id, at, info.length)


class _Done:
    """The appender of an upload that is already complete (an empty, repeated last PATCH)."""

    def __init__(self, offset: int) -> None:
        self.offset = offset

    def write(self, block: bytes) -> None:
        raise Conflict("该上传已完成", "this upload is already complete", code="upload.complete")

    def close(self) -> int:
        return self.offset


def finalise(uow: UnitOfWork, ctx: Ctx, staging: UploadStaging, blobs: BlobStore, probe: MediaProbe,
             upload_id: str) -> IngestResult:
    """Store and record a complete upload; repeatable (a finalised upload answers its outcome).

    Raise Conflict (``upload.incomplete``) before the last byte; ValidationFailed
    (``upload.digest_mismatch``) when the bytes do not hash to the claimed SHA-256 — then
    nothing is stored, no row is written and the upload is removed."""
    info = _load(ctx, staging, upload_id)
    if info.result is not None:
        return info.result
    if info.offset != info.length:
        raise Conflict(f"上传尚未完成（{info.offset}/{info.length} 字节）",
                       f"the upload is incomplete ({info.offset} of {info.length} bytes)", code="upload.incomplete",
                       details={"offset": info.offset, "length": info.length})
    device = find_device(uow, ctx, info.meta.device)
    officer = _officer(uow, ctx, info.meta.officer_id)
    digest = staging.digest(upload_id)
    if info.meta.sha256 is not None and digest != info.meta.sha256:
        staging.remove(upload_id)
        raise ValidationFailed(
            "文件内容与声明的 SHA-256 摘要不符，未保存",
            "the bytes do not match the claimed SHA-256 digest; not stored",
            code="upload.digest_mismatch", problems=[FieldProblem("sha256", "摘要不符", "digest mismatch")],
            details={"claimed": info.meta.sha256, "actual": digest})
    part = staging.part_path(upload_id)
    with uow:
        known = uow.media.by_sha256(digest) is not None
    if not known:
        blobs.adopt_file(part, sha256=digest)
    probe_path = blobs.path_of(digest) if isinstance(blobs, LocalBlobPaths) else part
    result = record_original(uow, ctx, probe, device=device, officer_id=officer, sha256=digest, size=info.length,
                             probe_path=Path(probe_path), name=info.meta.filename,
                             handed_in_at=info.meta.handed_in_at or info.created_at, shown_path=info.meta.filename)
    staging.finish(upload_id, result.to_json())
    return result


def terminate(ctx: Ctx, staging: UploadStaging, upload_id: str) -> None:
    """Abandon an upload: its bytes are deleted. A finalised upload's original stays stored
    (originals are never deleted); only the upload's bookkeeping goes."""
    _load(ctx, staging, upload_id)
    staging.remove(upload_id)
