"""The review-and-decision record rules (Art. 16, 17, 20): for each rule a scenario that breaks it
and one that satisfies it, over plain data (``CaseFacts``, the packaged catalogue)."""

from __future__ import annotations

from dataclasses import replace

from lawtrail.domain.cases import ActionType, Case, ClosedKind, Procedure, Stage
from lawtrail.domain.catalogue import Capacity
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.records import RecordVersion, Signature
from lawtrail.domain.rules import RULES
from lawtrail.domain.rules import review as rules
from lawtrail.domain.rules.case_records import check_cases
from tests.unit.test_records_domain import case as make_case
from tests.unit.test_records_domain import sign, version
from tests.unit.test_rules_case_records import NOW, facts

REVIEW = {"reviewers": ["法制员甲", "法制员乙"], "reviewed_at": "2026-11-26T10:00+08:00",
          "opinion": "事实清楚，证据确凿，适用依据正确", "advice": "建议按一般情节处罚"}
EXPERTS = {"held_at": "2026-11-26T10:00+08:00", "topic": "涉案产品是否属于假药", "experts": ["专家甲", "专家乙"],
           "opinions": "经论证，涉案产品属于假药"}
DECISION = {"document_number": "江市监罚决〔2026〕1号", "decided_at": "2026-11-26T10:00+08:00", "facts": "销售过期食品",
            "reasons": "当事人销售超过保质期的食品，违反食品安全法第三十四条",
            "legal_basis": "食品安全法第一百二十四条", "decision": "罚款五千元",
            "remedies": "六十日内申请行政复议或六个月内提起行政诉讼"}
REACHED = {Stage.INITIATION, Stage.INVESTIGATION, Stage.REVIEW}


def at_review(**over: object) -> Case:
    return make_case(stage=Stage.REVIEW, **over)


def found(c: Case, rule: str, versions: list[RecordVersion], sigs: list[Signature],
          reached: set[Stage] | None = None) -> list[tuple[str, str, FindingStatus]]:
    f = facts(c, versions=versions, signatures=sigs, reached=reached or REACHED | {c.stage})
    return [(x.rule.id, x.subject.type, x.status) for x in rules.check_review(f, rule=rule)]


def test_the_rules_are_registered_with_their_articles() -> None:
    for rule_id, article in [("ART16-LEGAL-REVIEW-RECORDED", "第十六条"), ("ART17-EXPERT-MINUTES", "第十七条"),
                             ("ART20-DECISION-REASONS", "第二十条")]:
        assert RULES[rule_id] is rules.RULES[rule_id] and RULES[rule_id].article == article


# ---- Art. 16 --------------------------------------------------------------------------------------

def test_art16_a_decided_penalty_case_without_a_legal_review_breaks_it() -> None:
    c = at_review()
    assert found(c, rules.ART16.id, [], []) == [(rules.ART16.id, "case", FindingStatus.OPEN)]
    moved_on = replace(c, stage=Stage.SERVICE)
    assert found(moved_on, rules.ART16.id, [], []) == [(rules.ART16.id, "case", FindingStatus.OVERDUE)]
    # the catalogue asks a legal review of penalty, coercion, licensing and adjudication only
    assert found(replace(c, action_type=ActionType.INSPECTION), rules.ART16.id, [], []) == []
    assert found(replace(c, procedure=Procedure.SIMPLIFIED), rules.ART16.id, [], []) == []


def test_art16_a_review_without_advice_or_a_reviewers_signature_breaks_it() -> None:
    c = at_review()
    review = version(c, "legal_review", Stage.REVIEW, {k: v for k, v in REVIEW.items() if k != "advice"})
    one = [sign(review, Capacity.REVIEWER, "法制员甲")]
    out = rules.check_review(facts(c, versions=[review], signatures=one, reached=REACHED), rule=rules.ART16.id)
    assert [(x.subject.type, x.status) for x in out] == [("record", FindingStatus.OPEN)]
    assert "未载明：建议" in out[0].message_zh and "尚缺签名：审核人员" in out[0].message_zh
    assert out[0].subject.id == str(review.record_id)


def test_art16_a_complete_signed_review_satisfies_it() -> None:
    c = at_review()
    review = version(c, "legal_review", Stage.REVIEW, REVIEW)
    both = [sign(review, Capacity.REVIEWER, "法制员甲"), sign(review, Capacity.REVIEWER, "法制员乙")]
    assert found(c, rules.ART16.id, [review], both) == []
    assert found(replace(c, stage=Stage.ARCHIVE), rules.ART16.id, [review], both) == []


# ---- Art. 17 --------------------------------------------------------------------------------------

def test_art17_minutes_the_experts_have_not_signed_break_it_once_decided() -> None:
    c = replace(at_review(), stage=Stage.SERVICE)
    minutes = version(c, "expert_argument", Stage.REVIEW, EXPERTS)
    one = [sign(minutes, Capacity.EXPERT, "专家甲")]
    assert found(c, rules.ART17.id, [minutes], one) == [(rules.ART17.id, "record", FindingStatus.OVERDUE)]
    no_opinion = replace(minutes, values={**EXPERTS, "opinions": "  "})
    out = rules.check_review(facts(c, versions=[no_opinion], signatures=[], reached=REACHED | {Stage.SERVICE}),
                             rule=rules.ART17.id)
    assert "论证意见" in out[0].message_zh and "专家" in out[0].message_zh


def test_art17_signed_minutes_satisfy_it_and_no_argument_owes_none() -> None:
    c = at_review()
    minutes = version(c, "expert_argument", Stage.REVIEW, EXPERTS)
    both = [sign(minutes, Capacity.EXPERT, "专家甲"), sign(minutes, Capacity.EXPERT, "专家乙")]
    assert found(c, rules.ART17.id, [minutes], both) == []
    assert found(replace(c, stage=Stage.ARCHIVE), rules.ART17.id, [], []) == []  # no argument was organised


# ---- Art. 20 --------------------------------------------------------------------------------------

def test_art20_no_decision_document_or_one_without_reasons_or_seal_breaks_it() -> None:
    c = replace(at_review(), stage=Stage.SERVICE)
    assert found(c, rules.ART20.id, [], []) == [(rules.ART20.id, "case", FindingStatus.OVERDUE)]
    decision = version(c, "decision_document", Stage.REVIEW, {k: v for k, v in DECISION.items() if k != "reasons"})
    out = rules.check_review(facts(c, versions=[decision], signatures=[], reached=REACHED | {Stage.SERVICE}),
                             rule=rules.ART20.id)
    assert [(x.subject.type, x.status) for x in out] == [("record", FindingStatus.OVERDUE)]
    assert "决定理由" in out[0].message_zh and "本机关印章" in out[0].message_zh
    assert "reasons" in out[0].message_en


def test_art20_a_sealed_decision_stating_its_reasons_satisfies_it() -> None:
    c = replace(at_review(), stage=Stage.SERVICE)
    decision = version(c, "decision_document", Stage.REVIEW, DECISION)
    assert found(c, rules.ART20.id, [decision], [sign(decision, Capacity.AGENCY, "本局")]) == []
    # a case ended without a decision during investigation owes none
    withdrawn = replace(c, stage=Stage.ARCHIVE, closed_kind=ClosedKind.WITHDRAWN)
    assert found(withdrawn, rules.ART20.id, [], [], reached={Stage.INITIATION, Stage.INVESTIGATION}) == []


def test_the_case_record_rules_leave_these_gaps_to_the_review_rules() -> None:
    c = replace(at_review(), stage=Stage.SERVICE)
    review = version(c, "legal_review", Stage.REVIEW, REVIEW)
    f = facts(c, versions=[review], signatures=[], reached=REACHED | {Stage.SERVICE})
    assert {x.rule.id for x in check_cases(f, NOW)}.isdisjoint(rules.RULES)
    assert {x.rule.id for x in rules.check_review(f)} == set(rules.RULES) - {rules.ART17.id}
