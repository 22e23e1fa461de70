"""Merkle tree math of an append-only log, as defined by RFC 9162 section 2.1.

Notation follows the RFC: ``D[n]`` is the list of the first ``n`` leaves, ``MTH`` the
Merkle Tree Hash, ``PATH`` the inclusion (audit) path and ``PROOF``/``SUBPROOF`` the
consistency proof.  All hashes are SHA-256 and 32 bytes long.

Storage model.  A *node key* ``(level, index)`` names the perfect, aligned subtree over
leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 is a single leaf hash.  A
log that stores every such subtree once it is complete (about one extra row per leaf, see
``new_nodes_after_append``) can answer any root or proof with O(log n) look-ups, because
every range the RFC algorithms hash splits into at most ``log2(n) + 1`` aligned perfect
subtrees.  Each proof is computed in two steps so that a database needs one round trip:

1. ``inclusion_proof_keys`` / ``consistency_proof_keys`` / ``root_keys`` list the keys;
2. ``assemble_inclusion_proof`` / ``assemble_consistency_proof`` / ``assemble_root``
   turn the fetched ``{key: hash}`` mapping into the result.

``inclusion_proof``, ``consistency_proof`` and ``root`` do both against a
``SubtreeSource``.  Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 and never
raises on a malformed proof (only ``TypeError`` for arguments of the wrong type).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "ConsistencyProof",
    "InclusionProof",
    "MemorySubtreeSource",
    "NodeKey",
    "StreamingRoot",
    "SubtreeSource",
    "append_dependency_keys",
    "assemble_consistency_proof",
    "assemble_from_stored",
    "assemble_inclusion_proof",
    "assemble_root",
    "consistency_proof",
    "consistency_proof_keys",
    "consistency_proof_ranges",
    "inclusion_proof",
    "inclusion_proof_keys",
    "inclusion_proof_ranges",
    "leaf_hash",
    "new_nodes_after_append",
    "node_hash",
    "root",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "root_keys",
    "roots_at",
    "split",
    "stored_keys",
    "subtree_hash",
    "subtree_keys",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash in the tree."""

MAX_TREE_SIZE = 2**64 - 1
"""Largest tree size accepted in the JSON proof forms (a uint64, as in RFC 9162)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string."""

NodeKey = tuple[int, int]
"""``(level, index)``: the perfect subtree over leaves [index*2**level, (index+1)*2**level)."""

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the hash of one leaf's data."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def split(n: int) -> int:
    """Return k, the largest power of two strictly less than ``n`` (requires n >= 2)."""
    if n < 2:
        raise ValueError(f"split needs n >= 2, got {n}")
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the given leaf hashes (``EMPTY_ROOT`` for an empty sequence)."""
    acc = StreamingRoot()
    acc.extend(leaf_hashes)
    return acc.root()


# --------------------------------------------------------------------------- subtrees


class SubtreeSource(Protocol):
    """Where stored perfect-subtree hashes come from (a table, a file, memory).

    Only keys of *complete* subtrees are ever requested.  A missing key raises
    ``KeyError``.
    """

    def get(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree ``(level, index)``; level 0 is a leaf hash."""
        ...

    def get_many(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """Hashes of all ``keys`` at once (one round trip for a database)."""
        ...


def subtree_keys(start: int, end: int) -> list[NodeKey]:
    """Aligned perfect subtrees, left to right, whose right fold is MTH(D[start:end]).

    MTH splits a range of length L exactly along the binary digits of L, largest first,
    so the pieces are aligned whenever ``start`` is a multiple of the largest power of
    two <= L.  Every range used by RFC 9162 PATH and SUBPROOF satisfies this; any other
    range raises ``ValueError``, as does an empty or negative range.
    """
    if not 0 <= start < end:
        raise ValueError(f"bad leaf range [{start}, {end})")
    length = end - start
    top = length.bit_length() - 1
    if start % (1 << top):
        raise ValueError(f"range [{start}, {end}) is not aligned to stored subtrees")
    keys: list[NodeKey] = []
    position = start
    for level in range(top, -1, -1):
        if length >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def _fold(pieces: Sequence[bytes]) -> bytes:
    """Right fold of subtree hashes: node(p0, node(p1, ... node(p_{k-2}, p_{k-1})))."""
    result = pieces[-1]
    for left in reversed(pieces[:-1]):
        result = _sha256(_NODE_PREFIX + left + result).digest()
    return result


def _range_hash(start: int, end: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """MTH(D[start:end]) from already fetched node hashes; checks each is 32 bytes."""
    pieces = [nodes[key] for key in subtree_keys(start, end)]
    for piece in pieces:
        if not isinstance(piece, bytes) or len(piece) != HASH_SIZE:
            raise ValueError("subtree source returned something that is not a 32-byte hash")
    return _fold(pieces)


def _keys_of_ranges(ranges: Iterable[tuple[int, int]]) -> list[NodeKey]:
    """All node keys needed for the ranges, without duplicates, in first-use order."""
    keys: dict[NodeKey, None] = {}
    for start, end in ranges:
        keys.update(dict.fromkeys(subtree_keys(start, end)))
    return list(keys)


def subtree_hash(source: SubtreeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) with one batched fetch; see ``subtree_keys`` for valid ranges."""
    return _range_hash(start, end, source.get_many(subtree_keys(start, end)))


def root_keys(size: int) -> list[NodeKey]:
    """Node keys needed for MTH(D[size]) (none for the empty tree)."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    return subtree_keys(0, size) if size else []


def assemble_root(size: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """MTH(D[size]) from the hashes of ``root_keys(size)``."""
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    return _range_hash(0, size, nodes) if size else EMPTY_ROOT


def root(source: SubtreeSource, size: int) -> bytes:
    """MTH(D[size]) using O(log size) stored subtrees."""
    return assemble_root(size, source.get_many(root_keys(size)))


# ------------------------------------------------------------------------------ proofs


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTH form PATH(index, D[size]) (RFC 9162 2.1.3.1), leaf side first.

    Raises ``ValueError`` unless 0 <= index < size.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + split(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    ranges.reverse()
    return ranges


def consistency_proof_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTH form PROOF(first, D[second]) (RFC 9162 2.1.4.1), in order.

    The proof is empty when ``first`` is 0 or equals ``second``.  Raises ``ValueError``
    unless 0 <= first <= second.
    """
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, complete = 0, second, True
    while first != end:
        middle = start + split(end - start)
        if first <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start, complete = middle, False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def inclusion_proof_keys(index: int, size: int) -> list[NodeKey]:
    """Every node key ``assemble_inclusion_proof(index, size, ...)`` needs."""
    return _keys_of_ranges(inclusion_proof_ranges(index, size))


def consistency_proof_keys(first: int, second: int) -> list[NodeKey]:
    """Every node key ``assemble_consistency_proof(first, second, ...)`` needs."""
    return _keys_of_ranges(consistency_proof_ranges(first, second))


def assemble_inclusion_proof(index: int, size: int, nodes: Mapping[NodeKey, bytes]) -> list[bytes]:
    """PATH(index, D[size]) from the hashes of ``inclusion_proof_keys(index, size)``."""
    return [_range_hash(start, end, nodes) for start, end in inclusion_proof_ranges(index, size)]


def assemble_consistency_proof(first: int, second: int, nodes: Mapping[NodeKey, bytes]) -> list[bytes]:
    """PROOF(first, D[second]) from the hashes of ``consistency_proof_keys(first, second)``."""
    return [_range_hash(start, end, nodes) for start, end in consistency_proof_ranges(first, second)]


def inclusion_proof(source: SubtreeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) with one batched fetch of O(log size) stored subtrees."""
    return assemble_inclusion_proof(index, size, source.get_many(inclusion_proof_keys(index, size)))


def consistency_proof(source: SubtreeSource, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[second]) with one batched fetch of O(log second) stored subtrees."""
    nodes = source.get_many(consistency_proof_keys(first, second))
    return assemble_consistency_proof(first, second, nodes)


# -------------------------------------------------------------------- incremental upkeep


def append_dependency_keys(index: int) -> list[NodeKey]:
    """Stored subtrees that ``new_nodes_after_append(index, ...)`` will ask ``get`` for."""
    if index < 0:
        raise ValueError(f"negative leaf index {index}")
    keys: list[NodeKey] = []
    level = 0
    while index >> level & 1:
        keys.append((level, (index >> level) - 1))
        level += 1
    return keys


def new_nodes_after_append(
    index: int, leaf_hash: bytes, get: Callable[[int, int], bytes]
) -> list[tuple[int, int, bytes]]:
    """Perfect subtrees (level >= 1) completed by appending leaf ``index``.

    Returns ``(level, index, hash)`` bottom-up; the leaf itself (level 0) is not
    included.  ``get(level, index)`` must return already stored hashes (it is asked for
    exactly ``append_dependency_keys(index)``).  Over n appends this yields n - popcount(n)
    rows in total, i.e. fewer than one per leaf.
    """
    created: list[tuple[int, int, bytes]] = []
    current = leaf_hash
    for level, left_index in append_dependency_keys(index):
        current = node_hash(get(level, left_index), current)
        created.append((level + 1, (left_index + 1) >> 1, current))
    return created


# ------------------------------------------------------------------ sparse subtree stores


def stored_keys(keys: Iterable[NodeKey], step: int) -> list[NodeKey]:
    """The keys a store that keeps only the levels that are multiples of ``step`` must read to
    answer ``keys``: a key at level ``step·q + r`` is the subtree over its ``2**r`` aligned
    descendants at level ``step·q`` (the key itself when r = 0). Sorted, without duplicates.

    With step k a log keeps about n·(1 + 1/(2**k - 1)) rows instead of about 2n (level 0 and
    every k-th level), and a proof reads at most 2**(k-1) rows per hash it needs: still O(log n).
    """
    if step < 1:
        raise ValueError(f"step must be at least 1, got {step}")
    wanted: set[NodeKey] = set()
    for level, index in keys:
        if level < 0 or index < 0:
            raise ValueError(f"bad node key {(level, index)}")
        r = level % step
        first = index << r
        wanted.update((level - r, first + j) for j in range(1 << r))
    return sorted(wanted)


def assemble_from_stored(keys: Iterable[NodeKey], stored: Mapping[NodeKey, bytes], step: int) -> dict[NodeKey, bytes]:
    """The hashes of ``keys`` from the rows ``stored_keys(keys, step)`` (``KeyError`` when one is
    missing): each key's aligned descendants at the stored level below it, hashed pairwise up."""
    found: dict[NodeKey, bytes] = {}
    for level, index in keys:
        r = level % step
        first = index << r
        layer = [stored[(level - r, first + j)] for j in range(1 << r)]
        while len(layer) > 1:
            layer = [_sha256(_NODE_PREFIX + layer[i] + layer[i + 1]).digest() for i in range(0, len(layer), 2)]
        found[(level, index)] = layer[0]
    return found


class MemorySubtreeSource:
    """In-memory ``SubtreeSource`` holding every complete perfect subtree of a log.

    For tests and the offline verifier: memory grows by about two hashes per leaf.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        """Start a log with the given leaf hashes (each 32 bytes)."""
        self._levels: list[list[bytes]] = [[]]
        for value in leaf_hashes:
            self.append(value)

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash, store the subtrees it completes, return its index."""
        _require_hash(leaf_hash, "leaf hash")
        index = self.size
        self._levels[0].append(leaf_hash)
        for level, _position, value in new_nodes_after_append(index, leaf_hash, self.get):
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(value)
        return index

    def get(self, level: int, index: int) -> bytes:
        """Hash of the stored subtree ``(level, index)``; ``KeyError`` if not complete."""
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise KeyError((level, index))

    def get_many(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """Hashes of all ``keys``; ``KeyError`` if any is not stored."""
        return {(level, index): self.get(level, index) for level, index in keys}

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (default: all of them)."""
        wanted = self.size if size is None else size
        if wanted > self.size:
            raise ValueError(f"tree has {self.size} leaves, not {wanted}")
        return root(self, wanted)


# --------------------------------------------------------------------------- streaming


class StreamingRoot:
    """Compact-range accumulator: feed leaf hashes in order, ask for the root any time.

    Holds one hash per set bit of the current size (O(log n) memory); each append costs
    one SHA-256 on average and ``root()`` costs popcount(size) - 1 hashes.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        """Start with the empty tree."""
        self._stack: list[bytes] = []
        self._size = 0

    @classmethod
    def from_compact_range(cls, size: int, hashes: Sequence[bytes]) -> StreamingRoot:
        """Resume from ``compact_range()`` output (the roots of ``subtree_keys(0, size)``)."""
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {max(size, 0).bit_count()} compact-range hashes")
        for value in hashes:
            _require_hash(value, "compact-range hash")
        acc = cls()
        acc._stack, acc._size = list(hashes), size
        return acc

    @property
    def size(self) -> int:
        """Number of leaves fed so far."""
        return self._size

    def compact_range(self) -> tuple[bytes, ...]:
        """Hashes of the perfect subtrees ``subtree_keys(0, size)``, largest first."""
        return tuple(self._stack)

    def append(self, leaf_hash: bytes) -> None:
        """Feed the next leaf hash (32 bytes, else ``ValueError``/``TypeError``)."""
        self.extend((leaf_hash,))

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Feed leaf hashes in order; the hot loop of offline verification."""
        stack, size, sha256, prefix = self._stack, self._size, _sha256, _NODE_PREFIX
        try:
            for current in leaf_hashes:
                if type(current) is not bytes or len(current) != HASH_SIZE:
                    _require_hash(current, "leaf hash")
                bits = size
                while bits & 1:
                    current = sha256(prefix + stack.pop() + current).digest()
                    bits >>= 1
                stack.append(current)
                size += 1
        finally:
            self._size = size

    def extend_compact(self, count: int, hashes: Sequence[bytes]) -> None:
        """Feed ``count`` leaves at once as the roots of their perfect subtrees (the
        ``compact_range()`` of those leaves counted from the current size, largest first).

        The subtrees must be aligned in the whole tree: each one of 2**k leaves must start at a
        multiple of 2**k (true when the current size is a multiple of a power of two larger
        than ``count``, as for chunks of 2**k leaves at multiples of 2**k); else ``ValueError``.
        """
        if count < 0 or len(hashes) != count.bit_count():
            raise ValueError(f"{count} leaves have {max(count, 0).bit_count()} compact-range hashes")
        stack, size, sha256, prefix = self._stack, self._size, _sha256, _NODE_PREFIX
        levels = [bit for bit in range(count.bit_length() - 1, -1, -1) if count >> bit & 1]
        for level, current in zip(levels, hashes, strict=True):
            _require_hash(current, "subtree hash")
            if size & ((1 << level) - 1):
                raise ValueError(f"a subtree of {1 << level} leaves cannot start at leaf {size}")
            bits = size >> level
            while bits & 1:
                current = sha256(prefix + stack.pop() + current).digest()
                bits >>= 1
            stack.append(current)
            size += 1 << level
            self._size = size

    def root(self) -> bytes:
        """MTH of all leaves fed so far (``EMPTY_ROOT`` before the first)."""
        return _fold(self._stack) if self._stack else EMPTY_ROOT


def roots_at(leaf_hashes: Iterable[bytes], sizes: Iterable[int]) -> Iterator[tuple[int, bytes]]:
    """Stream ``leaf_hashes`` once and yield ``(size, MTH(D[size]))`` for each wanted size.

    ``sizes`` must be strictly increasing and >= 0 (else ``ValueError``).  Leaves past the
    last wanted size are not consumed.  ``ValueError`` if the stream ends too early.
    """
    leaves = iter(leaf_hashes)
    acc = StreamingRoot()
    previous = -1
    for size in sizes:
        if size <= previous:
            raise ValueError(f"sizes must be strictly increasing: {size} after {previous}")
        previous = size
        acc.extend(islice(leaves, size - acc.size))
        if acc.size != size:
            raise ValueError(f"leaf stream ended at size {acc.size}, before size {size}")
        yield size, acc.root()


# ------------------------------------------------------------------------ verification


def _require_hash(value: object, what: str) -> None:
    """``TypeError`` unless bytes, ``ValueError`` unless 32 of them."""
    if not isinstance(value, bytes):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def _require_int(value: object, what: str) -> None:
    """``TypeError`` unless ``value`` is an ``int`` (``bool`` is refused)."""
    if type(value) is not int:
        raise TypeError(f"{what} must be int, not {type(value).__name__}")


def _check_types(ints: Sequence[object], hashes: Sequence[object], proof: object) -> list[bytes]:
    """``TypeError`` for non-int sizes, non-bytes hashes or a proof that is not a list/tuple
    of bytes; returns the proof as a list."""
    for number in ints:
        _require_int(number, "tree size or index")
    for value in hashes:
        if not isinstance(value, bytes):
            raise TypeError(f"expected bytes, got {type(value).__name__}")
    if not isinstance(proof, list | tuple):
        raise TypeError(f"proof must be a list or tuple, not {type(proof).__name__}")
    for value in proof:
        if not isinstance(value, bytes):
            raise TypeError(f"proof hashes must be bytes, not {type(value).__name__}")
    return list(proof)


def _all_hash_sized(values: Iterable[bytes]) -> bool:
    return all(len(value) == HASH_SIZE for value in values)


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """Root implied by an inclusion proof (RFC 9162 2.1.3.2 steps 1-5), or ``None`` if the
    proof is malformed (wrong length, wrong hash sizes, index outside the tree)."""
    path = _check_types((index, size), (leaf_hash,), proof)
    if not 0 <= index < size or not _all_hash_sized([leaf_hash, *path]):
        return None
    fn, sn, result = index, size - 1, leaf_hash
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """True iff ``proof`` shows that ``leaf_hash`` is leaf ``index`` of the tree of ``size``
    leaves with root ``root`` (RFC 9162 2.1.3.2).  False for every malformed input;
    ``TypeError`` only for arguments of the wrong type."""
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    if not isinstance(root, bytes):
        raise TypeError(f"root must be bytes, not {type(root).__name__}")
    return computed is not None and computed == root


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes) -> bool:
    """True iff ``proof`` shows the tree (``second``, ``second_root``) extends the tree
    (``first``, ``first_root``) (RFC 9162 2.1.4.2).

    Equal sizes need an empty proof and equal roots; ``first == 0`` needs an empty proof
    and ``first_root == EMPTY_ROOT``.  False for every malformed input; ``TypeError`` only
    for arguments of the wrong type.
    """
    path = _check_types((first, second), (first_root, second_root), proof)
    if not 0 <= first <= second or not _all_hash_sized([first_root, second_root, *path]):
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path and first_root == EMPTY_ROOT
    if not path:
        return False
    return _consistency_roots(first, second, path, first_root) == (first_root, second_root)


def _consistency_roots(first: int, second: int, path: list[bytes], first_root: bytes) -> tuple[bytes, bytes] | None:
    """RFC 9162 2.1.4.2 steps 2-7 for 0 < first < second: the (first, second) roots that
    the proof implies, or ``None`` if its length does not fit the sizes."""
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first_hash = second_hash = path[0]
    for value in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            first_hash, second_hash = node_hash(value, first_hash), node_hash(value, second_hash)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second_hash = node_hash(second_hash, value)
        fn, sn = fn >> 1, sn >> 1
    return (first_hash, second_hash) if sn == 0 else None


# -------------------------------------------------------------------------- JSON forms

_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_INCLUSION_MEMBERS = frozenset({"leaf_index", "tree_size", "leaf_hash", "hashes"})
_CONSISTENCY_MEMBERS = frozenset({"first_size", "second_size", "hashes"})


def _json_size(data: Mapping[str, object], name: str) -> int:
    """A JSON integer in [0, MAX_TREE_SIZE] (bools and floats rejected)."""
    value = data[name]
    if type(value) is not int or not 0 <= value <= MAX_TREE_SIZE:
        raise ValueError(f"{name!r} must be an integer between 0 and 2**64 - 1")
    return value


def _json_hash(value: object, name: str) -> bytes:
    """A hash written as exactly 64 lowercase hex digits."""
    if not isinstance(value, str) or not _HEX_HASH.fullmatch(value):
        raise ValueError(f"{name!r} must be 64 lowercase hex digits")
    return bytes.fromhex(value)


def _json_hash_list(data: Mapping[str, object]) -> tuple[bytes, ...]:
    """The ``hashes`` member: a JSON array of hex hashes."""
    values = data["hashes"]
    if not isinstance(values, list):
        raise ValueError("'hashes' must be a list")
    return tuple(_json_hash(value, "hashes[]") for value in values)


def _json_object(data: object, members: frozenset[str]) -> Mapping[str, object]:
    """``data`` as a mapping with exactly ``members`` as keys."""
    if not isinstance(data, dict):
        raise ValueError(f"proof must be a JSON object, not {type(data).__name__}")
    if set(data) != members:
        raise ValueError(f"proof members must be exactly {sorted(members)}, got {sorted(map(str, data))}")
    return data


def _check_proof_hashes(hashes: object, expected: int) -> None:
    """``hashes`` must be a tuple of ``expected`` 32-byte values."""
    if not isinstance(hashes, tuple):
        raise TypeError("hashes must be a tuple of bytes")
    for value in hashes:
        _require_hash(value, "proof hash")
    if len(hashes) != expected:
        raise ValueError(f"expected {expected} proof hashes, got {len(hashes)}")


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """PATH(leaf_index, D[tree_size]) for ``leaf_hash``; JSON form
    ``{"leaf_index", "tree_size", "leaf_hash", "hashes"}`` with lowercase hex hashes.

    Construction checks the shape (0 <= leaf_index < tree_size <= 2**64 - 1, 32-byte
    hashes, as many hashes as the path has); ``verify`` checks the content.
    """

    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    hashes: tuple[bytes, ...]

    def __post_init__(self) -> None:
        """Reject a proof whose shape cannot be right (``ValueError``/``TypeError``)."""
        _require_int(self.leaf_index, "leaf index")
        _require_int(self.tree_size, "tree size")
        if not 0 <= self.leaf_index < self.tree_size <= MAX_TREE_SIZE:
            raise ValueError(f"leaf index {self.leaf_index} is not in a tree of size {self.tree_size}")
        _require_hash(self.leaf_hash, "leaf hash")
        _check_proof_hashes(self.hashes, len(inclusion_proof_ranges(self.leaf_index, self.tree_size)))

    def to_json(self) -> dict[str, object]:
        """The project's JSON form, ready for ``json.dumps``."""
        return {
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "hashes": [value.hex() for value in self.hashes],
        }

    @classmethod
    def from_json(cls, data: object) -> InclusionProof:
        """Parse the JSON form strictly: exact members, types and shape, else ``ValueError``."""
        members = _json_object(data, _INCLUSION_MEMBERS)
        return cls(
            _json_size(members, "leaf_index"),
            _json_size(members, "tree_size"),
            _json_hash(members["leaf_hash"], "leaf_hash"),
            _json_hash_list(members),
        )

    def verify(self, root: bytes) -> bool:
        """True iff this proof shows ``leaf_hash`` in the tree with root ``root``."""
        return verify_inclusion(self.leaf_hash, self.leaf_index, self.tree_size, self.hashes, root)


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """PROOF(first_size, D[second_size]); JSON form ``{"first_size", "second_size",
    "hashes"}`` with lowercase hex hashes.

    Construction checks the shape (0 <= first_size <= second_size <= 2**64 - 1, 32-byte
    hashes, as many as the proof has); ``verify`` checks the content.
    """

    first_size: int
    second_size: int
    hashes: tuple[bytes, ...]

    def __post_init__(self) -> None:
        """Reject a proof whose shape cannot be right (``ValueError``/``TypeError``)."""
        _require_int(self.first_size, "first size")
        _require_int(self.second_size, "second size")
        if not 0 <= self.first_size <= self.second_size <= MAX_TREE_SIZE:
            raise ValueError(f"no consistency proof from size {self.first_size} to {self.second_size}")
        expected = len(consistency_proof_ranges(self.first_size, self.second_size))
        _check_proof_hashes(self.hashes, expected)

    def to_json(self) -> dict[str, object]:
        """The project's JSON form, ready for ``json.dumps``."""
        return {
            "first_size": self.first_size,
            "second_size": self.second_size,
            "hashes": [value.hex() for value in self.hashes],
        }

    @classmethod
    def from_json(cls, data: object) -> ConsistencyProof:
        """Parse the JSON form strictly: exact members, types and shape, else ``ValueError``."""
        members = _json_object(data, _CONSISTENCY_MEMBERS)
        return cls(_json_size(members, "first_size"), _json_size(members, "second_size"), _json_hash_list(members))

    def verify(self, first_root: bytes, second_root: bytes) -> bool:
        """True iff this proof shows the ``second_size`` tree extends the ``first_size`` one."""
        return verify_consistency(self.first_size, self.second_size, self.hashes, first_root, second_root)
