"""The compliance engine (DESIGN.md rule 3): run every evaluator and return the findings the
actor may see.

An evaluator is a function ``(uow, scope, now, settings) -> findings`` that loads what its rules
need with set-based queries (a fixed number of statements, never one per original or case) and
applies the pure rules of ``lawtrail.domain.rules``. ``EVALUATORS`` lists them; a new stage adds
its function there (for example the continuity rules of on-site activities).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from lawtrail.domain import service
from lawtrail.domain.access import Permission, system_actor
from lawtrail.domain.cases import Stage, current_media
from lawtrail.domain.catalogue import Catalogue
from lawtrail.domain.findings import Finding, FindingStatus
from lawtrail.domain.rules import RULES, RuleSettings, continuity
from lawtrail.domain.rules import approvals as approval_rules
from lawtrail.domain.rules import case_records as case_rules
from lawtrail.domain.rules import disclosure as disclosure_rules
from lawtrail.domain.rules import review as review_rules
from lawtrail.domain.rules import service as service_rules
from lawtrail.domain.rules.case_records import CaseRows
from lawtrail.domain.rules.vault import CHECKS, VaultFacts, check_vault
from lawtrail.errors import NotFound, ValidationFailed, invalid
from lawtrail.services import activities, stored_findings
from lawtrail.services import catalogue as cat
from lawtrail.services.context import Ctx
from lawtrail.services.guard import visible_units
from lawtrail.services.ports import CatalogueSource, UnitOfWork
from lawtrail.services.stored_findings import Stored


@dataclass(frozen=True)
class Scope:
    """Where to look: one bureau, its units ``unit_ids`` (None: all), and the rule asked for;
    ``case_id`` narrows the case rules to one case; ``catalogue`` reads the record catalogue's
    stored versions (the record rules of Art. 8–15 need it)."""

    bureau_id: UUID
    unit_ids: frozenset[UUID] | None
    rule: str | None = None
    case_id: UUID | None = None
    catalogue: CatalogueSource | None = None
    #: What one evaluator has read that another may reuse within the same evaluation (the case
    #: rows: ``CASE_ROWS``); an evaluator run alone finds it empty and reads for itself.
    shared: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def wants(self, rule_ids: Iterable[str]) -> bool:
        return self.rule is None or self.rule in rule_ids


CASE_ROWS = "case_rows"
#: What the vault evaluator computed that may be stored: (stamp, sets of ``media_sets``).
MEDIA_KEEP = "media_keep"
#: This evaluation's use of the stored findings of cases (``services.stored_findings``).
STORED = "stored"
#: Whether the evaluation's transaction reads one snapshot (``UnitOfWork.snapshot``): the store
#: is used only then.
SNAPSHOT = "snapshot"
#: The case evaluator's rules (the service and approval evaluators' are their modules' ``RULES``).
CASE_FILE_RULES = {**case_rules.RULES, **review_rules.RULES}
#: The evaluators whose findings of a case are stored, in that order; a case is stored
#: only when all of them ran over it.
STORED_PARTS = ("case", "service", "approval")
SERVICE_STAGES = (Stage.REVIEW, Stage.SERVICE, Stage.EXECUTION, Stage.ARCHIVE)

Evaluator = Callable[[UnitOfWork, Scope, datetime, RuleSettings], list[Finding]]


def vault_evaluator(uow: UnitOfWork, scope: Scope, now: datetime, settings: RuleSettings) -> list[Finding]:
    """Art. 41–44 over every original and hand-in in scope: seven statements whatever the count.
    An original's findings are read back from the store when it holds them for the rules' code
    and the original's facts as they are now (``stored_findings.vault_stamp``; the unit of work
    must read one snapshot, ``SNAPSHOT``), and its rows are then not read. The hand-ins are read
    bureau-wide: an original's deadline follows from the hand-in that accounts for it whichever
    unit recorded that; the open hand-ins' findings are then kept to the units in scope."""
    if not scope.wants(CHECKS):
        return []
    b, u = scope.bureau_id, scope.unit_ids
    key = stored_findings.vault_stamp(settings) if scope.shared.get(SNAPSHOT) else None
    media, revs = uow.media.originals_in_scope(b, u, skip_stored=key)
    fresh = list(revs)
    facts = VaultFacts(media=media, registrations=uow.media.latest_registrations(b, u, fresh=fresh, skip_stored=key),
                       marks=uow.marks.latest_in_scope(b, u, fresh=fresh, skip_stored=key),
                       handins=uow.handins.in_scope(b, None), completions=uow.handins.completions_in_scope(b, None))
    found = check_vault(facts, now, settings, rule=scope.rule)
    if u is not None:
        units = {str(unit) for unit in u}
        found = [f for f in found if f.subject.type != "handin" or f.unit_id in units]
    if key is None:
        return found
    if scope.rule is None:
        scope.shared[MEDIA_KEEP] = (key, stored_findings.media_sets(revs, found, now, settings.due_soon))
    stored = [f for _, text in uow.media.stored_findings(b, u, key)
              for f in stored_findings.decode(text, now, settings.due_soon)]
    return [f for f in stored if scope.rule in (None, f.rule.id)] + found


def activity_evaluator(uow: UnitOfWork, scope: Scope, now: datetime, settings: RuleSettings) -> list[Finding]:
    """Art. 32, 35, 36 over every on-site activity in scope (a fixed number of statements)."""
    if not scope.wants(continuity.RULES):
        return []
    return activities.findings_in(uow, scope.bureau_id, scope.unit_ids, now, settings.continuity)


def approval_evaluator(uow: UnitOfWork, scope: Scope, now: datetime, settings: RuleSettings) -> list[Finding]:
    """Art. 9, 18, 19 over every case in scope (or ``scope.case_id``) with approvals or a decision:
    four statements whatever the number of cases; a case's findings read back from the store
    when it holds them (``_stored``)."""
    if not scope.wants(approval_rules.RULES):
        return []
    store = _stored(uow, scope, now, settings)
    rows: CaseRows | None = scope.shared.get(CASE_ROWS)
    facts = uow.approvals.facts(scope.bureau_id, scope.unit_ids, case_id=scope.case_id,
                                skip_stored=store.stamp if store else None,
                                fresh=[c.id for c in rows.cases] if rows is not None else None)
    found = approval_rules.check_approvals(facts, now, rule=scope.rule, due_soon=settings.due_soon)
    if store is None:
        return found
    store.add("approval", found)
    return store.stored_of(approval_rules.RULES, scope.rule) + found


def case_evaluator(uow: UnitOfWork, scope: Scope, now: datetime, settings: RuleSettings) -> list[Finding]:
    """Art. 5, 8–17 and 20 over every case in scope (or ``scope.case_id``): eight statements
    whatever the number of cases (cases, stage history, handlers, record versions, signatures,
    the bureau's people and their roles, the stored catalogues); the review rules (Art. 16, 17,
    20) read the same facts. Without ``scope.catalogue`` the record rules cannot be judged and
    only ART05 and ART10 run. A case's findings are read back from the store when it holds them
    (``_stored``), and its rows are then not read — but for the open ones at a handled stage,
    whose Art. 5 finding is worked out anew (it depends on the day)."""
    if not scope.wants(case_rules.RULES) and not scope.wants(review_rules.RULES):
        return []
    if scope.catalogue is None and scope.rule not in (None, case_rules.ART05.id, case_rules.ART10.id):
        return []
    store = _stored(uow, scope, now, settings)
    if store is not None:
        catalogues, current, users = store.catalogues, store.current, store.users
    else:
        catalogues, current = (cat.all_versions(uow, scope.catalogue) if scope.catalogue is not None
                               else ({}, Catalogue(0, "", ())))
        users = {u.id: u for u in uow.users.list(scope.bureau_id, None)}
    rows = scope.shared[CASE_ROWS] = uow.cases.rule_facts(scope.bureau_id, scope.unit_ids, scope.case_id,
                                                          skip_stored=store.stamp if store else None)
    facts = case_rules.CaseFacts(cases=rows.cases, reached=rows.reached, handlers=rows.handlers, users=users,
                                 versions=rows.versions, signatures=rows.signatures, catalogues=catalogues,
                                 current=current)
    rule_settings = case_rules.CaseRuleSettings(complainant_notice=settings.complainant_notice,
                                                due_soon=settings.due_soon)
    found = case_rules.check_cases(facts, now, rule=scope.rule, settings=rule_settings)
    if rows.live and scope.wants([case_rules.ART05.id]):  # stored cases: Art. 5 depends on the day
        found += case_rules.check_cases(replace(facts, cases=rows.live), now, rule=case_rules.ART05.id,
                                        settings=rule_settings)
    if scope.catalogue is None:
        return [f for f in found if f.rule.id in (case_rules.ART05.id, case_rules.ART10.id)]
    found += review_rules.check_review(facts, rule=scope.rule)
    if store is None:
        return found
    store.rows = rows
    store.add("case", found)
    return store.stored_of(CASE_FILE_RULES, scope.rule) + found


def _stored(uow: UnitOfWork, scope: Scope, now: datetime, settings: RuleSettings) -> Stored | None:
    """This evaluation's use of the stored findings of cases, made by the first evaluator
    that asks: the stored catalogues and the bureau's people (which the stamp depends on and the
    case rules read) and the stored findings under that stamp, three statements. None when the
    store is not used: no catalogue given (the record rules do not run), or the unit of work
    could not promise one snapshot (``SNAPSHOT``: live rows and stored findings must be read as
    of the same moment, or a case stored meanwhile would be missed or counted twice)."""
    if scope.catalogue is None or not scope.shared.get(SNAPSHOT):
        return None
    found: Stored | None = scope.shared.get(STORED)
    if found is None:
        catalogues, current = cat.all_versions(uow, scope.catalogue)
        users = uow.users.list(scope.bureau_id, None)
        key = stored_findings.stamp(current, settings, users)
        stored = [f for _, text in uow.cases.stored_findings(scope.bureau_id, scope.unit_ids, scope.case_id, key)
                  for f in stored_findings.decode(text, now, settings.due_soon)]
        found = scope.shared[STORED] = Stored(key, stored, storing=scope.rule is None, catalogues=catalogues,
                                                  current=current, users={u.id: u for u in users})
    return found


def service_evaluator(uow: UnitOfWork, scope: Scope, now: datetime, settings: RuleSettings) -> list[Finding]:
    """Art. 21–31 over every case in scope (or ``scope.case_id``) from 审查决定 on: three statements
    whatever the number of cases (``RecordRepo.service_facts``), or one (the attachment counts)
    when the case evaluator has read the cases, versions and signatures in this evaluation (and
    then, like it, the stored cases' findings from the store when it holds them)."""
    if not scope.wants(service_rules.RULES):
        return []
    rows = scope.shared.get(CASE_ROWS)
    store: Stored | None = scope.shared.get(STORED) if rows is not None else None
    if rows is not None:
        counts = uow.records.attachment_counts(scope.bureau_id, scope.unit_ids, service.KINDS, SERVICE_STAGES,
                                               case_id=scope.case_id,
                                               skip_stored=store.stamp if store else None,
                                               fresh=[c.id for c in rows.cases])
        facts = service_rules.facts_from_cases(rows.cases, rows.versions, rows.signatures, service.KINDS,
                                               SERVICE_STAGES, counts)
    else:
        facts = uow.records.service_facts(scope.bureau_id, scope.unit_ids, service.KINDS, SERVICE_STAGES,
                                          case_id=scope.case_id)
    found = service_rules.check_service(facts, now, rule=scope.rule, due_soon=settings.due_soon)
    if store is None:
        return found
    store.add("service", found)
    return store.stored_of(service_rules.RULES, scope.rule) + found


def disclosure_evaluator(uow: UnitOfWork, scope: Scope, now: datetime, settings: RuleSettings) -> list[Finding]:
    """Art. 37 over the bureau's disclosures, exports and outside requests, and the latest vault
    verification against the originals in scope: eight statements whatever their number.
    Outside requests are the bureau's, so only bureau-wide viewers see their findings; an
    export's finding belongs to the requester's unit, an altered original's to its unit."""
    if not scope.wants(disclosure_rules.RULES_BY_ID):
        return []
    b = scope.bureau_id
    latest = uow.events.list(subject_type="vault", subject_id="originals", limit=1)
    summary = (latest[0].after or {}) if latest else {}
    problems = [(str(p.get("sha256", "")), str(p.get("kind", ""))) for p in summary.get("problems", [])]
    facts = disclosure_rules.DisclosureFacts(
        disclosures=uow.disclosures.list_for(b, limit=1_000_000), exports=uow.disclosures.exports(bureau_id=b),
        outside=uow.access.list_outside(b, limit=1_000_000) if scope.unit_ids is None else [],
        verified_at=latest[0].occurred_at if latest else None, vault_problems=problems,
        media=uow.media.in_scope(b, scope.unit_ids) if problems else [])
    found = disclosure_rules.check_disclosure(facts, now, rule=scope.rule)
    units = {str(u) for u in scope.unit_ids} if scope.unit_ids is not None else None
    return [f for f in found if units is None or f.unit_id in units]


#: The case evaluator runs before the approval and service evaluators: they narrow their reads to
#: the cases it read in full (``CASE_ROWS``). The findings are sorted at the end, so the order of
#: the evaluators changes nothing else.
EVALUATORS: list[Evaluator] = [vault_evaluator, activity_evaluator, case_evaluator, approval_evaluator,
                                service_evaluator, disclosure_evaluator]

_ORDER = {FindingStatus.OVERDUE: 0, FindingStatus.DUE_SOON: 1, FindingStatus.OPEN: 2}


def _scope(ctx: Ctx, rule: str | None, unit: UUID | None, case_id: UUID | None = None,
           catalogue: CatalogueSource | None = None) -> Scope:
    if rule is not None and rule not in RULES:
        raise invalid("rule", f"未知的规则 {rule}", f"unknown rule {rule!r}")
    if ctx.actor.bureau_id is None:
        raise ValidationFailed("请指定机关", "no bureau chosen", code="bureau.required")
    visible = visible_units(ctx.actor, Permission.FINDING_VIEW)
    if unit is not None:
        visible = frozenset({unit}) if visible is None or unit in visible else frozenset()
    return Scope(ctx.actor.bureau_id, visible, rule, case_id, catalogue)


def _case_subjects(uow: UnitOfWork, ctx: Ctx, case_id: UUID) -> set[tuple[str, str]]:
    """The case, its records, the media and on-site activities linked to it now, as (type, id)
    subjects. NotFound (``case.not_found``) for a case of another bureau or none."""
    found = uow.cases.get(case_id)
    if found is None or found.bureau_id != ctx.actor.bureau_id:
        raise NotFound("案件不存在", "no such case", code="case.not_found")
    records = {("record", str(v.record_id)) for v in uow.records.for_case(case_id)}
    media = {("media", str(m)) for m in current_media(uow.cases.media_links(case_id))}
    activities = {("activity", str(a.id)) for a in uow.activities.for_case(case_id)}
    return {("case", str(case_id))} | records | media | activities


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Hold the cycle collector while the facts are built: they are hundreds of thousands of
    objects without cycles, and each full collection would walk all of them again (≈ 15–30 %
    of an evaluation's CPU at 10,000 cases; decision 0034). Reference counting still frees
    everything; the collector runs again at the end."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def evaluate(uow: UnitOfWork, ctx: Ctx, now: datetime, *, settings: RuleSettings | None = None,
             rule: str | None = None, unit: UUID | None = None, subject: tuple[str, str] | None = None,
             status: FindingStatus | None = None, evaluators: Iterable[Evaluator] | None = None,
             case: UUID | None = None, catalogue: CatalogueSource | None = None,
             keep: bool | UnitOfWork = False) -> list[Finding]:
    """The findings at ``now`` that the actor may see (finding:view; officers and unit heads:
    their own unit), optionally only of ``rule``, ``unit``, ``subject`` (type, id), ``status`` or
    ``case`` (the case, its records, the media and activities linked to it); overdue first, then due
    soon, then open, each by due time. ``catalogue`` (the record catalogue's source) lets the
    record rules of Art. 8–15 run; every entry point passes it. The record, review, service and
    approval findings of a case are read from the store when it holds them for the rules, the
    catalogue in force and the case's facts as they are now (``services.stored_findings``), and
    so are the vault findings of an original (decision 0051); ``keep``: store those computed now
    so that the next evaluation reads them back, in a short transaction after the evaluation —
    ``True``: of ``uow`` (which must then be able to write); a unit of work: of that one, so
    that ``uow`` may be read-only and no write lock is held while the rules run (safe since
    decision 0050: each row carries the ``facts_rev`` it was computed at, and a case or an
    original changed meanwhile does not count).

    Raise ValidationFailed for an unknown rule id, PermissionDenied without finding:view,
    NotFound for an unknown ``case``."""
    scope = _scope(ctx, rule, unit, case, catalogue)
    found: list[Finding] = []
    subjects: set[tuple[str, str]] | None = None
    scope.shared[SNAPSHOT] = uow.snapshot()
    with uow, no_cycle_collection():
        if case is not None:
            subjects = _case_subjects(uow, ctx, case)
        if scope.unit_ids is None or scope.unit_ids:
            for evaluator in evaluators if evaluators is not None else EVALUATORS:
                found.extend(evaluator(uow, scope, now, settings or RuleSettings()))
        store: Stored | None = scope.shared.get(STORED)
    sets = store.to_keep(STORED_PARTS, now, settings or RuleSettings()) if keep and store is not None else []
    media_stamp, media_sets = scope.shared.get(MEDIA_KEEP, ("", [])) if keep else ("", [])
    if (sets and store is not None) or media_sets:  # a transaction of its own: each row carries its facts_rev
        writer = uow if isinstance(keep, bool) else keep
        with writer:
            if sets and store is not None:
                writer.cases.keep_findings(store.stamp, now, sets)
            if media_sets:
                writer.media.keep_findings(media_stamp, now, media_sets)
            writer.commit()
    shown = [f for f in found if (subject is None or (f.subject.type, f.subject.id) == subject)
             and (subjects is None or (f.subject.type, f.subject.id) in subjects)
             and (status is None or f.status is status) and (rule is None or f.rule.id == rule)]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(shown, key=lambda f: (_ORDER[f.status], f.due_at or far, f.rule.id, f.subject.id))


def keep_every_bureau(reader: Callable[[], UnitOfWork], writer: Callable[[], UnitOfWork], name: str,
                      now: datetime, *, settings: RuleSettings, catalogue: CatalogueSource) -> int:
    """Evaluate every bureau as the system ``name`` and store the findings computed (decisions
    0050, 0051): what the background worker runs, so that the pages, the dashboard and
    ``lawtrail check`` read back what is stored instead of computing it after a deploy, a new
    catalogue or a busy hour. Each evaluation reads in a unit of work from ``reader`` (it may be
    read-only) and stores in a short transaction of one from ``writer``. Return the number of
    findings. No ledger event: derived data (decision 0050)."""
    with reader() as uow:
        bureaus = [b.id for b in uow.bureaus.list()]
    total = 0
    for bureau_id in bureaus:
        ctx = Ctx(actor=system_actor(name, bureau_id), now=now)
        total += len(evaluate(reader(), ctx, now, settings=settings, catalogue=catalogue, keep=writer()))
    return total
