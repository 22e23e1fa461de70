"""Write a BagIt bag (RFC 8493, version 1.0) with SHA-256 and SHA-512 manifests.

Payload files are written under ``data/`` while both digests are computed in the same pass, in
4 MiB blocks: a 4 GB original never enters memory and is read once. ``finish`` writes the
manifests, ``bagit.txt``, ``bag-info.txt`` (with ``Payload-Oxum`` and ``Bagging-Date``) and the
tag manifests. Nothing here knows about cases: ``services.casefile`` decides what goes in.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Protocol

CHUNK = 4 * 1024 * 1024
ALGORITHMS = ("sha256", "sha512")
BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
_SAFE = re.compile(r"[A-Za-z0-9._\-/]+")


class ByteSource(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class FileDigest:
    """One payload file: its path inside ``data/``, size, SHA-256 and SHA-512 (hex)."""

    path: str
    size: int
    sha256: str
    sha512: str


def _check_rel(rel: str) -> PurePosixPath:
    """A relative, normalised path of safe characters (no ``..``, no absolute path)."""
    path = PurePosixPath(rel)
    if not _SAFE.fullmatch(rel) or path.is_absolute() or ".." in path.parts or rel != str(path):
        raise ValueError(f"unsafe payload path {rel!r}")
    return path


class BagWriter:
    """Build a bag in ``root`` (created; must be empty). Add payload files, then ``finish``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        if any(root.iterdir()):
            raise FileExistsError(f"{root} is not empty")
        (root / "data").mkdir()
        self.files: list[FileDigest] = []

    def _target(self, rel: str) -> Path:
        target = self.root / "data" / _check_rel(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def add_stream(self, rel: str, source: ByteSource, on_bytes: Callable[[int], None] | None = None) -> FileDigest:
        """Copy ``source`` to ``data/<rel>`` in blocks, hashing as it goes; return its digests."""
        target = self._target(rel)
        h256, h512, size = hashlib.sha256(), hashlib.sha512(), 0
        with target.open("xb") as out:
            while block := source.read(CHUNK):
                h256.update(block)
                h512.update(block)
                out.write(block)
                size += len(block)
                if on_bytes is not None:
                    on_bytes(len(block))
            out.flush()
            os.fsync(out.fileno())
        digest = FileDigest(f"data/{rel}", size, h256.hexdigest(), h512.hexdigest())
        self.files.append(digest)
        return digest

    def add_bytes(self, rel: str, data: bytes) -> FileDigest:
        target = self._target(rel)
        with target.open("xb") as out:
            out.write(data)
        digest = FileDigest(f"data/{rel}", len(data), hashlib.sha256(data).hexdigest(),
                            hashlib.sha512(data).hexdigest())
        self.files.append(digest)
        return digest

    def finish(self, info: Sequence[tuple[str, str]], today: date) -> str:
        """Write manifests, ``bagit.txt``, ``bag-info.txt`` and tag manifests; return the
        Payload-Oxum (``octets.streams``)."""
        files = sorted(self.files, key=lambda f: f.path)
        for algorithm in ALGORITHMS:
            lines = "".join(f"{getattr(f, algorithm)}  {f.path}\n" for f in files)
            (self.root / f"manifest-{algorithm}.txt").write_text(lines, encoding="utf-8")
        (self.root / "bagit.txt").write_text(BAGIT_TXT, encoding="utf-8")
        oxum = f"{sum(f.size for f in files)}.{len(files)}"
        fields = [*info, ("Bagging-Date", today.isoformat()), ("Payload-Oxum", oxum)]
        text = "".join(f"{name}: {' '.join(value.split())}\n" for name, value in fields)
        (self.root / "bag-info.txt").write_text(text, encoding="utf-8")
        tags = ["bagit.txt", "bag-info.txt", *(f"manifest-{a}.txt" for a in ALGORITHMS)]
        for algorithm in ALGORITHMS:
            lines = "".join(f"{hashlib.new(algorithm, (self.root / tag).read_bytes()).hexdigest()}  {tag}\n"
                            for tag in tags)
            (self.root / f"tagmanifest-{algorithm}.txt").write_text(lines, encoding="utf-8")
        return oxum
