"""A full-lifecycle scenario per action type through the API (issue 5), on both engines: the case
opened with the origin its type has (licensing, confirmation, registration and adjudication on
application with the receipt, Art. 8; penalty, coercion and inspection ex officio with the
initiation form and its approval, Art. 9), at each stage exactly the records the catalogue asks
for (checked against ``/records/gaps`` before they are made), the legal review and the decision
approved by the legal reviewer, the unit head and the leader (Art. 16, 19), the decision served
and executed, and the case archived with no gap and ``/api/v1/findings?case=`` empty. The
simplified penalty (Art. 31) goes from initiation straight to review & decision.

The other penalty scenario (``test_service_lifecycle_api``) checks the refusals met on the way;
these check that a case done right ends with nothing owed."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.integration.lifecycle_support import (
    Story,
    Team,
    advance,
    approved,
    findings,
    gaps,
    legal_review_approved,
    open_case,
    team,
)
from tests.integration.lifecycle_support import make as make_record
from tests.integration.support import Seed
from tests.integration.test_cases_api import Api, api

__all__ = ["api"]  # the fixture, imported for pytest

#: Required in 送达 (one group: any one complete receipt stands for all).
SERVICE_GROUP = ("service_electronic", "service_entrusted", "service_postal", "service_public_notice",
                 "service_receipt_direct", "service_refusal")
DECIDED = ("approval_record", "decision_document")  # every general-procedure case (Art. 19, 20)
REVIEWED = ("approval_record", "decision_document", "legal_review")  # and a legal review (Art. 16)


@dataclass(frozen=True)
class Plan:
    """One scenario. ``needs``: the kinds the catalogue asks for at each stage (a missing record
    shows from the first stage of its kind, so the rights notice of investigation and review is
    owed from investigation on); ``extra``: other records made at a stage (the evidence)."""

    action_type: str
    origin: str
    name: str
    story: Story
    needs: dict[str, tuple[str, ...]]
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict)
    procedure: str = "general"

    @property
    def ex_officio(self) -> bool:
        return self.origin != "application"


def story(document: str, number: str, decision: str, **more: str) -> Story:
    return Story(document=document, number=f"江蓬市监{number}〔2026〕1号", decision=decision, **more)


INQUIRY = {"investigation": ("inquiry_record",)}
PLANS = [
    Plan("licensing", "application", "某餐饮店申请食品经营许可",
         story("食品经营许可决定书", "许", "准予食品经营许可"),
         {"initiation": ("application_receipt",), "investigation": ("rights_notice",), "review": REVIEWED,
          "execution": ("fulfilment_record",)}, INQUIRY),
    Plan("coercion", "inspection", "某仓库储存假冒商品查封案",
         story("实施行政强制措施决定书", "强", "查封涉嫌假冒的商品一批"),
         {"initiation": ("initiation_form",), "investigation": ("rights_notice",), "review": REVIEWED,
          "execution": ("fulfilment_record",)}, INQUIRY),
    Plan("inspection", "inspection", "某超市食品安全监督检查",
         story("责令改正通知书", "检", "责令限期改正", correction_deadline="2026-12-05"),
         {"initiation": ("initiation_form",), "review": DECIDED, "execution": ("fulfilment_record",)},
         {"investigation": ("inquiry_record", "test_report"), "execution": ("correction_check",)}),
    Plan("confirmation", "application", "某企业申请确认广告发布登记事项",
         story("行政确认决定书", "确", "确认申请事项属实"),
         {"initiation": ("application_receipt",), "review": DECIDED, "execution": ("fulfilment_record",)}, INQUIRY),
    Plan("registration", "application", "某个体工商户申请变更登记",
         story("准予变更登记通知书", "登", "准予变更登记", service="service_entrusted"),
         {"initiation": ("application_receipt",), "review": DECIDED, "execution": ("fulfilment_record",)}, INQUIRY),
    Plan("adjudication", "application", "两公司商标使用纠纷裁决",
         story("行政裁决书", "裁", "裁决被申请人停止使用争议标识"),
         {"initiation": ("application_receipt",), "investigation": ("rights_notice",), "review": REVIEWED,
          "execution": ("fulfilment_record",)}, INQUIRY),
    Plan("penalty", "complaint", "某食品店销售过期食品案（投诉举报）",
         story("行政处罚决定书", "罚", "罚款五千元"),
         {"initiation": ("initiation_form",), "investigation": ("rights_notice",), "review": REVIEWED,
          "execution": ("fulfilment_record",)}, INQUIRY),
    Plan("penalty", "inspection", "某商户未明码标价案（简易程序）",
         story("当场行政处罚决定书", "简", "警告"),
         {"review": ("simplified_record",)}, procedure="simplified"),
]


def missing(t: Team, case_id: str) -> list[str]:
    """The kinds the case still owes (record gaps only: signature and AV gaps fail elsewhere)."""
    return sorted(kind for _, gap, kind in gaps(t.a, case_id) if gap == "record")


def owed(plan: Plan, stage: str) -> list[str]:
    return sorted(plan.needs.get(stage, ()) + (SERVICE_GROUP if stage == "service" else ()))


@pytest.mark.parametrize("plan", PLANS, ids=[f"{p.action_type}-{p.procedure}-{p.origin}" for p in PLANS])
def test_a_case_of_each_action_type_from_opening_to_archive_owes_nothing(
        seed: Seed, api: tuple[Api, list[str]], plan: Plan) -> None:
    t = team(seed, api)
    case = open_case(t, action_type=plan.action_type, procedure=plan.procedure, origin=plan.origin, name=plan.name,
                     cause=f"{plan.name}：{plan.story.decision}")
    cid = case["id"]
    stages = ["investigation", "review"] if plan.procedure == "general" else ["review"]
    for stage in ("initiation", *stages, "service", "execution"):
        if stage != "initiation":
            advance(t, cid, stage)
        assert missing(t, cid) == owed(plan, stage), stage
        for kind in (*plan.extra.get(stage, ()), *plan.needs.get(stage, ())):
            make_record(t, case, kind, plan.story)
        if stage == "service":
            make_record(t, case, plan.story.service, plan.story)
        if stage == "initiation" and plan.ex_officio and plan.procedure == "general":
            approved(t, cid, "initiation")
        if stage == "review" and plan.procedure == "general":
            if "legal_review" in plan.needs["review"]:
                legal_review_approved(t, cid)
            approved(t, cid, "decision")
        # an ordered correction is checked in 执行: until then its deadline is a to-do (Art. 28)
        to_do = [("ART28-CORRECTION-CHECK-DUE", "open")] if plan.story.correction_deadline and stage in (
            "review", "service") else []
        assert missing(t, cid) == [] and [(r, s) for r, s, _ in findings(t.a, cid)] == to_do, stage
    advance(t, cid, "archive")
    assert gaps(t.a, cid) == [] and findings(t.a, cid) == []
    detail = t.a.call("GET", f"/{cid}")
    assert [s["to"] for s in detail["stages"]] == ["initiation", *stages, "service", "execution", "archive"]
    steps = [x["step"] for x in t.a.call("GET", f"/{cid}/approvals")]
    expected = (["initiation"] if plan.ex_officio and plan.procedure == "general" else []) + (
        (["legal_review"] if "legal_review" in plan.needs.get("review", ()) else []) + ["decision"]
        if plan.procedure == "general" else [])
    assert steps == expected
