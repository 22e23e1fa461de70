"""The approval rules over plain facts: each broken and satisfied; the emergency start's 24 hours
as the clock moves (open → due_soon → overdue, cleared once approved)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from uuid import UUID

import pytest

from lawtrail.domain.approvals import ApprovalAction, ApprovalRequest, CaseRef, Decision, Step
from lawtrail.domain.cases import Procedure, Stage
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.rules import RULES
from lawtrail.domain.rules.approvals import ApprovalFacts, check_approvals
from tests.unit.factories import T0

H = timedelta(hours=1)
UNIT = uuid.uuid4()
HANDLER, HEAD, LEADER, REVIEWER = (uuid.uuid4() for _ in range(4))
NAMES = {HANDLER: "陈志强", HEAD: "黄伟明", LEADER: "周国华", REVIEWER: "梁淑仪"}


def case(stage: Stage = Stage.INITIATION, **over: object) -> CaseRef:
    values: dict[str, object] = dict(id=uuid.uuid4(), unit_id=UNIT, number="江市监ZFJCK〔2026〕1号", name="某案",
                                     stage=stage)
    values.update(over)
    return CaseRef(**values)  # type: ignore[arg-type]


class Facts:
    """Builds ApprovalFacts one request at a time."""

    def __init__(self, *cases: CaseRef) -> None:
        self.cases = {c.id: c for c in cases}
        self.requests: list[ApprovalRequest] = []
        self.actions: list[ApprovalAction] = []
        self.decided: dict[UUID, datetime] = {}

    def request(self, c: CaseRef, step: Step, at: datetime, *moves: tuple[Decision, UUID, datetime],
                **over: object) -> ApprovalRequest:
        req = ApprovalRequest(id=uuid.uuid4(), case_id=c.id, step=step, submitted_by=HANDLER,
                              submitted_by_name="陈志强", submitted_at=at, **over)  # type: ignore[arg-type]
        self.requests.append(req)
        self.actions.append(ApprovalAction(uuid.uuid4(), req.id, 0, HANDLER, "陈志强", Decision.SUBMIT, "拟立案", at))
        for level, (decision, who, when) in enumerate(moves, start=1):
            self.actions.append(ApprovalAction(uuid.uuid4(), req.id, level, who, NAMES[who], decision, "同意", when))
        return req

    def build(self) -> ApprovalFacts:
        return ApprovalFacts(self.cases, self.requests, self.actions, self.decided, NAMES)


def test_the_rules_are_registered() -> None:
    for rule_id, article in (("ART09-EMERGENCY-APPROVAL-24H", "第九条"), ("ART18-DISCUSSION-SIGNED", "第十八条"),
                             ("ART19-APPROVAL-CHAIN", "第十九条")):
        assert RULES[rule_id].article == article


@pytest.mark.parametrize(("hours", "status"), [
    (0, FindingStatus.OPEN), (17.9, FindingStatus.OPEN), (18, FindingStatus.DUE_SOON), (23.9, FindingStatus.DUE_SOON),
    (24, FindingStatus.OVERDUE), (100, FindingStatus.OVERDUE)])
def test_an_emergency_start_is_due_within_24_hours(hours: float, status: FindingStatus) -> None:
    c = case(Stage.INVESTIGATION)
    f = Facts(c)
    f.request(c, Step.INITIATION, T0, (Decision.APPROVE, HEAD, T0 + H), emergency=True, emergency_reason="证据可能灭失")
    [found] = check_approvals(f.build(), T0 + hours * H)
    assert (found.rule.id, found.status, found.due_at) == ("ART09-EMERGENCY-APPROVAL-24H", status, T0 + 24 * H)
    assert "证据可能灭失" in found.message_zh and "分管领导意见" in found.message_zh
    assert found.subject.type == "case" and found.people == (str(HANDLER),)


def test_an_emergency_start_clears_once_approved_and_a_plain_submission_has_no_deadline() -> None:
    c = case(Stage.INVESTIGATION)
    f = Facts(c)
    f.request(c, Step.INITIATION, T0, (Decision.APPROVE, HEAD, T0 + H), (Decision.APPROVE, LEADER, T0 + 2 * H),
              emergency=True, emergency_reason="紧急")
    assert check_approvals(f.build(), T0 + 30 * H) == []
    plain = case()
    g = Facts(plain)
    g.request(plain, Step.INITIATION, T0)
    assert check_approvals(g.build(), T0 + 300 * H) == []


def test_a_decision_made_without_its_approval_breaks_art19() -> None:
    c = case(Stage.SERVICE)
    f = Facts(c)
    f.decided[c.id] = T0 + 5 * H
    f.request(c, Step.DECISION, T0, (Decision.APPROVE, HEAD, T0 + H))  # the leader never signed
    [found] = check_approvals(f.build(), T0 + 6 * H)
    assert found.rule.id == "ART19-APPROVAL-CHAIN" and found.status is FindingStatus.OVERDUE
    assert "机关负责人意见" in found.message_zh
    # Approved after the decision: still a finding (back-filled, Art. 6).
    f.actions.append(ApprovalAction(uuid.uuid4(), f.requests[0].id, 2, LEADER, "周国华", Decision.APPROVE, "同意",
                                    T0 + 8 * H))
    assert [x.rule.id for x in check_approvals(f.build(), T0 + 9 * H)] == ["ART19-APPROVAL-CHAIN"]
    none = case(Stage.EXECUTION)
    g = Facts(none)
    g.decided[none.id] = T0
    [found] = check_approvals(g.build(), T0 + H)
    assert "未提交决定审批" in found.message_zh


def test_a_decision_approved_in_time_and_cases_the_rule_does_not_concern() -> None:
    c = case(Stage.SERVICE)
    f = Facts(c)
    f.decided[c.id] = T0 + 5 * H
    f.request(c, Step.DECISION, T0, (Decision.APPROVE, HEAD, T0 + H), (Decision.APPROVE, LEADER, T0 + 2 * H))
    simplified = case(Stage.SERVICE, procedure=Procedure.SIMPLIFIED)
    corrected_back = case(Stage.REVIEW)  # moved back by correction: no decision stands
    closed = case(Stage.ARCHIVE, closed=True)
    for other in (simplified, corrected_back, closed):
        f.cases[other.id] = other
        f.decided[other.id] = T0
    assert check_approvals(f.build(), T0 + 6 * H) == []


def test_a_discussion_must_be_signed_by_everyone_before_the_decision() -> None:
    c = case(Stage.SERVICE)
    f = Facts(c)
    f.decided[c.id] = T0 + 5 * H
    f.request(c, Step.DISCUSSION, T0, (Decision.APPROVE, HEAD, T0 + H), participants=(HEAD, LEADER, REVIEWER))
    f.request(c, Step.DECISION, T0, (Decision.APPROVE, HEAD, T0 + H), (Decision.APPROVE, LEADER, T0 + 2 * H))
    [found] = check_approvals(f.build(), T0 + 6 * H)
    assert found.rule.id == "ART18-DISCUSSION-SIGNED" and found.status is FindingStatus.OVERDUE
    assert "周国华" in found.message_zh and "梁淑仪" in found.message_zh and "黄伟明" not in found.message_zh
    assert set(found.people) == {str(LEADER), str(REVIEWER)}
    assert check_approvals(f.build(), T0 + 6 * H, rule="ART19-APPROVAL-CHAIN") == []
    # Signed by all three before the decision: satisfied.
    g = Facts(c)
    g.decided[c.id] = T0 + 5 * H
    g.request(c, Step.DISCUSSION, T0, (Decision.APPROVE, HEAD, T0 + H), (Decision.APPROVE, LEADER, T0 + H),
              (Decision.APPROVE, REVIEWER, T0 + 2 * H), participants=(HEAD, LEADER, REVIEWER))
    assert check_approvals(g.build(), T0 + 6 * H, rule="ART18-DISCUSSION-SIGNED") == []
    # Still in review (no decision yet): nothing to report, it is in the participants' inboxes.
    h = Facts(case(Stage.REVIEW))
    [pending] = h.cases.values()
    h.request(pending, Step.DISCUSSION, T0, participants=(HEAD, LEADER))
    assert check_approvals(h.build(), T0 + 60 * H) == []
