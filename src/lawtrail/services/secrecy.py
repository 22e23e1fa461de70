"""Use cases of confidentiality (Art. 47, 49): a person's clearance, the level of a case and of
an original. One transaction and one event each (docs/decisions/0017).

Raising a level is for whoever classifies (secrecy:set on the item's unit); lowering it is for
the bureau head (access:approve) as well. A state-secret item keeps only its registration unless
the deployment is approved for its content (``state_secret_content``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.cases import Case
from lawtrail.domain.events import Action
from lawtrail.domain.org import Problems, clean_text
from lawtrail.domain.secrecy import (
    DEFAULT_CLEARANCE,
    RANK,
    Clearance,
    Level,
    MediaLevel,
    content_refused,
    parse_clearance,
    parse_level,
)
from lawtrail.errors import NotFound, ValidationFailed
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record

REASON_MAX = 500


def _reason(reason: str) -> str:
    problems = Problems()
    text = clean_text(reason, "reason", "理由", problems, max_len=REASON_MAX)
    problems.raise_if_any()
    return text


def clearance(uow: UnitOfWork, ctx: Ctx, user_id: UUID) -> frozenset[Level]:
    """A person's clearance (the default when none was recorded); user:view on the person."""
    with uow:
        user = uow.users.get(user_id)
        if user is None or user.bureau_id != ctx.actor.bureau_id:
            raise NotFound("用户不存在", "no such user", code="user.not_found")
        require(ctx.actor, Permission.USER_VIEW, bureau_id=user.bureau_id, unit_id=user.unit_id)
        found = uow.access.clearance(user.id)
    return found.levels if found else DEFAULT_CLEARANCE


def set_clearance(uow: UnitOfWork, ctx: Ctx, user_id: UUID, *, levels: Iterable[str], reason: str) -> Clearance:
    """Record the person's clearance anew (user:clearance; the administrator): one
    ``org:user:clearance`` event with before and after. Raise ValidationFailed for an unknown
    level, a missing reason or no change; NotFound for a person of another bureau."""
    wanted = parse_clearance(levels)
    text = _reason(reason)
    with uow:
        user = uow.users.get(user_id)
        if user is None or user.bureau_id != ctx.actor.bureau_id:
            raise NotFound("用户不存在", "no such user", code="user.not_found")
        require(ctx.actor, Permission.CLEARANCE_MANAGE, bureau_id=user.bureau_id, unit_id=user.unit_id)
        current = uow.access.clearance(user.id)
        before = current.levels if current else DEFAULT_CLEARANCE
        if wanted == before:
            raise ValidationFailed("知悉范围没有变化", "the clearance is unchanged", code="secrecy.unchanged")
        row = Clearance(user_id=user.id, version=(current.version if current else 0) + 1, levels=wanted,
                        reason=text, actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], at=ctx.now)
        uow.access.add_clearance(row)
        record(uow, ctx, Action.USER_CLEARANCE, subject_type="user", subject_id=user.id,
               subject_name=user.display_name, before_dict={"levels": sorted(v.value for v in before)},
               after_dict={"levels": sorted(v.value for v in wanted), "reason": text})
        uow.commit()
    return row


def _check_change(ctx: Ctx, before: Level, after: Level, *, bureau_id: UUID, unit_id: UUID,
                  state_secret_content: bool, has_content: bool) -> None:
    require(ctx.actor, Permission.SECRECY_SET, bureau_id=bureau_id, unit_id=unit_id)
    if after == before:
        raise ValidationFailed("密级没有变化", "the level is unchanged", code="secrecy.unchanged")
    if RANK[after] < RANK[before]:  # declassifying is the bureau head's decision
        require(ctx.actor, Permission.ACCESS_APPROVE, bureau_id=bureau_id)
    if after == Level.STATE_SECRET and has_content and not state_secret_content:
        raise content_refused(after)


def set_case_level(uow: UnitOfWork, ctx: Ctx, case_id: UUID, *, level: str, reason: str,
                   state_secret_content: bool = False) -> Case:
    """Classify a case (its records and linked originals inherit the level): one
    ``case:secrecy:set`` event. Raise ValidationFailed for an unknown level, no change, a missing
    reason, or state secret for a case holding originals in a deployment not approved for it
    (``secrecy.state_secret_content``); PermissionDenied without secrecy:set (and access:approve
    to lower it); NotFound for a case of another bureau."""
    new = parse_level(level)
    text = _reason(reason)
    with uow:
        case = uow.cases.get(case_id)
        if case is None or case.bureau_id != ctx.actor.bureau_id:
            raise NotFound("案件不存在", "no such case", code="case.not_found")
        linked = [x for x in uow.cases.media_links(case.id)]
        latest = {x.media_id: x.linked for x in sorted(linked, key=lambda x: x.at)}
        _check_change(ctx, Level(case.secrecy), new, bureau_id=case.bureau_id, unit_id=case.unit_id,
                      state_secret_content=state_secret_content, has_content=any(latest.values()))
        after = replace(case, secrecy=new.value, updated_at=ctx.now)
        uow.cases.update(after)
        record(uow, ctx, Action.CASE_SECRECY, subject_type="case", subject_id=case.id, subject_name=case.title,
               before_dict={"level": case.secrecy}, after_dict={"level": new.value, "reason": text})
        uow.commit()
    return after


def set_media_level(uow: UnitOfWork, ctx: Ctx, media_id: UUID, *, level: str, reason: str,
                    state_secret_content: bool = False) -> MediaLevel:
    """Classify an original (a new version; earlier ones stay): one ``media:secrecy:set`` event.
    Errors as ``set_case_level``; state secret is refused for any stored original unless the
    deployment is approved for such content."""
    new = parse_level(level)
    text = _reason(reason)
    with uow:
        media = uow.media.get(media_id)
        if media is None or media.bureau_id != ctx.actor.bureau_id:
            raise NotFound("音像资料不存在", "no such media", code="media.not_found")
        current = uow.access.media_level(media.id)
        before = current.level if current else Level.ORDINARY
        _check_change(ctx, before, new, bureau_id=media.bureau_id, unit_id=media.unit_id,
                      state_secret_content=state_secret_content, has_content=True)
        row = MediaLevel(media_id=media.id, version=(current.version if current else 0) + 1, level=new, reason=text,
                         actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], at=ctx.now)
        uow.access.add_media_level(row)
        record(uow, ctx, Action.MEDIA_SECRECY, subject_type="media", subject_id=media.id,
               subject_name=f"{media.original_name} ({media.sha256[:12]})", before_dict={"level": before.value},
               after_dict={"level": new.value, "reason": text})
        uow.commit()
    return row
