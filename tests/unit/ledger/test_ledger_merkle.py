"""Merkle tree: known-answer values, stored-subtree bookkeeping, batching, streaming
roots, verification edge cases and the JSON proof forms.

Known answers come from github.com/transparency-dev/merkle (testonly/constants.go and
proof/verify_test.go), which are the RFC 6962 example tree of 8 leaves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lawtrail.domain.ledger.merkle import (
    EMPTY_ROOT,
    ConsistencyProof,
    InclusionProof,
    MemorySubtreeSource,
    NodeKey,
    StreamingRoot,
    append_dependency_keys,
    assemble_consistency_proof,
    assemble_inclusion_proof,
    assemble_root,
    consistency_proof,
    consistency_proof_keys,
    inclusion_proof,
    inclusion_proof_keys,
    leaf_hash,
    new_nodes_after_append,
    node_hash,
    root,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    root_keys,
    roots_at,
    split,
    subtree_hash,
    subtree_keys,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

LEAF_INPUTS = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")] + [
    h("606162636465666768696a6b6c6d6e6f")
]

NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# (leaf index, tree size, path) — proof/verify_test.go numbers leaves from 1.
INCLUSION_VECTORS = [
    (0, 8, ["96a296d224f285c6", "5f083f0a1a33ca07", "6b47aaf29ee3c2af"]),
    (5, 8, ["bc1a0643b12e4d2d", "ca854ea128ed050b", "d37ee418976dd957"]),
    (2, 3, ["fac54203e7cc696c"]),
    (1, 5, ["6e340b9cffb37a98", "5f083f0a1a33ca07", "bc1a0643b12e4d2d"]),
    (0, 1, []),
]
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c6", "5f083f0a1a33ca07", "6b47aaf29ee3c2af"]),
    (6, 8, ["0ebc5d3437fbe2db", "ca854ea128ed050b", "d37ee418976dd957"]),
    (2, 5, ["5f083f0a1a33ca07", "bc1a0643b12e4d2d"]),
    (6, 7, ["0ebc5d3437fbe2db", "b08693ec2e721597", "d37ee418976dd957"]),
]


def example_source() -> MemorySubtreeSource:
    return MemorySubtreeSource(leaf_hash(data) for data in LEAF_INPUTS)


def prefixes(hashes: list[bytes]) -> list[str]:
    return [value.hex()[:16] for value in hashes]


# ------------------------------------------------------------------ known answers


def test_hash_functions() -> None:
    assert EMPTY_ROOT.hex() == ROOTS[0]
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert leaf_hash(b"").hex() == NODE_HASHES[0][0]
    left, right = h(NODE_HASHES[0][0]), h(NODE_HASHES[0][1])
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right).hex() == NODE_HASHES[1][0]


def test_leaf_hashes_of_the_example_tree() -> None:
    assert [leaf_hash(data).hex() for data in LEAF_INPUTS] == NODE_HASHES[0]


@pytest.mark.parametrize("size", range(9))
def test_roots_of_the_example_tree(size: int) -> None:
    hashes = [leaf_hash(data) for data in LEAF_INPUTS[:size]]
    assert root_from_leaf_hashes(hashes).hex() == ROOTS[size]
    assert example_source().root(size).hex() == ROOTS[size]


def test_stored_subtrees_of_the_example_tree() -> None:
    source = example_source()
    for level, row in enumerate(NODE_HASHES):
        assert [source.get(level, index).hex() for index in range(len(row))] == row
    with pytest.raises(KeyError):
        source.get(1, 4)
    with pytest.raises(KeyError):
        source.get(4, 0)
    with pytest.raises(KeyError):
        source.get(0, -1)


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_VECTORS)
def test_inclusion_vectors(index: int, size: int, expected: list[str]) -> None:
    proof = inclusion_proof(example_source(), index, size)
    assert prefixes(proof) == expected
    assert verify_inclusion(leaf_hash(LEAF_INPUTS[index]), index, size, proof, h(ROOTS[size]))


@pytest.mark.parametrize(("first", "second", "expected"), CONSISTENCY_VECTORS)
def test_consistency_vectors(first: int, second: int, expected: list[str]) -> None:
    proof = consistency_proof(example_source(), first, second)
    assert prefixes(proof) == expected
    assert verify_consistency(first, second, proof, h(ROOTS[first]), h(ROOTS[second]))


# ----------------------------------------------------------------- ranges and keys


def test_split() -> None:
    assert [split(n) for n in range(2, 11)] == [1, 2, 2, 4, 4, 4, 4, 8, 8]
    assert split(2**40 + 1) == 2**40
    for bad in (0, 1, -3):
        with pytest.raises(ValueError):
            split(bad)


def test_subtree_keys() -> None:
    assert subtree_keys(0, 1) == [(0, 0)]
    assert subtree_keys(0, 8) == [(3, 0)]
    assert subtree_keys(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert subtree_keys(8, 13) == [(2, 2), (0, 12)]
    assert subtree_keys(2**40, 2**40 + 3) == [(1, 2**39), (0, 2**40 + 2)]
    for start, end in [(1, 3), (2, 6), (4, 4), (5, 4), (-1, 2)]:
        with pytest.raises(ValueError):
            subtree_keys(start, end)


def test_subtree_hash_of_ranges() -> None:
    source = example_source()
    assert subtree_hash(source, 4, 7) == node_hash(h(NODE_HASHES[1][2]), h(NODE_HASHES[0][6]))
    assert subtree_hash(source, 6, 8).hex() == NODE_HASHES[1][3]


def test_root_keys_and_assemble_root() -> None:
    assert root_keys(0) == []
    assert root_keys(6) == [(2, 0), (1, 2)]
    assert assemble_root(0, {}) == EMPTY_ROOT
    nodes = {(2, 0): h(NODE_HASHES[2][0]), (1, 2): h(NODE_HASHES[1][2])}
    assert assemble_root(6, nodes).hex() == ROOTS[6]
    with pytest.raises(ValueError):
        root_keys(-1)
    with pytest.raises(ValueError, match="32-byte"):
        assemble_root(6, {**nodes, (1, 2): b"short"})


class SyntheticSource:
    """Any key of a notional huge log, with made-up hashes; records every fetch."""

    def __init__(self) -> None:
        self.batches: list[list[NodeKey]] = []

    def get(self, level: int, index: int) -> bytes:
        raise AssertionError("proofs must fetch in one batch")

    def get_many(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        batch = list(keys)
        self.batches.append(batch)
        return {key: hashlib.sha256(repr(key).encode()).digest() for key in batch}


@given(st.integers(1, 2**48), st.data())
def test_proofs_on_a_huge_log_use_one_batch_of_logarithmic_size(size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    first = data.draw(st.integers(0, size), label="first size")
    bound = 2 * size.bit_length() + 2
    source = SyntheticSource()
    assert len(inclusion_proof(source, index, size)) <= size.bit_length()
    assert len(consistency_proof(source, first, size)) <= size.bit_length() + 1
    root(source, size)
    assert [len(batch) <= bound for batch in source.batches] == [True, True, True]
    assert len(set(inclusion_proof_keys(index, size))) == len(inclusion_proof_keys(index, size))


def test_two_step_api_matches_the_one_step_api() -> None:
    source = MemorySubtreeSource(leaf_hash(b"%d" % i) for i in range(100))
    for index, size in [(0, 1), (37, 100), (99, 100), (64, 65)]:
        nodes = source.get_many(inclusion_proof_keys(index, size))
        assert assemble_inclusion_proof(index, size, nodes) == inclusion_proof(source, index, size)
    for first, second in [(0, 5), (5, 5), (37, 100), (64, 100), (1, 2)]:
        nodes = source.get_many(consistency_proof_keys(first, second))
        assert assemble_consistency_proof(first, second, nodes) == consistency_proof(source, first, second)
    with pytest.raises(KeyError):
        assemble_inclusion_proof(37, 100, {})


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (-1, 3)])
def test_inclusion_proof_of_a_leaf_outside_the_tree_raises(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        inclusion_proof_keys(index, size)


@pytest.mark.parametrize(("first", "second"), [(3, 2), (-1, 2), (0, -1)])
def test_consistency_proof_backwards_raises(first: int, second: int) -> None:
    with pytest.raises(ValueError):
        consistency_proof_keys(first, second)


# ------------------------------------------------------------ incremental upkeep


def test_new_nodes_after_append() -> None:
    hashes = [leaf_hash(data) for data in LEAF_INPUTS]
    stored: dict[NodeKey, bytes] = {}
    rows = 0
    for index, value in enumerate(hashes):
        stored[(0, index)] = value
        assert [key for key in append_dependency_keys(index)] == [
            (level, (index >> level) - 1) for level in range((~index & (index + 1)).bit_length() - 1)
        ]
        created = new_nodes_after_append(index, value, lambda level, i: stored[(level, i)])
        rows += len(created)
        for level, position, node in created:
            stored[(level, position)] = node
        assert rows == index + 1 - (index + 1).bit_count()
    for level, row in enumerate(NODE_HASHES):
        assert [stored[(level, i)].hex() for i in range(len(row))] == row
    assert new_nodes_after_append(6, hashes[6], lambda level, i: b"unused") == []


def test_memory_source_rejects_bad_leaf_hashes() -> None:
    source = MemorySubtreeSource()
    with pytest.raises(ValueError):
        source.append(b"short")
    with pytest.raises(TypeError):
        source.append("00" * 32)  # type: ignore[arg-type]
    assert source.size == 0
    assert source.append(EMPTY_ROOT) == 0
    with pytest.raises(ValueError):
        source.root(2)


# ---------------------------------------------------------------------- streaming


def naive_root(hashes: list[bytes]) -> bytes:
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = split(len(hashes))
    return node_hash(naive_root(hashes[:k]), naive_root(hashes[k:]))


def test_streaming_root_at_every_size() -> None:
    hashes = [leaf_hash(b"%d" % i) for i in range(300)]
    acc = StreamingRoot()
    source = MemorySubtreeSource()
    assert acc.root() == EMPTY_ROOT
    for size, value in enumerate(hashes, start=1):
        acc.append(value)
        source.append(value)
        assert acc.size == size
        assert acc.root() == naive_root(hashes[:size]) == source.root()
        assert acc.compact_range() == tuple(source.get(*key) for key in root_keys(size))


def test_streaming_root_resumes_from_a_compact_range() -> None:
    hashes = [leaf_hash(b"%d" % i) for i in range(77)]
    acc = StreamingRoot()
    acc.extend(hashes[:45])
    resumed = StreamingRoot.from_compact_range(45, acc.compact_range())
    resumed.extend(hashes[45:])
    assert resumed.root() == root_from_leaf_hashes(hashes)
    with pytest.raises(ValueError):
        StreamingRoot.from_compact_range(45, acc.compact_range()[1:])
    with pytest.raises(ValueError):
        StreamingRoot.from_compact_range(-1, ())


def test_streaming_root_rejects_bad_input_and_keeps_its_state() -> None:
    acc = StreamingRoot()
    acc.extend([EMPTY_ROOT, EMPTY_ROOT, EMPTY_ROOT])
    before = acc.root()
    with pytest.raises(ValueError):
        acc.extend([EMPTY_ROOT, b"\x00" * 31])
    with pytest.raises(TypeError):
        acc.append(bytearray(32))  # type: ignore[arg-type]
    assert acc.size == 4
    assert acc.root() == root_from_leaf_hashes([EMPTY_ROOT] * 4) != before


def test_roots_at_selected_sizes() -> None:
    hashes = [leaf_hash(b"%d" % i) for i in range(50)]
    got = list(roots_at(iter(hashes), [0, 1, 7, 8, 50]))
    assert got == [(n, root_from_leaf_hashes(hashes[:n])) for n in (0, 1, 7, 8, 50)]
    with pytest.raises(ValueError, match="ended at size 50"):
        list(roots_at(hashes, [10, 51]))
    with pytest.raises(ValueError, match="increasing"):
        list(roots_at(hashes, [10, 10]))
    stream = iter(hashes)
    assert [n for n, _ in roots_at(stream, [3])] == [3]
    assert len(list(stream)) == 47  # leaves past the last wanted size stay unread


# ------------------------------------------------------------ verification edges


def test_verification_of_degenerate_sizes() -> None:
    leaf = leaf_hash(b"data")
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], EMPTY_ROOT)
    for index, size in [(0, 0), (1, 0), (2, 1), (-1, 1)]:
        assert not verify_inclusion(leaf, index, size, [], leaf)
    assert root_from_inclusion_proof(leaf, 0, 0, []) is None
    assert verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    assert verify_consistency(0, 5, [], EMPTY_ROOT, leaf)
    assert not verify_consistency(0, 5, [], leaf, leaf)  # the empty tree has one root
    assert not verify_consistency(0, 5, [leaf], EMPTY_ROOT, leaf)
    assert verify_consistency(3, 3, [], leaf, leaf)
    assert not verify_consistency(3, 3, [], leaf, EMPTY_ROOT)
    assert not verify_consistency(3, 3, [leaf], leaf, leaf)
    assert not verify_consistency(3, 2, [leaf], leaf, leaf)
    assert not verify_consistency(1, 2, [], leaf, leaf)
    assert not verify_consistency(-1, 2, [leaf], leaf, leaf)


untyped_inclusion: Any = verify_inclusion
untyped_consistency: Any = verify_consistency


@pytest.mark.parametrize(
    "call",
    [
        lambda: untyped_inclusion("00" * 32, 0, 1, [], EMPTY_ROOT),
        lambda: untyped_inclusion(EMPTY_ROOT, 0.0, 1, [], EMPTY_ROOT),
        lambda: untyped_inclusion(EMPTY_ROOT, 0, True, [], EMPTY_ROOT),
        lambda: untyped_inclusion(EMPTY_ROOT, 0, 1, [], None),
        lambda: untyped_inclusion(EMPTY_ROOT, 0, 2, [bytearray(32)], EMPTY_ROOT),
        lambda: untyped_inclusion(EMPTY_ROOT, 0, 2, EMPTY_ROOT, EMPTY_ROOT),
        lambda: untyped_consistency(1, 2, "ab", EMPTY_ROOT, EMPTY_ROOT),
        lambda: untyped_consistency(1, 2, [EMPTY_ROOT], EMPTY_ROOT.hex(), EMPTY_ROOT),
        lambda: untyped_consistency(1, "2", [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT),
    ],
)
def test_wrong_types_raise_type_error(call: Any) -> None:
    with pytest.raises(TypeError):
        call()


# ----------------------------------------------------------------------- JSON forms


def test_inclusion_proof_json_round_trip() -> None:
    source = example_source()
    proof = InclusionProof(5, 8, leaf_hash(LEAF_INPUTS[5]), tuple(inclusion_proof(source, 5, 8)))
    data = proof.to_json()
    assert data == {
        "leaf_index": 5,
        "tree_size": 8,
        "leaf_hash": NODE_HASHES[0][5],
        "hashes": [NODE_HASHES[0][4], NODE_HASHES[1][3], NODE_HASHES[2][0]],
    }
    assert InclusionProof.from_json(json.loads(json.dumps(data))) == proof
    assert proof.verify(h(ROOTS[8]))
    assert not proof.verify(h(ROOTS[7]))


def test_consistency_proof_json_round_trip() -> None:
    proof = ConsistencyProof(6, 8, tuple(consistency_proof(example_source(), 6, 8)))
    data = proof.to_json()
    assert data == {
        "first_size": 6,
        "second_size": 8,
        "hashes": [NODE_HASHES[1][2], NODE_HASHES[1][3], NODE_HASHES[2][0]],
    }
    assert ConsistencyProof.from_json(json.loads(json.dumps(data))) == proof
    assert proof.verify(h(ROOTS[6]), h(ROOTS[8]))
    assert not proof.verify(h(ROOTS[8]), h(ROOTS[6]))
    assert ConsistencyProof.from_json({"first_size": 0, "second_size": 0, "hashes": []}).hashes == ()


GOOD_INCLUSION = {
    "leaf_index": 2,
    "tree_size": 3,
    "leaf_hash": NODE_HASHES[0][2],
    "hashes": [NODE_HASHES[1][0]],
}


@pytest.mark.parametrize(
    "change",
    [
        {"leaf_index": True},
        {"leaf_index": 2.0},
        {"leaf_index": "2"},
        {"leaf_index": -1},
        {"leaf_index": 3},
        {"tree_size": 2**64},
        {"tree_size": None},
        {"tree_size": 4},  # path of size 4 has two hashes
        {"leaf_hash": NODE_HASHES[0][2].upper()},
        {"leaf_hash": NODE_HASHES[0][2][:62]},
        {"leaf_hash": " " + NODE_HASHES[0][2][1:]},
        {"leaf_hash": 5},
        {"hashes": NODE_HASHES[1][0]},
        {"hashes": [NODE_HASHES[1][0], NODE_HASHES[1][0]]},
        {"hashes": []},
        {"hashes": [None]},
        {"hashes": [NODE_HASHES[1][0] + "00"]},
        {"extra": 1},
    ],
)
def test_inclusion_proof_json_is_parsed_strictly(change: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        InclusionProof.from_json({**GOOD_INCLUSION, **change})


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "{}",
        {"leaf_index": 2, "tree_size": 3, "hashes": []},
        {"first_size": 1, "second_size": 2, "hashes": [NODE_HASHES[0][1]]},
    ],
)
def test_inclusion_proof_json_must_be_the_right_object(data: object) -> None:
    with pytest.raises(ValueError):
        InclusionProof.from_json(data)


@pytest.mark.parametrize(
    "data",
    [
        {"first_size": 3, "second_size": 2, "hashes": []},
        {"first_size": 2, "second_size": 5, "hashes": [NODE_HASHES[1][1]]},
        {"first_size": 0, "second_size": 5, "hashes": [NODE_HASHES[1][1]]},
        {"first_size": False, "second_size": 0, "hashes": []},
        {"first_size": 1, "second_size": 2, "hashes": ["zz" * 32]},
        {"first_size": 1, "second_size": 2},
        {"first_size": 1, "second_size": 2, "hashes": [NODE_HASHES[0][1]], "leaf_hash": NODE_HASHES[0][1]},
        ["first_size", "second_size", "hashes"],
    ],
)
def test_consistency_proof_json_is_parsed_strictly(data: object) -> None:
    with pytest.raises(ValueError):
        ConsistencyProof.from_json(data)


def test_proof_dataclasses_check_their_fields() -> None:
    with pytest.raises(TypeError):
        InclusionProof(0, 1, EMPTY_ROOT, [])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        InclusionProof(0, 1, EMPTY_ROOT[:31], ())
    with pytest.raises(TypeError):
        ConsistencyProof(1, 2, (EMPTY_ROOT.hex(),))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ConsistencyProof(1, 2, (EMPTY_ROOT, EMPTY_ROOT))
