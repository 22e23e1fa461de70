"""Use cases of retention and legal holds (Art. 39, 43, 44): the retention of every original,
raising one (upwards only, with a reason), placing and releasing legal holds, and the preview of
what a changed policy would make disposable. Needs archive:manage; every change is one
transaction and one ledger event.

Reads are set-based (``bureau_items``): a fixed number of statements for a whole bureau.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.archive import (
    ArchivedIn,
    HoldRelease,
    HoldTarget,
    ItemFacts,
    LegalHold,
    Retention,
    RetentionOverride,
    check_override,
    disposal_refusals,
    effective_retention,
    newly_disposable,
)
from lawtrail.domain.events import Action
from lawtrail.domain.evidence import RetentionClass, RetentionPolicy
from lawtrail.domain.org import Problems, clean_text
from lawtrail.errors import Conflict, NotFound, ValidationFailed
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record


def bureau_of(ctx: Ctx) -> UUID:
    if ctx.actor.bureau_id is None:
        raise ValidationFailed("请指定机关", "no bureau chosen", code="bureau.required")
    return ctx.actor.bureau_id


def _reason(text: str, label: str = "理由") -> str:
    problems = Problems()
    reason = clean_text(text, "reason", label, problems, max_len=1000)
    problems.raise_if_any()
    return reason


def bureau_items(uow: UnitOfWork, bureau_id: UUID, now: datetime,
                 media_ids: set[UUID] | None = None) -> list[ItemFacts]:
    """What decides the retention of every original of the bureau (only ``media_ids`` when
    given), inside ``with uow``; a fixed number of statements."""
    media = uow.media.in_scope(bureau_id, None)
    marks = uow.marks.latest_in_scope(bureau_id, None)
    overrides = uow.archive.latest_overrides(bureau_id)
    links = uow.archive.case_links(bureau_id)
    active = [h for h in uow.archive.holds(bureau_id) if h.active]
    disposed = uow.archive.disposed_media(bureau_id)
    out = []
    for m in media:
        if media_ids is not None and m.id not in media_ids:
            continue
        cases = links.get(m.id, [])
        case_ids = {c.case_id if isinstance(c, ArchivedIn) else c for c in cases}
        holds = tuple(h for h in active if (h.target is HoldTarget.MEDIA and h.target_id == m.id)
                      or (h.target is HoldTarget.CASE and h.target_id in case_ids))
        out.append(ItemFacts(media=m, mark=marks.get(m.id), override=overrides.get(m.id),
                             archived_in=tuple(c for c in cases if isinstance(c, ArchivedIn)), holds=holds,
                             disposed=m.id in disposed))
    return out


@dataclass(frozen=True)
class RetentionRow:
    """One original with its retention now and whether (and why not) it may be disposed of."""

    facts: ItemFacts
    retention: Retention
    refusals: tuple[str, ...]  # zh messages; empty = disposable

    @property
    def disposable(self) -> bool:
        return not self.refusals


def retention_list(uow: UnitOfWork, ctx: Ctx, policy: RetentionPolicy, *,
                   only_disposable: bool = False) -> list[RetentionRow]:
    """Every original of the bureau with its retention; needs archive:manage."""
    bureau_id = bureau_of(ctx)
    require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=bureau_id)
    with uow:
        items = bureau_items(uow, bureau_id, ctx.now)
    rows = [RetentionRow(f, effective_retention(f, policy),
                         tuple(r.message_zh for r in disposal_refusals(f, policy, ctx.now))) for f in items]
    return [r for r in rows if r.disposable] if only_disposable else rows


def preview_policy(uow: UnitOfWork, ctx: Ctx, current: RetentionPolicy, candidate: RetentionPolicy,
                   at: datetime | None = None) -> list[tuple[ItemFacts, Retention]]:
    """The originals ``candidate`` would make disposable at ``at`` (default now) that ``current``
    does not: shown before a policy change takes effect. Needs archive:manage; records nothing."""
    bureau_id = bureau_of(ctx)
    require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=bureau_id)
    with uow:
        items = bureau_items(uow, bureau_id, ctx.now)
    return newly_disposable(items, current, candidate, at or ctx.now)


def raise_retention(uow: UnitOfWork, ctx: Ctx, media_id: UUID, *, policy: RetentionPolicy,
                    retention: str | RetentionClass, until: datetime | None, reason: str) -> RetentionOverride:
    """Raise one original's retention: to long-term, or standard to a later ``until``; with a
    reason. Raise ValidationFailed (bad input), NotFound, RuleViolation ``archive.override_down``
    (not upwards, Art. 43); one ``archive:retention:raise`` event."""
    problems = Problems()
    reason = clean_text(reason, "reason", "理由", problems, max_len=1000)
    try:
        kept = RetentionClass(retention)
    except ValueError:
        kept = RetentionClass.STANDARD
        problems.add("retention", "保存期限须为 standard 或 long_term", "retention must be standard or long_term")
    if kept is RetentionClass.ARCHIVAL:
        problems.add("retention", "归档保存随案件归档适用", "archival retention follows from archiving a case")
    if kept is RetentionClass.STANDARD and (until is None or until.utcoffset() is None):
        problems.add("until", "请给出带时区的新截止日期", "give the new end date with a time zone")
    if kept is RetentionClass.LONG_TERM and until is not None:
        problems.add("until", "长期保存不设截止日期", "long-term retention has no end date")
    problems.raise_if_any()
    bureau_id = bureau_of(ctx)
    with uow:
        found = bureau_items(uow, bureau_id, ctx.now, {media_id})
        if not found:
            raise NotFound("原始文件不存在", "no such original", code="media.not_found")
        facts = found[0]
        require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=bureau_id, unit_id=facts.media.unit_id)
        before = effective_retention(facts, policy)
        check_override(before, kept, until)
        earlier = uow.archive.overrides_for(media_id)
        override = RetentionOverride(media_id=media_id, version=len(earlier) + 1, retention=kept, retain_until=until,
                                     reason=reason, actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100],
                                     at=ctx.now)
        uow.archive.add_override(override)
        record(uow, ctx, Action.RETENTION_RAISE, subject_type="media", subject_id=media_id,
               subject_name=f"{facts.media.original_name} ({facts.media.sha256[:12]})",
               before_dict={"retention": before.retention.value,
                            "until": before.until.isoformat() if before.until else None}, after=override)
        uow.commit()
    return override


def _target(uow: UnitOfWork, ctx: Ctx, target: HoldTarget, target_id: UUID) -> tuple[str, UUID | None]:
    """The name and unit of the hold's target in the actor's bureau; raise NotFound."""
    if target is HoldTarget.MEDIA:
        media = uow.media.get(target_id)
        if media is None or media.bureau_id != ctx.actor.bureau_id:
            raise NotFound("原始文件不存在", "no such original", code="media.not_found")
        return f"{media.original_name} ({media.sha256[:12]})", media.unit_id
    case = uow.cases.get(target_id)
    if case is None or case.bureau_id != ctx.actor.bureau_id:
        raise NotFound("案件不存在", "no such case", code="case.not_found")
    return f"{case.number} {case.name}", case.unit_id


def place_hold(uow: UnitOfWork, ctx: Ctx, *, target: str | HoldTarget, target_id: UUID,
               reason: str) -> LegalHold:
    """Place a legal hold (法律保全) on an original or a case (all its originals); while active,
    nothing it covers can be disposed of. Needs archive:manage; one ``archive:hold:place`` event."""
    try:
        kind = HoldTarget(target)
    except ValueError:
        raise ValidationFailed("保全对象须为 media 或 case", "the hold's target must be media or case",
                               code="archive.bad_target") from None
    why = _reason(reason, "保全理由")
    bureau_id = bureau_of(ctx)
    with uow:
        name, unit_id = _target(uow, ctx, kind, target_id)
        require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=bureau_id, unit_id=unit_id)
        hold = LegalHold(id=uuid.uuid4(), bureau_id=bureau_id, target=kind, target_id=target_id, target_name=name,
                         reason=why, placed_by_id=ctx.actor.user_id, placed_by_name=ctx.actor.name[:100],
                         placed_at=ctx.now)
        uow.archive.add_hold(hold)
        record(uow, ctx, Action.HOLD_PLACE, subject_type=kind.value, subject_id=target_id, subject_name=name,
               after=hold)
        uow.commit()
    return hold


def release_hold(uow: UnitOfWork, ctx: Ctx, hold_id: UUID, *, reason: str) -> LegalHold:
    """Release an active hold with a reason. Raise NotFound, Conflict ``archive.hold_released``;
    needs archive:manage; one ``archive:hold:release`` event."""
    why = _reason(reason, "解除理由")
    bureau_id = bureau_of(ctx)
    with uow:
        hold = uow.archive.hold(hold_id)
        if hold is None or hold.bureau_id != bureau_id:
            raise NotFound("保全不存在", "no such legal hold", code="archive.hold_not_found")
        require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=bureau_id)
        if not hold.active:
            raise Conflict("该保全已解除", "the hold was already released", code="archive.hold_released")
        release = HoldRelease(hold_id=hold.id, reason=why, actor_id=ctx.actor.user_id,
                              actor_name=ctx.actor.name[:100], at=ctx.now)
        uow.archive.add_release(release)
        record(uow, ctx, Action.HOLD_RELEASE, subject_type=hold.target.value, subject_id=hold.target_id,
               subject_name=hold.target_name, before=hold, after=release)
        uow.commit()
        released = uow.archive.hold(hold_id)
    assert released is not None
    return released


def list_holds(uow: UnitOfWork, ctx: Ctx) -> list[LegalHold]:
    bureau_id = bureau_of(ctx)
    require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=bureau_id)
    with uow:
        return uow.archive.holds(bureau_id)
