"""Printed forms as real PDFs (issue 5 item 8, decision 0023): every kind of the packaged catalogue
rendered by WeasyPrint and read back with poppler's pdftotext (title, case number, every field
label, "第 1 页 共"), the Noto CJK fonts embedded, three forms turned into PNGs with pdftoppm under
``test-artifacts/forms/`` to look at, and the API on both engines: the PDF served is the one
whose digest the print event recorded."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.catalogue import RecordKind
from lawtrail.domain.org import User
from lawtrail.services import records as svc
from lawtrail.web.printing import record_pdf
from tests.integration.support import Seed
from tests.integration.test_records_db import Api, data
from tests.integration.test_records_db import api as api  # the fixtures, reused
from tests.integration.test_records_db import team as team
from tests.unit.print_samples import catalogue, sample_form

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
KINDS = catalogue().kinds
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "forms"


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True)
    return out.stdout


#: The label columns of the field table, in PDF points (A4 is 595 wide; the left margin is 22 mm,
#: the table 170 mm; a label cell is 19 % of it, the second one starts at half of it).
LABEL_COLUMNS = ((60, 96), (300, 97))


def label_text(pdf: bytes, tmp_path: Path) -> str:
    """The text of the label columns only: a long label wraps in its cell, and pdftotext of the
    whole page interleaves its lines with the value beside it."""
    path = tmp_path / "labels.pdf"
    path.write_bytes(pdf)
    return "".join(squeeze(subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-x", str(x), "-y", "0", "-W", str(w), "-H", "842", str(path), "-"],
        check=True, capture_output=True, text=True).stdout) for x, w in LABEL_COLUMNS)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages(pdf: bytes, tmp_path: Path) -> int:
    """The page count as poppler's pdfinfo reads it."""
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    found = re.search(r"^Pages:\s+(\d+)$", out, re.M)
    assert found, out
    return int(found.group(1))


@pytest.mark.parametrize("kind", KINDS, ids=[k.id for k in KINDS])
def test_every_kind_renders_as_a_pdf_with_its_title_case_fields_and_page_numbers(kind: RecordKind,
                                                                                tmp_path: Path) -> None:
    pdf = record_pdf(sample_form(kind))
    assert pdf.startswith(b"%PDF-")
    text = squeeze(pdf_text(pdf, tmp_path))
    assert squeeze(kind.name) in text and "江门市市场监督管理局" in text
    assert "江市监蓬处〔2026〕18号" in text and "江门市鲜味食品有限公司销售过期食品案" in text
    labels = label_text(pdf, tmp_path)
    for f in kind.fields:
        assert squeeze(f.label) in text or squeeze(f.label) in labels, f.id
    assert "第1页共" in text  # "第 1 页 共 N 页": pdftotext drops the thin spaces between CJK and digits
    n = pages(pdf, tmp_path)
    assert f"第{n}页共{n}页" in text  # the last page knows the total
    assert n <= 3  # a form with sample values stays a form, not a scroll


def test_long_values_wrap_inside_the_page(tmp_path: Path) -> None:
    """No overflow: unbroken Latin, long Chinese text and long labels stay inside the margins."""
    kind = catalogue().kind("inquiry_record")
    assert kind is not None
    unbroken = "A" * 180  # an identifier or URL without a space
    form = sample_form(kind, values={"place": unbroken, "person": "某" * 100,
                                     "content": "问：" + "很长的回答" * 400 + "\n答：" + "B" * 600})
    pdf = record_pdf(form)
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    n = pages(pdf, tmp_path)
    assert n >= 2
    for page in range(1, n + 1):  # nothing printed in the right margin (18 mm = 51 pt) of any page
        out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-x", "546", "-y", "40", "-W", "49",
                              "-H", "760", str(path), "-"], check=True, capture_output=True, text=True).stdout
        assert not out.strip(), (page, out)
    assert "A" * 20 in squeeze(pdf_text(pdf, tmp_path))  # the text is there, wrapped


def test_fonts_are_noto_cjk_embedded(tmp_path: Path) -> None:
    kind = catalogue().kind("inquiry_record")
    assert kind is not None
    path = tmp_path / "f.pdf"
    path.write_bytes(record_pdf(sample_form(kind)))
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    fonts = [line for line in out.splitlines()[2:] if line.strip()]
    assert fonts and all("Noto" in line and " yes " in line for line in fonts), out


def pdf_streams(pdf: bytes) -> bytes:
    """Every stream of the file, inflated where it is Flate-compressed (object streams included)."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            out.append(m.group(1))
    return pdf + b"".join(out)


def test_forms_are_pdf_a_2b(tmp_path: Path) -> None:
    """PDF/A-2b (decision 0041): the XMP metadata claims part 2, level B; an output intent with
    an ICC profile; every font embedded (no PDF/A validator runs here — veraPDF is not on this
    machine's registries; these are the parts of ISO 19005-2 level B a renderer can get wrong)."""
    kind = catalogue().kind("initiation_form")
    assert kind is not None
    pdf = record_pdf(sample_form(kind))
    body = pdf_streams(pdf)
    assert re.search(rb'pdfaid:part="2"', body) and re.search(rb'pdfaid:conformance="B"', body)
    assert b"/OutputIntent" in body and b"/GTS_PDFA1" in body and b"/DestOutputProfile" in body
    path = tmp_path / "a.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip()), fonts


@pytest.mark.parametrize(("kind_id", "options"), [
    ("inquiry_record", {"version": 2, "secrecy": "trade_secret"}),  # Q&A, officers, rights, a refusal
    ("initiation_form", {}),  # long texts, many options, the approval chain's opinions
    ("service_receipt_direct", {"signed": False}),  # blank lines to sign by hand
])
def test_representative_forms_as_png(kind_id: str, options: dict[str, Any], tmp_path: Path) -> None:
    """Writes the pages as PNGs to look at (``test-artifacts/forms/<kind>-<page>.png``)."""
    kind = catalogue().kind(kind_id)
    assert kind is not None
    pdf = record_pdf(sample_form(kind, **options))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{kind_id}-*.png"):
        old.unlink()
    (ARTIFACTS / f"{kind_id}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(ARTIFACTS / f"{kind_id}.pdf"), str(ARTIFACTS / kind_id)],
                   check=True)
    images = sorted(ARTIFACTS.glob(f"{kind_id}-*.png"))
    assert len(images) == pages(pdf, tmp_path) >= 1
    for image in images:
        head = image.read_bytes()
        assert head.startswith(b"\x89PNG") and len(head) > 20_000  # not a blank page


def test_api_serves_the_pdf_whose_digest_the_print_event_recorded(seed: Seed, team: tuple[User, User, Any],
                                                                   api: Api, tmp_path: Path) -> None:
    c, (zhang, wang, case) = seed.container, team
    rec = svc.create_record(c.uow(), seed.ctx(zhang), c.catalogue, case.id, kind_id="inquiry_record",
                            data=data(zhang, wang))
    svc.sign_record(c.uow(), seed.ctx(zhang), c.blobs, rec.record_id, svc.SignatureInput(
        capacity="officer", signer_user_id=zhang.id, method="electronic"))
    response = api.client.get(f"/api/v1/records/{rec.record_id}/pdf", headers=api.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "inline" in response.headers["content-disposition"] and "filename*=UTF-8''" in response.headers[
        "content-disposition"]
    pdf = response.content
    text = squeeze(pdf_text(pdf, tmp_path))
    assert "询问笔录" in text and squeeze(case.number) in text and "zhang同志" in text and "电子签名" in text
    with SqlUnitOfWork(c.engine) as uow:
        event = uow.events.list(subject_type="record", subject_id=str(rec.record_id), limit=1)[0]
    assert event.action == "case:record:print" and event.after is not None
    assert event.after["sha256"] == hashlib.sha256(pdf).hexdigest() == response.headers["x-content-sha256"]
    assert event.after["version"] == 1
    missing = api.client.get(f"/api/v1/records/{rec.record_id}/pdf?version=9", headers=api.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "record.version_not_found"
    index = api.client.get(f"/api/v1/cases/{case.id}/records/index.pdf", headers=api.headers)
    assert index.status_code == 200 and "卷内目录" in squeeze(pdf_text(index.content, tmp_path))
