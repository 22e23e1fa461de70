"""Stored findings of cases (decisions 0048, 0050): read back instead of recomputed.

The record, review, service and approval findings of a case (Art. 8–31) are a function of what
the rules read about it — its row, stage history, handlers, record versions, signatures,
attachments, approval requests and actions — and of what the ``stamp`` they are stored under
holds: the code of the modules that compute them (a new version of the rules makes every stored
row stale), the record catalogue in force (its version and digest: gaps are judged by it; older
versions are stored append-only and never change), the Art. 10 setting, and the names of the
bureau's people (the Art. 18 findings name the participants who had not signed).

The database keeps the first part honest itself: triggers raise the case's ``facts_rev`` on
every insert, update or delete of any of those rows (migration 0024), and a stored row counts
only while its ``facts_rev`` is the case's (``adapters.db.case_findings_repo.covered``). No
service has to remember to forget anything, and a row stored from a snapshot that a concurrent
writer has since moved past never counts.

Time: the statuses of findings with a due time are worked out again at reading from ``due_at``,
``now`` and the window of the rule (``WINDOWS``); findings without one have a fixed status. The
one finding whose existence depends on the day, not only its status — Art. 5, two handlers with
a certificate valid *today* — is never stored: it is worked out at every evaluation for the open
cases at a handled stage (``CaseRows.live``).

The findings of originals (the vault rules, Art. 41–43; decision 0051) are stored the same way,
one row per original (``media_sets``) under ``vault_stamp``, valid while the original's
``facts_rev`` (raised by triggers on each new registration, mark or hand-in link, migration
0025) is the one stored. The open hand-ins' findings are worked out at every evaluation (they
are few, and a hand-in becomes late by the clock alone), and so are the activity and
disclosure findings.

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

from lawtrail.domain.catalogue import Catalogue
from lawtrail.domain.findings import DUE_SOON, Finding, FindingStatus, Subject, status_at
from lawtrail.domain.org import User
from lawtrail.domain.rules import RULES, RuleSettings
from lawtrail.domain.rules import approvals as approval_rules
from lawtrail.domain.rules import case_records as case_rules
from lawtrail.domain.rules import service as service_rules
from lawtrail.domain.rules import vault as vault_rules
from lawtrail.domain.rules.case_records import CaseRows

#: Bumped when the stored JSON changes shape.
FORMAT = 1
#: The modules whose code decides the stored findings (their source is hashed into the stamp).
MODULES = ("lawtrail.domain.findings", "lawtrail.domain.cases", "lawtrail.domain.catalogue",
           "lawtrail.domain.records", "lawtrail.domain.service", "lawtrail.domain.org", "lawtrail.domain.events",
           "lawtrail.domain.rules", "lawtrail.domain.rules.common", "lawtrail.domain.rules.case_records",
           "lawtrail.domain.rules.review", "lawtrail.domain.rules.service", "lawtrail.domain.rules.approvals",
           "lawtrail.domain.approvals", "lawtrail.services.findings", "lawtrail.services.stored_findings")


#: The window in which each deadline rule whose findings are stored turns ``due_soon``: the
#: evaluation's ``due_soon`` setting (None) or the rule's own constant. A finding with a due time
#: of any other rule is never stored (its status could not be worked out again).
WINDOWS: dict[str, timedelta | None] = {case_rules.ART10.id: None, service_rules.ART28.id: None,
                                        approval_rules.ART09_EMERGENCY.id: None,
                                        approval_rules.ART18_SIGNED.id: DUE_SOON,
                                        approval_rules.ART19_CHAIN.id: DUE_SOON,
                                        vault_rules.STORED_24H.id: None, vault_rules.REGISTRATION_COMPLETE.id: None}


#: The modules whose code decides the stored findings of originals (Art. 41–43).
VAULT_MODULES = ("lawtrail.domain.findings", "lawtrail.domain.org", "lawtrail.domain.vault",
                 "lawtrail.domain.evidence", "lawtrail.domain.rules.common", "lawtrail.domain.rules.vault",
                 "lawtrail.services.findings", "lawtrail.services.stored_findings")


@cache
def code_digest(modules: tuple[str, ...] = MODULES) -> str:
    """SHA-256 (hex, 24 digits) over ``FORMAT`` and the source files of ``modules``."""
    digest = hashlib.sha256(f"stored findings {FORMAT}".encode())
    for name in modules:
        __import__(name)
        origin = getattr(sys.modules[name], "__file__", None)
        digest.update(name.encode() + b"\0" + (Path(origin).read_bytes() if origin else b"") + b"\0")
    return digest.hexdigest()[:24]


def stamp(current: Catalogue, settings: RuleSettings, users: Iterable[User]) -> str:
    """What stored findings must have been computed under to be used now: the code, the catalogue
    in force, the Art. 10 setting and the people's names (the Art. 18 findings name them)."""
    names = hashlib.sha256("\n".join(sorted(f"{u.id} {u.display_name}" for u in users)).encode())
    return (f"{code_digest()}:c{current.version}:{current.sha256[:12]}:"
            f"n{int(settings.complainant_notice.total_seconds())}:u{names.hexdigest()[:12]}")


def vault_stamp(settings: RuleSettings) -> str:
    """What stored findings of originals must have been computed under to be used now: the code
    and the grace period of Art. 42 registration (the due time of its findings)."""
    return f"{code_digest(VAULT_MODULES)}:g{int(settings.registration_grace.total_seconds())}"


#: Rules never stored: their findings depend on the day itself, not only their status.
LIVE_RULES = frozenset({case_rules.ART05.id})


def encode(found: Iterable[Finding]) -> str:
    return json.dumps([[f.rule.id, f.subject.type, f.subject.id, f.subject.name, f.message_zh, f.message_en,
                        f.status.value, f.due_at.isoformat() if f.due_at else None, f.unit_id, list(f.people)]
                       for f in found], ensure_ascii=False, separators=(",", ":"))


def decode(text: str, now: datetime, due_soon: timedelta) -> list[Finding]:
    """The findings of ``encode``, with the status of each deadline worked out at ``now`` in the
    window of its rule (``WINDOWS``; None: ``due_soon``)."""
    out = []
    rules, statuses = RULES, _STATUSES
    for rule, kind, ident, name, zh, en, status, due, unit, people in json.loads(text):
        if due is None:
            out.append(Finding(rules[rule], Subject(kind, ident, name), zh, en, statuses[status], None, unit,
                               tuple(people)))
        else:
            at = datetime.fromisoformat(due)
            out.append(Finding(rules[rule], Subject(kind, ident, name), zh, en,
                               status_at(at, now, due_soon=WINDOWS[rule] or due_soon), at, unit, tuple(people)))
    return out


_STATUSES = {s.value: s for s in FindingStatus}


def _reads_back(f: Finding, now: datetime, due_soon: timedelta) -> bool:
    """Whether ``decode`` at ``now`` would give ``f`` back: no due time, or one of a rule in
    ``WINDOWS`` whose window gives the status ``f`` has."""
    return f.due_at is None or (f.rule.id in WINDOWS and f.status is status_at(
        f.due_at, now, due_soon=WINDOWS[f.rule.id] or due_soon))


def media_sets(revs: Mapping[UUID, int], found: Iterable[Finding], now: datetime,
               due_soon: timedelta) -> list[tuple[UUID, int, str]]:
    """(media id, its ``facts_rev`` as read, JSON) of each original the vault evaluator read
    (``revs``), with its findings in the order computed (``[]``: none); an original with a
    finding that would not read back the same is left out, and nothing is stored when a
    finding about an original names one not read."""
    fresh: dict[str, list[Finding]] = {str(m): [] for m in revs}
    unstorable: set[str] = set()
    for f in found:
        if f.subject.type != "media":
            continue
        if f.subject.id not in fresh:
            return []
        if not _reads_back(f, now, due_soon):
            unstorable.add(f.subject.id)
        fresh[f.subject.id].append(f)
    return [(m, revs[m], encode(fresh[key])) for m in revs if (key := str(m)) not in unstorable]


@dataclass
class Stored:
    """One evaluation's use of the store: its ``stamp``, ``stored`` (the findings read back, each
    case's in the order computed; ``storing``: whether what is computed now may be stored), what
    the stamp was made of and the case rules read too (the stored catalogues, the one in force,
    the bureau's people), and what the evaluators computed now (``parts``: evaluator name →
    findings; ``rows``: the cases the case evaluator read), from which the findings of the
    cases not stored yet are kept when the evaluation asks for it."""

    stamp: str
    stored: list[Finding]
    storing: bool
    catalogues: Mapping[int, Catalogue]
    current: Catalogue
    users: Mapping[UUID, User]
    parts: dict[str, list[Finding]] = field(default_factory=dict)
    rows: CaseRows | None = None

    def stored_of(self, rule_ids: Mapping[str, object], rule: str | None) -> list[Finding]:
        return [f for f in self.stored if f.rule.id in rule_ids and (rule is None or f.rule.id == rule)]

    def add(self, part: str, found: Sequence[Finding]) -> None:
        if self.storing:
            self.parts[part] = list(found)

    def to_keep(self, parts: Iterable[str], now: datetime,
                settings: RuleSettings) -> list[tuple[UUID, int, str]]:
        """(case id, its ``facts_rev`` as read, JSON) of each case the case evaluator read in full,
        with the findings of every one of ``parts`` in that order but the ``LIVE_RULES``; nothing
        when a part is missing or some finding cannot be told to a case read. A case with a
        finding that would not read back the same (a due time of a rule not in ``WINDOWS``, a
        status its window would not give now) is not stored: never store what could read back
        differently."""
        parts = tuple(parts)
        if not self.storing or self.rows is None or any(p not in self.parts for p in parts):
            return []
        due_soon = settings.due_soon
        owner: dict[str, UUID] = {}
        fresh: dict[UUID, list[Finding]] = {}
        for case in self.rows.cases:
            owner[str(case.id)] = case.id
            for v in self.rows.versions.get(case.id, ()):
                owner[str(v.record_id)] = case.id
            fresh[case.id] = []
        unstorable: set[UUID] = set()
        for part in parts:
            for f in self.parts[part]:
                case_id = owner.get(f.subject.id)
                if case_id is None:
                    return []
                if f.rule.id in LIVE_RULES:
                    continue
                if not _reads_back(f, now, due_soon):
                    unstorable.add(case_id)
                fresh[case_id].append(f)
        revs = self.rows.revs
        return [(case_id, revs[case_id], encode(found)) for case_id, found in fresh.items()
                if case_id not in unstorable and case_id in revs]
