"""The event trail: one event per state change or registered read (Art. 3, 45).

Each event becomes a leaf of the ledger's Merkle tree; its canonical form (``to_leaf_dict``)
is what gets hashed, so it holds copies of the actor's and subject's names: the history
stays readable and verifiable even after the objects change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

LEAF_VERSION = 1


class Action(StrEnum):
    """Every action name, ``resource:subject:action``."""

    SYSTEM_INIT = "system:deployment:init"
    BUREAU_CREATE = "org:bureau:create"
    UNIT_CREATE = "org:unit:create"
    UNIT_UPDATE = "org:unit:update"
    UNIT_DEACTIVATE = "org:unit:deactivate"
    UNIT_REACTIVATE = "org:unit:reactivate"
    USER_CREATE = "org:user:create"
    USER_UPDATE = "org:user:update"
    USER_DEACTIVATE = "org:user:deactivate"
    USER_REACTIVATE = "org:user:reactivate"
    USER_PASSWORD_RESET = "org:user:password-reset"
    USER_PASSWORD_CHANGE = "auth:password:change"
    USER_TOTP_ENABLE = "auth:totp:enable"
    USER_TOTP_DISABLE = "auth:totp:disable"
    DEVICE_CREATE = "org:device:create"
    DEVICE_UPDATE = "org:device:update"
    DEVICE_ASSIGN = "org:device:assign"
    DEVICE_STATUS = "org:device:status"
    DEVICE_LOG = "org:device:log"
    LOGIN = "auth:session:create"
    LOGIN_REFUSED = "auth:session:refuse"
    LOGIN_SECOND_FACTOR = "auth:session:second-factor"
    LOGOUT = "auth:session:end"
    TOKEN_CREATE = "auth:token:create"
    TOKEN_REVOKE = "auth:token:revoke"
    LEDGER_CHECKPOINT = "ledger:checkpoint:create"
    LEDGER_VERIFICATION = "ledger:verification:run"
    MEDIA_INGEST = "media:original:ingest"
    VAULT_VERIFICATION = "media:vault:verify"
    MEDIA_HANDIN_RECORD = "media:handin:record"
    MEDIA_HANDIN_COMPLETE = "media:handin:complete"
    MEDIA_EVIDENCE_MARK = "media:evidence:mark"
    MEDIA_VIEW = "media:original:view"
    MEDIA_DOWNLOAD = "media:original:download"
    MEDIA_READ_REFUSED = "media:original:read-refused"
    MEDIA_REGISTRATION = "media:registration:update"
    MEDIA_ALTER_REFUSED = "media:original:alter-refused"
    MEDIA_DERIVED_CREATE = "media:derived:create"
    ACTIVITY_CREATE = "vault:activity:create"
    ACTIVITY_CORRECT = "vault:activity:correct"
    INTERRUPTION_RECORD = "vault:interruption:record"
    INTERRUPTION_COMPLETE = "vault:interruption:complete"
    CASE_OPEN = "case:case:open"
    CASE_UPDATE = "case:case:update"
    CASE_PARTY_ADD = "case:party:add"
    CASE_HANDLERS_SET = "case:handlers:set"
    CASE_STAGE_ADVANCE = "case:stage:advance"
    CASE_CLOSE = "case:case:close"
    CASE_MEDIA_LINK = "case:media:link"
    CASE_MEDIA_UNLINK = "case:media:unlink"
    ACCESS_REQUEST = "access:request:create"
    ACCESS_APPROVE = "access:request:approve"
    ACCESS_REFUSE = "access:request:refuse"
    ACCESS_WITHDRAW = "access:request:withdraw"
    ACCESS_REVOKE = "access:request:revoke"
    ACCESS_REGISTER_EXPORT = "access:register:export"
    OUTSIDE_REQUEST = "access:outside:record"
    OUTSIDE_DECIDE = "access:outside:decide"
    USER_CLEARANCE = "org:user:clearance"
    CASE_SECRECY = "case:secrecy:set"
    MEDIA_SECRECY = "media:secrecy:set"
    OVERSIGHT_REPORT_VIEW = "oversight:report:view"
    OVERSIGHT_REPORT_EXPORT = "oversight:report:export"
    CATALOGUE_UPDATE = "config:catalogue:update"
    RECORD_CREATE = "case:record:create"
    RECORD_CORRECT = "case:record:correct"
    RECORD_SIGN = "case:record:sign"
    RECORD_REFUSE_SIGN = "case:record:refuse-sign"
    RECORD_ATTACH = "case:record:attach"
    RECORD_READ = "case:record:read"
    RECORD_PRINT = "case:record:print"
    RECORD_PRINT_INDEX = "case:record:print-index"
    RETENTION_RAISE = "archive:retention:raise"
    HOLD_PLACE = "archive:hold:place"
    HOLD_RELEASE = "archive:hold:release"
    DISPOSAL_PROPOSE = "archive:disposal:propose"
    DISPOSAL_APPROVE = "archive:disposal:approve"
    DISPOSAL_REJECT = "archive:disposal:reject"
    DISPOSAL_EXECUTE = "archive:disposal:execute"
    CASEFILE_EXPORT = "archive:casefile:export"
    CASE_APPROVAL_SUBMIT = "case:approval:submit"
    CASE_APPROVAL_ACT = "case:approval:act"
    CASE_APPROVAL_WITHDRAW = "case:approval:withdraw"
    DISCLOSURE_REQUEST = "media:disclosure:request"
    DISCLOSURE_APPROVE = "media:disclosure:approve"
    DISCLOSURE_REFUSE = "media:disclosure:refuse"
    DISCLOSURE_WITHDRAW = "media:disclosure:withdraw"
    DISCLOSURE_EXPORT = "media:disclosure:export"
    DISCLOSURE_EXPORT_REFUSED = "media:disclosure:export-refused"
    DISCLOSURE_DOWNLOAD = "media:disclosure:download"


@dataclass(frozen=True)
class Event:
    """One entry of the trail. ``seq`` is the gapless leaf index, assigned at append."""

    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    actor_name: str
    action: str
    subject_type: str
    subject_id: str
    subject_name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    seq: int = -1

    def to_leaf_dict(self) -> dict[str, Any]:
        """The exact JSON value hashed into the ledger leaf (see docs/ledger.md)."""
        return {
            "v": LEAF_VERSION,
            "seq": self.seq,
            "id": str(self.id),
            "time": format_time(self.occurred_at),
            "actor": {"id": str(self.actor_id) if self.actor_id else None, "name": self.actor_name},
            "action": self.action,
            "subject": {"type": self.subject_type, "id": self.subject_id, "name": self.subject_name},
            "before": self.before,
            "after": self.after,
            "request_id": self.request_id,
        }


def format_time(value: datetime) -> str:
    """UTC, microsecond precision, ``Z`` suffix: ``2026-11-26T08:30:00.000000Z``.

    Raise ValueError for a naive datetime: every recorded time must carry its zone.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime in an event")
    # isoformat, not strftime: glibc's %Y does not pad years before 1000 to four digits, as the
    # stored time (and docs/ledger.md) do.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
