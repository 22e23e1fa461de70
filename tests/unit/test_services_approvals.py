"""Approval services against the in-memory fakes: one transaction and one event per change,
refusals write nothing, who may act, the stage gates in ``advance_stage``, the inbox, and the
emergency start's 24 hours through the compliance engine with a frozen clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from lawtrail.domain.access import Role
from lawtrail.domain.approvals import Status, Step
from lawtrail.domain.cases import Case, Stage
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.org import User
from lawtrail.errors import InvalidTransition, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from lawtrail.services import approvals as svc
from lawtrail.services import cases, findings
from lawtrail.services.case_input import CaseDetails
from tests.unit.factories import T0, World, make_user, only_new_event, refused, seeded_world, system_ctx

H = timedelta(hours=1)
DETAILS = CaseDetails(action_type="penalty", procedure="general", origin="inspection", name="某超市销售过期食品案",
                      cause="涉嫌销售超过保质期的食品")


@pytest.fixture
def w() -> World:
    world = seeded_world()
    second = make_user(world.unit_a, Role.OFFICER, username="officer.a2", display_name="第二执法员")
    head_b = make_user(world.unit_b, Role.UNIT_HEAD, username="head.b", display_name="二科科长")
    world.put(second, head_b)
    world.second = second  # type: ignore[attr-defined]
    world.head_b = head_b  # type: ignore[attr-defined]
    world.db.commits = 0
    return world


def open_case(w: World, **over: object) -> Case:
    details = over.pop("details", DETAILS)
    return cases.open_case(w.uow(), w.ctx(w.officer_a), unit_id=w.unit_a.id, details=details,  # type: ignore[arg-type]
                           handler_ids=[w.officer_a.id, w.second.id])  # type: ignore[attr-defined]


def chain(w: World, case: Case, step: Step, *, by: User | None = None) -> None:
    """Submit ``step`` as officer a and have it approved up the chain."""
    req = svc.submit(w.uow(), w.ctx(by or w.officer_a), case.id, step=step, opinion="拟同意").request
    for who in (w.unit_head_a, w.leader):
        svc.act(w.uow(), w.ctx(who), req.id, decision="approve", opinion="同意")


def test_initiation_up_the_chain_one_event_each_then_the_case_may_investigate(w: World) -> None:
    case = open_case(w)
    err = refused(w, RuleViolation, lambda: cases.advance_stage(w.uow(), w.ctx(w.officer_a), case.id,
                                                                 to="investigation"))
    assert (err.code, err.article) == ("case.initiation_not_approved", "第九条")
    before = len(w.events())
    a = svc.submit(w.uow(), w.ctx(w.officer_a), case.id, step="initiation", opinion="建议立案调查")
    event = only_new_event(w, before)
    assert event.action == "case:approval:submit" and event.subject_id == str(case.id)
    assert a.state.status is Status.PENDING and a.state.level == 1
    before = len(w.events())
    a = svc.act(w.uow(), w.ctx(w.unit_head_a), a.request.id, decision="approve", opinion="同意立案")
    event = only_new_event(w, before)
    assert event.action == "case:approval:act" and event.after is not None
    assert (event.after["level_label"], event.after["status"]) == ("执法机构意见", "pending")
    assert w.db.commits == 3  # the opening, the submission, the opinion
    a = svc.act(w.uow(), w.ctx(w.leader), a.request.id, decision="approve", opinion="同意")
    assert a.state.status is Status.APPROVED and a.actions[-1].final
    assert cases.advance_stage(w.uow(), w.ctx(w.officer_a), case.id, to="investigation").stage is Stage.INVESTIGATION
    history = svc.case_approvals(w.uow(), w.ctx(w.supervisor), case.id)
    assert [(x.decision.value, x.actor_name) for x in history.approvals[0].actions] == [
        ("submit", w.officer_a.display_name), ("approve", w.unit_head_a.display_name),
        ("approve", w.leader.display_name)]
    assert not history.may_manage and history.may_act == frozenset()


def test_who_may_act_is_refused_with_nothing_written(w: World) -> None:
    case = open_case(w)
    req = svc.submit(w.uow(), w.ctx(w.officer_a), case.id, step="initiation", opinion="建议立案").request
    act = svc.act
    err = refused(w, PermissionDenied, lambda: act(w.uow(), w.ctx(w.leader), req.id, decision="approve",
                                                   opinion="同意"))
    assert err.code == "approval.not_your_level"  # the unit head signs first
    err = refused(w, PermissionDenied, lambda: act(w.uow(), w.ctx(w.head_b), req.id,  # type: ignore[attr-defined]
                                                   decision="approve", opinion="同意"))
    assert err.code == "permission_denied"  # another unit's head
    for nobody in (w.officer_a, w.archivist, w.supervisor, w.admin):
        refused(w, PermissionDenied, lambda p=nobody: act(w.uow(), w.ctx(p), req.id, decision="approve",  # type: ignore[misc]
                                                          opinion="同意"))
    refused(w, ValidationFailed, lambda: act(w.uow(), w.ctx(w.unit_head_a), req.id, decision="approve", opinion=" "))
    refused(w, ValidationFailed, lambda: act(w.uow(), w.ctx(w.unit_head_a), req.id, decision="submit", opinion="x"))
    refused(w, ValidationFailed, lambda: act(w.uow(), w.ctx(w.unit_head_a), req.id, decision="approve",
                                             opinion="同意", advice="只有法制审核有建议"))
    refused(w, NotFound, lambda: act(w.uow(), w.ctx(w.unit_head_a), uuid.uuid4(), decision="approve", opinion="同意"))
    # The unit head submits the decision himself: he cannot approve his own submission.
    own = open_case(w)
    mine = svc.submit(w.uow(), w.ctx(w.unit_head_a), own.id, step="initiation", opinion="建议立案").request
    err = refused(w, PermissionDenied, lambda: act(w.uow(), w.ctx(w.unit_head_a), mine.id, decision="approve",
                                                   opinion="同意"))
    assert err.code == "approval.own_submission"


def test_return_resubmit_refuse_and_withdraw(w: World) -> None:
    case = open_case(w)
    req = svc.submit(w.uow(), w.ctx(w.officer_a), case.id, step="initiation", opinion="建议立案").request
    returned = svc.act(w.uow(), w.ctx(w.unit_head_a), req.id, decision="return", opinion="请补充当事人基本情况")
    assert returned.state.status is Status.RETURNED
    assert [i.approval.request.id for i in svc.inbox(w.uow(), w.ctx(w.officer_a))] == [req.id]  # back to the handler
    assert svc.inbox(w.uow(), w.ctx(w.unit_head_a)) == []
    refused(w, InvalidTransition, lambda: svc.act(w.uow(), w.ctx(w.unit_head_a), req.id, decision="approve",
                                                  opinion="同意"))
    again = svc.submit(w.uow(), w.ctx(w.second), case.id, step="initiation",  # type: ignore[attr-defined]
                       opinion="已补充当事人基本情况，建议立案")
    assert again.request.id == req.id and again.state.status is Status.PENDING and again.state.level == 1
    refused(w, InvalidTransition, lambda: svc.submit(w.uow(), w.ctx(w.officer_a), case.id, step="initiation",
                                                     opinion="重复"))
    svc.act(w.uow(), w.ctx(w.unit_head_a), req.id, decision="approve", opinion="同意")
    done = svc.act(w.uow(), w.ctx(w.leader), req.id, decision="refuse", opinion="证据不足，不予立案")
    assert done.state.status is Status.REFUSED
    refused(w, InvalidTransition, lambda: svc.withdraw(w.uow(), w.ctx(w.officer_a), req.id, reason="撤回"))
    # A refused request does not block a new one; a new one may be withdrawn (one event).
    fresh = svc.submit(w.uow(), w.ctx(w.officer_a), case.id, step="initiation", opinion="补充证据后重新报批")
    assert fresh.request.id != req.id
    refused(w, ValidationFailed, lambda: svc.withdraw(w.uow(), w.ctx(w.officer_a), fresh.request.id, reason=""))
    refused(w, PermissionDenied, lambda: svc.withdraw(w.uow(), w.ctx(w.leader), fresh.request.id, reason="撤回"))
    before = len(w.events())
    gone = svc.withdraw(w.uow(), w.ctx(w.officer_a), fresh.request.id, reason="案情有变，撤回")
    assert only_new_event(w, before).action == "case:approval:withdraw" and gone.state.status is Status.WITHDRAWN


def test_bad_submissions_write_nothing(w: World) -> None:
    case = open_case(w)
    ctx = w.ctx(w.officer_a)
    submit = svc.submit
    refused(w, ValidationFailed, lambda: submit(w.uow(), ctx, case.id, step="nothing", opinion="x"))
    refused(w, ValidationFailed, lambda: submit(w.uow(), ctx, case.id, step="initiation", opinion=""))
    refused(w, ValidationFailed, lambda: submit(w.uow(), ctx, case.id, step="initiation", opinion="x",
                                                emergency=True))  # no reason
    refused(w, ValidationFailed, lambda: submit(w.uow(), ctx, case.id, step="decision", opinion="x",
                                                emergency=True, emergency_reason="紧急"))
    refused(w, InvalidTransition, lambda: submit(w.uow(), ctx, case.id, step="decision", opinion="x"))  # not in review
    refused(w, PermissionDenied, lambda: submit(w.uow(), w.ctx(w.officer_b), case.id, step="initiation", opinion="x"))
    refused(w, PermissionDenied, lambda: submit(w.uow(), w.ctx(w.leader), case.id, step="initiation", opinion="x"))
    refused(w, NotFound, lambda: submit(w.uow(), ctx, uuid.uuid4(), step="initiation", opinion="x"))
    err = refused(w, PermissionDenied, lambda: submit(w.uow(), system_ctx(), case.id, step="initiation",
                                                      opinion="x"))
    assert err.code == "approval.person_required"
    refused(w, PermissionDenied, lambda: submit(w.uow(), w.ctx(w.admin), case.id, step="initiation", opinion="x"))
    app = cases.open_case(w.uow(), ctx, unit_id=w.unit_a.id, details=CaseDetails(
        action_type="licensing", procedure="general", origin="application", name="食品经营许可",
        cause="申请食品经营许可", origin_detail="受理编号1"))
    err = refused(w, InvalidTransition, lambda: submit(w.uow(), ctx, app.id, step="initiation", opinion="x"))
    assert err.code == "approval.not_needed"


def test_legal_review_and_discussion_in_the_review_stage(w: World) -> None:
    case = open_case(w)
    chain(w, case, Step.INITIATION)
    ctx = w.ctx(w.officer_a)
    cases.advance_stage(w.uow(), ctx, case.id, to="investigation")
    cases.advance_stage(w.uow(), ctx, case.id, to="review")
    review = svc.submit(w.uow(), ctx, case.id, step="legal_review", opinion="请审核处罚决定").request
    refused(w, PermissionDenied, lambda: svc.act(w.uow(), w.ctx(w.unit_head_a), review.id, decision="approve",
                                                 opinion="同意"))
    done = svc.act(w.uow(), w.ctx(w.legal_reviewer), review.id, decision="approve", opinion="事实清楚，证据确凿",
                   advice="建议在决定书中写明裁量理由")
    assert done.state.status is Status.APPROVED and done.actions[-1].advice.startswith("建议")
    people = [w.unit_head_a.id, w.leader.id, w.legal_reviewer.id]
    refused(w, ValidationFailed, lambda: svc.submit(w.uow(), ctx, case.id, step="discussion", opinion="结论",
                                                    participants=[w.leader.id]))  # too few
    refused(w, ValidationFailed, lambda: svc.submit(w.uow(), ctx, case.id, step="discussion", opinion="结论",
                                                    participants=[w.leader.id, w.officer_b.id]))  # an officer
    refused(w, ValidationFailed, lambda: svc.submit(w.uow(), ctx, case.id, step="legal_review", opinion="x",
                                                    participants=people))
    talk = svc.submit(w.uow(), ctx, case.id, step="discussion", opinion="讨论结论：罚款五千元", participants=people)
    assert {i.approval.request.id for i in svc.inbox(w.uow(), w.ctx(w.legal_reviewer))} == {talk.request.id}
    for person in (w.unit_head_a, w.leader):
        svc.act(w.uow(), w.ctx(person), talk.request.id, decision="approve", opinion="同意")
    refused(w, PermissionDenied, lambda: svc.act(w.uow(), w.ctx(w.leader), talk.request.id, decision="approve",
                                                 opinion="再签"))
    page = svc.case_approvals(w.uow(), w.ctx(w.legal_reviewer), case.id)
    assert page.may_act == {talk.request.id} and page.names[w.leader.id] == w.leader.display_name
    # The decision needs its own chain before service.
    refused(w, RuleViolation, lambda: cases.advance_stage(w.uow(), ctx, case.id, to="service"))
    assert Step.DECISION in svc.case_approvals(w.uow(), ctx, case.id).submittable
    chain(w, case, Step.DECISION)
    assert cases.advance_stage(w.uow(), ctx, case.id, to="service").stage is Stage.SERVICE
    # The reviewer never signed before the decision: ART18 flags it.
    found = findings.evaluate(w.uow(), w.ctx(w.leader), T0 + H, rule="ART18-DISCUSSION-SIGNED")
    assert [(f.subject.id, f.people) for f in found] == [(str(case.id), (str(w.legal_reviewer.id),))]
    assert findings.evaluate(w.uow(), w.ctx(w.leader), T0 + H, rule="ART19-APPROVAL-CHAIN") == []


def test_emergency_start_then_approval_within_24_hours_on_a_frozen_clock(w: World) -> None:
    case = open_case(w)
    ctx = w.ctx(w.officer_a)
    a = svc.submit(w.uow(), ctx, case.id, step="initiation", opinion="当事人正在转移涉案物品，先行启动",
                   emergency=True, emergency_reason="证据可能灭失")
    assert cases.advance_stage(w.uow(), ctx, case.id, to="investigation").stage is Stage.INVESTIGATION

    def status(hours: float) -> list[FindingStatus]:
        found = findings.evaluate(w.uow(), w.ctx(w.unit_head_a), T0 + hours * H, rule="ART09-EMERGENCY-APPROVAL-24H")
        return [f.status for f in found]

    assert status(1) == [FindingStatus.OPEN]
    assert status(19) == [FindingStatus.DUE_SOON]
    assert status(24) == [FindingStatus.OVERDUE]
    [item] = svc.inbox(w.uow(), w.ctx(w.unit_head_a))
    assert item.due_at == T0 + 24 * H and item.case.number == case.number
    refused(w, InvalidTransition, lambda: svc.submit(w.uow(), ctx, case.id, step="initiation", opinion="x",
                                                     emergency=True, emergency_reason="再次"))
    svc.act(w.uow(), w.ctx(w.unit_head_a, T0 + 2 * H), a.request.id, decision="approve", opinion="同意")
    assert status(20) == [FindingStatus.DUE_SOON]
    assert [i.approval.request.id for i in svc.inbox(w.uow(), w.ctx(w.leader))] == [a.request.id]
    svc.act(w.uow(), w.ctx(w.leader, T0 + 3 * H), a.request.id, decision="approve", opinion="同意")
    assert status(30) == []
    assert svc.waiting_count(w.uow(), w.ctx(w.leader)) == 0


def test_the_inbox_reads_a_fixed_number_of_times(w: World) -> None:
    counts = []
    for n in (3, 30):
        for _ in range(n - (3 if n == 30 else 0)):
            svc.submit(w.uow(), w.ctx(w.officer_a), open_case(w).id, step="initiation", opinion="建议立案")
        uow = w.uow()
        items = svc.inbox(uow, w.ctx(w.unit_head_a))
        counts.append(uow.queries)
        assert len(items) == n
    assert counts[0] == counts[1] == 4  # waiting by name, by role, their requests, actions (0035)
    assert svc.inbox(w.uow(), w.ctx(w.leader)) == [] and svc.inbox(w.uow(), w.ctx(w.admin)) == []
