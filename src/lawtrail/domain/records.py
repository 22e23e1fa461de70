"""Text records (文字记录) on cases: versions, officers present, signatures and refusals, attachments.

Nothing is rewritten (DESIGN.md rule 4, issue 5 item 7): a record is a chain of versions, each a
new row pointing at the one it corrects (``version - 1``) with a reason; signatures and refusals
belong to one version (a corrected text is signed again); attachments are write-once blobs.

Pure: values are validated against the kind of the catalogue they were made under; times are
given by the caller (``now``).
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar
from uuid import UUID

from lawtrail.domain.cases import STAGE_LABELS, STAGE_ORDER, Case, ClosedKind, Origin, Stage
from lawtrail.domain.catalogue import (
    CAPACITY_LABELS,
    MAY_REFUSE,
    AvRule,
    Capacity,
    Catalogue,
    FieldSpec,
    FieldType,
    RecordKind,
    SignerSpec,
)
from lawtrail.domain.org import BUREAU_TZ, Problems, clean_text
from lawtrail.errors import ValidationFailed

MIN_OFFICERS = 2  # Art. 5 / 11: two certified officers investigate
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
#: What a scan or photo may be, by content type, with the leading bytes it must start with.
ATTACHMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
}


class RightsMethod(StrEnum):
    """How the party was told of the rights to state, defend, ask for recusal and a hearing (Art. 12)."""

    WRITTEN = "written"
    ORAL = "oral"
    ORAL_AND_WRITTEN = "oral_and_written"
    READ_ALOUD = "read_aloud"


RIGHTS_METHOD_LABELS = {RightsMethod.WRITTEN: "书面告知（送达权利告知书）", RightsMethod.ORAL: "口头告知并记入笔录",
                        RightsMethod.ORAL_AND_WRITTEN: "口头告知并送达书面告知书",
                        RightsMethod.READ_ALOUD: "当场宣读并交付告知书"}


class SignMethod(StrEnum):
    HANDWRITING = "handwriting"
    SEAL = "seal"
    ELECTRONIC = "electronic"


SIGN_METHOD_LABELS = {SignMethod.HANDWRITING: "手写签名（扫描件）", SignMethod.SEAL: "盖章（扫描件）",
                      SignMethod.ELECTRONIC: "电子签名"}


@dataclass(frozen=True)
class OfficerPresent:
    """An officer at an investigation (Art. 11): name and certificate number copied at the time."""

    user_id: UUID
    name: str
    cert_number: str
    cert_shown: bool


@dataclass(frozen=True)
class RecordVersion:
    """One version of a record. ``record_id`` is the same for every version; ``version`` 1 is the
    original, each later one corrects the one before and carries ``reason``."""

    id: UUID
    record_id: UUID
    version: int
    case_id: UUID
    stage: Stage
    kind_id: str
    kind_name: str
    catalogue_version: int
    values: dict[str, Any]
    officers: tuple[OfficerPresent, ...]
    rights_method: RightsMethod | None
    av_media_ids: tuple[UUID, ...]
    av_waiver: str  # why a simultaneous AV record was unsuitable (Art. 14), else ""
    reason: str  # the reason for a correction; "" for version 1
    created_at: datetime
    actor_id: UUID | None
    actor_name: str


class Versioned(Protocol):
    """What the rules read of a record version (``RecordVersion`` is one; so is the compliance
    engine's narrow ``VersionFact``): all but its own id, the correction's reason and the actor."""

    @property
    def record_id(self) -> UUID: ...
    @property
    def version(self) -> int: ...
    @property
    def case_id(self) -> UUID: ...
    @property
    def stage(self) -> Stage: ...
    @property
    def kind_id(self) -> str: ...
    @property
    def kind_name(self) -> str: ...
    @property
    def catalogue_version(self) -> int: ...
    @property
    def values(self) -> dict[str, Any]: ...
    @property
    def officers(self) -> tuple[OfficerPresent, ...]: ...
    @property
    def rights_method(self) -> RightsMethod | None: ...
    @property
    def av_media_ids(self) -> tuple[UUID, ...]: ...
    @property
    def av_waiver(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


V = TypeVar("V", bound=Versioned)


#: What the rules read of a record version (the properties of ``Versioned``), in the order of
#: ``VersionFact``'s constructor.
VERSIONED_FIELDS = ("record_id", "version", "case_id", "stage", "kind_id", "kind_name", "catalogue_version",
                    "values", "officers", "rights_method", "av_media_ids", "av_waiver", "created_at")


@dataclass(frozen=True, slots=True, eq=False)
class VersionFact:
    """Only what the rules read of a record version (``Versioned``): the engine reads every
    version of every case in scope, and parsing each version's own id alone cost more than the
    rules that read it (decision 0037). ``stored_values`` is the values, or their JSON text as
    stored: most rules never read a version's values, so the text is decoded on the first read
    of ``values`` (decision 0044). Equal when every field of ``VERSIONED_FIELDS`` is equal."""

    record_id: UUID
    version: int
    case_id: UUID
    stage: Stage
    kind_id: str
    kind_name: str
    catalogue_version: int
    stored_values: dict[str, Any] | str
    officers: tuple[OfficerPresent, ...]
    rights_method: RightsMethod | None
    av_media_ids: tuple[UUID, ...]
    av_waiver: str
    created_at: datetime
    _decoded: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def values(self) -> dict[str, Any]:
        decoded = self._decoded
        if decoded is None:
            raw = self.stored_values
            decoded = json.loads(raw) if isinstance(raw, str) else raw
            object.__setattr__(self, "_decoded", decoded)
        return decoded

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VersionFact):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in VERSIONED_FIELDS)

    __hash__ = None  # type: ignore[assignment]  # the values are a dict, as in RecordVersion


@dataclass(frozen=True)
class Signature:
    """A signature given, or a refusal to sign or cooperate with its reason and witness (Art. 13)."""

    id: UUID
    record_id: UUID
    record_version: int
    capacity: Capacity
    signer_name: str
    signer_user_id: UUID | None
    refused: bool
    method: SignMethod | None  # None for a refusal
    signed_at: datetime  # when it was signed, or refused
    scan_id: UUID | None  # the attachment holding the scan (signature or witness statement)
    refusal_reason: str
    witness_name: str
    witness_org: str
    recorded_at: datetime
    actor_id: UUID | None
    actor_name: str


class Signed(Protocol):
    """What the rules read of a signature (``Signature`` is one; so is the compliance engine's
    narrow ``SignatureFact``): the version it belongs to, the capacity, refused or given, the
    witness of a refusal."""

    @property
    def record_id(self) -> UUID: ...
    @property
    def record_version(self) -> int: ...
    @property
    def capacity(self) -> Capacity: ...
    @property
    def refused(self) -> bool: ...
    @property
    def witness_name(self) -> str: ...


@dataclass(frozen=True, slots=True)
class SignatureFact:
    """Only what the rules read of a signature (``Signed``): the engine reads every signature of
    every case in scope, and the other eleven columns (ids, times, names, scans) cost more to
    read than the rules cost to run (decision 0037)."""

    record_id: UUID
    record_version: int
    capacity: Capacity
    refused: bool
    witness_name: str


@dataclass(frozen=True)
class Attachment:
    """A scan or photo of a record, stored write-once in the blob store."""

    id: UUID
    record_id: UUID
    sha256: str
    size: int
    name: str
    content_type: str
    purpose: str  # "attachment" | "signature"
    added_at: datetime
    actor_id: UUID | None
    actor_name: str


# ---- field values --------------------------------------------------------------------------------

def _parse_time(raw: Any) -> datetime | None:
    """An aware datetime from an ISO string; a naive one is bureau time (what a form sends)."""
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return value.replace(tzinfo=BUREAU_TZ) if value.tzinfo is None else value


def _check_time(spec: FieldSpec, value: datetime, key: str, opened_at: datetime, now: datetime,
                problems: Problems) -> None:
    if not spec.future and value > now:
        problems.add(key, f"{spec.label}不能晚于当前时间", f"{spec.id} must not be in the future")
    # Forms give minutes: a time in the minute the case was opened is not "before" it.
    if value < opened_at.replace(second=0, microsecond=0) and not spec.future:
        problems.add(key, f"{spec.label}不能早于立案时间", f"{spec.id} must not be before the case was opened")


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, list) and not raw)


def _value(spec: FieldSpec, raw: Any, key: str, opened_at: datetime, now: datetime, problems: Problems) -> Any:
    t = spec.type
    if t in (FieldType.TEXT, FieldType.LONG_TEXT):
        if not isinstance(raw, str):
            problems.add(key, f"{spec.label}应为文字", f"{spec.id} must be text")
            return None
        text = unicodedata.normalize("NFC", raw).strip()
        if t is FieldType.LONG_TEXT:
            return _long(text, key, spec, problems)
        if "\n" in text or "\r" in text:
            problems.add(key, f"{spec.label}不能换行", f"{spec.id} must be one line")
            return None
        return clean_text(text, key, spec.label, problems, max_len=spec.max_len)
    if t is FieldType.DATETIME:
        when = _parse_time(raw)
        if when is None:
            problems.add(key, f"{spec.label}应为日期时间（YYYY-MM-DD HH:MM）", f"{spec.id} must be a date-time")
            return None
        _check_time(spec, when, key, opened_at, now, problems)
        return when.astimezone(BUREAU_TZ).isoformat(timespec="minutes")
    if t is FieldType.DATE:
        try:
            day = date.fromisoformat(raw.strip()) if isinstance(raw, str) else None
        except ValueError:
            day = None
        if day is None:
            problems.add(key, f"{spec.label}应为日期（YYYY-MM-DD）", f"{spec.id} must be a date YYYY-MM-DD")
            return None
        if not spec.future and day > now.astimezone(BUREAU_TZ).date():
            problems.add(key, f"{spec.label}不能晚于今天", f"{spec.id} must not be in the future")
        if not spec.future and day < opened_at.astimezone(BUREAU_TZ).date():
            problems.add(key, f"{spec.label}不能早于立案日期", f"{spec.id} must not be before the case was opened")
        return day.isoformat()
    if t is FieldType.NUMBER:
        return _number(spec, raw, key, problems)
    if t is FieldType.CHOICE:
        if raw not in spec.options:
            problems.add(key, f"{spec.label}应为：{'、'.join(spec.options)}之一",
                         f"{spec.id} must be one of the options")
            return None
        return raw
    if t is FieldType.MULTI_CHOICE:
        items = raw if isinstance(raw, list) else [raw]
        if any(i not in spec.options for i in items) or len(set(items)) != len(items):
            problems.add(key, f"{spec.label}只能从所列选项中选择，且不重复",
                         f"{spec.id}: choose distinct listed options")
            return None
        return [o for o in spec.options if o in items]
    if t is FieldType.PEOPLE:
        return _people(spec, raw, key, problems)
    if isinstance(raw, bool):
        return raw
    if raw in ("yes", "no", "true", "false"):
        return raw in ("yes", "true")
    problems.add(key, f"{spec.label}应为“是”或“否”", f"{spec.id} must be yes or no")
    return None


def _long(text: str, key: str, spec: FieldSpec, problems: Problems) -> str:
    text = text.replace("\r\n", "\n")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        problems.add(key, f"{spec.label}含有控制字符", f"{spec.id} contains control characters")
    if len(text) > spec.max_len:
        problems.add(key, f"{spec.label}不能超过{spec.max_len}个字符",
                     f"{spec.id} must be at most {spec.max_len} characters")
    return text


def _number(spec: FieldSpec, raw: Any, key: str, problems: Problems) -> int | float | None:
    value: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            value = None
    if value is None or not math.isfinite(value):
        problems.add(key, f"{spec.label}应为数字", f"{spec.id} must be a number")
        return None
    if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
        lo = "" if spec.minimum is None else f"{spec.minimum:g}"
        hi = "" if spec.maximum is None else f"{spec.maximum:g}"
        problems.add(key, f"{spec.label}应在 {lo}–{hi} 之间", f"{spec.id} must be within {lo}..{hi}")
    return int(value) if value.is_integer() else value


def _people(spec: FieldSpec, raw: Any, key: str, problems: Problems) -> list[str] | None:
    items = raw.splitlines() if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        problems.add(key, f"{spec.label}应为人员姓名列表（每行一人）", f"{spec.id} must be a list of names")
        return None
    names = [unicodedata.normalize("NFC", i).strip() for i in items if i.strip()]
    if len(names) > 50:
        problems.add(key, f"{spec.label}至多50人", f"{spec.id}: at most 50 people")
    if any(len(n) > spec.max_len for n in names):
        problems.add(key, f"{spec.label}中的姓名不能超过{spec.max_len}个字符", f"{spec.id}: a name is too long")
    if len(set(names)) != len(names):
        problems.add(key, f"{spec.label}中有重复的姓名", f"{spec.id}: a name is listed twice")
    return names


def check_values(kind: RecordKind, raw: Mapping[str, Any], *, opened_at: datetime, now: datetime,
                 problems: Problems) -> dict[str, Any]:
    """The values of ``raw`` checked and typed against ``kind`` (problems keyed ``values.<field>``):
    required fields present, unknown fields refused, lengths, options, numbers in range, times not
    in the future (unless the field is a deadline) and not before the case opened."""
    out: dict[str, Any] = {}
    for name in raw:
        if kind.field(name) is None:
            problems.add(f"values.{name}", f"“{kind.name}”没有字段 {name}", f"{kind.id} has no field {name!r}")
    for spec in kind.fields:
        key, given = f"values.{spec.id}", raw.get(spec.id)
        if _empty(given):
            if spec.required:
                problems.add(key, f"{spec.label}不能为空", f"{spec.id} is required")
            continue
        value = _value(spec, given, key, opened_at, now, problems)
        if value is not None and value != [] and value != "":
            out[spec.id] = value
    return out


COMPLAINANT_KIND = "complainant_notification"  # Art. 10: the complainant told of 不予立案


def writable(case: Case, kind_id: str) -> bool:
    """Whether a record of ``kind_id`` on ``case`` may still be made, corrected, signed or given a
    scan. Art. 39: once the case is at 归档 its records no longer change — except the Art. 10
    notification of a real-name complainant whose complaint was not taken up: that notice
    follows the decision not to initiate, which itself puts the case at 归档 (decision 0040)."""
    if case.stage is not Stage.ARCHIVE:
        return True
    return (kind_id == COMPLAINANT_KIND and case.closed_kind is ClosedKind.NOT_INITIATED
            and case.origin is Origin.COMPLAINT and case.complainant_real_name is True)


def check_writable(case: Case, kind_id: str) -> None:
    """Raise ValidationFailed ``record.case_archived`` (Art. 39) unless ``writable``."""
    if not writable(case, kind_id):
        raise ValidationFailed("案件已进入归档环节，不能再增改记录",
                               "the case is archived; its records can no longer change",
                               code="record.case_archived", article="第三十九条")


def check_stage_for(kind: RecordKind, case: Case, stage: Stage) -> None:
    """Raise ValidationFailed unless a record of ``kind`` may be made on ``case`` at ``stage``: the
    kind applies to the case's action type, procedure and origin, lists ``stage``, and the case has
    reached ``stage`` (earlier stages may be completed, later ones not yet)."""
    problems = Problems()
    if not kind.applies_to(case.action_type, case.procedure, case.origin):
        problems.add("kind", f"“{kind.name}”不适用于本案的执法行为类别、程序或案件来源",
                     f"{kind.id} does not apply to this case's action type, procedure or origin")
    elif stage not in kind.stages:
        problems.add("stage", f"“{kind.name}”属于{'、'.join(STAGE_LABELS[s] for s in kind.stages)}环节",
                     f"{kind.id} belongs to {', '.join(s.value for s in kind.stages)}")
    elif STAGE_ORDER.index(stage) > STAGE_ORDER.index(case.stage):
        problems.add("stage", f"案件尚未进入“{STAGE_LABELS[stage]}”环节", f"the case has not reached {stage.value}")
    problems.raise_if_any()


def changed_fields(before: RecordVersion | None, after: RecordVersion) -> list[str]:
    """The names of what differs between two versions (field ids, and ``officers``,
    ``rights_method``, ``av_media_ids``, ``av_waiver`` when they differ)."""
    if before is None:
        return []
    names = sorted(set(before.values) | set(after.values))
    out = [n for n in names if before.values.get(n) != after.values.get(n)]
    for attr in ("officers", "rights_method", "av_media_ids", "av_waiver"):
        if getattr(before, attr) != getattr(after, attr):
            out.append(attr)
    return out


# ---- signatures and completeness ---------------------------------------------------------------

def needed(spec: SignerSpec, version: Versioned) -> int:
    """How many signatures of ``spec.capacity`` the version needs."""
    if spec.count_from:
        listed = version.values.get(spec.count_from)
        return max(spec.count, len(listed) if isinstance(listed, list) else 0)
    return spec.count


@dataclass(frozen=True)
class SignatureSlot:
    capacity: Capacity
    label: str
    needed: int
    given: int
    refused: int

    @property
    def done(self) -> bool:
        return self.given + self.refused >= self.needed


@dataclass(frozen=True)
class Completeness:
    slots: tuple[SignatureSlot, ...]
    av_missing: bool

    @property
    def signatures_complete(self) -> bool:
        return all(s.done for s in self.slots)

    @property
    def complete(self) -> bool:
        return self.signatures_complete and not self.av_missing


def completeness(kind: RecordKind, version: Versioned, signatures: Sequence[Signed]) -> Completeness:
    """Whether every required signature of ``version`` is given or refused with a witness (Art. 13),
    and whether a required simultaneous AV record is linked or waived with a reason (Art. 14)."""
    mine = [s for s in signatures if s.record_id == version.record_id and s.record_version == version.version]
    slots = tuple(SignatureSlot(
        capacity=spec.capacity, label=spec.label or CAPACITY_LABELS[spec.capacity], needed=needed(spec, version),
        given=sum(1 for s in mine if s.capacity is spec.capacity and not s.refused),
        refused=sum(1 for s in mine if s.capacity is spec.capacity and s.refused and s.witness_name))
        for spec in kind.signers)
    return Completeness(slots, av_missing(kind, version))


def av_missing(kind: RecordKind, version: Versioned) -> bool:
    """A simultaneous AV record the kind requires is neither linked nor waived (Art. 14)."""
    return kind.av is AvRule.REQUIRED and not version.av_media_ids and not version.av_waiver


def short_of(kind: RecordKind, version: Versioned, mine: Sequence[Signed]) -> tuple[str, ...]:
    """The capacities (values, in the order of ``kind.signers``) whose slots of ``completeness``
    are not done, given ``mine``: the version's own signatures. The same answer counted directly,
    without building the slots (the engine asks it of every record version; decision 0044)."""
    if not kind.signers:
        return ()
    counted: dict[Capacity, int] = {}
    for s in mine:
        if not s.refused or s.witness_name:  # given, or refused before a witness
            counted[s.capacity] = counted.get(s.capacity, 0) + 1
    return tuple(spec.capacity.value for spec in kind.signers if counted.get(spec.capacity, 0) < needed(spec, version))


def check_refusal_allowed(capacity: Capacity) -> None:
    if capacity not in MAY_REFUSE:
        problems = Problems()
        problems.add("capacity", f"{CAPACITY_LABELS[capacity]}不能拒绝签名；拒签只适用于当事人、见证人等有关人员",
                     f"a {capacity.value} cannot refuse; refusals are for the party and other persons (Art. 13)")
        problems.raise_if_any()


# ---- what is missing, per stage (the hook for the compliance rules) ------------------------------

class GapKind(StrEnum):
    RECORD = "record"  # a required record of the stage is missing
    SIGNATURES = "signatures"  # a record lacks signatures or refusals with a witness (Art. 13)
    AV = "av"  # a record lacks its simultaneous AV record or the reason why not (Art. 14)


@dataclass(frozen=True)
class Gap:
    stage: Stage
    gap: GapKind
    kind_id: str
    kind_name: str
    articles: tuple[str, ...]
    record_id: UUID | None = None
    overdue: bool = False  # the case has moved past the stage
    missing: tuple[str, ...] = field(default_factory=tuple)  # capacities short of signatures


_ORDER = {s: i for i, s in enumerate(STAGE_ORDER)}


def _latest(versions: Sequence[V]) -> dict[UUID, V]:
    out: dict[UUID, V] = {}
    for v in versions:
        if v.record_id not in out or v.version > out[v.record_id].version:
            out[v.record_id] = v
    return out


def missing_records(case: Case, reached: Collection[Stage], catalogues: Mapping[int, Catalogue],
                    current: Catalogue, versions: Sequence[Versioned],
                    signatures: Sequence[Signed]) -> list[Gap]:
    """What the case still lacks, per stage, as pure data for the compliance rules. ``reached``
    holds the stages the case has entered (its stage history); ``catalogues`` the catalogue
    versions the records were made under (``current`` stands in for any not given).

    - a ``required`` kind of the ``current`` catalogue that applies to the case and one of whose
      stages the case entered, when no record of it (or of its ``group``) exists; ``overdue`` once
      the case has moved past the kind's last stage. A case closed without a decision owes only
      the kinds of stages it went beyond before it was closed;
    - for each record (its latest version, judged by the catalogue version it was made under):
      signatures neither given nor refused with a witness (Art. 13), and a required AV record
      neither linked nor waived with a reason (Art. 14); ``overdue`` once the case has moved past
      the record's stage."""
    now_index = _ORDER[case.stage]
    latest = _latest([v for v in versions if v.case_id == case.id])
    # The furthest stage worked in (the archive aside): a closed case owes a kind only if it went beyond it.
    worked = max((_ORDER[s] for s in reached if s is not Stage.ARCHIVE), default=-1)
    entered = reached if isinstance(reached, frozenset | set) else frozenset(reached)
    closed = case.closed
    gaps: list[Gap] = []
    present_kinds = {v.kind_id for v in latest.values()}
    present_groups = {k.group for kind_id in present_kinds if (k := current.kind(kind_id)) is not None and k.group}
    for kind in current.required_for(case.action_type, case.procedure, case.origin):
        if entered.isdisjoint(kind.stages):
            continue
        last = _ORDER[kind.stages[-1]]
        if closed and worked <= last:
            continue
        if kind.id in present_kinds or (kind.group and kind.group in present_groups):
            continue
        gaps.append(Gap(kind.stages[-1], GapKind.RECORD, kind.id, kind.name, kind.articles, overdue=now_index > last))
    signed: dict[tuple[UUID, int], list[Signed]] = {}  # each version's own, so each is looked at once
    for s in signatures:
        signed.setdefault((s.record_id, s.record_version), []).append(s)
    for version in latest.values():
        made_under = (catalogues.get(version.catalogue_version) or current).kind(version.kind_id)
        if made_under is None:
            continue
        overdue = now_index > _ORDER[version.stage]
        short = short_of(made_under, version, signed.get((version.record_id, version.version), ()))
        if short:
            gaps.append(Gap(version.stage, GapKind.SIGNATURES, made_under.id, made_under.name, ("第十三条",),
                            version.record_id, overdue, short))
        if av_missing(made_under, version):
            gaps.append(Gap(version.stage, GapKind.AV, made_under.id, made_under.name, ("第十四条",),
                            version.record_id, overdue))
    return sorted(gaps, key=lambda g: (_ORDER[g.stage], g.gap.value, g.kind_id))
