"""On-site enforcement activities (现场执法活动), recording interruptions and the interval
arithmetic of continuity (Art. 14, 32, 35, 36).

An ``Activity`` is one visit to a scene: a unit's officers arrive with their recording devices
and later leave. Art. 32 requires audio/video for most kinds of on-site activity and, where
personal liberty, life and health or major property is involved, uninterrupted recording;
Art. 35 says that recording runs from arrival to departure; Art. 36 says an interruption
carries its reason and, when recording could not resume, a report to the head and a written
explanation.

Nothing recorded is rewritten (DESIGN.md rule 4): a correction of an activity is version
``n + 1`` of the same ``id``; completing an interruption's report is version ``n + 1`` of the
interruption. The latest version is the one in force; earlier ones stay (docs/decisions/0013).

Times are timezone-aware UTC. A clip's times come from the device's clock; when the clock
offset at hand-in is known (device clock minus station clock), the true time is device time
minus the offset (``clip_span``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from lawtrail.domain.org import Problems, clean_text

TITLE_MAX = 200
TEXT_MAX = 2000
#: The longest an activity may last: a visit that "lasts" longer is a typing mistake.
MAX_DURATION = timedelta(days=7)


class ActivityKind(StrEnum):
    ONSITE_INSPECTION = "onsite_inspection"
    RANDOM_INSPECTION = "random_inspection"
    EVIDENCE_COLLECTION = "evidence_collection"
    EVIDENCE_PRESERVATION = "evidence_preservation"
    HEARING = "hearing"
    COERCIVE_MEASURE = "coercive_measure"
    SERVICE = "service_of_documents"
    OTHER = "other"


ACTIVITY_KIND_LABELS: dict[ActivityKind, str] = {
    ActivityKind.ONSITE_INSPECTION: "现场检查",
    ActivityKind.RANDOM_INSPECTION: "随机抽查",
    ActivityKind.EVIDENCE_COLLECTION: "调查取证",
    ActivityKind.EVIDENCE_PRESERVATION: "证据保全",
    ActivityKind.HEARING: "听证",
    ActivityKind.COERCIVE_MEASURE: "行政强制",
    ActivityKind.SERVICE: "送达",
    ActivityKind.OTHER: "其他",
}

#: The kinds for which Art. 32 requires an audio/video record (all listed kinds but "other").
AV_REQUIRED_KINDS: frozenset[ActivityKind] = frozenset(ActivityKind) - {ActivityKind.OTHER}


class InterruptionReason(StrEnum):
    DEVICE_FAULT = "device_fault"
    BATTERY = "battery"
    STORAGE_FULL = "storage_full"
    WEATHER = "weather"
    OBSTRUCTION = "obstruction"
    OTHER = "other"


INTERRUPTION_REASON_LABELS: dict[InterruptionReason, str] = {
    InterruptionReason.DEVICE_FAULT: "设备故障",
    InterruptionReason.BATTERY: "电量耗尽",
    InterruptionReason.STORAGE_FULL: "存储空间不足",
    InterruptionReason.WEATHER: "天气",
    InterruptionReason.OBSTRUCTION: "现场阻挠",
    InterruptionReason.OTHER: "其他",
}


@dataclass(frozen=True)
class Activity:
    """Version ``version`` of an on-site activity. ``note`` says why a correction was made
    (empty for version 1); ``av_unsuitable_reason`` is Art. 14's recorded reason why AV was
    not suitable (empty: AV is expected)."""

    id: UUID
    version: int
    bureau_id: UUID
    unit_id: UUID
    kind: ActivityKind
    title: str
    party: str
    place: str
    arrived_at: datetime
    departed_at: datetime
    uninterrupted_required: bool
    av_unsuitable_reason: str
    officer_ids: tuple[UUID, ...]
    device_ids: tuple[UUID, ...]
    note: str
    actor_id: UUID | None
    actor_name: str
    recorded_at: datetime
    case_id: UUID | None = None  # the case the activity served (Art. 32 on the case's checklist)

    @property
    def span(self) -> Span:
        return Span(self.arrived_at, self.departed_at)


@dataclass(frozen=True)
class Interruption:
    """Version ``version`` of one interruption of one device's recording during an activity.

    ``ended_at`` None with ``resumed`` False: recording never resumed, the interruption runs to
    the departure. ``reason`` None: not yet given (an Art. 36 finding until it is)."""

    id: UUID
    version: int
    activity_id: UUID
    activity_version: int  # the activity version in force when it was recorded
    device_id: UUID
    started_at: datetime
    ended_at: datetime | None
    reason: InterruptionReason | None
    reason_text: str
    resumed: bool
    reported_to: UUID | None  # the head told at once (Art. 36) when recording could not resume
    reported_at: datetime | None
    explanation: str  # the written explanation afterwards (Art. 36)
    actor_id: UUID | None
    actor_name: str
    recorded_at: datetime

    def span(self, departed_at: datetime) -> Span:
        """The interval it explains: an open end runs to the departure."""
        end = self.ended_at if self.ended_at is not None else departed_at
        return Span(self.started_at, max(end, self.started_at))

    @property
    def reason_missing(self) -> bool:
        return self.reason is None or (self.reason is InterruptionReason.OTHER and not self.reason_text)

    @property
    def report_missing(self) -> bool:
        """True when recording could not resume and the report or the explanation is missing."""
        return not self.resumed and (self.reported_to is None or self.reported_at is None or not self.explanation)


@dataclass(frozen=True)
class Clip:
    """One audio/video original as the continuity check sees it (device clock times)."""

    media_id: UUID
    device_id: UUID
    media_type: str
    original_name: str
    captured_at: datetime
    captured_end: datetime | None
    clock_offset_s: float | None


# ---- intervals -----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Span:
    """A half-open interval of time ``[start, end)``; ``end >= start``."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def clip_span(clip: Clip) -> Span:
    """The clip on the station's clock: device time minus the known offset (device − station).

    A clip without an end (duration unknown) is a point: it covers nothing."""
    shift = timedelta(seconds=clip.clock_offset_s) if clip.clock_offset_s is not None else timedelta(0)
    start = clip.captured_at - shift
    end = (clip.captured_end - shift) if clip.captured_end is not None else start
    return Span(start, max(start, end))


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, disjoint spans covering exactly the union of ``spans`` (touching ones joined)."""
    out: list[Span] = []
    for span in sorted(s for s in spans if s.end > s.start):
        if out and span.start <= out[-1].end:
            if span.end > out[-1].end:
                out[-1] = Span(out[-1].start, span.end)
        else:
            out.append(span)
    return out


def covered(whole: Span, spans: Iterable[Span]) -> list[Span]:
    """The parts of ``whole`` covered by ``spans``: merged and clipped, in order."""
    out = []
    for span in merge(spans):
        start, end = max(span.start, whole.start), min(span.end, whole.end)
        if end > start:
            out.append(Span(start, end))
    return out


def gaps(whole: Span, spans: Iterable[Span], tolerance: timedelta = timedelta(0)) -> list[Span]:
    """The parts of ``whole`` not covered by ``spans`` that last longer than ``tolerance``.

    With a zero tolerance, ``covered(whole, spans)`` and ``gaps(whole, spans)`` are disjoint and
    together make up ``whole`` exactly; a larger tolerance only drops gaps, never adds one."""
    out: list[Span] = []
    cursor = whole.start
    for span in covered(whole, spans):
        if span.start > cursor:
            out.append(Span(cursor, span.start))
        cursor = max(cursor, span.end)
    if whole.end > cursor:
        out.append(Span(cursor, whole.end))
    return [g for g in out if g.length > tolerance]


def intersect(a: Sequence[Span], b: Iterable[Span]) -> list[Span]:
    """The parts of the spans ``a`` that ``b`` covers (both read as unions)."""
    out: list[Span] = []
    others = merge(b)
    for span in merge(a):
        out.extend(covered(span, others))
    return out


# ---- validation ----------------------------------------------------------------------------


def check_kind(value: str | ActivityKind, problems: Problems) -> ActivityKind:
    try:
        return ActivityKind(value)
    except ValueError:
        problems.add("kind", "活动类型须为：" + "、".join(ACTIVITY_KIND_LABELS.values()),
                     "kind must be one of " + ", ".join(k.value for k in ActivityKind))
        return ActivityKind.OTHER


def check_reason(value: str | InterruptionReason | None, problems: Problems) -> InterruptionReason | None:
    if value is None or value == "":
        return None
    try:
        return InterruptionReason(value)
    except ValueError:
        problems.add("reason", "中断原因须为：" + "、".join(INTERRUPTION_REASON_LABELS.values()),
                     "reason must be one of " + ", ".join(r.value for r in InterruptionReason))
        return None


def check_span(arrived: datetime | None, departed: datetime | None, problems: Problems) -> None:
    """Arrival and departure are required, aware, in order, and at most ``MAX_DURATION`` apart."""
    if arrived is None:
        problems.add("arrived_at", "请填写到达现场时间", "arrived_at is required")
    if departed is None:
        problems.add("departed_at", "请填写离开现场时间", "departed_at is required")
    if arrived is None or departed is None:
        return
    if arrived.utcoffset() is None or departed.utcoffset() is None:
        problems.add("arrived_at", "时间须带时区", "times must carry a time zone")
    elif departed <= arrived:
        problems.add("departed_at", "离开现场时间须晚于到达时间", "departed_at must be after arrived_at")
    elif departed - arrived > MAX_DURATION:
        problems.add("departed_at", "一次现场执法活动不能超过7天", "an activity cannot last more than 7 days")


def clean_note(value: str | None, field_name: str, label: str, problems: Problems, *,
               required: bool = False, max_len: int = TEXT_MAX) -> str:
    """Free text: NFC, stripped, control characters refused except line breaks and tabs."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").strip()
    flat = text.replace("\n", " ").replace("\t", " ")
    clean_text(flat, field_name, label, problems, max_len=max_len, required=required)
    return text
