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

from lawtrail.domain.cases import Case
from lawtrail.domain.events import format_time
from lawtrail.domain.evidence import MediaMark
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
    RECORD = "record"
    AV_ORIGINAL = "av_original"
    AV_METADATA = "av_metadata"
    LEDGER = "ledger"


KIND_LABELS = {Kind.CASE: "案件信息", Kind.RECORD: "文字记录", Kind.AV_ORIGINAL: "音像原始文件",
               Kind.AV_METADATA: "音像元数据", Kind.LEDGER: "账本摘录"}


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

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "kind": self.kind, "kind_label": KIND_LABELS.get(self.kind, self.kind),
                "title": self.title, "path": self.path, "sha256": self.sha256, "size": self.size,
                "format": self.format, "attested_by": list(self.attested_by), "subject": dict(self.subject),
                "describes": self.describes, "status": self.status}


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
