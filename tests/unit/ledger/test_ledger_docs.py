"""docs/ledger.md stays true: its worked example and hand-verification code run."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.checkpoint import note_message, parse_checkpoint_note, parse_vkey
from lawtrail.domain.ledger.merkle import (
    ConsistencyProof,
    InclusionProof,
    MemorySubtreeSource,
    leaf_hash,
)

DOC = (Path(__file__).parents[3] / "docs" / "ledger.md").read_text(encoding="utf-8")


def blocks(language: str, section: str) -> list[str]:
    """Fenced code blocks of ``language`` in the section whose heading starts with ``section``."""
    text = DOC.split(f"\n## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def example_source() -> MemorySubtreeSource:
    events = [{"action": "demo:event:create", "note": f"第{i}条", "seq": i} for i in range(5)]
    lines = blocks("text", "Checkpoint format")[0].splitlines()
    assert [canonical_json(event).decode() for event in events] == lines
    return MemorySubtreeSource(leaf_hash(canonical_json(event)) for event in events)


def test_worked_example_checkpoint() -> None:
    source = example_source()
    checkpoint, note = parse_checkpoint_note(blocks("text", "Checkpoint format")[1])
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == ("lawtrail.example/ledger", 5, source.root())
    vkey = parse_vkey(re.findall(r"`(lawtrail\.example/ledger\+[^`]+)`", DOC)[0])
    (signature,) = note.signatures
    assert (signature.name, signature.key_id) == (vkey.name, vkey.key_id)
    assert f"{len(note_message(note.body))} bytes" in DOC
    ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
    seed = hashlib.sha256(b"lawtrail documentation example key - never use").digest()
    private = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    assert private.sign(note.message) == signature.signature
    ed25519.Ed25519PublicKey.from_public_bytes(vkey.public_key).verify(signature.signature, note.message)


def test_documented_proofs_verify() -> None:
    source = example_source()
    inclusion, consistency = (json.loads(block) for block in blocks("json", "Proof JSON forms"))
    assert InclusionProof.from_json(inclusion).verify(source.root())
    assert ConsistencyProof.from_json(consistency).verify(source.root(3), source.root(5))
    assert source.root(3).hex() in DOC


def test_hand_verification_code_runs() -> None:
    namespace: dict[str, object] = {}
    for code in blocks("python", "Verifying by hand"):
        exec(code, namespace)  # noqa: S102 - our own documentation
    assert namespace["root"] == example_source().root()
