"""Use cases of text records on cases (issue 5 items 2, 3, 7): create a record of a catalogue kind,
correct it (a new version; nothing is rewritten), sign it or record a refusal with a witness
(Art. 13), attach scans and photos (write-once blobs).

Each change is one transaction with one ledger event (``case:record:create``, ``…:correct``,
``…:sign``, ``…:refuse-sign``, ``…:attach``) on the subject ``record``; a refusal raises before
anything is written. Blobs are stored before the transaction: the store is write-once and
content-addressed, so a refused change leaves at most an unreferenced copy, never a changed one.
Permissions: ``record:manage`` on the case's unit. Reads are in ``services.record_reads``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from lawtrail.domain import service
from lawtrail.domain.access import Permission, allows
from lawtrail.domain.cases import STAGE_LABELS, Case, Stage
from lawtrail.domain.catalogue import CAPACITY_LABELS, AvRule, Capacity, Catalogue, RecordKind
from lawtrail.domain.events import Action
from lawtrail.domain.org import Problems, can_act_as_officer, clean_text, local_date
from lawtrail.domain.records import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES,
    MIN_OFFICERS,
    Attachment,
    OfficerPresent,
    RecordVersion,
    RightsMethod,
    Signature,
    SignMethod,
    changed_fields,
    check_refusal_allowed,
    check_stage_for,
    check_values,
    check_writable,
)
from lawtrail.errors import Conflict, NotFound, ValidationFailed, invalid
from lawtrail.services import catalogue as cat
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import BlobStore, ByteSource, CatalogueSource, UnitOfWork
from lawtrail.services.trail import record

SUBJECT = "record"


@dataclass(frozen=True)
class OfficerInput:
    user_id: UUID
    cert_shown: bool


@dataclass(frozen=True)
class RecordInput:
    """What a record says. ``values`` by field id (strings from a form, typed values from JSON)."""

    values: Mapping[str, Any]
    officers: Sequence[OfficerInput] = ()
    rights_method: str = ""
    av_media_ids: Sequence[UUID] = ()
    av_waiver: str = ""


@dataclass(frozen=True)
class Upload:
    """A file to attach: its name, declared content type and bytes (read in blocks)."""

    name: str
    content_type: str
    source: ByteSource


@dataclass(frozen=True)
class SignatureInput:
    capacity: str
    signer_name: str = ""
    signer_user_id: UUID | None = None
    method: str = ""
    signed_at: datetime | None = None
    version: int | None = None  # the version signed; None = the latest


@dataclass(frozen=True)
class RefusalInput:
    capacity: str
    signer_name: str
    reason: str
    witness_name: str
    witness_org: str = ""
    refused_at: datetime | None = None
    version: int | None = None


# ---- helpers ----------------------------------------------------------------------------------------

def _not_found() -> NotFound:
    return NotFound("记录不存在", "no such record", code="record.not_found")


def load_case(uow: UnitOfWork, ctx: Ctx, case_id: UUID, perm: Permission) -> Case:
    case = uow.cases.get(case_id)
    if case is None or (ctx.actor.bureau_id and case.bureau_id != ctx.actor.bureau_id):
        raise NotFound("案件不存在", "no such case", code="case.not_found")
    require(ctx.actor, perm, bureau_id=case.bureau_id, unit_id=case.unit_id)
    return case


def load_record(uow: UnitOfWork, ctx: Ctx, record_id: UUID, perm: Permission) -> tuple[Case, list[RecordVersion]]:
    """The case and every version of the record (oldest first); NotFound / PermissionDenied."""
    versions = uow.records.versions(record_id)
    if not versions:
        raise _not_found()
    case = uow.cases.get(versions[0].case_id)
    if case is None or (ctx.actor.bureau_id and case.bureau_id != ctx.actor.bureau_id):
        raise _not_found()
    require(ctx.actor, perm, bureau_id=case.bureau_id, unit_id=case.unit_id)
    return case, versions


def subject_name(case: Case, version: RecordVersion) -> str:
    return f"{case.number} {version.kind_name}"[:300]


def _officers(uow: UnitOfWork, ctx: Ctx, kind: RecordKind, case: Case, given: Sequence[OfficerInput],
              problems: Problems) -> tuple[OfficerPresent, ...]:
    """Art. 11: the officers present, each an active officer of the bureau with a certificate valid
    today (Art. 5), two at least; their names and certificate numbers are copied."""
    if not kind.officers:
        if given:
            problems.add("officers", f"“{kind.name}”不记录在场执法人员", f"{kind.id} records no officers present")
        return ()
    if len({o.user_id for o in given}) != len(given):
        problems.add("officers", "执法人员重复", "an officer is listed twice")
    out = []
    for i, o in enumerate(given):
        user = uow.users.get(o.user_id)
        if user is None or user.bureau_id != case.bureau_id:
            problems.add(f"officers.{i}", "执法人员不存在", "no such officer")
            continue
        if not can_act_as_officer(user, local_date(ctx.now)) or user.certificate is None:
            problems.add(f"officers.{i}", f"{user.display_name}不是持有效执法证的在职执法人员（第五条）",
                         f"{user.display_name} is not an active officer with a valid certificate (Art. 5)")
            continue
        out.append(OfficerPresent(user.id, user.display_name[:100], user.certificate.number, o.cert_shown))
    if len(given) < MIN_OFFICERS:
        problems.add("officers", f"调查笔录须记载至少{MIN_OFFICERS}名执法人员及其执法证件编号（第十一条）",
                     f"an investigation record names at least {MIN_OFFICERS} officers and their certificates (Art. 11)")
    return tuple(out)


def _media_visible(uow: UnitOfWork, ctx: Ctx, case: Case, media_id: UUID) -> bool:
    media = uow.cases.media(media_id)
    if media is None or media.bureau_id != case.bureau_id:
        return False
    return (ctx.actor.user_id is not None and media.officer_id == ctx.actor.user_id) or allows(
        ctx.actor, Permission.MEDIA_VIEW, bureau_id=media.bureau_id, unit_id=media.unit_id)


def _checked(uow: UnitOfWork, ctx: Ctx, kind: RecordKind, case: Case, data: RecordInput) -> dict[str, Any]:
    """Everything of ``data`` checked against ``kind``; raise ValidationFailed listing every problem."""
    problems = Problems()
    values = check_values(kind, data.values, opened_at=case.opened_at, now=ctx.now, problems=problems)
    officers = _officers(uow, ctx, kind, case, data.officers, problems)
    rights: RightsMethod | None = None
    if kind.rights_notice:
        try:
            rights = RightsMethod(data.rights_method)
        except ValueError:
            problems.add("rights_method", "请选择告知陈述、申辩、申请回避、听证等权利的方式（第十二条）",
                         "choose how the rights were notified (Art. 12)")
    elif data.rights_method:
        problems.add("rights_method", f"“{kind.name}”不记录权利告知方式", f"{kind.id} records no rights notice")
    waiver = clean_text(data.av_waiver, "av_waiver", "不适宜音像记录的理由", problems, max_len=1000, required=False)
    media = list(dict.fromkeys(data.av_media_ids))
    if kind.av is AvRule.NONE and (media or waiver):
        problems.add("av_media_ids", f"“{kind.name}”不关联音像记录", f"{kind.id} takes no AV record")
    if media and waiver:
        problems.add("av_waiver", "已关联音像记录的，不填写不适宜音像记录的理由",
                     "give either the AV record or the reason why it was unsuitable, not both")
    for i, media_id in enumerate(media):
        if not _media_visible(uow, ctx, case, media_id):
            problems.add(f"av_media_ids.{i}", "音像资料不存在或无权查看", "no such media file, or not visible to you")
    problems.raise_if_any()
    return {"values": values, "officers": officers, "rights_method": rights, "av_media_ids": tuple(media),
            "av_waiver": waiver}


def _snapshot(v: RecordVersion) -> dict[str, Any]:
    return {"record_id": str(v.record_id), "version": v.version, "stage": v.stage.value, "kind": v.kind_id,
            "catalogue_version": v.catalogue_version, "values": v.values,
            "officers": [{"name": o.name, "cert_number": o.cert_number, "cert_shown": o.cert_shown}
                         for o in v.officers],
            "rights_method": v.rights_method.value if v.rights_method else None,
            "av_media_ids": [str(m) for m in v.av_media_ids], "av_waiver": v.av_waiver}


# ---- changes ----------------------------------------------------------------------------------------

def create_record(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, case_id: UUID, *, kind_id: str,
                  data: RecordInput, stage: str = "") -> RecordVersion:
    """Make version 1 of a record of ``kind_id`` on the case, at ``stage`` (default: the case's
    current stage), under the catalogue in force. Raise ValidationFailed for an unknown kind, a
    kind that does not apply to the case or stage, bad values (every problem listed), NotFound /
    PermissionDenied (``record:manage`` on the case's unit); RuleViolation for what Art. 22, 24 and
    29 forbid (``domain.service.check_record``)."""
    with uow:
        case = load_case(uow, ctx, case_id, Permission.RECORD_MANAGE)
        check_writable(case, kind_id)
        catalogue = cat.ensure_stored(uow, ctx, source)
        kind = catalogue.kind(kind_id)
        if kind is None:
            raise invalid("kind_id", f"记录事项清单第{catalogue.version}版中没有“{kind_id}”",
                          f"catalogue version {catalogue.version} has no kind {kind_id!r}")
        try:
            at = Stage(stage) if stage else case.stage
        except ValueError:
            raise invalid("stage", "未知环节", f"unknown stage {stage!r}") from None
        check_stage_for(kind, case, at)
        service.check_signer(kind.id, data.values)
        checked = _checked(uow, ctx, kind, case, data)
        service.check_record(case, kind.id, checked["values"], uow.records.for_case(case.id))
        version = RecordVersion(id=uuid.uuid4(), record_id=uuid.uuid4(), version=1, case_id=case.id, stage=at,
                                kind_id=kind.id, kind_name=kind.name, catalogue_version=catalogue.version,
                                reason="", created_at=ctx.now, actor_id=ctx.actor.user_id,
                                actor_name=ctx.actor.name[:100], **checked)
        uow.records.add_version(version)
        record(uow, ctx, Action.RECORD_CREATE, subject_type=SUBJECT, subject_id=version.record_id,
               subject_name=subject_name(case, version),
               after_dict={**_snapshot(version), "case_id": str(case.id), "catalogue_sha256": catalogue.sha256})
        uow.commit()
    return version


def correct_record(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, record_id: UUID, *, data: RecordInput,
                   reason: str, base_version: int | None = None) -> RecordVersion:
    """Make the next version of the record (same kind, stage and catalogue version as the record
    was made under), pointing at the latest one, with ``reason``; both stay visible. Raise
    ValidationFailed when the reason is missing, the values are bad, or nothing differs
    (``record.unchanged``); Conflict ``record.stale`` when ``base_version`` is not the latest."""
    problems = Problems()
    reason = clean_text(reason, "reason", "更正理由", problems, max_len=1000)
    problems.raise_if_any()
    with uow:
        case, versions = load_record(uow, ctx, record_id, Permission.RECORD_MANAGE)
        check_writable(case, versions[-1].kind_id)
        latest = versions[-1]
        if base_version is not None and base_version != latest.version:
            raise Conflict("记录已被他人更正，请刷新后重试", "the record was corrected meanwhile; reload and retry",
                           code="record.stale", details={"base_version": base_version, "latest": latest.version})
        kind = _kind_of(uow, source, latest)
        service.check_signer(kind.id, data.values)
        checked = _checked(uow, ctx, kind, case, data)
        service.check_record(case, kind.id, checked["values"],
                             [v for v in uow.records.for_case(case.id) if v.record_id != latest.record_id])
        new = RecordVersion(id=uuid.uuid4(), record_id=latest.record_id, version=latest.version + 1,
                            case_id=case.id, stage=latest.stage, kind_id=latest.kind_id, kind_name=latest.kind_name,
                            catalogue_version=latest.catalogue_version, reason=reason, created_at=ctx.now,
                            actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], **checked)
        changed = changed_fields(latest, new)
        if not changed:
            raise ValidationFailed("记录内容没有变化，无需更正", "nothing differs from the latest version",
                                   code="record.unchanged")
        uow.records.add_version(new)
        record(uow, ctx, Action.RECORD_CORRECT, subject_type=SUBJECT, subject_id=new.record_id,
               subject_name=subject_name(case, new), before_dict=_snapshot(latest),
               after_dict={**_snapshot(new), "reason": reason, "changed": changed})
        uow.commit()
    return new


def _kind_of(uow: UnitOfWork, source: CatalogueSource, version: RecordVersion) -> RecordKind:
    catalogue: Catalogue | None = cat.version_of(uow, source, version.catalogue_version)
    kind = catalogue.kind(version.kind_id) if catalogue else None
    if kind is None:  # the catalogue versions are append-only, so this means a damaged database
        raise NotFound(f"记录事项清单第{version.catalogue_version}版中找不到“{version.kind_name}”",
                       f"kind {version.kind_id} missing from catalogue version {version.catalogue_version}",
                       code="catalogue.kind_missing")
    return kind


def _target(versions: list[RecordVersion], wanted: int | None) -> RecordVersion:
    latest = versions[-1]
    if wanted is not None and wanted != latest.version:
        raise Conflict(f"只能在最新版本（第{latest.version}版）上签名；更正后的记录须重新签名",
                       f"only the latest version ({latest.version}) can be signed; a corrected record is signed anew",
                       code="record.not_latest", details={"latest": latest.version})
    return latest


def _when(value: datetime | None, case: Case, ctx: Ctx, name: str, label: str, problems: Problems) -> datetime:
    when = value or ctx.now
    if when.tzinfo is None:
        problems.add(name, f"{label}须带时区", f"{name} must carry a time zone")
        return ctx.now
    if when > ctx.now:
        problems.add(name, f"{label}不能晚于当前时间", f"{name} must not be in the future")
    if when < case.opened_at:
        problems.add(name, f"{label}不能早于立案时间", f"{name} must not be before the case was opened")
    return when


def _capacity(raw: str, problems: Problems) -> Capacity:
    try:
        return Capacity(raw)
    except ValueError:
        problems.add("capacity", "签名身份无效", f"unknown capacity {raw!r}")
        return Capacity.OTHER


def _duplicate(uow: UnitOfWork, version: RecordVersion, capacity: Capacity, name: str) -> None:
    for s in uow.records.signatures(version.record_id):
        if s.record_version == version.version and s.capacity is capacity and s.signer_name == name:
            raise Conflict(f"{name}（{CAPACITY_LABELS[capacity]}）已在第{version.version}版上签名或拒签",
                           f"{name} ({capacity.value}) already signed or refused version {version.version}",
                           code="record.already_signed")


def store_upload(blobs: BlobStore, upload: Upload, problems: Problems, field_name: str = "file") -> tuple[str, int]:
    """Check the upload's name, type (by its leading bytes) and size and store it write-once;
    return (sha256, size). Problems are added, nothing stored, when it is not acceptable."""
    clean_text(upload.name, f"{field_name}.name", "文件名", problems, max_len=200)
    kind = upload.content_type.split(";")[0].strip().lower()
    head = upload.source.read(16)
    magic = ATTACHMENT_TYPES.get(kind)
    if magic is None or not any(head.startswith(m) for m in magic):
        problems.add(field_name, "只接受 PDF、JPEG、PNG、TIFF 格式的扫描件或照片（内容须与类型相符）",
                     "only PDF, JPEG, PNG or TIFF scans and photos are accepted (the content must match the type)")
    problems.raise_if_any()
    stored = blobs.put_stream(_Prefixed(head, upload.source), max_bytes=ATTACHMENT_MAX_BYTES)
    return stored.sha256, stored.size


class _Prefixed:
    """``head`` (already read to check the type) followed by the rest of ``source``."""

    def __init__(self, head: bytes, source: ByteSource) -> None:
        self.head, self.source = head, source

    def read(self, size: int = -1, /) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.source.read(size)


def _attachment(ctx: Ctx, record_id: UUID, upload: Upload, sha256: str, size: int, purpose: str) -> Attachment:
    return Attachment(id=uuid.uuid4(), record_id=record_id, sha256=sha256, size=size,
                      name=upload.name.strip()[:200], content_type=upload.content_type.split(";")[0].strip().lower(),
                      purpose=purpose, added_at=ctx.now, actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100])


def _attach_row(uow: UnitOfWork, attachment: Attachment) -> dict[str, Any]:
    uow.records.add_attachment(attachment)
    return {"attachment_id": str(attachment.id), "sha256": attachment.sha256, "name": attachment.name,
            "size": attachment.size}


def sign_record(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, record_id: UUID, data: SignatureInput,
                scan: Upload | None = None) -> Signature:
    """Record a signature on the latest version: signer, capacity, time, method; the scan of a
    handwritten signature or seal is required and stored. An officer signs as themselves (an
    active officer with a valid certificate, Art. 5). Raise ValidationFailed, Conflict
    ``record.not_latest`` / ``record.already_signed``."""
    problems = Problems()
    capacity = _capacity(data.capacity, problems)
    try:
        method = SignMethod(data.method)
    except ValueError:
        problems.add("method", "请选择签名方式（手写签名、盖章或电子签名）",
                     "choose the method: handwriting, seal or electronic")
        method = SignMethod.ELECTRONIC
    if method in (SignMethod.HANDWRITING, SignMethod.SEAL) and scan is None:
        problems.add("scan", "手写签名或盖章须附扫描件", "a handwritten signature or seal needs its scan")
    name = clean_text(data.signer_name, "signer_name", "签名人", problems, max_len=100,
                      required=capacity is not Capacity.OFFICER)
    problems.raise_if_any()
    with uow:
        case, versions = load_record(uow, ctx, record_id, Permission.RECORD_MANAGE)
        check_writable(case, versions[-1].kind_id)
        version = _target(versions, data.version)
        signed_at = _when(data.signed_at, case, ctx, "signed_at", "签名时间", problems)
        user_id = None
        if capacity is Capacity.OFFICER:
            name, user_id = _officer_signer(uow, case, data.signer_user_id, signed_at, problems)
        problems.raise_if_any()
        _duplicate(uow, version, capacity, name)
    stored = store_upload(blobs, scan, problems, "scan") if scan is not None else None
    with uow:
        case, versions = load_record(uow, ctx, record_id, Permission.RECORD_MANAGE)
        version = _target(versions, data.version)
        _duplicate(uow, version, capacity, name)
        after: dict[str, Any] = {"version": version.version, "capacity": capacity.value, "signer": name,
                                 "method": method.value, "signed_at": signed_at.isoformat()}
        scan_id = None
        if stored is not None and scan is not None:
            attachment = _attachment(ctx, record_id, scan, *stored, "signature")
            after["scan"] = _attach_row(uow, attachment)
            scan_id = attachment.id
        signature = Signature(id=uuid.uuid4(), record_id=record_id, record_version=version.version, capacity=capacity,
                              signer_name=name, signer_user_id=user_id, refused=False, method=method,
                              signed_at=signed_at, scan_id=scan_id, refusal_reason="", witness_name="",
                              witness_org="", recorded_at=ctx.now, actor_id=ctx.actor.user_id,
                              actor_name=ctx.actor.name[:100])
        uow.records.add_signature(signature)
        record(uow, ctx, Action.RECORD_SIGN, subject_type=SUBJECT, subject_id=record_id,
               subject_name=subject_name(case, version), after_dict=after)
        uow.commit()
    return signature


def _officer_signer(uow: UnitOfWork, case: Case, user_id: UUID | None, at: datetime,
                    problems: Problems) -> tuple[str, UUID | None]:
    user = uow.users.get(user_id) if user_id else None
    if user is None or user.bureau_id != case.bureau_id:
        problems.add("signer_user_id", "请选择签名的执法人员", "choose the signing officer")
        return "", None
    if not can_act_as_officer(user, local_date(at)):
        problems.add("signer_user_id", f"{user.display_name}不是持有效执法证的在职执法人员，不能签名（第五条）",
                     f"{user.display_name} holds no valid certificate and cannot sign (Art. 5)")
    return user.display_name[:100], user.id


def refuse_signature(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, record_id: UUID, data: RefusalInput,
                     scan: Upload | None = None) -> Signature:
    """Record that a person refused to sign or cooperate (Art. 13): who, in which capacity, the
    reason, and the witness who saw it (a scan of the witness's statement may be attached). Only
    outsiders may refuse (ValidationFailed for an officer, reviewer, approver, the agency)."""
    problems = Problems()
    capacity = _capacity(data.capacity, problems)
    name = clean_text(data.signer_name, "signer_name", "拒签人", problems, max_len=100)
    reason = clean_text(data.reason, "reason", "拒签理由或情况", problems, max_len=1000)
    witness = clean_text(data.witness_name, "witness_name", "见证人", problems, max_len=100)
    org = clean_text(data.witness_org, "witness_org", "见证人单位", problems, max_len=100, required=False)
    if witness and witness == name:
        problems.add("witness_name", "见证人不能是拒签人本人", "the witness cannot be the person refusing")
    problems.raise_if_any()
    check_refusal_allowed(capacity)
    with uow:
        case, versions = load_record(uow, ctx, record_id, Permission.RECORD_MANAGE)
        check_writable(case, versions[-1].kind_id)
        version = _target(versions, data.version)
        refused_at = _when(data.refused_at, case, ctx, "refused_at", "拒签时间", problems)
        problems.raise_if_any()
        _duplicate(uow, version, capacity, name)
    stored = store_upload(blobs, scan, problems, "scan") if scan is not None else None
    with uow:
        case, versions = load_record(uow, ctx, record_id, Permission.RECORD_MANAGE)
        version = _target(versions, data.version)
        _duplicate(uow, version, capacity, name)
        after: dict[str, Any] = {"version": version.version, "capacity": capacity.value, "person": name,
                                 "reason": reason, "witness": witness, "witness_org": org,
                                 "refused_at": refused_at.isoformat()}
        scan_id = None
        if stored is not None and scan is not None:
            attachment = _attachment(ctx, record_id, scan, *stored, "signature")
            after["scan"] = _attach_row(uow, attachment)
            scan_id = attachment.id
        refusal = Signature(id=uuid.uuid4(), record_id=record_id, record_version=version.version, capacity=capacity,
                            signer_name=name, signer_user_id=None, refused=True, method=None, signed_at=refused_at,
                            scan_id=scan_id, refusal_reason=reason, witness_name=witness, witness_org=org,
                            recorded_at=ctx.now, actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100])
        uow.records.add_signature(refusal)
        record(uow, ctx, Action.RECORD_REFUSE_SIGN, subject_type=SUBJECT, subject_id=record_id,
               subject_name=subject_name(case, version), after_dict=after)
        uow.commit()
    return refusal


def add_attachment(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, record_id: UUID, upload: Upload) -> Attachment:
    """Attach a scan or photo (PDF, JPEG, PNG, TIFF up to ``ATTACHMENT_MAX_BYTES``) to the record,
    stored write-once. Raise ValidationFailed for another type or a mismatching content,
    PayloadTooLarge ``vault.too_large`` above the limit."""
    with uow:
        case, versions = load_record(uow, ctx, record_id, Permission.RECORD_MANAGE)
        check_writable(case, versions[-1].kind_id)
    problems = Problems()
    sha256, size = store_upload(blobs, upload, problems)
    with uow:
        case, versions = load_record(uow, ctx, record_id, Permission.RECORD_MANAGE)
        attachment = _attachment(ctx, record_id, upload, sha256, size, "attachment")
        after = _attach_row(uow, attachment)
        record(uow, ctx, Action.RECORD_ATTACH, subject_type=SUBJECT, subject_id=record_id,
               subject_name=subject_name(case, versions[-1]), after_dict=after)
        uow.commit()
    return attachment


__all__ = ["STAGE_LABELS", "OfficerInput", "RecordInput", "RefusalInput", "SignatureInput", "Upload",
           "add_attachment", "correct_record", "create_record", "refuse_signature", "sign_record"]
