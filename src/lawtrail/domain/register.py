"""The 查阅登记 register (Art. 45): every reading and every refused reading, as the ledger holds
them. Rows are built from the events (set-based, one query per page), never kept twice.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from lawtrail.domain.events import Action

#: The events that are readings, and the one that is a refusal.
READ_ACTIONS: tuple[str, ...] = (Action.MEDIA_VIEW.value, Action.MEDIA_DOWNLOAD.value)
REFUSED_ACTIONS: tuple[str, ...] = (Action.MEDIA_READ_REFUSED.value,)
Outcome = Literal["read", "refused"]
OUTCOME_LABELS: dict[str, str] = {"read": "已查阅", "refused": "已拒绝"}
BASIS_LABELS: dict[str, str] = {"archivist": "专职人员保管工作", "handler": "本案承办人", "grant": "经批准查阅",
                                "system": "系统", "": ""}
PURPOSE_LABELS: dict[str, str] = {"view": "播放/查看", "download": "下载", "details": "查看登记信息",
                                  "ticket": "播放凭证"}


@dataclass(frozen=True)
class RegisterFilter:
    bureau_id: UUID
    actor_id: UUID | None = None
    unit_id: UUID | None = None  # the reader's unit
    case_id: UUID | None = None  # originals ever linked to the case
    start: datetime | None = None
    end: datetime | None = None
    outcome: Outcome | None = None
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class RegisterRow:
    seq: int
    at: datetime
    actor_id: UUID | None
    actor_name: str
    unit_name: str
    action: str
    subject_id: str
    subject_name: str
    after: dict[str, Any]

    @property
    def outcome(self) -> Outcome:
        return "refused" if self.action in REFUSED_ACTIONS else "read"

    @property
    def purpose(self) -> str:
        return str(self.after.get("purpose", ""))

    @property
    def basis(self) -> str:
        return str(self.after.get("basis", ""))

    @property
    def code(self) -> str:
        return str(self.after.get("code", ""))

    @property
    def grant_id(self) -> str:
        return str(self.after.get("grant_id", ""))

    @property
    def level(self) -> str:
        return str(self.after.get("level", ""))
