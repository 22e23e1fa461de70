"""Use cases around stored originals: the list, one original with its registration history, Art. 42
corrections and their prefill, recorded reads (Art. 45) and refused alterations (Art. 37).

Reads: ``open_original`` records ONE ``media:original:view`` or ``…:download`` event and issues a
ticket; the range requests of that viewing present the ticket (``ticketed_original``) and are not
recorded again (docs/decisions/0010). A refused read is recorded too, in its own committed
transaction, before the refusal is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NoReturn
from uuid import UUID

from lawtrail.domain import media_ticket
from lawtrail.domain.access import Permission, Role, allows
from lawtrail.domain.events import Action, Event, format_time
from lawtrail.domain.grants import ReadAllowed
from lawtrail.domain.media import MediaType
from lawtrail.domain.media_ticket import Purpose
from lawtrail.domain.org import Problems
from lawtrail.domain.vault import (
    EnforcementCategory,
    MediaFilter,
    MediaRecord,
    MediaRow,
    Registration,
    RegistrationInput,
    check_registration,
    content_type,
)
from lawtrail.errors import Conflict, LawtrailError, NotFound, PermissionDenied, RuleViolation, ValidationFailed
from lawtrail.services import cases
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require, visible_units
from lawtrail.services.ports import BlobReader, BlobStore, UnitOfWork
from lawtrail.services.reading import check_read, media_subject, read_facts
from lawtrail.services.trail import record

PER_PAGE_MAX = 200
ITEM_FIELDS = ("unit_name", "category", "device_number", "officer_id", "officer_name", "used_from", "used_to",
               "party", "case_name")
Attempt = Literal["delete", "replace"]


def _subject_name(media: MediaRecord) -> str:
    return f"{media.original_name} ({media.sha256[:12]})"


def _not_found() -> NotFound:
    return NotFound("音像资料不存在", "no such media", code="media.not_found")


def _load(uow: UnitOfWork, media_id: UUID) -> MediaRecord:
    media = uow.media.get(media_id)
    if media is None:
        raise _not_found()
    return media


def _visible(uow: UnitOfWork, ctx: Ctx, media_id: UUID, perm: Permission) -> MediaRecord:
    """The original, if the actor may use ``perm`` on it; NotFound for another bureau's."""
    media = _load(uow, media_id)
    if ctx.actor.bureau_id and media.bureau_id != ctx.actor.bureau_id:
        raise _not_found()
    require(ctx.actor, perm, bureau_id=media.bureau_id, unit_id=media.unit_id)
    return media


# --- the list ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaPage:
    rows: list[MediaRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_media(uow: UnitOfWork, ctx: Ctx, *, unit_id: UUID | None = None, category: str | None = None,
               device_number: str | None = None, officer_id: UUID | None = None,
               used_from: datetime | None = None, used_to: datetime | None = None, party: str | None = None,
               case_name: str | None = None, media_type: str | None = None, incomplete: bool | None = None,
               page: int = 1, per_page: int = 50, media_ids: frozenset[UUID] | None = None) -> MediaPage:
    """One page of the originals the actor may see (media:view, by unit), filtered by the Art. 42
    items of their latest registration, by media type and by completeness (and to ``media_ids``
    when given: see ``media_findings.list_with_findings``); newest first.

    Raise ValidationFailed for an unknown category or media type, a reversed time range or a bad
    page; PermissionDenied when the actor may see no originals at all."""
    problems = Problems()
    if category and category not in EnforcementCategory.__members__.values():
        problems.add("category", "执法类别无效", "unknown category")
    kind = None
    if media_type:
        try:
            kind = MediaType(media_type)
        except ValueError:
            problems.add("media_type", "资料类型无效", "unknown media type")
    if used_from and used_to and used_to < used_from:
        problems.add("used_to", "结束时间不能早于开始时间", "the end must not be before the start")
    if page < 1 or not 1 <= per_page <= PER_PAGE_MAX:
        problems.add("page", f"页码须≥1，每页1–{PER_PAGE_MAX}条", f"page >= 1 and per_page 1..{PER_PAGE_MAX}")
    problems.raise_if_any()
    scope = visible_units(ctx.actor, Permission.MEDIA_VIEW)
    if ctx.actor.bureau_id is None:
        return MediaPage([], 0, page, per_page)
    query = MediaFilter(
        bureau_id=ctx.actor.bureau_id, unit_ids=scope, unit_id=unit_id, category=category or None,
        device_number=(device_number or "").strip() or None, officer_id=officer_id, used_from=used_from,
        used_to=used_to, party=(party or "").strip() or None, case_name=(case_name or "").strip() or None,
        media_type=kind, incomplete=incomplete, offset=(page - 1) * per_page, limit=per_page, media_ids=media_ids)
    with uow:
        rows, total = uow.media.search(query)
    return MediaPage(rows, total, page, per_page)


# --- one original --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MediaDetail:
    media: MediaRecord
    registrations: list[Registration]  # every version, oldest first
    device_number: str
    unit_name: str
    level: str = "ordinary"  # the effective confidentiality level (Art. 47): own, or its cases'

    @property
    def current(self) -> Registration | None:
        return self.registrations[-1] if self.registrations else None


def get_media(uow: UnitOfWork, ctx: Ctx, media_id: UUID) -> MediaDetail:
    """The original's record, every version of its registration and its effective level, for
    whoever may read it (``reading.check_read``: Art. 45 grant, handler of an open case, archivist;
    Art. 47 clearance).

    Shows facts, not the original's bytes, so a permitted call records nothing (``open_original``
    is the read); a refused one is recorded as ``media:original:read-refused`` (purpose
    ``details``) before PermissionDenied (NotFound for another bureau's) is raised."""
    media, basis = _readable(uow, ctx, media_id, "details")
    with uow:
        device = uow.devices.get(media.device_id)
        unit = uow.units.get(media.unit_id)
        return MediaDetail(media, uow.media.registrations(media.id), device.number if device else "",
                           unit.name if unit else "", basis.level.value)


def registrations(uow: UnitOfWork, ctx: Ctx, media_id: UUID) -> list[Registration]:
    """Every version of the registration, oldest first (media:view on the original's unit)."""
    return get_media(uow, ctx, media_id).registrations


def media_trail(uow: UnitOfWork, ctx: Ctx, media_id: UUID, *, limit: int = 100,
                before_seq: int | None = None) -> list[Event]:
    """The events of one original, newest first: for whoever may see it (media:view) or read the
    trail of its unit (event:view)."""
    with uow:
        media = _load(uow, media_id)
        if ctx.actor.bureau_id and media.bureau_id != ctx.actor.bureau_id:
            raise _not_found()
        if not allows(ctx.actor, Permission.EVENT_VIEW, bureau_id=media.bureau_id, unit_id=media.unit_id):
            require(ctx.actor, Permission.MEDIA_VIEW, bureau_id=media.bureau_id, unit_id=media.unit_id)
        return uow.events.list(subject_type="media", subject_id=str(media.id), limit=max(1, min(limit, 500)),
                               before_seq=before_seq)


# --- Art. 42: corrections and their prefill ------------------------------------------------------


def _items(reg: Registration | None) -> dict[str, Any]:
    if reg is None:
        return {}
    return {name: getattr(reg, name) for name in ITEM_FIELDS}


def _snapshot(reg: Registration | None) -> dict[str, Any] | None:
    if reg is None:
        return None
    out: dict[str, Any] = {"version": reg.version}
    for name, value in _items(reg).items():
        out[name] = format_time(value) if isinstance(value, datetime) else str(value) if isinstance(value, UUID) \
            else value
    return out


def correct_registration(uow: UnitOfWork, ctx: Ctx, media_id: UUID, *, unit_name: str, category: str,
                         device_number: str, officer_id: UUID | None, used_from: datetime | None,
                         used_to: datetime | None, party: str, case_name: str, reason: str,
                         base_version: int | None = None, case_id: UUID | None = None) -> Registration:
    """Register the seven Art. 42 items anew as the next version (the earlier ones stay), with one
    ``media:registration:update`` event holding before, after and the reason. Needs media:register
    on the original's unit.

    Raise ValidationFailed for bad items or a missing reason, for an officer who is not an officer
    of the bureau or an unknown device number, and (``media.registration_unchanged``) when nothing
    differs from the current version; Conflict ``media.registration_stale`` when ``base_version``
    is not the current version (someone registered meanwhile).

    With ``case_id`` (the archivist accepted a case's suggestion), the original is also linked to
    that case in the same transaction: a link row and a ``case:media:link`` event on the case
    beside the registration's event (docs/decisions/0019; ``cases.link_registered``: case:view,
    not archived). When only the link is new, the registration stays as it is (no new version)."""
    given = check_registration(unit_name=unit_name, category=category, device_number=device_number,
                               officer_id=officer_id, used_from=used_from, used_to=used_to, party=party,
                               case_name=case_name, reason=reason)
    with uow:
        media = _visible(uow, ctx, media_id, Permission.MEDIA_REGISTER)
        versions = uow.media.registrations(media.id)
        current = versions[-1] if versions else None
        if base_version is not None and (current.version if current else 0) != base_version:
            raise _stale(base_version)
        officer_name = _check_references(uow, media, given)
        new = Registration(
            media_id=media.id, version=(current.version if current else 0) + 1, unit_name=given.unit_name,
            category=given.category, device_number=given.device_number, officer_id=given.officer_id,
            officer_name=officer_name, used_from=given.used_from, used_to=given.used_to, party=given.party,
            case_name=given.case_name, actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], at=ctx.now)
        linked = cases.link_registered(uow, ctx, case_id, media, reason=f"登记案由：{given.reason}") \
            if case_id is not None else None
        if _items(new) == _items(current):
            if linked is not None and current is not None:
                uow.commit()
                return current
            raise ValidationFailed("登记内容没有变化，无需更正", "nothing differs from the current registration",
                                   code="media.registration_unchanged")
        uow.media.add_registration(new)
        after = {**(_snapshot(new) or {}), "reason": given.reason}
        if case_id is not None:
            after["case_id"] = str(case_id)
        record(uow, ctx, Action.MEDIA_REGISTRATION, subject_type="media", subject_id=media.id,
               subject_name=_subject_name(media), before_dict=_snapshot(current), after_dict=after)
        uow.commit()
    return new


def _stale(base_version: int) -> Conflict:
    return Conflict("登记信息已被他人更新，请刷新后重试", "the registration was changed meanwhile; reload and retry",
                    code="media.registration_stale", details={"base_version": base_version})


def _check_references(uow: UnitOfWork, media: MediaRecord, given: RegistrationInput) -> str:
    """The officer's name; raise ValidationFailed for a person who is not an officer of the
    bureau or a device number the bureau does not have."""
    problems = Problems()
    name = ""
    if given.officer_id is not None:
        user = uow.users.get(given.officer_id)
        if user is None or user.bureau_id != media.bureau_id or Role.OFFICER not in user.roles:
            problems.add("officer_id", "所选人员不是本局执法人员", "the person is not an officer of this bureau")
        else:
            name = user.display_name[:100]
    if given.device_number:
        device = uow.devices.by_number(given.device_number)
        if device is None or device.bureau_id != media.bureau_id:
            problems.add("device_number", f"设备编号 {given.device_number} 不存在",
                         f"no device numbered {given.device_number!r}")
    problems.raise_if_any()
    return name


# --- reads (Art. 45) and refused alterations (Art. 37) -------------------------------------------


@dataclass(frozen=True)
class Original:
    """An original opened for reading: what to serve and, from ``open_original`` with a key, the
    ticket its range requests present."""

    media: MediaRecord
    size: int
    content_type: str
    purpose: Purpose = "view"
    ticket: str | None = None

    @property
    def etag(self) -> str:
        return f'"{self.media.sha256}"'


def _refuse_read(uow: UnitOfWork, ctx: Ctx, media: MediaRecord, purpose: str, exc: LawtrailError) -> NoReturn:
    """Record the refused read in its own committed transaction, then raise ``exc``."""
    with uow:
        record(uow, ctx, Action.MEDIA_READ_REFUSED, subject_type="media", subject_id=media.id,
               subject_name=_subject_name(media), after_dict={"purpose": purpose, "code": exc.code})
        uow.commit()
    raise exc


def _readable(uow: UnitOfWork, ctx: Ctx, media_id: UUID, purpose: str) -> tuple[MediaRecord, ReadAllowed]:
    """The original and the basis of reading it, if the actor may (``reading.check_read``: Art.
    45 grants, handlers of open cases, the archivist; Art. 47 clearance); otherwise record the
    refusal and raise."""
    with uow:
        media = _load(uow, media_id)
        subject = media_subject(uow, media)
    if ctx.actor.bureau_id and media.bureau_id != ctx.actor.bureau_id:
        _refuse_read(uow, ctx, media, purpose, _not_found())
    return media, check_read(uow, ctx, subject, purpose=purpose)


def readable(uow: UnitOfWork, ctx: Ctx, media_id: UUID, purpose: str) -> MediaRecord:
    """The original if the actor may read it (``reading.check_read``); otherwise the refused read
    of ``purpose`` is recorded (committed) and PermissionDenied / NotFound raised."""
    return _readable(uow, ctx, media_id, purpose)[0]


def open_original(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, media_id: UUID, *, purpose: Purpose,
                  ticket_key: bytes | None = None, range_spec: str | None = None) -> Original:
    """Open an original for viewing or downloading: check it may be read (``reading.check_read``;
    the basis goes into the event) and record one
    ``media:original:view`` / ``…:download`` event (``range_spec``, the HTTP Range asked for, goes
    into it). With ``ticket_key`` (and a person as the actor), issue the ticket that the range
    requests of this viewing present to ``ticketed_original``.

    A refused read is recorded as ``media:original:read-refused`` (committed), then PermissionDenied
    is raised (NotFound for another bureau's original). Raise NotFound ``media.not_found`` for an
    unknown id and ``vault.not_found`` when the stored bytes are missing."""
    if purpose not in media_ticket.PURPOSES:
        raise ValidationFailed("读取用途须为 view 或 download", "purpose must be view or download",
                               code="validation_failed")
    media, allowed = _readable(uow, ctx, media_id, purpose)
    size = blobs.size(media.sha256)
    after: dict[str, Any] = {"purpose": purpose, "sha256": media.sha256, "file_size": size, **read_facts(allowed)}
    if range_spec:
        after["range"] = range_spec[:100]
    with uow:
        record(uow, ctx, Action.MEDIA_VIEW if purpose == "view" else Action.MEDIA_DOWNLOAD, subject_type="media",
               subject_id=media.id, subject_name=_subject_name(media), after_dict=after)
        uow.commit()
    ticket = None
    if ticket_key is not None and ctx.actor.user_id is not None:
        ticket = media_ticket.issue(ticket_key, user_id=ctx.actor.user_id, media_id=media.id, purpose=purpose,
                                    now=ctx.now)
    return Original(media, size, content_type(media.media_type, media.original_name), purpose, ticket)


def ticketed_original(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, media_id: UUID, ticket: str, *,
                      ticket_key: bytes) -> Original:
    """The original for one range request of a recorded opening: the ticket must be genuine,
    unexpired and issued to this actor for this original, and media:view must still hold. Records
    nothing when it does (the opening was recorded); a refusal is recorded as with
    ``open_original`` (PermissionDenied ``media.ticket_invalid`` for a bad ticket)."""
    media, _basis = _readable(uow, ctx, media_id, "ticket")  # a revoked grant stops the viewing at once
    valid = None if ctx.actor.user_id is None else media_ticket.check(
        ticket_key, ticket, user_id=ctx.actor.user_id, media_id=media.id, now=ctx.now)
    if valid is None:
        _refuse_read(uow, ctx, media, "ticket", PermissionDenied(
            "播放凭证无效或已过期，请重新打开页面", "the read ticket is invalid or expired; reopen the page",
            code="media.ticket_invalid"))
    return Original(media, blobs.size(media.sha256), content_type(media.media_type, media.original_name),
                    valid.purpose, ticket)


def read_range(blobs: BlobStore, original: Original, start: int, end: int) -> BlobReader:
    """A streaming reader over bytes ``[start, end)`` of an opened original (see BlobStore)."""
    return blobs.open_range(original.media.sha256, start, end)


ALTERATION_LABELS: dict[str, tuple[str, str]] = {"delete": ("删除", "delete"), "replace": ("替换或修改", "replace")}


def refuse_alteration(uow: UnitOfWork, ctx: Ctx, media_id: UUID, *, attempt: Attempt) -> NoReturn:
    """Refuse any change to an original (Art. 37: never cut, edited or deleted): record the attempt
    as ``media:original:alter-refused`` (committed), then raise RuleViolation
    ``media.original_immutable``. NotFound for an unknown id (another bureau's: recorded, NotFound)."""
    zh, en = ALTERATION_LABELS.get(attempt, (attempt, attempt))
    with uow:
        media = _load(uow, media_id)
        record(uow, ctx, Action.MEDIA_ALTER_REFUSED, subject_type="media", subject_id=media.id,
               subject_name=_subject_name(media), after_dict={"attempt": attempt, "sha256": media.sha256})
        uow.commit()
    if ctx.actor.bureau_id and media.bureau_id != ctx.actor.bureau_id:
        raise _not_found()
    raise RuleViolation(
        f"原始音像记录不得剪接、删改，{zh}请求已被拒绝并记录",
        f"original recordings must never be cut, edited or deleted; the {en} request was refused and recorded",
        code="media.original_immutable", article="第三十七条", details={"attempt": attempt})
