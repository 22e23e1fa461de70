"""The home page of each role (工作台) and the unit dashboard (单位合规看板): read-only use cases.

- ``workbench``: what needs the person now, in ONE unit of work with a fixed number of
  statements whatever the number of cases, findings or approvals: the findings they may see
  (finding:view), the approvals waiting for them and those they submitted, and per permission
  their open cases (case:manage), the archive's to-dos (archive:manage / archive:approve) and
  the system's state (user:manage, ledger:view, vault:verify). Nothing is recorded: it reads
  no record and no original, only aggregates and lists the person may open.
- ``unit_summary``: per unit the open / due-soon / overdue findings, by rule (finding:view,
  the units of the actor's scope).

The sorting, grouping and counting are pure functions of ``domain.workbench``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from lawtrail.domain.access import Permission, has_permission
from lawtrail.domain.approvals import Approval
from lawtrail.domain.archive import ArchivedIn, Disposal, DisposalStatus, disposal_refusals
from lawtrail.domain.cases import Case, CaseFilter, Stage
from lawtrail.domain.findings import Finding, FindingStatus
from lawtrail.domain.org import Unit
from lawtrail.domain.rules import RuleSettings
from lawtrail.domain.rules.approvals import assemble
from lawtrail.domain.rules.vault import STORED_24H
from lawtrail.domain.workbench import (
    CaseLine,
    Group,
    SubjectIndex,
    UnitCounts,
    case_lines,
    grouped,
    handled_by,
    on_cases,
    status_counts,
    unit_counts,
)
from lawtrail.errors import ValidationFailed
from lawtrail.services import findings as findings_svc
from lawtrail.services.approvals import InboxItem
from lawtrail.services.context import Ctx
from lawtrail.services.guard import visible_units
from lawtrail.services.ports import CatalogueSource, UnitOfWork
from lawtrail.services.retention import bureau_items

#: How many items each list of the home page shows (the rest is one click away).
SHOWN = 8
#: How many open cases of a person are read at most.
MY_CASES_MAX = 200


@dataclass(frozen=True)
class ArchiveTodo:
    """The archive's to-dos: 24-hour hand-ins, originals whose retention ended, disposals waiting,
    concluded cases whose case file can be compiled."""

    handins: list[Group] = field(default_factory=list)
    disposable: int = 0
    disposals: list[Disposal] = field(default_factory=list)
    concluded: list[Case] = field(default_factory=list)
    concluded_total: int = 0


@dataclass(frozen=True)
class SystemState:
    """What the administrator looks at: people, units, devices, the ledger, the vault's last check."""

    users: int = 0
    active_users: int = 0
    units: int = 0
    devices: int = 0
    ledger_size: int | None = None
    vault_checked_at: datetime | None = None
    vault_problems: int | None = None


@dataclass(frozen=True)
class Workbench:
    """Everything the home page shows; empty parts are those the person has no permission for."""

    findings_visible: bool = False
    counts: dict[FindingStatus, int] = field(default_factory=dict)
    attention: list[Group] = field(default_factory=list)  # due soon and overdue in scope
    my_cases: list[CaseLine] = field(default_factory=list)
    my_findings: list[Group] = field(default_factory=list)
    my_findings_total: int = 0
    inbox: list[InboxItem] = field(default_factory=list)  # the first SHOWN of what waits
    inbox_total: int = 0  # how many wait in all
    submitted: list[Approval] = field(default_factory=list)
    archive: ArchiveTodo | None = None
    units: list[UnitCounts] = field(default_factory=list)
    unit_names: dict[str, str] = field(default_factory=dict)
    system: SystemState | None = None


def _bureau(ctx: Ctx) -> UUID:
    if ctx.actor.bureau_id is None:
        raise ValidationFailed("请指定机关", "no bureau chosen", code="bureau.required")
    return ctx.actor.bureau_id


def _approvals(uow: UnitOfWork, ctx: Ctx, bureau_id: UUID) -> tuple[list[InboxItem], int, list[Approval]]:
    """The first ``SHOWN`` of what waits for the person (as ``approvals.inbox``), how many wait in
    all, and their own requests pending at someone else, from the stored waiting state (decision
    0035): at most seven statements, whatever the size of the inbox."""
    me = ctx.actor.user_id
    if me is None:
        return [], 0, []
    requests, actions, cases = uow.approvals.waiting_for(ctx.actor, limit=SHOWN)
    waiting = {a.request.id: a for a in assemble(requests, actions, cases)}
    inbox = [InboxItem(waiting[r.id], cases[r.case_id]) for r in requests]
    total = len(inbox) if len(inbox) < SHOWN else uow.approvals.count_waiting(ctx.actor)
    requests, actions, cases = uow.approvals.pending_submitted_by(bureau_id, me)
    mine = {a.request.id: a for a in assemble(requests, actions, cases)}
    return inbox, total, [mine[r.id] for r in requests]


def _my_cases(uow: UnitOfWork, ctx: Ctx, bureau_id: UUID, found: list[Finding]
              ) -> tuple[list[CaseLine], list[Finding]]:
    """The person's open cases with their findings, and the findings on those cases or naming
    them: the cases' rule facts (five statements) and the bureau's case links (one)."""
    me = ctx.actor.user_id
    if me is None:
        return [], []
    rows = uow.cases.rule_facts(bureau_id, visible_units(ctx.actor, Permission.CASE_VIEW))
    mine = handled_by(rows.cases, rows.handlers, me)[:MY_CASES_MAX]
    index: dict[tuple[str, str], UUID] = {("record", str(v.record_id)): v.case_id
                                          for versions in rows.versions.values() for v in versions}
    for media_id, links in uow.archive.case_links(bureau_id).items():
        for link in links:
            index.setdefault(("media", str(media_id)), link.case_id if isinstance(link, ArchivedIn) else link)
    subjects: SubjectIndex = index
    return case_lines(mine, found, subjects), on_cases(found, (c.id for c in mine), subjects, person=me)


def _archive(uow: UnitOfWork, ctx: Ctx, bureau_id: UUID, found: list[Finding], settings: RuleSettings
             ) -> ArchiveTodo | None:
    manage = has_permission(ctx.actor, Permission.ARCHIVE_MANAGE)
    approve = has_permission(ctx.actor, Permission.ARCHIVE_APPROVE)
    if not (manage or approve):
        return None
    waiting = {DisposalStatus.PROPOSED} | ({DisposalStatus.APPROVED} if manage else set())
    disposals = [d for d in uow.archive.disposals(bureau_id) if d.status in waiting]
    if not manage:
        return ArchiveTodo(disposals=disposals)
    pending = uow.archive.pending_media(bureau_id)
    disposable = sum(1 for f in bureau_items(uow, bureau_id, ctx.now)
                     if f.media.id not in pending and not disposal_refusals(f, settings.retention, ctx.now))
    concluded, total = uow.cases.search(bureau_id, visible_units(ctx.actor, Permission.ARCHIVE_MANAGE),
                                        CaseFilter(stage=Stage.ARCHIVE), offset=0, limit=SHOWN)
    handins = grouped((f for f in found if f.rule.id == STORED_24H.id), limit=SHOWN)
    return ArchiveTodo(handins, disposable, disposals, concluded, total)


def _system(uow: UnitOfWork, ctx: Ctx, bureau_id: UUID) -> SystemState | None:
    if not has_permission(ctx.actor, Permission.USER_MANAGE):
        return None
    people = uow.users.list(bureau_id, None)
    size = uow.events.count() if has_permission(ctx.actor, Permission.LEDGER_VIEW) else None
    checked, problems = None, None
    if has_permission(ctx.actor, Permission.VAULT_VERIFY):
        latest = uow.events.list(subject_type="vault", subject_id="originals", limit=1)
        if latest:
            checked, problems = latest[0].occurred_at, len((latest[0].after or {}).get("problems", []))
    return SystemState(users=len(people), active_users=sum(1 for u in people if u.active),
                       units=len(uow.units.list(bureau_id, None)), devices=len(uow.devices.list(bureau_id, None)),
                       ledger_size=size, vault_checked_at=checked, vault_problems=problems)


def workbench(uow: UnitOfWork, ctx: Ctx, *, settings: RuleSettings, catalogue: CatalogueSource) -> Workbench:
    """What the home page of the actor shows (see the module docstring). Read-only; a fixed
    number of statements. Raise ValidationFailed (``bureau.required``) without a bureau."""
    bureau_id = _bureau(ctx)
    see = has_permission(ctx.actor, Permission.FINDING_VIEW)
    with uow:
        found = findings_svc.evaluate(uow, ctx, ctx.now, settings=settings, catalogue=catalogue) if see else []
        inbox, inbox_total, submitted = _approvals(uow, ctx, bureau_id)
        lines, mine = (_my_cases(uow, ctx, bureau_id, found) if has_permission(ctx.actor, Permission.CASE_MANAGE)
                       else ([], []))
        archive = _archive(uow, ctx, bureau_id, found, settings)
        system = _system(uow, ctx, bureau_id)
        units = uow.units.list(bureau_id, visible_units(ctx.actor, Permission.FINDING_VIEW)) if see else []
    urgent = (FindingStatus.OVERDUE, FindingStatus.DUE_SOON)
    return Workbench(
        findings_visible=see, counts=status_counts(found), attention=grouped(found, limit=SHOWN, statuses=urgent),
        my_cases=lines, my_findings=grouped(mine, limit=SHOWN), my_findings_total=len(mine), inbox=inbox,
        inbox_total=inbox_total,
        submitted=submitted, archive=archive, units=unit_counts(found, [str(u.id) for u in units]),
        unit_names={str(u.id): u.name for u in units}, system=system)


@dataclass(frozen=True)
class UnitSummary:
    """The unit dashboard: one row per unit shown (worst first), and every unit of the actor's scope."""

    rows: list[UnitCounts]
    units: list[Unit]
    generated_at: datetime

    @property
    def names(self) -> dict[str, str]:
        return {str(u.id): u.name for u in self.units}


def unit_summary(uow: UnitOfWork, ctx: Ctx, *, settings: RuleSettings, catalogue: CatalogueSource,
                 unit: UUID | None = None, rule: str | None = None) -> UnitSummary:
    """Per unit the actor may see (finding:view; officers and unit heads: their own unit), the
    open / due-soon / overdue findings now, by rule; ``unit`` and ``rule`` narrow it. Read-only,
    a fixed number of statements. Raise PermissionDenied without finding:view, ValidationFailed
    for an unknown rule."""
    bureau_id = _bureau(ctx)
    scope = visible_units(ctx.actor, Permission.FINDING_VIEW)
    with uow:
        found = findings_svc.evaluate(uow, ctx, ctx.now, settings=settings, catalogue=catalogue, unit=unit, rule=rule)
        units = uow.units.list(bureau_id, scope)
    rows = unit_counts(found, [str(u.id) for u in units if unit is None or u.id == unit])
    return UnitSummary(rows, units, ctx.now)
