"""Service, execution and simplified-procedure rules (Art. 21–31): for every rule a scenario that
breaks it and one that satisfies it, and the record-time refusals (Art. 22, 24, 29). Pure data."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from lawtrail.domain import service as s
from lawtrail.domain.cases import ActionType, Case, Origin, Procedure, Stage
from lawtrail.domain.catalogue import Capacity
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.records import RecordVersion, Signature, SignMethod
from lawtrail.domain.rules import RULES
from lawtrail.domain.rules.service import RULES as SERVICE_RULES
from lawtrail.domain.rules.service import ServiceFacts, check_service
from lawtrail.errors import RuleViolation
from tests.unit.factories import T0

H = timedelta(hours=1)
CASE_ID = uuid.uuid4()


def case(stage: Stage = Stage.SERVICE, **over: Any) -> Case:
    base = Case(id=CASE_ID, bureau_id=uuid.uuid4(), unit_id=uuid.uuid4(), number="江蓬市监罚〔2026〕1号", year=2026,
                serial=1, action_type=ActionType.PENALTY, procedure=Procedure.GENERAL, origin=Origin.INSPECTION,
                origin_detail="", complainant_real_name=None, complainant_name="", complainant_contact="",
                name="某超市销售过期食品案", cause="销售过期食品", stage=stage, opened_at=T0 - 30 * 24 * H,
                opened_by="x", updated_at=T0)
    return replace(base, **over)


def rec(kind: str, values: dict[str, Any], *, at: Any = T0 - 2 * H, stage: Stage = Stage.SERVICE,
        av: tuple[uuid.UUID, ...] = ()) -> RecordVersion:
    return RecordVersion(id=uuid.uuid4(), record_id=uuid.uuid4(), version=1, case_id=CASE_ID, stage=stage,
                         kind_id=kind, kind_name=kind, catalogue_version=1, values=values, officers=(),
                         rights_method=None, av_media_ids=av, av_waiver="", reason="", created_at=at,
                         actor_id=None, actor_name="x")


def sig(v: RecordVersion, capacity: Capacity, refused: bool = False) -> Signature:
    return Signature(id=uuid.uuid4(), record_id=v.record_id, record_version=v.version, capacity=capacity,
                     signer_name=capacity.value, signer_user_id=None, refused=refused,
                     method=None if refused else SignMethod.ELECTRONIC, signed_at=T0 - H, scan_id=None,
                     refusal_reason="拒绝" if refused else "", witness_name="见证人" if refused else "", witness_org="",
                     recorded_at=T0 - H, actor_id=None, actor_name="x")


def rules_of(c: Case, versions: list[RecordVersion], sigs: list[Signature] = (),  # type: ignore[assignment]
             attachments: dict[uuid.UUID, int] | None = None) -> list[str]:
    found = check_service(ServiceFacts([c], versions, list(sigs), attachments or {}), T0)
    return sorted(f.rule.id for f in found)


DIRECT = {"document": "行政处罚决定书 江蓬市监罚决〔2026〕1号", "served_at": "2026-11-26T15:00+08:00", "place": "店内",
          "signer_name": "王某", "signer_relation": "受送达人本人"}


def test_the_rules_are_registered_with_their_articles() -> None:
    assert {"ART21-SERVICE-RECEIPT", "ART22-ELIGIBLE-SIGNER", "ART23-REFUSAL-EVIDENCE", "ART24-ELECTRONIC-FINAL-DOC",
            "ART25-POSTAL-PROOF", "ART26-ENTRUSTED-REASON", "ART27-PUBLIC-NOTICE-BASIS", "ART28-CORRECTION-CHECK-DUE",
            "ART29-REMINDER-BEFORE-COURT", "ART31-SIMPLIFIED-ITEMS"} == set(SERVICE_RULES)
    assert all(RULES[r] is SERVICE_RULES[r] for r in SERVICE_RULES)
    assert SERVICE_RULES["ART24-ELECTRONIC-FINAL-DOC"].article == "第二十四条"
    assert SERVICE_RULES["ART26-ENTRUSTED-REASON"].article == "第二十六条"


def test_art21_a_receipt_without_the_recipients_signature_and_with_it() -> None:
    v = rec(s.DIRECT, DIRECT)
    assert rules_of(case(), [v], [sig(v, Capacity.SERVER)]) == ["ART21-SERVICE-RECEIPT"]
    assert rules_of(case(), [v], [sig(v, Capacity.SERVER), sig(v, Capacity.RECIPIENT)]) == []


def test_art21_a_case_that_left_service_without_any_receipt() -> None:
    assert rules_of(case(Stage.EXECUTION), []) == ["ART21-SERVICE-RECEIPT"]
    assert rules_of(case(Stage.SERVICE), []) == []  # still serving: nothing owed yet


def test_art22_a_signer_the_article_does_not_name() -> None:
    bad = rec(s.DIRECT, DIRECT | {"signer_relation": "邻居"})
    good = rec(s.DIRECT, DIRECT | {"signer_relation": "同住成年家属"})
    signed = [sig(v, c) for v in (bad, good) for c in (Capacity.SERVER, Capacity.RECIPIENT)]
    assert rules_of(case(), [bad], signed) == ["ART22-ELIGIBLE-SIGNER"]
    assert rules_of(case(), [good], signed) == []


REFUSAL = {"document": "行政处罚决定书", "refused_at": "2026-11-26T15:00+08:00", "refusal_reason": "拒绝签收",
           "left_at_residence": True}


def test_art23_a_refusal_needs_a_witness_or_filming() -> None:
    v = rec(s.REFUSAL, REFUSAL)
    assert rules_of(case(), [v], [sig(v, Capacity.SERVER)]) == ["ART23-REFUSAL-EVIDENCE"]
    assert rules_of(case(), [v], [sig(v, Capacity.SERVER), sig(v, Capacity.WITNESS)]) == []
    filmed = rec(s.REFUSAL, REFUSAL | {"filmed": True}, av=(uuid.uuid4(),))
    assert rules_of(case(), [filmed], [sig(filmed, Capacity.SERVER)]) == []
    not_linked = rec(s.REFUSAL, REFUSAL | {"filmed": True})  # filmed, says the form, but no AV linked
    assert rules_of(case(), [not_linked], [sig(not_linked, Capacity.SERVER)]) == ["ART23-REFUSAL-EVIDENCE"]


ELECTRONIC = {"document": "责令改正通知书", "consent": True, "method": "电子邮件", "address": "a@b.cn",
              "served_at": "2026-11-26T15:00+08:00", "receipt_confirmed": True}


def test_art24_electronic_service_needs_consent_and_proof_and_never_serves_a_final_document() -> None:
    ok = rec(s.ELECTRONIC, ELECTRONIC)
    assert rules_of(case(), [ok], [], {ok.record_id: 1}) == []
    assert rules_of(case(), [ok], [], {}) == ["ART24-ELECTRONIC-FINAL-DOC"]  # no screenshot attached
    final = rec(s.ELECTRONIC, ELECTRONIC | {"document": "行政处罚决定书"})
    assert rules_of(case(), [final], [], {final.record_id: 1}) == ["ART24-ELECTRONIC-FINAL-DOC"]
    # A confirmation case's decision is not one of the four kinds of final documents.
    assert rules_of(case(action_type=ActionType.CONFIRMATION), [final], [], {final.record_id: 1}) == []


POSTAL = {"document": "行政处罚决定书", "carrier": "特快专递", "tracking_number": "EMS1",
          "posted_at": "2026-11-25T09:00+08:00",
          "registration_kept": True, "postage_proof_kept": True, "receipt_returned": True}


def test_art25_post_keeps_registration_postage_proof_and_return_receipt() -> None:
    ok = rec(s.POSTAL, POSTAL)
    assert rules_of(case(), [ok], [], {ok.record_id: 2}) == []
    no_receipt = rec(s.POSTAL, POSTAL | {"receipt_returned": False})
    assert rules_of(case(), [no_receipt], [], {no_receipt.record_id: 2}) == ["ART25-POSTAL-PROOF"]
    assert rules_of(case(), [ok], [], {}) == ["ART25-POSTAL-PROOF"]  # nothing scanned


NOTICE = {"document": "行政处罚决定书", "failed_attempts": "直接送达、邮寄均被退回", "carrier": "本局网站及公告栏",
          "published_at": "2026-11-26T09:00+08:00", "notice_text": "公告"}


ENTRUSTED = {"document": "行政处罚决定书 江蓬市监罚决〔2026〕1号", "mode": "转交送达", "via": "某部队政治工作部门",
             "reason": "受送达人是军人，通过其所在部队团以上单位的政治机关转交", "served_at": "2026-11-26T15:00+08:00"}


def test_art26_entrusted_service_records_the_reason_and_both_signatures() -> None:
    v = rec(s.ENTRUSTED, ENTRUSTED)
    both = [sig(v, Capacity.SERVER), sig(v, Capacity.RECIPIENT)]
    assert rules_of(case(), [v], both) == []
    assert rules_of(case(), [v], both[:1]) == ["ART26-ENTRUSTED-REASON"]  # no recipient
    assert rules_of(case(), [v], both[1:]) == ["ART26-ENTRUSTED-REASON"]  # no server
    no_reason = replace(v, values={**ENTRUSTED, "reason": " "})
    found = check_service(ServiceFacts([case()], [no_reason], both, {}), T0)
    assert [(f.rule.id, f.rule.article, f.status) for f in found] == [
        ("ART26-ENTRUSTED-REASON", "第二十六条", FindingStatus.OVERDUE)]
    assert "委托、转交原因" in found[0].message_zh and "签名" not in found[0].message_zh.split("尚缺")[1]
    # the receipt with a problem does not let the case leave 送达 (the gate uses the same function)
    with pytest.raises(RuleViolation):
        s.check_leave_service(case(), Stage.EXECUTION, [no_reason], both, {})
    s.check_leave_service(case(), Stage.EXECUTION, [v], both, {})


def test_art27_public_notice_needs_earlier_attempts_and_an_av_record() -> None:
    alone = rec(s.PUBLIC_NOTICE, NOTICE, av=(uuid.uuid4(),))
    assert rules_of(case(), [alone]) == ["ART27-PUBLIC-NOTICE-BASIS"]
    attempt = rec(s.POSTAL, POSTAL, at=T0 - 48 * H)
    assert rules_of(case(), [attempt, alone], [], {attempt.record_id: 2}) == []
    unfilmed = rec(s.PUBLIC_NOTICE, NOTICE)
    assert rules_of(case(), [attempt, unfilmed], [], {attempt.record_id: 2}) == ["ART27-PUBLIC-NOTICE-BASIS"]


def test_art28_a_correction_is_checked_by_its_deadline() -> None:
    decision = rec(s.DECISION, {"document_number": "罚决〔2026〕1号", "correction_deadline": "2026-11-30"},
                   stage=Stage.REVIEW)
    found = check_service(ServiceFacts([case(Stage.EXECUTION)], [decision], []), T0)
    art28 = [f for f in found if f.rule.id == "ART28-CORRECTION-CHECK-DUE"]
    assert len(art28) == 1 and art28[0].status is FindingStatus.OPEN
    assert art28[0].due_at == s.end_of_day("2026-11-30")
    soon = check_service(ServiceFacts([case(Stage.EXECUTION)], [decision], []), s.end_of_day("2026-11-30") - H)
    assert [f.status for f in soon if f.rule.id.startswith("ART28")] == [FindingStatus.DUE_SOON]
    late = check_service(ServiceFacts([case(Stage.EXECUTION)], [decision], []), s.end_of_day("2026-11-30") + H)
    assert [f.status for f in late if f.rule.id.startswith("ART28")] == [FindingStatus.OVERDUE]
    check = rec(s.CORRECTION_CHECK, {"deadline": "2026-11-30", "checked_at": "2026-11-29T10:00+08:00",
                                     "result": "已改正", "findings": "已下架"}, stage=Stage.EXECUTION)
    done = check_service(ServiceFacts([case(Stage.EXECUTION)], [decision, check], []), T0 + 10 * 24 * H)
    assert not [f for f in done if f.rule.id.startswith("ART28")]
    late_check = rec(s.CORRECTION_CHECK, check.values | {"checked_at": "2026-12-02T10:00+08:00"})
    history = check_service(ServiceFacts([case(Stage.EXECUTION)], [decision, late_check], []), T0 + 10 * 24 * H)
    assert [f.status for f in history if f.rule.id.startswith("ART28")] == [FindingStatus.OVERDUE]


REMINDER = {"document_number": "催字〔2026〕1号", "issued_at": "2026-11-01T09:00+08:00", "obligations": "缴纳罚款",
            "deadline": "2026-11-11", "rights": "陈述申辩"}
COURT = {"court": "蓬江区人民法院", "applied_at": "2026-11-20T09:00+08:00", "document_number": "申〔2026〕1号",
         "documents": "决定书、催告书", "party_statement": "当事人未陈述、申辩"}


def test_art29_a_court_application_needs_a_served_reminder() -> None:
    c = case(Stage.EXECUTION)
    with pytest.raises(RuleViolation) as refused:
        s.check_record(c, s.COURT_APPLICATION, COURT, [])
    assert refused.value.article == "第二十九条" and refused.value.code == "execution.reminder_missing"
    reminder = rec(s.REMINDER, REMINDER, at=T0 - 30 * H, stage=Stage.EXECUTION)
    served = rec(s.DIRECT, DIRECT | {"document": "催告书 催字〔2026〕1号"}, at=T0 - 29 * H, stage=Stage.EXECUTION)
    s.check_record(c, s.COURT_APPLICATION, COURT, [reminder, served])  # no refusal
    with pytest.raises(RuleViolation) as early:
        s.check_record(c, s.COURT_APPLICATION, COURT | {"applied_at": "2026-11-10T09:00+08:00"}, [reminder, served])
    assert early.value.code == "execution.reminder_not_due"
    stated = COURT | {"party_statement": s.STATEMENT_MADE}
    with pytest.raises(RuleViolation) as unreviewed:
        s.check_record(c, s.COURT_APPLICATION, stated, [reminder, served])
    assert unreviewed.value.code == "execution.statement_not_reviewed"
    review = rec(s.STATEMENT_REVIEW, {"adopted": "不采纳"}, stage=Stage.EXECUTION)
    s.check_record(c, s.COURT_APPLICATION, stated, [reminder, served, review])
    # As a rule: an application recorded anyway (say before this check existed) is a finding.
    app = rec(s.COURT_APPLICATION, COURT, at=T0 - H, stage=Stage.EXECUTION)
    sigs = [sig(served, Capacity.SERVER), sig(served, Capacity.RECIPIENT)]
    assert "ART29-REMINDER-BEFORE-COURT" in rules_of(c, [app])
    assert "ART29-REMINDER-BEFORE-COURT" not in rules_of(c, [reminder, served, app], sigs)


SIMPLE = {"occurred_at": "2026-11-26T10:00+08:00", "conditions": "事实清楚", "steps": "当场出示证件",
          "statement": "无异议",
          "review": "无", "filing": "已备案", "process": "当场处罚"}


def test_art31_the_seven_items_and_an_av_record_when_dispute_prone() -> None:
    c = case(Stage.SERVICE, procedure=Procedure.SIMPLIFIED)
    assert rules_of(c, []) == ["ART31-SIMPLIFIED-ITEMS"]
    assert rules_of(c, [rec(s.SIMPLIFIED, SIMPLE, stage=Stage.REVIEW)]) == []
    lacking = rec(s.SIMPLIFIED, {k: v for k, v in SIMPLE.items() if k != "filing"}, stage=Stage.REVIEW)
    assert rules_of(c, [lacking]) == ["ART31-SIMPLIFIED-ITEMS"]
    disputed = rec(s.SIMPLIFIED, SIMPLE | {"dispute_prone": True}, stage=Stage.REVIEW)
    assert rules_of(c, [disputed]) == ["ART31-SIMPLIFIED-ITEMS"]
    filmed = rec(s.SIMPLIFIED, SIMPLE | {"dispute_prone": True}, stage=Stage.REVIEW, av=(uuid.uuid4(),))
    assert rules_of(c, [filmed]) == []
    assert rules_of(case(Stage.REVIEW, procedure=Procedure.SIMPLIFIED), []) == []  # not past review yet


def test_record_time_refusals_cite_their_article() -> None:
    with pytest.raises(RuleViolation) as signer:
        s.check_record(case(), s.DIRECT, DIRECT | {"signer_relation": "邻居"}, [])
    assert signer.value.article == "第二十二条" and "第二十二条" in signer.value.message_zh
    s.check_record(case(), s.DIRECT, DIRECT, [])
    with pytest.raises(RuleViolation) as final:
        s.check_record(case(), s.ELECTRONIC, ELECTRONIC | {"document": "罚决〔2026〕1号"},
                       [rec(s.DECISION, {"document_number": "罚决〔2026〕1号"}, stage=Stage.REVIEW)])
    assert final.value.code == "service.electronic_final_document" and "第二十四条" in final.value.message_zh
    with pytest.raises(RuleViolation) as consent:
        s.check_record(case(), s.ELECTRONIC, ELECTRONIC | {"consent": False}, [])
    assert consent.value.code == "service.electronic_no_consent"
    s.check_record(case(), s.ELECTRONIC, ELECTRONIC, [])


def test_leaving_service_needs_a_complete_receipt_of_the_decision() -> None:
    c = case()
    decision = rec(s.DECISION, {"document_number": "罚决〔2026〕1号"}, stage=Stage.REVIEW)
    other = rec(s.DIRECT, DIRECT | {"document": "权利告知书"})
    served = rec(s.DIRECT, DIRECT | {"document": "罚决〔2026〕1号"})
    both = [sig(v, cap) for v in (other, served) for cap in (Capacity.SERVER, Capacity.RECIPIENT)]
    with pytest.raises(RuleViolation) as gate:
        s.check_leave_service(c, Stage.EXECUTION, [decision, other], both, {})
    assert gate.value.article == "第二十一条"
    with pytest.raises(RuleViolation):  # the decision's receipt, but unsigned by the recipient
        s.check_leave_service(c, Stage.EXECUTION, [decision, served], [sig(served, Capacity.SERVER)], {})
    s.check_leave_service(c, Stage.EXECUTION, [decision, other, served], both, {})
    s.check_leave_service(c, Stage.REVIEW, [], [], {})  # a correction back is not leaving forward
