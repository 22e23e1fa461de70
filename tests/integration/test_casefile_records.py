"""The records in the case file (Art. 39, decision 0033), on both engines: a concluded case with
three records — an inquiry corrected once and signed with a scanned signature plus a photo, a
second inquiry whose party refused to sign before a witness, and an initiation form made last —
exported with ``CaseRecords``: each record's printed form (a real PDF naming the case), its whole
history as JSON, its attachments byte for byte under their digests, listed in stage order in
the 卷内目录; the bag passes ``bagit`` and ``verify_bag``; a swapped scan is caught; an attachment
missing from the store stops the export."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import bagit
import pytest
from PIL import Image

from lawtrail.adapters.bag import BagWriter
from lawtrail.adapters.casefile_verify import verify_bag
from lawtrail.adapters.clock import FixedClock
from lawtrail.adapters.printing import record_pdf
from lawtrail.adapters.signer import Ed25519Signer, load_signer
from lawtrail.domain.org import User
from lawtrail.domain.printing import RecordForm
from lawtrail.domain.records import Attachment
from lawtrail.errors import IntegrityError
from lawtrail.services import casefile, users
from lawtrail.services import cases as case_svc
from lawtrail.services import records as svc
from lawtrail.services.casefile_records import CaseRecords
from lawtrail.services.record_prints import RecordRenderer
from tests.integration.archive_support import ORIGIN
from tests.integration.support import Seed
from tests.integration.test_casefile_bag import _reseal
from tests.integration.test_records_db import PNG, data
from tests.integration.test_records_db import team as team  # the fixture, reused
from tests.unit.factories import PASSWORD

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
INITIATION = {"start_reason": "投诉反映该超市销售过期食品，经初步核查属实", "party_info": "某超市，经营者张三",
              "handler_opinion": "建议立案调查", "unit_opinion": "同意立案", "leader_opinion": "同意",
              "source_materials": ["投诉材料"]}


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 120, 30)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Filed:
    case: Any
    archivist: User
    signer: Ed25519Signer
    corrected: Any  # the inquiry with two versions
    refused: Any  # the inquiry with the party's refusal
    initiation: Any
    scan: Attachment
    photo: Attachment


@pytest.fixture
def filed(seed: Seed, team: tuple[User, User, Any], clock: FixedClock, tmp_path: Path) -> Filed:
    c, (zhang, wang, case) = seed.container, team
    ctx = seed.ctx(zhang)
    first = svc.create_record(c.uow(), ctx, c.catalogue, case.id, kind_id="inquiry_record", data=data(zhang, wang))
    svc.correct_record(c.uow(), ctx, c.catalogue, first.record_id, data=data(zhang, wang, person="张叁"),
                       reason="姓名笔误", base_version=1)
    signed = svc.sign_record(c.uow(), ctx, c.blobs, first.record_id, svc.SignatureInput(
        capacity="party", signer_name="张叁", method="handwriting"),
        scan=svc.Upload("签名.png", "image/png", io.BytesIO(PNG)))
    photo = svc.add_attachment(c.uow(), ctx, c.blobs, first.record_id,
                               svc.Upload("现场.jpg", "image/jpeg", io.BytesIO(_jpeg())))
    clock.advance(timedelta(minutes=30))
    ctx = seed.ctx(zhang)
    second = svc.create_record(c.uow(), ctx, c.catalogue, case.id, kind_id="inquiry_record",
                               data=data(zhang, wang, person="李四"))
    svc.refuse_signature(c.uow(), ctx, c.blobs, second.record_id, svc.RefusalInput(
        capacity="party", signer_name="李四", reason="对笔录无异议，但拒绝签名", witness_name="陈社区"))
    clock.advance(timedelta(minutes=30))
    ctx = seed.ctx(zhang)
    initiation = svc.create_record(c.uow(), ctx, c.catalogue, case.id, kind_id="initiation_form",
                                   data=svc.RecordInput(values=INITIATION), stage="initiation")
    case = case_svc.close_case(c.uow(), ctx, case.id, reason="经调查，违法事实不能成立，撤销案件")
    archivist = users.create_user(c.uow(), c.system_ctx("t"), c.deps, unit_id=seed.unit.id, username="wulh",
                                  display_name="吴丽华", roles=["archivist"], password=PASSWORD)
    with c.uow() as uow:
        scan = uow.records.attachment(signed.scan_id)  # type: ignore[arg-type]
    assert scan is not None
    return Filed(case, archivist, load_signer(tmp_path / "keys", ORIGIN), first, second, initiation, scan, photo)


def export(seed: Seed, f: Filed, out: Path, render: RecordRenderer = record_pdf) -> casefile.ExportResult:
    c = seed.container
    return casefile.export_case_file(c.uow(), seed.ctx(f.archivist), c.blobs, f.signer, BagWriter(out),
                                     number=f.case.number, origin=ORIGIN, sources=[CaseRecords(c.catalogue, render)])


def no_pdf(form: RecordForm) -> bytes:
    """A stand-in renderer where the form's layout is not what is tested (WeasyPrint costs ~1 s)."""
    return f"%PDF-1.7 stand-in {form.version.record_id} v{form.version.version}\n".encode()


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True)
    return "".join(out.stdout.split())


def test_the_bag_holds_every_record_its_history_and_attachments_in_stage_order(
        seed: Seed, filed: Filed, tmp_path: Path) -> None:
    out = tmp_path / "bag"
    result = export(seed, filed, out)
    bagit.Bag(str(out)).validate()
    report = verify_bag(out)
    assert report.ok, json.dumps(report.to_json(), ensure_ascii=False)
    index = json.loads((out / "data" / "index.json").read_text(encoding="utf-8"))
    items = index["items"]
    assert result.items == len(items)
    records = [i for i in items if i["kind"].startswith("record")]
    # stage order: the initiation form (made last) comes first, then the inquiries as made
    assert [(i["kind"], i["subject"]["id"]) for i in records] == [
        ("record", str(filed.initiation.record_id)), ("record_history", str(filed.initiation.record_id)),
        ("record", str(filed.corrected.record_id)), ("record_history", str(filed.corrected.record_id)),
        ("record_attachment", str(filed.corrected.record_id)), ("record_attachment", str(filed.corrected.record_id)),
        ("record", str(filed.refused.record_id)), ("record_history", str(filed.refused.record_id))]
    assert [i["kind"] for i in items] == ["case", *(r["kind"] for r in records), *["ledger"] * 4]
    assert [i["stage_label"] for i in records[:3]] == ["程序启动", "程序启动", "调查取证"]
    assert records[2]["title"] == "询问笔录 · 第 2 版 · 调查取证环节"
    assert records[3]["title"] == "询问笔录 · 版本与签名记录（共 2 版）"
    assert {records[4]["title"], records[5]["title"]} == {"询问笔录 · 签名扫描件：签名.png",
                                                          "询问笔录 · 附件：现场.jpg"}
    assert all(i["attested_by"] and i["sha256"] for i in records)

    for form in (records[0], records[2], records[6]):  # a real PDF naming the case
        path = out / form["path"]
        assert path.read_bytes().startswith(b"%PDF-") and form["format"] == "application/pdf"
        assert filed.case.number in pdf_text(path)
    corrected_text = pdf_text(out / records[2]["path"])
    assert "张叁" in corrected_text and "第2版，更正自第1版" in corrected_text
    assert "陈社区" in pdf_text(out / records[6]["path"])  # the witness of the refusal

    history = json.loads((out / records[3]["path"]).read_text(encoding="utf-8"))
    assert history["record_id"] == str(filed.corrected.record_id) and history["case"]["number"] == filed.case.number
    v1, v2 = history["versions"]
    assert (v1["values"]["person"], v2["values"]["person"]) == ("张三", "张叁")
    assert (v2["reason"], v2["corrects"]) == ("姓名笔误", 1)
    assert v1["created_by"]["name"] == "zhang同志" and v1["signatures"] == []
    assert v2["signatures"][0]["scan"]["sha256"] == filed.scan.sha256 and v2["signatures"][0]["method"] == "handwriting"
    assert {a["sha256"] for a in history["attachments"]} == {filed.scan.sha256, filed.photo.sha256}
    refusal = json.loads((out / records[7]["path"]).read_text(encoding="utf-8"))["versions"][0]["signatures"][0]
    assert refusal["refused"] and refusal["witness"] == "陈社区"
    assert refusal["refusal_reason"] == "对笔录无异议，但拒绝签名"

    stored = {filed.scan.sha256: PNG, filed.photo.sha256: _jpeg()}
    for item in records[4:6]:
        assert item["sha256"] in stored and (out / item["path"]).read_bytes() == stored[item["sha256"]]
    assert {records[4]["format"], records[5]["format"]} == {"image/png", "image/jpeg"}


def test_a_swapped_scan_or_form_is_caught_even_when_resealed(seed: Seed, filed: Filed, tmp_path: Path) -> None:
    out = tmp_path / "bag"
    export(seed, filed, out, no_pdf)
    index = json.loads((out / "data" / "index.json").read_text(encoding="utf-8"))
    scan = next(i for i in index["items"] if i["kind"] == "record_attachment" and i["format"] == "image/png")
    form = next(i for i in index["items"] if i["kind"] == "record")
    (out / scan["path"]).write_bytes(PNG + b"forged")
    (out / form["path"]).write_bytes(b"not a PDF")
    _reseal(out)
    bagit.Bag(str(out)).validate()  # BagIt alone cannot see it
    report = verify_bag(out)
    failed = [i for i in report.items if not i.ok]
    assert sorted((i.number, [k for k, c in i.checks.items() if not c.ok]) for i in failed) == [
        (form["number"], ["usability"]), (scan["number"], ["authenticity"])]


def test_an_attachment_missing_from_the_store_stops_the_export(seed: Seed, filed: Filed, tmp_path: Path) -> None:
    seed.container.blobs.dispose(filed.photo.sha256)
    out = tmp_path / "bag"
    with pytest.raises(IntegrityError) as stopped:
        export(seed, filed, out)
    assert stopped.value.code == "archive.attachment_missing" and "现场.jpg" in stopped.value.message_zh
    assert not (out / "data").exists() or not any((out / "data").rglob("*"))
    trail = case_svc.case_trail(seed.container.uow(), seed.ctx(filed.archivist), filed.case.id)
    assert all(e.action != "archive:casefile:export" for e in trail)
