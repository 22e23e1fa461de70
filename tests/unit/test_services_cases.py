"""Case services against the in-memory fakes: one transaction and one event per change, refusals
write nothing, permissions by unit, the handler rule, numbering, media links and the reads."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from lawtrail.domain.access import Role
from lawtrail.domain.cases import ActionType, Case, CaseFilter, ClosedKind, Stage
from lawtrail.domain.media import MediaType
from lawtrail.domain.parties import PartyInput
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from lawtrail.services import approvals, serving
from lawtrail.services import cases as svc
from lawtrail.services.case_input import CaseDetails
from lawtrail.services.context import Ctx
from tests.unit.factories import T0, TODAY, World, make_certificate, make_user, only_new_event, refused, seeded_world
from tests.unit.fakes import FakeBlobStore, FakeCatalogueSource

COMPANY = PartyInput(kind="legal_person", name="江门市蓬江区某某食品有限公司", id_number="91440300708461136T",
                     legal_rep="张伟", address="江门市蓬江区建设路1号", phone="0750-3221234")
CITIZEN = PartyInput(kind="citizen", name="李四", id_number="11010519491231002X", phone="13800138000")


def serve(w: World, ctx: Ctx, case: Case) -> None:
    """Serve the decision directly on the party, signed by both (Art. 21, 22)."""
    serving.serve_directly(w.uow, lambda: ctx, FakeCatalogueSource(), FakeBlobStore(), case.id,
                           document="行政处罚决定书", place="当事人住所", signer_name="陈某")


def details(**over: object) -> CaseDetails:
    values: dict[str, object] = dict(action_type="penalty", procedure="general", origin="complaint",
                                     name="某食品公司销售过期食品案", cause="涉嫌销售超过保质期的食品",
                                     complainant_real_name=True, complainant_name="王女士",
                                     complainant_contact="13800138000")
    values.update(over)
    return CaseDetails(**values)  # type: ignore[arg-type]


@pytest.fixture
def w() -> World:
    world = seeded_world()
    second = make_user(world.unit_a, Role.OFFICER, username="officer.a2", display_name="第二执法员")
    expired = make_user(world.unit_a, Role.OFFICER, username="expired.a", display_name="过期执法员",
                        certificate=make_certificate(valid_to=TODAY - timedelta(days=1)))
    world.put(second, expired)
    world.second = second  # type: ignore[attr-defined]
    world.expired = expired  # type: ignore[attr-defined]
    world.db.commits = 0
    return world


def open_one(w: World, **over: object) -> Case:
    kwargs: dict[str, object] = dict(unit_id=w.unit_a.id, details=details(), parties=[COMPANY],
                                     handler_ids=[w.officer_a.id, w.second.id])  # type: ignore[attr-defined]
    kwargs.update(over)
    return svc.open_case(w.uow(), w.ctx(w.officer_a), **kwargs)  # type: ignore[arg-type]


#: The approval each gated move needs (Art. 9, 19).
GATES = {"investigation": "initiation", "service": "decision"}


def approve(w: World, case: Case, step: str) -> None:
    """Have ``step`` approved up its chain (officer a submits, the unit head and the leader sign)."""
    req = approvals.submit(w.uow(), w.ctx(w.officer_a), case.id, step=step, opinion="拟同意").request
    for who in (w.unit_head_a, w.leader):
        approvals.act(w.uow(), w.ctx(who), req.id, decision="approve", opinion="同意")


def test_open_case_numbers_records_and_writes_one_event(w: World) -> None:
    before = len(w.events())
    case = open_one(w)
    assert case.number == f"{w.bureau.name[0]}市监JC1〔2026〕1号" and case.stage is Stage.INITIATION
    event = only_new_event(w, before)
    assert event.action == "case:case:open" and event.subject_type == "case"
    assert event.after is not None and event.after["parties"][0]["id_number"] == "91440300708461136T"
    assert [h["lead"] for h in event.after["handlers"]] == [True, False]
    assert w.db.commits == 1
    detail = svc.get_case(w.uow(), w.ctx(w.officer_a), case.id)
    assert [s.to_stage for s in detail.stages] == [Stage.INITIATION]
    assert [p.name for p in detail.parties] == [COMPANY.name]
    assert open_one(w).number.endswith("〔2026〕2号")


def test_numbers_restart_each_year_and_a_refusal_gives_its_number_back(w: World) -> None:
    open_one(w)
    refused(w, RuleViolation, lambda: open_one(w, handler_ids=[w.expired.id]))  # type: ignore[attr-defined]
    assert open_one(w).serial == 2  # no gap
    next_year = svc.open_case(w.uow(), w.ctx(w.officer_a, now=T0 + timedelta(days=60)), unit_id=w.unit_a.id,
                              details=details())
    assert next_year.serial == 1 and "〔2027〕" in next_year.number


@pytest.mark.parametrize(("over", "field"), [
    ({"name": ""}, "name"), ({"action_type": "fine"}, "action_type"), ({"procedure": "fast"}, "procedure"),
    ({"complainant_real_name": None}, "complainant_real_name"),
    ({"complainant_contact": ""}, "complainant_contact"),
    ({"complainant_real_name": False}, "complainant_name"),  # anonymous, but a name was given
    ({"origin": "referral", "complainant_real_name": None, "complainant_name": "", "complainant_contact": ""},
     "origin_detail"),
    ({"origin": "application", "complainant_real_name": None, "complainant_name": "", "complainant_contact": ""},
     "origin"),  # a penalty is never started on application
    ({"action_type": "licensing"}, "origin"),  # licensing only on application
])
def test_bad_details_are_refused_with_nothing_written(w: World, over: dict[str, object], field: str) -> None:
    err = refused(w, ValidationFailed, lambda: open_one(w, details=details(**over)))
    assert field in {p.field for p in err.problems}


def test_bad_party_and_expired_handler_are_refused(w: World) -> None:
    bad = replace(COMPANY, id_number="91440300708461136S")
    err = refused(w, ValidationFailed, lambda: open_one(w, parties=[CITIZEN, bad]))
    assert [p.field for p in err.problems] == ["parties.1.id_number"]
    err = refused(w, RuleViolation, lambda: open_one(w, handler_ids=[w.officer_a.id, w.expired.id]))  # type: ignore[attr-defined]
    assert err.code == "case.handler_not_certified" and "过期执法员" in err.message_zh
    refused(w, RuleViolation, lambda: open_one(w, handler_ids=[w.officer_a.id, w.archivist.id]))
    refused(w, NotFound, lambda: open_one(w, handler_ids=[uuid.uuid4()]))
    refused(w, ValidationFailed, lambda: open_one(w, handler_ids=[w.officer_a.id, w.officer_a.id]))


def test_permissions_by_unit(w: World) -> None:
    refused(w, PermissionDenied, lambda: svc.open_case(w.uow(), w.ctx(w.officer_b), unit_id=w.unit_a.id,
                                                       details=details()))
    refused(w, PermissionDenied, lambda: svc.open_case(w.uow(), w.ctx(w.leader), unit_id=w.unit_a.id,
                                                       details=details()))
    refused(w, NotFound, lambda: svc.open_case(w.uow(), w.ctx(w.officer_a), unit_id=w.unit_closed.id,
                                               details=details()))
    case = open_one(w)
    for reader in (w.officer_a, w.unit_head_a, w.leader, w.legal_reviewer, w.archivist, w.supervisor):
        assert svc.get_case(w.uow(), w.ctx(reader), case.id).case == case
    for outsider in (w.officer_b, w.admin, w.nobody):
        with pytest.raises(PermissionDenied):
            svc.get_case(w.uow(), w.ctx(outsider), case.id)
    with pytest.raises(NotFound):
        svc.get_case(w.uow(), w.ctx(w.other_admin), case.id)
    refused(w, PermissionDenied, lambda: svc.advance_stage(w.uow(), w.ctx(w.leader), case.id, to="investigation"))
    assert svc.list_cases(w.uow(), w.ctx(w.officer_b)).total == 0
    assert svc.list_cases(w.uow(), w.ctx(w.supervisor)).total == 1
    with pytest.raises(PermissionDenied):
        svc.list_cases(w.uow(), w.ctx(w.nobody))


def test_a_general_penalty_case_from_initiation_to_archive(w: World) -> None:
    case = open_one(w)
    ctx = w.ctx(w.officer_a)
    for to in ("investigation", "review", "service", "execution", "archive"):
        if to in GATES:
            approve(w, case, GATES[to])
        if to == "execution":  # Art. 21: leaving service needs a complete receipt of the decision
            err = refused(w, RuleViolation, lambda c=case: svc.advance_stage(w.uow(), ctx, c.id, to="execution"))
            assert (err.article, err.code) == ("第二十一条", "case.service_incomplete")
            serve(w, ctx, case)
        before = len(w.events())
        case = svc.advance_stage(w.uow(), ctx, case.id, to=to)
        event = only_new_event(w, before)
        assert event.action == "case:stage:advance" and event.after is not None and event.after["stage"] == to
    assert case.stage is Stage.ARCHIVE and case.ended_at == T0
    stages = svc.get_case(w.uow(), ctx, case.id).stages
    assert [(s.from_stage, s.to_stage) for s in stages][1:] == [
        (Stage.INITIATION, Stage.INVESTIGATION), (Stage.INVESTIGATION, Stage.REVIEW), (Stage.REVIEW, Stage.SERVICE),
        (Stage.SERVICE, Stage.EXECUTION), (Stage.EXECUTION, Stage.ARCHIVE)]
    refused(w, ValidationFailed, lambda: svc.add_party(w.uow(), ctx, case.id, CITIZEN))


def test_refused_moves_write_nothing(w: World) -> None:
    case = open_one(w, handler_ids=[w.officer_a.id])
    ctx = w.ctx(w.officer_a)
    err = refused(w, InvalidTransition, lambda: svc.advance_stage(w.uow(), ctx, case.id, to="service"))
    assert err.article == "第二十条"
    err = refused(w, RuleViolation, lambda: svc.advance_stage(w.uow(), ctx, case.id, to="investigation"))
    assert err.details["rule"] == "ART05-CERTIFIED-HANDLER"  # the handlers are checked before the approval
    refused(w, ValidationFailed, lambda: svc.advance_stage(w.uow(), ctx, case.id, to="nowhere"))
    svc.set_handlers(w.uow(), ctx, case.id, handler_ids=[w.officer_a.id, w.second.id])  # type: ignore[attr-defined]
    err = refused(w, RuleViolation, lambda: svc.advance_stage(w.uow(), ctx, case.id, to="investigation"))
    assert (err.details["rule"], err.article) == ("ART09-INITIATION-FORM", "第九条")
    approve(w, case, "initiation")
    case = svc.advance_stage(w.uow(), ctx, case.id, to="investigation")
    refused(w, InvalidTransition, lambda: svc.advance_stage(w.uow(), ctx, case.id, to="initiation"))
    # A correction needs a reason; with one it goes back and is marked as such.
    refused(w, ValidationFailed, lambda: svc.advance_stage(w.uow(), ctx, case.id, to="initiation", correction=True))
    case = svc.advance_stage(w.uow(), ctx, case.id, to="initiation", correction=True, reason="误点推进，退回补正启动表")
    last = svc.get_case(w.uow(), ctx, case.id).stages[-1]
    assert last.correction and last.reason.startswith("误点") and case.stage is Stage.INITIATION


def test_the_handler_rule_holds_on_the_day_of_the_move(w: World) -> None:
    case = open_one(w)
    later = T0 + timedelta(days=800)  # both certificates have run out by then
    err = refused(w, RuleViolation, lambda: svc.advance_stage(w.uow(), w.ctx(w.officer_a, now=later), case.id,
                                                              to="investigation"))
    assert err.article == "第五条"


def test_a_simplified_case_goes_straight_to_decision(w: World) -> None:
    case = open_one(w, details=details(procedure="simplified"))
    ctx = w.ctx(w.officer_a)
    refused(w, InvalidTransition, lambda: svc.advance_stage(w.uow(), ctx, case.id, to="service"))
    for to in ("review", "service", "execution", "archive"):
        if to == "execution":
            serve(w, ctx, case)
        case = svc.advance_stage(w.uow(), ctx, case.id, to=to)
    assert case.stage is Stage.ARCHIVE


def test_closing_without_a_decision(w: World) -> None:
    case = open_one(w)
    ctx = w.ctx(w.officer_a)
    refused(w, ValidationFailed, lambda: svc.close_case(w.uow(), ctx, case.id, reason=" "))
    before = len(w.events())
    closed = svc.close_case(w.uow(), ctx, case.id, reason="经核查，投诉事项不属实")
    event = only_new_event(w, before)
    assert event.action == "case:case:close" and event.after is not None
    assert event.after["closed_kind"] == "not_initiated"
    assert closed.closed_kind is ClosedKind.NOT_INITIATED and closed.stage is Stage.ARCHIVE
    refused(w, InvalidTransition, lambda: svc.close_case(w.uow(), ctx, case.id, reason="再次"))
    refused(w, InvalidTransition, lambda: svc.advance_stage(w.uow(), ctx, case.id, to="review", correction=True,
                                                            reason="x"))
    other = open_one(w)
    for to in ("investigation", "review", "service"):
        if to in GATES:
            approve(w, other, GATES[to])
        other = svc.advance_stage(w.uow(), ctx, other.id, to=to)
    err = refused(w, InvalidTransition, lambda: svc.close_case(w.uow(), ctx, other.id, reason="撤销"))
    assert err.code == "case.not_closable"


def test_update_details_records_before_and_after(w: World) -> None:
    case = open_one(w)
    ctx = w.ctx(w.officer_a)
    before = len(w.events())
    changed = svc.update_case_details(w.uow(), ctx, case.id, details=details(name="更名后的案件名称"))
    event = only_new_event(w, before)
    assert event.before is not None and event.after is not None
    assert (event.before["name"], event.after["name"]) == (case.name, "更名后的案件名称")
    assert svc.update_case_details(w.uow(), ctx, case.id, details=details(name="更名后的案件名称")) == changed
    assert len(w.events()) == before + 1  # nothing changed: no event
    svc.set_handlers(w.uow(), ctx, case.id, handler_ids=[w.officer_a.id, w.second.id])  # type: ignore[attr-defined]
    approve(w, case, "initiation")
    svc.advance_stage(w.uow(), ctx, case.id, to="investigation")
    err = refused(w, ValidationFailed, lambda: svc.update_case_details(
        w.uow(), ctx, case.id, details=details(name="更名后的案件名称", procedure="simplified")))
    assert err.code == "case.type_fixed"


def test_parties_and_handlers(w: World) -> None:
    case = open_one(w)
    ctx = w.ctx(w.officer_a)
    before = len(w.events())
    party = svc.add_party(w.uow(), ctx, case.id, CITIZEN)
    assert only_new_event(w, before).action == "case:party:add" and party.kind.value == "citizen"
    refused(w, Conflict, lambda: svc.add_party(w.uow(), ctx, case.id, CITIZEN))
    refused(w, ValidationFailed, lambda: svc.add_party(w.uow(), ctx, case.id, replace(CITIZEN, id_number="123")))
    approve(w, case, "initiation")
    svc.advance_stage(w.uow(), ctx, case.id, to="investigation")
    # From investigation on, two certified handlers must remain.
    err = refused(w, RuleViolation, lambda: svc.set_handlers(w.uow(), ctx, case.id, handler_ids=[w.officer_a.id]))
    assert err.details["rule"] == "ART05-CERTIFIED-HANDLER"
    before = len(w.events())
    svc.set_handlers(w.uow(), ctx, case.id, handler_ids=[w.officer_a.id, w.second.id, w.unit_head_a.id],  # type: ignore[attr-defined]
                     lead_id=w.unit_head_a.id)
    event = only_new_event(w, before)
    assert event.action == "case:handlers:set" and event.before is not None and event.after is not None
    assert len(event.before["handlers"]) == 2 and len(event.after["handlers"]) == 3
    lead = [h for h in svc.get_case(w.uow(), ctx, case.id).handlers if h[0].lead]
    assert [h[1].id for h in lead if h[1]] == [w.unit_head_a.id]
    pair = [w.officer_a.id, w.second.id]  # type: ignore[attr-defined]
    refused(w, ValidationFailed, lambda: svc.set_handlers(w.uow(), ctx, case.id, handler_ids=pair,
                                                          lead_id=w.leader.id))


def _media(w: World, unit_id: uuid.UUID, officer_id: uuid.UUID | None) -> MediaRecord:
    media = MediaRecord(id=uuid.uuid4(), sha256=uuid.uuid4().hex * 2, size=10, media_type=MediaType.VIDEO,
                        original_name="现场检查.mp4", facts={}, probe_ok=True, device_id=w.devices["a"].id,
                        officer_id=officer_id, unit_id=unit_id, bureau_id=w.bureau.id, captured_at=T0,
                        captured_end=T0, handed_in_at=T0, stored_at=T0, clock_offset_s=None, ingested_by="x",
                        created_at=T0)
    with w.uow() as uow:
        uow.media.add(media)
        uow.commit()
    w.db.commits = 0
    return media


def test_media_links_are_rows_and_unlinking_is_a_new_row(w: World) -> None:
    case = open_one(w)
    ctx = w.ctx(w.officer_a)
    mine, foreign = _media(w, w.unit_a.id, w.officer_a.id), _media(w, w.unit_b.id, w.officer_b.id)
    before = len(w.events())
    svc.link_media(w.uow(), ctx, case.id, mine.id, reason="现场检查录像")
    assert only_new_event(w, before).action == "case:media:link"
    refused(w, Conflict, lambda: svc.link_media(w.uow(), ctx, case.id, mine.id))
    refused(w, NotFound, lambda: svc.link_media(w.uow(), ctx, case.id, foreign.id))  # not visible to officer a
    refused(w, NotFound, lambda: svc.link_media(w.uow(), ctx, case.id, uuid.uuid4()))
    refused(w, ValidationFailed, lambda: svc.unlink_media(w.uow(), ctx, case.id, mine.id, reason=""))
    assert [m.id for m in svc.get_case(w.uow(), ctx, case.id).media] == [mine.id]
    svc.unlink_media(w.uow(), ctx, case.id, mine.id, reason="误关联")
    detail = svc.get_case(w.uow(), ctx, case.id)
    assert detail.media == [] and [x.linked for x in detail.links] == [True, False]
    refused(w, Conflict, lambda: svc.unlink_media(w.uow(), ctx, case.id, mine.id, reason="again"))
    # Officer b recorded this clip (assisting unit a) but may not manage unit a's case.
    helped = _media(w, w.unit_a.id, w.officer_b.id)
    refused(w, PermissionDenied, lambda: svc.link_media(w.uow(), w.ctx(w.officer_b), case.id, helped.id))
    # The unit head of unit a may link a clip that officer a recorded.
    svc.link_media(w.uow(), w.ctx(w.unit_head_a), case.id, helped.id, reason="协助取证录像")


def test_list_filters_and_pages(w: World) -> None:
    ctx = w.ctx(w.officer_a)
    first = open_one(w, parties=[CITIZEN])
    for i in range(4):
        open_one(w, details=details(name=f"第{i}号案件", action_type="inspection", origin="inspection",
                                    complainant_real_name=None, complainant_name="", complainant_contact=""),
                 handler_ids=[w.second.id, w.unit_head_a.id])  # type: ignore[attr-defined]
    approve(w, first, "initiation")
    svc.advance_stage(w.uow(), ctx, first.id, to="investigation")
    assert svc.list_cases(w.uow(), ctx).total == 5
    assert [c.id for c in svc.list_cases(w.uow(), ctx, CaseFilter(stage=Stage.INVESTIGATION)).items] == [first.id]
    assert svc.list_cases(w.uow(), ctx, CaseFilter(action_type=ActionType.INSPECTION)).total == 4
    assert svc.list_cases(w.uow(), ctx, CaseFilter(handler_id=w.officer_a.id)).total == 1
    assert svc.list_cases(w.uow(), ctx, CaseFilter(party="李")).total == 1
    assert svc.list_cases(w.uow(), ctx, CaseFilter(number="〔2026〕3号")).total == 1
    assert svc.list_cases(w.uow(), ctx, CaseFilter(unit_id=w.unit_b.id)).total == 0
    page = svc.list_cases(w.uow(), ctx, page=2, page_size=2)
    assert (len(page.items), page.total, page.pages) == (2, 5, 3)
    assert svc.list_cases(w.uow(), ctx, page=3, page_size=2).items[0].id == first.id  # oldest last


def test_open_cases_of_an_officer_at_a_time(w: World) -> None:
    ctx = w.ctx(w.officer_a)
    early = open_one(w)
    later = svc.open_case(w.uow(), w.ctx(w.officer_a, now=T0 + timedelta(hours=2)), unit_id=w.unit_a.id,
                          details=details(), handler_ids=[w.officer_a.id])
    svc.close_case(w.uow(), w.ctx(w.officer_a, now=T0 + timedelta(hours=3)), early.id, reason="不予立案")

    def found(at: datetime) -> list[uuid.UUID]:
        return [c.id for c in svc.open_cases_of(w.uow(), ctx, w.officer_a.id, at)]

    assert found(T0 - timedelta(minutes=1)) == []
    assert found(T0 + timedelta(hours=1)) == [early.id]
    assert found(T0 + timedelta(hours=2, minutes=30)) == [later.id, early.id]
    assert found(T0 + timedelta(hours=4)) == [later.id]
    assert [c.id for c in svc.open_cases_of(w.uow(), w.ctx(w.officer_b), w.officer_a.id,
                                            T0 + timedelta(hours=1))] == []  # not visible to b


def test_find_case_and_trail(w: World) -> None:
    case = open_one(w)
    ctx = w.ctx(w.officer_a)
    assert svc.find_case(w.uow(), ctx, case.number).id == case.id
    with pytest.raises(NotFound):
        svc.find_case(w.uow(), ctx, "江市监X〔2026〕99号")
    with pytest.raises(PermissionDenied):
        svc.find_case(w.uow(), w.ctx(w.officer_b), case.number)
    approve(w, case, "initiation")
    svc.advance_stage(w.uow(), ctx, case.id, to="investigation")
    assert [e.action for e in svc.case_trail(w.uow(), ctx, case.id)] == [
        "case:stage:advance", "case:approval:act", "case:approval:act", "case:approval:submit", "case:case:open"]
    assert [u.username for u in svc.officers_of(w.uow(), ctx, w.unit_a.id)] == sorted(
        ["officer.a", "officer.a2", "head.a", "expired.a"])
    with pytest.raises(PermissionDenied):
        svc.officers_of(w.uow(), ctx, w.unit_b.id)
