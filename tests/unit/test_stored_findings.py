"""The stored findings of cases (decisions 0048, 0050) against the fakes: what an evaluation
keeps reads back the same (statuses worked out again at a later time, the Art. 5 finding worked
out anew for the day), is really what is read, and stops counting when the rules' inputs change
(catalogue, people's names) or anything the rules read about the case does (the fakes' digest
stands in for the triggers of migration 0024, tested on both engines in
tests/integration/test_stored_findings_db.py)."""

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
from lawtrail.services import approvals, evidence, findings, handins, records, stored_findings
from lawtrail.services import cases as case_svc
from tests.unit.factories import T0, World, seeded_world
from tests.unit.fakes import FakeCatalogueSource, FakeUnitOfWork
from tests.unit.test_rules_vault import registration
from tests.unit.test_services_activities import stored_case
from tests.unit.test_services_compliance import POLICY, put_media

DAY = timedelta(days=1)
H = timedelta(hours=1)
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


def holds(world: World, case: Case) -> bool:
    """Whether what is stored for ``case`` still counts (its stamp aside)."""
    row = world.state.case_findings.get(case.id)
    with world.uow() as uow:
        return row is not None and uow.cases.covered(world.state.cases[case.id], row[0])


def test_kept_findings_read_back_the_same_and_are_what_is_read(world: World) -> None:
    done = archived(world)
    live = stored_case(world, stage=Stage.INVESTIGATION)
    fresh = run(world, store=False)
    assert {f.subject.id for f in fresh} >= {str(done.id), str(live.id)}
    assert not world.state.case_findings  # nothing kept unless asked
    assert lines(run(world, keep=True)) == lines(fresh)
    assert set(world.state.case_findings) == {done.id, live.id}  # open cases too (decision 0050)
    assert lines(run(world)) == lines(fresh)
    # What is read is the stored text: emptied, the case's findings are gone (its rows unread).
    for case in (done, live):
        stamp, rev, _ = world.state.case_findings[case.id]
        world.state.case_findings[case.id] = (stamp, rev, "[]")
    assert [f for f in run(world) if f.subject.id == str(done.id)] == []
    assert {f.rule.id for f in run(world) if f.subject.id == str(live.id)} <= {"ART05-CERTIFIED-HANDLER"}
    assert lines(run(world, store=False)) == lines(fresh)


def test_a_complaint_not_taken_up_is_stored_until_its_notice_is_recorded(world: World) -> None:
    """Decision 0040: the complainant notice may still be recorded after 归档 (ART10 is due)."""
    case = stored_case(world, stage=Stage.ARCHIVE, origin=Origin.COMPLAINT, complainant_real_name=True,
                       complainant_name="王女士", closed_kind=ClosedKind.NOT_INITIATED, opened_at=T0 - 3 * DAY,
                       updated_at=T0 - DAY, ended_at=T0 - DAY)
    found = run(world, keep=True)
    assert any(f.rule.id == "ART10-COMPLAINANT-NOTIFIED" and f.subject.id == str(case.id) for f in found)
    assert holds(world, case)
    assert lines(run(world, T0 + 5 * DAY)) == lines(run(world, T0 + 5 * DAY, store=False))  # due, then overdue
    records.create_record(world.uow(), world.ctx(world.officer_a), SOURCE, case.id,
                          kind_id="complainant_notification", stage="initiation", data=records.RecordInput(values={
                              "complainant": "王女士", "notified_at": (T0 - DAY / 2).isoformat(timespec="minutes"),
                              "method": "电话告知", "reason": "不属于本机关管辖"}))
    assert not holds(world, case)
    after = run(world, keep=True)
    # The notice is recorded (only its officer's signature is still missing, on the record).
    assert not any(f.rule.id == "ART10-COMPLAINANT-NOTIFIED" and f.subject.type == "case" for f in after)
    assert lines(run(world)) == lines(after) == lines(run(world, store=False))


def test_deadlines_are_worked_out_again_when_read_back(world: World) -> None:
    case = archived(world)
    emergency_start(world, case, T0 - 4 * 3600 * timedelta(seconds=1))  # due T0 + 20 h
    first = [f for f in run(world, keep=True) if f.rule is approval_rules.ART09_EMERGENCY]
    assert [f.status for f in first] == [FindingStatus.OPEN] and holds(world, case)
    for later in (T0 + 16 * 3600 * timedelta(seconds=1), T0 + 2 * DAY):  # due soon, then overdue
        assert lines(run(world, later)) == lines(run(world, later, store=False))
    assert {f.status for f in run(world, T0 + 2 * DAY) if f.rule is approval_rules.ART09_EMERGENCY} == {
        FindingStatus.OVERDUE}


def test_a_withdrawal_on_an_archived_case_makes_what_was_stored_stale(world: World) -> None:
    case = archived(world)
    request = emergency_start(world, case, T0 - 2 * DAY)
    run(world, keep=True)
    assert holds(world, case)
    approvals.withdraw(world.uow(), world.ctx(world.officer_a), request.id, reason="不再需要")
    assert not holds(world, case)
    assert lines(run(world)) == lines(run(world, store=False))  # "目前：已撤回", computed again


def test_a_correction_out_of_archive_makes_it_stale_and_the_case_is_computed_afresh(world: World) -> None:
    case = archived(world)
    run(world, keep=True)
    case_svc.advance_stage(world.uow(), world.ctx(world.officer_a), case.id, to="execution", correction=True,
                           reason="归档有误")
    assert not holds(world, case)
    assert lines(run(world, keep=True)) == lines(run(world, store=False))
    assert holds(world, case)  # stored again as it is now, at 执行
    assert lines(run(world)) == lines(run(world, store=False))


def test_an_open_case_is_stale_after_any_change_to_what_the_rules_read(world: World) -> None:
    case = stored_case(world, stage=Stage.INVESTIGATION)
    fresh = run(world, keep=True)
    assert holds(world, case) and lines(run(world)) == lines(fresh)
    with world.uow() as uow:  # a handler more
        uow.cases.set_handlers(case.id, [Handler(case.id, world.officer_a.id, True, T0),
                                         Handler(case.id, world.officer_b.id, False, T0)])
        uow.commit()
    assert not holds(world, case) and lines(run(world, keep=True)) == lines(run(world, store=False))
    assert holds(world, case)
    emergency_start(world, case, T0 - DAY)  # an approval request and its first action
    assert not holds(world, case) and lines(run(world, keep=True)) == lines(run(world, store=False))
    records.create_record(world.uow(), world.ctx(world.officer_a, now=T0 + DAY / 12), SOURCE, case.id,
                          kind_id="inquiry_record",
                          data=records.RecordInput(
                              values={"place": "江门市蓬江区建设路1号", "started_at": "2026-11-26T17:00",
                                      "ended_at": "2026-11-26T17:40", "person": "张三", "person_role": "当事人",
                                      "content": "问：……\n答：……"}, rights_method="written",
                              officers=[records.OfficerInput(world.officer_a.id, True),
                                        records.OfficerInput(world.officer_b.id, True)]))
    assert not holds(world, case) and lines(run(world, keep=True)) == lines(run(world, store=False))
    with world.uow() as uow:  # the case's own row
        uow.cases.update(replace(world.state.cases[case.id], name="改过名的案件"))
        uow.commit()
    assert not holds(world, case) and lines(run(world)) == lines(run(world, store=False))


def test_the_art5_finding_of_a_stored_open_case_is_worked_out_for_the_day(world: World) -> None:
    """Two handlers are enough today; a year on their certificates have run out. The stored case
    is not recomputed (its facts are unchanged), yet Art. 5 is judged on the later day."""
    case = stored_case(world, stage=Stage.INVESTIGATION)
    with world.uow() as uow:
        uow.cases.set_handlers(case.id, [Handler(case.id, world.officer_a.id, True, T0),
                                         Handler(case.id, world.officer_b.id, False, T0)])
        uow.commit()
    run(world, keep=True)
    assert holds(world, case)
    for later in (T0 + DAY, T0 + 200 * DAY, T0 + 400 * DAY, T0 + 3000 * DAY):
        assert lines(run(world, later)) == lines(run(world, later, store=False))
    assert any(f.rule.id == "ART05-CERTIFIED-HANDLER" and f.subject.id == str(case.id)
               for f in run(world, T0 + 3000 * DAY))
    assert holds(world, case)


def test_a_row_of_another_stamp_or_facts_rev_does_not_count(world: World) -> None:
    case = archived(world)
    fresh = run(world, keep=True)
    stamp, rev, _ = world.state.case_findings[case.id]
    world.state.case_findings[case.id] = (stamp, rev - 1, "[]")  # stored before a change
    assert lines(run(world)) == lines(fresh)
    world.state.case_findings[case.id] = ("another", rev, "[]")
    assert lines(run(world)) == lines(fresh)


def test_a_new_catalogue_or_a_renamed_person_makes_the_store_stale(world: World) -> None:
    case = archived(world)
    fresh = run(world, keep=True)
    stamp, rev, _ = world.state.case_findings[case.id]
    world.state.case_findings[case.id] = (stamp, rev, "[]")
    with world.uow() as uow:
        uow.users.update(replace(world.officer_b, display_name="改名的执法员"))
        uow.commit()
    assert lines(run(world)) == lines(run(world, store=False)) == lines(fresh)
    run(world, keep=True)  # stored again under the new stamp
    world.state.case_findings[case.id] = (world.state.case_findings[case.id][0], rev, "[]")
    with world.uow() as uow:
        uow.records.add_catalogue(StoredCatalogue(version=2, text=SOURCE.packaged_text() + "\n", sha256="x" * 64,
                                                  created_at=T0, actor_id=None, actor_name="管理员", reason="改"))
        uow.commit()
    assert lines(run(world)) == lines(run(world, store=False))
    assert any(f.subject.id == str(case.id) for f in run(world))


def test_one_rule_or_one_unit_reads_the_store_and_keeps_nothing(world: World) -> None:
    case = archived(world)
    run(world, keep=True)
    world.state.case_findings.clear()
    for rule in ("ART13-SIGNATURES", "ART09-INITIATION-FORM", "ART19-APPROVAL-CHAIN", "ART21-SERVICE-RECEIPT"):
        assert lines(run(world, keep=True, rule=rule)) == lines(run(world, store=False, rule=rule))
    assert not world.state.case_findings
    run(world, keep=True)
    assert lines(run(world, who=world.officer_b)) == lines(run(world, who=world.officer_b, store=False))
    assert lines(run(world, case=case.id)) == lines(run(world, case=case.id, store=False))


def test_encode_and_decode_keep_every_field_and_refuse_unknown_deadlines() -> None:
    due = T0 + DAY
    f = Finding(service_rules.ART28, Subject("case", "c1", "某案"), "中文", "english", FindingStatus.OPEN, due,
                "u1", ("p1", "p2"))
    assert stored_findings.decode(stored_findings.encode([f]), T0, timedelta(hours=6)) == [f]
    assert stored_findings.decode(stored_findings.encode([f]), due - timedelta(hours=1),
                                    timedelta(hours=6))[0].status is FindingStatus.DUE_SOON
    other = RuleSpec("ART99-X", "第九十九条", Severity.ERROR, "x", "x")
    assert other.id not in stored_findings.WINDOWS and service_rules.ART28.id in stored_findings.WINDOWS


class ChangedFirst(FakeUnitOfWork):
    """The writer ``evaluate`` stores with, entered after another writer changed the case: what
    was computed from the older facts is stored, but must not count."""

    def __init__(self, world: World, case: Case) -> None:
        super().__init__(world.db)
        self.world, self.case = world, case

    def __enter__(self) -> ChangedFirst:
        with self.world.uow() as uow:
            uow.cases.update(replace(self.world.state.cases[self.case.id], name="同时改名的案件"))
            uow.commit()
        super().__enter__()
        return self


def test_findings_kept_by_a_writer_of_their_own_hold_only_for_the_facts_they_were_computed_from(
        world: World) -> None:
    case = stored_case(world, stage=Stage.INVESTIGATION)
    fresh = run(world, store=False)
    found = findings.evaluate(world.uow(), world.ctx(world.supervisor), T0, settings=RuleSettings(),
                              catalogue=SOURCE, keep=world.uow())
    assert lines(found) == lines(fresh) and holds(world, case)
    assert lines(run(world)) == lines(fresh)
    world.state.case_findings.clear()
    findings.evaluate(world.uow(), world.ctx(world.supervisor), T0, settings=RuleSettings(), catalogue=SOURCE,
                      keep=ChangedFirst(world, case))
    assert case.id in world.state.case_findings and not holds(world, case)  # stored, but stale at once
    assert lines(run(world)) == lines(run(world, store=False))
    assert any("同时改名的案件" in f.subject.name for f in run(world))


def test_the_vault_findings_of_originals_are_stored_read_back_and_made_stale(world: World) -> None:
    """Decision 0051: every original's vault findings (none: ``[]``) are kept, read back the same
    (statuses worked out again later), are what is read, and stop counting when a registration,
    a mark or a hand-in link of the original is added (the fakes' digest stands in for the
    triggers of migration 0025)."""
    incomplete = put_media(world)  # Art. 42: registration lacks items
    complete = put_media(world, complete=True)
    late = put_media(world, "b", complete=True, handed_in_at=T0 - 40 * H, stored_at=T0 - H)  # Art. 41
    fresh = run(world, store=False)
    assert {(f.rule.id, f.subject.id) for f in fresh if f.subject.type == "media"} == {
        ("ART42-REGISTRATION-COMPLETE", str(incomplete.id)), ("ART41-STORED-24H", str(late.id))}
    assert lines(run(world, keep=True)) == lines(fresh)
    assert set(world.state.media_findings) == {incomplete.id, complete.id, late.id}
    assert world.state.media_findings[complete.id][2] == "[]"
    assert lines(run(world)) == lines(fresh)
    for later in (T0 + 2 * DAY, T0 + 40 * DAY):
        assert lines(run(world, later)) == lines(run(world, later, store=False))
    # What is read is the stored text.
    stamp, rev, text = world.state.media_findings[incomplete.id]
    world.state.media_findings[incomplete.id] = (stamp, rev, "[]")
    assert [f for f in run(world) if f.subject.id == str(incomplete.id)] == []
    world.state.media_findings[incomplete.id] = (stamp, rev, text)
    # A mark, a new registration, a hand-in link: each makes the original's row stale.
    evidence.mark_media(world.uow(), world.ctx(world.officer_a), complete.id, policy=POLICY, evidence=True,
                        collector="张三")
    assert ("ART43-EVIDENCE-NOTE", str(complete.id)) in {(f.rule.id, f.subject.id) for f in run(world, keep=True)}
    with world.uow() as uow:
        uow.media.add_registration(replace(registration(incomplete, at=T0 - H), version=2))
        uow.commit()
    assert str(incomplete.id) not in {f.subject.id for f in run(world, keep=True)}
    h = handins.record_handin(world.uow(), world.ctx(world.archivist), device_number=world.devices["b"].number,
                              handed_in_at=T0 - 50 * H)
    handins.complete_handin(world.uow(), world.ctx(world.archivist), h.id, media_ids=[late.id])
    assert lines(run(world, keep=True)) == lines(run(world, store=False))
    assert lines(run(world)) == lines(run(world, store=False))
    # One rule asked for: read from the store, nothing kept.
    world.state.media_findings.clear()
    assert lines(run(world, keep=True, rule="ART41-STORED-24H")) == lines(
        run(world, store=False, rule="ART41-STORED-24H"))
    assert not world.state.media_findings
