"""Checkpoints (C2SP tlog-checkpoint) inside signed notes (C2SP signed-note).

A checkpoint body is::

    <origin>\\n<tree size in decimal>\\n<base64 root hash>\\n[<extension line>\\n ...]

A signed note is the body, a blank line, then one line per signature::

    — <key name> <base64(4-byte key ID || signature bytes)>\\n

(the dash is U+2014 EM DASH).  The signed message is the UTF-8 body *including* its
final newline and *excluding* the blank line; ``note_message`` returns exactly those
bytes.  Signing and verifying need a crypto library and live in an adapter; this module
only formats and parses, strictly: every malformed input raises ``ValueError`` with a
message saying what is wrong (``TypeError`` for arguments of the wrong type).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "ED25519_SIGNATURE_TYPE",
    "MAX_SIGNATURES",
    "MAX_TREE_SIZE",
    "Checkpoint",
    "NoteSignature",
    "SignedNote",
    "VerifierKey",
    "ed25519_key_id",
    "format_checkpoint_body",
    "format_signed_note",
    "format_vkey",
    "note_message",
    "parse_checkpoint_body",
    "parse_checkpoint_note",
    "parse_signed_note",
    "parse_vkey",
]

ED25519_SIGNATURE_TYPE = 0x01
"""Signature type byte of Ed25519 in C2SP signed-note."""

MAX_SIGNATURES = 100
"""Most signature lines accepted in one note (the spec requires at least 16; Go uses 100)."""

MAX_TREE_SIZE = 2**64 - 1
"""Largest tree size a checkpoint may state (uint64)."""

_DASH = "\u2014 "
_HASH_SIZE = 32
_ED25519_KEY_SIZE = 32
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The parsed body of a checkpoint: log origin, tree size, root hash, extensions."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note body of this checkpoint (``format_checkpoint_body``)."""
        return format_checkpoint_body(self.origin, self.size, self.root, self.extensions)


class NoteSignature(NamedTuple):
    """One signature line: key name, 4-byte key ID, raw signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


class SignedNote(NamedTuple):
    """A parsed signed note: its body (the signed text) and its signature lines in order."""

    body: str
    signatures: tuple[NoteSignature, ...]

    @property
    def message(self) -> bytes:
        """The exact bytes the signatures sign (the UTF-8 body)."""
        return note_message(self.body)


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """An Ed25519 verifier key as written in a C2SP vkey string."""

    name: str
    key_id: bytes
    public_key: bytes


# ------------------------------------------------------------------------- validation


def _check_text(text: str, what: str) -> None:
    """Signed notes are valid UTF-8 without ASCII control characters except newline."""
    if not isinstance(text, str):
        raise TypeError(f"{what} must be str, not {type(text).__name__}")
    for position, char in enumerate(text):
        if char < " " and char != "\n":
            raise ValueError(f"{what} contains control character U+{ord(char):04X} at offset {position}")
        if "\ud800" <= char <= "\udfff":
            raise ValueError(f"{what} contains a lone surrogate at offset {position} (not valid UTF-8)")


def _check_line(line: str, what: str) -> None:
    """One non-empty line of text (no newline, no control characters)."""
    _check_text(line, what)
    if not line:
        raise ValueError(f"{what} must not be empty")
    if "\n" in line:
        raise ValueError(f"{what} must not contain a newline")


def _check_key_name(name: str) -> None:
    """Key names are non-empty, without Unicode spaces or '+'."""
    _check_line(name, "key name")
    if any(char.isspace() or char == "+" for char in name):
        raise ValueError(f"key name {name!r} must not contain spaces or '+'")


def _check_bytes(value: object, size: int | None, what: str) -> bytes:
    """``value`` as bytes of the given size (any non-empty size if ``None``)."""
    if not isinstance(value, bytes):
        raise TypeError(f"{what} must be bytes, not {type(value).__name__}")
    if (size is None and not value) or (size is not None and len(value) != size):
        raise ValueError(f"{what} must be {size or 'at least 1'} bytes, got {len(value)}")
    return value


def _b64decode(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 section 4) in its one canonical spelling, else ValueError."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is not valid base64: {text!r}") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError(f"{what} is not canonical base64: {text!r}")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# ------------------------------------------------------------------------- checkpoint


def format_checkpoint_body(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """``<origin>\\n<size>\\n<base64 root>\\n`` plus one line per extension.

    ``origin`` and every extension must be a non-empty line without control characters;
    ``size`` an int in [0, 2**64 - 1]; ``root`` 32 bytes.
    """
    _check_line(origin, "origin")
    if type(size) is not int:
        raise TypeError(f"size must be int, not {type(size).__name__}")
    if not 0 <= size <= MAX_TREE_SIZE:
        raise ValueError(f"tree size {size} is outside [0, 2**64 - 1]")
    _check_bytes(root, _HASH_SIZE, "root hash")
    if isinstance(extensions, str):
        raise TypeError("extensions must be a sequence of lines, not a str")
    for extension in extensions:
        _check_line(extension, "extension line")
    lines = [origin, str(size), _b64encode(root), *extensions]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Parse a checkpoint body (a note body, without the signatures) strictly."""
    _check_text(text, "checkpoint")
    if not text.endswith("\n"):
        raise ValueError("checkpoint must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise ValueError(f"checkpoint needs origin, size and root lines, got {len(lines)} line(s)")
    for number, line in enumerate(lines, start=1):
        if not line:
            raise ValueError(f"checkpoint line {number} is empty")
    origin, size_text, root_text = lines[:3]
    if not _DECIMAL.fullmatch(size_text):
        raise ValueError(f"tree size {size_text!r} is not a decimal number without leading zeros")
    size = int(size_text)
    if size > MAX_TREE_SIZE:
        raise ValueError(f"tree size {size_text} does not fit in 64 bits")
    root = _b64decode(root_text, "root hash")
    if len(root) != _HASH_SIZE:
        raise ValueError(f"root hash must be {_HASH_SIZE} bytes, got {len(root)}")
    return Checkpoint(origin, size, root, tuple(lines[3:]))


def parse_checkpoint_note(text: str | bytes) -> tuple[Checkpoint, SignedNote]:
    """Parse a signed checkpoint: the note (``parse_signed_note``) and its body."""
    note = parse_signed_note(text)
    return parse_checkpoint_body(note.body), note


# --------------------------------------------------------------------------- the note


def note_message(body: str) -> bytes:
    """The bytes to sign for a note with this body: its UTF-8 encoding, final newline
    included.  ``ValueError`` if the body is empty, lacks the final newline or holds
    control characters."""
    _check_text(body, "note body")
    if not body.endswith("\n"):
        raise ValueError("note body must end with a newline")
    return body.encode("utf-8")


def _signature_line(signature: tuple[str, bytes, bytes]) -> str:
    """``— <name> <base64(key id || signature)>\\n`` for one validated signature."""
    if not isinstance(signature, tuple) or len(signature) != 3:
        raise TypeError("each signature must be a (name, key_id, signature) tuple")
    name, key_id, raw = signature
    _check_key_name(name)
    _check_bytes(key_id, 4, "key ID")
    _check_bytes(raw, None, "signature")
    return f"{_DASH}{name} {_b64encode(key_id + raw)}\n"


def format_signed_note(body: str, signatures: Iterable[tuple[str, bytes, bytes]]) -> str:
    """Body, blank line, then one line per ``(name, key_id, signature)`` in the given
    order (``NoteSignature`` values fit).  Needs 1 to ``MAX_SIGNATURES`` signatures."""
    note_message(body)
    lines = [_signature_line(signature) for signature in signatures]
    if not 1 <= len(lines) <= MAX_SIGNATURES:
        raise ValueError(f"a signed note needs 1 to {MAX_SIGNATURES} signatures, got {len(lines)}")
    return body + "\n" + "".join(lines)


def _parse_signature_line(line: str, number: int) -> NoteSignature:
    """Parse one signature line (without its newline)."""
    if not line.startswith(_DASH):
        raise ValueError(f"signature line {number} does not start with an em dash and a space")
    name, space, encoded = line[len(_DASH) :].partition(" ")
    if not space:
        raise ValueError(f"signature line {number} has no space between key name and signature")
    _check_key_name(name)
    raw = _b64decode(encoded, f"signature {number}")
    if len(raw) < 5:
        raise ValueError(f"signature {number} is shorter than a key ID plus one byte")
    return NoteSignature(name, raw[:4], raw[4:])


def parse_signed_note(text: str | bytes) -> SignedNote:
    """Split a signed note at its last blank line and parse the signature lines.

    ``bytes`` input must be UTF-8.  Requires: no control characters but newline, a final
    newline, a blank line, 1 to ``MAX_SIGNATURES`` well-formed signature lines after it.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"note is not valid UTF-8: {exc}") from exc
    _check_text(text, "note")
    split = text.rfind("\n\n")
    if split < 0:
        raise ValueError("note has no blank line before its signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block:
        raise ValueError("note has no signature lines")
    if not block.endswith("\n"):
        raise ValueError("note does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise ValueError(f"note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    signatures = tuple(_parse_signature_line(line, n) for n, line in enumerate(lines, start=1))
    return SignedNote(body, signatures)


# ------------------------------------------------------------------------------- keys


def ed25519_key_id(name: str, public_key: bytes) -> bytes:
    """Key ID of an Ed25519 note key: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    _check_key_name(name)
    _check_bytes(public_key, _ED25519_KEY_SIZE, "Ed25519 public key")
    material = name.encode("utf-8") + b"\n" + bytes([ED25519_SIGNATURE_TYPE]) + public_key
    return hashlib.sha256(material).digest()[:4]


def format_vkey(name: str, public_key: bytes) -> str:
    """The verifier key string ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
    key_id = ed25519_key_id(name, public_key)
    return f"{name}+{key_id.hex()}+{_b64encode(bytes([ED25519_SIGNATURE_TYPE]) + public_key)}"


def parse_vkey(text: str) -> VerifierKey:
    """Parse a vkey string strictly: valid name, 8 lowercase hex digits, canonical base64
    of 0x01 followed by a 32-byte key, and a key ID that matches name and key."""
    _check_line(text, "verifier key")
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise ValueError("verifier key must look like <name>+<key id>+<base64 key>")
    name, key_id_hex, encoded = parts
    _check_key_name(name)
    if not _KEY_ID_HEX.fullmatch(key_id_hex):
        raise ValueError(f"key ID {key_id_hex!r} is not 8 lowercase hex digits")
    raw = _b64decode(encoded, "verifier key")
    if not raw or raw[0] != ED25519_SIGNATURE_TYPE:
        raise ValueError("verifier key is not an Ed25519 key (type byte 0x01)")
    public_key = raw[1:]
    if len(public_key) != _ED25519_KEY_SIZE:
        raise ValueError(f"Ed25519 public key must be 32 bytes, got {len(public_key)}")
    key_id = ed25519_key_id(name, public_key)
    if key_id.hex() != key_id_hex:
        raise ValueError(f"key ID {key_id_hex} does not match the name and key ({key_id.hex()})")
    return VerifierKey(name, key_id, public_key)
