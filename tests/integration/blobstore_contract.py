"""Backends for the blob-store contract tests: what each test needs beyond the public interface.

A ``Backend`` wraps one store and knows how to reach behind it the way an attacker, a fault or
an operator would: flip a stored byte, plant an untracked object, list leftovers (temp files,
temp keys, unfinished multipart uploads) and count stored objects.
"""

from __future__ import annotations

import hashlib
import os
import random
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lawtrail.adapters.storage.local import LocalBlobStore
from lawtrail.adapters.storage.s3 import S3BlobStore

MiB = 1024 * 1024


def payload_chunks(size: int, seed: int = 7, chunk: int = MiB) -> Iterator[bytes]:
    """Deterministic pseudo-random bytes, generated chunk by chunk (never all in memory)."""
    rng = random.Random(seed)  # noqa: S311  # test data, not secrets: reproducible on purpose
    left = size
    while left:
        n = min(chunk, left)
        yield rng.randbytes(n)
        left -= n


def digest_of(size: int, seed: int = 7) -> str:
    h = hashlib.sha256()
    for block in payload_chunks(size, seed):
        h.update(block)
    return h.hexdigest()


class Backend(Protocol):
    name: str

    @property
    def store(self) -> LocalBlobStore | S3BlobStore: ...
    def flip_byte(self, sha256: str, offset: int) -> None: ...
    def plant(self, data: bytes) -> str: ...
    def leftovers(self) -> list[str]: ...
    def object_count(self) -> int: ...


@dataclass
class LocalBackend:
    root: Path
    name: str = "local"
    store: LocalBlobStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = LocalBlobStore(self.root)

    def flip_byte(self, sha256: str, offset: int) -> None:
        path = self.store.path_of(sha256)
        path.chmod(0o644)  # what a careless admin or an attacker with root can do
        with path.open("r+b") as f:
            f.seek(offset)
            byte = f.read(1)
            f.seek(offset)
            f.write(bytes([byte[0] ^ 0x01]))

    def plant(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.store.path_of(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return digest

    def leftovers(self) -> list[str]:
        return sorted(os.listdir(self.root / "tmp"))

    def object_count(self) -> int:
        return sum(len(files) for _, _, files in os.walk(self.root / "sha256"))

    def mode_of(self, sha256: str) -> int:
        return stat.S_IMODE(self.store.path_of(sha256).stat().st_mode)


@dataclass
class S3Backend:
    client: Any  # mypy_boto3_s3.S3Client; Any keeps the test helpers free of stub imports
    bucket: str
    prefix: str = ""
    name: str = "s3"
    options: dict[str, Any] = field(default_factory=dict)
    store: S3BlobStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = S3BlobStore(self.client, self.bucket, prefix=self.prefix, **self.options)

    def flip_byte(self, sha256: str, offset: int) -> None:
        key = self.store.key_of(sha256)
        data = bytearray(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        data[offset] ^= 0x01
        self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(data))  # a direct overwrite

    def plant(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self.client.put_object(Bucket=self.bucket, Key=f"{self.prefix}sha256/{digest}", Body=data)
        return digest

    def leftovers(self) -> list[str]:
        found: list[str] = []
        pages = self.client.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}tmp/")
        for page in pages:
            found += [v["Key"] for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]]
        uploads = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=self.prefix)
        found += [f"upload:{u['Key']}" for u in uploads.get("Uploads", [])]
        return sorted(found)

    def object_count(self) -> int:
        pages = self.client.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}sha256/")
        return sum(len(page.get("Versions", [])) for page in pages)

    def cleanup(self) -> None:
        """Remove what the test wrote under its prefix (best effort; locked versions stay)."""
        pages = self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                try:
                    self.client.delete_object(Bucket=self.bucket, Key=v["Key"], VersionId=v["VersionId"])
                except Exception:  # noqa: S112  # retention-locked test objects may stay; best effort
                    continue


def unique_prefix() -> str:
    return f"lawtrail-test-{uuid.uuid4().hex[:12]}/"


def write_part(folder: Path, size: int, seed: int = 7) -> Path:
    """A complete file as an upload leaves it (what ``BlobStore.adopt_file`` takes)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"part-{seed}-{size}"
    with path.open("wb") as f:
        for block in payload_chunks(size, seed):
            f.write(block)
    return path


def check_adopt_file(backend: Backend, folder: Path) -> None:
    """The ``adopt_file`` contract, for any backend: a new file becomes an object under its
    digest (readable, verifiable, nothing left over, the source left for the caller); the same
    digest again is recognised (``created`` False, the object unchanged); an empty file and a
    malformed digest are refused before anything is stored."""
    from lawtrail.errors import ValidationFailed  # keeps this helper module's imports light

    store = backend.store
    size = 5 * MiB + 3
    part = write_part(folder, size)
    digest = digest_of(size)
    blob = store.adopt_file(part, sha256=digest)
    assert (blob.sha256, blob.size, blob.created) == (digest, size, True)
    assert store.exists(digest) and store.size(digest) == size and store.verify(digest)
    assert part.exists(), "the source is the caller's to remove"
    again = store.adopt_file(write_part(folder / "again", size), sha256=digest)
    assert (again.sha256, again.created) == (digest, False)
    assert backend.object_count() == 1 and store.verify(digest)
    empty = folder / "empty"
    empty.write_bytes(b"")
    refusals = ((empty, digest_of(1, 99), "vault.empty"), (part, "../../etc", "vault.bad_digest"))
    for bad_path, bad_digest, code in refusals:
        try:
            store.adopt_file(bad_path, sha256=bad_digest)
        except ValidationFailed as exc:
            assert exc.code == code
        else:
            raise AssertionError(f"adopt_file accepted {bad_path.name} / {bad_digest}")
    assert backend.object_count() == 1 and backend.leftovers() == []
