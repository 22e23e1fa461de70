"""The activities API under /api/v1/activities: on-site activities, recording interruptions and
the continuity timeline (Art. 32, 35, 36). Permission checks live in ``services.activities``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, Field

from lawtrail.domain.activities import Activity, Interruption, Span
from lawtrail.domain.rules.continuity import DeviceTimeline
from lawtrail.services import activities as svc
from lawtrail.web.api.schemas import In
from lawtrail.web.auth import Principal, api_principal, container

router = APIRouter(prefix="/api/v1/activities", tags=["activities"])
Who = Annotated[Principal, Depends(api_principal)]


class ActivityIn(In):
    unit_id: UUID
    kind: str
    title: str
    place: str
    arrived_at: AwareDatetime
    departed_at: AwareDatetime
    officer_ids: list[UUID] = Field(max_length=50)
    device_ids: list[UUID] = Field(default_factory=list, max_length=50)
    party: str = ""
    uninterrupted_required: bool = False
    av_unsuitable_reason: str = ""
    case_id: UUID | None = None

    def data(self) -> svc.ActivityInput:
        return svc.ActivityInput(kind=self.kind, title=self.title, place=self.place, arrived_at=self.arrived_at,
                                 departed_at=self.departed_at, officer_ids=self.officer_ids,
                                 device_ids=self.device_ids, party=self.party,
                                 uninterrupted_required=self.uninterrupted_required,
                                 av_unsuitable_reason=self.av_unsuitable_reason, case_id=self.case_id)


class CorrectionIn(ActivityIn):
    unit_id: UUID | None = None  # type: ignore[assignment]  # the unit never changes; ignored
    expected_version: int = Field(ge=1)
    note: str


class ActivityOut(BaseModel):
    id: UUID
    version: int
    unit_id: UUID
    kind: str
    title: str
    party: str
    place: str
    arrived_at: datetime
    departed_at: datetime
    uninterrupted_required: bool
    av_unsuitable_reason: str
    officer_ids: list[UUID]
    device_ids: list[UUID]
    note: str
    recorded_by: str
    recorded_at: datetime
    case_id: UUID | None

    @classmethod
    def of(cls, a: Activity) -> ActivityOut:
        return cls(id=a.id, version=a.version, unit_id=a.unit_id, kind=a.kind.value, title=a.title, party=a.party,
                   place=a.place, arrived_at=a.arrived_at, departed_at=a.departed_at,
                   uninterrupted_required=a.uninterrupted_required, av_unsuitable_reason=a.av_unsuitable_reason,
                   officer_ids=list(a.officer_ids), device_ids=list(a.device_ids), note=a.note,
                   recorded_by=a.actor_name, recorded_at=a.recorded_at, case_id=a.case_id)


class InterruptionIn(In):
    device_id: UUID
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    resumed: bool
    reason: str | None = None
    reason_text: str = ""
    reported_to: UUID | None = None
    reported_at: AwareDatetime | None = None
    explanation: str = ""


class CompletionIn(In):
    """Only the fields given change; ``null`` clears a reason, report or time."""

    expected_version: int = Field(ge=1)
    reason: str | None = None
    reason_text: str | None = None
    reported_to: UUID | None = None
    reported_at: AwareDatetime | None = None
    explanation: str | None = None


class InterruptionOut(BaseModel):
    id: UUID
    version: int
    activity_id: UUID
    device_id: UUID
    started_at: datetime
    ended_at: datetime | None
    resumed: bool
    reason: str | None
    reason_text: str
    reported_to: UUID | None
    reported_at: datetime | None
    explanation: str
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, i: Interruption) -> InterruptionOut:
        return cls(id=i.id, version=i.version, activity_id=i.activity_id, device_id=i.device_id,
                   started_at=i.started_at, ended_at=i.ended_at, resumed=i.resumed,
                   reason=i.reason.value if i.reason else None, reason_text=i.reason_text,
                   reported_to=i.reported_to, reported_at=i.reported_at, explanation=i.explanation,
                   recorded_by=i.actor_name, recorded_at=i.recorded_at)


class SpanOut(BaseModel):
    start: datetime
    end: datetime
    seconds: float

    @classmethod
    def of(cls, s: Span) -> SpanOut:
        return cls(start=s.start, end=s.end, seconds=s.length.total_seconds())


class ClipOut(SpanOut):
    media_id: UUID
    name: str
    media_type: str


class DeviceTimelineOut(BaseModel):
    device_id: UUID
    device_number: str
    clips: list[ClipOut]
    covered: list[SpanOut]
    gaps: list[SpanOut]
    explained: list[SpanOut]
    unexplained: list[SpanOut]
    interruptions: list[InterruptionOut]

    @classmethod
    def of(cls, t: DeviceTimeline, number: str) -> DeviceTimelineOut:
        clips = [ClipOut(media_id=p.clip.media_id, name=p.clip.original_name, media_type=p.clip.media_type,
                         **SpanOut.of(p.span).model_dump()) for p in t.clips]
        return cls(device_id=t.device_id, device_number=number, clips=clips,
                   covered=[SpanOut.of(s) for s in t.covered], gaps=[SpanOut.of(s) for s in t.gaps],
                   explained=[SpanOut.of(s) for s in t.explained], unexplained=[SpanOut.of(s) for s in t.unexplained],
                   interruptions=[InterruptionOut.of(i) for i in t.interruptions])


class ContinuityOut(BaseModel):
    activity: ActivityOut
    tolerance_seconds: float
    devices: list[DeviceTimelineOut]
    findings: list[dict[str, Any]]


@router.get("", response_model=list[ActivityOut])
def list_activities(request: Request, who: Who) -> list[ActivityOut]:
    """The activities of the units the caller may see, newest arrival first."""
    return [ActivityOut.of(a) for a in svc.list_activities(container(request).uow(), who.ctx(request))]


@router.post("", response_model=ActivityOut, status_code=201)
def create_activity(request: Request, who: Who, body: ActivityIn) -> ActivityOut:
    activity = svc.create_activity(container(request).uow(), who.ctx(request), unit_id=body.unit_id,
                                   data=body.data())
    return ActivityOut.of(activity)


@router.get("/{activity_id}", response_model=ActivityOut)
def get_activity(request: Request, who: Who, activity_id: UUID) -> ActivityOut:
    return ActivityOut.of(svc.get_activity(container(request).uow(), who.ctx(request), activity_id))


@router.get("/{activity_id}/versions", response_model=list[ActivityOut])
def activity_versions(request: Request, who: Who, activity_id: UUID) -> list[ActivityOut]:
    """Every version, oldest first: corrections never overwrite."""
    return [ActivityOut.of(a) for a in svc.activity_versions(container(request).uow(), who.ctx(request), activity_id)]


@router.post("/{activity_id}/corrections", response_model=ActivityOut, status_code=201)
def correct_activity(request: Request, who: Who, activity_id: UUID, body: CorrectionIn) -> ActivityOut:
    """Record a corrected version; 409 ``activity.stale`` if ``expected_version`` is not the latest."""
    activity = svc.correct_activity(container(request).uow(), who.ctx(request), activity_id,
                                    expected_version=body.expected_version, data=body.data(), note=body.note)
    return ActivityOut.of(activity)


@router.post("/{activity_id}/interruptions", response_model=InterruptionOut, status_code=201)
def record_interruption(request: Request, who: Who, activity_id: UUID, body: InterruptionIn) -> InterruptionOut:
    stop = svc.record_interruption(container(request).uow(), who.ctx(request), activity_id,
                                   **body.model_dump())
    return InterruptionOut.of(stop)


@router.post("/interruptions/{interruption_id}/completions", response_model=InterruptionOut, status_code=201)
def complete_interruption(request: Request, who: Who, interruption_id: UUID, body: CompletionIn) -> InterruptionOut:
    given = body.model_dump(exclude_unset=True)
    stop = svc.complete_interruption(container(request).uow(), who.ctx(request), interruption_id, **given)
    return InterruptionOut.of(stop)


@router.get("/{activity_id}/continuity", response_model=ContinuityOut)
def activity_continuity(request: Request, who: Who, activity_id: UUID) -> ContinuityOut:
    """Per device: the clips (station clock), covered intervals, gaps longer than the tolerance,
    which of them interruptions explain, and the activity's ART32/35/36 findings."""
    c = container(request)
    policy = svc.continuity_policy(c.settings)
    result = svc.continuity(c.uow(), who.ctx(request), activity_id, policy)
    numbers = {d: result.devices[d].number if d in result.devices else str(d) for d in result.activity.device_ids}
    return ContinuityOut(activity=ActivityOut.of(result.activity), tolerance_seconds=policy.tolerance.total_seconds(),
                         devices=[DeviceTimelineOut.of(t, numbers[t.device_id]) for t in result.timelines],
                         findings=[f.to_json() for f in result.findings])
