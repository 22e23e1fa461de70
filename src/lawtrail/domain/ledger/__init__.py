"""The ledger's pure math: canonical event bytes, the RFC 9162 Merkle tree, checkpoints.

Standard library only.  See ``docs/ledger.md`` for the formats.

* ``canonical``  — RFC 8785 canonical JSON (the bytes that become a leaf).
* ``merkle``     — leaf/node hashes, roots, inclusion and consistency proofs and their
  verification, stored-subtree bookkeeping, streaming roots.
* ``checkpoint`` — C2SP tlog-checkpoint bodies, C2SP signed notes, vkey strings.
"""

from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.checkpoint import (
    Checkpoint,
    NoteSignature,
    SignedNote,
    VerifierKey,
    ed25519_key_id,
    format_checkpoint_body,
    format_signed_note,
    format_vkey,
    note_message,
    parse_checkpoint_body,
    parse_checkpoint_note,
    parse_signed_note,
    parse_vkey,
)
from lawtrail.domain.ledger.merkle import (
    EMPTY_ROOT,
    ConsistencyProof,
    InclusionProof,
    MemorySubtreeSource,
    NodeKey,
    StreamingRoot,
    SubtreeSource,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "Checkpoint",
    "ConsistencyProof",
    "InclusionProof",
    "MemorySubtreeSource",
    "NodeKey",
    "NoteSignature",
    "SignedNote",
    "StreamingRoot",
    "SubtreeSource",
    "VerifierKey",
    "canonical_json",
    "consistency_proof",
    "ed25519_key_id",
    "format_checkpoint_body",
    "format_signed_note",
    "format_vkey",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "note_message",
    "parse_checkpoint_body",
    "parse_checkpoint_note",
    "parse_signed_note",
    "parse_vkey",
    "root",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]
