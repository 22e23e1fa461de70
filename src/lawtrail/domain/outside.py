"""Requests from outside the bureau to read or copy records (Art. 46): a party or another agency
asks, citing a legal basis; the bureau head decides; what was provided is recorded item by item
with its digest, so it can be shown later exactly what left the bureau.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class Requester(StrEnum):
    PARTY = "party"
    AGENCY = "agency"


REQUESTER_LABELS: dict[Requester, str] = {Requester.PARTY: "当事人", Requester.AGENCY: "其他机关"}


class Outcome(StrEnum):
    GRANTED = "granted"
    PARTLY = "partly"
    REFUSED = "refused"


OUTCOME_LABELS: dict[Outcome, str] = {Outcome.GRANTED: "同意", Outcome.PARTLY: "部分同意", Outcome.REFUSED: "不同意"}


@dataclass(frozen=True)
class OutsideRequest:
    id: UUID
    bureau_id: UUID
    kind: Requester
    requester_name: str
    requester_org: str
    legal_basis: str
    purpose: str
    wants_copy: bool
    case_id: UUID | None
    asked: str
    received_at: datetime
    recorded_by_id: UUID | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Provided:
    """One item given to the requester: which original, its digest and size, read or copied."""

    media_id: UUID
    name: str
    sha256: str
    size: int
    copy: bool

    def as_dict(self) -> dict[str, Any]:
        return {"media_id": str(self.media_id), "name": self.name, "sha256": self.sha256, "size": self.size,
                "copy": self.copy}


@dataclass(frozen=True)
class OutsideDecision:
    request_id: UUID
    outcome: Outcome
    approver_id: UUID | None
    approver_name: str
    reason: str
    provided: tuple[Provided, ...]
    at: datetime
