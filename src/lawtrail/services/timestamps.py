"""RFC 3161 timestamps of checkpoints: obtained before the checkpoint's transaction, stored
with it, and checked afterwards (``verify_timestamps``).

A timestamp is optional and never blocks the ledger: when the TSA is unreachable or answers
badly the checkpoint is made without one and its announcing event records
``{"timestamp": "failed", "reason": ...}``. A granted one is announced as
``{"timestamp": "granted", "token_sha256": ...}``, so the log itself shows when a stored
token was later removed or replaced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lawtrail.domain.access import Permission
from lawtrail.domain.ledger.audit import CHECKPOINT_ACTION, StoredCheckpoint
from lawtrail.domain.ledger.checkpoint import format_checkpoint_body, format_signed_note, note_message
from lawtrail.domain.ledger.merkle import root
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import LedgerUnitOfWork, Signer, Timestamper, TimestampVerifier

MAX_REASON = 300


@dataclass(frozen=True)
class Stamp:
    """What the TSA said about ``note``: a verified token, or why there is none."""

    note: str
    token: bytes | None
    reason: str | None = None


def prestamp(uow: LedgerUnitOfWork, signer: Signer, origin: str, timestamper: Timestamper | None) -> Stamp | None:
    """Sign the note the next checkpoint will hold (Ed25519 is deterministic, so it is the
    same note if the log does not grow meanwhile) and timestamp it, outside any write
    transaction so that no database lock is held over the network. None when there is no
    TSA or nothing new to checkpoint."""
    if timestamper is None:
        return None
    with uow:
        size = uow.events.count()
        latest = uow.checkpoints.latest()
        if latest is not None and latest.size >= size:
            return None
        body = format_checkpoint_body(origin, size, root(uow.ledger_nodes, size))
    note = format_signed_note(body, [(signer.name, signer.key_id, signer.sign(note_message(body)))])
    try:
        return Stamp(note, timestamper.timestamp(note.encode("utf-8")))
    except Exception as exc:  # whatever goes wrong, the checkpoint is still made
        return Stamp(note, None, f"{type(exc).__name__}: {exc}"[:MAX_REASON])


def settle(stamp: Stamp | None, note: str) -> tuple[bytes | None, dict[str, Any]]:
    """The token to store with the checkpoint holding ``note`` and what its announcing event
    records about it (nothing when no TSA is configured)."""
    if stamp is None:
        return None, {}
    if stamp.token is None:
        return None, {"timestamp": "failed", "reason": stamp.reason or "no token"}
    if stamp.note != note:
        return None, {"timestamp": "failed", "reason": "the log grew while the timestamp was fetched"}
    return stamp.token, {"timestamp": "granted", "token_sha256": hashlib.sha256(stamp.token).hexdigest()}


@dataclass(frozen=True)
class TimestampCheck:
    """One checkpoint's timestamp: ``verified`` (with the TSA's time), ``failed`` (the TSA
    failed when it was made, as recorded), ``none`` (no TSA then), or a problem:
    ``invalid`` (the token does not verify or is not the one announced) or ``missing``
    (announced as granted, no token stored)."""

    size: int
    status: str
    time: datetime | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.status not in ("invalid", "missing")

    def to_json(self) -> dict[str, Any]:
        return {"size": self.size, "status": self.status,
                "time": self.time.isoformat() if self.time else None, "detail": self.detail}


@dataclass(frozen=True)
class TimestampReport:
    checks: list[TimestampCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checkpoints": [c.to_json() for c in self.checks]}


def verify_timestamps(uow: LedgerUnitOfWork, ctx: Ctx, verifier: TimestampVerifier) -> TimestampReport:
    """Check every checkpoint's stored token against its note bytes and the trusted TSA
    certificates, and against what the log announced when the checkpoint was made.
    Raise PermissionDenied without ledger:verify."""
    require(ctx.actor, Permission.LEDGER_VERIFY)
    with uow:
        checkpoints = uow.checkpoints.list()
        announced = dict(_announcements(uow))
    return TimestampReport([_check(cp, announced.get(cp.size, {}), verifier) for cp in checkpoints])


def _check(cp: StoredCheckpoint, said: dict[str, Any], verifier: TimestampVerifier) -> TimestampCheck:
    if cp.timestamp_token is None:
        if said.get("timestamp") == "granted":
            return TimestampCheck(cp.size, "missing", detail="announced as granted, but no token is stored")
        if said.get("timestamp") == "failed":
            return TimestampCheck(cp.size, "failed", detail=str(said.get("reason")))
        return TimestampCheck(cp.size, "none")
    digest = hashlib.sha256(cp.timestamp_token).hexdigest()
    if said.get("token_sha256") not in (None, digest):
        return TimestampCheck(cp.size, "invalid", detail="the stored token is not the one announced in the log")
    try:
        at = verifier.verify(cp.timestamp_token, cp.note.encode("utf-8"))
    except Exception as exc:  # any verifier failure means the token does not hold
        return TimestampCheck(cp.size, "invalid", detail=str(exc)[:MAX_REASON])
    return TimestampCheck(cp.size, "verified", time=at)


def _announcements(uow: LedgerUnitOfWork, page: int = 1000) -> Iterator[tuple[int, dict[str, Any]]]:
    """(size, after) of every checkpoint announcement, newest first."""
    before: int | None = None
    while True:
        events = uow.events.list(subject_type="ledger", limit=page, before_seq=before)
        for event in events:
            after = event.after or {}
            if event.action == CHECKPOINT_ACTION and isinstance(after.get("size"), int):
                yield after["size"], dict(after)
        if len(events) < page:
            return
        before = min(e.seq for e in events)
