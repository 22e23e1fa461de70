"""The fast path of the audit: chunk summaries combine into the same roots as the leaf stream
(``StreamingRoot.extend_compact``), and ``certify`` passes exactly the logs ``audit`` passes,
answering None (walk sequentially) for anything else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.ledger.test_ledger_audit import SIGNER, log, sign

from lawtrail.adapters.signer import note_checker
from lawtrail.domain.ledger.audit import AuditInput, ChunkSummary, LeafRow, StoredCheckpoint, audit, certify
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.merkle import StreamingRoot, leaf_hash, root_from_leaf_hashes


def hashes(n: int) -> list[bytes]:
    return [leaf_hash(str(i).encode()) for i in range(n)]


def chunks_of(leaves: list[dict[str, Any]], bits: int, sizes: list[int]) -> list[ChunkSummary]:
    """Summaries as a clean scan of each chunk of 2**bits leaves would give them."""
    out = []
    for start in range(0, max(len(leaves), 1), 1 << bits):
        part = leaves[start:start + (1 << bits)]
        acc, stacks, announced = StreamingRoot(), {}, []
        for i, leaf in enumerate(part, start=start):
            acc.append(leaf_hash(canonical_json(leaf)))
            if i + 1 in sizes:
                stacks[i + 1] = acc.compact_range()
            if leaf["action"] == "ledger:checkpoint:create":
                announced.append((i, {"action": leaf["action"], "after": leaf["after"]}))
        out.append(ChunkSummary(start, len(part), True, acc.compact_range(), stacks, tuple(announced)))
    return out


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=300), st.integers(min_value=0, max_value=5))
def test_chunk_subtrees_give_the_roots_of_the_leaf_stream(n: int, bits: int) -> None:
    leaves, acc = hashes(n), StreamingRoot()
    for start in range(0, n, 1 << bits):
        part = StreamingRoot()
        part.extend(leaves[start:start + (1 << bits)])
        acc.extend_compact(part.size, part.compact_range())
    assert acc.size == n and acc.root() == root_from_leaf_hashes(leaves)


def test_a_misaligned_subtree_is_refused() -> None:
    acc = StreamingRoot()
    acc.extend(hashes(3))
    with pytest.raises(ValueError, match="cannot start"):
        acc.extend_compact(2, [leaf_hash(b"x")])
    with pytest.raises(ValueError, match="compact-range"):
        acc.extend_compact(3, [leaf_hash(b"x")])


def given_for(leaves: list[dict[str, Any]], cps: list[StoredCheckpoint], head: int | None = None) -> AuditInput:
    return AuditInput(checkpoints=cps, head_size=len(leaves) if head is None else head,
                      check_note=note_checker(SIGNER.vkey()), recorded_size=len(leaves))


def rows(leaves: list[dict[str, Any]]) -> list[LeafRow]:
    return [LeafRow(x, leaf_hash(canonical_json(x)), leaf_hash(canonical_json(x))) for x in leaves]


@pytest.mark.parametrize("bits", [0, 1, 2, 3, 4, 10])
def test_certify_passes_a_sound_log_as_audit_does(bits: int) -> None:
    leaves, cps = log()
    result = certify(chunks_of(leaves, bits, [8, 12]), given_for(leaves, cps))
    assert result is not None and result == audit(rows(leaves), given_for(leaves, cps))
    assert (result.size, result.checkpoints, result.latest_checkpoint) == (12, 2, 12)


def test_certify_passes_the_empty_log() -> None:
    empty = sign(0, root_from_leaf_hashes([]))
    assert certify([ChunkSummary(0, 0, True)], given_for([], [empty])) == audit([], given_for([], [empty]))


def _replace(chunks: list[ChunkSummary], i: int, **changes: Any) -> list[ChunkSummary]:
    chunk = chunks[i]
    fields = {**vars(chunk), **changes}
    return [*chunks[:i], ChunkSummary(**fields), *chunks[i + 1:]]


def test_certify_leaves_everything_else_to_the_sequential_walk() -> None:
    leaves, cps = log()
    chunks = chunks_of(leaves, 2, [8, 12])
    given_ = given_for(leaves, cps)
    assert certify(chunks, given_) is not None
    assert certify(_replace(chunks, 1, clean=False), given_) is None          # a chunk found a problem
    assert certify([chunks[0], *chunks[2:]], given_) is None                  # a chunk is missing
    assert certify(_replace(chunks, 1, stacks={}), given_) is None            # a checkpoint's stack is missing
    assert certify(_replace(chunks, 2, announcements=((8, {"action": "ledger:checkpoint:create",
                                                           "after": {"size": 8, "root": "00"}}),)), given_) is None
    assert certify(chunks, given_for(leaves, cps, head=11)) is None            # rows beyond the log size
    assert certify(chunks, given_for(leaves, cps, head=13)) is None            # a row is missing at the end
    forged = [cps[0], StoredCheckpoint(12, cps[1].root, cps[0].note)]
    assert certify(chunks, given_for(leaves, forged)) is None                  # a note that does not match
    assert certify(chunks[:2], given_for(leaves[:8], cps)) is None             # a checkpoint beyond the log
    wrong = _replace(chunks, 0, subtrees=(leaf_hash(b"x"),))
    assert certify(wrong, given_) is None                                      # the roots do not match
