"""A subtree store that keeps only every k-th level (``merkle.stored_keys`` /
``assemble_from_stored``, decision 0032) answers every key exactly as the full store does,
and proofs built from it verify."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawtrail.domain.ledger.merkle import (
    MemorySubtreeSource,
    NodeKey,
    assemble_from_stored,
    assemble_inclusion_proof,
    consistency_proof_keys,
    inclusion_proof_keys,
    stored_keys,
    verify_inclusion,
)


def full_store(n: int) -> tuple[MemorySubtreeSource, dict[NodeKey, bytes]]:
    source = MemorySubtreeSource(hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n))
    keys = [(level, index) for level in range(n.bit_length()) for index in range(n >> level)]
    return source, source.get_many(keys)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300), st.integers(1, 5), st.data())
def test_every_subtree_from_the_stored_levels(n: int, step: int, data: st.DataObject) -> None:
    _, every = full_store(n)
    sparse = {key: value for key, value in every.items() if key[0] % step == 0}
    keys = data.draw(st.lists(st.sampled_from(sorted(every)), max_size=20))
    needed = stored_keys(keys, step)
    assert set(needed) <= sparse.keys()
    assert all(level % step == 0 for level, _ in needed)
    assert assemble_from_stored(keys, {k: sparse[k] for k in needed}, step) == {k: every[k] for k in keys}


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 300), st.data())
def test_proofs_from_a_sparse_store_verify(n: int, data: st.DataObject) -> None:
    source, every = full_store(n)
    sparse = {key: value for key, value in every.items() if key[0] % 4 == 0}
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    keys = inclusion_proof_keys(index, size)
    nodes = assemble_from_stored(keys, sparse, 4)
    assert verify_inclusion(every[(0, index)], index, size, assemble_inclusion_proof(index, size, nodes),
                            source.root(size))
    first = data.draw(st.integers(0, size))
    assert assemble_from_stored(consistency_proof_keys(first, size), sparse, 4).keys() \
        == set(consistency_proof_keys(first, size))


def test_reads_stay_logarithmic() -> None:
    """At a million leaves an inclusion proof reads at most 8 stored rows per hash it needs."""
    size = 1_000_000
    for index in (0, 1, 12345, 524287, 524288, 999_999):
        keys = inclusion_proof_keys(index, size)
        assert len(stored_keys(keys, 4)) <= 8 * len(keys) <= 8 * 2 * 20


def test_a_missing_row_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        assemble_from_stored([(2, 0)], {(0, 0): b"\x00" * 32}, 4)
    with pytest.raises(ValueError, match="step"):
        stored_keys([(1, 0)], 0)
