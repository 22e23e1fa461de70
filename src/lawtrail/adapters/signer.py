"""The ledger's Ed25519 signing key: generated into the data folder (mode 0600), used to
sign checkpoint notes, exported as a C2SP verifier key (``<name>+<key id>+<base64>``).

Also the note check used by every verifier (``note_checker``); this module imports neither
the database nor the web stack, so the offline verifier can use it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from lawtrail.domain.ledger.audit import NoteCheck
from lawtrail.domain.ledger.checkpoint import (
    Checkpoint,
    ed25519_key_id,
    format_vkey,
    parse_checkpoint_note,
    parse_vkey,
)

KEY_FILE = "ledger-signing.key"


class Ed25519Signer:
    """Signs note messages under the key name ``name`` (the log's origin)."""

    def __init__(self, private_key: Ed25519PrivateKey, name: str) -> None:
        self._key = private_key
        self._name = name
        self._public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = ed25519_key_id(name, self._public)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def vkey(self) -> str:
        """The public key in C2SP verifier-key form."""
        return format_vkey(self._name, self._public)


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def create_key(data_dir: Path) -> Path:
    """Generate the signing key at ``<data_dir>/ledger-signing.key`` (mode 0600) unless it
    exists; return its path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = key_path(data_dir)
    if path.exists():
        return path
    raw = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    # Written whole under a private name, then linked into place: several processes starting
    # at once never read a half-written key, and the first one's key wins.
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink()
    return path


def load_signer(data_dir: Path, name: str, *, create: bool = True) -> Ed25519Signer:
    """The signer of the data folder, generating the key first when ``create``.

    Raise FileNotFoundError when there is no key and ``create`` is false; ValueError when
    the file is not an Ed25519 private key.
    """
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    path = create_key(data_dir) if create else key_path(data_dir)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return Ed25519Signer(key, name)


def note_checker(vkey: str) -> NoteCheck:
    """A ``NoteCheck`` for checkpoints signed by ``vkey``: parse the note, require a valid
    signature by that key, return the checkpoint; raise ValueError otherwise."""
    verifier = parse_vkey(vkey)
    public = Ed25519PublicKey.from_public_bytes(verifier.public_key)

    def check(note: str) -> Checkpoint:
        checkpoint, signed = parse_checkpoint_note(note)
        for sig in signed.signatures:
            if sig.name == verifier.name and sig.key_id == verifier.key_id:
                try:
                    public.verify(sig.signature, signed.message)
                except InvalidSignature:
                    raise ValueError("bad signature") from None
                return checkpoint
        raise ValueError(f"not signed by {verifier.name}")

    return check
