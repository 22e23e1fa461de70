"""The stored findings of archived cases (decision 0048) against the fakes: what an evaluation
keeps reads back the same (statuses worked out again at a later time), is really what is read,
is kept only for cases that can no longer change, and stops counting when the rules' inputs
change (catalogue, people's names), when the case leaves 归档 by a correction, or when an
approval of it is withdrawn."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from lawtrail.domain.approvals import ApprovalAction, ApprovalRequest, Decision, Step
from lawtrail.domain.cases import Case, ClosedKind, Handler, Origin, Stage
from lawtrail.domain.catalogue import StoredCatalogue
from lawtrail.domain.findings import Finding, FindingStatus, RuleSpec, Severity, Subject
from lawtrail.domain.org import User
from lawtrail.domain.rules import RuleSettings
from lawtrail.domain.rules import approvals as approval_rules
from lawtrail.domain.rules import service as service_rules
from lawtrail.services import approvals, archived_findings, findings, records
from lawtrail.services import cases as case_svc
from tests.unit.factories import T0, World, seeded_world
from tests.unit.fakes import FakeCatalogueSource, FakeUnitOfWork
from tests.unit.test_services_activities import stored_case

DAY = timedelta(days=1)
SOURCE = FakeCatalogueSource()


class NoSnapshot(FakeUnitOfWork):
    """A unit of work that cannot promise one snapshot: the engine then neither reads nor keeps
    stored findings (everything computed from the rows, as before decision 0048)."""

    def snapshot(self) -> bool:
        return False


@pytest.fixture
def world() -> World:
    return seeded_world()


def lines(found: list[Finding]) -> list[str]:
    return [json.dumps(f.to_json(), ensure_ascii=False, sort_keys=True) for f in found]


def run(world: World, now: datetime = T0, *, keep: bool = False, store: bool = True, who: User | None = None,
        **kw: Any) -> list[Finding]:
    uow = world.uow() if store else NoSnapshot(world.db)
    return findings.evaluate(uow, world.ctx(who or world.supervisor, now=now), now, settings=RuleSettings(),
                             catalogue=SOURCE, keep=keep, **kw)


def archived(world: World, **over: Any) -> Case:
    """A general inspection case concluded yesterday with no record at all (so it has gaps), and
    two certified handlers."""
    case = stored_case(world, stage=Stage.ARCHIVE, opened_at=T0 - 30 * DAY, updated_at=T0 - DAY,
                       ended_at=T0 - DAY, **over)
    with world.uow() as uow:
        uow.cases.set_handlers(case.id, [Handler(case.id, world.officer_a.id, True, T0 - 30 * DAY),
                                         Handler(case.id, world.unit_head_a.id, False, T0 - 30 * DAY)])
        uow.commit()
    return case


def emergency_start(world: World, case: Case, at: datetime) -> ApprovalRequest:
    """A pending emergency initiation request (Art. 9: to be approved within 24 h of ``at``)."""
    request = ApprovalRequest(id=uuid.uuid4(), case_id=case.id, step=Step.INITIATION,
                              submitted_by=world.officer_a.id, submitted_by_name="执法员", submitted_at=at,
                              emergency=True, emergency_reason="现场紧急")
    with world.uow() as uow:
        uow.approvals.add_request(request)
        uow.approvals.add_action(ApprovalAction(id=uuid.uuid4(), request_id=request.id, level=0,
                                                actor_id=world.officer_a.id, actor_name="执法员",
                                                decision=Decision.SUBMIT, opinion="请批准", at=at))
        uow.commit()
    return request


def test_kept_findings_read_back_the_same_and_are_what_is_read(world: World) -> None:
    done = archived(world)
    live = stored_case(world, stage=Stage.INVESTIGATION)
    fresh = run(world, store=False)
    assert {f.subject.id for f in fresh} >= {str(done.id), str(live.id)}
    assert not world.state.archived_findings  # nothing kept unless asked
    assert lines(run(world, keep=True)) == lines(fresh)
    assert set(world.state.archived_findings) == {done.id}  # the archived case only
    assert lines(run(world)) == lines(fresh)
    # What is read is the stored text: emptied, the case's findings are gone (its rows unread).
    stamp, ended, _ = world.state.archived_findings[done.id]
    world.state.archived_findings[done.id] = (stamp, ended, "[]")
    assert [f for f in run(world) if f.subject.id == str(done.id)] == []
    assert lines(run(world, store=False)) == lines(fresh)


def test_a_complaint_not_taken_up_is_stored_until_its_notice_is_recorded(world: World) -> None:
    """Decision 0040: the complainant notice may still be recorded after 归档 (ART10 is due)."""
    case = stored_case(world, stage=Stage.ARCHIVE, origin=Origin.COMPLAINT, complainant_real_name=True,
                       complainant_name="王女士", closed_kind=ClosedKind.NOT_INITIATED, opened_at=T0 - 3 * DAY,
                       updated_at=T0 - DAY, ended_at=T0 - DAY)
    found = run(world, keep=True)
    assert any(f.rule.id == "ART10-COMPLAINANT-NOTIFIED" and f.subject.id == str(case.id) for f in found)
    assert case.id in world.state.archived_findings
    assert lines(run(world, T0 + 5 * DAY)) == lines(run(world, T0 + 5 * DAY, store=False))  # due, then overdue
    records.create_record(world.uow(), world.ctx(world.officer_a), SOURCE, case.id,
                          kind_id="complainant_notification", stage="initiation", data=records.RecordInput(values={
                              "complainant": "王女士", "notified_at": (T0 - DAY / 2).isoformat(timespec="minutes"),
                              "method": "电话告知", "reason": "不属于本机关管辖"}))
    assert case.id not in world.state.archived_findings
    after = run(world, keep=True)
    # The notice is recorded (only its officer's signature is still missing, on the record).
    assert not any(f.rule.id == "ART10-COMPLAINANT-NOTIFIED" and f.subject.type == "case" for f in after)
    assert lines(run(world)) == lines(after) == lines(run(world, store=False))


def test_deadlines_are_worked_out_again_when_read_back(world: World) -> None:
    case = archived(world)
    emergency_start(world, case, T0 - 4 * 3600 * timedelta(seconds=1))  # due T0 + 20 h
    first = [f for f in run(world, keep=True) if f.rule is approval_rules.ART09_EMERGENCY]
    assert [f.status for f in first] == [FindingStatus.OPEN] and case.id in world.state.archived_findings
    for later in (T0 + 16 * 3600 * timedelta(seconds=1), T0 + 2 * DAY):  # due soon, then overdue
        assert lines(run(world, later)) == lines(run(world, later, store=False))
    assert {f.status for f in run(world, T0 + 2 * DAY) if f.rule is approval_rules.ART09_EMERGENCY} == {
        FindingStatus.OVERDUE}


def test_a_withdrawal_on_an_archived_case_forgets_what_was_stored(world: World) -> None:
    case = archived(world)
    request = emergency_start(world, case, T0 - 2 * DAY)
    run(world, keep=True)
    assert case.id in world.state.archived_findings
    approvals.withdraw(world.uow(), world.ctx(world.officer_a), request.id, reason="不再需要")
    assert case.id not in world.state.archived_findings
    assert lines(run(world)) == lines(run(world, store=False))  # "目前：已撤回", computed again


def test_a_correction_out_of_archive_forgets_and_a_new_archive_is_computed_afresh(world: World) -> None:
    case = archived(world)
    run(world, keep=True)
    case_svc.advance_stage(world.uow(), world.ctx(world.officer_a), case.id, to="execution", correction=True,
                           reason="归档有误")
    assert case.id not in world.state.archived_findings
    assert lines(run(world, keep=True)) == lines(run(world, store=False))
    assert case.id not in world.state.archived_findings  # not at 归档: nothing kept


def test_a_row_of_another_stamp_or_ended_at_does_not_count(world: World) -> None:
    case = archived(world)
    fresh = run(world, keep=True)
    stamp, ended, _ = world.state.archived_findings[case.id]
    world.state.archived_findings[case.id] = (stamp, ended - DAY, "[]")  # archived again since
    assert lines(run(world)) == lines(fresh)
    world.state.archived_findings[case.id] = ("another", ended, "[]")
    assert lines(run(world)) == lines(fresh)


def test_a_new_catalogue_or_a_renamed_person_makes_the_store_stale(world: World) -> None:
    case = archived(world)
    fresh = run(world, keep=True)
    stamp, ended, _ = world.state.archived_findings[case.id]
    world.state.archived_findings[case.id] = (stamp, ended, "[]")
    with world.uow() as uow:
        uow.users.update(replace(world.officer_b, display_name="改名的执法员"))
        uow.commit()
    assert lines(run(world)) == lines(run(world, store=False)) == lines(fresh)
    run(world, keep=True)  # stored again under the new stamp
    world.state.archived_findings[case.id] = (world.state.archived_findings[case.id][0], ended, "[]")
    with world.uow() as uow:
        uow.records.add_catalogue(StoredCatalogue(version=2, text=SOURCE.packaged_text() + "\n", sha256="x" * 64,
                                                  created_at=T0, actor_id=None, actor_name="管理员", reason="改"))
        uow.commit()
    assert lines(run(world)) == lines(run(world, store=False))
    assert any(f.subject.id == str(case.id) for f in run(world))


def test_one_rule_or_one_unit_reads_the_store_and_keeps_nothing(world: World) -> None:
    case = archived(world)
    run(world, keep=True)
    world.state.archived_findings.clear()
    for rule in ("ART13-SIGNATURES", "ART09-INITIATION-FORM", "ART19-APPROVAL-CHAIN", "ART21-SERVICE-RECEIPT"):
        assert lines(run(world, keep=True, rule=rule)) == lines(run(world, store=False, rule=rule))
    assert not world.state.archived_findings
    run(world, keep=True)
    assert lines(run(world, who=world.officer_b)) == lines(run(world, who=world.officer_b, store=False))
    assert lines(run(world, case=case.id)) == lines(run(world, case=case.id, store=False))


def test_encode_and_decode_keep_every_field_and_refuse_unknown_deadlines() -> None:
    due = T0 + DAY
    f = Finding(service_rules.ART28, Subject("case", "c1", "某案"), "中文", "english", FindingStatus.OPEN, due,
                "u1", ("p1", "p2"))
    assert archived_findings.decode(archived_findings.encode([f]), T0, timedelta(hours=6)) == [f]
    assert archived_findings.decode(archived_findings.encode([f]), due - timedelta(hours=1),
                                    timedelta(hours=6))[0].status is FindingStatus.DUE_SOON
    other = RuleSpec("ART99-X", "第九十九条", Severity.ERROR, "x", "x")
    assert other.id not in archived_findings.WINDOWS and service_rules.ART28.id in archived_findings.WINDOWS
