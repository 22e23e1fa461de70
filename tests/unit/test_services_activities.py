"""Activity and interruption use cases against the fakes, with a frozen clock (Art. 32, 35, 36)."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from lawtrail.domain.activities import ActivityKind, InterruptionReason
from lawtrail.domain.cases import Stage
from lawtrail.domain.events import Action
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.media import MediaType
from lawtrail.domain.rules.continuity import ContinuityPolicy
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from lawtrail.services import activities as svc
from lawtrail.services.activities import ActivityInput
from tests.unit.factories import T0, World, only_new_event, refused

ARRIVED = T0 - timedelta(hours=3)
DEPARTED = ARRIVED + timedelta(minutes=20)
POLICY = ContinuityPolicy()


def data(world: World, **over: Any) -> ActivityInput:
    values: dict[str, Any] = dict(
        kind="coercive_measure", title="查封某食品厂仓库", place="蓬江区某路1号", arrived_at=ARRIVED,
        departed_at=DEPARTED, officer_ids=[world.officer_a.id], device_ids=[world.devices["a"].id],
        party="江门某食品有限公司", uninterrupted_required=True)
    values.update(over)
    return ActivityInput(**values)


def create(world: World, who: Any = None, **over: Any) -> Any:
    return svc.create_activity(world.uow(), world.ctx(who or world.officer_a), unit_id=world.unit_a.id,
                               data=data(world, **over))


def add_clip(world: World, start_min: float, end_min: float, device: str = "a") -> None:
    dev = world.devices[device]
    start = ARRIVED + timedelta(minutes=start_min)
    media = MediaRecord(
        id=uuid.uuid4(), sha256=hashlib.sha256(uuid.uuid4().bytes).hexdigest(), size=100, media_type=MediaType.VIDEO,
        original_name="clip.mp4", facts={}, probe_ok=True, device_id=dev.id, officer_id=None, unit_id=dev.unit_id,
        bureau_id=dev.bureau_id, captured_at=start, captured_end=ARRIVED + timedelta(minutes=end_min),
        handed_in_at=T0, stored_at=T0, clock_offset_s=None, ingested_by="采集站", created_at=T0)
    with world.uow() as uow:
        uow.media.add(media)
        uow.commit()


# ---- create -------------------------------------------------------------------------------

def test_create_writes_version_1_and_one_event(world: World) -> None:
    act = create(world)
    assert (act.version, act.kind, act.unit_id, act.device_ids, act.officer_ids) == (
        1, ActivityKind.COERCIVE_MEASURE, world.unit_a.id, (world.devices["a"].id,), (world.officer_a.id,))
    event = only_new_event(world, 0)
    assert (event.action, event.subject_type, event.subject_id) == (Action.ACTIVITY_CREATE, "activity", str(act.id))
    assert event.after is not None and event.after["title"] == "查封某食品厂仓库"
    assert world.db.commits == 1


def test_create_reports_every_bad_field_and_writes_nothing(world: World) -> None:
    exc = refused(world, ValidationFailed, lambda: create(
        world, kind="picnic", title="", place="", departed_at=ARRIVED, officer_ids=[]))
    assert {p.field for p in exc.problems} >= {"kind", "title", "place", "departed_at", "officer_ids"}


@pytest.mark.parametrize(("over", "field"), [
    ({"departed_at": T0 + timedelta(hours=1)}, "departed_at"),
    ({"device_ids": []}, "device_ids"),
    ({"av_unsuitable_reason": "不便录像"}, "av_unsuitable_reason"),
    ({"officer_ids": [uuid.uuid4()]}, "officer_ids"),
    ({"device_ids": [uuid.uuid4()]}, "device_ids"),
])
def test_create_refuses_inconsistent_input(world: World, over: dict[str, Any], field: str) -> None:
    exc = refused(world, ValidationFailed, lambda: create(world, **over))
    assert field in {p.field for p in exc.problems}


def test_a_non_officer_cannot_be_listed_as_officer(world: World) -> None:
    exc = refused(world, ValidationFailed, lambda: create(world, officer_ids=[world.archivist.id]))
    assert exc.problems[0].field == "officer_ids"


@pytest.mark.parametrize("who", ["officer_b", "leader", "supervisor", "legal_reviewer", "other_admin"])
def test_create_needs_activity_manage_on_the_unit(world: World, who: str) -> None:
    refused(world, (NotFound if who == "other_admin" else PermissionDenied),  # type: ignore[arg-type]
            lambda: create(world, getattr(world, who)))


@pytest.mark.parametrize("who", ["officer_a", "unit_head_a", "archivist"])
def test_create_is_allowed_to(world: World, who: str) -> None:
    assert create(world, getattr(world, who)).version == 1


# ---- correct ------------------------------------------------------------------------------

def test_correct_adds_version_2_and_keeps_version_1(world: World) -> None:
    act = create(world)
    fixed = svc.correct_activity(world.uow(), world.ctx(world.officer_a), act.id, expected_version=1,
                                 data=data(world, departed_at=DEPARTED + timedelta(minutes=5)), note="离开时间记错")
    assert (fixed.version, fixed.note, fixed.departed_at) == (2, "离开时间记错", DEPARTED + timedelta(minutes=5))
    versions = svc.activity_versions(world.uow(), world.ctx(world.leader), act.id)
    assert [(v.version, v.departed_at) for v in versions] == [(1, DEPARTED), (2, DEPARTED + timedelta(minutes=5))]
    event = only_new_event(world, 1)
    assert event.action == Action.ACTIVITY_CORRECT and event.before and event.before["version"] == 1


def test_correct_refuses_stale_unchanged_and_unexplained(world: World) -> None:
    act = create(world)
    assert refused(world, Conflict, lambda: svc.correct_activity(
        world.uow(), world.ctx(world.officer_a), act.id, expected_version=2, data=data(world), note="x"
    )).code == "activity.stale"
    assert refused(world, Conflict, lambda: svc.correct_activity(
        world.uow(), world.ctx(world.officer_a), act.id, expected_version=1, data=data(world), note="无变化"
    )).code == "activity.unchanged"
    refused(world, ValidationFailed, lambda: svc.correct_activity(
        world.uow(), world.ctx(world.officer_a), act.id, expected_version=1, data=data(world, place="别处"), note=""))


# ---- reading ------------------------------------------------------------------------------

def test_lists_follow_the_unit_scope(world: World) -> None:
    act = create(world)
    assert [a.id for a in svc.list_activities(world.uow(), world.ctx(world.leader))] == [act.id]
    assert svc.list_activities(world.uow(), world.ctx(world.officer_b)) == []
    with pytest.raises(PermissionDenied):
        svc.get_activity(world.uow(), world.ctx(world.officer_b), act.id)
    with pytest.raises(PermissionDenied):
        svc.list_activities(world.uow(), world.ctx(world.legal_reviewer))


# ---- interruptions ------------------------------------------------------------------------

def record(world: World, act: Any, **over: Any) -> Any:
    args: dict[str, Any] = dict(device_id=world.devices["a"].id, started_at=ARRIVED + timedelta(minutes=8),
                                ended_at=ARRIVED + timedelta(minutes=13), resumed=True, reason="battery")
    args.update(over)
    return svc.record_interruption(world.uow(), world.ctx(world.officer_a), act.id, **args)


def test_recording_an_interruption_clears_art35(world: World) -> None:
    act = create(world)
    add_clip(world, 0, 8)
    add_clip(world, 13, 20)
    before = svc.continuity(world.uow(), world.ctx(world.officer_a), act.id, POLICY)
    assert [f.rule.id for f in before.findings] == ["ART35-CONTINUITY"]
    stop = record(world, act)
    assert (stop.version, stop.activity_version, stop.reason) == (1, 1, InterruptionReason.BATTERY)
    assert only_new_event(world, 1).action == Action.INTERRUPTION_RECORD
    after = svc.continuity(world.uow(), world.ctx(world.officer_a), act.id, POLICY)
    assert after.findings == []
    assert len(after.timelines[0].explained) == 1 and after.timelines[0].unexplained == []


@pytest.mark.parametrize(("over", "field"), [
    ({"device_id": uuid.uuid4()}, "device_id"),
    ({"started_at": ARRIVED - timedelta(minutes=1)}, "started_at"),
    ({"ended_at": None}, "ended_at"),
    ({"resumed": False}, "ended_at"),
    ({"ended_at": DEPARTED + timedelta(minutes=1)}, "ended_at"),
    ({"reason": "aliens"}, "reason"),
    ({"resumed": False, "ended_at": None, "reported_to": "officer_b"}, "reported_to"),
])
def test_bad_interruptions_are_refused(world: World, over: dict[str, Any], field: str) -> None:
    act = create(world)
    if over.get("reported_to") == "officer_b":
        over["reported_to"] = world.officer_b.id
    exc = refused(world, ValidationFailed, lambda: record(world, act, **over))
    assert field in {p.field for p in exc.problems}


def test_completing_a_not_resumed_interruption_clears_art36(world: World) -> None:
    act = create(world)
    add_clip(world, 0, 8)
    stop = record(world, act, resumed=False, ended_at=None, reason="device_fault")
    found = svc.activity_findings(world.uow(), world.ctx(world.officer_a), DEPARTED + timedelta(hours=1), POLICY)
    assert [(f.rule.id, f.status) for f in found] == [("ART36-INTERRUPTION-EXPLAINED", FindingStatus.OPEN)]
    done = svc.complete_interruption(world.uow(), world.ctx(world.officer_a), stop.id, expected_version=1,
                                     reported_to=world.unit_head_a.id, reported_at=ARRIVED + timedelta(minutes=9),
                                     explanation="记录仪主板故障无法开机，已当场电话报告科长。")
    assert (done.version, done.reported_to, done.reason) == (2, world.unit_head_a.id, InterruptionReason.DEVICE_FAULT)
    assert only_new_event(world, 2).action == Action.INTERRUPTION_COMPLETE
    assert svc.activity_findings(world.uow(), world.ctx(world.officer_a), DEPARTED + timedelta(hours=1), POLICY) == []
    assert refused(world, Conflict, lambda: svc.complete_interruption(
        world.uow(), world.ctx(world.officer_a), stop.id, expected_version=1, explanation="再补充")
    ).code == "interruption.stale"
    assert refused(world, Conflict, lambda: svc.complete_interruption(
        world.uow(), world.ctx(world.officer_a), stop.id, expected_version=2, explanation=done.explanation)
    ).code == "interruption.unchanged"


def test_completion_needs_manage_on_the_unit(world: World) -> None:
    act = create(world)
    stop = record(world, act, reason=None)
    refused(world, PermissionDenied, lambda: svc.complete_interruption(
        world.uow(), world.ctx(world.leader), stop.id, expected_version=1, reason="weather"))


# ---- the evaluator ------------------------------------------------------------------------

def test_the_evaluator_reads_a_fixed_number_of_times(world: World) -> None:
    def reads_for(n: int) -> int:
        for _ in range(n):
            create(world, uninterrupted_required=False, kind="hearing")
        uow = world.uow()
        found = svc.activity_findings(uow, world.ctx(world.leader), T0 + timedelta(days=5), POLICY)
        assert len(found) == len(svc.list_activities(world.uow(), world.ctx(world.leader)))  # ART32 each
        return uow.queries

    assert reads_for(1) == reads_for(20)


def test_the_system_actor_sees_every_bureau(world: World) -> None:
    from tests.unit.factories import system_ctx

    create(world, uninterrupted_required=False, kind="hearing")
    found = svc.activity_findings(world.uow(), system_ctx(), T0 + timedelta(days=5), POLICY)
    assert [f.rule.id for f in found] == ["ART32-AV-REQUIRED"]
    assert found[0].to_json()["article"] == "第三十二条"


def test_the_compliance_engine_reports_and_clears_continuity(world: World) -> None:
    """ART35 comes through the one engine (``lawtrail check``, /findings) and filters by rule."""
    from lawtrail.domain.rules import RuleSettings
    from lawtrail.services import findings

    act = create(world)
    add_clip(world, 0, 8)
    add_clip(world, 13, 20)
    settings = RuleSettings(continuity=POLICY)
    later = ARRIVED + timedelta(days=5)

    def art35() -> list[str]:
        found = findings.evaluate(world.uow(), world.ctx(world.archivist), later, settings=settings,
                                  rule="ART35-CONTINUITY")
        return [f.subject.id for f in found]

    assert art35() == [str(act.id)]
    record(world, act)
    assert art35() == []


# ---- the case an activity served (decision 0042) ----------------------------------------------

SERIALS = itertools.count(1)


def stored_case(world: World, unit: Any = None, **over: Any) -> Any:
    from tests.unit.test_records_domain import case as make_case
    unit = unit or world.unit_a
    serial = next(SERIALS)
    c = make_case(bureau_id=unit.bureau_id, unit_id=unit.id, number=f"江市监ZFJCK〔2026〕{serial}号", serial=serial,
                  **over)
    with world.uow() as uow:
        uow.cases.add(c)
        uow.commit()
    return c


def test_an_activity_linked_to_a_case_is_read_with_its_findings_on_the_case(world: World) -> None:
    c = stored_case(world)
    act = create(world, case_id=c.id)
    assert act.case_id == c.id
    event = only_new_event(world, 0)
    assert event.after is not None and event.after["case_id"] == str(c.id)
    [(linked, found)] = svc.case_activities(world.uow(), world.ctx(world.officer_a), c.id, POLICY)
    assert linked.id == act.id
    # filmed from nothing: Art. 35 (uninterrupted, no footage) is open on it, and only its own
    assert found and {f.subject.id for f in found} == {str(act.id)}
    other = create(world)  # unlinked: not on the case
    assert [a.id for a, _ in svc.case_activities(world.uow(), world.ctx(world.leader), c.id, POLICY)] == [act.id]
    # a correction unlinks it; the link stays in version 1
    svc.correct_activity(world.uow(), world.ctx(world.officer_a), act.id, expected_version=1,
                         data=data(world, case_id=None), note="关联错了案件")
    assert svc.case_activities(world.uow(), world.ctx(world.officer_a), c.id, POLICY) == []
    assert [v.case_id for v in svc.activity_versions(world.uow(), world.ctx(world.leader), act.id)] == [c.id, None]
    assert other.case_id is None


def test_a_link_to_an_unknown_unseen_or_archived_case_is_refused(world: World) -> None:
    for case_id, words in ((uuid.uuid4(), "案件不存在"), (stored_case(world, world.unit_b).id, "案件不存在"),
                           (stored_case(world, stage=Stage.ARCHIVE).id, "第三十九条")):
        err = refused(world, ValidationFailed, lambda case_id=case_id: create(world, case_id=case_id))
        assert err.problems and err.problems[0].field == "case_id"
        assert words in err.problems[0].message_zh


def test_a_case_archived_since_keeps_its_link_through_a_correction(world: World) -> None:
    c = stored_case(world)
    act = create(world, case_id=c.id)
    with world.uow() as uow:
        uow.cases.update(replace(c, stage=Stage.ARCHIVE))
        uow.commit()
    fixed = svc.correct_activity(world.uow(), world.ctx(world.officer_a), act.id, expected_version=1,
                                 data=data(world, case_id=c.id, place="蓬江区某路2号"), note="地点记错")
    assert (fixed.version, fixed.case_id) == (2, c.id)
