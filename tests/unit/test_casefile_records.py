"""The records of a case file, pure (decision 0033): the history document keeps every version
with its own signatures and refusals as stored, the order is by stage then time made, titles
and payload names are Chinese and safe; and the 卷内目录 line of a record item names its stage."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from lawtrail.domain.casefile import (
    IndexItem,
    Kind,
    attachment_filename,
    attachment_title,
    record_history,
    record_order,
    record_titles,
)
from lawtrail.domain.cases import Stage
from lawtrail.domain.records import Attachment
from tests.unit.factories import T0
from tests.unit.print_samples import catalogue, sample_case, sample_signatures, sample_version

KINDS = {k.id: k for k in catalogue().kinds}


def _scan(record_id: uuid.UUID, name: str = "签名/扫描.png", content_type: str = "image/png") -> Attachment:
    return Attachment(id=uuid.uuid4(), record_id=record_id, sha256="ab" * 32, size=120, name=name,
                      content_type=content_type, purpose="signature", added_at=T0, actor_id=None, actor_name="陈志强")


def test_the_history_keeps_every_version_with_its_own_signatures() -> None:
    kind = KINDS["inquiry_record"]
    v1 = sample_version(kind)
    v2 = sample_version(kind, 2, values={**v1.values, "person": "张叁"}, created_at=T0 + timedelta(hours=5))
    signed_v1 = sample_signatures(kind, v1)
    scan = _scan(v1.record_id)
    refusal = sample_signatures(kind, v2)[-1]
    history = record_history(sample_case(), [v2, v1], [*signed_v1, refusal], [scan],
                             {f.id: f.label for f in kind.fields})
    json.dumps(history, ensure_ascii=False)  # JSON as it is written to the bag
    assert history["record_id"] == str(v1.record_id) and history["current_version"] == 2
    first, second = history["versions"]
    assert (first["version"], first["corrects"], second["corrects"]) == (1, None, 1)
    assert second["reason"] == "更正当事人名称" and second["values"]["person"] == "张叁"
    assert len(first["signatures"]) == len(signed_v1) and len(second["signatures"]) == 1
    refused = second["signatures"][0]
    assert refused["refused"] and refused["witness"] == "王建国" and "refused_at" in refused
    assert refused["refusal_reason"] == "认为处罚过重，拒绝签名" and refused["method"] is None
    assert first["officers"][0]["cert_number"] == "44070012345" and first["created_by"]["name"] == "陈志强"
    assert history["attachments"][0]["sha256"] == scan.sha256 and history["field_labels"]["person"]
    assert history["stage_label"] == "调查取证"


def test_records_are_ordered_by_stage_then_when_made() -> None:
    inquiry = sample_version(KINDS["inquiry_record"], record_id=uuid.uuid4(), created_at=T0)
    initiation = sample_version(KINDS["initiation_form"], record_id=uuid.uuid4(), created_at=T0 + timedelta(days=1))
    later = sample_version(KINDS["inquiry_record"], record_id=uuid.uuid4(), created_at=T0 + timedelta(hours=1))
    ordered = sorted([[later], [inquiry], [initiation]], key=record_order)
    assert [vs[0].record_id for vs in ordered] == [initiation.record_id, inquiry.record_id, later.record_id]


def test_titles_and_names_are_chinese_and_safe() -> None:
    kind = KINDS["inquiry_record"]
    v2 = sample_version(kind, 2)
    assert record_titles(v2, 2) == ("询问笔录 · 第 2 版 · 调查取证环节", "询问笔录 · 版本与签名记录（共 2 版）")
    scan = _scan(v2.record_id)
    assert attachment_title(kind.name, scan) == "询问笔录 · 签名扫描件：签名/扫描.png"
    assert attachment_filename(kind.id, scan) == f"inquiry_record-{'ab' * 8}.png"  # no name from outside
    assert attachment_filename(kind.id, _scan(v2.record_id, content_type="image/tiff")).endswith(".tif")


def test_an_index_line_names_its_stage() -> None:
    line = IndexItem(2, Kind.RECORD_HISTORY, "询问笔录 · 版本与签名记录（共 1 版）", "data/records/003-x.json",
                     "0" * 64, 10, "application/json", (5,), {"type": "record", "id": "r"}, stage=Stage.INVESTIGATION)
    assert line.to_json()["stage"] == "investigation" and line.to_json()["stage_label"] == "调查取证"
    assert line.to_json()["kind_label"] == "记录版本与签名"
    plain = IndexItem(1, Kind.CASE, "案件信息", "data/001-case.json", "0" * 64, 10, "application/json")
    assert plain.to_json()["stage"] is None
