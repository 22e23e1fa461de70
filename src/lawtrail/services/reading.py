"""THE read check (Art. 45, 47): every service that serves stored records or originals calls
``check_read`` before reading, and nothing else decides who reads (docs/decisions/0017).

A refusal is registered (the subject's read-refused event, in its own committed transaction)
before it is raised, and changes nothing else.
"""

from __future__ import annotations

from typing import NoReturn

from lawtrail.domain.access import Actor
from lawtrail.domain.events import Action
from lawtrail.domain.grants import ReadAllowed, ReadSubject, decide_read
from lawtrail.domain.secrecy import DEFAULT_CLEARANCE, Level
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import LawtrailError, PermissionDenied
from lawtrail.services.context import Ctx
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record

#: The refusal event of each kind of subject (records of cases will add theirs).
REFUSED_ACTION: dict[str, Action] = {"media": Action.MEDIA_READ_REFUSED}


def clearance_of(uow: UnitOfWork, actor: Actor) -> frozenset[Level]:
    """The levels ``actor`` may see: all for the system, the latest recorded clearance, else the
    default (ordinary + personal privacy). Call inside ``with uow``."""
    if actor.is_system:
        return frozenset(Level)
    if actor.user_id is None:
        return frozenset({Level.ORDINARY})
    recorded = uow.access.clearance(actor.user_id)
    return recorded.levels if recorded else DEFAULT_CLEARANCE


def media_subject(uow: UnitOfWork, media: MediaRecord) -> ReadSubject:
    """The original as a subject of reading: its own level and the cases it belongs to now.
    Call inside ``with uow``."""
    own = uow.access.media_level(media.id)
    return ReadSubject(kind="media", id=media.id, name=f"{media.original_name} ({media.sha256[:12]})",
                       bureau_id=media.bureau_id, unit_id=media.unit_id,
                       own_level=own.level if own else Level.ORDINARY, cases=tuple(uow.access.case_refs(media.id)))


def refuse(uow: UnitOfWork, ctx: Ctx, subject: ReadSubject, purpose: str, exc: LawtrailError) -> NoReturn:
    """Register the refused read of ``subject`` (committed on its own), then raise ``exc``."""
    after: dict[str, object] = {"purpose": purpose, "code": exc.code}
    if exc.code == "access.above_clearance":
        after["level"] = subject.level.value
    with uow:
        record(uow, ctx, REFUSED_ACTION[subject.kind], subject_type=subject.kind, subject_id=subject.id,
               subject_name=subject.name, after_dict=after)
        uow.commit()
    raise exc


def check_read(uow: UnitOfWork, ctx: Ctx, subject: ReadSubject, *, purpose: str) -> ReadAllowed:
    """Return the basis on which ``ctx.actor`` may read ``subject`` now (archivist, handler of an
    open case, or an active grant; ``domain.grants.decide_read``). Otherwise register the refusal
    and raise PermissionDenied (``access.above_clearance``, ``access.no_grant``,
    ``access.grant_expired``, ``access.grant_revoked``, ``access.grant_pending`` or
    ``permission_denied``). Reading is recorded by the caller, with ``read_facts(allowed)``."""
    with uow:
        clearance = clearance_of(uow, ctx.actor)
        grants = uow.access.grants_for(ctx.actor.user_id) if ctx.actor.user_id else []
    try:
        return decide_read(ctx.actor, clearance, subject, grants, ctx.now)
    except PermissionDenied as exc:
        refuse(uow, ctx, subject, purpose, exc)


def read_facts(allowed: ReadAllowed) -> dict[str, str]:
    """What a reading event says about its basis (for the 查阅登记 register)."""
    facts = {"basis": allowed.basis, "level": allowed.level.value}
    if allowed.grant_id is not None:
        facts["grant_id"] = str(allowed.grant_id)
    return facts
