"""Access grants (Art. 45): who may read a stored record or original, and on what basis.

A person asks (purpose, scope: one case or listed originals, period); the bureau head (a leader,
never the requester) approves or refuses; the requester may withdraw an undecided request; a
leader may revoke an approval with immediate effect; an approval expires at the end of its
period. The request is a record, each decision a further record (both append-only): the status
is the latest decision, and ``expired`` is derived from the clock, never written.

    requested ──approve──▶ approved ──revoke──▶ revoked
        │  └──refuse──▶ refused          └──(period ends)──▶ expired
        └──withdraw──▶ withdrawn
    (a request whose period ends undecided is expired too)

Who reads without a grant (docs/decisions/0017): a handler of an OPEN case the item belongs to,
and the archivist (storage work, Art. 40). Everyone else needs a grant covering the item; the
clearance (domain/secrecy.py) applies to all, handlers and archivists included.

Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal
from uuid import UUID

from lawtrail.domain.access import Actor, Permission, Role, allows, has_permission
from lawtrail.domain.secrecy import Level, check_clearance, strictest
from lawtrail.errors import InvalidTransition, PermissionDenied

ARTICLE = "第四十五条"
MAX_PERIOD = timedelta(days=30)
PURPOSE_MAX = 500


class Status(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"
    EXPIRED = "expired"  # derived from the period, never stored


STATUS_LABELS: dict[Status, str] = {
    Status.REQUESTED: "待审批", Status.APPROVED: "已批准", Status.REFUSED: "不予批准", Status.WITHDRAWN: "已撤回",
    Status.REVOKED: "已撤销", Status.EXPIRED: "已过期",
}
#: THE table of moves: (from, to). ``expired`` is reached by time alone.
MOVES: frozenset[tuple[Status, Status]] = frozenset({
    (Status.REQUESTED, Status.APPROVED), (Status.REQUESTED, Status.REFUSED), (Status.REQUESTED, Status.WITHDRAWN),
    (Status.APPROVED, Status.REVOKED),
})
#: Which move needs whom: the bureau head decides and revokes; only the requester withdraws.
DECIDER_MOVES = frozenset({Status.APPROVED, Status.REFUSED, Status.REVOKED})


@dataclass(frozen=True)
class AccessRequest:
    """What was asked (never changed). ``case_id`` set: everything of that case; otherwise the
    listed ``media_ids``."""

    id: UUID
    bureau_id: UUID
    requester_id: UUID
    requester_name: str
    requester_unit_id: UUID
    purpose: str
    case_id: UUID | None
    media_ids: tuple[UUID, ...]
    starts_at: datetime
    ends_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class Decision:
    """One move of a request (append-only)."""

    id: UUID
    request_id: UUID
    status: Status
    actor_id: UUID | None
    actor_name: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class Grant:
    """A request with its decisions, oldest first."""

    request: AccessRequest
    decisions: tuple[Decision, ...] = ()

    @property
    def stored_status(self) -> Status:
        return self.decisions[-1].status if self.decisions else Status.REQUESTED

    def status(self, now: datetime) -> Status:
        """The status at ``now``: the latest decision, or expired once the period has ended
        for a request still pending or approved."""
        stored = self.stored_status
        if stored in (Status.REQUESTED, Status.APPROVED) and now >= self.request.ends_at:
            return Status.EXPIRED
        return stored

    def decision(self, status: Status) -> Decision | None:
        return next((d for d in self.decisions if d.status == status), None)

    def active(self, now: datetime) -> bool:
        """Approved, not revoked, and ``now`` within the period."""
        return self.status(now) == Status.APPROVED and self.request.starts_at <= now

    def covers(self, media_id: UUID, case_ids: frozenset[UUID]) -> bool:
        return media_id in self.request.media_ids or (self.request.case_id is not None
                                                     and self.request.case_id in case_ids)


def check_move(grant: Grant, to: Status, actor: Actor, now: datetime) -> None:
    """Return when ``actor`` may move ``grant`` to ``to`` at ``now``.

    Raise InvalidTransition ``access.bad_transition`` for a move the table does not have (an
    expired request counts as expired), PermissionDenied ``access.own_request`` when the requester
    would decide their own request, ``access.not_requester`` when someone else would withdraw it,
    and ``permission_denied`` without access:approve for a decision."""
    current = grant.status(now)
    if (current, to) not in MOVES:
        raise InvalidTransition(
            f"申请当前为“{STATUS_LABELS[current]}”，不能改为“{STATUS_LABELS[to]}”",
            f"a request that is {current.value} cannot become {to.value}", code="access.bad_transition",
            details={"from": current.value, "to": to.value})
    if to in DECIDER_MOVES:
        if not allows(actor, Permission.ACCESS_APPROVE, bureau_id=grant.request.bureau_id, unit_id=None):
            raise PermissionDenied("只有机关负责人可以审批或撤销查阅申请（第四十五条）",
                                   "only the bureau head approves or revokes access (Art. 45)",
                                   code="permission_denied", details={"permission": Permission.ACCESS_APPROVE.value})
        if to != Status.REVOKED and actor.user_id == grant.request.requester_id:
            raise PermissionDenied("不得审批本人提出的查阅申请", "nobody approves their own request",
                                   code="access.own_request")
    elif actor.user_id != grant.request.requester_id:
        raise PermissionDenied("只有申请人本人可以撤回申请", "only the requester withdraws a request",
                               code="access.not_requester")


# --- deciding a read -------------------------------------------------------------------------------

Basis = Literal["system", "archivist", "handler", "grant"]


@dataclass(frozen=True)
class CaseRef:
    """A case an item belongs to, as far as reading is concerned."""

    case_id: UUID
    number: str
    open: bool
    level: Level
    handler_ids: frozenset[UUID]


@dataclass(frozen=True)
class ReadSubject:
    """What is to be read: its bureau, unit, own level and cases."""

    kind: str  # "media" (later: "record")
    id: UUID
    name: str
    bureau_id: UUID
    unit_id: UUID
    own_level: Level
    cases: tuple[CaseRef, ...] = ()

    @property
    def level(self) -> Level:
        return strictest([self.own_level, *(c.level for c in self.cases)])

    @property
    def case_ids(self) -> frozenset[UUID]:
        return frozenset(c.case_id for c in self.cases)


@dataclass(frozen=True)
class ReadAllowed:
    basis: Basis
    level: Level
    grant_id: UUID | None = None


def decide_read(actor: Actor, clearance: frozenset[Level], subject: ReadSubject, grants: list[Grant],
                now: datetime) -> ReadAllowed:
    """Whether ``actor`` may read ``subject`` at ``now``, and on which basis; ``grants`` are the
    actor's own requests. Raise PermissionDenied: ``access.above_clearance`` (Art. 47) first,
    then, with no exemption and no active grant covering the subject, ``access.grant_revoked`` /
    ``access.grant_expired`` / ``access.grant_pending`` when the actor's latest covering request
    is in that state, ``access.no_grant`` otherwise, or ``permission_denied`` for someone whose
    roles read nothing (the administrator)."""
    level = subject.level
    if actor.is_system:
        return ReadAllowed("system", level)
    check_clearance(clearance, level)
    if Role.ARCHIVIST in actor.roles and allows(actor, Permission.MEDIA_VIEW, bureau_id=subject.bureau_id,
                                                 unit_id=subject.unit_id):
        return ReadAllowed("archivist", level)
    if any(c.open and actor.user_id in c.handler_ids for c in subject.cases):
        return ReadAllowed("handler", level)
    covering = [g for g in grants if g.request.requester_id == actor.user_id
                and g.request.bureau_id == subject.bureau_id and g.covers(subject.id, subject.case_ids)]
    for grant in covering:
        if grant.active(now):
            return ReadAllowed("grant", level, grant.request.id)
    if not has_permission(actor, Permission.ACCESS_REQUEST):
        raise PermissionDenied(f"无权执行此操作（需要权限 {Permission.MEDIA_VIEW.value}）",
                               f"not allowed: permission {Permission.MEDIA_VIEW.value} is required",
                               code="permission_denied", details={"permission": Permission.MEDIA_VIEW.value})
    raise _no_grant(covering, now)


def _no_grant(covering: list[Grant], now: datetime) -> PermissionDenied:
    latest = max(covering, key=lambda g: g.request.created_at, default=None)
    state = latest.status(now) if latest else None
    if state == Status.APPROVED and latest is not None:  # approved, period not begun yet
        state = Status.REQUESTED if latest.request.starts_at > now else state
    texts = {
        Status.REVOKED: ("查阅批准已被撤销，不得查阅", "the access grant was revoked", "access.grant_revoked"),
        Status.EXPIRED: ("查阅批准已过期，请重新申请", "the access grant has expired; ask again",
                         "access.grant_expired"),
        Status.REQUESTED: ("查阅申请尚未批准或尚未生效", "the access request is not approved or not yet in effect",
                           "access.grant_pending"),
    }
    fallback = ("未经机关负责人批准，不得查阅执法记录，请先申请查阅（第四十五条）",
                "reading stored records needs the bureau head's approval; request access first (Art. 45)",
                "access.no_grant")
    zh, en, code = texts.get(state, fallback) if state is not None else fallback
    return PermissionDenied(zh, en, code=code, details={"article": ARTICLE})
