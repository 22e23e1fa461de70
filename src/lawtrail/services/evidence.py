"""Use cases of evidence use and retention (Art. 43, 44): mark an original as evidence with its
written note (who collected it, when, where), record the Art. 44 situations, and keep the
retention class that follows. Every change is a new version of the mark (never an update),
one transaction, one ``media:evidence:mark`` event.

A partial note is accepted (the officer may not know the place yet): ``ART43-EVIDENCE-NOTE``
then reports what is missing until a later version completes it. Retention never goes down:
evidence and Art. 44 material are kept long-term, and once long-term, always long-term.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.events import Action
from lawtrail.domain.evidence import (
    SITUATION_LABELS,
    MediaMark,
    RetentionClass,
    RetentionPolicy,
    Situation,
    legal_minimum_until,
)
from lawtrail.domain.org import Problems, clean_text
from lawtrail.domain.rules.common import local
from lawtrail.domain.rules.vault import retention_base
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import NotFound, RuleViolation, ValidationFailed, invalid
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.handins import SKEW
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record


def load_media(uow: UnitOfWork, ctx: Ctx, media_id: UUID) -> MediaRecord:
    """The original ``media_id`` of the actor's bureau (inside ``with uow``); raise NotFound."""
    if ctx.actor.bureau_id is None:
        raise ValidationFailed("请指定机关", "no bureau chosen", code="bureau.required")
    found = uow.media.in_scope(ctx.actor.bureau_id, None, media_id=media_id)
    if not found:
        raise NotFound("原始文件不存在", "no such original", code="media.not_found")
    return found[0]


def _situations(values: Iterable[str | Situation], problems: Problems) -> tuple[Situation, ...]:
    chosen: list[Situation] = []
    for value in values:
        try:
            chosen.append(Situation(value))
        except ValueError:
            problems.add("situations", "情形须为：" + "；".join(SITUATION_LABELS.values()),
                         "situations must be among " + ", ".join(s.value for s in Situation))
    return tuple(dict.fromkeys(sorted(chosen)))


def _retention_class(value: str | RetentionClass | None, retain_until: datetime | None,
                     problems: Problems) -> RetentionClass | None:
    """The retention class asked for (None: let the marks decide); ``retain_until`` only with standard."""
    chosen: RetentionClass | None = None
    if value is not None and value != "":
        try:
            chosen = RetentionClass(value)
        except ValueError:
            problems.add("retention", "保存期限须为 standard（一般保存）或 long_term（长期保存）",
                         "retention must be standard or long_term")
    if chosen is RetentionClass.ARCHIVAL:  # follows from a case's archiving, never chosen by hand
        problems.add("retention", "归档保存随案件归档自动适用，不能手工标记",
                     "archival retention follows from a case being archived; it cannot be chosen")
    if retain_until is not None and retain_until.utcoffset() is None:
        problems.add("retain_until", "保存截止时间须带时区", "retain_until must carry a time zone")
    if retain_until is not None and chosen is RetentionClass.LONG_TERM:
        problems.add("retain_until", "长期保存不设截止日期", "long-term retention has no end date")
    return chosen


def _long_term_reason(earlier: list[MediaMark], needs_long_term: bool) -> tuple[str, str] | None:
    if needs_long_term:
        return ("作为证据使用或属于第四十四条情形的音像资料应长期保存",
                "evidence and Art. 44 material must be kept long-term")
    if any(m.retention is RetentionClass.LONG_TERM for m in earlier):
        return "已定为长期保存，不得改为一般保存", "once long-term, retention cannot go back to standard"
    return None


def _retention(media: MediaRecord, earlier: list[MediaMark], needs_long_term: bool,
               retain_until: datetime | None, policy: RetentionPolicy,
               asked: RetentionClass | None = None) -> tuple[RetentionClass, datetime | None]:
    """Long-term when asked for, needed or already long-term; else standard until the later of
    the configured period and ``retain_until``. Raise RuleViolation when standard is asked for
    where long-term is due (``media.long_term_required``, Art. 43/44) or below six months
    (``media.retention_too_short``, Art. 43)."""
    reason = _long_term_reason(earlier, needs_long_term)
    if reason is not None and (asked is RetentionClass.STANDARD or retain_until is not None):
        raise RuleViolation(f"{reason[0]}，不能设为一般保存或保存截止日期", f"{reason[1]}: no standard period",
                            code="media.long_term_required", article="第四十三条、第四十四条")
    if reason is not None or asked is RetentionClass.LONG_TERM:
        return RetentionClass.LONG_TERM, None
    base = retention_base(media)
    floor = legal_minimum_until(base)
    if retain_until is not None and retain_until < floor:
        raise RuleViolation(f"保存期限不得少于自拍摄起六个月（不早于 {local(floor)}）",
                            f"retention must be at least six months from capture (no earlier than {local(floor)})",
                            code="media.retention_too_short", article="第四十三条")
    configured = policy.standard_until(base)
    return RetentionClass.STANDARD, max(configured, retain_until) if retain_until else configured


def mark_media(uow: UnitOfWork, ctx: Ctx, media_id: UUID, *, policy: RetentionPolicy, evidence: bool,
               collector: str = "", collected_at: datetime | None = None, place: str = "",
               situations: Iterable[str | Situation] = (), situation_note: str = "",
               retain_until: datetime | None = None, retention: str | RetentionClass | None = None) -> MediaMark:
    """Add the next version of the original's mark. Needs media:evidence on its unit.

    ``retention`` asks for a class (None: long-term when evidence or Art. 44 situations, or
    once long-term; standard otherwise); ``retain_until`` extends a standard period.
    Raise NotFound, ValidationFailed (bad input; a note without evidence; "other" without a
    description; an end date with long-term), RuleViolation (``media.retention_too_short``,
    ``media.long_term_required``; Art. 43, 44), Conflict when another version was written meanwhile."""
    problems = Problems()
    collector = clean_text(collector, "collector", "取证人员", problems, max_len=100, required=False)
    place = clean_text(place, "place", "取证地点", problems, max_len=200, required=False)
    situation_note = clean_text(situation_note, "situation_note", "情形说明", problems, max_len=2000, required=False)
    chosen = _situations(situations, problems)
    asked = _retention_class(retention, retain_until, problems)
    if collected_at is not None and (collected_at.utcoffset() is None or collected_at > ctx.now + SKEW):
        problems.add("collected_at", "取证时间无效或晚于当前时间", "collected_at is invalid or in the future")
    if not evidence and (collector or place or collected_at):
        problems.add("evidence", "填写取证说明时须标记为证据", "a collection note needs the evidence mark")
    if Situation.OTHER in chosen and not situation_note:
        problems.add("situation_note", "“其他重要情况”须说明具体情形", "describe the 'other' situation")
    problems.raise_if_any()
    with uow:
        media = load_media(uow, ctx, media_id)
        require(ctx.actor, Permission.MEDIA_EVIDENCE, bureau_id=media.bureau_id, unit_id=media.unit_id)
        earlier = uow.marks.for_media(media.id)
        kept, until = _retention(media, earlier, evidence or bool(chosen), retain_until, policy, asked)
        mark = MediaMark(media_id=media.id, version=len(earlier) + 1, evidence=evidence, collector=collector,
                         collected_at=collected_at, place=place, situations=chosen, situation_note=situation_note,
                         retention=kept, retain_until=until, actor_id=ctx.actor.user_id,
                         actor_name=ctx.actor.name[:100], at=ctx.now)
        uow.marks.add(mark)
        record(uow, ctx, Action.MEDIA_EVIDENCE_MARK, subject_type="media", subject_id=media.id,
               subject_name=f"{media.original_name} ({media.sha256[:12]})",
               before=earlier[-1] if earlier else None, after=mark)
        uow.commit()
    return mark


def resolve_media(uow: UnitOfWork, ctx: Ctx, ref: str) -> UUID:
    """The id of the original named by ``ref``: its id, or its SHA-256 (64 hex digits).

    Raise ValidationFailed (``ref`` is neither), NotFound when no original of the actor's
    bureau has it."""
    text = ref.strip().lower()
    if len(text) == 64 and all(ch in "0123456789abcdef" for ch in text):
        with uow:
            found = uow.media.by_sha256(text)
        if found is None or found.bureau_id != ctx.actor.bureau_id:
            raise NotFound(f"没有摘要为 {text[:12]}… 的原始文件", f"no original with SHA-256 {text}",
                           code="media.not_found")
        return found.id
    try:
        media_id = UUID(text)
    except ValueError:
        raise invalid("media", "请给出原始文件编号或其 SHA-256 摘要（64 位十六进制）",
                      "give the original's id or its SHA-256 (64 hex digits)") from None
    with uow:
        return load_media(uow, ctx, media_id).id


def list_marks(uow: UnitOfWork, ctx: Ctx, media_id: UUID) -> tuple[MediaRecord, list[MediaMark]]:
    """The original and every version of its mark, oldest first; needs finding:view on its unit."""
    with uow:
        media = load_media(uow, ctx, media_id)
        require(ctx.actor, Permission.FINDING_VIEW, bureau_id=media.bureau_id, unit_id=media.unit_id)
        return media, uow.marks.for_media(media.id)
