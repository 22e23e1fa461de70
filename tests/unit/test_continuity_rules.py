"""ART32-AV-REQUIRED, ART35-CONTINUITY and ART36-INTERRUPTION-EXPLAINED on plain data: for each
rule a case that breaks it and one that satisfies it, and the deadline statuses."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from lawtrail.domain.activities import (
    Activity,
    ActivityKind,
    Clip,
    Interruption,
    InterruptionReason,
    Span,
)
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.rules.continuity import (
    ART32_AV_REQUIRED,
    ART35_CONTINUITY,
    ART36_INTERRUPTION,
    RULES,
    ContinuityPolicy,
    evaluate,
)

ARRIVED = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 09:00 Beijing time
DEPARTED = ARRIVED + timedelta(minutes=20)
CAM, CAM2, HEAD = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
POLICY = ContinuityPolicy(tolerance=timedelta(seconds=30), explanation_due=timedelta(hours=24),
                          footage_due=timedelta(hours=48))
LATER = DEPARTED + timedelta(days=5)  # every deadline has passed


def activity(**over: object) -> Activity:
    values: dict[str, object] = dict(
        id=uuid.uuid4(), version=1, bureau_id=uuid.uuid4(), unit_id=uuid.uuid4(),
        kind=ActivityKind.COERCIVE_MEASURE, title="查封某食品厂仓库", party="江门某食品有限公司",
        place="蓬江区某路1号", arrived_at=ARRIVED, departed_at=DEPARTED, uninterrupted_required=True,
        av_unsuitable_reason="", officer_ids=(uuid.uuid4(),), device_ids=(CAM,), note="", actor_id=None,
        actor_name="测试", recorded_at=DEPARTED)
    values.update(over)
    return Activity(**values)  # type: ignore[arg-type]


def clip(start_min: float, end_min: float, device: uuid.UUID = CAM, offset: float | None = None,
         media_type: str = "video") -> Clip:
    return Clip(uuid.uuid4(), device, media_type, "clip.mp4", ARRIVED + timedelta(minutes=start_min),
                ARRIVED + timedelta(minutes=end_min), offset)


def stop(act: Activity, start_min: float, end_min: float | None, **over: object) -> Interruption:
    values: dict[str, object] = dict(
        id=uuid.uuid4(), version=1, activity_id=act.id, activity_version=1, device_id=CAM,
        started_at=ARRIVED + timedelta(minutes=start_min),
        ended_at=ARRIVED + timedelta(minutes=end_min) if end_min is not None else None,
        reason=InterruptionReason.BATTERY, reason_text="", resumed=end_min is not None, reported_to=None,
        reported_at=None, explanation="", actor_id=None, actor_name="测试", recorded_at=DEPARTED)
    values.update(over)
    return Interruption(**values)  # type: ignore[arg-type]


def rules(found: list) -> list[str]:  # type: ignore[type-arg]
    return [f.rule.id for f in found]


# ---- ART35 ------------------------------------------------------------------------------

def test_a_five_minute_gap_is_art35_with_its_local_times_and_length() -> None:
    act = activity()
    timelines, found = evaluate(act, [clip(0, 8), clip(13, 20)], [], now=LATER, policy=POLICY,
                                device_names={CAM: "JM-ZFJLY-001"})
    assert rules(found) == ["ART35-CONTINUITY"]
    [f] = found
    assert "2026-11-26 09:08:00" in f.message_zh and "2026-11-26 09:13:00" in f.message_zh
    assert "5分00秒" in f.message_zh and "JM-ZFJLY-001" in f.message_zh
    assert "5 min 0 s" in f.message_en
    assert (f.rule.article, f.status, f.subject.type, f.subject.id) == (
        "第三十五条", FindingStatus.OVERDUE, "activity", str(act.id))
    assert timelines[0].unexplained == [Span(ARRIVED + timedelta(minutes=8), ARRIVED + timedelta(minutes=13))]


def test_full_coverage_or_a_gap_within_tolerance_satisfies_art35() -> None:
    act = activity()
    assert evaluate(act, [clip(-1, 8), clip(8, 21)], [], now=LATER, policy=POLICY)[1] == []
    assert evaluate(act, [clip(0, 8), clip(8.4, 20)], [], now=LATER, policy=POLICY)[1] == []  # 24 s


def test_an_interruption_record_explains_the_gap() -> None:
    act = activity()
    timelines, found = evaluate(act, [clip(0, 8), clip(13, 20)], [stop(act, 8, 13)], now=LATER, policy=POLICY)
    assert found == []
    assert timelines[0].explained == [Span(ARRIVED + timedelta(minutes=8), ARRIVED + timedelta(minutes=13))]
    assert timelines[0].unexplained == []


def test_an_interruption_that_covers_part_of_a_gap_leaves_the_rest() -> None:
    act = activity()
    _, found = evaluate(act, [clip(0, 8), clip(13, 20)], [stop(act, 8, 10)], now=LATER, policy=POLICY)
    assert rules(found) == ["ART35-CONTINUITY"]
    assert "09:10:00" in found[0].message_zh and "3分00秒" in found[0].message_zh


def test_clock_offset_moves_clips_onto_the_station_clock() -> None:
    act = activity()
    # The camera ran 5 minutes fast: its clips say 09:05–09:25; they really cover 09:00–09:20.
    assert evaluate(act, [clip(5, 25, offset=300.0)], [], now=LATER, policy=POLICY)[1] == []
    assert rules(evaluate(act, [clip(5, 25)], [], now=LATER, policy=POLICY)[1]) == ["ART35-CONTINUITY"]


def test_each_device_must_cover_the_span_and_photos_do_not_count() -> None:
    act = activity(device_ids=(CAM, CAM2))
    _, found = evaluate(act, [clip(0, 20), clip(0, 20, device=CAM2, media_type="photo")], [], now=LATER,
                        policy=POLICY)
    assert rules(found) == ["ART35-CONTINUITY"]


def test_art35_applies_only_when_uninterrupted_recording_is_required() -> None:
    act = activity(uninterrupted_required=False, kind=ActivityKind.ONSITE_INSPECTION)
    assert evaluate(act, [clip(0, 8), clip(13, 20)], [], now=LATER, policy=POLICY)[1] == []


def test_art35_is_open_until_the_footage_is_due() -> None:
    act = activity()
    _, found = evaluate(act, [clip(0, 8)], [], now=DEPARTED + timedelta(hours=1), policy=POLICY)
    assert [(f.rule.id, f.status) for f in found] == [("ART35-CONTINUITY", FindingStatus.OPEN)]
    assert found[0].due_at == DEPARTED + timedelta(hours=48)


# ---- ART32 ------------------------------------------------------------------------------

def test_no_clip_at_all_is_art32_not_art35_alone() -> None:
    act = activity(uninterrupted_required=False, kind=ActivityKind.HEARING)
    _, found = evaluate(act, [clip(30, 40)], [], now=LATER, policy=POLICY)  # a clip after departure
    assert rules(found) == ["ART32-AV-REQUIRED"]
    assert found[0].rule.article == "第三十二条"


def test_any_clip_or_a_recorded_unsuitability_satisfies_art32() -> None:
    act = activity(uninterrupted_required=False, kind=ActivityKind.HEARING)
    assert evaluate(act, [clip(2, 3, media_type="audio")], [], now=LATER, policy=POLICY)[1] == []
    unsuitable = replace(act, av_unsuitable_reason="当事人系未成年人，经负责人同意不予录像")
    assert evaluate(unsuitable, [], [], now=LATER, policy=POLICY)[1] == []


def test_art32_does_not_apply_to_other_activities() -> None:
    act = activity(uninterrupted_required=False, kind=ActivityKind.OTHER)
    assert evaluate(act, [], [], now=LATER, policy=POLICY)[1] == []


# ---- ART36 ------------------------------------------------------------------------------

def test_an_interruption_without_reason_is_art36() -> None:
    act = activity()
    _, found = evaluate(act, [clip(0, 8), clip(13, 20)], [stop(act, 8, 13, reason=None)], now=LATER,
                        policy=POLICY)
    assert rules(found) == ["ART36-INTERRUPTION-EXPLAINED"]
    assert "中止原因" in found[0].message_zh and found[0].rule.article == "第三十六条"
    other = stop(act, 8, 13, reason=InterruptionReason.OTHER)  # "other" needs its text
    assert rules(evaluate(act, [clip(0, 8), clip(13, 20)], [other], now=LATER, policy=POLICY)[1]) == [
        "ART36-INTERRUPTION-EXPLAINED"]


def test_not_resumed_needs_report_and_explanation() -> None:
    act = activity()
    never = stop(act, 8, None, reason=InterruptionReason.DEVICE_FAULT)
    _, found = evaluate(act, [clip(0, 8)], [never], now=LATER, policy=POLICY)
    assert rules(found) == ["ART36-INTERRUPTION-EXPLAINED"]  # the gap to departure is explained
    assert "向负责人报告" in found[0].message_zh and "书面说明" in found[0].message_zh
    reported = replace(never, reported_to=HEAD, reported_at=ARRIVED + timedelta(minutes=9))
    _, found = evaluate(act, [clip(0, 8)], [reported], now=LATER, policy=POLICY)
    assert "书面说明" in found[0].message_zh and "向负责人报告" not in found[0].message_zh
    complete = replace(reported, explanation="执法记录仪主板故障无法开机，已报告科长，现场改用手机拍照。")
    assert evaluate(act, [clip(0, 8)], [complete], now=LATER, policy=POLICY)[1] == []


def test_art36_goes_open_then_due_soon_then_overdue() -> None:
    act = activity()
    never = stop(act, 8, None, reason=InterruptionReason.DEVICE_FAULT)
    due = DEPARTED + timedelta(hours=24)
    statuses = [evaluate(act, [clip(0, 8)], [never], now=when, policy=POLICY)[1][0].status
                for when in (DEPARTED, due - timedelta(hours=2), due)]
    assert statuses == [FindingStatus.OPEN, FindingStatus.DUE_SOON, FindingStatus.OVERDUE]


def test_the_registry_names_each_rule_once() -> None:
    assert {r.id: r for r in (ART32_AV_REQUIRED, ART35_CONTINUITY, ART36_INTERRUPTION)} == RULES
