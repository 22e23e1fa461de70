"""The home page (工作台) and the unit dashboard (单位合规看板): pure sorting, grouping and
counting of compliance findings (no I/O; the service ``services.workbench`` loads the data).

- ``by_urgency``: overdue first, then due soon, then open; each by due time (no deadline last).
- ``grouped``: the findings in one group per status, at most ``limit`` shown per group, with
  how many more there are.
- ``case_of`` / ``on_cases``: which case a finding is about (a case, one of its records, an
  original linked to it), and the findings on a set of cases or naming a person.
- ``case_lines``: a person's open cases, each with its stage and how its findings stand, the
  cases with the most urgent findings first.
- ``unit_counts``: per unit, how many findings are open, due soon and overdue, broken down by
  rule (the rule carries its article).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from lawtrail.domain.cases import Case, Stage
from lawtrail.domain.findings import Finding, FindingStatus, RuleSpec

#: The statuses from the most urgent to the least.
URGENCY: tuple[FindingStatus, ...] = (FindingStatus.OVERDUE, FindingStatus.DUE_SOON, FindingStatus.OPEN)
_RANK = {s: i for i, s in enumerate(URGENCY)}
_FAR = datetime.max.replace(tzinfo=UTC)


def by_urgency(findings: Iterable[Finding]) -> list[Finding]:
    """The findings overdue → due soon → open; within a status by due time (none last), then
    rule and subject, so the order is stable."""
    return sorted(findings, key=lambda f: (_RANK[f.status], f.due_at or _FAR, f.rule.id, f.subject.id))


@dataclass(frozen=True)
class Group:
    """The findings of one status: ``items`` shown (most urgent first), ``total`` in all."""

    status: FindingStatus
    items: tuple[Finding, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def grouped(findings: Iterable[Finding], *, limit: int | None = None,
            statuses: Sequence[FindingStatus] = URGENCY) -> list[Group]:
    """One group per status of ``statuses`` (in that order; empty groups left out), each with at
    most ``limit`` findings (None: all)."""
    ordered = by_urgency(f for f in findings if f.status in statuses)
    out = []
    for status in statuses:
        items = [f for f in ordered if f.status is status]
        if items:
            out.append(Group(status, tuple(items if limit is None else items[:limit]), len(items)))
    return out


def status_counts(findings: Iterable[Finding]) -> dict[FindingStatus, int]:
    """How many findings have each status (every status present, zero included)."""
    counts = dict.fromkeys(URGENCY, 0)
    for f in findings:
        counts[f.status] += 1
    return counts


# ---- findings on cases ------------------------------------------------------------------------

#: (subject type, subject id) → the case it belongs to: records and the originals linked to a case.
SubjectIndex = Mapping[tuple[str, str], UUID]


def case_of(f: Finding, index: SubjectIndex) -> UUID | None:
    """The case ``f`` is about: the case itself, or the case of its record or linked original."""
    if f.subject.type == "case":
        try:
            return UUID(f.subject.id)
        except ValueError:
            return None
    return index.get((f.subject.type, f.subject.id))


def on_cases(findings: Iterable[Finding], case_ids: Iterable[UUID], index: SubjectIndex, *,
             person: UUID | None = None) -> list[Finding]:
    """The findings about any of ``case_ids`` (see ``case_of``) or naming ``person`` among the
    people directly responsible, most urgent first."""
    wanted = set(case_ids)
    who = str(person) if person is not None else None
    return by_urgency(f for f in findings if case_of(f, index) in wanted or (who is not None and who in f.people))


@dataclass(frozen=True)
class CaseLine:
    """One open case on a person's home page: its stage and its findings by status."""

    case: Case
    counts: dict[FindingStatus, int] = field(default_factory=lambda: dict.fromkeys(URGENCY, 0))

    @property
    def worst(self) -> FindingStatus | None:
        return next((s for s in URGENCY if self.counts[s]), None)


def open_case(case: Case) -> bool:
    """A case still being worked on: neither closed nor concluded (归档)."""
    return not case.closed and case.stage is not Stage.ARCHIVE


def handled_by(cases: Iterable[Case], handlers: Mapping[UUID, Sequence[UUID]], person: UUID) -> list[Case]:
    """The open cases ``person`` handles (``handlers``: case id → handler ids)."""
    return [c for c in cases if open_case(c) and person in handlers.get(c.id, ())]


def case_lines(cases: Iterable[Case], findings: Iterable[Finding], index: SubjectIndex) -> list[CaseLine]:
    """Each case with the counts of its findings by status; cases with overdue findings first,
    then due soon, then open, then none; within that, the most recently opened first."""
    lines = {c.id: CaseLine(c) for c in cases}
    for f in findings:
        case_id = case_of(f, index)
        if case_id in lines:
            lines[case_id].counts[f.status] += 1

    def key(line: CaseLine) -> tuple[int, float]:
        worst = line.worst
        return (_RANK[worst] if worst is not None else len(URGENCY), -line.case.opened_at.timestamp())

    return sorted(lines.values(), key=key)


# ---- the unit dashboard -----------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    """Open, due-soon and overdue findings of one unit (and rule)."""

    open: int = 0
    due_soon: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.open + self.due_soon + self.overdue

    def get(self, status: FindingStatus) -> int:
        return {FindingStatus.OPEN: self.open, FindingStatus.DUE_SOON: self.due_soon,
                FindingStatus.OVERDUE: self.overdue}[status]

    def plus(self, status: FindingStatus) -> Counts:
        return Counts(self.open + (status is FindingStatus.OPEN), self.due_soon + (status is FindingStatus.DUE_SOON),
                      self.overdue + (status is FindingStatus.OVERDUE))

    def to_json(self) -> dict[str, int]:
        return {"open": self.open, "due_soon": self.due_soon, "overdue": self.overdue, "total": self.total}


@dataclass(frozen=True)
class RuleCounts:
    rule: RuleSpec
    counts: Counts


@dataclass(frozen=True)
class UnitCounts:
    """One unit's findings (``unit_id`` None: the bureau's own, not of any unit) and per rule."""

    unit_id: str | None
    counts: Counts
    rules: tuple[RuleCounts, ...]

    def to_json(self) -> dict[str, object]:
        return {"unit_id": self.unit_id, **self.counts.to_json(),
                "rules": [{"rule": r.rule.id, "article": r.rule.article, **r.counts.to_json()} for r in self.rules]}


def _worst_first(c: Counts) -> tuple[int, int, int]:
    return (-c.overdue, -c.due_soon, -c.open)


def unit_counts(findings: Iterable[Finding], unit_ids: Sequence[str]) -> list[UnitCounts]:
    """Per unit of ``unit_ids`` (each listed, with zeros when it has no finding) the counts by
    status and by rule; findings of no listed unit go to one ``unit_id=None`` row (only when
    there are any). Units with the most overdue (then due soon, then open) findings first, ties
    in the order given; rules likewise, ties by rule id."""
    per_unit: dict[str | None, dict[str, Counts]] = {u: {} for u in unit_ids}
    specs: dict[str, RuleSpec] = {}
    for f in findings:
        unit = f.unit_id if f.unit_id in per_unit and f.unit_id is not None else None
        rules = per_unit.setdefault(unit, {})
        rules[f.rule.id] = rules.get(f.rule.id, Counts()).plus(f.status)
        specs[f.rule.id] = f.rule
    order = {u: i for i, u in enumerate(unit_ids)}
    rows = []
    for unit, rules in per_unit.items():
        total = Counts(sum(c.open for c in rules.values()), sum(c.due_soon for c in rules.values()),
                       sum(c.overdue for c in rules.values()))
        by_rule = sorted((RuleCounts(specs[r], c) for r, c in rules.items()),
                         key=lambda rc: (*_worst_first(rc.counts), rc.rule.id))
        rows.append(UnitCounts(unit, total, tuple(by_rule)))
    return sorted(rows, key=lambda r: (*_worst_first(r.counts), order.get(r.unit_id, len(order)) if r.unit_id
                                       else len(order)))
