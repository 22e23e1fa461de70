"""Proofs from stored subtrees against a literal transcription of RFC 9162 (MTH, PATH,
PROOF/SUBPROOF), and rejection of every mutation of a valid proof."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawtrail.domain.ledger.merkle import (
    EMPTY_ROOT,
    MemorySubtreeSource,
    consistency_proof,
    consistency_proof_ranges,
    inclusion_proof,
    inclusion_proof_ranges,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

# ------------------------------------------------------- reference: RFC 9162 verbatim


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n, found by counting up."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: tuple[bytes, ...]) -> bytes:
    """MTH(D[n]) of leaf *inputs* (RFC 9162 2.1.1)."""
    if len(d) == 0:
        return _sha256(b"")
    if len(d) == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(len(d))
    return _sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    """PATH(m, D[n]) (RFC 9162 2.1.3.1)."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: tuple[bytes, ...], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) (RFC 9162 2.1.4.1)."""
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 9162 2.1.4.1); empty for m == 0 (not defined by the RFC)."""
    return ref_subproof(m, d, True) if m > 0 else []


# ----------------------------------------------------------------------- fixed tree

LEAVES = tuple(b"leaf %d" % i for i in range(320))


@cache
def fixed_source() -> MemorySubtreeSource:
    return MemorySubtreeSource(leaf_hash(data) for data in LEAVES)


@cache
def fixed_root(size: int) -> bytes:
    return ref_mth(LEAVES[:size])


def test_every_inclusion_proof_up_to_64_matches_the_reference() -> None:
    source = fixed_source()
    for n in range(1, 65):
        for m in range(n):
            proof = inclusion_proof(source, m, n)
            assert proof == ref_path(m, LEAVES[:n]), (m, n)
            assert len(proof) == len(inclusion_proof_ranges(m, n))
            assert verify_inclusion(leaf_hash(LEAVES[m]), m, n, proof, fixed_root(n))


def test_every_consistency_proof_up_to_64_matches_the_reference() -> None:
    source = fixed_source()
    for n in range(0, 65):
        for m in range(n + 1):
            proof = consistency_proof(source, m, n)
            assert proof == ref_proof(m, LEAVES[:n]), (m, n)
            assert len(proof) == len(consistency_proof_ranges(m, n))
            assert verify_consistency(m, n, proof, fixed_root(m), fixed_root(n)), (m, n)


# ------------------------------------------------------------- hypothesis, any data

LEAF_DATA = st.lists(st.binary(max_size=40), min_size=1, max_size=64)


@settings(max_examples=300, deadline=None)
@given(LEAF_DATA, st.data())
def test_random_trees_inclusion(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    m = data.draw(st.integers(0, n - 1), label="index")
    d = tuple(leaves)
    proof = inclusion_proof(MemorySubtreeSource(leaf_hash(x) for x in d), m, n)
    assert proof == ref_path(m, d)
    assert verify_inclusion(leaf_hash(d[m]), m, n, proof, ref_mth(d))


@settings(max_examples=300, deadline=None)
@given(LEAF_DATA, st.data())
def test_random_trees_consistency(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    m = data.draw(st.integers(0, n), label="first size")
    d = tuple(leaves)
    proof = consistency_proof(MemorySubtreeSource(leaf_hash(x) for x in d), m, n)
    assert proof == ref_proof(m, d)
    assert verify_consistency(m, n, proof, ref_mth(d[:m]), ref_mth(d))


# ------------------------------------------------------------------------ mutations

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def flip(value: bytes, bit: int) -> bytes:
    """``value`` with bit ``bit`` (0 = lowest bit of the first byte) inverted."""
    data = bytearray(value)
    data[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return bytes(data)


def list_mutations(proof: list[bytes], extra: list[bytes]) -> Iterator[tuple[str, list[bytes]]]:
    """Every proof list obtained by flipping a bit, adding, removing or swapping hashes."""
    for i, value in enumerate(proof):
        for bit in (0, 7, 100, 255):
            yield f"bit {bit} of hash {i}", [*proof[:i], flip(value, bit), *proof[i + 1 :]]
    for i in range(len(proof) + 1):
        for value in [*extra, SOME_HASH, b"", *proof]:
            yield f"hash added at {i}", [*proof[:i], value, *proof[i:]]
    for i in range(len(proof)):
        yield f"hash {i} removed", [*proof[:i], *proof[i + 1 :]]
    for i in range(len(proof)):
        for j in range(i + 1, len(proof)):
            if proof[i] != proof[j]:
                swapped = list(proof)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                yield f"hashes {i} and {j} swapped", swapped


def assert_inclusion_mutations_rejected(leaf: bytes, m: int, n: int, proof: list[bytes], root: bytes) -> None:
    """No mutation of a valid (leaf, m, n, proof, root) verifies."""
    wrong: list[str] = []

    def check(label: str, accepted: bool) -> None:
        if accepted:
            wrong.append(label)

    for other in (m - 1, m + 1, m ^ 2, m ^ 1, n, n + 1, -1):
        if other != m:
            check(f"index {other}", verify_inclusion(leaf, other, n, proof, root))
    for other in {n - 1, n + 1, n * 2, n // 2, 2 * n + 1, 0}:
        if other != n:
            # The checkpoint gives size and root together: the other size's root.
            check(f"size {other}", verify_inclusion(leaf, m, other, proof, fixed_root(other)))
            if other > m and len(inclusion_proof_ranges(m, other)) != len(proof):
                check(f"size {other}, same root", verify_inclusion(leaf, m, other, proof, root))
    for label, mutated in list_mutations(proof, [leaf, root]):
        check(label, verify_inclusion(leaf, m, n, mutated, root))
    for bit in (0, 255):
        check("leaf bit", verify_inclusion(flip(leaf, bit), m, n, proof, root))
        check("root bit", verify_inclusion(leaf, m, n, proof, flip(root, bit)))
    for other_root in {EMPTY_ROOT, SOME_HASH, leaf, root[:31], b"", fixed_root(n + 1)} - {root}:
        check("wrong root", verify_inclusion(leaf, m, n, proof, other_root))
    check("short leaf", verify_inclusion(leaf[:31], m, n, proof, root))
    assert not wrong, f"index {m}, size {n}: accepted {wrong}"


def assert_consistency_mutations_rejected(m: int, n: int, proof: list[bytes], r1: bytes, r2: bytes) -> None:
    """No mutation of a valid (m, n, proof, r1, r2) with 0 < m < n verifies."""
    wrong: list[str] = []

    def check(label: str, accepted: bool) -> None:
        if accepted:
            wrong.append(label)

    for other in (m - 1, m + 1, m ^ 2, 0, n, n + 1, -1):
        if other != m:
            check(f"first size {other}", verify_consistency(other, n, proof, r1, r2))
    for other in {n - 1, n + 1, n * 2, n // 2, m, 0}:
        if other != n:
            check(f"second size {other}", verify_consistency(m, other, proof, r1, fixed_root(other)))
            if other > m and len(consistency_proof_ranges(m, other)) != len(proof):
                check(f"second size {other}, same root", verify_consistency(m, other, proof, r1, r2))
    for label, mutated in list_mutations(proof, [r1, r2]):
        check(label, verify_consistency(m, n, mutated, r1, r2))
    check("empty proof", verify_consistency(m, n, [], r1, r2))
    check("swapped roots", verify_consistency(m, n, proof, r2, r1))
    for bit in (0, 255):
        check("first root bit", verify_consistency(m, n, proof, flip(r1, bit), r2))
        check("second root bit", verify_consistency(m, n, proof, r1, flip(r2, bit)))
    for other_root in (EMPTY_ROOT, SOME_HASH, b"", r1[:31]):
        check("wrong first root", verify_consistency(m, n, proof, other_root, r2))
        check("wrong second root", verify_consistency(m, n, proof, r1, other_root))
    assert not wrong, f"sizes {m} -> {n}: accepted {wrong}"


@pytest.mark.parametrize("n", range(1, 34))
def test_inclusion_mutations_are_rejected(n: int) -> None:
    source = fixed_source()
    for m in range(n):
        proof = inclusion_proof(source, m, n)
        assert_inclusion_mutations_rejected(leaf_hash(LEAVES[m]), m, n, proof, fixed_root(n))


@pytest.mark.parametrize("n", range(2, 34))
def test_consistency_mutations_are_rejected(n: int) -> None:
    source = fixed_source()
    for m in range(1, n):
        proof = consistency_proof(source, m, n)
        assert_consistency_mutations_rejected(m, n, proof, fixed_root(m), fixed_root(n))


@settings(max_examples=60, deadline=None)
@given(st.integers(34, 150), st.data())
def test_mutations_are_rejected_in_larger_trees(n: int, data: st.DataObject) -> None:
    source = fixed_source()
    m = data.draw(st.integers(0, n - 1), label="index")
    proof = inclusion_proof(source, m, n)
    assert_inclusion_mutations_rejected(leaf_hash(LEAVES[m]), m, n, proof, fixed_root(n))
    first = data.draw(st.integers(1, n - 1), label="first size")
    proof = consistency_proof(source, first, n)
    assert_consistency_mutations_rejected(first, n, proof, fixed_root(first), fixed_root(n))


def test_same_shape_size_change_is_not_detectable_without_the_checkpoint() -> None:
    """Documented limit of RFC 9162: the root does not encode the size, so a proof for
    size 5 also 'verifies' against size 6 *with the size-5 root* (identical shape).
    Verifiers must take size and root from the same signed checkpoint."""
    proof = inclusion_proof(fixed_source(), 0, 5)
    leaf = leaf_hash(LEAVES[0])
    assert verify_inclusion(leaf, 0, 6, proof, fixed_root(5))
    assert not verify_inclusion(leaf, 0, 6, proof, fixed_root(6))
