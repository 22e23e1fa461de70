"""Approvals on the real databases (SQLite and PostgreSQL): the services' round trip through the SQL
repository, append-only requests and opinions (triggers), the gates, a refusal that leaves no row,
and the inbox and the approval rules reading a fixed number of statements for 10 or 100 cases."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.clock import FixedClock
from lawtrail.domain.approvals import ApprovalAction, Decision, Status, Step
from lawtrail.domain.cases import Case, Stage
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.org import User
from lawtrail.domain.rules import RuleSettings
from lawtrail.errors import Conflict, PermissionDenied, RuleViolation
from lawtrail.services import approvals, cases, findings, users
from lawtrail.services.case_input import CaseDetails
from tests.integration.support import Seed, counting, row_counts
from tests.unit.factories import PASSWORD, T0

H = timedelta(hours=1)
DETAILS = CaseDetails(action_type="penalty", procedure="general", origin="inspection", name="某药店销售假药案",
                      cause="涉嫌销售假药")


class People:
    def __init__(self, seed: Seed) -> None:
        c, sys = seed.container, seed.container.system_ctx("test")

        def person(name: str, *roles: str) -> User:
            cert: dict[str, Any] = {}
            if "officer" in roles:
                cert = dict(cert_number="粤0720261234", cert_valid_from=date(2024, 1, 1),
                            cert_valid_to=date(2028, 1, 1))
            return users.create_user(c.uow(), sys, c.deps, unit_id=seed.unit.id, username=name,
                                     display_name=f"{name}同志", roles=list(roles), password=PASSWORD, **cert)

        self.zhang, self.wang = person("zhang", "officer"), person("wang", "officer")
        self.head = person("head", "unit_head", "officer")
        self.leader, self.reviewer = person("leader", "leader"), person("reviewer", "legal_reviewer")


@pytest.fixture
def people(seed: Seed) -> People:
    return People(seed)


def new_case(seed: Seed, p: People) -> Case:
    return cases.open_case(seed.container.uow(), seed.ctx(p.zhang), unit_id=seed.unit.id, details=DETAILS,
                           handler_ids=[p.zhang.id, p.wang.id])


def approve(seed: Seed, p: People, case: Case, step: Step) -> None:
    """``step`` submitted by zhang and approved by the unit head and the leader."""
    c = seed.container
    request = approvals.submit(c.uow(), seed.ctx(p.zhang), case.id, step=step, opinion="拟同意").request
    for who in (p.head, p.leader):
        approvals.act(c.uow(), seed.ctx(who), request.id, decision="approve", opinion="同意")



def test_round_trip_through_the_chain_and_the_gates(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    case = new_case(seed, p)
    with pytest.raises(RuleViolation, match="立案审批"):
        cases.advance_stage(c.uow(), seed.ctx(p.zhang), case.id, to="investigation")
    request = approvals.submit(c.uow(), seed.ctx(p.zhang), case.id, step="initiation",
                               opinion="建议立案\n第二行").request
    assert [i.approval.request.id for i in approvals.inbox(c.uow(), seed.ctx(p.head))] == [request.id]
    approvals.act(c.uow(), seed.ctx(p.head), request.id, decision="return", opinion="请补充证据材料")
    assert [i.approval.state.status for i in approvals.inbox(c.uow(), seed.ctx(p.zhang))] == [Status.RETURNED]
    approvals.submit(c.uow(), seed.ctx(p.wang), case.id, step="initiation", opinion="已补充")
    approvals.act(c.uow(), seed.ctx(p.head), request.id, decision="approve", opinion="同意")
    done = approvals.act(c.uow(), seed.ctx(p.leader), request.id, decision="approve", opinion="同意")
    assert done.state.status is Status.APPROVED
    history = approvals.case_approvals(c.uow(), seed.ctx(p.reviewer), case.id)
    [stored] = history.approvals
    assert stored.request == request and stored.actions == done.actions
    assert [a.decision.value for a in stored.actions] == ["submit", "return", "submit", "approve", "approve"]
    assert [a.seq for a in stored.actions] == [0, 1, 2, 3, 4]  # the fixed clock gives them all one time
    assert stored.actions[0].opinion == "建议立案\n第二行" and stored.actions[-1].final
    ctx = seed.ctx(p.zhang)
    for to in ("investigation", "review"):
        cases.advance_stage(c.uow(), ctx, case.id, to=to)
    with pytest.raises(RuleViolation, match="决定审批"):
        cases.advance_stage(c.uow(), ctx, case.id, to="service")
    approve(seed, p, case, Step.DECISION)
    assert cases.advance_stage(c.uow(), ctx, case.id, to="service").stage is Stage.SERVICE
    assert findings.evaluate(c.uow(), seed.ctx(p.leader), T0, settings=RuleSettings(),
                             rule="ART19-APPROVAL-CHAIN") == []


def test_requests_and_opinions_are_append_only(seed: Seed, people: People) -> None:
    c = seed.container
    approve(seed, people, new_case(seed, people), Step.INITIATION)
    for statement in ("UPDATE approval_requests SET emergency_reason = 'x'", "DELETE FROM approval_requests",
                      "UPDATE approval_actions SET opinion = '改写'", "DELETE FROM approval_actions"):
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    if c.engine.dialect.name == "sqlite":
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="REPLACE refused"):
            conn.execute(text("INSERT OR REPLACE INTO approval_actions SELECT * FROM approval_actions LIMIT 1"))


def test_two_opinions_cannot_take_one_place(seed: Seed, people: People) -> None:
    """Two people acting on one request at once: the second insert of the same place is refused
    as a Conflict (unique request_id, seq), and the rolled-back transaction leaves no row."""
    c, p = seed.container, people
    request = approvals.submit(c.uow(), seed.ctx(p.zhang), new_case(seed, p).id, step="initiation",
                               opinion="建议立案").request
    before = row_counts(c.engine)
    late = ApprovalAction(id=uuid.uuid4(), request_id=request.id, level=1, actor_id=p.head.id, actor_name="head",
                          decision=Decision.APPROVE, opinion="同意", at=T0, seq=0)
    with c.uow() as uow, pytest.raises(Conflict, match="已被他人处理"):
        uow.approvals.add_action(late)
    assert row_counts(c.engine) == before
    done = approvals.act(c.uow(), seed.ctx(p.head), request.id, decision="approve", opinion="同意")
    assert [a.seq for a in done.actions] == [0, 1]


def test_a_refused_opinion_leaves_no_row(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    case = new_case(seed, p)
    request = approvals.submit(c.uow(), seed.ctx(p.zhang), case.id, step="initiation", opinion="建议立案").request
    before = row_counts(c.engine)
    with pytest.raises(PermissionDenied):
        approvals.act(c.uow(), seed.ctx(p.leader), request.id, decision="approve", opinion="同意")  # not yet
    with pytest.raises(RuleViolation):
        cases.advance_stage(c.uow(), seed.ctx(p.zhang), case.id, to="investigation")
    assert row_counts(c.engine) == before


def test_emergency_start_finding_over_time(seed: Seed, people: People, clock: FixedClock) -> None:
    c, p = seed.container, people
    case = new_case(seed, p)
    approvals.submit(c.uow(), seed.ctx(p.zhang), case.id, step="initiation", opinion="先行启动",
                     emergency=True, emergency_reason="证据可能灭失")
    cases.advance_stage(c.uow(), seed.ctx(p.zhang), case.id, to="investigation")
    start = clock.now()

    def found(hours: float) -> list[tuple[str, FindingStatus]]:
        return [(f.subject.id, f.status) for f in findings.evaluate(
            c.uow(), seed.ctx(p.head), start + hours * H, settings=RuleSettings(), rule="ART09-EMERGENCY-APPROVAL-24H")]

    assert found(1) == [(str(case.id), FindingStatus.OPEN)]
    assert found(20) == [(str(case.id), FindingStatus.DUE_SOON)]
    assert found(25) == [(str(case.id), FindingStatus.OVERDUE)]


def test_inbox_and_rules_read_a_fixed_number_of_statements(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    inbox_counts, rule_counts = [], []
    for n in (10, 90):  # 10 cases, then 100
        for _ in range(n):
            case = new_case(seed, p)
            approvals.submit(c.uow(), seed.ctx(p.zhang), case.id, step="initiation", opinion="先行启动",
                             emergency=True, emergency_reason="紧急")
        with counting(c.engine) as statements:
            waiting = approvals.inbox(c.uow(), seed.ctx(p.head))
        inbox_counts.append(len(statements))
        assert len(waiting) == (10 if n == 10 else 100)
        with counting(c.engine) as statements:
            found = findings.evaluate(c.uow(), seed.ctx(p.leader), T0, settings=RuleSettings(),
                                      rule="ART09-EMERGENCY-APPROVAL-24H")
        rule_counts.append(len(statements))
        assert len(found) == (10 if n == 10 else 100)
    assert inbox_counts[0] == inbox_counts[1] <= 5  # BEGIN on SQLite; by name, by role, requests, actions (0035)
    assert rule_counts[0] == rule_counts[1] <= 6
