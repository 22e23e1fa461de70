"""Supervision (issue 6 items 7, 8): the accountability report (Art. 48) and the dashboard.

- ``accountability_report``: the Art. 48 items of the actor's scope (oversight:view; unit heads
  their own unit), filtered by period, unit and officer. Reading it is recorded as ONE event,
  ``oversight:report:view`` (page, JSON) or ``oversight:report:export`` (XLSX, PDF), in the
  same transaction as the read.
- ``dashboard``: today's metrics computed live, plus the daily snapshots of earlier days.
- ``take_snapshot``: compute today's metrics of every unit and store them as the day's rows
  (replacing earlier rows of the same day). A snapshot is a computation, not a record: it is
  not in the ledger (decision 0020).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.activities import Clip
from lawtrail.domain.events import Action, format_time
from lawtrail.domain.findings import Finding, FindingStatus
from lawtrail.domain.org import Unit, local_date
from lawtrail.domain.oversight import Item, Period, Row, by_officer, by_unit, select_items, totals
from lawtrail.domain.rules import RULES, RuleSettings
from lawtrail.domain.rules.continuity import AV_TYPES, device_timelines
from lawtrail.domain.supervision import Facts, Metric, SnapshotRow, metrics
from lawtrail.errors import ValidationFailed, invalid
from lawtrail.services import accountability
from lawtrail.services.activities import CLOCK_SLACK
from lawtrail.services.context import Ctx
from lawtrail.services.findings import EVALUATORS, SNAPSHOT, Scope, no_cycle_collection
from lawtrail.services.guard import require, require_bureau_wide, visible_units
from lawtrail.services.ports import CatalogueSource, UnitOfWork
from lawtrail.services.trail import record

Format = Literal["html", "json", "xlsx", "pdf"]
#: How many days of history the dashboard shows by default, and at most.
DEFAULT_DAYS = 30
MAX_DAYS = 366
#: How often the background worker refreshes today's snapshot.
SNAPSHOT_EVERY = timedelta(hours=1)


def _bureau(ctx: Ctx) -> UUID:
    if ctx.actor.bureau_id is None:
        raise ValidationFailed("请指定机关", "no bureau chosen", code="bureau.required")
    return ctx.actor.bureau_id


def _scope(ctx: Ctx, unit_id: UUID | None) -> frozenset[UUID] | None:
    """The units the actor may oversee, narrowed to ``unit_id``; PermissionDenied for a unit
    outside the actor's scope or without oversight:view."""
    scope = visible_units(ctx.actor, Permission.OVERSIGHT_VIEW)
    if unit_id is None:
        return scope
    require(ctx.actor, Permission.OVERSIGHT_VIEW, unit_id=unit_id)
    return frozenset({unit_id})


def _findings(uow: UnitOfWork, bureau_id: UUID, units: frozenset[UUID] | None, now: datetime,
              settings: RuleSettings, catalogue: CatalogueSource | None, snapshot: bool) -> list[Finding]:
    """Every finding in scope; ``catalogue`` None leaves out the record rules of Art. 8–15 (which
    need the record catalogue), so the web and CLI always pass it: the dashboard's figures then
    match 合规问题 and the home pages. ``snapshot``: the unit of work reads one snapshot
    (``UnitOfWork.snapshot``), so the stored findings are read back (decisions 0050, 0051);
    nothing is stored from here (the findings worker and 合规问题 store)."""
    scope = Scope(bureau_id, units, catalogue=catalogue)
    scope.shared[SNAPSHOT] = snapshot
    with no_cycle_collection():
        return [f for evaluator in EVALUATORS for f in evaluator(uow, scope, now, settings)]


# ---- the accountability report (Art. 48) -------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """The items and their summaries; names of units and people as they are now."""

    items: list[Item]
    period: Period
    unit_id: str | None
    officer_id: str | None
    unit_names: dict[str, str]
    people: dict[str, tuple[str, str]]
    generated_at: datetime
    generated_by: str
    units: list[Unit] = field(default_factory=list)

    @property
    def by_unit(self) -> list[Row]:
        return by_unit(self.items, self.unit_names)

    @property
    def by_officer(self) -> list[Row]:
        return by_officer(self.items, self.people)

    @property
    def totals(self) -> dict[str, int]:
        return {k.value: v for k, v in totals(self.items).items()}

    def person(self, user_id: str) -> str:
        return self.people.get(user_id, ("（已不在册）", ""))[0]


def accountability_report(uow: UnitOfWork, ctx: Ctx, *, settings: RuleSettings,
                          catalogue: CatalogueSource | None = None, period: Period = Period(),
                          unit_id: UUID | None = None, officer_id: UUID | None = None,
                          fmt: Format = "html") -> Report:
    """The Art. 48 items the actor may see, in ``period`` (by due time / event time), of
    ``unit_id`` and naming ``officer_id`` when given, with the ``oversight:report:view`` (or, for
    ``xlsx``/``pdf``, ``oversight:report:export``) event recorded in the same transaction.

    Raise PermissionDenied without oversight:view (or for a unit outside the actor's scope)."""
    bureau_id = _bureau(ctx)
    units = _scope(ctx, unit_id)
    snapshot = uow.snapshot()
    with uow:
        found = (_findings(uow, bureau_id, units, ctx.now, settings, catalogue, snapshot)
                 if units is None or units else [])
        src = accountability.load_sources(uow, bureau_id, units, found, period.start, period.end)
        items = accountability.in_units(accountability.collect(src, ctx.now, settings.continuity.footage_due), units)
        chosen = select_items(items, period=period, officer_id=str(officer_id) if officer_id else None)
        all_units = uow.units.list(bureau_id, None)
        names = {str(u.id): u.name for u in all_units}
        people = {str(u.id): (u.display_name, names.get(str(u.unit_id), "")) for u in uow.users.list(bureau_id, None)}
        report = Report(chosen, period, str(unit_id) if unit_id else None, str(officer_id) if officer_id else None,
                        names, people, ctx.now, ctx.actor.name,
                        [u for u in all_units if units is None or u.id in units])
        action = Action.OVERSIGHT_REPORT_EXPORT if fmt in ("xlsx", "pdf") else Action.OVERSIGHT_REPORT_VIEW
        record(uow, ctx, action, subject_type="oversight_report", subject_id=bureau_id,
               subject_name="问责报告 / accountability report", after_dict={
                   "format": fmt, "unit_id": report.unit_id, "officer_id": report.officer_id,
                   "start": format_time(period.start) if period.start else None,
                   "end": format_time(period.end) if period.end else None,
                   "items": len(chosen), "by_kind": report.totals})
        uow.commit()
    return report


# ---- the dashboard -----------------------------------------------------------------------------

def _activation(uow: UnitOfWork, bureau_id: UUID, units: frozenset[UUID] | None,
                settings: RuleSettings) -> tuple[Counter[str], Counter[str]]:
    """Per unit: activities with any audio/video clip from their devices, and all activities
    (two statements for the activities, one for the clips)."""
    activities = uow.activities.list(bureau_id, units)
    with_av: Counter[str] = Counter()
    everyone: Counter[str] = Counter()
    if not activities:
        return with_av, everyone
    clips = uow.media.clips({d for a in activities for d in a.device_ids},
                            min(a.arrived_at for a in activities) - CLOCK_SLACK,
                            max(a.departed_at for a in activities) + CLOCK_SLACK)
    by_device: dict[UUID, list[Clip]] = {}
    for clip in clips:
        by_device.setdefault(clip.device_id, []).append(clip)
    for activity in activities:
        own = [c for d in activity.device_ids for c in by_device.get(d, [])]
        timelines = device_timelines(activity, own, [], settings.continuity.tolerance)
        everyone[str(activity.unit_id)] += 1
        if any(p.clip.media_type in AV_TYPES for t in timelines for p in t.clips):
            with_av[str(activity.unit_id)] += 1
    return with_av, everyone


def compute(uow: UnitOfWork, bureau_id: UUID, units: frozenset[UUID] | None, now: datetime,
            settings: RuleSettings, catalogue: CatalogueSource | None = None,
            snapshot: bool = False) -> tuple[list[Metric], list[Finding], list[Unit]]:
    """Today's metrics of every unit in scope, the findings they came from and the units (inside
    an open unit of work; a fixed number of statements; ``snapshot``: see ``_findings``)."""
    unit_rows = [u for u in uow.units.list(bureau_id, units)]
    found = _findings(uow, bureau_id, units, now, settings, catalogue, snapshot)
    population = {(str(u), kind): n for (u, kind), n in uow.oversight.population(bureau_id, units).items()}
    with_av, everyone = _activation(uow, bureau_id, units, settings)
    facts = Facts(found, population, with_av, everyone)
    return metrics(facts, [str(u.id) for u in unit_rows], RULES), found, unit_rows


@dataclass(frozen=True)
class Dashboard:
    today: date
    units: list[Unit]
    current: list[Metric]
    history: list[SnapshotRow]
    overdue: list[Finding]
    since: date


def dashboard(uow: UnitOfWork, ctx: Ctx, *, settings: RuleSettings, catalogue: CatalogueSource | None = None,
              days: int = DEFAULT_DAYS,
              unit_id: UUID | None = None) -> Dashboard:
    """Live metrics for today and ``days`` days of snapshots before it, of the actor's scope
    (narrowed to ``unit_id``). Not recorded: aggregate figures, no record is read.

    Raise ValidationFailed for ``days`` outside 1..366, PermissionDenied without oversight:view."""
    if not 1 <= days <= MAX_DAYS:
        raise invalid("days", f"天数须在1至{MAX_DAYS}之间", f"days must be 1 to {MAX_DAYS}")
    bureau_id = _bureau(ctx)
    units = _scope(ctx, unit_id)
    today = local_date(ctx.now)
    since = today - timedelta(days=days)
    snapshot = uow.snapshot()
    with uow:
        current, found, unit_rows = compute(uow, bureau_id, units, ctx.now, settings, catalogue, snapshot)
        history = [r for r in uow.oversight.snapshots(bureau_id, units, since, today) if r.day < today]
    overdue = sorted((f for f in found if f.status is FindingStatus.OVERDUE),
                     key=lambda f: (f.due_at or ctx.now, f.rule.id))
    return Dashboard(today, unit_rows, current, history, overdue, since)


def take_snapshot(uow: UnitOfWork, ctx: Ctx, *, settings: RuleSettings,
                  catalogue: CatalogueSource | None = None) -> dict[UUID, int]:
    """Store today's metrics of every unit of every bureau the actor oversees bureau-wide (the
    system: all) as the day's snapshot; return the rows written per bureau. Not in the ledger."""
    require_bureau_wide(ctx.actor, Permission.OVERSIGHT_VIEW)
    today = local_date(ctx.now)
    written: dict[UUID, int] = {}
    snapshot = uow.snapshot()
    with uow:
        bureaus = [ctx.actor.bureau_id] if ctx.actor.bureau_id else [b.id for b in uow.bureaus.list()]
        for bureau_id in bureaus:
            current, _, _ = compute(uow, bureau_id, None, ctx.now, settings, catalogue, snapshot)
            rows = [SnapshotRow(str(bureau_id), today, m.unit_id, m.metric, m.numerator, m.denominator, ctx.now)
                    for m in current]
            uow.oversight.replace_snapshot(bureau_id, today, rows)
            written[bureau_id] = len(rows)
        uow.commit()
    return written


def snapshot_if_due(uow: UnitOfWork, ctx: Ctx, *, settings: RuleSettings,
                    catalogue: CatalogueSource | None = None,
                    every: timedelta = SNAPSHOT_EVERY) -> dict[UUID, int] | None:
    """``take_snapshot`` when the last one of any bureau is older than ``every`` (or on a new
    day); None when not due. The background worker's tick (as the system)."""
    with uow:
        bureaus = [b.id for b in uow.bureaus.list()]
        last = [uow.oversight.last_snapshot_at(b) for b in bureaus]
    due = any(at is None or ctx.now - at >= every or local_date(at) != local_date(ctx.now) for at in last)
    return take_snapshot(uow, ctx, settings=settings, catalogue=catalogue) if bureaus and due else None
