"""Roles, permissions and the one table that maps one to the other (DESIGN.md, rule 2).

Default deny: a permission not listed for any of an actor's roles is refused. Each role is
either bureau-wide or limited to the actor's own unit; the scope is decided per role, so a
person who is both an officer and an archivist gets the wider scope only for the
archivist's permissions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    OFFICER = "officer"
    UNIT_HEAD = "unit_head"
    LEGAL_REVIEWER = "legal_reviewer"
    LEADER = "leader"
    ARCHIVIST = "archivist"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.OFFICER: "执法人员",
    Role.UNIT_HEAD: "执法机构负责人",
    Role.LEGAL_REVIEWER: "法制审核人员",
    Role.LEADER: "分管领导/机关负责人",
    Role.ARCHIVIST: "专职人员（档案管理）",
    Role.SUPERVISOR: "执法监督人员",
    Role.ADMIN: "系统管理员",
}


class Permission(StrEnum):
    UNIT_VIEW = "unit:view"
    UNIT_MANAGE = "unit:manage"
    USER_VIEW = "user:view"
    USER_MANAGE = "user:manage"
    DEVICE_VIEW = "device:view"
    DEVICE_MANAGE = "device:manage"
    DEVICE_LOG = "device:log"
    TOKEN_MANAGE = "token:manage"
    EVENT_VIEW = "event:view"
    SELF_MANAGE = "self:manage"
    LEDGER_VIEW = "ledger:view"
    LEDGER_VERIFY = "ledger:verify"
    MEDIA_INGEST = "media:ingest"
    VAULT_VERIFY = "vault:verify"
    FINDING_VIEW = "finding:view"
    MEDIA_HANDIN = "media:handin"
    MEDIA_EVIDENCE = "media:evidence"
    MEDIA_VIEW = "media:view"
    MEDIA_REGISTER = "media:register"
    ACTIVITY_VIEW = "activity:view"
    ACTIVITY_MANAGE = "activity:manage"
    CASE_VIEW = "case:view"
    CASE_MANAGE = "case:manage"
    ACCESS_REQUEST = "access:request"
    ACCESS_APPROVE = "access:approve"
    ACCESS_REGISTER = "access:register"
    ACCESS_OUTSIDE = "access:outside"
    SECRECY_SET = "secrecy:set"
    CLEARANCE_MANAGE = "user:clearance"
    OVERSIGHT_VIEW = "oversight:view"
    RECORD_VIEW = "record:view"
    RECORD_MANAGE = "record:manage"
    CATALOGUE_MANAGE = "catalogue:manage"
    ARCHIVE_MANAGE = "archive:manage"  # retention, legal holds, disposal proposals, case files (Art. 39–44)
    ARCHIVE_APPROVE = "archive:approve"  # approve or reject a disposal (the second person)
    APPROVAL_ACT = "approval:act"
    DISCLOSURE_REQUEST = "disclosure:request"  # ask to give AV records outside (Art. 37)
    DISCLOSURE_APPROVE = "disclosure:approve"  # the bureau head approves it


P = Permission

#: Everyone signs in and manages their own account; the rest by role. The system administrator
#: runs the system but neither reads nor registers evidence nor records enforcement work (Art. 45).
_EVERYONE = frozenset({P.UNIT_VIEW, P.USER_VIEW, P.SELF_MANAGE})
#: What an enforcement unit does with its own footage and on-site work (officers, unit heads).
_FIELD_WORK = frozenset({P.DEVICE_VIEW, P.DEVICE_LOG, P.MEDIA_INGEST, P.MEDIA_VIEW, P.MEDIA_REGISTER,
                         P.MEDIA_HANDIN, P.MEDIA_EVIDENCE, P.ACTIVITY_VIEW, P.ACTIVITY_MANAGE, P.FINDING_VIEW,
                         P.CASE_VIEW, P.RECORD_VIEW})
#: Looking on without taking part: leaders and supervisors.
_OVERSIGHT = frozenset({P.DEVICE_VIEW, P.EVENT_VIEW, P.LEDGER_VIEW, P.MEDIA_VIEW, P.ACTIVITY_VIEW, P.FINDING_VIEW,
                        P.CASE_VIEW, P.OVERSIGHT_VIEW, P.RECORD_VIEW})

#: Art. 45–47 (docs/decisions/0017): who asks to read, who approves, who keeps the register.
_ASK = frozenset({P.ACCESS_REQUEST})
_CLASSIFY = frozenset({P.SECRECY_SET})
_REGISTER = frozenset({P.ACCESS_REGISTER})
#: Art. 37 (docs/decisions/0025): who asks to give AV records outside, who approves.
_DISCLOSE = frozenset({P.DISCLOSURE_REQUEST})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: _EVERYONE | _FIELD_WORK | {P.CASE_MANAGE, P.RECORD_MANAGE} | _ASK | _CLASSIFY | _DISCLOSE,
    Role.UNIT_HEAD: _EVERYONE | _FIELD_WORK | {P.EVENT_VIEW, P.CASE_MANAGE, P.OVERSIGHT_VIEW, P.RECORD_MANAGE}
    | _ASK | _CLASSIFY | {P.APPROVAL_ACT} | _DISCLOSE,
    Role.LEGAL_REVIEWER: _EVERYONE | {P.FINDING_VIEW, P.CASE_VIEW, P.RECORD_VIEW, P.APPROVAL_ACT} | _ASK,
    Role.LEADER: _EVERYONE | _OVERSIGHT | _ASK | _CLASSIFY | _REGISTER | {P.ACCESS_APPROVE, P.ACCESS_OUTSIDE,
                                                                           P.ARCHIVE_APPROVE, P.APPROVAL_ACT}
    | {P.DISCLOSURE_APPROVE},
    Role.ARCHIVIST: _EVERYONE | _FIELD_WORK | {P.DEVICE_MANAGE, P.TOKEN_MANAGE, P.LEDGER_VIEW} | _ASK | _CLASSIFY
    | _REGISTER | {P.ACCESS_OUTSIDE, P.ARCHIVE_MANAGE} | _DISCLOSE,
    Role.SUPERVISOR: _EVERYONE | _OVERSIGHT | {P.LEDGER_VERIFY, P.VAULT_VERIFY} | _ASK | _REGISTER,
    Role.ADMIN: _EVERYONE | {P.UNIT_MANAGE, P.USER_MANAGE, P.DEVICE_VIEW, P.DEVICE_MANAGE, P.DEVICE_LOG,
                             P.TOKEN_MANAGE, P.EVENT_VIEW, P.LEDGER_VIEW, P.LEDGER_VERIFY, P.MEDIA_INGEST,
                             P.VAULT_VERIFY, P.CLEARANCE_MANAGE, P.CATALOGUE_MANAGE},
}

BUREAU_WIDE_ROLES: frozenset[Role] = frozenset(
    {Role.LEGAL_REVIEWER, Role.LEADER, Role.ARCHIVIST, Role.SUPERVISOR, Role.ADMIN}
)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in person, a machine token's owner, or the system itself."""

    user_id: UUID | None
    name: str
    bureau_id: UUID | None
    unit_id: UUID | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    is_system: bool = False


def system_actor(name: str = "system", bureau_id: UUID | None = None) -> Actor:
    """The actor of `lawtrail init`, the console CLI and the demo loader: allowed everything,
    recorded by name; ``bureau_id`` (when given) is the bureau whose lists it works on."""
    return Actor(user_id=None, name=name, bureau_id=bureau_id, unit_id=None, is_system=True)


def has_permission(actor: Actor, perm: Permission) -> bool:
    """True when any of the actor's roles carries ``perm`` (regardless of unit)."""
    return actor.is_system or any(perm in ROLE_PERMISSIONS[r] for r in actor.roles)


def allows(actor: Actor, perm: Permission, *, bureau_id: UUID | None, unit_id: UUID | None) -> bool:
    """True when the actor may use ``perm`` on something of ``bureau_id`` / ``unit_id``.

    Something with no unit (a bureau-level object) needs a bureau-wide role, or the
    permission through a unit role when the object is the actor's own bureau's.
    """
    if actor.is_system:
        return True
    if bureau_id is not None and bureau_id != actor.bureau_id:
        return False
    for role in actor.roles:
        if perm not in ROLE_PERMISSIONS[role]:
            continue
        if role in BUREAU_WIDE_ROLES or unit_id is None or unit_id == actor.unit_id:
            return True
    return False


def unit_scope(actor: Actor, perm: Permission) -> frozenset[UUID] | None:
    """Units whose objects the actor may see with ``perm``: None means the whole bureau.

    An empty set means nothing at all (default deny).
    """
    if actor.is_system:
        return None
    roles = [r for r in actor.roles if perm in ROLE_PERMISSIONS[r]]
    if any(r in BUREAU_WIDE_ROLES for r in roles):
        return None
    if roles and actor.unit_id is not None:
        return frozenset({actor.unit_id})
    return frozenset()
