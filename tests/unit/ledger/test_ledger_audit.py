"""The pure audit: every kind of problem is found and named, in log order."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lawtrail.adapters.signer import Ed25519Signer, note_checker
from lawtrail.domain.ledger.audit import (
    CHECKPOINT_ACTION,
    AuditInput,
    LeafRow,
    ProblemKind,
    StoredCheckpoint,
    audit,
)
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.checkpoint import format_checkpoint_body, format_signed_note, note_message
from lawtrail.domain.ledger.merkle import leaf_hash, root_from_leaf_hashes

ORIGIN = "unit.example/ledger"
SIGNER = Ed25519Signer(Ed25519PrivateKey.generate(), ORIGIN)


def sign(size: int, root: bytes, signer: Ed25519Signer = SIGNER) -> StoredCheckpoint:
    body = format_checkpoint_body(ORIGIN, size, root)
    note = format_signed_note(body, [(signer.name, signer.key_id, signer.sign(note_message(body)))])
    return StoredCheckpoint(size, root, note)


def log() -> tuple[list[dict[str, Any]], list[StoredCheckpoint]]:
    """12 leaves; checkpoint 8 announced at leaf 8; checkpoint 12."""
    leaves: list[dict[str, Any]] = [{"seq": i, "action": "x", "after": {"n": i}} for i in range(8)]
    cp8 = sign(8, root_from_leaf_hashes([leaf_hash(canonical_json(x)) for x in leaves]))
    leaves.append({"seq": 8, "action": CHECKPOINT_ACTION, "after": {"size": 8, "root": cp8.root.hex()}})
    leaves += [{"seq": i, "action": "x", "after": {"n": i}} for i in range(9, 12)]
    cp12 = sign(12, root_from_leaf_hashes([leaf_hash(canonical_json(x)) for x in leaves]))
    return leaves, [cp8, cp12]


def run(leaves: list[dict[str, Any]], cps: list[StoredCheckpoint], *, recorded: list[bytes] | None = None,
        head: int | None = None) -> tuple[ProblemKind, int | None, int | None] | None:
    hashes = [leaf_hash(canonical_json(x)) for x in leaves]
    rec = recorded if recorded is not None else hashes
    rows = [LeafRow(x, h, rec[x["seq"]] if 0 <= x["seq"] < len(rec) else None)
            for x, h in zip(leaves, hashes, strict=True)]
    given = AuditInput(cps, len(rec) if head is None else head, note_checker(SIGNER.vkey()),
                       recorded_size=len(rec), locate=lambda h: rec.index(h) if h in rec else None)
    problem = audit(rows, given).problem
    return (problem.kind, problem.leaf, problem.checkpoint_size) if problem else None


def test_an_untouched_log_passes() -> None:
    leaves, cps = log()
    assert run(leaves, cps) is None


def test_changed() -> None:
    leaves, cps = log()
    recorded = [leaf_hash(canonical_json(x)) for x in leaves]
    leaves[5] = {**leaves[5], "after": {"n": 55}}
    assert run(leaves, cps, recorded=recorded) == (ProblemKind.CHANGED, 5, None)


def test_changed_everywhere_is_caught_by_the_signed_root() -> None:
    leaves, cps = log()
    leaves[5] = {**leaves[5], "after": {"n": 55}}
    assert run(leaves, cps) == (ProblemKind.CHANGED, None, 8)


def test_missing_and_reordered() -> None:
    leaves, cps = log()
    recorded = [leaf_hash(canonical_json(x)) for x in leaves]
    assert run(leaves[:3] + leaves[4:], cps, recorded=recorded) == (ProblemKind.MISSING, 3, None)
    swapped = [*leaves[:3], leaves[6], leaves[4], leaves[5], leaves[3], *leaves[7:]]
    assert run(swapped, cps, recorded=recorded) == (ProblemKind.REORDERED, 3, None)


def test_inserted_beyond_the_record() -> None:
    leaves, cps = log()
    recorded = [leaf_hash(canonical_json(x)) for x in leaves]
    assert run([*leaves, {"seq": 12, "action": "x"}], cps, recorded=recorded) == (ProblemKind.INSERTED, 12, None)


@pytest.mark.parametrize("which", ["other key", "older note"])
def test_forged_or_rolled_back_checkpoint(which: str) -> None:
    leaves, cps = log()
    other = Ed25519Signer(Ed25519PrivateKey.generate(), ORIGIN)
    if which == "other key":
        cps[1] = sign(12, cps[1].root, other)
        assert run(leaves, cps) == (ProblemKind.CHECKPOINT_FORGED, None, 12)
    else:
        cps[1] = StoredCheckpoint(12, cps[1].root, cps[0].note)
        assert run(leaves, cps) == (ProblemKind.ROLLED_BACK, None, 12)


def test_removed_checkpoint_is_a_rollback() -> None:
    leaves, cps = log()
    assert run(leaves, cps[1:]) == (ProblemKind.ROLLED_BACK, 8, 8)


def test_checkpoint_beyond_the_log_means_missing_leaves() -> None:
    leaves, cps = log()
    assert run(leaves[:10], cps, head=10, recorded=[leaf_hash(canonical_json(x)) for x in leaves[:10]]) == (
        ProblemKind.MISSING, 10, 12)
