"""The case file (案卷, Art. 39): its numbered index (卷内目录) and the AV metadata — pure.

Every item of the file has a number in order — the case data, the records, each AV original
followed by its metadata, then the ledger excerpt — and names the ledger events that attest
it (``attested_by``: leaf indexes, each with an inclusion proof in the bag). The AV metadata
follows the spirit of DA/T 63-2017 (录音录像类电子档案元数据方案): capture device, time, place,
people, duration and technical parameters, plus the fixity digest that ties it to the original.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lawtrail.domain.cases import STAGE_LABELS, STAGE_ORDER, Case, Stage
from lawtrail.domain.catalogue import CAPACITY_LABELS
from lawtrail.domain.events import format_time
from lawtrail.domain.evidence import MediaMark
from lawtrail.domain.records import (
    RIGHTS_METHOD_LABELS,
    SIGN_METHOD_LABELS,
    Attachment,
    OfficerPresent,
    RecordVersion,
    Signature,
)
from lawtrail.domain.vault import MediaRecord, Registration

INDEX_FILE = "index.json"
FORMAT = "lawtrail/case-file"
#: Payload paths of the ledger excerpt (inside ``data/``).
EVENTS_FILE = "ledger/events.jsonl"
PROOFS_FILE = "ledger/proofs.json"
CHECKPOINT_FILE = "ledger/checkpoint.note"
VKEY_FILE = "ledger/ledger.vkey"

_EXTENSIONS = {"video": ".mp4", "audio": ".m4a", "photo": ".jpg"}


class Kind:
    CASE = "case"
    RECORD = "record"  # a record's current version as its printed form (PDF)
    RECORD_HISTORY = "record_history"  # every version of it, with its signatures and refusals (JSON)
    RECORD_ATTACHMENT = "record_attachment"  # a scan or photo attached to it, as stored
    AV_ORIGINAL = "av_original"
    AV_METADATA = "av_metadata"
    LEDGER = "ledger"


KIND_LABELS = {Kind.CASE: "案件信息", Kind.RECORD: "文字记录", Kind.RECORD_HISTORY: "记录版本与签名",
               Kind.RECORD_ATTACHMENT: "记录附件", Kind.AV_ORIGINAL: "音像原始文件", Kind.AV_METADATA: "音像元数据",
               Kind.LEDGER: "账本摘录"}
HISTORY_FORMAT = "lawtrail/record-history"
#: A file name extension for each attachment type a record accepts (``domain.records.ATTACHMENT_TYPES``).
ATTACHMENT_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif"}


@dataclass(frozen=True)
class IndexItem:
    """One line of the 卷内目录."""

    number: int
    kind: str
    title: str
    path: str | None  # ``data/…``; None when the bytes were disposed of after retention
    sha256: str
    size: int
    format: str
    attested_by: tuple[int, ...] = ()
    subject: Mapping[str, str] = field(default_factory=dict)
    describes: int | None = None  # the number of the original a metadata item describes
    status: str = "present"  # or "disposed"
    stage: Stage | None = None  # the stage a record item belongs to

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "kind": self.kind, "kind_label": KIND_LABELS.get(self.kind, self.kind),
                "title": self.title, "path": self.path, "sha256": self.sha256, "size": self.size,
                "format": self.format, "attested_by": list(self.attested_by), "subject": dict(self.subject),
                "describes": self.describes, "status": self.status,
                "stage": self.stage.value if self.stage else None,
                "stage_label": STAGE_LABELS[self.stage] if self.stage else None}


def original_filename(number: int, media: MediaRecord) -> str:
    """A safe payload name for an original: number, digest prefix, the original's extension."""
    name = media.original_name
    ext = name[name.rfind("."):].lower() if "." in name else ""
    if not ext[1:].isalnum() or len(ext) > 6:
        ext = _EXTENSIONS.get(media.media_type.value, ".bin")
    return f"av/{number:03d}-{media.sha256[:16]}{ext}"


def _time(value: Any) -> str | None:
    return format_time(value) if value is not None else None


def av_metadata(media: MediaRecord, registration: Registration | None, mark: MediaMark | None,
                case: Case, device_number: str) -> dict[str, Any]:
    """DA/T 63-style metadata of one original (keys: Chinese element name / English)."""
    facts = media.facts
    reg = registration
    gps = {k: facts.get(k) for k in ("gps_lat", "gps_lon", "gps_alt") if facts.get(k) is not None}
    return {
        "题名 / title": media.original_name,
        "档号 / case_number": case.number,
        "责任者 / responsible": {"执法机构 / unit": reg.unit_name if reg else "",
                                 "执法人员 / officer": reg.officer_name if reg else "",
                                 "入库人 / ingested_by": media.ingested_by},
        "时间 / time": {"拍摄开始 / captured_start": _time(media.captured_at),
                        "拍摄结束 / captured_end": _time(media.captured_end),
                        "交接 / handed_in": _time(media.handed_in_at), "储存 / stored": _time(media.stored_at),
                        "设备时钟偏差秒 / clock_offset_s": media.clock_offset_s},
        "地点 / place": {"卫星定位 / gps": gps or None, "取证地点 / place": mark.place if mark else ""},
        "人物 / people": {"执法人员 / officer": reg.officer_name if reg else "",
                          "当事人 / party": reg.party if reg else "",
                          "取证人员 / collector": mark.collector if mark else ""},
        "设备 / device": {"编号 / number": device_number, "厂商 / make": facts.get("device_make"),
                          "型号 / model": facts.get("device_model"), "序列号 / serial": facts.get("device_serial")},
        "时长秒 / duration_s": facts.get("duration_s"),
        "技术参数 / technical": {k: facts.get(k) for k in ("container", "video_codec", "width", "height",
                                                          "frame_rate", "audio_codec", "sample_rate", "channels")},
        "类型 / media_type": media.media_type.value,
        "登记 / registration": {"执法类别 / category": reg.category if reg else "",
                                "案由 / case_name": reg.case_name if reg else "",
                                "版本 / version": reg.version if reg else None},
        "证据 / evidence": bool(mark and mark.evidence),
        "固定性 / fixity": {"sha256": media.sha256, "size": media.size},
    }


# ---- text records ----------------------------------------------------------------------------------

def record_order(versions: Sequence[RecordVersion]) -> tuple[int, str, str]:
    """Where a record (all its versions) stands in the file: by stage, then when it was made."""
    first = min(versions, key=lambda v: v.version)
    return STAGE_ORDER.index(first.stage), format_time(first.created_at), str(first.record_id)


def record_titles(latest: RecordVersion, versions: int) -> tuple[str, str]:
    """The 卷内目录 titles of a record's form and of its history."""
    stage = STAGE_LABELS[latest.stage]
    return (f"{latest.kind_name} · 第 {latest.version} 版 · {stage}环节",
            f"{latest.kind_name} · 版本与签名记录（共 {versions} 版）")


def attachment_title(kind_name: str, attachment: Attachment) -> str:
    what = "签名扫描件" if attachment.purpose == "signature" else "附件"
    return f"{kind_name} · {what}：{attachment.name}"


def attachment_filename(kind_id: str, attachment: Attachment) -> str:
    """A safe payload name: the kind, the digest prefix, the extension of its type."""
    return f"{kind_id}-{attachment.sha256[:16]}{ATTACHMENT_EXTENSIONS.get(attachment.content_type, '.bin')}"


def _who(actor_id: Any, name: str) -> dict[str, Any]:
    return {"id": str(actor_id) if actor_id else None, "name": name}


def _officer(o: OfficerPresent) -> dict[str, Any]:
    return {"user_id": str(o.user_id), "name": o.name, "cert_number": o.cert_number, "cert_shown": o.cert_shown}


def _signature(s: Signature, scans: Mapping[Any, Attachment]) -> dict[str, Any]:
    scan = scans.get(s.scan_id) if s.scan_id else None
    return {"id": str(s.id), "capacity": s.capacity.value, "capacity_label": CAPACITY_LABELS[s.capacity],
            "person": s.signer_name, "user_id": str(s.signer_user_id) if s.signer_user_id else None,
            "refused": s.refused, "method": s.method.value if s.method else None,
            "method_label": SIGN_METHOD_LABELS[s.method] if s.method else None,
            ("refused_at" if s.refused else "signed_at"): format_time(s.signed_at),
            "refusal_reason": s.refusal_reason, "witness": s.witness_name, "witness_org": s.witness_org,
            "scan": {"id": str(scan.id), "sha256": scan.sha256} if scan else None,
            "recorded_at": format_time(s.recorded_at), "recorded_by": _who(s.actor_id, s.actor_name)}


def _version(v: RecordVersion, signatures: Sequence[Signature], scans: Mapping[Any, Attachment]) -> dict[str, Any]:
    return {"version": v.version, "corrects": v.version - 1 if v.version > 1 else None, "reason": v.reason,
            "created_at": format_time(v.created_at), "created_by": _who(v.actor_id, v.actor_name),
            "stage": v.stage.value, "kind_id": v.kind_id, "kind_name": v.kind_name,
            "catalogue_version": v.catalogue_version, "values": dict(v.values),
            "officers": [_officer(o) for o in v.officers],
            "rights_method": v.rights_method.value if v.rights_method else None,
            "rights_method_label": RIGHTS_METHOD_LABELS[v.rights_method] if v.rights_method else None,
            "av_media_ids": [str(m) for m in v.av_media_ids], "av_waiver": v.av_waiver,
            "signatures": [_signature(s, scans) for s in signatures if s.record_version == v.version]}


def record_history(case: Case, versions: Sequence[RecordVersion], signatures: Sequence[Signature],
                   attachments: Sequence[Attachment], labels: Mapping[str, str]) -> dict[str, Any]:
    """Everything the record holds, as stored (Art. 37: nothing rewritten): every version oldest
    first with its values, officers, rights notice, AV links, who made it and when, and the
    signatures and refusals given on it (who, capacity, method, reason, witness, the scan's
    digest, who recorded it and when); then the attachments. ``labels`` names the fields."""
    ordered = sorted(versions, key=lambda v: v.version)
    latest = ordered[-1]
    scans = {a.id: a for a in attachments}
    return {"format": HISTORY_FORMAT, "version": 1, "record_id": str(latest.record_id),
            "case": {"id": str(case.id), "number": case.number},
            "kind": {"id": latest.kind_id, "name": latest.kind_name},
            "stage": latest.stage.value, "stage_label": STAGE_LABELS[latest.stage],
            "current_version": latest.version, "field_labels": dict(labels),
            "versions": [_version(v, signatures, scans) for v in ordered],
            "attachments": [{"id": str(a.id), "name": a.name, "content_type": a.content_type, "purpose": a.purpose,
                             "sha256": a.sha256, "size": a.size, "added_at": format_time(a.added_at),
                             "added_by": _who(a.actor_id, a.actor_name)} for a in attachments]}


def index_document(case: Case, bureau_name: str, items: Sequence[IndexItem], checkpoint_size: int,
                   exported_at: str, exported_by: str) -> dict[str, Any]:
    """The whole 卷内目录 as written to ``data/index.json``."""
    return {"format": FORMAT, "version": 1, "bureau": bureau_name, "case": {
                "id": str(case.id), "number": case.number, "name": case.name,
                "opened_at": format_time(case.opened_at), "concluded_at": _time(case.ended_at)},
            "exported_at": exported_at, "exported_by": exported_by, "checkpoint_size": checkpoint_size,
            "ledger": {"events": f"data/{EVENTS_FILE}", "proofs": f"data/{PROOFS_FILE}",
                       "checkpoint": f"data/{CHECKPOINT_FILE}", "vkey": f"data/{VKEY_FILE}"},
            "items": [item.to_json() for item in items]}
