"""Disclosure (Art. 37) against the fakes: the state machine at every step, who may make each
move, levels and publication, the mark's text, the export (copies, manifest, one event), a
refused export that is registered and changes nothing else, and the ART37 rule."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lawtrail.domain.disclosure import (
    Disclosure,
    DisclosureDecision,
    DisclosureExport,
    DisclosureRequest,
    ExportedCopy,
    Method,
    Status,
    level_problems,
    mark_text,
    method_for,
)
from lawtrail.domain.events import Action
from lawtrail.domain.media import MediaType
from lawtrail.domain.outside import Outcome, OutsideDecision, OutsideRequest, Provided, Requester
from lawtrail.domain.rules.disclosure import DISCLOSURE_APPROVED, DisclosureFacts, check_disclosure
from lawtrail.domain.secrecy import Level
from lawtrail.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from lawtrail.services import disclosure as svc
from lawtrail.services import findings, secrecy
from tests.unit.factories import T0, World, only_new_event, refused, seeded_world
from tests.unit.fakes import FakeBlobStore
from tests.unit.test_services_media import put_media


class FakeMarker:
    """Writes a copy that differs from the original by the mark (video, image), or the unchanged
    copy and a notice (sidecar) — what the real marker does, without ffmpeg."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.texts: list[str] = []

    def mark(self, source: Path, dest_dir: Path, *, method: Method, text: str, name: str,
             on_progress: Callable[[float], None] | None = None) -> list[Path]:
        self.texts.append(text)
        if self.fail:
            from lawtrail.errors import LawtrailError
            raise LawtrailError("生成对外提供副本失败", "marking failed", code="disclosure.mark_failed")
        out = dest_dir / f"marked-{Path(name).name}"
        data = source.read_bytes()
        if on_progress:
            on_progress(0.5)
        if method is Method.SIDECAR:
            out.write_bytes(data)
            notice = dest_dir / "notice.txt"
            notice.write_text(text, encoding="utf-8")
            return [out, notice]
        out.write_bytes(data + b"\nMARK:" + text.encode())
        return [out]


@pytest.fixture
def world() -> World:
    return seeded_world()


def ask(world: World, who: Any = None, **over: Any) -> Disclosure:
    values: dict[str, Any] = {"recipient_name": "张三", "recipient_org": "某某区人民法院", "purpose": "诉讼举证",
                              "media_ids": over.pop("media_ids", ())}
    values.update(over)
    return svc.request_disclosure(world.uow(), world.ctx(who or world.officer_a), **values)


def setup_media(world: World, blobs: FakeBlobStore, n: int = 1, **kw: Any) -> list[uuid.UUID]:
    return [put_media(world, blobs, **kw).id for _ in range(n)]


# ---- the pure parts ------------------------------------------------------------------------------

def _request(**over: Any) -> DisclosureRequest:
    values: dict[str, Any] = dict(
        id=uuid.UUID("12345678-0000-0000-0000-000000000000"), bureau_id=uuid.uuid4(), requester_id=uuid.uuid4(),
        requester_name="王五", requester_unit_id=uuid.uuid4(), recipient_name="张三", recipient_org="某某区人民法院",
        purpose="诉讼举证", publish=False, secret_confirmed=False, media_ids=(uuid.uuid4(),), created_at=T0)
    values.update(over)
    return DisclosureRequest(**values)


def test_mark_text_names_bureau_recipient_purpose_number_and_beijing_day() -> None:
    late = T0.replace(hour=20)  # 20:00 UTC is the next day in Beijing
    text = mark_text("江门市市场监督管理局", _request(), late)
    assert text == "江门市市场监督管理局 对外提供 给：某某区人民法院 张三 用途：诉讼举证 编号：12345678 2026-11-27"
    assert "公开发布" in mark_text("局", _request(publish=True), T0)


def test_mark_text_shortens_long_values_and_flattens_newlines() -> None:
    text = mark_text("局", _request(purpose="很长的用途\n" * 40), T0)
    assert "\n" not in text and "…" in text and len(text) < 200


@pytest.mark.parametrize(("kind", "name", "method"), [
    ("video", "a.mp4", Method.VIDEO), ("photo", "a.jpg", Method.IMAGE), ("unknown", "b.PNG", Method.IMAGE),
    ("audio", "a.wav", Method.SIDECAR), ("unknown", "a.pdf", Method.SIDECAR)])
def test_method_for(kind: str, name: str, method: Method) -> None:
    assert method_for(kind, name) is method


def test_levels_above_privacy_need_confirmation_and_are_never_published() -> None:
    m = uuid.uuid4()
    assert level_problems({m: Level.PERSONAL_PRIVACY}, publish=True, confirmed=False) == []
    assert level_problems({m: Level.TRADE_SECRET}, publish=False, confirmed=False)
    assert level_problems({m: Level.TRADE_SECRET}, publish=False, confirmed=True) == []
    assert level_problems({m: Level.STATE_SECRET}, publish=True, confirmed=True)


# ---- asking --------------------------------------------------------------------------------------

def test_request_records_one_event(world: World) -> None:
    blobs = FakeBlobStore()
    ids = setup_media(world, blobs, 2)
    n = len(world.events())
    asked = ask(world, media_ids=ids)
    event = only_new_event(world, n)
    assert event.action == Action.DISCLOSURE_REQUEST and event.subject_id == str(asked.request.id)
    assert event.after is not None and event.after["recipient_org"] == "某某区人民法院"
    assert asked.status is Status.REQUESTED and set(asked.request.media_ids) == set(ids)


@pytest.mark.parametrize(("over", "field"), [
    ({"recipient_name": " "}, "recipient_name"), ({"purpose": ""}, "purpose"), ({"recipient_org": ""}, "recipient_org"),
    ({"media_ids": []}, "media_ids"), ({"media_ids": [uuid.uuid4()]}, "media_ids"),
    ({"purpose": "x" * 501}, "purpose")])
def test_bad_requests_write_nothing(world: World, over: dict[str, Any], field: str) -> None:
    blobs = FakeBlobStore()
    ids = setup_media(world, blobs)
    over = {"media_ids": ids, **over}
    err = refused(world, ValidationFailed, lambda: ask(world, **over))
    assert field in {p.field for p in err.problems}


def test_who_may_ask(world: World) -> None:
    ids = setup_media(world, FakeBlobStore())
    for who in (world.leader, world.supervisor, world.legal_reviewer, world.admin):
        refused(world, PermissionDenied, lambda w=who: ask(world, w, media_ids=ids))
    for who in (world.officer_a, world.unit_head_a, world.archivist):
        ask(world, who, media_ids=ids)


def _trade_secret(world: World, media_id: uuid.UUID) -> None:
    for who in (world.archivist, world.officer_a):
        secrecy.set_clearance(world.uow(), world.ctx(world.admin), who.id,
                              levels=["personal_privacy", "trade_secret"], reason="办案需要")
    secrecy.set_media_level(world.uow(), world.ctx(world.archivist), media_id, level="trade_secret",
                            reason="含商业秘密")


def test_trade_secret_needs_confirmation_and_is_never_published(world: World) -> None:
    ids = setup_media(world, FakeBlobStore())
    _trade_secret(world, ids[0])
    err = refused(world, ValidationFailed, lambda: ask(world, media_ids=ids))
    assert {p.field for p in err.problems} == {"secret_confirmed"}
    refused(world, ValidationFailed, lambda: ask(world, media_ids=ids, publish=True, secret_confirmed=True))
    assert ask(world, media_ids=ids, secret_confirmed=True).request.secret_confirmed


def test_an_item_above_the_requesters_clearance_is_refused(world: World) -> None:
    ids = setup_media(world, FakeBlobStore())
    _trade_secret(world, ids[0])
    err = refused(world, PermissionDenied, lambda: ask(world, world.unit_head_a, media_ids=ids, secret_confirmed=True))
    assert err.code == "access.above_clearance"


# ---- the state machine ---------------------------------------------------------------------------

def test_approve_then_nothing_else(world: World) -> None:
    asked = ask(world, media_ids=setup_media(world, FakeBlobStore()))
    rid = asked.request.id
    n = len(world.events())
    done = svc.approve(world.uow(), world.ctx(world.leader), rid, reason="同意")
    assert done.status is Status.APPROVED and only_new_event(world, n).action == Action.DISCLOSURE_APPROVE
    for call in (lambda: svc.refuse(world.uow(), world.ctx(world.leader), rid, reason="不行"),
                 lambda: svc.withdraw(world.uow(), world.ctx(world.officer_a), rid),
                 lambda: svc.approve(world.uow(), world.ctx(world.leader), rid)):
        assert refused(world, InvalidTransition, call).code == "disclosure.bad_transition"


@pytest.mark.parametrize("end", [Status.REFUSED, Status.WITHDRAWN])
def test_refused_and_withdrawn_are_final(world: World, end: Status) -> None:
    rid = ask(world, media_ids=setup_media(world, FakeBlobStore())).request.id
    if end is Status.REFUSED:
        refused(world, ValidationFailed, lambda: svc.refuse(world.uow(), world.ctx(world.leader), rid, reason=" "))
        svc.refuse(world.uow(), world.ctx(world.leader), rid, reason="用途不明")
    else:
        svc.withdraw(world.uow(), world.ctx(world.officer_a), rid)
    refused(world, InvalidTransition, lambda: svc.approve(world.uow(), world.ctx(world.leader), rid))


def test_who_decides(world: World) -> None:
    rid = ask(world, media_ids=setup_media(world, FakeBlobStore())).request.id
    for who in (world.officer_a, world.unit_head_a, world.archivist, world.supervisor):
        assert refused(world, PermissionDenied,
                       lambda w=who: svc.approve(world.uow(), world.ctx(w), rid)).code == "permission_denied"
    assert refused(world, PermissionDenied, lambda: svc.withdraw(
        world.uow(), world.ctx(world.officer_b), rid)).code == "disclosure.not_requester"
    refused(world, NotFound, lambda: svc.approve(world.uow(), world.ctx(world.leader), uuid.uuid4()))


def test_a_leader_never_approves_their_own(world: World) -> None:
    from lawtrail.domain.access import Role
    from tests.unit.factories import make_user
    both = make_user(world.unit_b, Role.LEADER, Role.ARCHIVIST)
    world.put(both)
    rid = ask(world, both, media_ids=setup_media(world, FakeBlobStore())).request.id
    assert refused(world, PermissionDenied, lambda: svc.approve(
        world.uow(), world.ctx(both), rid)).code == "disclosure.own_request"


def test_two_approvals_at_once_conflict(world: World) -> None:
    rid = ask(world, media_ids=setup_media(world, FakeBlobStore())).request.id
    found = svc.get_request(world.uow(), world.ctx(world.leader), rid)[0]
    uow = world.uow()
    with uow:
        uow.disclosures.add_decision(DisclosureDecision(uuid.uuid4(), rid, Status.APPROVED, None, "x", T0, ""))
        with pytest.raises(Conflict):
            uow.disclosures.add_decision(DisclosureDecision(uuid.uuid4(), rid, Status.APPROVED, None, "y", T0, ""))
    assert found.status is Status.REQUESTED


def test_lists(world: World) -> None:
    ids = setup_media(world, FakeBlobStore())
    mine = ask(world, media_ids=ids)
    ask(world, world.archivist, media_ids=ids)
    assert [d.request.id for d in svc.list_requests(world.uow(), world.ctx(world.officer_a))] == [mine.request.id]
    assert len(svc.list_requests(world.uow(), world.ctx(world.leader), pending=True)) == 2
    refused(world, PermissionDenied, lambda: svc.list_requests(world.uow(), world.ctx(world.officer_a), pending=True))
    refused(world, PermissionDenied, lambda: svc.get_request(world.uow(), world.ctx(world.officer_b), mine.request.id))


# ---- export --------------------------------------------------------------------------------------

def approved(world: World, blobs: FakeBlobStore, **kw: Any) -> Disclosure:
    ids = setup_media(world, blobs, 1, **kw) + setup_media(world, blobs, 1, kind=MediaType.UNKNOWN, name="告知书.pdf")
    rid = ask(world, media_ids=ids).request.id
    return svc.approve(world.uow(), world.ctx(world.leader), rid)


def test_export_makes_marked_copies_a_manifest_and_one_event(world: World) -> None:
    blobs, copies, marker = FakeBlobStore(), FakeBlobStore(), FakeMarker()
    done = approved(world, blobs)
    n = len(world.events())
    seen: list[tuple[int, int, float]] = []
    result = svc.export(world.uow(), world.ctx(world.officer_a), blobs, copies, marker, done.request.id,
                        on_progress=lambda i, c, f: seen.append((i, c, f)))
    event = only_new_event(world, n)
    assert event.action == Action.DISCLOSURE_EXPORT and event.after is not None
    digest = hashlib.sha256(result.manifest).hexdigest()
    assert event.after["manifest_sha256"] == result.export.manifest_sha256 == digest
    by_method = {c.method: c for c in result.export.copies}
    video, pdf = by_method[Method.VIDEO], by_method[Method.SIDECAR]
    assert video.copy_sha256 != video.original_sha256 and copies.objects[video.copy_sha256].endswith(
        ("MARK:" + result.mark).encode())
    assert pdf.copy_sha256 == pdf.original_sha256  # documents leave unchanged, with the notice
    assert {i["copy_sha256"] for i in event.after["items"]} == {c.copy_sha256 for c in result.export.copies}
    body = json.loads(copies.objects[result.export.manifest_sha256])
    assert body["mark"] == result.mark and len(body["items"]) == 2 and "某某区人民法院" in result.mark
    assert {(i, c) for i, c, _ in seen} == {(0, 2), (1, 2)}
    stored = svc.get_request(world.uow(), world.ctx(world.officer_a), done.request.id)[1]
    assert [e.id for e in stored] == [result.export.id]


def test_bundle_holds_copies_notice_and_manifest_and_is_recorded(world: World) -> None:
    blobs, copies = FakeBlobStore(), FakeBlobStore()
    done = approved(world, blobs)
    result = svc.export(world.uow(), world.ctx(world.officer_a), blobs, copies, FakeMarker(), done.request.id)
    n = len(world.events())
    buf = io.BytesIO()
    svc.write_bundle(world.uow(), world.ctx(world.officer_a), copies, result.export.id, buf)
    assert only_new_event(world, n).action == Action.DISCLOSURE_DOWNLOAD
    with zipfile.ZipFile(buf) as zf:
        names = set(zf.namelist())
        assert "manifest.json" in names and any(x.endswith(svc.NOTICE_SUFFIX) for x in names)
        for c in result.export.copies:
            assert hashlib.sha256(zf.read(c.name)).hexdigest() == c.copy_sha256
    refused(world, NotFound, lambda: svc.write_bundle(world.uow(), world.ctx(world.officer_b), copies,
                                                        result.export.id, io.BytesIO()))


@pytest.mark.parametrize("state", ["requested", "refused", "withdrawn"])
def test_export_without_approval_is_refused_and_registered(world: World, state: str) -> None:
    blobs, copies, marker = FakeBlobStore(), FakeBlobStore(), FakeMarker()
    rid = ask(world, media_ids=setup_media(world, blobs)).request.id
    if state == "refused":
        svc.refuse(world.uow(), world.ctx(world.leader), rid, reason="不同意")
    elif state == "withdrawn":
        svc.withdraw(world.uow(), world.ctx(world.officer_a), rid)
    before = world.snapshot()
    with pytest.raises(PermissionDenied) as err:
        svc.export(world.uow(), world.ctx(world.officer_a), blobs, copies, marker, rid)
    assert err.value.code == "disclosure.not_approved" and err.value.article == "第三十七条"
    new = world.events()[len(before.events):]
    assert [(e.action, e.after and e.after["code"]) for e in new] == [
        (Action.DISCLOSURE_EXPORT_REFUSED, "disclosure.not_approved")]
    assert world.state.disclosure_rows == before.disclosure_rows and copies.objects == {} and marker.texts == []


def test_export_by_someone_else_or_unknown_is_refused(world: World) -> None:
    blobs, copies = FakeBlobStore(), FakeBlobStore()
    done = approved(world, blobs)
    with pytest.raises(PermissionDenied) as err:
        svc.export(world.uow(), world.ctx(world.officer_b), blobs, copies, FakeMarker(), done.request.id)
    assert err.value.code == "permission_denied"
    with pytest.raises(NotFound):
        svc.export(world.uow(), world.ctx(world.officer_a), blobs, copies, FakeMarker(), uuid.uuid4())
    assert world.state.disclosure_rows[-1].__class__ is DisclosureDecision  # no export row


def test_a_failed_mark_records_nothing(world: World) -> None:
    blobs, copies = FakeBlobStore(), FakeBlobStore()
    done = approved(world, blobs)
    before = world.snapshot()
    with pytest.raises(Exception, match="marking failed"):
        svc.export(world.uow(), world.ctx(world.officer_a), blobs, copies, FakeMarker(fail=True), done.request.id)
    assert world.state == before


# ---- the rule ------------------------------------------------------------------------------------

def _export(request: DisclosureRequest, at: Any, media_ids: tuple[uuid.UUID, ...] | None = None) -> DisclosureExport:
    eid = uuid.uuid4()
    return DisclosureExport(eid, request.id, request.bureau_id, uuid.uuid4(), "王五", at, "0" * 64, tuple(
        ExportedCopy(eid, m, "a.mp4", "1" * 64, "2" * 64, 10, Method.VIDEO)
        for m in (media_ids if media_ids is not None else request.media_ids)))


def _approved(request: DisclosureRequest, at: Any = T0) -> Disclosure:
    return Disclosure(request, (DisclosureDecision(uuid.uuid4(), request.id, Status.APPROVED, None, "领导", at, ""),))


def test_rule_export_satisfied_by_an_earlier_approval() -> None:
    r = _request()
    assert check_disclosure(DisclosureFacts([_approved(r)], [_export(r, T0 + timedelta(hours=1))]), T0) == []


@pytest.mark.parametrize("case", ["unapproved", "approved_later", "extra_item", "unknown_request"])
def test_rule_export_broken(case: str) -> None:
    r = _request()
    later = T0 + timedelta(hours=1)
    disclosures = {"unapproved": [Disclosure(r)], "approved_later": [_approved(r, later + timedelta(hours=1))],
                   "extra_item": [_approved(r)], "unknown_request": []}[case]
    export = _export(r, later, (*r.media_ids, uuid.uuid4()) if case == "extra_item" else None)
    found = check_disclosure(DisclosureFacts(disclosures, [export]), later)
    assert [f.rule for f in found] == [DISCLOSURE_APPROVED]
    assert found[0].subject.id == str(export.id) and found[0].people == (str(export.actor_id),)


def _outside(r: DisclosureRequest, *, name: str = "张三", org: str = "某某区人民法院", copy: bool = True,
             at: Any = None) -> tuple[OutsideRequest, OutsideDecision]:
    req = OutsideRequest(uuid.uuid4(), r.bureau_id, Requester.AGENCY, name, org, "民事诉讼法", "举证", copy, None,
                         "录像", T0, None, "档案员", T0)
    approver = uuid.uuid4()
    dec = OutsideDecision(req.id, Outcome.GRANTED, approver, "领导", "同意",
                          tuple(Provided(m, "a.mp4", "1" * 64, 10, copy) for m in r.media_ids),
                          at or T0 + timedelta(hours=2))
    return req, dec


def test_rule_outside_copy_needs_a_disclosure_for_that_recipient() -> None:
    r = _request()
    ok = check_disclosure(DisclosureFacts([_approved(r)], [], [_outside(r, name=" 张 三 ")]), T0)
    assert ok == []
    assert check_disclosure(DisclosureFacts([_approved(r)], [], [_outside(r, copy=False)]), T0) == []
    for facts in (DisclosureFacts([], [], [_outside(r)]),
                  DisclosureFacts([_approved(r)], [], [_outside(r, name="李四")]),
                  DisclosureFacts([_approved(r)], [], [_outside(r, org="另一法院")]),
                  DisclosureFacts([_approved(r, T0 + timedelta(days=1))], [], [_outside(r)]),
                  DisclosureFacts([Disclosure(r)], [], [_outside(r)])):
        found = check_disclosure(facts, T0)
        assert [f.rule.id for f in found] == ["ART37-DISCLOSURE-APPROVED"]
        assert found[0].subject.type == "outside_request"


def test_rule_filter_and_engine_runs_it(world: World) -> None:
    r = _request()
    assert check_disclosure(DisclosureFacts([], [], [_outside(r)]), T0, rule="ART41-STORED-24H") == []
    blobs = FakeBlobStore()
    done = approved(world, blobs)
    uow = world.uow()
    with uow:  # an export recorded without its approval holding (as a direct write would)
        uow.disclosures.add_export(_export(done.request, T0 - timedelta(days=1)))
        uow.commit()
    found = findings.evaluate(world.uow(), world.ctx(world.leader), T0, rule="ART37-DISCLOSURE-APPROVED")
    assert [f.subject.type for f in found] == ["disclosure_export"]
    own_unit = findings.evaluate(world.uow(), world.ctx(world.unit_head_a), T0, rule="ART37-DISCLOSURE-APPROVED")
    assert len(own_unit) == 1  # the requester (officer a) is of unit a


# ---- ART37-ORIGINAL-INTACT -----------------------------------------------------------------------

def test_intact_rule_reports_changed_and_missing_originals_only(world: World) -> None:
    from lawtrail.domain.rules.disclosure import ORIGINAL_INTACT
    blobs = FakeBlobStore()
    a, b, c = (put_media(world, blobs) for _ in range(3))
    facts = DisclosureFacts(verified_at=T0, media=[a, b, c], vault_problems=[
        (a.sha256, "changed"), (b.sha256, "missing"), ("f" * 64, "untracked"), ("e" * 64, "changed")])
    found = check_disclosure(facts, T0)
    assert [(f.rule, f.subject.id) for f in found] == [(ORIGINAL_INTACT, str(a.id)), (ORIGINAL_INTACT, str(b.id))]
    assert check_disclosure(DisclosureFacts(verified_at=T0, media=[a, b, c]), T0) == []
    assert check_disclosure(facts, T0, rule="ART37-DISCLOSURE-APPROVED") == []


def test_engine_reads_the_latest_vault_verification(world: World) -> None:
    from lawtrail.services import vault_verify as vault_svc
    blobs = FakeBlobStore()
    clip = put_media(world, blobs)
    vault_svc.verify_vault(world.uow(), world.ctx(world.supervisor), blobs)
    rule = "ART37-ORIGINAL-INTACT"
    assert findings.evaluate(world.uow(), world.ctx(world.leader), T0, rule=rule) == []
    blobs.objects[clip.sha256] = b"edited"  # the bytes were altered behind the store's back
    vault_svc.verify_vault(world.uow(), world.ctx(world.supervisor), blobs)
    [found] = findings.evaluate(world.uow(), world.ctx(world.leader), T0, rule=rule)
    assert found.subject.id == str(clip.id) and "第三十七条" in found.message_zh


# ---- record attachments --------------------------------------------------------------------------

def attach(world: World, blobs: FakeBlobStore, *, secrecy: str = "ordinary", data: bytes = b"%PDF-1.4 scan",
           name: str = "询问笔录.pdf", content_type: str = "application/pdf") -> uuid.UUID:
    """A record of a case (of unit a) with one stored attachment; its id."""
    from lawtrail.domain.cases import Stage
    from lawtrail.domain.records import Attachment, RecordVersion
    from tests.unit.access_support import seed_case
    case = seed_case(world, world.unit_a, secrecy=secrecy)
    digest = hashlib.sha256(data).hexdigest()
    blobs.objects[digest] = data
    record_id, attachment_id = uuid.uuid4(), uuid.uuid4()
    with world.uow() as uow:
        if uow.records.catalogue(1) is None:
            from lawtrail.domain.catalogue import StoredCatalogue
            uow.records.add_catalogue(StoredCatalogue(1, "version: 1", "0" * 64, T0, None, "测试", "测试"))
        uow.records.add_version(RecordVersion(uuid.uuid4(), record_id, 1, case.id, Stage.INVESTIGATION, "inquiry",
                                              "询问笔录", 1, {}, (), None, (), "", "", T0, None, "测试"))
        uow.records.add_attachment(Attachment(attachment_id, record_id, digest, len(data), name, content_type,
                                              "attachment", T0, None, "测试"))
        uow.commit()
    return attachment_id


def test_attachments_are_asked_for_exported_and_covered_by_the_rule(world: World) -> None:
    blobs, copies = FakeBlobStore(), FakeBlobStore()
    scan = attach(world, blobs)
    photo = attach(world, blobs, data=b"\xff\xd8 fake jpeg", name="现场照片.jpg", content_type="image/jpeg")
    asked = ask(world, attachment_ids=[scan, photo])
    assert set(asked.request.attachment_ids) == {scan, photo} and asked.request.media_ids == ()
    svc.approve(world.uow(), world.ctx(world.leader), asked.request.id)
    result = svc.export(world.uow(), world.ctx(world.officer_a), blobs, copies, FakeMarker(), asked.request.id)
    by = {c.item_id: c for c in result.export.copies}
    assert by[scan].method is Method.SIDECAR and by[photo].method is Method.IMAGE
    assert {c.kind.value for c in result.export.copies} == {"attachment"}
    assert by[photo].copy_sha256 != by[photo].original_sha256
    assert svc.item_names(world.uow(), world.ctx(world.officer_a), [asked])[scan] == "询问笔录.pdf"
    assert findings.evaluate(world.uow(), world.ctx(world.leader), T0, rule="ART37-DISCLOSURE-APPROVED") == []


def test_unknown_attachments_and_secret_cases_are_refused(world: World) -> None:
    blobs = FakeBlobStore()
    err = refused(world, ValidationFailed, lambda: ask(world, attachment_ids=[uuid.uuid4()]))
    assert {p.field for p in err.problems} == {"attachment_ids"}
    secret = attach(world, blobs, secrecy="trade_secret")
    err = refused(world, PermissionDenied, lambda: ask(world, attachment_ids=[secret], secret_confirmed=True))
    assert err.code == "access.above_clearance"  # the case's level binds its records' attachments
