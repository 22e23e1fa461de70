"""Use cases of cases (案件): open, edit, parties, handlers, stage moves, closing, media links,
and the reads (list, detail, an officer's open cases at a time, the case's trail).

Each change is one transaction with one ledger event (``case:…``); a refusal raises before
anything is written. Permissions: ``case:manage`` to change, ``case:view`` to read, both for
the case's unit (``services.guard``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from lawtrail.domain import service
from lawtrail.domain.access import Permission, Role, allows
from lawtrail.domain.approvals import check_gate
from lawtrail.domain.cases import (
    Case,
    CaseFilter,
    Handler,
    MediaLink,
    Stage,
    StageChange,
    bureau_abbreviation,
    case_number,
    certified_handler_violation,
    check_advance,
    check_close,
    check_handlers_for,
    current_media,
    handler_problems,
    number_year,
)
from lawtrail.domain.events import Action, Event
from lawtrail.domain.org import Problems, Unit, User, clean_text, local_date
from lawtrail.domain.parties import Party, PartyInput, PartyKind, check_party
from lawtrail.domain.rules.approvals import assemble
from lawtrail.domain.secrecy import Level, content_refused
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import Conflict, NotFound, ValidationFailed, invalid
from lawtrail.services.case_input import CaseDetails, check_details
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, visible_units
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record, snapshot

PAGE_SIZE = 20
PAGE_SIZE_MAX = 100
SUBJECT = "case"

__all__ = ["CaseDetail", "CaseDetails", "CasePage", "add_party", "advance_stage", "check_linkable", "close_case",
           "find_case", "get_case", "link_media", "link_registered", "list_cases", "officers_of", "open_case",
           "open_cases_of", "record_link", "set_handlers", "unlink_media", "update_case_details"]


@dataclass(frozen=True)
class CaseDetail:
    """A case with everything the case page shows. ``handlers`` pairs each assignment with the
    person (None if they are not visible any more)."""

    case: Case
    unit: Unit | None
    parties: list[Party]
    handlers: list[tuple[Handler, User | None]]
    stages: list[StageChange]
    media: list[MediaRecord]
    links: list[MediaLink]


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


# ---- helpers ------------------------------------------------------------------------------------


def _load(uow: UnitOfWork, ctx: Ctx, case_id: UUID, perm: Permission = Permission.CASE_MANAGE) -> Case:
    case = uow.cases.get(case_id)
    if case is None or (ctx.actor.bureau_id and case.bureau_id != ctx.actor.bureau_id):
        raise NotFound("案件不存在", "no such case", code="case.not_found")
    require(ctx.actor, perm, bureau_id=case.bureau_id, unit_id=case.unit_id)
    return case


def _not_archived(case: Case) -> None:
    if case.stage is Stage.ARCHIVE:
        raise ValidationFailed("案件已进入归档环节，不能再修改；确需纠正的，请先以更正方式退回",
                               "the case is at the archive stage and cannot be changed; record a correction first",
                               code="case.archived", article="第三十九条")


def _event(uow: UnitOfWork, ctx: Ctx, action: Action, case: Case, *, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> Event:
    return record(uow, ctx, action, subject_type=SUBJECT, subject_id=case.id, subject_name=case.title[:300],
                  before_dict=before, after_dict=after)


def _handler_users(uow: UnitOfWork, ctx: Ctx, ids: Sequence[UUID], bureau_id: UUID) -> list[User]:
    """The people behind ``ids`` (distinct, same bureau), each able to act today (Art. 5)."""
    if len(set(ids)) != len(ids):
        raise invalid("handler_ids", "承办人不能重复", "a handler is listed twice")
    people: list[User] = []
    for user_id in ids:
        user = uow.users.get(user_id)
        if user is None or user.bureau_id != bureau_id:
            raise NotFound("承办人不存在", "no such handler", code="user.not_found")
        people.append(user)
    bad = handler_problems(people, local_date(ctx.now))
    if bad:
        raise certified_handler_violation(bad, local_date(ctx.now))
    return people


def _handlers_json(handlers: Sequence[Handler], people: Sequence[User]) -> list[dict[str, Any]]:
    names = {u.id: u.display_name for u in people}
    return [{"user_id": str(h.user_id), "name": names.get(h.user_id, ""), "lead": h.lead} for h in handlers]


def _assign(case: Case, people: Sequence[User], lead_id: UUID | None, at: datetime) -> list[Handler]:
    if lead_id is not None and lead_id not in {u.id for u in people}:
        raise invalid("lead_id", "主办人须是承办人之一", "the lead handler must be one of the handlers")
    lead = lead_id or (people[0].id if people else None)
    return [Handler(case.id, u.id, u.id == lead, at) for u in people]


def _stage_change(ctx: Ctx, case: Case, frm: Stage | None, to: Stage, reason: str,
                  correction: bool = False) -> StageChange:
    return StageChange(id=uuid.uuid4(), case_id=case.id, from_stage=frm, to_stage=to, at=ctx.now,
                       actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], reason=reason,
                       correction=correction)


# ---- changes ------------------------------------------------------------------------------------


def open_case(uow: UnitOfWork, ctx: Ctx, *, unit_id: UUID, details: CaseDetails,
              parties: Sequence[PartyInput] = (), handler_ids: Sequence[UUID] = (),
              lead_id: UUID | None = None) -> Case:
    """Open a case at the initiation stage with the next number of the bureau and year.

    Raise ValidationFailed for bad fields (every problem listed), NotFound for an unknown unit or
    person, RuleViolation ``ART05-CERTIFIED-HANDLER`` for a handler without a valid certificate."""
    problems = Problems()
    clean = check_details(details, problems)
    checked = [check_party(p, problems, f"parties.{i}.") for i, p in enumerate(parties)]
    problems.raise_if_any()
    with uow:
        unit = uow.units.get(unit_id)
        if unit is None or not unit.active or (ctx.actor.bureau_id and unit.bureau_id != ctx.actor.bureau_id):
            raise NotFound("执法机构不存在或已停用", "unknown or inactive unit", code="unit.not_found")
        require(ctx.actor, Permission.CASE_MANAGE, bureau_id=unit.bureau_id, unit_id=unit.id)
        people = _handler_users(uow, ctx, list(handler_ids), unit.bureau_id)
        bureau = uow.bureaus.get(unit.bureau_id)
        assert bureau is not None  # a unit's bureau exists (foreign key)
        year = number_year(ctx.now)
        serial = uow.cases.next_serial(bureau.id, year)
        case = Case(id=uuid.uuid4(), bureau_id=bureau.id, unit_id=unit.id,
                    number=case_number(bureau_abbreviation(bureau.name, bureau.code), unit.code, year, serial),
                    year=year, serial=serial, stage=Stage.INITIATION, opened_at=ctx.now,
                    opened_by=ctx.actor.name[:100], updated_at=ctx.now, **clean)
        uow.cases.add(case)
        uow.cases.add_stage_change(_stage_change(ctx, case, None, Stage.INITIATION, "程序启动"))
        stored = [_party(ctx, case, p) for p in checked]
        for party in stored:
            uow.cases.add_party(party)
        handlers = _assign(case, people, lead_id, ctx.now)
        uow.cases.set_handlers(case.id, handlers)
        # The number already carries the year and serial; the rest of the case is recorded as is.
        opened = {k: v for k, v in (snapshot(case) or {}).items() if k not in ("year", "serial")}
        _event(uow, ctx, Action.CASE_OPEN, case, after={
            **opened, "parties": [snapshot(p) for p in stored],
            "handlers": _handlers_json(handlers, people)})
        uow.commit()
    return case


def _party(ctx: Ctx, case: Case, p: PartyInput) -> Party:
    return Party(id=uuid.uuid4(), case_id=case.id, kind=PartyKind(p.kind), name=p.name, id_number=p.id_number,
                 legal_rep=p.legal_rep, address=p.address, phone=p.phone, added_at=ctx.now,
                 added_by=ctx.actor.name[:100])


def update_case_details(uow: UnitOfWork, ctx: Ctx, case_id: UUID, *, details: CaseDetails) -> Case:
    """Replace the descriptive details (name, cause, origin and its details, action type,
    procedure). The action type and procedure may change only at initiation (the transition
    table depends on them). Return the case unchanged when nothing differs (no event)."""
    problems = Problems()
    clean = check_details(details, problems)
    problems.raise_if_any()
    with uow:
        before = _load(uow, ctx, case_id)
        _not_archived(before)
        after = replace(before, **clean)
        if before.stage is not Stage.INITIATION and (after.procedure, after.action_type) != (
                before.procedure, before.action_type):
            raise ValidationFailed("执法行为类别和程序只能在程序启动环节修改",
                                   "the action type and procedure can only change at initiation",
                                   code="case.type_fixed", article="第九条")
        if after == before:
            return before
        after = replace(after, updated_at=ctx.now)
        uow.cases.update(after)
        _event(uow, ctx, Action.CASE_UPDATE, after, before=snapshot(before), after=snapshot(after))
        uow.commit()
    return after


def add_party(uow: UnitOfWork, ctx: Ctx, case_id: UUID, data: PartyInput) -> Party:
    """Add a party; raise Conflict ``case.party_exists`` when its identifier is already a party."""
    problems = Problems()
    clean = check_party(data, problems)
    problems.raise_if_any()
    with uow:
        case = _load(uow, ctx, case_id)
        _not_archived(case)
        if any(p.id_number == clean.id_number for p in uow.cases.parties(case.id)):
            raise Conflict(f"证件号码为 {clean.id_number} 的当事人已在本案中",
                           f"a party with identifier {clean.id_number} is already in this case",
                           code="case.party_exists")
        party = _party(ctx, case, clean)
        uow.cases.add_party(party)
        _event(uow, ctx, Action.CASE_PARTY_ADD, case, after=snapshot(party))
        uow.commit()
    return party


def set_handlers(uow: UnitOfWork, ctx: Ctx, case_id: UUID, *, handler_ids: Sequence[UUID],
                 lead_id: UUID | None = None) -> list[Handler]:
    """Make ``handler_ids`` the case's handlers (the first, or ``lead_id``, leads). Each must be an
    active officer with a certificate valid today; from investigation on there must be two at
    least (RuleViolation ``ART05-CERTIFIED-HANDLER``)."""
    if not handler_ids:
        raise invalid("handler_ids", "请至少选择一名承办人", "choose at least one handler")
    with uow:
        case = _load(uow, ctx, case_id)
        _not_archived(case)
        people = _handler_users(uow, ctx, list(handler_ids), case.bureau_id)
        check_handlers_for(case.stage, people, local_date(ctx.now))
        before = uow.cases.handlers(case.id)
        handlers = _assign(case, people, lead_id, ctx.now)
        if [(h.user_id, h.lead) for h in before] == [(h.user_id, h.lead) for h in handlers]:
            return before
        old_people = [u for h in before if (u := uow.users.get(h.user_id)) is not None]
        uow.cases.set_handlers(case.id, handlers)
        _event(uow, ctx, Action.CASE_HANDLERS_SET, case, before={"handlers": _handlers_json(before, old_people)},
               after={"handlers": _handlers_json(handlers, people)})
        uow.commit()
    return handlers


def advance_stage(uow: UnitOfWork, ctx: Ctx, case_id: UUID, *, to: Stage | str, reason: str = "",
                  correction: bool = False) -> Case:
    """Move the case to stage ``to`` as the transition table allows (InvalidTransition otherwise),
    checking the handler rule for the stage entered and the approval the move needs (RuleViolation:
    initiation → investigation the initiation approval or an emergency start, Art. 9; review →
    service the decision approval, Art. 19; leaving service a complete receipt of the decision,
    Art. 21). A ``correction`` goes back and needs a reason; out of 归档 it also removes the
    case's stored findings (decision 0048)."""
    problems = Problems()
    reason = clean_text(reason, "reason", "更正理由" if correction else "说明", problems, max_len=1000,
                        required=correction)
    try:
        target = Stage(to)
    except ValueError:
        problems.add("to", "未知环节", f"unknown stage {to!r}")
    problems.raise_if_any()
    with uow:
        before = _load(uow, ctx, case_id)
        check_advance(before, target, correction=correction)
        people = [u for h in uow.cases.handlers(before.id) if (u := uow.users.get(h.user_id)) is not None]
        check_handlers_for(target, people, local_date(ctx.now))
        if not correction:
            check_gate(before, target, assemble(*uow.approvals.for_case(before.id)))
            if before.stage is Stage.SERVICE:
                _check_served(uow, before, target)
        after = replace(before, stage=target, updated_at=ctx.now,
                        ended_at=ctx.now if target is Stage.ARCHIVE else None)
        uow.cases.update(after)
        uow.cases.add_stage_change(_stage_change(ctx, after, before.stage, target, reason, correction))
        change: dict[str, Any] = {"stage": target.value}
        if reason:
            change["reason"] = reason
        if correction:
            change["correction"] = True
        _event(uow, ctx, Action.CASE_STAGE_ADVANCE, after, before={"stage": before.stage.value}, after=change)
        uow.commit()
    return after


def _check_served(uow: UnitOfWork, case: Case, target: Stage) -> None:
    """Art. 21: leaving 送达 needs a complete receipt of the decision (``domain.service``)."""
    versions = [v for v in uow.records.for_case(case.id) if v.kind_id in service.KINDS]
    counts = {r: sum(1 for a in uow.records.attachments(r) if a.purpose == "attachment")
              for r in {v.record_id for v in versions if v.kind_id in service.SERVICE_KINDS}}
    service.check_leave_service(case, target, versions, uow.records.signatures_for_case(case.id), counts)


def close_case(uow: UnitOfWork, ctx: Ctx, case_id: UUID, *, reason: str) -> Case:
    """End the case without a decision (不予立案 at initiation, 撤销 during investigation or review),
    with a reason; it moves to the archive stage (its file is still archived, Art. 39)."""
    problems = Problems()
    reason = clean_text(reason, "reason", "终结理由", problems, max_len=1000)
    problems.raise_if_any()
    with uow:
        before = _load(uow, ctx, case_id)
        kind = check_close(before)
        after = replace(before, stage=Stage.ARCHIVE, ended_at=ctx.now, closed_kind=kind, closed_reason=reason,
                        updated_at=ctx.now)
        uow.cases.update(after)
        uow.cases.add_stage_change(_stage_change(ctx, after, before.stage, Stage.ARCHIVE, reason))
        _event(uow, ctx, Action.CASE_CLOSE, after, before={"stage": before.stage.value},
               after={"stage": Stage.ARCHIVE.value, "closed_kind": kind.value, "reason": reason})
        uow.commit()
    return after


def _media_visible(ctx: Ctx, media: MediaRecord) -> bool:
    """A vault original the actor may attach: one they may see (``media:view``: their own
    unit's for an officer), or one recorded by them."""
    if ctx.actor.bureau_id is not None and media.bureau_id != ctx.actor.bureau_id:
        return False
    return (ctx.actor.user_id is not None and media.officer_id == ctx.actor.user_id) or allows(
        ctx.actor, Permission.MEDIA_VIEW, bureau_id=media.bureau_id, unit_id=media.unit_id)


def _media_change(uow: UnitOfWork, ctx: Ctx, case_id: UUID, media_id: UUID, reason: str,
                  link: bool, state_secret_content: bool = False) -> MediaLink:
    problems = Problems()
    reason = clean_text(reason, "reason", "理由", problems, max_len=500, required=not link)
    problems.raise_if_any()
    with uow:
        case = _load(uow, ctx, case_id)
        _not_archived(case)
        if link and case.secrecy == Level.STATE_SECRET and not state_secret_content:
            raise content_refused(Level.STATE_SECRET)  # Art. 47: only the registration is kept
        media = uow.cases.media(media_id)
        if media is None or not _media_visible(ctx, media):
            raise NotFound("音像资料不存在或无权查看", "no such media file, or not visible to you",
                           code="media.not_found")
        linked = media.id in current_media(uow.cases.media_links(case.id))
        if linked == link:
            raise Conflict("该音像资料已关联本案" if link else "该音像资料未关联本案",
                           "the media file is already linked" if link else "the media file is not linked",
                           code="case.media_linked" if link else "case.media_not_linked")
        row = MediaLink(id=uuid.uuid4(), case_id=case.id, media_id=media.id, linked=link, at=ctx.now,
                        actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], reason=reason)
        uow.cases.add_media_link(row)
        _event(uow, ctx, Action.CASE_MEDIA_LINK if link else Action.CASE_MEDIA_UNLINK, case,
               after={"media_id": str(media.id), "sha256": media.sha256, "name": media.original_name,
                      "reason": reason})
        uow.commit()
    return row


def link_registered(uow: UnitOfWork, ctx: Ctx, case_id: UUID, media: MediaRecord, *,
                    reason: str) -> MediaLink | None:
    """Link ``media`` to the case as part of registering it (Art. 42: its case name), inside the
    caller's transaction (no commit): a link row and one ``case:media:link`` event. Needs
    case:view on the case (registering footage to a case is the archivist's work; the caller
    checked media:register on the original). Return None when it is linked already.

    Raise NotFound ``case.not_found`` (unknown, another bureau's), PermissionDenied,
    ValidationFailed ``case.archived`` (docs/decisions/0019)."""
    case = _load(uow, ctx, case_id, Permission.CASE_VIEW)
    _not_archived(case)
    if media.id in current_media(uow.cases.media_links(case.id)):
        return None
    return record_link(uow, ctx, case, media, reason=reason)


def record_link(uow: UnitOfWork, ctx: Ctx, case: Case, media: MediaRecord, *, reason: str) -> MediaLink:
    """Write the link row and its ``case:media:link`` event in the caller's transaction, checking
    nothing: the caller has checked the case (``link_registered``, ``ingest.case_for_ingest``) and
    knows the original is not linked yet."""
    row = MediaLink(id=uuid.uuid4(), case_id=case.id, media_id=media.id, linked=True, at=ctx.now,
                    actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], reason=reason[:500])
    uow.cases.add_media_link(row)
    _event(uow, ctx, Action.CASE_MEDIA_LINK, case,
           after={"media_id": str(media.id), "sha256": media.sha256, "name": media.original_name,
                  "reason": reason[:500]})
    return row


def check_linkable(uow: UnitOfWork, ctx: Ctx, case_id: UUID) -> Case:
    """The case, if originals may be linked to it now (case:view; not archived); raise otherwise."""
    case = _load(uow, ctx, case_id, Permission.CASE_VIEW)
    _not_archived(case)
    return case


def link_media(uow: UnitOfWork, ctx: Ctx, case_id: UUID, media_id: UUID, *, reason: str = "",
               state_secret_content: bool = False) -> MediaLink:
    """Link a vault original to the case (a new link row; Conflict if it is linked already).
    A state-secret case takes no content unless the deployment is approved for it
    (``state_secret_content``, LAWTRAIL_STATE_SECRET_CONTENT_ALLOWED): ValidationFailed
    ``secrecy.state_secret_content``."""
    return _media_change(uow, ctx, case_id, media_id, reason, True, state_secret_content)


def unlink_media(uow: UnitOfWork, ctx: Ctx, case_id: UUID, media_id: UUID, *, reason: str) -> MediaLink:
    """Unlink a vault original (a new row with the reason; the link row stays)."""
    return _media_change(uow, ctx, case_id, media_id, reason, False)


# ---- reads --------------------------------------------------------------------------------------


def list_cases(uow: UnitOfWork, ctx: Ctx, flt: CaseFilter | None = None, *, page: int = 1,
               page_size: int = PAGE_SIZE) -> CasePage:
    """One page of the cases the actor may see (``case:view`` per unit), newest first."""
    scope = visible_units(ctx.actor, Permission.CASE_VIEW)
    page, page_size = max(1, page), max(1, min(page_size, PAGE_SIZE_MAX))
    if ctx.actor.bureau_id is None:
        return CasePage([], 0, page, page_size)
    with uow:
        items, total = uow.cases.search(ctx.actor.bureau_id, scope, flt or CaseFilter(),
                                      offset=(page - 1) * page_size, limit=page_size)
    return CasePage(items, total, page, page_size)


def get_case(uow: UnitOfWork, ctx: Ctx, case_id: UUID) -> CaseDetail:
    """The case and all that hangs off it; NotFound / PermissionDenied (``case:view``)."""
    with uow:
        case = _load(uow, ctx, case_id, Permission.CASE_VIEW)
        links = uow.cases.media_links(case.id)
        media = [m for mid in current_media(links) if (m := uow.cases.media(mid)) is not None]
        handlers = [(h, uow.users.get(h.user_id)) for h in uow.cases.handlers(case.id)]
        return CaseDetail(case=case, unit=uow.units.get(case.unit_id), parties=uow.cases.parties(case.id),
                          handlers=handlers, stages=uow.cases.stage_changes(case.id), media=media, links=links)


def find_case(uow: UnitOfWork, ctx: Ctx, number: str) -> Case:
    """The case numbered ``number`` in the actor's bureau; NotFound if none the actor may see."""
    with uow:
        case = uow.cases.by_number(ctx.actor.bureau_id, number.strip()) if ctx.actor.bureau_id else None
    if case is None:
        raise NotFound(f"案件 {number} 不存在", f"no case numbered {number!r}", code="case.not_found")
    require(ctx.actor, Permission.CASE_VIEW, bureau_id=case.bureau_id, unit_id=case.unit_id)
    return case


def open_cases_of(uow: UnitOfWork, ctx: Ctx, officer_id: UUID, around: datetime) -> list[Case]:
    """The cases ``officer_id`` handles that were open at ``around`` and that the actor may see
    (for the vault to suggest the case and party of a clip recorded then)."""
    scope = visible_units(ctx.actor, Permission.CASE_VIEW)
    with uow:
        found = uow.cases.open_for_officer(officer_id, around)
    return [c for c in found if (ctx.actor.bureau_id is None or c.bureau_id == ctx.actor.bureau_id)
            and (scope is None or c.unit_id in scope)]


def case_trail(uow: UnitOfWork, ctx: Ctx, case_id: UUID, limit: int = 50) -> list[Event]:
    """The case's events, newest first: whoever may see the case may see what happened to it."""
    with uow:
        case = _load(uow, ctx, case_id, Permission.CASE_VIEW)
        return uow.events.list(subject_type=SUBJECT, subject_id=str(case.id), limit=max(1, min(limit, 500)))


def officers_of(uow: UnitOfWork, ctx: Ctx, unit_id: UUID) -> list[User]:
    """The active officers of ``unit_id`` (handler candidates; their certificate decides whether
    they may be chosen). Needs ``case:manage`` for the unit."""
    require(ctx.actor, Permission.CASE_MANAGE, unit_id=unit_id)
    if ctx.actor.bureau_id is None:
        return []
    with uow:
        people = uow.users.list(ctx.actor.bureau_id, frozenset({unit_id}))
    return [u for u in people if u.active and Role.OFFICER in u.roles]

