"""Use cases of disclosure (Art. 37): ask to give originals outside (or publish them) naming the
recipient and the purpose; a leader approves, refuses; the requester withdraws; an approved
request is exported as marked copies, each with its own digest, and the export is recorded
(docs/decisions/0025). Each move is one transaction with one ledger event."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from uuid import UUID

from lawtrail.domain.access import Permission, allows, has_permission
from lawtrail.domain.disclosure import (
    Disclosure,
    DisclosureDecision,
    DisclosureExport,
    DisclosureRequest,
    ExportedCopy,
    ItemKind,
    Method,
    Status,
    check_export,
    check_move,
    level_problems,
    manifest,
    mark_text,
    method_for,
)
from lawtrail.domain.events import Action
from lawtrail.domain.org import Problems, clean_text
from lawtrail.domain.secrecy import Level, check_clearance
from lawtrail.errors import LawtrailError, NotFound, PermissionDenied
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import BlobStore, CopyMarker, UnitOfWork
from lawtrail.services.reading import clearance_of, media_subject
from lawtrail.services.trail import record

MAX_ITEMS = 50
NOTICE_SUFFIX = ".对外提供说明.txt"  # as adapters.watermark names the notice beside an unmarked copy
REASON_MAX = 500
CHUNK = 1 << 20
MOVE_ACTIONS: dict[Status, Action] = {Status.APPROVED: Action.DISCLOSURE_APPROVE,
                                      Status.REFUSED: Action.DISCLOSURE_REFUSE,
                                      Status.WITHDRAWN: Action.DISCLOSURE_WITHDRAW}
Progress = Callable[[int, int, float], None]  # (item index, item count, fraction of this item)


def _not_found() -> NotFound:
    return NotFound("对外提供申请不存在", "no such disclosure request", code="disclosure.not_found")


def _name(request: DisclosureRequest) -> str:
    return f"对外提供申请 {request.recipient_org or request.recipient_name} {str(request.id)[:8]}"


def _facts(request: DisclosureRequest) -> dict[str, Any]:
    return {"recipient_name": request.recipient_name, "recipient_org": request.recipient_org,
            "purpose": request.purpose, "publish": request.publish, "secret_confirmed": request.secret_confirmed,
            "media_ids": [str(m) for m in request.media_ids],
            "attachment_ids": [str(a) for a in request.attachment_ids], "requester_id": str(request.requester_id)}


@dataclass(frozen=True)
class _Item:
    """One thing to give: an original or a record attachment, with its stored bytes' digest."""

    kind: ItemKind
    id: UUID
    sha256: str
    name: str
    media_type: str
    level: Level


def _load_items(uow: UnitOfWork, bureau_id: UUID, media_ids: Sequence[UUID], attachment_ids: Sequence[UUID],
                problems: Problems) -> list[_Item]:
    """The items of the bureau with their effective level (an attachment: its case's level);
    an unknown or foreign one is a problem."""
    items = []
    for media_id in media_ids:
        media = uow.media.get(media_id)
        if media is None or media.bureau_id != bureau_id:
            problems.add("media_ids", f"音像资料 {media_id} 不存在", f"no such original {media_id}")
            continue
        items.append(_Item(ItemKind.MEDIA, media.id, media.sha256, media.original_name, media.media_type.value,
                           media_subject(uow, media).level))
    for attachment_id in attachment_ids:
        attachment = uow.records.attachment(attachment_id)
        versions = uow.records.versions(attachment.record_id) if attachment else []
        case = uow.cases.get(versions[0].case_id) if versions else None
        if attachment is None or case is None or case.bureau_id != bureau_id:
            problems.add("attachment_ids", f"记录附件 {attachment_id} 不存在", f"no such attachment {attachment_id}")
            continue
        kind = "photo" if attachment.content_type.startswith("image/") else "unknown"
        items.append(_Item(ItemKind.ATTACHMENT, attachment.id, attachment.sha256, attachment.name, kind,
                           _case_level(case.secrecy)))
    return items


def _case_level(value: str) -> Level:
    try:
        return Level(value)
    except ValueError:  # an unknown stored value counts as the strictest
        return Level.STATE_SECRET


def request_disclosure(uow: UnitOfWork, ctx: Ctx, *, recipient_name: str, recipient_org: str, purpose: str,
                       media_ids: Sequence[UUID], attachment_ids: Sequence[UUID] = (), publish: bool = False,
                       secret_confirmed: bool = False) -> Disclosure:
    """Ask to give the listed originals and record attachments to ``recipient_name`` of
    ``recipient_org`` (or publish them) for ``purpose``: one ``media:disclosure:request`` event.
    Needs disclosure:request.

    Raise ValidationFailed for a missing recipient or purpose, no or too many items, items not
    of the bureau, a trade or state secret to be published or not confirmed (Art. 37, 47);
    PermissionDenied ``access.above_clearance`` for an item above the requester's clearance."""
    require(ctx.actor, Permission.DISCLOSURE_REQUEST)
    problems = Problems()
    name = clean_text(recipient_name, "recipient_name", "接收人", problems, max_len=100)
    org = clean_text(recipient_org, "recipient_org", "接收单位", problems, max_len=200, required=not publish)
    why = clean_text(purpose, "purpose", "用途", problems, max_len=500)
    ids = tuple(sorted(set(media_ids)))  # stored in this order (the SQL repository reads it so)
    attached = tuple(sorted(set(attachment_ids)))
    if not ids and not attached:
        problems.add("media_ids", "请选择要对外提供的音像资料或记录附件", "choose the items to disclose")
    elif len(ids) + len(attached) > MAX_ITEMS:
        problems.add("media_ids", f"一次最多{MAX_ITEMS}件", f"at most {MAX_ITEMS} items per request")
    problems.raise_if_any()
    assert ctx.actor.user_id is not None and ctx.actor.bureau_id is not None
    with uow:
        clearance = clearance_of(uow, ctx.actor)
        items = _load_items(uow, ctx.actor.bureau_id, ids, attached, problems)
        problems.raise_if_any()
        levels = {item.id: item.level for item in items}
        for level in levels.values():
            check_clearance(clearance, level)
        for zh, en in level_problems(levels, publish=publish, confirmed=secret_confirmed):
            problems.add("secret_confirmed", zh, en)
        problems.raise_if_any()
        user = uow.users.get(ctx.actor.user_id)
        assert user is not None
        request = DisclosureRequest(
            id=uuid.uuid4(), bureau_id=ctx.actor.bureau_id, requester_id=user.id,
            requester_name=user.display_name[:100], requester_unit_id=user.unit_id, recipient_name=name,
            recipient_org=org, purpose=why, publish=publish, secret_confirmed=secret_confirmed, media_ids=ids,
            created_at=ctx.now, attachment_ids=attached)
        uow.disclosures.add_request(request)
        record(uow, ctx, Action.DISCLOSURE_REQUEST, subject_type="disclosure", subject_id=request.id,
               subject_name=_name(request), after_dict=_facts(request))
        uow.commit()
    return Disclosure(request)


def _move(uow: UnitOfWork, ctx: Ctx, request_id: UUID, to: Status, reason: str, *, required: bool) -> Disclosure:
    problems = Problems()
    text = clean_text(reason, "reason", "理由", problems, max_len=REASON_MAX, required=required)
    problems.raise_if_any()
    with uow:
        found = uow.disclosures.get(request_id)
        if found is None or found.request.bureau_id != ctx.actor.bureau_id:
            raise _not_found()
        check_move(found, to, ctx.actor)
        decision = DisclosureDecision(id=uuid.uuid4(), request_id=found.request.id, status=to,
                                      actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], at=ctx.now,
                                      reason=text)
        uow.disclosures.add_decision(decision)
        record(uow, ctx, MOVE_ACTIONS[to], subject_type="disclosure", subject_id=found.request.id,
               subject_name=_name(found.request), before_dict={"status": found.status.value},
               after_dict={"status": to.value, "reason": text})
        uow.commit()
    return Disclosure(found.request, (*found.decisions, decision))


def approve(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, reason: str = "") -> Disclosure:
    """A leader approves (disclosure:approve; never their own request). Raise NotFound,
    PermissionDenied (``disclosure.own_request``), InvalidTransition, Conflict ``disclosure.decided``."""
    return _move(uow, ctx, request_id, Status.APPROVED, reason, required=False)


def refuse(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, reason: str) -> Disclosure:
    """A leader refuses, with a reason. Errors as ``approve``."""
    return _move(uow, ctx, request_id, Status.REFUSED, reason, required=True)


def withdraw(uow: UnitOfWork, ctx: Ctx, request_id: UUID, *, reason: str = "") -> Disclosure:
    """The requester withdraws a pending request (PermissionDenied ``disclosure.not_requester``)."""
    return _move(uow, ctx, request_id, Status.WITHDRAWN, reason, required=False)


def _may_see(ctx: Ctx, disclosure: Disclosure) -> bool:
    return disclosure.request.requester_id == ctx.actor.user_id or allows(
        ctx.actor, Permission.DISCLOSURE_APPROVE, bureau_id=disclosure.request.bureau_id, unit_id=None)


def get_request(uow: UnitOfWork, ctx: Ctx, request_id: UUID) -> tuple[Disclosure, list[DisclosureExport]]:
    """One request with its exports: for its requester or a leader; NotFound otherwise (another
    bureau's), PermissionDenied for someone else of the bureau."""
    with uow:
        found = uow.disclosures.get(request_id)
        if found is None or found.request.bureau_id != ctx.actor.bureau_id:
            raise _not_found()
        if not _may_see(ctx, found):
            raise PermissionDenied("无权查看他人的对外提供申请", "not allowed to see another person's request",
                                   code="permission_denied",
                                   details={"permission": Permission.DISCLOSURE_APPROVE.value})
        return found, uow.disclosures.exports(request_id=request_id)


def list_requests(uow: UnitOfWork, ctx: Ctx, *, pending: bool = False) -> list[Disclosure]:
    """The actor's own requests (disclosure:request), or for a leader all of the bureau's
    (``pending``: only those awaiting a decision), newest first."""
    deciding = has_permission(ctx.actor, Permission.DISCLOSURE_APPROVE)
    if pending or not deciding:
        require(ctx.actor, Permission.DISCLOSURE_APPROVE if pending else Permission.DISCLOSURE_REQUEST)
    if ctx.actor.bureau_id is None:
        return []
    with uow:
        found = uow.disclosures.list_for(ctx.actor.bureau_id,
                                         requester_id=None if deciding else ctx.actor.user_id)
    return [d for d in found if d.status == Status.REQUESTED] if pending else found


# --- export ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    export: DisclosureExport
    manifest: bytes
    mark: str


def _refuse_export(uow: UnitOfWork, ctx: Ctx, request: DisclosureRequest | None, request_id: UUID,
                   exc: LawtrailError) -> LawtrailError:
    """Register the refused export (committed on its own) and return the error to raise."""
    with uow:
        record(uow, ctx, Action.DISCLOSURE_EXPORT_REFUSED, subject_type="disclosure", subject_id=request_id,
               subject_name=_name(request) if request else f"对外提供申请 {str(request_id)[:8]}",
               after_dict={"code": exc.code})
        uow.commit()
    return exc


def _check_exporter(uow: UnitOfWork, ctx: Ctx, request_id: UUID) -> tuple[Disclosure, str]:
    with uow:
        found = uow.disclosures.get(request_id)
        bureau = uow.bureaus.get(ctx.actor.bureau_id) if ctx.actor.bureau_id else None
    if found is None or found.request.bureau_id != ctx.actor.bureau_id:
        raise _refuse_export(uow, ctx, None, request_id, _not_found())
    try:
        if not _may_see(ctx, found):
            raise PermissionDenied("只有申请人或机关负责人可以导出对外提供副本",
                                   "only the requester or a leader exports a disclosure", code="permission_denied")
        check_export(found)
    except LawtrailError as exc:
        raise _refuse_export(uow, ctx, found.request, request_id, exc) from None
    return found, bureau.name if bureau else ""


def export(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, copies: BlobStore, marker: CopyMarker,
           request_id: UUID, *, on_progress: Progress | None = None) -> ExportResult:
    """Make the marked copy of every original of an APPROVED request, store each (and the
    manifest: original digest → copy digest) write-once in ``copies``, and record one
    ``media:disclosure:export`` event with the manifest's digests.

    A refusal (not approved: PermissionDenied ``disclosure.not_approved``, Art. 37; not the
    requester nor a leader; another bureau's: NotFound) is registered as
    ``media:disclosure:export-refused`` and nothing else is written. Raise
    ``access.above_clearance`` for an item above the exporter's clearance, LawtrailError
    ``disclosure.mark_failed`` when a copy cannot be made (nothing recorded)."""
    found, bureau_name = _check_exporter(uow, ctx, request_id)
    request = found.request
    with uow:
        clearance = clearance_of(uow, ctx.actor)
        problems = Problems()
        items = _load_items(uow, request.bureau_id, request.media_ids, request.attachment_ids, problems)
    problems.raise_if_any()
    for item in items:
        check_clearance(clearance, item.level)
    export_id = uuid.uuid4()
    text = mark_text(bureau_name, request, ctx.now)
    made: list[ExportedCopy] = []
    with tempfile.TemporaryDirectory(prefix="lawtrail-disclosure-") as tmp:
        for index, item in enumerate(items):
            made.append(_copy_one(blobs, copies, marker, Path(tmp), index, item, export_id, text,
                                  _item_progress(on_progress, index, len(items))))
    body = json.dumps(manifest(request, export_id, ctx.now, text, tuple(made)), ensure_ascii=False,
                      sort_keys=True, indent=2).encode()
    stored = copies.put_stream(io.BytesIO(body))
    result = DisclosureExport(id=export_id, request_id=request.id, bureau_id=request.bureau_id,
                              actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], at=ctx.now,
                              manifest_sha256=stored.sha256, copies=tuple(made))
    with uow:
        uow.disclosures.add_export(result)
        record(uow, ctx, Action.DISCLOSURE_EXPORT, subject_type="disclosure", subject_id=request.id,
               subject_name=_name(request), after_dict={
                   "export_id": str(export_id), "manifest_sha256": stored.sha256, "mark": text,
                   "recipient_name": request.recipient_name, "recipient_org": request.recipient_org,
                   "items": [{"kind": c.kind.value, "item_id": str(c.item_id), "original_sha256": c.original_sha256,
                              "copy_sha256": c.copy_sha256, "method": c.method.value} for c in made]})
        uow.commit()
    return ExportResult(result, body, text)


def _item_progress(on_progress: Progress | None, index: int, count: int) -> Callable[[float], None]:
    def report(fraction: float) -> None:
        if on_progress is not None:
            on_progress(index, count, fraction)
    return report


def _copy_one(blobs: BlobStore, copies: BlobStore, marker: CopyMarker, tmp: Path, index: int, item: _Item,
              export_id: UUID, text: str, progress: Callable[[float], None]) -> ExportedCopy:
    work = tmp / str(index)
    work.mkdir()
    source = work / "original"
    with blobs.open(item.sha256) as reader, source.open("wb") as out:
        while chunk := reader.read(CHUNK):
            out.write(chunk)
    method = method_for(item.media_type, item.name)
    written = marker.mark(source, work, method=method, text=text, name=item.name, on_progress=progress)
    copy = written[0]
    digest = _sha256(copy)
    with copy.open("rb") as f:  # streamed and hashed again by the store: checked
        copies.put_stream(f, expected_sha256=digest)
    return ExportedCopy(export_id=export_id, item_id=item.id, name=f"{index + 1:02d}-{copy.name}",
                        original_sha256=item.sha256, copy_sha256=digest, copy_size=copy.stat().st_size, method=method,
                        kind=item.kind)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def write_bundle(uow: UnitOfWork, ctx: Ctx, copies: BlobStore, export_id: UUID, dest: BinaryIO) -> DisclosureExport:
    """Write one export as a zip (the marked copies, a notice per unmarked copy, ``manifest.json``)
    to ``dest`` in bounded memory, and record ``media:disclosure:download``. For the requester
    or a leader; NotFound ``disclosure.not_found`` otherwise or for another bureau's export."""
    with uow:
        found = uow.disclosures.export(export_id)
        request = uow.disclosures.get(found.request_id) if found else None
    if found is None or request is None or request.request.bureau_id != ctx.actor.bureau_id or not _may_see(
            ctx, request):
        raise _not_found()
    with uow:  # recorded before the bytes go: a download cut short was still a disclosure
        record(uow, ctx, Action.DISCLOSURE_DOWNLOAD, subject_type="disclosure", subject_id=request.request.id,
               subject_name=_name(request.request),
               after_dict={"export_id": str(export_id), "manifest_sha256": found.manifest_sha256})
        uow.commit()
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for item in found.copies:
            with copies.open(item.copy_sha256) as reader, zf.open(item.name, "w", force_zip64=True) as out:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
            if item.method is Method.SIDECAR:
                zf.writestr(f"{item.name}{NOTICE_SUFFIX}", _notice(request.request, found))
        with copies.open(found.manifest_sha256) as reader:
            zf.writestr("manifest.json", reader.read())
    return found


def _notice(request: DisclosureRequest, found: DisclosureExport) -> str:
    who = f"{request.recipient_org} {request.recipient_name}".strip()
    return (f"本文件系{who}经批准取得的对外提供副本，用途：{request.purpose}。\n"
            f"编号：{str(request.id)[:8]}；导出：{found.at.isoformat()}；清单摘要 SHA-256：{found.manifest_sha256}\n")


def item_names(uow: UnitOfWork, ctx: Ctx, disclosures: Sequence[Disclosure]) -> dict[UUID, str]:
    """Names of the originals and attachments of ``disclosures`` (already permitted to the
    actor), for showing them: metadata only, so nothing is read and nothing recorded."""
    if ctx.actor.bureau_id is None:
        return {}
    media = {m for d in disclosures for m in d.request.media_ids}
    attached = {a for d in disclosures for a in d.request.attachment_ids}
    with uow:
        items = _load_items(uow, ctx.actor.bureau_id, sorted(media), sorted(attached), Problems())
    return {item.id: item.name for item in items}
