"""The supervisor's dashboard (issue 6 item 8): rates per unit and rule, as pure arithmetic.

Every measure is a ``numerator / denominator`` pair per unit, so a bureau's rate is the sum of
its units' numerators over the sum of their denominators (never an average of percentages).
A denominator of 0 gives no rate (``None``, shown as "—"): no activities is not 100 % activation.

Metrics (``Metric.metric``):

- ``compliance``  — subjects (originals, hand-ins, activities, cases) without an overdue finding;
- ``rule:<id>``   — the subjects a rule checks that it does not find overdue;
- ``ingest24h``   — originals stored within 24 h of their hand-in (Art. 41);
- ``activation``  — on-site activities with any audio/video (Art. 32);
- ``overdue``     — the number of overdue findings (denominator 0: a count, not a rate).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from lawtrail.domain.findings import Finding, FindingStatus

COMPLIANCE = "compliance"
INGEST_24H = "ingest24h"
ACTIVATION = "activation"
OVERDUE = "overdue"
RULE_PREFIX = "rule:"

#: The subject types whose population each rule checks; other rules (cases) check cases.
RULE_SUBJECTS: dict[str, tuple[str, ...]] = {
    "ART41-STORED-24H": ("media", "handin"),
    "ART42-REGISTRATION-COMPLETE": ("media",),
    "ART43-EVIDENCE-NOTE": ("media",),
    "ART43-RETENTION": ("media",),
    "ART32-AV-REQUIRED": ("activity",),
    "ART35-CONTINUITY": ("activity",),
    "ART36-INTERRUPTION-EXPLAINED": ("activity",),
}
DEFAULT_SUBJECTS: tuple[str, ...] = ("case",)
SUBJECT_TYPES: tuple[str, ...] = ("media", "handin", "activity", "case")


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator``, None when the denominator is 0.

    Raise ValueError for a negative count or a numerator above the denominator."""
    if numerator < 0 or denominator < 0:
        raise ValueError("counts are never negative")
    if denominator == 0:
        return None
    if numerator > denominator:
        raise ValueError("a part cannot exceed the whole")
    return numerator / denominator


def percent(value: float | None) -> str:
    """``87.5%``; ``—`` without a rate."""
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass(frozen=True)
class Metric:
    """One measure of one unit: ``numerator`` of ``denominator``."""

    unit_id: str
    metric: str
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return rate(self.numerator, self.denominator) if self.metric != OVERDUE else None


@dataclass(frozen=True)
class SnapshotRow:
    """A metric of one unit on one day (the bureau's local date), as last computed at ``taken_at``."""

    bureau_id: str
    day: date
    unit_id: str
    metric: str
    numerator: int
    denominator: int
    taken_at: datetime


@dataclass(frozen=True)
class Facts:
    """What the metrics are computed from: the findings at the time, the number of subjects per
    (unit id, subject type), and per unit the activities with AV and in all."""

    findings: list[Finding]
    population: Mapping[tuple[str, str], int]
    activities_with_av: Mapping[str, int]
    activities: Mapping[str, int]


def _breached(findings: Iterable[Finding]) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(unit, rule) → the subjects (type, id) with an overdue finding of that rule."""
    out: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for f in findings:
        if f.status is FindingStatus.OVERDUE and f.unit_id:
            out[(f.unit_id, f.rule.id)].add((f.subject.type, f.subject.id))
    return out


def metrics(facts: Facts, units: Iterable[str], rule_ids: Iterable[str]) -> list[Metric]:
    """Every metric of every unit in ``units`` (rules in ``rule_ids``), from ``facts``."""
    breached = _breached(facts.findings)
    rules = list(rule_ids)
    out: list[Metric] = []
    for unit in units:
        pop = {t: facts.population.get((unit, t), 0) for t in SUBJECT_TYPES}
        bad_any = {s for r in rules for s in breached.get((unit, r), set()) if s[0] in pop}
        out.append(Metric(unit, COMPLIANCE, sum(pop.values()) - len(bad_any), sum(pop.values())))
        for rule in rules:
            types = RULE_SUBJECTS.get(rule, DEFAULT_SUBJECTS)
            whole = sum(pop[t] for t in types if t in pop)
            bad = sum(1 for s in breached.get((unit, rule), set()) if s[0] in types)
            out.append(Metric(unit, RULE_PREFIX + rule, max(whole - bad, 0), whole))
        late = {f.subject.id for f in facts.findings if f.rule.id == "ART41-STORED-24H"
                and f.subject.type == "media" and f.unit_id == unit}
        out.append(Metric(unit, INGEST_24H, max(pop["media"] - len(late), 0), pop["media"]))
        out.append(Metric(unit, ACTIVATION, facts.activities_with_av.get(unit, 0), facts.activities.get(unit, 0)))
        overdue = sum(1 for f in facts.findings if f.unit_id == unit and f.status is FindingStatus.OVERDUE)
        out.append(Metric(unit, OVERDUE, overdue, 0))
    return out


def combined(rows: Iterable[Metric], metric: str) -> tuple[int, int]:
    """The sum of numerators and of denominators of ``metric`` over units."""
    num = den = 0
    for row in rows:
        if row.metric == metric:
            num += row.numerator
            den += row.denominator
    return num, den


def series(rows: Iterable[SnapshotRow], metric: str, unit_ids: frozenset[str] | None = None
           ) -> list[tuple[date, float | None]]:
    """The rate of ``metric`` (of ``unit_ids``, all when None) per day, oldest first."""
    per_day: dict[date, tuple[int, int]] = {}
    for row in rows:
        if row.metric != metric or (unit_ids is not None and row.unit_id not in unit_ids):
            continue
        num, den = per_day.get(row.day, (0, 0))
        per_day[row.day] = (num + row.numerator, den + row.denominator)
    return [(day, rate(*per_day[day])) for day in sorted(per_day)]


def count_series(rows: Iterable[SnapshotRow], metric: str) -> list[tuple[date, int]]:
    """The summed numerator of a count metric (``overdue``) per day, oldest first."""
    per_day: dict[date, int] = defaultdict(int)
    for row in rows:
        if row.metric == metric:
            per_day[row.day] += row.numerator
    return sorted(per_day.items())
