"""The approval domain: the state machine edge by edge (every status × every decision), the chains,
who may act at each level, and the stage gates with the emergency start of Art. 9."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest

from lawtrail.domain.access import Actor, Role
from lawtrail.domain.approvals import (
    CHAINS,
    MOVES,
    Approval,
    ApprovalAction,
    ApprovalRequest,
    ApprovalState,
    Decision,
    Status,
    Step,
    apply,
    approver_problem,
    check_gate,
    check_submittable,
    move,
    state_of,
    waits_for,
)
from lawtrail.domain.cases import Origin, Procedure, Stage
from lawtrail.errors import InvalidTransition, RuleViolation
from tests.unit.factories import T0
from tests.unit.test_cases_domain import make_case

UNIT, OTHER_UNIT, BUREAU = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
HANDLER, HEAD, HEAD2, LEADER, REVIEWER, OFFICER = (uuid.uuid4() for _ in range(6))
ROLES = {HANDLER: {Role.OFFICER}, HEAD: {Role.UNIT_HEAD, Role.OFFICER}, HEAD2: {Role.UNIT_HEAD},
         LEADER: {Role.LEADER}, REVIEWER: {Role.LEGAL_REVIEWER}, OFFICER: {Role.OFFICER}}


def actor(user_id: UUID, unit: UUID = UNIT) -> Actor:
    return Actor(user_id, f"u{str(user_id)[:4]}", BUREAU, unit, frozenset(ROLES[user_id]))


def request(step: Step = Step.INITIATION, **over: object) -> ApprovalRequest:
    values: dict[str, object] = dict(id=uuid.uuid4(), case_id=uuid.uuid4(), step=step, submitted_by=HANDLER,
                                     submitted_by_name="承办人", submitted_at=T0)
    values.update(over)
    return ApprovalRequest(**values)  # type: ignore[arg-type]


def action(req: ApprovalRequest, decision: Decision, who: UUID, minutes: int, level: int = 0) -> ApprovalAction:
    return ApprovalAction(uuid.uuid4(), req.id, level, who, "x", decision, "意见", T0 + timedelta(minutes=minutes))


def run(req: ApprovalRequest, *steps: tuple[Decision, UUID]) -> ApprovalState:
    state = ApprovalState()
    for i, (decision, who) in enumerate(steps):
        state = apply(req, state, action(req, decision, who, i))
    return state


# ---- the state machine, edge by edge --------------------------------------------------------

STATES: dict[Status | None, ApprovalState] = {
    None: ApprovalState(),
    Status.PENDING: ApprovalState(Status.PENDING, 1),
    Status.RETURNED: ApprovalState(Status.RETURNED),
    Status.APPROVED: ApprovalState(Status.APPROVED),
    Status.REFUSED: ApprovalState(Status.REFUSED),
    Status.WITHDRAWN: ApprovalState(Status.WITHDRAWN),
}
#: The independent expectation: what each (status, decision) leads to on a chain at its first level.
EXPECTED: dict[tuple[Status | None, Decision], Status] = {
    (None, Decision.SUBMIT): Status.PENDING,
    (Status.PENDING, Decision.APPROVE): Status.PENDING,  # level 1 of 2
    (Status.PENDING, Decision.RETURN): Status.RETURNED,
    (Status.PENDING, Decision.REFUSE): Status.REFUSED,
    (Status.PENDING, Decision.WITHDRAW): Status.WITHDRAWN,
    (Status.RETURNED, Decision.SUBMIT): Status.PENDING,
    (Status.RETURNED, Decision.WITHDRAW): Status.WITHDRAWN,
}


@pytest.mark.parametrize("before", list(STATES), ids=lambda s: str(s))
@pytest.mark.parametrize("decision", list(Decision), ids=lambda d: d.value)
def test_every_edge_of_the_state_machine(before: Status | None, decision: Decision) -> None:
    expected = EXPECTED.get((before, decision))
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            move(Step.INITIATION, STATES[before], decision)
        terminal = before in (Status.APPROVED, Status.REFUSED, Status.WITHDRAWN)
        assert info.value.code == ("approval.closed" if terminal else "approval.bad_move")
    else:
        assert move(Step.INITIATION, STATES[before], decision) is expected
    assert set(MOVES) == set(EXPECTED)


def test_the_chain_goes_level_by_level_and_ends_approved() -> None:
    req = request()
    state = run(req, (Decision.SUBMIT, HANDLER))
    assert (state.status, state.level) == (Status.PENDING, 1)
    state = apply(req, state, action(req, Decision.APPROVE, HEAD, 5, 1))
    assert (state.status, state.level, state.approvers) == (Status.PENDING, 2, (HEAD,))
    state = apply(req, state, action(req, Decision.APPROVE, LEADER, 6, 2))
    assert (state.status, state.level, state.ended_at) == (Status.APPROVED, 0, T0 + timedelta(minutes=6))
    assert [lv.label for lv in CHAINS[Step.INITIATION]] == ["执法机构意见", "分管领导意见"]
    assert [lv.label for lv in CHAINS[Step.DECISION]] == ["执法机构意见", "机关负责人意见"]
    assert len(CHAINS[Step.LEGAL_REVIEW]) == 1
    legal = request(Step.LEGAL_REVIEW)
    assert run(legal, (Decision.SUBMIT, HANDLER), (Decision.APPROVE, REVIEWER)).status is Status.APPROVED


def test_a_return_goes_back_to_the_handler_and_a_resubmission_starts_a_new_round() -> None:
    req = request()
    state = run(req, (Decision.SUBMIT, HANDLER), (Decision.APPROVE, HEAD), (Decision.RETURN, LEADER))
    assert (state.status, state.level, state.last.decision if state.last else None) == (
        Status.RETURNED, 0, Decision.RETURN)
    assert waits_for(actor(HANDLER), req, state, UNIT) and not waits_for(actor(HEAD), req, state, UNIT)
    state = apply(req, state, action(req, Decision.SUBMIT, OFFICER, 9))
    assert (state.status, state.level, state.approvers) == (Status.PENDING, 1, ())  # the unit head signs again
    assert state.submitters == {HANDLER, OFFICER}


def test_a_discussion_needs_every_participant_and_cannot_be_refused() -> None:
    req = request(Step.DISCUSSION, participants=(HEAD, LEADER, REVIEWER))
    state = run(req, (Decision.SUBMIT, HANDLER), (Decision.APPROVE, LEADER), (Decision.APPROVE, HEAD))
    assert (state.status, state.level, state.signed) == (Status.PENDING, 1, {LEADER, HEAD})
    with pytest.raises(InvalidTransition):
        move(Step.DISCUSSION, state, Decision.REFUSE, req.participants)
    assert approver_problem(actor(HEAD), req, state, UNIT).code == "approval.already_signed"  # type: ignore[union-attr]
    state = apply(req, state, action(req, Decision.APPROVE, REVIEWER, 9))
    assert state.status is Status.APPROVED


def test_state_until_a_time_ignores_later_actions() -> None:
    req = request()
    acts = [action(req, Decision.SUBMIT, HANDLER, 0), action(req, Decision.APPROVE, HEAD, 10, 1),
            action(req, Decision.APPROVE, LEADER, 20, 2)]
    assert state_of(req, acts).status is Status.APPROVED
    assert state_of(req, acts, until=T0 + timedelta(minutes=15)).level == 2
    assert state_of(req, reversed(acts)).status is Status.APPROVED  # by time, not by list order


# ---- who may act ----------------------------------------------------------------------------

#: (step, level) → the people (of UNIT unless noted) who may give the opinion waiting there.
WHO = {
    (Step.INITIATION, 1): {HEAD, HEAD2}, (Step.INITIATION, 2): {LEADER},
    (Step.DECISION, 1): {HEAD, HEAD2}, (Step.DECISION, 2): {LEADER},
    (Step.LEGAL_REVIEW, 1): {REVIEWER},
}


@pytest.mark.parametrize(("step", "level"), list(WHO), ids=lambda x: str(x))
@pytest.mark.parametrize("person", [HANDLER, HEAD, HEAD2, LEADER, REVIEWER, OFFICER],
                         ids=["handler", "head", "head2", "leader", "reviewer", "officer"])
def test_who_may_act_at_each_level(step: Step, level: int, person: UUID) -> None:
    req = request(step)
    state = ApprovalState(Status.PENDING, level, submitters=frozenset({HANDLER}))
    problem = approver_problem(actor(person), req, state, UNIT)
    assert (problem is None) == (person in WHO[(step, level)]), problem
    if person == HANDLER:
        assert problem is not None and problem.code == "approval.own_submission"


def test_a_unit_head_of_another_unit_the_same_person_twice_and_the_system_are_refused() -> None:
    req = request()
    state = ApprovalState(Status.PENDING, 1, submitters=frozenset({HANDLER}))
    assert approver_problem(actor(HEAD, OTHER_UNIT), req, state, UNIT).code == "approval.not_your_level"  # type: ignore[union-attr]
    both = Actor(HEAD, "兼任", BUREAU, UNIT, frozenset({Role.UNIT_HEAD, Role.LEADER}))
    at_two = ApprovalState(Status.PENDING, 2, approvers=(HEAD,), submitters=frozenset({HANDLER}))
    assert approver_problem(both, req, at_two, UNIT).code == "approval.already_acted"  # type: ignore[union-attr]
    system = Actor(None, "system", BUREAU, None, is_system=True)
    assert approver_problem(system, req, state, UNIT).code == "approval.person_required"  # type: ignore[union-attr]
    assert not waits_for(system, req, state, UNIT)
    discussion = request(Step.DISCUSSION, participants=(LEADER, REVIEWER))
    state = ApprovalState(Status.PENDING, 1, submitters=frozenset({HANDLER}))
    assert approver_problem(actor(HEAD), discussion, state, UNIT).code == "approval.not_participant"  # type: ignore[union-attr]
    assert approver_problem(actor(LEADER, OTHER_UNIT), discussion, state, UNIT) is None


# ---- what a case needs, and the gates -------------------------------------------------------

def approval(req: ApprovalRequest, *steps: tuple[Decision, UUID]) -> Approval:
    acts = tuple(action(req, d, who, i) for i, (d, who) in enumerate(steps))
    return Approval(req, acts, state_of(req, acts))


APPROVED_INITIATION = approval(request(), (Decision.SUBMIT, HANDLER), (Decision.APPROVE, HEAD),
                               (Decision.APPROVE, LEADER))


def test_initiation_gate_needs_the_approval_or_an_emergency_start() -> None:
    case = make_case(Stage.INITIATION)
    with pytest.raises(RuleViolation) as info:
        check_gate(case, Stage.INVESTIGATION, [])
    assert (info.value.article, info.value.code) == ("第九条", "case.initiation_not_approved")
    pending = approval(request(), (Decision.SUBMIT, HANDLER), (Decision.APPROVE, HEAD))
    with pytest.raises(RuleViolation):
        check_gate(case, Stage.INVESTIGATION, [pending])
    check_gate(case, Stage.INVESTIGATION, [APPROVED_INITIATION])
    emergency = request(emergency=True, emergency_reason="证据可能灭失")
    check_gate(case, Stage.INVESTIGATION, [approval(emergency, (Decision.SUBMIT, HANDLER))])
    withdrawn = approval(emergency, (Decision.SUBMIT, HANDLER), (Decision.WITHDRAW, HANDLER))
    with pytest.raises(RuleViolation):
        check_gate(case, Stage.INVESTIGATION, [withdrawn])
    # On application (Art. 8) or simplified (Art. 31): no initiation approval.
    check_gate(replace(case, origin=Origin.APPLICATION), Stage.INVESTIGATION, [])
    check_gate(replace(case, procedure=Procedure.SIMPLIFIED), Stage.INVESTIGATION, [])


def test_decision_gate_needs_the_decision_approval() -> None:
    case = make_case(Stage.REVIEW)
    with pytest.raises(RuleViolation) as info:
        check_gate(case, Stage.SERVICE, [APPROVED_INITIATION])
    assert (info.value.article, info.value.details["rule"]) == ("第十九条", "ART19-APPROVAL-CHAIN")
    decided = approval(request(Step.DECISION), (Decision.SUBMIT, HANDLER), (Decision.APPROVE, HEAD),
                       (Decision.APPROVE, LEADER))
    check_gate(case, Stage.SERVICE, [decided])
    check_gate(replace(case, procedure=Procedure.SIMPLIFIED), Stage.SERVICE, [])
    check_gate(make_case(Stage.INVESTIGATION), Stage.REVIEW, [])  # no gate there


def test_what_may_be_submitted_when() -> None:
    def code(case_stage: Stage, step: Step, approvals: list[Approval], **over: object) -> str | None:
        try:
            check_submittable(replace(make_case(case_stage), **over), step, approvals)  # type: ignore[arg-type]
        except InvalidTransition as exc:
            return exc.code
        return None

    assert code(Stage.INITIATION, Step.INITIATION, []) is None
    assert code(Stage.INITIATION, Step.DECISION, []) == "approval.wrong_stage"
    assert code(Stage.REVIEW, Step.DECISION, []) is None
    assert code(Stage.REVIEW, Step.LEGAL_REVIEW, []) is None
    assert code(Stage.INVESTIGATION, Step.INITIATION, []) == "approval.wrong_stage"
    emergency = approval(request(emergency=True, emergency_reason="紧急"), (Decision.SUBMIT, HANDLER),
                         (Decision.WITHDRAW, HANDLER))
    assert code(Stage.INVESTIGATION, Step.INITIATION, [emergency]) is None  # 补报 after an emergency start
    assert code(Stage.INITIATION, Step.INITIATION, [APPROVED_INITIATION]) == "approval.approved"
    pending = approval(request(), (Decision.SUBMIT, HANDLER))
    assert code(Stage.INITIATION, Step.INITIATION, [pending]) == "approval.pending"
    assert code(Stage.INITIATION, Step.INITIATION, [], origin=Origin.APPLICATION) == "approval.not_needed"
    assert code(Stage.REVIEW, Step.DECISION, [], procedure=Procedure.SIMPLIFIED) == "approval.not_needed"
    assert code(Stage.REVIEW, Step.DECISION, [], closed_kind="withdrawn") == "approval.case_ended"
