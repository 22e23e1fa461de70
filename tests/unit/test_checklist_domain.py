"""The case page's 阶段清单 (``domain.checklist.build_checklist``) over plain data: what each stage
requires for the case's action type, procedure and origin, the state of each item, where the
engine's findings land (computed here by the real rule functions over the same data), and the
next step."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from lawtrail.domain.approvals import Approval, ApprovalAction, ApprovalRequest, Decision, Step, state_of
from lawtrail.domain.cases import ActionType, Case, ClosedKind, Origin, Procedure, Stage
from lawtrail.domain.catalogue import Capacity
from lawtrail.domain.checklist import (
    ActKind,
    Checklist,
    ChecklistItem,
    ItemState,
    RecordFacts,
    StageChecklist,
    StageStatus,
    build_checklist,
)
from lawtrail.domain.findings import Finding, FindingStatus
from lawtrail.domain.records import RecordVersion, Signature
from lawtrail.domain.rules import case_records as case_rules
from lawtrail.domain.rules import service as service_rules
from lawtrail.domain.rules.service import ServiceFacts
from tests.unit.test_records_domain import CAT, NOW, sign, version
from tests.unit.test_records_domain import case as make_case
from tests.unit.test_rules_case_records import officer

H = timedelta(hours=1)
HANDLER = uuid.uuid4()
HANDLERS = [officer("陈志强"), officer("李明")]


def approval(c: Case, step: Step, *moves: Decision, at: datetime = NOW - 2 * H, emergency: bool = False
             ) -> Approval:
    req = ApprovalRequest(id=uuid.uuid4(), case_id=c.id, step=step, submitted_by=HANDLER, submitted_by_name="陈志强",
                          submitted_at=at, emergency=emergency, emergency_reason="证据可能灭失" if emergency else "")
    actions = [ApprovalAction(uuid.uuid4(), req.id, 0, HANDLER, "陈志强", Decision.SUBMIT, "拟办", at)]
    for level, d in enumerate(moves, start=1):
        actions.append(ApprovalAction(uuid.uuid4(), req.id, level, uuid.uuid4(), "领导", d, "同意", at + level * H))
    return Approval(req, tuple(actions), state_of(req, actions))


def signed(form: RecordVersion) -> list[Signature]:
    """Every signature an initiation form needs: the handler and two approvers."""
    return [sign(form, Capacity.OFFICER, "甲"), sign(form, Capacity.APPROVER, "乙"),
            sign(form, Capacity.APPROVER, "丙")]


def engine(c: Case, versions: Sequence[RecordVersion], signatures: Sequence[Signature], reached: set[Stage],
           now: datetime) -> list[Finding]:
    """The findings the engine gives for this case (its case and service rules)."""
    facts = case_rules.CaseFacts(cases=[c], reached={c.id: frozenset(reached)},
                                 handlers={c.id: [u.id for u in HANDLERS]}, users={u.id: u for u in HANDLERS},
                                 versions={c.id: list(versions)}, signatures={c.id: list(signatures)},
                                 catalogues={1: CAT}, current=CAT)
    found = case_rules.check_cases(facts, now)
    if c.stage not in (Stage.INITIATION, Stage.INVESTIGATION):
        found += service_rules.check_service(ServiceFacts([c], list(versions), list(signatures), {}), now)
    return found


def build(c: Case, *, versions: Sequence[RecordVersion] = (), signatures: Sequence[Signature] = (),
          approvals: Sequence[Approval] = (), reached: set[Stage] | None = None, now: datetime = NOW,
          findings: Sequence[Finding] | None = None, media: int = 0) -> Checklist:
    reached = reached or {c.stage}
    found = engine(c, versions, signatures, reached, now) if findings is None else list(findings)
    return build_checklist(c, RecordFacts(versions, signatures, {1: CAT}), approvals, found, CAT, now,
                           reached=frozenset(reached), handlers=HANDLERS, media_linked=media)


def stage(cl: Checklist, s: Stage) -> StageChecklist:
    return next(x for x in cl.stages if x.stage is s)


def item(cl: Checklist, s: Stage, key: str) -> ChecklistItem:
    return next(i for i in stage(cl, s).items if i.key == key)


def keys(cl: Checklist, s: Stage) -> list[str]:
    return [i.key for i in stage(cl, s).items]


# ---- what each stage asks for ----------------------------------------------------------------

def test_a_new_ex_officio_penalty_case_lists_its_initiation_needs_and_the_stages_ahead() -> None:
    c = make_case(stage=Stage.INITIATION)
    cl = build(c)
    assert [s.status for s in cl.stages] == [StageStatus.CURRENT] + [StageStatus.FUTURE] * 5
    assert keys(cl, Stage.INITIATION) == ["handlers", "record:initiation_form", "approval:initiation"]
    form = item(cl, Stage.INITIATION, "record:initiation_form")
    assert form.state is ItemState.TODO and form.required and form.articles == ("第九条",)
    assert form.act is not None and form.act.kind is ActKind.NEW_RECORD and form.act.target == "initiation_form"
    assert item(cl, Stage.INITIATION, "handlers").state is ItemState.DONE
    submit = item(cl, Stage.INITIATION, "approval:initiation").act
    assert submit is not None and submit.kind is ActKind.SUBMIT_APPROVAL and submit.target == "initiation"
    # what later stages will ask for, greyed: no way to make it yet
    review = stage(cl, Stage.REVIEW)
    assert {"record:legal_review", "record:approval_record", "record:decision_document",
            "approval:decision"} <= {i.key for i in review.items}
    # a kind of two stages (rights notice: investigation or review) is listed once, where it can first be made
    assert "record:rights_notice" in keys(cl, Stage.INVESTIGATION) and "record:rights_notice" not in keys(
        cl, Stage.REVIEW)
    assert all(i.state is ItemState.PENDING and i.act is None for i in review.items)
    assert item(cl, Stage.SERVICE, "group:service").choices == ()
    assert cl.next_step is not None and "程序启动表" in cl.next_step.text


def test_an_application_case_needs_the_receipt_and_no_initiation_approval() -> None:
    c = make_case(stage=Stage.INITIATION, origin=Origin.APPLICATION, action_type=ActionType.LICENSING)
    cl = build(c)
    assert "record:application_receipt" in keys(cl, Stage.INITIATION)
    assert "record:initiation_form" not in keys(cl, Stage.INITIATION)
    assert not any(k.startswith("approval:") for k in keys(cl, Stage.INITIATION))
    # optional kinds of the stage are offered, not required
    assert "supplement_notice" in [a.target for a in stage(cl, Stage.INITIATION).optional]


def test_an_inspection_case_needs_no_rights_notice_nor_legal_review() -> None:
    c = make_case(stage=Stage.INVESTIGATION, action_type=ActionType.INSPECTION)
    cl = build(c, reached={Stage.INITIATION, Stage.INVESTIGATION})
    review = keys(cl, Stage.REVIEW)
    assert "record:rights_notice" not in review and "record:legal_review" not in review
    assert "record:decision_document" in review and "approval:decision" in review


def test_the_simplified_procedure_skips_investigation_and_approvals() -> None:
    c = make_case(stage=Stage.REVIEW, procedure=Procedure.SIMPLIFIED)
    cl = build(c, reached={Stage.INITIATION, Stage.REVIEW})
    inv = stage(cl, Stage.INVESTIGATION)
    assert inv.status is StageStatus.SKIPPED and inv.items == () and "简易程序" in inv.note
    assert keys(cl, Stage.REVIEW)[:2] == ["handlers", "record:simplified_record"]
    assert not any(k.startswith("approval:") for s in cl.stages for k in keys(cl, s.stage))
    assert "record:decision_document" not in keys(cl, Stage.REVIEW)  # general procedure only
    simplified = item(cl, Stage.REVIEW, "record:simplified_record")
    assert simplified.state is ItemState.TODO
    assert stage(cl, Stage.REVIEW).status is StageStatus.CURRENT
    assert cl.next_step is not None and cl.next_step.item_key == "record:simplified_record"


def test_a_simplified_case_past_review_without_its_record_has_the_art31_finding_on_the_item() -> None:
    c = make_case(stage=Stage.SERVICE, procedure=Procedure.SIMPLIFIED)
    cl = build(c, reached={Stage.INITIATION, Stage.REVIEW, Stage.SERVICE})
    simplified = item(cl, Stage.REVIEW, "record:simplified_record")
    assert simplified.state is ItemState.MISSING
    assert [f.rule.id for f in simplified.findings] == ["ART31-SIMPLIFIED-ITEMS"]
    assert stage(cl, Stage.REVIEW).problems >= 1
    assert cl.next_step is not None and cl.next_step.finding is not None
    assert cl.next_step.finding.status is FindingStatus.OVERDUE


# ---- states of records and their AV ------------------------------------------------------------

def test_a_record_made_but_unsigned_is_in_progress_and_links_to_the_record() -> None:
    c = make_case(stage=Stage.INVESTIGATION)
    v = version(c, "site_inspection_record", Stage.INVESTIGATION, av_media_ids=(uuid.uuid4(),))
    cl = build(c, versions=[v], signatures=[sign(v, Capacity.OFFICER, "甲")], reached={Stage.INITIATION, c.stage},
               media=1)
    it = item(cl, Stage.INVESTIGATION, "record:site_inspection_record")
    assert it.state is ItemState.IN_PROGRESS and not it.required
    assert it.records[0].lacks and "待签名" in it.records[0].lacks[0]
    assert it.act is not None and it.act.kind is ActKind.OPEN_RECORD and it.act.target == str(v.record_id)
    # the engine's findings about this record (signatures, officers, rights notice) sit on its item
    assert {f.rule.id for f in it.findings} == {"ART11-OFFICERS-RECORDED", "ART12-RIGHTS-NOTICE", "ART13-SIGNATURES"}
    assert all(f.subject.id == str(v.record_id) for f in it.findings)
    av = item(cl, Stage.INVESTIGATION, "av:investigation")
    assert av.state is ItemState.DONE and av.required and "已关联同步音像 1 个" in av.records[0].av


def test_a_record_without_its_required_av_puts_art14_on_the_av_item() -> None:
    c = make_case(stage=Stage.INVESTIGATION)
    v = version(c, "sampling_notice", Stage.INVESTIGATION)
    sigs = [sign(v, Capacity.OFFICER, "甲"), sign(v, Capacity.OFFICER, "乙"), sign(v, Capacity.PARTY, "丙")]
    cl = build(c, versions=[v], signatures=sigs, reached={Stage.INITIATION, c.stage})
    av = item(cl, Stage.INVESTIGATION, "av:investigation")
    assert av.state is ItemState.IN_PROGRESS and av.required
    assert "ART14-AV-REQUIRED" in [f.rule.id for f in av.findings]
    assert av.act is not None and av.act.kind is ActKind.CORRECT_RECORD
    # with the reason why AV was unsuitable it is done
    waived = replace(v, av_waiver="现场涉及商业秘密")
    cl = build(c, versions=[waived], signatures=sigs, reached={Stage.INITIATION, c.stage})
    assert item(cl, Stage.INVESTIGATION, "av:investigation").state is ItemState.DONE


def test_a_stage_without_av_records_offers_the_upload_as_optional() -> None:
    c = make_case(stage=Stage.INVESTIGATION)
    av = item(build(c, reached={Stage.INITIATION, c.stage}), Stage.INVESTIGATION, "av:investigation")
    assert av.state is ItemState.OPTIONAL and not av.required
    assert av.act is not None and av.act.kind is ActKind.UPLOAD_MEDIA


# ---- approvals ----------------------------------------------------------------------------------

def test_initiation_approval_states() -> None:
    c = make_case(stage=Stage.INITIATION)
    pending = approval(c, Step.INITIATION, Decision.APPROVE)
    it = item(build(c, approvals=[pending]), Stage.INITIATION, "approval:initiation")
    assert it.state is ItemState.IN_PROGRESS and "待分管领导意见" in it.detail
    assert it.act is not None and it.act.kind is ActKind.APPROVAL and it.act.target == str(pending.request.id)
    done = approval(c, Step.INITIATION, Decision.APPROVE, Decision.APPROVE)
    assert item(build(c, approvals=[done]), Stage.INITIATION, "approval:initiation").state is ItemState.DONE
    returned = approval(c, Step.INITIATION, Decision.RETURN)
    assert "退回" in item(build(c, approvals=[returned]), Stage.INITIATION, "approval:initiation").detail


def test_an_overdue_emergency_start_is_the_next_step() -> None:
    c = make_case(stage=Stage.INVESTIGATION)
    start = approval(c, Step.INITIATION, at=NOW - 30 * H, emergency=True)
    overdue = Finding(case_rules.ART09, case_rules.case_subject(c), "紧急先行启动逾期", "late", FindingStatus.OVERDUE,
                      start.request.due_at)
    emergency = replace(overdue, rule=replace(overdue.rule, id="ART09-EMERGENCY-APPROVAL-24H"))
    cl = build(c, approvals=[start], reached={Stage.INITIATION, c.stage}, findings=[emergency])
    it = item(cl, Stage.INITIATION, "approval:initiation")
    assert it.state is ItemState.IN_PROGRESS and it.findings == (emergency,)
    assert "紧急先行启动" in it.detail
    # left behind with two problems: this overdue finding and the initiation form never made
    assert stage(cl, Stage.INITIATION).status is StageStatus.DONE and stage(cl, Stage.INITIATION).problems == 2
    assert cl.next_step is not None and cl.next_step.finding == emergency and cl.next_step.stage is Stage.INITIATION
    assert cl.next_step.act is not None and cl.next_step.act.kind is ActKind.APPROVAL


def test_optional_approvals_are_offered_at_review_and_listed_once_asked_for() -> None:
    c = make_case(stage=Stage.REVIEW)
    reached = {Stage.INITIATION, Stage.INVESTIGATION, Stage.REVIEW}
    cl = build(c, reached=reached)
    assert {a.target for a in stage(cl, Stage.REVIEW).optional if a.kind is ActKind.SUBMIT_APPROVAL} == {
        "legal_review", "discussion"}
    cl = build(c, reached=reached, approvals=[approval(c, Step.LEGAL_REVIEW)])
    assert item(cl, Stage.REVIEW, "approval:legal_review").state is ItemState.IN_PROGRESS
    assert keys(cl, Stage.REVIEW).index("approval:legal_review") < keys(cl, Stage.REVIEW).index("approval:decision")


# ---- finished stages, overdue findings, closing ------------------------------------------------

def test_a_finished_initiation_stage_is_done_and_collapsed_with_nothing_missing() -> None:
    c = make_case(stage=Stage.INVESTIGATION)
    form = version(c, "initiation_form", Stage.INITIATION)
    sigs = signed(form)
    done = approval(c, Step.INITIATION, Decision.APPROVE, Decision.APPROVE)
    cl = build(c, versions=[form], signatures=sigs, approvals=[done], reached={Stage.INITIATION, c.stage})
    init = stage(cl, Stage.INITIATION)
    assert init.status is StageStatus.DONE and init.problems == 0
    assert [i.state for i in init.items] == [ItemState.DONE, ItemState.DONE]
    assert init.done == init.required == 2
    assert "handlers" not in keys(cl, Stage.INITIATION) and "handlers" in keys(cl, Stage.INVESTIGATION)


def test_a_stage_left_without_its_record_shows_it_missing_with_the_overdue_finding() -> None:
    c = make_case(stage=Stage.INVESTIGATION)
    cl = build(c, reached={Stage.INITIATION, c.stage})
    form = item(cl, Stage.INITIATION, "record:initiation_form")
    assert form.state is ItemState.MISSING
    assert [(f.rule.id, f.status) for f in form.findings] == [("ART09-INITIATION-FORM", FindingStatus.OVERDUE)]
    # may still be made at the stage it belongs to
    assert form.act is not None and form.act.stage is Stage.INITIATION
    assert cl.next_step is not None and cl.next_step.item_key == "record:initiation_form"


def test_service_findings_land_on_the_service_item_and_choices_are_the_methods() -> None:
    c = make_case(stage=Stage.SERVICE)
    reached = {Stage.INITIATION, Stage.INVESTIGATION, Stage.REVIEW, Stage.SERVICE}
    cl = build(c, reached=reached)
    svc = item(cl, Stage.SERVICE, "group:service")
    assert svc.state is ItemState.TODO and svc.required
    assert {a.target for a in svc.choices} >= {"service_receipt_direct", "service_postal"}
    direct = version(c, "service_receipt_direct", Stage.SERVICE, {"document": "决定书", "signer_name": "王某",
                                                                  "signer_relation": "受送达人本人"})
    cl = build(c, reached=reached, versions=[direct], signatures=[sign(direct, Capacity.RECIPIENT, "王某")])
    svc = item(cl, Stage.SERVICE, "group:service")
    assert svc.state is ItemState.IN_PROGRESS and len(svc.records) == 1


def test_the_correction_deadline_asks_for_the_check_with_its_due_time() -> None:
    c = make_case(stage=Stage.EXECUTION)
    reached = {Stage.INITIATION, Stage.INVESTIGATION, Stage.REVIEW, Stage.SERVICE, Stage.EXECUTION}
    decision = version(c, "decision_document", Stage.REVIEW, {"correction_deadline": "2026-11-27"})
    cl = build(c, reached=reached, versions=[decision])
    check = item(cl, Stage.EXECUTION, "record:correction_check")
    assert check.required and check.state is ItemState.TODO
    assert [f.rule.id for f in check.findings] == ["ART28-CORRECTION-CHECK-DUE"]
    assert check.findings[0].due_at is not None and check.findings[0].status is FindingStatus.OPEN


def test_a_case_withdrawn_during_investigation_skips_the_later_stages() -> None:
    c = make_case(stage=Stage.ARCHIVE, closed_kind=ClosedKind.WITHDRAWN, closed_reason="证据不足",
                  ended_at=NOW)
    cl = build(c, reached={Stage.INITIATION, Stage.INVESTIGATION, Stage.ARCHIVE})
    assert [s.status for s in cl.stages] == [StageStatus.DONE, StageStatus.DONE] + [StageStatus.SKIPPED] * 3 + [
        StageStatus.CURRENT]
    assert "撤销" in stage(cl, Stage.REVIEW).note and "证据不足" in stage(cl, Stage.ARCHIVE).note
    # nothing can be made any more: no record or approval act is offered
    assert all(i.act is None or i.act.kind not in (ActKind.NEW_RECORD, ActKind.SUBMIT_APPROVAL)
               for s in cl.stages for i in s.items)
    assert "handlers" not in [k for s in cl.stages for k in keys(cl, s.stage)]


def test_a_complete_stage_points_to_the_next_one() -> None:
    c = make_case(stage=Stage.INVESTIGATION, action_type=ActionType.INSPECTION)
    form = version(c, "initiation_form", Stage.INITIATION)
    sigs = signed(form)
    done = approval(c, Step.INITIATION, Decision.APPROVE, Decision.APPROVE)
    cl = build(c, versions=[form], signatures=sigs, approvals=[done], reached={Stage.INITIATION, c.stage})
    assert cl.next_step is not None and cl.next_step.act is not None
    assert cl.next_step.act.kind is ActKind.ADVANCE and cl.next_step.act.target == "review"
    assert "审查决定" in cl.next_step.text


def test_a_real_name_complaint_not_taken_up_still_offers_the_art10_notice_and_nothing_else() -> None:
    c = make_case(stage=Stage.ARCHIVE, origin=Origin.COMPLAINT, complainant_real_name=True,
                  complainant_name="周先生", closed_kind=ClosedKind.NOT_INITIATED, closed_reason="另案查处",
                  ended_at=NOW - 2 * H)
    cl = build(c, reached={Stage.INITIATION, Stage.ARCHIVE})
    notice = item(cl, Stage.INITIATION, "record:complainant_notification")
    assert [f.rule.id for f in notice.findings] == ["ART10-COMPLAINANT-NOTIFIED"]
    assert notice.act is not None and (notice.act.kind, notice.act.target) == (ActKind.NEW_RECORD,
                                                                              "complainant_notification")
    others = [i for s in cl.stages for i in s.items if i.key != notice.key]
    assert all(i.act is None or i.act.kind is not ActKind.NEW_RECORD for i in others)
    assert cl.next_step is not None and cl.next_step.item_key == notice.key
    told = version(c, "complainant_notification", Stage.INITIATION,
                   {"complainant": "周先生", "notified_at": "2026-11-26T18:00", "method": "电话告知",
                    "reason": "另案查处"})
    cl = build(c, reached={Stage.INITIATION, Stage.ARCHIVE}, versions=[told])
    assert item(cl, Stage.INITIATION, "record:complainant_notification").state is not ItemState.MISSING
    anonymous = replace(c, complainant_real_name=False)
    cl = build(anonymous, reached={Stage.INITIATION, Stage.ARCHIVE})
    assert all(i.act is None or i.act.kind is not ActKind.NEW_RECORD for s in cl.stages for i in s.items)
