"""Compliance findings: what a rule of the regulation says is missing or late (DESIGN.md rule 3).

A ``RuleSpec`` describes one rule (id such as ``ART41-STORED-24H``, the article it cites, a
severity and a zh/en message); rule functions under ``domain/rules/`` are pure functions over
plain data that return ``Finding`` objects. A finding is always about one subject (a media
file, an activity, a case …) and, when the rule is a deadline, carries ``due_at``; its status
is worked out from ``due_at`` and the time of evaluation:

- ``overdue``  — the deadline has passed (or the rule has no deadline and is simply broken);
- ``due_soon`` — the deadline is within the warning window (``DUE_SOON`` by default);
- ``open``     — a deadline further away.

``Finding.to_json`` gives the interface DESIGN.md fixes: ``rule``, ``article``, ``severity``,
``subject``, ``message_zh``, ``message_en``, ``due_at``, ``status``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from lawtrail.domain.events import format_time

#: How long before a deadline a finding turns from ``open`` to ``due_soon``.
DUE_SOON = timedelta(hours=6)


class Severity(StrEnum):
    ERROR = "error"  # the rule is broken, or will be at ``due_at``
    WARNING = "warning"  # something is incomplete that should be completed


class FindingStatus(StrEnum):
    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


STATUS_LABELS: dict[FindingStatus, str] = {
    FindingStatus.OPEN: "待完成",
    FindingStatus.DUE_SOON: "即将到期",
    FindingStatus.OVERDUE: "已逾期",
}


@dataclass(frozen=True)
class RuleSpec:
    """One compliance rule: ``id`` like ``ART42-REGISTRATION-COMPLETE``, ``article`` like ``第四十二条``."""

    id: str
    article: str
    severity: Severity
    title_zh: str
    title_en: str


@dataclass(frozen=True)
class Subject:
    """What a finding is about: ``type`` (``media``, ``activity``, ``handin`` …), id and a readable name."""

    type: str
    id: str
    name: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "name": self.name}


@dataclass(frozen=True)
class Finding:
    """One rule broken (or about to be) by one subject. ``message_*`` say exactly what is missing."""

    rule: RuleSpec
    subject: Subject
    message_zh: str
    message_en: str
    status: FindingStatus
    due_at: datetime | None = None
    unit_id: str | None = None  # for filtering and accountability (Art. 48)
    people: tuple[str, ...] = field(default_factory=tuple)  # user ids directly responsible, if known

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "article": self.rule.article,
            "severity": self.rule.severity.value,
            "subject": self.subject.to_json(),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "due_at": format_time(self.due_at) if self.due_at else None,
            "status": self.status.value,
            "unit_id": self.unit_id,
            "people": list(self.people),
        }


def status_at(due_at: datetime | None, now: datetime, *, due_soon: timedelta = DUE_SOON) -> FindingStatus:
    """The status of an unmet requirement at ``now``: no deadline or past it → overdue; within
    ``due_soon`` of it → due_soon; else open. Raise ValueError for naive datetimes."""
    if now.utcoffset() is None or (due_at is not None and due_at.utcoffset() is None):
        raise ValueError("status_at needs timezone-aware datetimes")
    if due_at is None or now >= due_at:
        return FindingStatus.OVERDUE
    if due_at - now <= due_soon:
        return FindingStatus.DUE_SOON
    return FindingStatus.OPEN


def finding(rule: RuleSpec, subject: Subject, zh: str, en: str, *, now: datetime,
            due_at: datetime | None = None, due_soon: timedelta = DUE_SOON, unit_id: str | None = None,
            people: tuple[str, ...] = ()) -> Finding:
    """Build a finding whose status follows from ``due_at`` and ``now`` (see ``status_at``)."""
    return Finding(rule=rule, subject=subject, message_zh=zh, message_en=en,
                   status=status_at(due_at, now, due_soon=due_soon), due_at=due_at,
                   unit_id=unit_id, people=people)
