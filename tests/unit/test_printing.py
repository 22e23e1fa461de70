"""Printed forms (issue 5 item 8, decision 0023) without a PDF: how values read on paper, the
signature blocks, the HTML of every kind of the packaged catalogue, and the print service against
the fakes (one event with the digest; refusals and a failed rendering write nothing)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest

from lawtrail.domain.access import Role
from lawtrail.domain.cases import Stage
from lawtrail.domain.catalogue import Capacity, FieldSpec, FieldType, RecordKind, SignerSpec
from lawtrail.domain.printing import local_time, printed_field, signature_blocks, version_line
from lawtrail.errors import NotFound, PermissionDenied
from lawtrail.services import record_prints as prints
from lawtrail.services import records as rec_svc
from lawtrail.services import secrecy
from lawtrail.web.printing import field_rows, index_html, record_html
from tests.unit.factories import World, make_user, only_new_event
from tests.unit.print_samples import catalogue, sample_form, sample_signatures, sample_version
from tests.unit.test_services_records import LATER, SOURCE, create, inquiry, open_case
from tests.unit.test_services_records import w as w  # the fixture, reused

KINDS = catalogue().kinds


def text_of(html: str) -> str:
    """The visible text of the HTML, without tags and whitespace (labels may wrap on paper)."""
    body = html.split("<body>", 1)[1]
    return re.sub(r"\s+", "", unescape(re.sub(r"<[^>]+>", "", body)))


# ---- values on paper -------------------------------------------------------------------------------

def spec(t: FieldType, **over: Any) -> FieldSpec:
    return FieldSpec(id="f", label="字段", type=t, **over)


def test_values_read_as_a_reader_of_the_paper_expects() -> None:
    # A UTC time is printed in Beijing time.
    assert printed_field(spec(FieldType.DATETIME), "2026-11-26T09:05:00+00:00").paragraphs == ("2026年11月26日 17:05",)
    assert printed_field(spec(FieldType.DATE), "2026-02-03").paragraphs == ("2026年2月3日",)
    assert printed_field(spec(FieldType.NUMBER), 12.0).paragraphs == ("12",)
    assert printed_field(spec(FieldType.NUMBER), 8.5).paragraphs == ("8.5",)
    long = printed_field(spec(FieldType.LONG_TEXT), "问：甲\n答：乙")
    assert long.paragraphs == ("问：甲", "答：乙") and long.wide
    choice = printed_field(spec(FieldType.CHOICE, options=("受理", "不予受理")), "不予受理")
    assert [(o.label, o.checked) for o in choice.options] == [("受理", False), ("不予受理", True)]
    multi = printed_field(spec(FieldType.MULTI_CHOICE, options=("a", "b", "c")), ["a", "c"])
    assert [o.checked for o in multi.options] == [True, False, True] and multi.wide
    assert [o.checked for o in printed_field(spec(FieldType.YES_NO), False).options] == [False, True]
    assert printed_field(spec(FieldType.PEOPLE), ["甲", "乙"]).paragraphs == ("甲、乙",)
    blank = printed_field(spec(FieldType.TEXT), None)
    assert blank.blank and not blank.paragraphs
    assert printed_field(spec(FieldType.YES_NO), None).blank  # neither box ticked: to fill by hand
    assert local_time("not a time") == ""


def test_every_required_signer_gets_a_block_filled_in_order() -> None:
    kind = RecordKind(id="k", name="表", stages=(Stage.INVESTIGATION,), articles=("第十三条",),
                      fields=(FieldSpec("people", "参加人员", FieldType.PEOPLE),),
                      signers=(SignerSpec(Capacity.OFFICER, 2), SignerSpec(Capacity.PARTICIPANT, 1, "people"),
                               SignerSpec(Capacity.PARTY, 1)))
    v = sample_version(kind, values={"people": ["甲", "乙", "丙"]})
    sigs = sample_signatures(kind, v)  # one officer and one participant sign, the party refuses
    blocks = signature_blocks(kind, v, sigs)
    assert [b.capacity_label for b in blocks] == ["执法人员", "执法人员", "参加人员", "参加人员", "参加人员", "当事人"]
    assert blocks[0].given is not None and blocks[0].method_label == "电子签名"
    assert blocks[2].given is not None  # the participants' count comes from the people listed (Art. 18)
    assert all(b.given is None and b.refusal is None for b in (blocks[1], blocks[3], blocks[4]))
    assert blocks[5].refusal is not None and blocks[5].refusal.witness_name == "王建国"
    older = sample_version(kind, version=2, values={"people": []})
    assert all(b.given is None and b.refusal is None for b in signature_blocks(kind, older, sigs))  # v1's signatures


def test_version_line_and_field_rows() -> None:
    kind = catalogue().kind("inquiry_record")
    assert kind is not None
    assert version_line(sample_version(kind)) == "第 1 版"
    assert version_line(sample_version(kind, version=3)) == "第 3 版，更正自第 2 版"
    rows = field_rows(sample_form(kind).fields)
    assert [len(r.cells) for r in rows][:2] == [2, 2]
    assert all(len(r.cells) == 1 for r in rows if any(c.wide for c in r.cells))
    assert [c.id for r in rows for c in r.cells] == [f.id for f in kind.fields]  # catalogue order kept


# ---- the HTML of every kind -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS, ids=[k.id for k in KINDS])
def test_every_kind_prints_its_title_case_fields_and_signers(kind: RecordKind) -> None:
    form = sample_form(kind)
    html = record_html(form)
    text = text_of(html)
    assert "江门市市场监督管理局" in text and re.sub(r"\s", "", kind.name) in text
    assert "江市监蓬处〔2026〕18号" in text and "江门市鲜味食品有限公司销售过期食品案" in text
    assert "江门市鲜味食品有限公司" in text and "91440703MA4UXXXX1K" in text
    for f in kind.fields:
        assert re.sub(r"\s", "", f.label) in text, f.id
    for block in form.blocks:
        assert re.sub(r"\s", "", block.label) in text
    assert text.count("签名：") >= len([b for b in form.blocks if b.refusal is None])
    assert "counter(pages)" in html and "size: A4 portrait" in html
    assert ("执法证件号码" in text and "44070012345" in text) == kind.officers
    assert ("口头告知并送达书面告知书" in text) == kind.rights_notice
    assert "商业秘密" not in text and "data-level" not in html  # ordinary: no level stamp


def test_times_are_beijing_time_and_a_refusal_names_reason_and_witness() -> None:
    kind = catalogue().kind("inquiry_record")
    assert kind is not None
    text = text_of(record_html(sample_form(kind)))
    assert "2026年11月26日17:31" in text  # started_at = T0 (08:30 UTC) + 1 h 1 min → 17:31 in Beijing
    assert "李国华拒绝签名" in text and "认为处罚过重" in text and "王建国（建设三路社区居委会）" in text
    assert "问：你是否知道" in text and "以上笔录已经本人核对" in text


def test_the_level_is_prominent_when_above_ordinary_and_the_correction_is_stated() -> None:
    kind = catalogue().kind("site_inspection_record")
    assert kind is not None
    html = record_html(sample_form(kind, version=2, secrecy="trade_secret"))
    assert 'class="level-stamp" data-level="trade_secret">商业秘密' in html
    assert "商业秘密 · 注意保密" in html  # the running header of every page
    text = text_of(html)
    assert "第2版，更正自第1版" in text and "更正理由：更正当事人名称" in text


def test_approval_forms_print_the_chain_opinions() -> None:
    kind = catalogue().kind("initiation_form")
    assert kind is not None
    text = text_of(record_html(sample_form(kind)))
    assert "立案审批流程" in text and "承办人意见" in text and "建议立案调查" in text
    assert "执法机构意见" in text and "同意。同意立案，由陈志强、黄伟明承办" in text and "刘科长" in text


def test_blank_forms_leave_lines_to_sign_by_hand() -> None:
    kind = catalogue().kind("service_receipt_direct")
    assert kind is not None
    html = record_html(sample_form(kind, signed=False))
    assert html.count('class="rule"') == len(kind.signers) and "年" in text_of(html)


# ---- the service ------------------------------------------------------------------------------------

def one_event(w: World, call: Any) -> tuple[Any, Any]:
    before = len(w.events())
    result = call()
    return result, only_new_event(w, before)


def fake_pdf(form: prints.RecordForm) -> bytes:
    return f"%PDF-1.7 {form.version.kind_name} v{form.version.version}".encode()


def test_print_is_one_event_with_the_digest_of_what_was_handed_out(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    rec_svc.correct_record(w.uow(), w.ctx(w.officer_a, now=LATER), SOURCE, rec.record_id,
                           data=inquiry(w, values={"person": "张叁"}), reason="姓名笔误")
    printed = one_event(w, lambda: prints.print_record(w.uow(), w.ctx(w.officer_a), SOURCE, rec.record_id,
                                                            fake_pdf))
    result, event = printed
    assert result.content == "%PDF-1.7 询问笔录 v2".encode() and result.filename.endswith("询问笔录-v2.pdf")
    assert event.action == "case:record:print" and event.subject_id == str(rec.record_id)
    assert event.after == {"version": 2, "kind_id": "inquiry_record", "file_size": len(result.content),
                           "sha256": hashlib.sha256(result.content).hexdigest(), "level": "ordinary"}
    old, _ = one_event(w, lambda: prints.print_record(w.uow(), w.ctx(w.officer_a), SOURCE, rec.record_id,
                                                           fake_pdf, version=1))
    assert old.content.endswith(b"v1")


def test_refused_prints_and_failed_renderings_write_nothing(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    before = len(w.events())
    outsider = make_user(w.unit_b, Role.OFFICER, username="officer.b2", display_name="外单位执法员")
    w.put(outsider)
    with pytest.raises(PermissionDenied):  # another unit's officer has no record:view on this case
        prints.print_record(w.uow(), w.ctx(outsider), SOURCE, rec.record_id, fake_pdf)
    with pytest.raises(NotFound):
        prints.print_record(w.uow(), w.ctx(w.officer_a), SOURCE, rec.record_id, fake_pdf, version=7)

    def broken(form: prints.RecordForm) -> bytes:
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        prints.print_record(w.uow(), w.ctx(w.officer_a), SOURCE, rec.record_id, broken)
    assert len(w.events()) == before


def test_a_print_above_the_readers_clearance_is_refused_art_47(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    secrecy.set_case_level(w.uow(), w.ctx(w.officer_a), case.id, level="trade_secret", reason="涉及配方")
    before = len(w.events())
    with pytest.raises(PermissionDenied) as info:
        prints.print_record(w.uow(), w.ctx(w.officer_a), SOURCE, rec.record_id, fake_pdf)
    assert info.value.code == "access.above_clearance" and len(w.events()) == before


def test_case_index_lists_latest_versions_in_order(w: World) -> None:
    case = open_case(w)
    first = create(w, case)
    second = rec_svc.create_record(w.uow(), w.ctx(w.officer_a, now=LATER + timedelta(minutes=5)), SOURCE, case.id,
                                   kind_id="site_inspection_record", data=rec_svc.RecordInput(values={
                                       "place": "建设路1号", "started_at": "2026-11-26T17:00",
                                       "ended_at": "2026-11-26T17:30", "findings": "货架上有过期面包"},
                                       officers=inquiry(w).officers, rights_method="written"))
    rec_svc.correct_record(w.uow(), w.ctx(w.officer_a, now=LATER + timedelta(minutes=9)), SOURCE, first.record_id,
                           data=inquiry(w, values={"person": "张叁"}), reason="姓名笔误")
    index = prints.case_index(w.uow(), w.ctx(w.officer_a), case.id)
    assert [(e.number, e.version.record_id, e.version.version) for e in index.entries] == [
        (1, first.record_id, 2), (2, second.record_id, 1)]
    text = text_of(index_html(index))
    assert "卷内目录" in text and "询问笔录" in text and "第2版" in text and case.number.replace(" ", "") in text
    (printed, event) = one_event(w, lambda: prints.print_case_index(w.uow(), w.ctx(w.officer_a), case.id,
                                                                         lambda i: b"%PDF-index"))
    assert event.action == "case:record:print-index" and event.subject_type == "case"
    assert event.after is not None and event.after["records"] == 2 and printed.filename.endswith("卷内目录.pdf")
