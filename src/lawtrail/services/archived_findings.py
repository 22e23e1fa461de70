"""Stored findings of archived cases (decision 0048): read back instead of recomputed.

Once a case is at 归档 nothing that feeds its record, review and service findings (Art. 8–31)
can change: its records, corrections, signatures and attachments refuse every write
(``domain.records.writable``, Art. 39), its details, handlers and media links too
(``services.cases``), and a stage change needs a correction, which removes what is stored
(``services.cases.advance_stage``). The one exception is the Art. 10 notice of a real-name
complainant whose complaint was not taken up (decision 0040): such a case is never stored.

What else those findings depend on is in the ``stamp`` they are stored under: the code of the
modules that compute them (a new version of the rules makes every stored row stale), the record
catalogue in force (its version and digest: gaps are judged by it; older versions are stored
append-only and never change), and the Art. 10 setting. The statuses of findings with a due
time are worked out again at reading from ``due_at``, ``now`` and ``due_soon``; findings
without one have a fixed status. The approval (Art. 9, 18, 19: they name people, whose names
can change), vault, activity and disclosure findings are not stored.

This is derived data: deleting every row changes no result, only the time it takes. Storing it
is therefore no recorded change and writes no ledger event (DESIGN.md rule 1 is about records).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from uuid import UUID

from lawtrail.domain.cases import Case, Stage
from lawtrail.domain.catalogue import Catalogue
from lawtrail.domain.findings import Finding, FindingStatus, Subject, status_at
from lawtrail.domain.records import COMPLAINANT_KIND, writable
from lawtrail.domain.rules import RULES, RuleSettings
from lawtrail.domain.rules.case_records import CaseRows

#: Bumped when the stored JSON changes shape.
FORMAT = 1
#: The modules whose code decides the stored findings (their source is hashed into the stamp).
MODULES = ("lawtrail.domain.findings", "lawtrail.domain.cases", "lawtrail.domain.catalogue",
           "lawtrail.domain.records", "lawtrail.domain.service", "lawtrail.domain.org", "lawtrail.domain.events",
           "lawtrail.domain.rules", "lawtrail.domain.rules.common", "lawtrail.domain.rules.case_records",
           "lawtrail.domain.rules.review", "lawtrail.domain.rules.service", "lawtrail.services.findings",
           "lawtrail.services.archived_findings")


@cache
def code_digest() -> str:
    """SHA-256 (hex, 24 digits) over ``FORMAT`` and the source files of ``MODULES``."""
    digest = hashlib.sha256(f"archived findings {FORMAT}".encode())
    for name in MODULES:
        __import__(name)
        origin = getattr(sys.modules[name], "__file__", None)
        digest.update(name.encode() + b"\0" + (Path(origin).read_bytes() if origin else b"") + b"\0")
    return digest.hexdigest()[:24]


def stamp(current: Catalogue, settings: RuleSettings) -> str:
    """What stored findings must have been computed under to be used now."""
    return (f"{code_digest()}:c{current.version}:{current.sha256[:16]}:"
            f"n{int(settings.complainant_notice.total_seconds())}")


def fixed(case: Case) -> bool:
    """Whether the findings of ``case`` may be stored: at 归档, and no record of it may still be
    made (the Art. 10 complainant notice, decision 0040, is the one record an archived case may
    still get)."""
    return case.stage is Stage.ARCHIVE and case.ended_at is not None and not writable(case, COMPLAINANT_KIND)


def encode(found: Iterable[Finding]) -> str:
    return json.dumps([[f.rule.id, f.subject.type, f.subject.id, f.subject.name, f.message_zh, f.message_en,
                        f.status.value, f.due_at.isoformat() if f.due_at else None, f.unit_id, list(f.people)]
                       for f in found], ensure_ascii=False, separators=(",", ":"))


def decode(text: str, now: datetime, due_soon: timedelta) -> list[Finding]:
    """The findings of ``encode``, with the status of each deadline worked out at ``now``."""
    out = []
    rules, statuses = RULES, _STATUSES
    for rule, kind, ident, name, zh, en, status, due, unit, people in json.loads(text):
        if due is None:
            out.append(Finding(rules[rule], Subject(kind, ident, name), zh, en, statuses[status], None, unit,
                               tuple(people)))
        else:
            at = datetime.fromisoformat(due)
            out.append(Finding(rules[rule], Subject(kind, ident, name), zh, en,
                               status_at(at, now, due_soon=due_soon), at, unit, tuple(people)))
    return out


_STATUSES = {s.value: s for s in FindingStatus}


@dataclass
class Archived:
    """One evaluation's use of the store: ``stored`` (the findings read back, each case's in the
    order computed), and the findings computed now of fixed cases not stored yet (``fresh``),
    kept when the evaluation asks for it. ``parts`` names the evaluators that added theirs: a
    case is stored only when both the case and the service evaluator ran over it."""

    stamp: str
    stored: list[Finding]
    storing: bool
    ended: dict[UUID, datetime] = field(default_factory=dict)
    owner: dict[str, UUID] = field(default_factory=dict)
    fresh: dict[UUID, list[Finding]] = field(default_factory=dict)
    parts: set[str] = field(default_factory=set)
    spoilt: bool = False

    def stored_of(self, rule_ids: Mapping[str, object], rule: str | None) -> list[Finding]:
        return [f for f in self.stored if f.rule.id in rule_ids and (rule is None or f.rule.id == rule)]

    def computed(self, rows: CaseRows) -> None:
        """Note the cases of ``rows`` whose findings may be stored, and every subject of every
        case read (to tell which case a finding belongs to)."""
        if not self.storing:
            return
        for case in rows.cases:
            self.owner[str(case.id)] = case.id
            for v in rows.versions.get(case.id, ()):
                self.owner[str(v.record_id)] = case.id
            if fixed(case):
                assert case.ended_at is not None
                self.ended[case.id] = case.ended_at
                self.fresh[case.id] = []

    def add(self, part: str, found: Sequence[Finding], now: datetime, due_soon: timedelta) -> None:
        """The findings an evaluator computed over the cases noted by ``computed``. A finding that
        cannot be told to a case read, or whose status would not be worked out again the same
        way, stops anything being stored by this evaluation (never store what could read back
        differently)."""
        if not self.storing:
            return
        self.parts.add(part)
        for f in found:
            case_id = self.owner.get(f.subject.id)
            if case_id is None or (f.due_at is not None and f.status is not status_at(f.due_at, now,
                                                                                      due_soon=due_soon)):
                self.spoilt = True
                return
            mine = self.fresh.get(case_id)
            if mine is not None:
                mine.append(f)

    def to_keep(self, parts: Iterable[str]) -> list[tuple[UUID, datetime, str]]:
        """(case id, ended_at, JSON) of each fixed case computed now, when every one of ``parts``
        added its findings and nothing spoilt them; else nothing."""
        if not self.storing or self.spoilt or not set(parts) <= self.parts:
            return []
        return [(case_id, self.ended[case_id], encode(found)) for case_id, found in self.fresh.items()]
