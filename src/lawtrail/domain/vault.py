"""The evidence vault's records: one write-once row per original, and its Art. 42 registration.

A ``MediaRecord`` describes one stored original (addressed by its SHA-256) and is never
changed. The registration (登记: unit name, enforcement category, device number, officer, time
of use, party, case name) is kept as numbered versions: a correction is a new version, the
earlier ones stay (DESIGN.md rule 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from lawtrail.domain.media import MediaType

#: Error code of the Conflict raised when a digest is already registered (repository and service agree).
MEDIA_EXISTS = "media.exists"


@dataclass(frozen=True)
class MediaRecord:
    id: UUID
    sha256: str
    size: int
    media_type: MediaType
    original_name: str
    facts: dict[str, Any]  # MediaFacts.to_json()
    probe_ok: bool
    device_id: UUID
    officer_id: UUID | None
    unit_id: UUID
    bureau_id: UUID
    captured_at: datetime | None
    captured_end: datetime | None
    handed_in_at: datetime
    stored_at: datetime
    clock_offset_s: float | None  # device clock minus station clock at hand-in; None = not read
    ingested_by: str
    created_at: datetime


@dataclass(frozen=True)
class Registration:
    """Version ``version`` of a file's Art. 42 registration; empty strings are items not yet given."""

    media_id: UUID
    version: int
    unit_name: str
    category: str
    device_number: str
    officer_id: UUID | None
    officer_name: str
    used_from: datetime | None
    used_to: datetime | None
    party: str
    case_name: str
    actor_id: UUID | None
    actor_name: str
    at: datetime
