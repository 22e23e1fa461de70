"""The evidence vault's records: one write-once row per original, and its Art. 42 registration.

A ``MediaRecord`` describes one stored original (addressed by its SHA-256) and is never
changed. The registration (登记: unit name, enforcement category, device number, officer, time
of use, party, case name) is kept as numbered versions: a correction is a new version, the
earlier ones stay (DESIGN.md rule 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

from lawtrail.domain.cases import ACTION_TYPE_LABELS, ActionType
from lawtrail.domain.media import MediaType
from lawtrail.domain.org import Problems, clean_text

#: Error code of the Conflict raised when a digest is already registered (repository and service agree).
MEDIA_EXISTS = "media.exists"
#: Error code of the Conflict raised when a registration version was taken by someone else first.
REGISTRATION_STALE = "media.registration_stale"


@dataclass(frozen=True)
class MediaRecord:
    id: UUID
    sha256: str
    size: int
    media_type: MediaType
    original_name: str
    facts: dict[str, Any]  # MediaFacts.to_json()
    probe_ok: bool
    device_id: UUID
    officer_id: UUID | None
    unit_id: UUID
    bureau_id: UUID
    captured_at: datetime | None
    captured_end: datetime | None
    handed_in_at: datetime
    stored_at: datetime
    clock_offset_s: float | None  # device clock minus station clock at hand-in; None = not read
    ingested_by: str
    created_at: datetime


class Original(Protocol):
    """What the vault rules read of an original (``MediaRecord`` is one; so is the compliance
    engine's narrow ``OriginalFact``, decision 0044)."""

    @property
    def id(self) -> UUID: ...
    @property
    def sha256(self) -> str: ...
    @property
    def original_name(self) -> str: ...
    @property
    def unit_id(self) -> UUID: ...
    @property
    def officer_id(self) -> UUID | None: ...
    @property
    def captured_at(self) -> datetime | None: ...
    @property
    def handed_in_at(self) -> datetime: ...
    @property
    def stored_at(self) -> datetime: ...


#: The properties of ``Original``, in the order of ``OriginalFact``'s constructor.
ORIGINAL_FIELDS = ("id", "sha256", "original_name", "unit_id", "officer_id", "captured_at", "handed_in_at",
                   "stored_at")


@dataclass(frozen=True, slots=True)
class OriginalFact:
    """Only what the vault rules read of an original: the engine reads every original in scope,
    and the other columns (the probe's facts as JSON, device, bureau, five more times) cost more
    to convert than the rules cost to run (decision 0044)."""

    id: UUID
    sha256: str
    original_name: str
    unit_id: UUID
    officer_id: UUID | None
    captured_at: datetime | None
    handed_in_at: datetime
    stored_at: datetime


@dataclass(frozen=True)
class Registration:
    """Version ``version`` of a file's Art. 42 registration; empty strings are items not yet given."""

    media_id: UUID
    version: int
    unit_name: str
    category: str
    device_number: str
    officer_id: UUID | None
    officer_name: str
    used_from: datetime | None
    used_to: datetime | None
    party: str
    case_name: str
    actor_id: UUID | None
    actor_name: str
    at: datetime


# --- Art. 42 registration: the seven items, the enforcement categories, corrections -----------


#: 执法类别 (Art. 42) and a case's 执法行为类别 are the same seven kinds of administrative
#: enforcement action of Art. 2: ONE definition, ``domain.cases.ActionType``, named here as the
#: vault has always named it (a case's action type prefills a clip's category).
EnforcementCategory = ActionType
CATEGORY_LABELS: dict[ActionType, str] = ACTION_TYPE_LABELS


class RegistrationItem(StrEnum):
    """The seven items of Art. 42, in the article's order."""

    UNIT_NAME = "unit_name"  # 执法机构名称
    CATEGORY = "category"  # 执法类别
    DEVICE_NUMBER = "device_number"  # 执法记录设备编号
    OFFICER = "officer"  # 执法人员信息
    TIME_OF_USE = "time_of_use"  # 使用时间
    PARTY = "party"  # 当事人
    CASE_NAME = "case_name"  # 案由名称


_ITEM_VALUES = tuple(item.value for item in RegistrationItem)

ITEM_LABELS: dict[RegistrationItem, str] = {
    RegistrationItem.UNIT_NAME: "执法机构名称",
    RegistrationItem.CATEGORY: "执法类别",
    RegistrationItem.DEVICE_NUMBER: "执法记录设备编号",
    RegistrationItem.OFFICER: "执法人员信息",
    RegistrationItem.TIME_OF_USE: "使用时间",
    RegistrationItem.PARTY: "当事人",
    RegistrationItem.CASE_NAME: "案由名称",
}

#: Column lengths of ``media_registrations`` (the validation keeps within them).
UNIT_NAME_MAX, CATEGORY_MAX, DEVICE_NUMBER_MAX, OFFICER_NAME_MAX = 100, 50, 40, 100
PARTY_MAX, CASE_NAME_MAX, REASON_MAX = 200, 200, 500


def _blank(value: str) -> bool:
    return not value.strip()


def missing_items(reg: Registration | None) -> list[str]:
    """The Art. 42 items that ``reg`` leaves empty, as ``RegistrationItem`` values in the article's
    order; ``[]`` means the registration is complete. No registration at all misses all seven.

    A text item is empty when it is blank after stripping whitespace; the category is empty when
    blank (an unknown value is a validation error, never stored); the officer is given by an id or
    a name; the time of use needs both its start and its end."""
    if reg is None:
        return list(_ITEM_VALUES)
    present = (  # in the order of RegistrationItem (a tuple: the engine asks this of every original)
        not _blank(reg.unit_name),
        not _blank(reg.category),
        not _blank(reg.device_number),
        reg.officer_id is not None or not _blank(reg.officer_name),
        reg.used_from is not None and reg.used_to is not None,
        not _blank(reg.party),
        not _blank(reg.case_name),
    )
    return [value for value, ok in zip(_ITEM_VALUES, present, strict=True) if not ok]


@dataclass(frozen=True)
class RegistrationInput:
    """A checked correction: the items as they will be stored, and why they were changed."""

    unit_name: str
    category: str
    device_number: str
    officer_id: UUID | None
    used_from: datetime | None
    used_to: datetime | None
    party: str
    case_name: str
    reason: str


def check_registration(*, unit_name: str, category: str, device_number: str, officer_id: UUID | None,
                       used_from: datetime | None, used_to: datetime | None, party: str, case_name: str,
                       reason: str) -> RegistrationInput:
    """Clean and check a correction of the Art. 42 items; raise ValidationFailed naming every bad
    field. Items may be left empty (the registration is then incomplete, a finding, not an error);
    the reason may not: a correction without a reason is not traceable."""
    problems = Problems()
    unit_name = clean_text(unit_name, "unit_name", "执法机构名称", problems, max_len=UNIT_NAME_MAX, required=False)
    category = (category or "").strip()
    if category and category not in EnforcementCategory.__members__.values():
        problems.add("category", "执法类别须为：" + "、".join(CATEGORY_LABELS.values()),
                     "category must be one of " + ", ".join(c.value for c in EnforcementCategory))
    device_number = clean_text(device_number, "device_number", "设备编号", problems,
                               max_len=DEVICE_NUMBER_MAX, required=False)
    party = clean_text(party, "party", "当事人", problems, max_len=PARTY_MAX, required=False)
    case_name = clean_text(case_name, "case_name", "案由名称", problems, max_len=CASE_NAME_MAX, required=False)
    reason = clean_text(reason, "reason", "更正原因", problems, max_len=REASON_MAX, required=True)
    _check_times(used_from, used_to, problems)
    problems.raise_if_any()
    return RegistrationInput(unit_name=unit_name, category=category, device_number=device_number,
                             officer_id=officer_id, used_from=used_from, used_to=used_to, party=party,
                             case_name=case_name, reason=reason)


def _check_times(used_from: datetime | None, used_to: datetime | None, problems: Problems) -> None:
    for name, value in (("used_from", used_from), ("used_to", used_to)):
        if value is not None and value.utcoffset() is None:
            problems.add(name, "时间须带时区", f"{name} must carry a time zone")
            return
    if (used_from is None) != (used_to is None):
        problems.add("used_to" if used_to is None else "used_from", "使用时间须同时填写开始和结束",
                     "the time of use needs both a start and an end")
    elif used_from is not None and used_to is not None and used_to < used_from:
        problems.add("used_to", "使用结束时间不能早于开始时间", "the end of use must not be before its start")


# --- serving originals: the content type a browser gets ----------------------------------------

_TYPES_BY_SUFFIX: dict[str, str] = {
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".mkv": "video/x-matroska",
    ".webm": "video/webm", ".avi": "video/x-msvideo", ".3gp": "video/3gpp", ".ts": "video/mp2t",
    ".mpg": "video/mpeg", ".mpeg": "video/mpeg", ".flv": "video/x-flv",
    ".m4a": "audio/mp4", ".aac": "audio/aac", ".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
    ".opus": "audio/ogg", ".flac": "audio/flac", ".amr": "audio/amr", ".wma": "audio/x-ms-wma",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
    ".webp": "image/webp", ".heic": "image/heic", ".heif": "image/heif", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".bmp": "image/bmp",
}
_FALLBACK: dict[MediaType, str] = {MediaType.VIDEO: "video/mp4", MediaType.AUDIO: "audio/mpeg",
                                   MediaType.PHOTO: "image/jpeg"}
OCTET_STREAM = "application/octet-stream"


def content_type(media_type: MediaType, original_name: str) -> str:
    """The MIME type an original is served with: from the file name's suffix when it agrees with
    the probed media type, else a default for that type; ``application/octet-stream`` for media
    that could not be probed (never anything a browser would run, such as HTML or SVG)."""
    if media_type is MediaType.UNKNOWN:
        return OCTET_STREAM
    dot = original_name.rfind(".")
    by_suffix = _TYPES_BY_SUFFIX.get(original_name[dot:].lower()) if dot >= 0 else None
    family = {MediaType.VIDEO: "video/", MediaType.AUDIO: "audio/", MediaType.PHOTO: "image/"}[media_type]
    if by_suffix is not None and (by_suffix.startswith(family) or (media_type is MediaType.AUDIO
                                                                    and by_suffix.startswith("video/"))):
        return by_suffix if by_suffix.startswith(family) else by_suffix.replace("video/", "audio/", 1)
    return _FALLBACK[media_type]


# --- finding originals: the list's filters -------------------------------------------------------


@dataclass(frozen=True)
class MediaFilter:
    """What the media list asks for. ``unit_ids`` is the actor's scope (None: the whole bureau);
    the other fields are the user's filters, None meaning "any". Text filters (device number,
    party, case name) match a part of the latest registration's value, ignoring case;
    ``used_from``/``used_to`` keep originals whose time of use overlaps that range;
    ``incomplete`` True keeps registrations with a missing item, False complete ones."""

    bureau_id: UUID
    unit_ids: frozenset[UUID] | None = None
    unit_id: UUID | None = None
    category: str | None = None
    device_number: str | None = None
    officer_id: UUID | None = None
    used_from: datetime | None = None
    used_to: datetime | None = None
    party: str | None = None
    case_name: str | None = None
    media_type: MediaType | None = None
    incomplete: bool | None = None
    offset: int = 0
    limit: int = 50
    #: Only these originals (e.g. those with a finding of a rule), None meaning "any".
    media_ids: frozenset[UUID] | None = None


@dataclass(frozen=True)
class MediaRow:
    """One line of the list: the original and its latest registration (None if it has none)."""

    media: MediaRecord
    registration: Registration | None
