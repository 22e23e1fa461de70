"""What every rule module shares: the settings a rule is evaluated with, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lawtrail.domain.evidence import LEGAL_MINIMUM_MONTHS, RetentionPolicy
from lawtrail.domain.findings import DUE_SOON
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.rules.continuity import ContinuityPolicy


@dataclass(frozen=True)
class RuleSettings:
    """Deadlines and windows that are configuration (DESIGN.md rule 6), built once from Settings.

    ``due_soon``: how long before a deadline a finding turns ``due_soon``;
    ``registration_grace``: how long after storage the Art. 42 registration must be complete;
    ``retention``: the retention classes read from retention.yaml;
    ``continuity``: the Art. 32/35/36 tolerances and deadlines of on-site activities;
    ``complainant_notice``: how long after a real-name complaint is closed without initiation the
    complainant must have been told (Art. 10)."""

    due_soon: timedelta = DUE_SOON
    registration_grace: timedelta = timedelta(hours=24)
    retention: RetentionPolicy = field(default_factory=lambda: RetentionPolicy(LEGAL_MINIMUM_MONTHS))
    continuity: ContinuityPolicy = field(default_factory=ContinuityPolicy)
    complainant_notice: timedelta = timedelta(days=5)  # Art. 10: tell the complainant within this


def local(value: datetime) -> str:
    """A time as people at the bureau read it (China Standard Time), for messages."""
    return value.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M")


def hours(delta: timedelta) -> str:
    """A duration in hours with one decimal, e.g. ``3.5``."""
    return f"{delta.total_seconds() / 3600:.1f}"
