"""Verify the store of originals (Art. 37): re-hash every recorded original (footage and the
scans of records) and every derived object, find bytes nobody recorded, and record each run as
one ``media:vault:verify`` event; on the administrator's schedule too (``verify_vault_if_due``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from lawtrail.domain.access import Permission
from lawtrail.domain.events import Action
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import BlobStore, UnitOfWork
from lawtrail.services.trail import record

ProblemKind = Literal["changed", "missing", "untracked"]


@dataclass(frozen=True)
class VaultProblem:
    sha256: str
    kind: ProblemKind  # changed: bytes differ; missing: row without bytes; untracked: bytes without row


@dataclass
class VaultReport:
    """Originals and their derived objects (previews, thumbnails) are reported separately:
    ``problems`` concern originals (or bytes nobody recorded), ``derived_problems`` derived
    objects (changed or missing only; their bytes are not "untracked")."""

    checked: int = 0
    bytes: int = 0
    problems: list[VaultProblem] = field(default_factory=list)
    disposed: list[str] = field(default_factory=list)  # absent after an approved disposal: not a problem
    derived_checked: int = 0
    derived_bytes: int = 0
    derived_problems: list[VaultProblem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems and not self.derived_problems

    def counts(self) -> dict[str, int]:
        return {k: sum(1 for p in self.problems if p.kind == k) for k in ("changed", "missing", "untracked")}

    def derived_counts(self) -> dict[str, int]:
        return {k: sum(1 for p in self.derived_problems if p.kind == k) for k in ("changed", "missing")}

    def to_json(self) -> dict[str, Any]:
        return {"clean": self.clean, "checked": self.checked, "bytes": self.bytes, **self.counts(),
                "disposed": len(self.disposed),
                "problems": [{"sha256": p.sha256, "kind": p.kind} for p in self.problems],
                "derived": {"checked": self.derived_checked, "bytes": self.derived_bytes, **self.derived_counts(),
                            "problems": [{"sha256": p.sha256, "kind": p.kind} for p in self.derived_problems]}}


def recorded_originals(uow: UnitOfWork, ctx: Ctx) -> list[tuple[str, int]]:
    """(sha256, size) of every recorded original — footage, and the scans and photos of records
    (the signed paper's scan is kept as stored, Art. 13, 37) — each digest once, in digest order,
    to size a progress bar; needs vault:verify."""
    require(ctx.actor, Permission.VAULT_VERIFY)
    with uow:
        return sorted(dict([*uow.media.digests(), *uow.records.attachment_digests()]).items())


def verify_vault(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, *,
                 on_checked: Callable[[str, int], None] | None = None) -> VaultReport:
    """Re-hash every recorded original and every derived object (reported apart), and look for
    stored bytes without a row; record the run as one ``media:vault:verify`` event (its ``after``
    is the summary). An original whose bytes are absent after an approved disposal is reported
    ``disposed``, not ``missing``. Needs vault:verify."""
    report = VaultReport()
    recorded = recorded_originals(uow, ctx)
    with uow:
        authorised = uow.archive.authorised_digests()
    for sha256, size in recorded:
        if not blobs.exists(sha256):
            if sha256 in authorised:  # bytes deleted by an approved, recorded disposal
                report.disposed.append(sha256)
            else:
                report.problems.append(VaultProblem(sha256, "missing"))
        elif not blobs.verify(sha256):
            report.problems.append(VaultProblem(sha256, "changed"))
        report.checked += 1
        report.bytes += size
        if on_checked is not None:
            on_checked(sha256, size)
    known = {sha256 for sha256, _ in recorded} | _verify_derived(uow, blobs, report)
    unknown = set(blobs.iter_digests()) - known
    if unknown:  # rows committed while this run hashed and listed (an ingest, the derived worker)
        unknown -= _recorded_digests(uow, ctx)  # are read again after the listing: no false alarm
    report.problems.extend(VaultProblem(d, "untracked") for d in sorted(unknown))
    with uow:
        summary = {k: v for k, v in report.to_json().items() if k not in ("problems", "derived")}
        summary["problems"] = [{"sha256": p.sha256, "kind": p.kind} for p in report.problems[:100]]
        summary["derived"] = {**{k: v for k, v in report.to_json()["derived"].items() if k != "problems"},
                              "problems": [{"sha256": p.sha256, "kind": p.kind} for p in report.derived_problems[:100]]}
        record(uow, ctx, Action.VAULT_VERIFICATION, subject_type="vault", subject_id="originals",
               subject_name="原始文件存储 / vault", after_dict=summary)
        uow.commit()
    return report


def _recorded_digests(uow: UnitOfWork, ctx: Ctx) -> set[str]:
    """Every digest with a row now: ``recorded_originals`` and the derived objects."""
    originals = {d for d, _ in recorded_originals(uow, ctx)}
    with uow:
        return originals | {d for d, *_ in uow.derived.digests()}


def _verify_derived(uow: UnitOfWork, blobs: BlobStore, report: VaultReport) -> set[str]:
    """Re-hash every recorded derived object (each digest once); return their digests."""
    with uow:
        rows = list(uow.derived.digests())
    seen: set[str] = set()
    for sha256, size, _media_id, _kind in rows:
        if sha256 in seen:
            continue
        seen.add(sha256)
        if not blobs.exists(sha256):
            report.derived_problems.append(VaultProblem(sha256, "missing"))
        elif not blobs.verify(sha256):
            report.derived_problems.append(VaultProblem(sha256, "changed"))
        report.derived_checked += 1
        report.derived_bytes += size
    return seen


def last_verification(uow: UnitOfWork) -> datetime | None:
    """When the vault was last verified (the latest ``media:vault:verify`` event), or None."""
    with uow:
        latest = uow.events.list(subject_type="vault", subject_id="originals", limit=1)
    return latest[0].occurred_at if latest else None


def verify_vault_if_due(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, *, every_hours: int) -> VaultReport | None:
    """Run ``verify_vault`` when it never ran or the last run is ``every_hours`` or more old
    (the administrator's schedule, LAWTRAIL_VAULT_VERIFY_HOURS); return its report, or None
    when not due or when the schedule is off (``every_hours`` 0)."""
    if every_hours <= 0:
        return None
    last = last_verification(uow)
    if last is not None and ctx.now - last < timedelta(hours=every_hours):
        return None
    return verify_vault(uow, ctx, blobs)
