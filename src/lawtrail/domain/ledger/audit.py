"""Full verification of the ledger (pure): re-derive every leaf, rebuild the tree, check
every signed checkpoint, and name the first problem with its kind.

The same function serves the database (``services.ledger.verify``) and an exported folder
(``adapters.ledger_export``): both feed it a stream of rows and the stored checkpoints.
Memory stays O(log n + checkpoints): rows are consumed once, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.checkpoint import Checkpoint
from lawtrail.domain.ledger.merkle import StreamingRoot, leaf_hash

#: The event that announces a new checkpoint inside the log itself, so that removing or
#: replacing the latest checkpoint row (a rollback) is evident from the trail.
CHECKPOINT_ACTION = "ledger:checkpoint:create"


class ProblemKind(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    INSERTED = "inserted"
    REORDERED = "reordered"
    CHECKPOINT_FORGED = "checkpoint_forged"
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class Problem:
    """What is wrong, at which leaf (when one can be named) and which checkpoint size."""

    kind: ProblemKind
    leaf: int | None
    checkpoint_size: int | None
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "leaf": self.leaf, "checkpoint_size": self.checkpoint_size,
                "detail": self.detail}


@dataclass(frozen=True)
class StoredCheckpoint:
    """One row of the checkpoint store."""

    size: int
    root: bytes
    note: str
    created_at: datetime | None = None
    timestamp_token: bytes | None = None


@dataclass(frozen=True)
class LeafRow:
    """One stored event: its leaf form, the stored leaf hash and the independently recorded
    one (the subtree store's level 0; None when there is no record for this index)."""

    leaf: Mapping[str, Any]
    stored_hash: bytes
    recorded_hash: bytes | None


@dataclass(frozen=True)
class AuditResult:
    size: int
    checkpoints: int
    latest_checkpoint: int | None
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "size": self.size, "checkpoints": self.checkpoints,
                "latest_checkpoint": self.latest_checkpoint,
                "problem": self.problem.to_json() if self.problem else None}


NoteCheck = Callable[[str], Checkpoint]
"""Parse a signed checkpoint note and check its signature; raise ValueError if it fails."""


class _Found(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


@dataclass(frozen=True)
class AuditInput:
    """Everything ``audit`` reads besides the row stream.

    ``head_size`` is the size the log claims; ``recorded_size`` the number of independently
    recorded leaf hashes (None when there is no independent record, as in an export);
    ``locate`` finds the index at which a leaf hash was recorded.
    """

    checkpoints: Sequence[StoredCheckpoint]
    head_size: int
    check_note: NoteCheck
    recorded_size: int | None = None
    locate: Callable[[bytes], int | None] | None = None


def audit(rows: Iterable[LeafRow], given: AuditInput) -> AuditResult:
    """Check everything; return the first problem in log order (None when all holds)."""
    cps = sorted(given.checkpoints, key=lambda c: c.size)
    latest = cps[-1].size if cps else None
    count = 0
    try:
        count = _walk(rows, given, cps)
    except _Found as found:
        return AuditResult(count, len(cps), latest, found.problem)
    return AuditResult(count, len(cps), latest, None)


@dataclass(frozen=True)
class ChunkSummary:
    """What a scan of leaves ``[start, start + count)`` found (see ``certify``).

    ``clean`` means: the rows there are exactly the leaves ``start, start + 1, ...`` in order,
    each has a recorded leaf hash, and each re-derived leaf hash equals both the stored and the
    recorded one. ``subtrees`` is the compact range of those leaves (largest subtree first),
    ``stacks`` the compact range of ``[start, size)`` at each requested checkpoint size, and
    ``announcements`` the ``(index, {"action", "after"})`` of every checkpoint announcement.
    A chunk that is not clean carries nothing else: the sequential ``audit`` names the problem.
    """

    start: int
    count: int
    clean: bool
    subtrees: tuple[bytes, ...] = ()
    stacks: Mapping[int, tuple[bytes, ...]] = field(default_factory=dict)
    announcements: tuple[tuple[int, Mapping[str, Any]], ...] = ()


def certify(chunks: Iterable[ChunkSummary], given: AuditInput) -> AuditResult | None:
    """The fast path of ``audit``: from per-chunk summaries (scanned in parallel), return the
    passing result when everything holds, else None, and the caller runs ``audit`` over the
    rows to name the first problem. Never returns a result with a problem, so every problem
    is named by the one sequential walk, exactly as before."""
    cps = sorted(given.checkpoints, key=lambda c: c.size)
    by_size = {c.size: c for c in cps}
    pending = iter(cps)
    next_cp = next(pending, None)
    acc = StreamingRoot()
    try:
        while next_cp is not None and next_cp.size == 0:
            _check_checkpoint(next_cp, acc, given.check_note)
            next_cp = next(pending, None)
        for chunk in chunks:
            if not chunk.clean or chunk.start != acc.size:
                return None
            for index, leaf in chunk.announcements:
                _check_announcement(index, leaf, by_size)
            end = chunk.start + chunk.count
            while next_cp is not None and next_cp.size <= end:
                stack = chunk.stacks.get(next_cp.size)
                if stack is None:
                    return None
                at = StreamingRoot.from_compact_range(acc.size, acc.compact_range())
                at.extend_compact(next_cp.size - chunk.start, stack)
                _check_checkpoint(next_cp, at, given.check_note)
                next_cp = next(pending, None)
            acc.extend_compact(chunk.count, chunk.subtrees)
        _check_tail(acc.size, given)
    except (_Found, ValueError):
        return None
    if next_cp is not None:
        return None
    return AuditResult(acc.size, len(cps), cps[-1].size if cps else None, None)


def _walk(rows: Iterable[LeafRow], given: AuditInput, cps: list[StoredCheckpoint]) -> int:
    by_size = {c.size: c for c in cps}
    pending = iter(cps)
    next_cp = next(pending, None)
    acc = StreamingRoot()
    while next_cp is not None and next_cp.size == 0:
        _check_checkpoint(next_cp, acc, given.check_note)
        next_cp = next(pending, None)
    stream = iter(rows)
    for index, row in enumerate(stream):
        acc.append(_check_leaf(index, row, given, stream))
        _check_announcement(index, row.leaf, by_size)
        while next_cp is not None and next_cp.size == acc.size:
            _check_checkpoint(next_cp, acc, given.check_note)
            next_cp = next(pending, None)
    count = acc.size
    _check_tail(count, given)
    if next_cp is not None:
        raise _Found(Problem(ProblemKind.MISSING, count, next_cp.size,
                             f"the log ends at {count} leaves, before the signed size {next_cp.size}"))
    return count


def _check_leaf(index: int, row: LeafRow, given: AuditInput, rest: Iterator[LeafRow]) -> bytes:
    seq = row.leaf.get("seq")
    if not isinstance(seq, int):
        raise _Found(Problem(ProblemKind.INSERTED, index, None, f"unexpected row at leaf {index}"))
    if seq < index:
        raise _Found(Problem(ProblemKind.REORDERED, index, None, f"leaf {seq} appears again at {index}"))
    if seq > index:
        # Failure path only: read on to tell a moved leaf from a removed one.
        later = next((k for k, r in enumerate(rest, start=index + 1) if r.leaf.get("seq") == index), None)
        if later is not None:
            raise _Found(Problem(ProblemKind.REORDERED, index, None, f"leaf {index} was moved to {later}"))
        raise _Found(Problem(ProblemKind.MISSING, index, None, f"leaf {index} is gone (next is {seq})"))
    if given.recorded_size is not None and row.recorded_hash is None:
        raise _Found(Problem(ProblemKind.INSERTED, index, None, f"leaf {index} was never recorded"))
    try:
        recomputed = leaf_hash(canonical_json(dict(row.leaf)))
    except (TypeError, ValueError) as exc:
        raise _Found(Problem(ProblemKind.CHANGED, index, None, f"leaf {index} is malformed: {exc}")) from None
    reference = row.recorded_hash if row.recorded_hash is not None else row.stored_hash
    if recomputed == reference and row.stored_hash == reference:
        return recomputed
    if row.stored_hash != reference and given.locate is not None:
        elsewhere = given.locate(row.stored_hash)
        if elsewhere is not None and elsewhere != index:
            raise _Found(Problem(ProblemKind.REORDERED, index, None,
                                 f"leaf {index} holds the event recorded at leaf {elsewhere}"))
    raise _Found(Problem(ProblemKind.CHANGED, index, None, f"the event at leaf {index} was changed"))


def _check_announcement(index: int, leaf: Mapping[str, Any], by_size: dict[int, StoredCheckpoint]) -> None:
    if leaf.get("action") != CHECKPOINT_ACTION:
        return
    after = leaf.get("after") or {}
    size, root_hex = after.get("size"), after.get("root")
    stored = by_size.get(size) if isinstance(size, int) else None
    if stored is None or stored.root.hex() != root_hex:
        raise _Found(Problem(ProblemKind.ROLLED_BACK, index, size if isinstance(size, int) else None,
                             f"the checkpoint announced at leaf {index} (size {size}) is gone or replaced"))


def _check_checkpoint(cp: StoredCheckpoint, acc: StreamingRoot, check_note: NoteCheck) -> None:
    try:
        signed = check_note(cp.note)
    except ValueError as exc:
        raise _Found(Problem(ProblemKind.CHECKPOINT_FORGED, None, cp.size,
                             f"checkpoint {cp.size}: {exc}")) from None
    if signed.size < cp.size:
        raise _Found(Problem(ProblemKind.ROLLED_BACK, None, cp.size,
                             f"checkpoint {cp.size} holds an older note (size {signed.size})"))
    if signed.size != cp.size or signed.root != cp.root:
        raise _Found(Problem(ProblemKind.CHECKPOINT_FORGED, None, cp.size,
                             f"checkpoint {cp.size}: note and row disagree"))
    if acc.root() != cp.root:
        raise _Found(Problem(ProblemKind.CHANGED, None, cp.size,
                             f"the first {cp.size} leaves no longer give the signed root"))


def _check_tail(count: int, given: AuditInput) -> None:
    if given.recorded_size is not None and given.recorded_size > count:
        raise _Found(Problem(ProblemKind.MISSING, count, None, f"leaf {count} is gone (recorded, not stored)"))
    if given.head_size > count:
        raise _Found(Problem(ProblemKind.MISSING, count, None, f"leaf {count} is gone (log size {given.head_size})"))
    if given.head_size < count:
        raise _Found(Problem(ProblemKind.INSERTED, given.head_size, None,
                             f"{count - given.head_size} row(s) beyond the log size {given.head_size}"))
