"""Continuity rules for on-site activities: Art. 32 (AV required), Art. 35 (arrival to departure
without a gap) and Art. 36 (interruptions explained). Pure functions over plain data.

The arithmetic, per device of the activity:

- *covered*: the device's audio/video clips on the station clock (``clip_span``), merged and
  clipped to ``[arrived_at, departed_at]``;
- *gaps*: what is left of the span, keeping only pieces longer than the tolerance;
- *explained*: the parts of those gaps covered by the device's interruption records;
- *unexplained*: the parts of those gaps NOT covered, again longer than the tolerance — each one
  is an ``ART35-CONTINUITY`` finding when the activity requires uninterrupted recording.

Deadlines: footage reaches the vault some time after the activity (hand-in at the end of the
day, storage within 24 h, Art. 41), so ART32/ART35 are due ``footage_due`` after the departure
and are ``open`` until then; ART36 is due ``explanation_due`` after the departure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from lawtrail.domain.activities import (
    AV_REQUIRED_KINDS,
    INTERRUPTION_REASON_LABELS,
    Activity,
    Clip,
    Interruption,
    Span,
    clip_span,
    covered,
    gaps,
    intersect,
)
from lawtrail.domain.findings import Finding, RuleSpec, Severity, Subject, finding
from lawtrail.domain.org import BUREAU_TZ

ART32_AV_REQUIRED = RuleSpec("ART32-AV-REQUIRED", "第三十二条", Severity.ERROR,
                             "现场执法活动应当进行音像记录", "on-site activity must be recorded on audio/video")
ART35_CONTINUITY = RuleSpec("ART35-CONTINUITY", "第三十五条", Severity.ERROR,
                            "自到达至离开现场全程无间断记录", "uninterrupted recording from arrival to departure")
ART36_INTERRUPTION = RuleSpec("ART36-INTERRUPTION-EXPLAINED", "第三十六条", Severity.ERROR,
                              "中止记录应说明原因，无法继续的应报告并书面说明",
                              "an interruption states its reason; if not resumed, reported and explained")

#: Every rule of this module by id.
RULES: dict[str, RuleSpec] = {r.id: r for r in (ART32_AV_REQUIRED, ART35_CONTINUITY, ART36_INTERRUPTION)}

#: Audio and video make a recording; photos and unreadable files do not.
AV_TYPES = frozenset({"video", "audio"})


@dataclass(frozen=True)
class ContinuityPolicy:
    tolerance: timedelta = timedelta(seconds=30)
    explanation_due: timedelta = timedelta(hours=24)
    footage_due: timedelta = timedelta(hours=48)


@dataclass(frozen=True)
class PlacedClip:
    clip: Clip
    span: Span  # on the station clock, not clipped to the activity


@dataclass(frozen=True)
class DeviceTimeline:
    """One device's bar from arrival to departure."""

    device_id: UUID
    span: Span
    clips: list[PlacedClip] = field(default_factory=list)
    covered: list[Span] = field(default_factory=list)
    gaps: list[Span] = field(default_factory=list)  # longer than the tolerance, explained or not
    interruptions: list[Interruption] = field(default_factory=list)
    explained: list[Span] = field(default_factory=list)
    unexplained: list[Span] = field(default_factory=list)


def local(value: datetime) -> str:
    return value.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M:%S")


def duration_zh(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours}小时" if hours else "") + f"{minutes}分{secs:02d}秒"


def duration_en(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours} h " if hours else "") + f"{minutes} min {secs} s"


def device_timelines(activity: Activity, clips: Iterable[Clip], interruptions: Iterable[Interruption],
                     tolerance: timedelta) -> list[DeviceTimeline]:
    """The continuity of each of the activity's devices, in the activity's device order.

    Only audio/video clips of the activity's devices count; interruptions of other devices or
    other activities are ignored."""
    whole = activity.span
    mine = [c for c in clips if c.media_type in AV_TYPES]
    stops = [i for i in interruptions if i.activity_id == activity.id]
    out = []
    for device_id in activity.device_ids:
        placed = sorted((PlacedClip(c, clip_span(c)) for c in mine if c.device_id == device_id),
                        key=lambda p: p.span)
        placed = [p for p in placed if p.span.end > whole.start and p.span.start < whole.end]
        cover = covered(whole, (p.span for p in placed))
        holes = gaps(whole, cover, tolerance)
        own_stops = sorted((i for i in stops if i.device_id == device_id), key=lambda i: i.started_at)
        stop_spans = [i.span(activity.departed_at) for i in own_stops]
        unexplained = [piece for hole in holes for piece in gaps(hole, stop_spans, tolerance)]
        out.append(DeviceTimeline(device_id, whole, placed, cover, holes, own_stops,
                                  intersect(holes, stop_spans), unexplained))
    return out


def _subject(activity: Activity) -> Subject:
    return Subject("activity", str(activity.id), activity.title)


def av_required(activity: Activity, timelines: list[DeviceTimeline], *, now: datetime,
                policy: ContinuityPolicy, device_names: dict[UUID, str]) -> list[Finding]:
    """ART32-AV-REQUIRED: a kind Art. 32 lists, no clip at all from its devices during the
    activity, and no recorded reason why AV was unsuitable (Art. 14)."""
    if activity.kind not in AV_REQUIRED_KINDS or activity.av_unsuitable_reason:
        return []
    if any(t.clips for t in timelines):
        return []
    devices = "、".join(device_names.get(d, str(d)) for d in activity.device_ids) or "（未登记设备）"
    zh = (f"{local(activity.arrived_at)} 至 {local(activity.departed_at)} 的现场执法活动没有任何音像记录"
          f"（设备：{devices}），也未记录不适宜音像记录的理由")
    en = (f"no audio/video at all for the activity from {local(activity.arrived_at)} to "
          f"{local(activity.departed_at)} (devices: {devices}) and no reason recorded why AV was unsuitable")
    return [finding(ART32_AV_REQUIRED, _subject(activity), zh, en, now=now,
                    due_at=activity.departed_at + policy.footage_due, unit_id=str(activity.unit_id),
                    people=tuple(str(o) for o in activity.officer_ids))]


def continuity_gaps(activity: Activity, timelines: list[DeviceTimeline], *, now: datetime,
                    policy: ContinuityPolicy, device_names: dict[UUID, str]) -> list[Finding]:
    """ART35-CONTINUITY: one finding per unexplained gap longer than the tolerance, when the
    activity requires uninterrupted recording (Art. 32, 35)."""
    if not activity.uninterrupted_required:
        return []
    out = []
    for timeline in timelines:
        name = device_names.get(timeline.device_id, str(timeline.device_id))
        for gap in timeline.unexplained:
            zh = (f"设备 {name} 在 {local(gap.start)} 至 {local(gap.end)} 间断 {duration_zh(gap.length)}，"
                  f"未登记中断情况")
            en = (f"device {name} did not record from {local(gap.start)} to {local(gap.end)} "
                  f"({duration_en(gap.length)}) and no interruption is recorded")
            out.append(finding(ART35_CONTINUITY, _subject(activity), zh, en, now=now,
                               due_at=activity.departed_at + policy.footage_due, unit_id=str(activity.unit_id),
                               people=tuple(str(o) for o in activity.officer_ids)))
    return out


def interruptions_explained(activity: Activity, interruptions: Iterable[Interruption], *, now: datetime,
                            policy: ContinuityPolicy, device_names: dict[UUID, str]) -> list[Finding]:
    """ART36-INTERRUPTION-EXPLAINED: an interruption without its reason, or one after which
    recording could not resume without the report to the head (who, when) or the written
    explanation. Due ``explanation_due`` after the departure."""
    out = []
    for stop in sorted((i for i in interruptions if i.activity_id == activity.id), key=lambda i: i.started_at):
        missing_zh, missing_en = [], []
        if stop.reason_missing:
            missing_zh.append("中止原因")
            missing_en.append("the reason")
        if not stop.resumed:
            if stop.reported_to is None or stop.reported_at is None:
                missing_zh.append("向负责人报告的情况（报告对象、时间）")
                missing_en.append("the report to the head (who, when)")
            if not stop.explanation:
                missing_zh.append("书面说明")
                missing_en.append("the written explanation")
        if not missing_zh:
            continue
        name = device_names.get(stop.device_id, str(stop.device_id))
        label = INTERRUPTION_REASON_LABELS[stop.reason] if stop.reason else "原因未填"
        zh = f"设备 {name} 自 {local(stop.started_at)} 起的中断（{label}）缺少：" + "、".join(missing_zh)
        en = f"the interruption of device {name} from {local(stop.started_at)} lacks " + ", ".join(missing_en)
        out.append(finding(ART36_INTERRUPTION, _subject(activity), zh, en, now=now,
                           due_at=activity.departed_at + policy.explanation_due, unit_id=str(activity.unit_id),
                           people=tuple(str(o) for o in activity.officer_ids)))
    return out


def evaluate(activity: Activity, clips: Iterable[Clip], interruptions: Iterable[Interruption], *,
             now: datetime, policy: ContinuityPolicy,
             device_names: dict[UUID, str] | None = None) -> tuple[list[DeviceTimeline], list[Finding]]:
    """The timelines of the activity's devices and every finding of the three rules."""
    names = device_names or {}
    stops = list(interruptions)
    timelines = device_timelines(activity, clips, stops, policy.tolerance)
    findings = (av_required(activity, timelines, now=now, policy=policy, device_names=names)
                + continuity_gaps(activity, timelines, now=now, policy=policy, device_names=names)
                + interruptions_explained(activity, stops, now=now, policy=policy, device_names=names))
    return timelines, findings
