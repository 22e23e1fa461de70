"""Record services against the fakes: one transaction and one event per change, refusals write
nothing, versions instead of rewrites, signatures and refusals with a witness (Art. 13), the
officers present (Art. 11), rights notices (Art. 12), AV or its waiver (Art. 14), the catalogue
edit, recorded reads of scans, and the per-stage gaps."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest

from lawtrail.domain.access import Role
from lawtrail.domain.cases import Case, Stage
from lawtrail.domain.records import GapKind
from lawtrail.errors import Conflict, NotFound, PayloadTooLarge, PermissionDenied, ValidationFailed
from lawtrail.services import cases as case_svc
from lawtrail.services import catalogue as cat_svc
from lawtrail.services import record_reads as reads
from lawtrail.services import records as svc
from lawtrail.services import vault_verify
from lawtrail.services.case_input import CaseDetails
from lawtrail.services.records import OfficerInput, RecordInput, RefusalInput, SignatureInput, Upload
from tests.unit.factories import T0, World, make_user, only_new_event, refused, seeded_world
from tests.unit.fakes import FakeBlobStore, FakeCatalogueSource
from tests.unit.test_services_cases import approve

SOURCE = FakeCatalogueSource()
PNG = b"\x89PNG\r\n\x1a\n" + b"signature-scan" * 10
PDF = b"%PDF-1.7\n" + b"0" * 200
LATER = T0 + timedelta(hours=2)


@pytest.fixture
def w() -> World:
    world = seeded_world()
    second = make_user(world.unit_a, Role.OFFICER, username="officer.a2", display_name="第二执法员")
    world.put(second)
    world.second = second  # type: ignore[attr-defined]
    world.db.commits = 0
    return world


def open_case(w: World, stage: Stage = Stage.INVESTIGATION, **over: Any) -> Case:
    values: dict[str, Any] = dict(action_type="penalty", procedure="general", origin="complaint",
                                  name="某食品公司销售过期食品案", cause="涉嫌销售过期食品",
                                  complainant_real_name=False)
    values.update(over)
    case = case_svc.open_case(w.uow(), w.ctx(w.officer_a), unit_id=w.unit_a.id, details=CaseDetails(**values),
                              handler_ids=[w.officer_a.id, w.second.id])  # type: ignore[attr-defined]
    if stage is not Stage.INITIATION:
        approve(w, case, "initiation")
        case = case_svc.advance_stage(w.uow(), w.ctx(w.officer_a), case.id, to=stage)
    return case


def inquiry(w: World, **over: Any) -> RecordInput:
    values = {"place": "江门市蓬江区建设路1号", "started_at": "2026-11-26T17:00", "ended_at": "2026-11-26T17:40",
              "person": "张三", "person_role": "当事人", "content": "问：你是否知道……\n答：知道。"}
    values.update(over.pop("values", {}))
    data: dict[str, Any] = dict(values=values, rights_method="written",
                                officers=[OfficerInput(w.officer_a.id, True),
                                          OfficerInput(w.second.id, True)])  # type: ignore[attr-defined]
    data.update(over)
    return RecordInput(**data)


def create(w: World, case: Case, kind: str = "inquiry_record", data: RecordInput | None = None) -> Any:
    return svc.create_record(w.uow(), w.ctx(w.officer_a, now=LATER), SOURCE, case.id, kind_id=kind,
                             data=data or inquiry(w))


def test_create_stores_version_1_under_the_packaged_catalogue_with_one_event(w: World) -> None:
    case = open_case(w)
    before = len(w.events())
    rec = create(w, case)
    event = only_new_event(w, before)
    assert event.action == "case:record:create" and event.subject_type == "record"
    assert event.after is not None and event.after["catalogue_version"] == 1 and event.after["kind"] == "inquiry_record"
    assert event.after["catalogue_sha256"] == cat_svc.digest(SOURCE.text)
    assert rec.version == 1 and rec.catalogue_version == 1 and rec.stage is Stage.INVESTIGATION
    assert rec.values["started_at"] == "2026-11-26T17:00+08:00" and rec.rights_method is not None
    assert [o.cert_number for o in rec.officers] == [w.officer_a.certificate.number,  # type: ignore[union-attr]
                                                     w.second.certificate.number]  # type: ignore[attr-defined]
    assert [c.version for c in w.state.catalogues] == [1]  # the packaged version is now stored
    assert reads.case_records(w.uow(), w.ctx(w.leader), SOURCE, case.id)[Stage.INVESTIGATION][0].latest == rec


@pytest.mark.parametrize(("kind", "data", "field"), [
    ("nonexistent", None, "kind_id"),
    ("initiation_form", None, "stage"),  # an initiation record at the investigation stage
    ("simplified_record", None, "kind"),  # a general-procedure case
    ("inquiry_record", {"values": {"place": ""}}, "values.place"),
    ("inquiry_record", {"values": {"started_at": "2026-11-27T09:00"}}, "values.started_at"),  # future
    ("inquiry_record", {"values": {"started_at": "2026-11-20T09:00"}}, "values.started_at"),  # before opening
    ("inquiry_record", {"values": {"started_at": "yesterday"}}, "values.started_at"),
    ("inquiry_record", {"values": {"person_role": "路人"}}, "values.person_role"),
    ("inquiry_record", {"values": {"place": "x" * 201}}, "values.place"),
    ("inquiry_record", {"values": {"place": "两行\n地点"}}, "values.place"),
    ("inquiry_record", {"values": {"colour": "red"}}, "values.colour"),
    ("inquiry_record", {"rights_method": ""}, "rights_method"),
    ("inquiry_record", {"officers": []}, "officers"),
    ("rights_notice", {"values": {}, "av_waiver": "现场光线不足"}, "av_media_ids"),  # no AV for this kind
])
def test_bad_records_are_refused_and_write_nothing(w: World, kind: str, data: dict[str, Any] | None,
                                                   field: str) -> None:
    case = open_case(w)
    given = None
    if kind == "rights_notice":
        given = RecordInput(values={"notified_at": "2026-11-26T17:00", "rights": ["陈述", "申辩"]},
                            rights_method="written", av_waiver="现场光线不足")
    elif data is not None:
        given = inquiry(w, **data)
    exc = refused(w, ValidationFailed, lambda: create(w, case, kind, given))
    fields = [p.field for p in exc.problems]
    assert fields == [field] if kind == "rights_notice" else field in fields, fields
    assert w.state.catalogues == []  # not even the packaged version was stored


def test_only_certified_officers_count_as_present_art_11(w: World) -> None:
    case = open_case(w)
    data = inquiry(w, officers=[OfficerInput(w.officer_a.id, True), OfficerInput(w.former_officer.id, True)])
    exc = refused(w, ValidationFailed, lambda: create(w, case, data=data))
    assert "officers.1" in [p.field for p in exc.problems]


def test_record_manage_is_needed_on_the_case_unit(w: World) -> None:
    case = open_case(w)
    for who in (w.officer_b, w.leader, w.admin):
        refused(w, PermissionDenied, lambda who=who: svc.create_record(
            w.uow(), w.ctx(who, now=LATER), SOURCE, case.id, kind_id="inquiry_record", data=inquiry(w)))
    refused(w, NotFound, lambda: svc.create_record(w.uow(), w.ctx(w.other_admin, now=LATER), SOURCE, case.id,
                                                   kind_id="inquiry_record", data=inquiry(w)))


def test_a_correction_is_a_new_version_and_both_stay(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    before = len(w.events())
    new = svc.correct_record(w.uow(), w.ctx(w.officer_a, now=LATER), SOURCE, rec.record_id,
                             data=inquiry(w, values={"place": "江门市蓬江区建设路2号"}), reason="地址笔误",
                             base_version=1)
    event = only_new_event(w, before)
    assert event.action == "case:record:correct" and event.after is not None
    assert event.after["changed"] == ["place"] and event.after["reason"] == "地址笔误"
    assert event.before is not None and event.before["values"]["place"] == "江门市蓬江区建设路1号"
    assert (new.version, new.record_id, new.reason) == (2, rec.record_id, "地址笔误")
    detail = reads.get_record(w.uow(), w.ctx(w.officer_a), SOURCE, rec.record_id)
    assert [v.version.version for v in detail.versions] == [1, 2]
    assert detail.versions[0].version.values["place"] == "江门市蓬江区建设路1号"
    assert detail.versions[1].changed == ["place"]
    refused(w, ValidationFailed, lambda: svc.correct_record(
        w.uow(), w.ctx(w.officer_a, now=LATER), SOURCE, rec.record_id,
        data=inquiry(w, values={"place": "江门市蓬江区建设路2号"}), reason="再改"))  # unchanged
    refused(w, Conflict, lambda: svc.correct_record(
        w.uow(), w.ctx(w.officer_a, now=LATER), SOURCE, rec.record_id, data=inquiry(w), reason="改回",
        base_version=1))  # stale
    refused(w, ValidationFailed, lambda: svc.correct_record(
        w.uow(), w.ctx(w.officer_a, now=LATER), SOURCE, rec.record_id, data=inquiry(w), reason=" "))


def upload(data: bytes = PNG, kind: str = "image/png", name: str = "scan.png") -> Upload:
    return Upload(name=name, content_type=kind, source=io.BytesIO(data))


def test_signatures_and_a_refusal_with_a_witness_make_the_record_complete(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    blobs = FakeBlobStore()
    ctx = w.ctx(w.officer_a, now=LATER)
    state = reads.get_record(w.uow(), ctx, SOURCE, rec.record_id).latest.state
    assert not state.signatures_complete and [s.needed for s in state.slots] == [2, 1]
    before = len(w.events())
    sig = svc.sign_record(w.uow(), ctx, blobs, rec.record_id,
                          SignatureInput(capacity="officer", signer_user_id=w.officer_a.id, method="electronic"))
    assert only_new_event(w, before).action == "case:record:sign" and sig.signer_name == w.officer_a.display_name
    svc.sign_record(w.uow(), ctx, blobs, rec.record_id,
                    SignatureInput(capacity="officer", signer_user_id=w.second.id,  # type: ignore[attr-defined]
                                   method="handwriting"), scan=upload())
    assert len(blobs.objects) == 1
    refused(w, Conflict, lambda: svc.sign_record(w.uow(), ctx, blobs, rec.record_id, SignatureInput(
        capacity="officer", signer_user_id=w.officer_a.id, method="electronic")))  # twice
    before = len(w.events())
    refusal = svc.refuse_signature(w.uow(), ctx, blobs, rec.record_id, RefusalInput(
        capacity="party", signer_name="张三", reason="对笔录内容有异议，拒绝签名", witness_name="李社区",
        witness_org="建设路社区居委会"))
    event = only_new_event(w, before)
    assert event.action == "case:record:refuse-sign" and event.after is not None
    assert event.after["witness"] == "李社区" and refusal.refused and refusal.method is None
    detail = reads.get_record(w.uow(), ctx, SOURCE, rec.record_id)
    assert detail.latest.state.signatures_complete
    assert [a.purpose for a in detail.attachments] == ["signature"]


@pytest.mark.parametrize(("data", "scan", "field"), [
    (SignatureInput(capacity="king", signer_name="x", method="electronic"), None, "capacity"),
    (SignatureInput(capacity="party", signer_name="张三", method="handwriting"), None, "scan"),
    (SignatureInput(capacity="party", signer_name="", method="electronic"), None, "signer_name"),
    (SignatureInput(capacity="party", signer_name="张三", method="ink"), None, "method"),
    (SignatureInput(capacity="officer", method="electronic"), None, "signer_user_id"),
    (SignatureInput(capacity="party", signer_name="张三", method="electronic", signed_at=T0 + timedelta(days=1)),
     None, "signed_at"),
    (SignatureInput(capacity="party", signer_name="张三", method="seal"), ("%PDF-", "image/png"), "scan"),
    (SignatureInput(capacity="party", signer_name="张三", method="seal"), ("MZ\x90", "application/x-msdownload"),
     "scan"),
])
def test_bad_signatures_write_nothing(w: World, data: SignatureInput, scan: tuple[str, str] | None,
                                      field: str) -> None:
    case = open_case(w)
    rec = create(w, case)
    blobs = FakeBlobStore()
    up = upload(scan[0].encode() + b"x" * 50, scan[1]) if scan else None
    exc = refused(w, ValidationFailed, lambda: svc.sign_record(w.uow(), w.ctx(w.officer_a, now=LATER), blobs,
                                                               rec.record_id, data, scan=up))
    assert field in [p.field for p in exc.problems]
    assert blobs.objects == {}


def test_officers_cannot_refuse_and_a_refusal_needs_a_witness(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    ctx = w.ctx(w.officer_a, now=LATER)
    exc = refused(w, ValidationFailed, lambda: svc.refuse_signature(w.uow(), ctx, FakeBlobStore(), rec.record_id,
                                                                    RefusalInput("officer", "某人", "不签", "见证人")))
    assert exc.problems[0].field == "capacity"
    exc = refused(w, ValidationFailed, lambda: svc.refuse_signature(w.uow(), ctx, FakeBlobStore(), rec.record_id,
                                                                    RefusalInput("party", "张三", "不签", "")))
    assert "witness_name" in [p.field for p in exc.problems]
    refused(w, ValidationFailed, lambda: svc.refuse_signature(w.uow(), ctx, FakeBlobStore(), rec.record_id,
                                                              RefusalInput("party", "张三", "不签", "张三")))


def test_a_corrected_record_is_signed_again(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    ctx = w.ctx(w.officer_a, now=LATER)
    svc.sign_record(w.uow(), ctx, FakeBlobStore(), rec.record_id,
                    SignatureInput(capacity="party", signer_name="张三", method="electronic"))
    svc.correct_record(w.uow(), ctx, SOURCE, rec.record_id, data=inquiry(w, values={"person": "张叁"}), reason="姓名")
    detail = reads.get_record(w.uow(), ctx, SOURCE, rec.record_id)
    assert [len(v.signatures) for v in detail.versions] == [1, 0]
    refused(w, Conflict, lambda: svc.sign_record(w.uow(), ctx, FakeBlobStore(), rec.record_id, SignatureInput(
        capacity="party", signer_name="张叁", method="electronic", version=1)))


def test_attachments_are_checked_stored_and_reading_them_is_recorded(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    blobs = FakeBlobStore()
    ctx = w.ctx(w.officer_a, now=LATER)
    before = len(w.events())
    att = svc.add_attachment(w.uow(), ctx, blobs, rec.record_id, upload(PDF, "application/pdf", "笔录扫描件.pdf"))
    assert only_new_event(w, before).action == "case:record:attach" and blobs.objects[att.sha256] == PDF
    refused(w, ValidationFailed, lambda: svc.add_attachment(w.uow(), ctx, blobs, rec.record_id,
                                                            upload(b"hello", "text/plain", "a.txt")))
    big = upload(PDF + b"0" * (20 * 1024 * 1024), "application/pdf", "big.pdf")
    with pytest.raises(PayloadTooLarge):
        svc.add_attachment(w.uow(), ctx, _LimitedStore(blobs), rec.record_id, big)
    before = len(w.events())
    opened = reads.open_attachment(w.uow(), w.ctx(w.leader), blobs, rec.record_id, att.id)
    assert opened.reader.read() == PDF
    event = only_new_event(w, before)
    assert event.action == "case:record:read" and event.after is not None and event.after["sha256"] == att.sha256
    before = len(w.events())
    with pytest.raises(PermissionDenied):
        reads.open_attachment(w.uow(), w.ctx(w.officer_b), blobs, rec.record_id, att.id)
    event = only_new_event(w, before)
    assert event.action == "case:record:read" and event.after == {"attachment_id": str(att.id), "refused": True,
                                                                   "code": "permission_denied"}
    with pytest.raises(NotFound):
        reads.open_attachment(w.uow(), w.ctx(w.other_admin), blobs, rec.record_id, att.id)
    assert w.events()[-1].after["refused"] is True  # type: ignore[index]


class _LimitedStore(FakeBlobStore):
    """The fake store with the size limit the real stores enforce."""

    def __init__(self, inner: FakeBlobStore) -> None:
        super().__init__()
        self.objects = inner.objects

    def put_stream(self, source: Any, *, expected_sha256: str | None = None, max_bytes: int | None = None) -> Any:
        data = source.read(1 << 30) + source.read(1 << 30)
        if max_bytes is not None and len(data) > max_bytes:
            raise PayloadTooLarge("文件过大", "too large", code="vault.too_large")
        return super().put_stream(io.BytesIO(data), max_bytes=max_bytes)


def test_vault_verify_checks_record_scans_as_originals_not_untracked(w: World) -> None:
    """A scan stored for a record is a recorded original: verified, and reported changed when its
    bytes are, never "untracked" (the demo's scans were before)."""
    rec = create(w, open_case(w))
    blobs = FakeBlobStore()
    att = svc.add_attachment(w.uow(), w.ctx(w.officer_a, now=LATER), blobs, rec.record_id,
                             upload(PDF, "application/pdf", "笔录扫描件.pdf"))
    report = vault_verify.verify_vault(w.uow(), w.ctx(w.supervisor, now=LATER), blobs)
    assert (report.clean, report.checked, report.bytes) == (True, 1, len(PDF))
    blobs.objects[att.sha256] = PDF + b"x"
    report = vault_verify.verify_vault(w.uow(), w.ctx(w.supervisor, now=LATER), blobs)
    assert [(p.sha256, p.kind) for p in report.problems] == [(att.sha256, "changed")]


def test_catalogue_edit_is_one_event_and_records_keep_their_version(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    text = SOURCE.text.replace("name: 询问笔录", "name: 询问笔录（修订）")
    refused(w, PermissionDenied, lambda: cat_svc.update_catalogue(w.uow(), w.ctx(w.officer_a), SOURCE, text=text,
                                                                  reason="改名"))
    refused(w, ValidationFailed, lambda: cat_svc.update_catalogue(w.uow(), w.ctx(w.admin), SOURCE,
                                                                  text="version: 1\nkinds: []\n", reason="清空"))
    refused(w, ValidationFailed, lambda: cat_svc.update_catalogue(w.uow(), w.ctx(w.admin), SOURCE,
                                                                  text=SOURCE.text, reason="不变"))
    before = len(w.events())
    new = cat_svc.update_catalogue(w.uow(), w.ctx(w.admin), SOURCE, text=text, reason="改名", base_version=1)
    event = only_new_event(w, before)
    assert event.action == "config:catalogue:update" and new.version == 2
    assert event.before == {"version": 1, "sha256": cat_svc.digest(SOURCE.text), "kinds": 31}
    assert event.after is not None and event.after["sha256"] == cat_svc.digest(text)
    refused(w, Conflict, lambda: cat_svc.update_catalogue(w.uow(), w.ctx(w.admin), SOURCE, text=text + "\n#",
                                                          reason="旧版本上改", base_version=1))
    view = cat_svc.get_catalogue(w.uow(), w.ctx(w.officer_a), SOURCE)
    assert view.catalogue.version == 2 and [c.version for c in view.history] == [1, 2]
    assert cat_svc.get_catalogue(w.uow(), w.ctx(w.officer_a), SOURCE, version=1).text == SOURCE.text
    second = create(w, case)
    assert (rec.catalogue_version, second.catalogue_version, second.kind_name) == (1, 2, "询问笔录（修订）")
    assert reads.get_record(w.uow(), w.ctx(w.officer_a), SOURCE, rec.record_id).kind.name == "询问笔录"  # type: ignore[union-attr]


def test_gaps_per_stage_name_missing_records_signatures_and_av(w: World) -> None:
    case = open_case(w)
    gaps = reads.case_gaps(w.uow(), w.ctx(w.officer_a), SOURCE, case.id)
    assert [(g.stage, g.gap, g.kind_id, g.overdue) for g in gaps] == [
        (Stage.INITIATION, GapKind.RECORD, "initiation_form", True),
        (Stage.REVIEW, GapKind.RECORD, "rights_notice", False)]
    site = create(w, case, "site_inspection_record", RecordInput(
        values={"place": "仓库", "started_at": "2026-11-26T17:00", "ended_at": "2026-11-26T17:30",
                "findings": "发现过期食品12箱"},
        officers=[OfficerInput(w.officer_a.id, True), OfficerInput(w.second.id, False)],  # type: ignore[attr-defined]
        rights_method="oral"))
    gaps = reads.case_gaps(w.uow(), w.ctx(w.officer_a), SOURCE, case.id)
    mine = [(g.gap, g.missing) for g in gaps if g.record_id == site.record_id]
    assert mine == [(GapKind.AV, ()), (GapKind.SIGNATURES, ("officer", "party"))]
    svc.correct_record(w.uow(), w.ctx(w.officer_a, now=LATER), SOURCE, site.record_id, reason="补记",
                       data=RecordInput(values=dict(site.values), officers=[
                           OfficerInput(w.officer_a.id, True), OfficerInput(w.second.id, False)],  # type: ignore[attr-defined]
                           rights_method="oral", av_waiver="当事人仓库内无照明，不适宜录像"))
    gaps = reads.case_gaps(w.uow(), w.ctx(w.officer_a), SOURCE, case.id)
    assert [g.gap for g in gaps if g.record_id == site.record_id] == [GapKind.SIGNATURES]


def notice(w: World) -> RecordInput:
    return RecordInput(values={"complainant": "周先生", "notified_at": "2026-11-26T18:00", "method": "电话告知",
                               "reason": "同一违法行为已另案查处", "content": "告知投诉人已并入前案"})


def test_an_archived_case_refuses_every_record_change_art_39(w: World) -> None:
    case = open_case(w)
    rec = create(w, case)
    case_svc.close_case(w.uow(), w.ctx(w.officer_a), case.id, reason="经调查违法事实不能成立，撤销案件")
    ctx, blobs = w.ctx(w.officer_a, now=LATER), FakeBlobStore()
    calls = [
        lambda: create(w, case),
        lambda: svc.correct_record(w.uow(), ctx, SOURCE, rec.record_id, data=inquiry(w, values={"person": "李四"}),
                                   reason="更正姓名"),
        lambda: svc.sign_record(w.uow(), ctx, blobs, rec.record_id,
                                SignatureInput(capacity="officer", signer_user_id=w.officer_a.id, method="electronic")),
        lambda: svc.refuse_signature(w.uow(), ctx, blobs, rec.record_id, RefusalInput(
            capacity="party", signer_name="张三", reason="拒绝签名", witness_name="李社区")),
        lambda: svc.add_attachment(w.uow(), ctx, blobs, rec.record_id, upload()),
    ]
    for call in calls:
        err = refused(w, ValidationFailed, call)
        assert err.code == "record.case_archived" and err.article == "第三十九条"
    assert not blobs.objects


def test_a_real_name_complaint_not_taken_up_can_still_be_told_at_archive_art_10(w: World) -> None:
    """不予立案 puts the case at 归档, yet Art. 10 asks for the notice after that decision: its
    record (and only it) can still be made, signed and given a scan."""
    case = open_case(w, Stage.INITIATION, complainant_real_name=True, complainant_name="周先生",
                     complainant_contact="13900139000")
    closed = case_svc.close_case(w.uow(), w.ctx(w.officer_a), case.id, reason="同一违法行为已另案查处，不予立案")
    assert closed.stage is Stage.ARCHIVE
    ctx, blobs = w.ctx(w.officer_a, now=LATER), FakeBlobStore()
    rec = svc.create_record(w.uow(), ctx, SOURCE, case.id, kind_id="complainant_notification", data=notice(w),
                            stage="initiation")
    svc.sign_record(w.uow(), ctx, blobs, rec.record_id,
                    SignatureInput(capacity="officer", signer_user_id=w.officer_a.id, method="electronic"))
    svc.add_attachment(w.uow(), ctx, blobs, rec.record_id, upload(PDF, "application/pdf", "notice.pdf"))
    assert reads.get_record(w.uow(), ctx, SOURCE, rec.record_id).latest.state.signatures_complete
    err = refused(w, ValidationFailed, lambda: create(w, case, "initiation_form", RecordInput(values={})))
    assert err.code == "record.case_archived"


def test_an_anonymous_complaint_not_taken_up_stays_locked(w: World) -> None:
    case = open_case(w, Stage.INITIATION)
    case_svc.close_case(w.uow(), w.ctx(w.officer_a), case.id, reason="匿名举报查无实据，不予立案")
    err = refused(w, ValidationFailed, lambda: svc.create_record(
        w.uow(), w.ctx(w.officer_a, now=LATER), SOURCE, case.id, kind_id="complainant_notification",
        data=notice(w), stage="initiation"))
    assert err.code == "record.case_archived"
