"""Hand-ins of footage (Art. 41), evidence use and retention of originals (Art. 43, 44).

A ``Handin`` (交接登记) records that the footage of one device was handed to the unit's
archivist, when, and — for the exceptions of Art. 41 (long continuous work, out-of-town, on
water, remote area) — when the officer returned. It is never changed: its completion (all the
footage stored) is a separate ``HandinCompletion`` that links the stored originals to it.

A ``MediaMark`` is one version of what is known about an original's use: marked as evidence
with the written note (who collected it, when, where — Art. 43), the Art. 44 situations, and
the retention class that follows. A correction is a new version (DESIGN.md rule 4).

Retention periods are configuration (DESIGN.md rule 6): ``parse_retention`` validates the
plain mapping read from ``lawtrail/data/retention.yaml``; the six-month floor of Art. 43 is
law, not configuration, and is checked here.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from lawtrail.errors import ConfigurationError

#: Error codes of the Conflicts the repositories raise (SQL adapter, fakes and services agree).
HANDIN_COMPLETED = "handin.completed"
MEDIA_LINKED = "handin.media_linked"
MARK_VERSION_TAKEN = "media.mark_version_taken"

#: Art. 41: the archivist stores the footage within 24 hours.
STORE_WITHIN = timedelta(hours=24)
#: Art. 43: when no other rule fixes a period, records are kept at least six months.
LEGAL_MINIMUM_MONTHS = 6


class HandinException(StrEnum):
    """The Art. 41 cases in which footage is stored within 24 h of the return to the unit."""

    LONG_CONTINUOUS_WORK = "long_continuous_work"
    OUT_OF_TOWN = "out_of_town"
    ON_WATER = "on_water"
    REMOTE_AREA = "remote_area"


HANDIN_EXCEPTION_LABELS: dict[HandinException, str] = {
    HandinException.LONG_CONTINUOUS_WORK: "连续工作",
    HandinException.OUT_OF_TOWN: "异地执法",
    HandinException.ON_WATER: "水上执法",
    HandinException.REMOTE_AREA: "边远、交通不便地区执法",
}


class Situation(StrEnum):
    """The Art. 44 situations that require long-term retention."""

    OBJECTION = "objection"  # 异议、投诉、上访
    OBSTRUCTION = "obstruction"  # 逃避、拒绝、阻碍；谩骂、侮辱、殴打执法人员
    MASS_INCIDENT = "mass_incident"  # 群体性事件、突发事件
    OTHER = "other"  # 其他需要长期保存的重要情况


SITUATION_LABELS: dict[Situation, str] = {
    Situation.OBJECTION: "当事人对现场执法有异议或投诉、上访",
    Situation.OBSTRUCTION: "逃避、拒绝、阻碍执法，或谩骂、侮辱、殴打执法人员",
    Situation.MASS_INCIDENT: "参与处置群体性事件、突发事件",
    Situation.OTHER: "其他需要长期保存的重要情况",
}


class RetentionClass(StrEnum):
    STANDARD = "standard"  # a fixed period, at least six months
    LONG_TERM = "long_term"  # kept indefinitely (evidence, Art. 44)
    ARCHIVAL = "archival"  # part of an archived case file (案卷): the archives rules' period (Art. 39)


RETENTION_LABELS: dict[RetentionClass, str] = {
    RetentionClass.STANDARD: "一般保存",
    RetentionClass.LONG_TERM: "长期保存",
    RetentionClass.ARCHIVAL: "归档保存（案卷）",
}

#: The archives rules' shortest fixed period (定期 10 年) and the default for case files (定期 30 年).
ARCHIVAL_MIN_MONTHS = 120
ARCHIVAL_DEFAULT_MONTHS = 360


@dataclass(frozen=True)
class Handin:
    """One hand-in of a device's footage; ``returned_at`` is set exactly when ``exception`` is."""

    id: UUID
    bureau_id: UUID
    unit_id: UUID
    device_id: UUID
    device_number: str
    officer_id: UUID | None
    handed_in_at: datetime
    exception: HandinException | None
    returned_at: datetime | None
    note: str
    recorded_by_id: UUID | None
    recorded_by_name: str
    recorded_at: datetime

    @property
    def deadline(self) -> datetime:
        """When the footage must be stored: 24 h after the hand-in, or after the return (Art. 41)."""
        return storage_deadline(self.handed_in_at, self.exception, self.returned_at)


@dataclass(frozen=True)
class HandinCompletion:
    """The statement that all of a hand-in's footage is stored, with the originals it covers."""

    handin_id: UUID
    completed_at: datetime
    actor_id: UUID | None
    actor_name: str
    media_ids: tuple[UUID, ...]


@dataclass(frozen=True)
class MediaMark:
    """Version ``version`` of an original's evidence use, Art. 44 situations and retention."""

    media_id: UUID
    version: int
    evidence: bool
    collector: str  # 取证人员
    collected_at: datetime | None  # 取证时间
    place: str  # 取证地点
    situations: tuple[Situation, ...]
    situation_note: str
    retention: RetentionClass
    retain_until: datetime | None  # None for long_term
    actor_id: UUID | None
    actor_name: str
    at: datetime

    @property
    def needs_long_term(self) -> bool:
        return self.evidence or bool(self.situations)

    def missing_note_items(self) -> tuple[str, ...]:
        """The parts of the Art. 43 written note not yet given (empty unless marked as evidence)."""
        if not self.evidence:
            return ()
        given = {"collector": bool(self.collector.strip()), "collected_at": self.collected_at is not None,
                 "place": bool(self.place.strip())}
        return tuple(k for k, ok in given.items() if not ok)


NOTE_ITEM_LABELS: dict[str, tuple[str, str]] = {
    "collector": ("取证人员", "who collected it"),
    "collected_at": ("取证时间", "when"),
    "place": ("取证地点", "where"),
}


def storage_deadline(handed_in_at: datetime, exception: HandinException | None,
                     returned_at: datetime | None) -> datetime:
    """Art. 41: ``returned_at`` + 24 h for a recorded exception, else ``handed_in_at`` + 24 h."""
    if exception is not None and returned_at is not None:
        return returned_at + STORE_WITHIN
    return handed_in_at + STORE_WITHIN


def add_months(when: datetime, months: int) -> datetime:
    """``when`` plus whole calendar months; the day is clamped to the month's length."""
    total = when.month - 1 + months
    year, month = when.year + total // 12, total % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class RetentionPolicy:
    """The configured retention: ``standard_months`` (≥ six) from capture; long-term is indefinite."""

    standard_months: int
    version: int = 1
    archival_months: int = ARCHIVAL_DEFAULT_MONTHS  # an archived case file's items, from the case's end

    def standard_until(self, base: datetime) -> datetime:
        return add_months(base, self.standard_months)

    def archival_until(self, concluded: datetime) -> datetime:
        return add_months(concluded, self.archival_months)


def legal_minimum_until(base: datetime) -> datetime:
    """The earliest a standard original may be disposed of (Art. 43: six months from ``base``)."""
    return add_months(base, LEGAL_MINIMUM_MONTHS)


def _config_error(zh: str, en: str) -> ConfigurationError:
    return ConfigurationError(f"保存期限配置无效：{zh}", f"invalid retention configuration: {en}",
                              code="config.retention", article="第四十三条")


def parse_retention(data: Any) -> RetentionPolicy:
    """Validate the mapping read from retention.yaml; raise ConfigurationError (``config.retention``).

    Expected: ``{"version": 1, "classes": {"standard": {"months": N}, "long_term": {"months": None}}}``
    with ``N`` a whole number of at least six (Art. 43) and at most 1200; optionally also
    ``"archival": {"months": A}`` (case files, Art. 39) with ``A`` from 120 (定期 10 年) to 1200."""
    if not isinstance(data, Mapping):
        raise _config_error("顶层应为映射", "the top level must be a mapping")
    if data.get("version") != 1:
        raise _config_error("version 应为 1", "version must be 1")
    classes = data.get("classes")
    if not isinstance(classes, Mapping) or set(classes) - {"archival"} != {"standard", "long_term"}:
        raise _config_error("classes 应包含 standard 与 long_term（可另有 archival）",
                            "classes must hold standard and long_term (and optionally archival)")
    standard, long_term = classes["standard"], classes["long_term"]
    months = standard.get("months") if isinstance(standard, Mapping) else None
    if isinstance(months, bool) or not isinstance(months, int) or not LEGAL_MINIMUM_MONTHS <= months <= 1200:
        raise _config_error(f"standard.months 应为 {LEGAL_MINIMUM_MONTHS}–1200 的整数（不得少于六个月）",
                            f"standard.months must be a whole number from {LEGAL_MINIMUM_MONTHS} to 1200")
    if not isinstance(long_term, Mapping) or long_term.get("months") is not None:
        raise _config_error("long_term.months 应为空（长期保存）", "long_term.months must be null (indefinite)")
    return RetentionPolicy(standard_months=months, version=1, archival_months=_archival_months(classes))


def _archival_months(classes: Mapping[str, Any]) -> int:
    archival = classes.get("archival", {"months": ARCHIVAL_DEFAULT_MONTHS})
    months = archival.get("months") if isinstance(archival, Mapping) else None
    if isinstance(months, bool) or not isinstance(months, int) or not ARCHIVAL_MIN_MONTHS <= months <= 1200:
        raise _config_error(f"archival.months 应为 {ARCHIVAL_MIN_MONTHS}–1200 的整数（案卷定期保存不少于十年）",
                            f"archival.months must be a whole number from {ARCHIVAL_MIN_MONTHS} to 1200")
    return months
