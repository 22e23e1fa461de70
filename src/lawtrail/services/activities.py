"""Use cases of on-site enforcement activities (现场执法活动) and recording interruptions
(Art. 14, 32, 35, 36): create and correct an activity, record and complete an interruption,
read an activity's continuity timeline, and the ``activity_findings`` evaluator.

Each change is one transaction with one ledger event (``vault:activity:*``,
``vault:interruption:*``); nothing is updated in place: a correction or a completion is a new
version (docs/decisions/0013). Reads need ``activity:view``, changes ``activity:manage`` on the
activity's unit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from lawtrail.domain.access import Permission, Role, allows
from lawtrail.domain.activities import (
    TITLE_MAX,
    Activity,
    ActivityKind,
    Clip,
    Interruption,
    InterruptionReason,
    check_kind,
    check_reason,
    check_span,
    clean_note,
)
from lawtrail.domain.cases import Stage
from lawtrail.domain.devices import Device
from lawtrail.domain.events import Action
from lawtrail.domain.findings import Finding
from lawtrail.domain.org import Problems, clean_text
from lawtrail.domain.rules.continuity import ContinuityPolicy, DeviceTimeline, evaluate
from lawtrail.errors import Conflict, NotFound
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, visible_units
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record

if TYPE_CHECKING:
    from lawtrail.config import Settings

#: Times may lie this far in the future (clocks of phones and servers differ a little).
FUTURE_SLACK = timedelta(minutes=10)
#: Clips are looked up this much beyond the activities: a device clock off by more than a day
#: is not a clock error but a wrong setting, and such clips must be registered by hand.
CLOCK_SLACK = timedelta(days=1)
#: Who may receive the Art. 36 report: the head of the enforcement body or a leader.
HEAD_ROLES = frozenset({Role.UNIT_HEAD, Role.LEADER})


def continuity_policy(settings: Settings) -> ContinuityPolicy:
    """The rule parameters from LAWTRAIL_CONTINUITY_TOLERANCE_SECONDS and friends."""
    return ContinuityPolicy(tolerance=timedelta(seconds=settings.continuity_tolerance_seconds),
                            explanation_due=timedelta(hours=settings.interruption_explanation_hours),
                            footage_due=timedelta(hours=settings.activity_footage_hours))


@dataclass(frozen=True)
class ActivityInput:
    """What a person states about an activity (create or correct)."""

    kind: str | ActivityKind
    title: str
    place: str
    arrived_at: datetime | None
    departed_at: datetime | None
    officer_ids: Sequence[UUID]
    device_ids: Sequence[UUID] = ()
    party: str = ""
    uninterrupted_required: bool = False
    av_unsuitable_reason: str = ""
    case_id: UUID | None = None  # the case the activity served, if any


# ---- reading --------------------------------------------------------------------------------

def _load(uow: UnitOfWork, ctx: Ctx, activity_id: UUID) -> Activity:
    activity = uow.activities.get(activity_id)
    if activity is None or (ctx.actor.bureau_id and activity.bureau_id != ctx.actor.bureau_id):
        raise NotFound("执法活动不存在", "no such activity", code="activity.not_found")
    return activity


def get_activity(uow: UnitOfWork, ctx: Ctx, activity_id: UUID) -> Activity:
    """The version in force; raise NotFound, or PermissionDenied without activity:view on its unit."""
    with uow:
        activity = _load(uow, ctx, activity_id)
    require(ctx.actor, Permission.ACTIVITY_VIEW, bureau_id=activity.bureau_id, unit_id=activity.unit_id)
    return activity


def activity_versions(uow: UnitOfWork, ctx: Ctx, activity_id: UUID) -> list[Activity]:
    """Every version, oldest first (needs activity:view)."""
    activity = get_activity(uow, ctx, activity_id)
    with uow:
        return uow.activities.versions(activity.id)


def case_activities(uow: UnitOfWork, ctx: Ctx, case_id: UUID, policy: ContinuityPolicy
                    ) -> list[tuple[Activity, list[Finding]]]:
    """The on-site activities linked to the case that the actor may see, newest first, each with
    its Art. 32, 35 and 36 findings at ``ctx.now`` (a fixed number of reads)."""
    with uow:
        linked = [a for a in uow.activities.for_case(case_id)
                  if allows(ctx.actor, Permission.ACTIVITY_VIEW, bureau_id=a.bureau_id, unit_id=a.unit_id)]
        if not linked:
            return []
        found = findings_in(uow, linked[0].bureau_id, None, ctx.now, policy, activity_ids=[a.id for a in linked])
    return [(a, [f for f in found if f.subject.id == str(a.id)]) for a in linked]


def list_activities(uow: UnitOfWork, ctx: Ctx) -> list[Activity]:
    """The activities of the units the actor may see, newest arrival first."""
    scope = visible_units(ctx.actor, Permission.ACTIVITY_VIEW)
    if ctx.actor.bureau_id is None:
        return []
    with uow:
        return uow.activities.list(ctx.actor.bureau_id, scope)


# ---- create and correct -------------------------------------------------------------------

def _validate(data: ActivityInput, now: datetime, problems: Problems) -> dict[str, Any]:
    kind = check_kind(data.kind, problems)
    title = clean_text(data.title, "title", "活动名称（案由）", problems, max_len=TITLE_MAX)
    party = clean_text(data.party, "party", "当事人", problems, max_len=TITLE_MAX, required=False)
    place = clean_text(data.place, "place", "地点", problems, max_len=TITLE_MAX)
    unsuitable = clean_note(data.av_unsuitable_reason, "av_unsuitable_reason", "不适宜音像记录的理由", problems)
    check_span(data.arrived_at, data.departed_at, problems)
    if data.departed_at is not None and data.departed_at.utcoffset() is not None \
            and data.departed_at > now + FUTURE_SLACK:
        problems.add("departed_at", "离开现场时间不能晚于当前时间（请在离开现场后登记）",
                     "departed_at lies in the future (record the activity after leaving the scene)")
    if not data.officer_ids:
        problems.add("officer_ids", "至少选择一名执法人员", "choose at least one officer")
    if len(set(data.officer_ids)) != len(data.officer_ids) or len(set(data.device_ids)) != len(data.device_ids):
        problems.add("officer_ids", "人员或设备重复", "an officer or a device is listed twice")
    if data.uninterrupted_required and not data.device_ids:
        problems.add("device_ids", "需全程无间断记录的活动须登记记录设备（第三十五条）",
                     "an activity needing uninterrupted recording needs its recording devices (Art. 35)")
    if data.uninterrupted_required and unsuitable:
        problems.add("av_unsuitable_reason", "需全程无间断记录的活动不能以不适宜为由不录（第三十二条）",
                     "uninterrupted recording is required here; AV cannot be declared unsuitable (Art. 32)")
    return {"kind": kind, "title": title, "party": party, "place": place, "av_unsuitable_reason": unsuitable,
            "arrived_at": data.arrived_at, "departed_at": data.departed_at,
            "uninterrupted_required": data.uninterrupted_required,
            "officer_ids": tuple(data.officer_ids), "device_ids": tuple(data.device_ids), "case_id": data.case_id}


def _check_members(uow: UnitOfWork, bureau_id: UUID, officer_ids: Sequence[UUID], device_ids: Sequence[UUID],
                   problems: Problems, *, keep: Collection[UUID] = ()) -> None:
    """Officers: active officers of the bureau (or already on the activity); devices: the bureau's."""
    for user_id in officer_ids:
        user = uow.users.get(user_id)
        if user is None or user.bureau_id != bureau_id:
            problems.add("officer_ids", "执法人员不存在", f"no such officer {user_id}")
        elif user_id not in keep and (not user.active or Role.OFFICER not in user.roles):
            problems.add("officer_ids", f"{user.display_name} 不是在职执法人员",
                         f"{user.username} is not an active officer")
    for device_id in device_ids:
        device = uow.devices.get(device_id)
        if device is None or device.bureau_id != bureau_id:
            problems.add("device_ids", "记录设备不存在", f"no such device {device_id}")


def _check_case(uow: UnitOfWork, ctx: Ctx, bureau_id: UUID, case_id: UUID | None, problems: Problems, *,
                keep: UUID | None = None) -> None:
    """The case an activity is linked to: one of the bureau's that the actor may see, not yet at
    归档 (Art. 39) — unless the version before was linked to it already."""
    if case_id is None or case_id == keep:
        return
    case = uow.cases.get(case_id)
    if case is None or case.bureau_id != bureau_id or not allows(
            ctx.actor, Permission.CASE_VIEW, bureau_id=case.bureau_id, unit_id=case.unit_id):
        problems.add("case_id", "案件不存在或无权查看", f"no such case {case_id}, or not visible to you")
    elif case.stage is Stage.ARCHIVE:
        problems.add("case_id", f"案件 {case.number} 已归档，不能再关联执法活动（第三十九条）",
                     f"case {case.number} is archived; no activity can be linked to it (Art. 39)")


def create_activity(uow: UnitOfWork, ctx: Ctx, *, unit_id: UUID, data: ActivityInput) -> Activity:
    """Record an on-site activity of ``unit_id`` (version 1) and its ``vault:activity:create``
    event. Raise ValidationFailed (every bad field), NotFound for an unknown unit,
    PermissionDenied without activity:manage on the unit."""
    problems = Problems()
    values = _validate(data, ctx.now, problems)
    problems.raise_if_any()
    with uow:
        unit = uow.units.get(unit_id)
        if unit is None or not unit.active or (ctx.actor.bureau_id and unit.bureau_id != ctx.actor.bureau_id):
            raise NotFound("执法机构不存在或已停用", "unknown or inactive unit", code="unit.not_found")
        require(ctx.actor, Permission.ACTIVITY_MANAGE, bureau_id=unit.bureau_id, unit_id=unit.id)
        _check_members(uow, unit.bureau_id, data.officer_ids, data.device_ids, problems)
        _check_case(uow, ctx, unit.bureau_id, data.case_id, problems)
        problems.raise_if_any()
        activity = Activity(id=uuid.uuid4(), version=1, bureau_id=unit.bureau_id, unit_id=unit.id, note="",
                            actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], recorded_at=ctx.now,
                            **values)
        uow.activities.add(activity)
        record(uow, ctx, Action.ACTIVITY_CREATE, subject_type="activity", subject_id=activity.id,
               subject_name=activity.title, after=activity)
        uow.commit()
    return activity


def correct_activity(uow: UnitOfWork, ctx: Ctx, activity_id: UUID, *, expected_version: int,
                     data: ActivityInput, note: str) -> Activity:
    """Record version ``expected_version + 1`` with ``data`` and the reason ``note`` (required);
    earlier versions stay. Raise Conflict ``activity.stale`` when another correction came first,
    ValidationFailed when nothing changed or input is bad. The unit never changes."""
    problems = Problems()
    values = _validate(data, ctx.now, problems)
    note = clean_note(note, "note", "更正理由", problems, required=True)
    problems.raise_if_any()
    with uow:
        before = _load(uow, ctx, activity_id)
        require(ctx.actor, Permission.ACTIVITY_MANAGE, bureau_id=before.bureau_id, unit_id=before.unit_id)
        if before.version != expected_version:
            raise Conflict(f"该执法活动已更正为第 {before.version} 版，请刷新后重试",
                           f"the activity is at version {before.version} now; reload and try again",
                           code="activity.stale")
        _check_members(uow, before.bureau_id, data.officer_ids, data.device_ids, problems,
                       keep=before.officer_ids)
        _check_case(uow, ctx, before.bureau_id, data.case_id, problems, keep=before.case_id)
        problems.raise_if_any()
        after = replace(before, **values, version=before.version + 1, note=note, actor_id=ctx.actor.user_id,
                        actor_name=ctx.actor.name[:100], recorded_at=ctx.now)
        if replace(after, version=before.version, note=before.note, actor_id=before.actor_id,
                   actor_name=before.actor_name, recorded_at=before.recorded_at) == before:
            raise Conflict("更正内容与当前版本相同", "the correction changes nothing", code="activity.unchanged")
        uow.activities.add(after)
        record(uow, ctx, Action.ACTIVITY_CORRECT, subject_type="activity", subject_id=after.id,
               subject_name=after.title, before=before, after=after)
        uow.commit()
    return after


# ---- interruptions ------------------------------------------------------------------------

def _check_report(uow: UnitOfWork, bureau_id: UUID, reported_to: UUID | None, reported_at: datetime | None,
                  started_at: datetime, now: datetime, problems: Problems) -> None:
    if reported_to is not None:
        head = uow.users.get(reported_to)
        if head is None or head.bureau_id != bureau_id or not (head.roles & HEAD_ROLES):
            problems.add("reported_to", "报告对象须为执法机构负责人或机关负责人",
                         "the report goes to a unit head or a leader")
    if reported_at is not None:
        if reported_at.utcoffset() is None:
            problems.add("reported_at", "时间须带时区", "reported_at must carry a time zone")
        elif reported_at < started_at or reported_at > now + FUTURE_SLACK:
            problems.add("reported_at", "报告时间须在中断开始之后、当前时间之前",
                         "reported_at must be after the interruption began and not in the future")


def record_interruption(uow: UnitOfWork, ctx: Ctx, activity_id: UUID, *, device_id: UUID,
                        started_at: datetime, ended_at: datetime | None, resumed: bool,
                        reason: str | InterruptionReason | None = None, reason_text: str = "",
                        reported_to: UUID | None = None, reported_at: datetime | None = None,
                        explanation: str = "") -> Interruption:
    """Record that ``device_id`` stopped recording during the activity (version 1, one
    ``vault:interruption:record`` event). ``resumed`` False means it never resumed before the
    departure: then ``ended_at`` stays empty. The reason, the report and the explanation may
    follow later (``complete_interruption``); until then ART36 lists what is missing."""
    problems = Problems()
    why = check_reason(reason, problems)
    reason_text = clean_note(reason_text, "reason_text", "原因说明", problems)
    explanation = clean_note(explanation, "explanation", "书面说明", problems)
    with uow:
        activity = _load(uow, ctx, activity_id)
        require(ctx.actor, Permission.ACTIVITY_MANAGE, bureau_id=activity.bureau_id, unit_id=activity.unit_id)
        _check_stop_times(activity, device_id, started_at, ended_at, resumed, problems)
        _check_report(uow, activity.bureau_id, reported_to, reported_at, started_at, ctx.now, problems)
        problems.raise_if_any()
        stop = Interruption(id=uuid.uuid4(), version=1, activity_id=activity.id, activity_version=activity.version,
                            device_id=device_id, started_at=started_at, ended_at=ended_at, reason=why,
                            reason_text=reason_text, resumed=resumed, reported_to=reported_to,
                            reported_at=reported_at, explanation=explanation, actor_id=ctx.actor.user_id,
                            actor_name=ctx.actor.name[:100], recorded_at=ctx.now)
        uow.activities.add_interruption(stop)
        record(uow, ctx, Action.INTERRUPTION_RECORD, subject_type="activity", subject_id=activity.id,
               subject_name=activity.title, after=stop)
        uow.commit()
    return stop


def _check_stop_times(activity: Activity, device_id: UUID, started_at: datetime, ended_at: datetime | None,
                      resumed: bool, problems: Problems) -> None:
    if device_id not in activity.device_ids:
        problems.add("device_id", "该设备不是本次活动登记的记录设备", "the device is not one of the activity's")
    if started_at.utcoffset() is None or (ended_at is not None and ended_at.utcoffset() is None):
        problems.add("started_at", "时间须带时区", "times must carry a time zone")
        return
    if not activity.arrived_at <= started_at < activity.departed_at:
        problems.add("started_at", "中断开始时间须在到达与离开现场之间",
                     "started_at must lie between arrival and departure")
    if resumed and ended_at is None:
        problems.add("ended_at", "已恢复记录的，请填写恢复时间", "give the time recording resumed")
    if not resumed and ended_at is not None:
        problems.add("ended_at", "未能恢复记录的中断持续至离开现场，不填恢复时间",
                     "recording that never resumed runs to the departure: leave ended_at empty")
    if ended_at is not None and not started_at < ended_at <= activity.departed_at:
        problems.add("ended_at", "恢复时间须晚于中断开始、不晚于离开现场",
                     "ended_at must be after started_at and not after the departure")


_KEEP: Any = object()


def complete_interruption(uow: UnitOfWork, ctx: Ctx, interruption_id: UUID, *, expected_version: int,
                          reason: str | InterruptionReason | Any | None = _KEEP, reason_text: str | None = None,
                          reported_to: UUID | Any | None = _KEEP, reported_at: datetime | Any | None = _KEEP,
                          explanation: str | None = None) -> Interruption:
    """Give what an interruption lacked (reason, report to the head, written explanation) as
    version ``expected_version + 1``; arguments left out keep their value. One
    ``vault:interruption:complete`` event. Raise Conflict ``interruption.stale`` when another
    completion came first, ``interruption.unchanged`` when nothing changes."""
    problems = Problems()
    with uow:
        before = uow.activities.interruption(interruption_id)
        activity = _load(uow, ctx, before.activity_id) if before else None
        if before is None or activity is None:
            raise NotFound("中断记录不存在", "no such interruption", code="interruption.not_found")
        require(ctx.actor, Permission.ACTIVITY_MANAGE, bureau_id=activity.bureau_id, unit_id=activity.unit_id)
        if before.version != expected_version:
            raise Conflict(f"该中断记录已补充为第 {before.version} 版，请刷新后重试",
                           f"the interruption is at version {before.version} now; reload and try again",
                           code="interruption.stale")
        changes: dict[str, Any] = {}
        if reason is not _KEEP:
            changes["reason"] = check_reason(reason, problems)
        if reason_text is not None:
            changes["reason_text"] = clean_note(reason_text, "reason_text", "原因说明", problems)
        if explanation is not None:
            changes["explanation"] = clean_note(explanation, "explanation", "书面说明", problems)
        if reported_to is not _KEEP:
            changes["reported_to"] = reported_to
        if reported_at is not _KEEP:
            changes["reported_at"] = reported_at
        after = replace(before, **changes)
        _check_report(uow, activity.bureau_id, after.reported_to, after.reported_at, after.started_at,
                      ctx.now, problems)
        problems.raise_if_any()
        if after == before:
            raise Conflict("补充内容与当前版本相同", "the completion changes nothing", code="interruption.unchanged")
        after = replace(after, version=before.version + 1, actor_id=ctx.actor.user_id,
                        actor_name=ctx.actor.name[:100], recorded_at=ctx.now)
        uow.activities.add_interruption(after)
        record(uow, ctx, Action.INTERRUPTION_COMPLETE, subject_type="activity", subject_id=activity.id,
               subject_name=activity.title, before=before, after=after)
        uow.commit()
    return after


# ---- continuity and findings --------------------------------------------------------------

@dataclass(frozen=True)
class Continuity:
    """An activity's timeline: per device the clips, gaps and interruptions, and its findings."""

    activity: Activity
    timelines: list[DeviceTimeline]
    interruptions: list[Interruption]
    findings: list[Finding]
    devices: dict[UUID, Device]


def _evaluate_bureau(uow: UnitOfWork, bureau_id: UUID, scope: frozenset[UUID] | None,
                     activity_ids: Collection[UUID] | None
                     ) -> tuple[list[Activity], dict[UUID, list[Interruption]], dict[UUID, list[Clip]],
                                dict[UUID, Device]]:
    """Five reads for any number of activities: activities (3 queries), interruptions, clips,
    plus the bureau's devices for their numbers."""
    activities = uow.activities.list(bureau_id, scope, activity_ids=activity_ids)
    if not activities:
        return [], {}, {}, {}
    stops: dict[UUID, list[Interruption]] = defaultdict(list)
    for stop in uow.activities.interruptions(bureau_id, scope, activity_ids=activity_ids):
        stops[stop.activity_id].append(stop)
    device_ids = {d for a in activities for d in a.device_ids}
    start = min(a.arrived_at for a in activities) - CLOCK_SLACK
    end = max(a.departed_at for a in activities) + CLOCK_SLACK
    clips: dict[UUID, list[Clip]] = defaultdict(list)
    for clip in uow.media.clips(device_ids, start, end):
        clips[clip.device_id].append(clip)
    devices = {d.id: d for d in uow.devices.list(bureau_id, None)}
    return activities, stops, clips, devices


def continuity(uow: UnitOfWork, ctx: Ctx, activity_id: UUID, policy: ContinuityPolicy) -> Continuity:
    """The continuity timeline and findings of one activity at ``ctx.now`` (needs activity:view)."""
    activity = get_activity(uow, ctx, activity_id)
    with uow:
        activities, stops, clips, devices = _evaluate_bureau(uow, activity.bureau_id, None, [activity.id])
    [activity] = activities
    own_clips = [c for d in activity.device_ids for c in clips.get(d, [])]
    names = {d: devices[d].number for d in activity.device_ids if d in devices}
    timelines, found = evaluate(activity, own_clips, stops.get(activity.id, []), now=ctx.now, policy=policy,
                                device_names=names)
    return Continuity(activity, timelines, stops.get(activity.id, []), found, devices)


def activity_findings(uow: UnitOfWork, ctx: Ctx, now: datetime, policy: ContinuityPolicy, *,
                      activity_ids: Collection[UUID] | None = None) -> list[Finding]:
    """Every ART32/ART35/ART36 finding of the activities the actor may see (all of them for
    the system actor), evaluated at ``now`` with a fixed number of queries per bureau."""
    scope = visible_units(ctx.actor, Permission.ACTIVITY_VIEW)
    with uow:
        bureau_ids = [ctx.actor.bureau_id] if ctx.actor.bureau_id else [b.id for b in uow.bureaus.list()]
        return [f for bureau_id in bureau_ids
                for f in findings_in(uow, bureau_id, scope, now, policy, activity_ids=activity_ids)]


def findings_in(uow: UnitOfWork, bureau_id: UUID, unit_ids: frozenset[UUID] | None, now: datetime,
                policy: ContinuityPolicy, *, activity_ids: Collection[UUID] | None = None) -> list[Finding]:
    """The continuity findings of one bureau's activities in ``unit_ids`` (None: all), inside an
    open unit of work; the compliance engine's evaluator calls this."""
    out: list[Finding] = []
    activities, stops, clips, devices = _evaluate_bureau(uow, bureau_id, unit_ids, activity_ids)
    for activity in activities:
        own_clips = [c for d in activity.device_ids for c in clips.get(d, [])]
        names = {d: devices[d].number for d in activity.device_ids if d in devices}
        out.extend(evaluate(activity, own_clips, stops.get(activity.id, []), now=now, policy=policy,
                            device_names=names)[1])
    return out
