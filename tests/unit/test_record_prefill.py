"""The starting values of a new record from the case's approval chains and parties
(``domain.record_prefill``): the opinions go where the paper form has them, only the latest
round counts, a withdrawn request gives nothing, and other kinds start empty."""

from __future__ import annotations

import uuid
from datetime import timedelta
from uuid import UUID

from lawtrail.domain.approvals import (
    Approval,
    ApprovalAction,
    ApprovalRequest,
    Decision,
    Step,
    state_of,
)
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.parties import Party, PartyKind
from lawtrail.domain.record_prefill import party_facts, prefill
from tests.unit.factories import T0

HANDLER, HEAD, LEADER, REVIEWER = (uuid.uuid4() for _ in range(4))
NAMES = {HANDLER: "陈志强", HEAD: "黄伟明", LEADER: "周国华", REVIEWER: "梁淑仪"}


def chain(step: Step, *acts: tuple[int, UUID, Decision, str], advice: str = "",
          participants: tuple[UUID, ...] = ()) -> Approval:
    """A request of ``step`` with its actions (level, who, decision, opinion), a minute apart."""
    req = ApprovalRequest(uuid.uuid4(), uuid.uuid4(), step, HANDLER, NAMES[HANDLER], T0, participants=participants)
    actions = tuple(ApprovalAction(uuid.uuid4(), req.id, level, who, NAMES[who], decision, opinion,
                                   T0 + timedelta(minutes=i), advice=advice if level else "")
                    for i, (level, who, decision, opinion) in enumerate(acts))
    return Approval(req, actions, state_of(req, actions))


def party(kind: PartyKind = PartyKind.LEGAL_PERSON) -> Party:
    return Party(uuid.uuid4(), uuid.uuid4(), kind, "江门市某某超市有限公司", "91440703MA4W8K2L33", "何永健",
                 "江门市蓬江区建设三路88号", "", T0, "陈志强")


def test_the_initiation_form_takes_each_level_and_the_parties() -> None:
    a = chain(Step.INITIATION, (0, HANDLER, Decision.SUBMIT, "建议立案"), (1, HEAD, Decision.APPROVE, "同意立案"),
              (2, LEADER, Decision.APPROVE, "同意"))
    got = prefill("initiation_form", [a], [party()], NAMES)
    assert got["values.handler_opinion"] == "建议立案"
    assert got["values.unit_opinion"] == "同意立案"
    assert got["values.leader_opinion"] == "同意"
    assert "91440703MA4W8K2L33" in got["values.party_info"] and "法定代表人（负责人）何永健" in got["values.party_info"]


def test_only_the_latest_round_of_a_returned_and_resubmitted_request_counts() -> None:
    a = chain(Step.INITIATION, (0, HANDLER, Decision.SUBMIT, "第一稿"), (1, HEAD, Decision.RETURN, "补充证据"),
              (0, HANDLER, Decision.SUBMIT, "第二稿"), (1, HEAD, Decision.APPROVE, "同意"))
    got = prefill("initiation_form", [a], [], NAMES)
    assert got == {"values.handler_opinion": "第二稿", "values.unit_opinion": "同意"}  # no leader yet


def test_a_returned_opinion_is_not_an_approval() -> None:
    a = chain(Step.DECISION, (0, HANDLER, Decision.SUBMIT, "拟罚款"), (1, HEAD, Decision.RETURN, "事实不清"))
    assert prefill("approval_record", [a], [], NAMES) == {"values.handler_opinion": "拟罚款"}


def test_the_approval_record_takes_the_time_of_the_final_approval() -> None:
    a = chain(Step.DECISION, (0, HANDLER, Decision.SUBMIT, "拟罚款"), (1, HEAD, Decision.APPROVE, "同意"),
              (2, LEADER, Decision.APPROVE, "同意作出决定"))
    got = prefill("approval_record", [a], [], NAMES)
    assert got["values.head_opinion"] == "同意作出决定"
    assert got["values.approved_at"] == (T0 + timedelta(minutes=2)).astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M")


def test_the_legal_review_takes_the_reviewer_opinion_and_advice() -> None:
    a = chain(Step.LEGAL_REVIEW, (0, HANDLER, Decision.SUBMIT, "请审核"),
              (1, REVIEWER, Decision.APPROVE, "程序合法"), advice="建议没收违法所得")
    got = prefill("legal_review", [a], [], NAMES)
    assert got == {"values.opinion": "程序合法", "values.advice": "建议没收违法所得", "values.reviewers": "梁淑仪",
                   "values.reviewed_at": got["values.reviewed_at"]}
    assert "values.handler_opinion" not in got


def test_the_discussion_takes_the_conclusion_and_the_participants() -> None:
    a = chain(Step.DISCUSSION, (0, HANDLER, Decision.SUBMIT, "罚款5000元"), (1, HEAD, Decision.APPROVE, "同意"),
              participants=(HEAD, LEADER))
    got = prefill("collective_discussion", [a], [], NAMES)
    assert got == {"values.conclusion": "罚款5000元", "values.participants": "黄伟明\n周国华"}


def test_the_latest_request_counts_and_a_withdrawn_one_gives_nothing() -> None:
    old = chain(Step.INITIATION, (0, HANDLER, Decision.SUBMIT, "旧"), (1, HEAD, Decision.APPROVE, "旧意见"))
    withdrawn = chain(Step.INITIATION, (0, HANDLER, Decision.SUBMIT, "撤回的"), (0, HANDLER, Decision.WITHDRAW, "撤回"))
    assert prefill("initiation_form", [old, withdrawn], [], NAMES)["values.unit_opinion"] == "旧意见"
    assert prefill("initiation_form", [withdrawn], [], NAMES) == {}


def test_other_kinds_and_cases_without_approvals_start_empty() -> None:
    a = chain(Step.INITIATION, (0, HANDLER, Decision.SUBMIT, "建议立案"))
    assert prefill("inquiry_record", [a], [party()], NAMES) == {}
    assert prefill("approval_record", [a], [], NAMES) == {}  # a decision record takes no initiation
    assert prefill("initiation_form", [], [], NAMES) == {}


def test_a_citizen_is_shown_with_the_id_card_number() -> None:
    assert "身份证号码" in party_facts([party(PartyKind.CITIZEN)])
    assert party_facts([]) == ""
