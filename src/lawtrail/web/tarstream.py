"""A POSIX tar of a folder as a stream of blocks: a bag of several gigabytes is downloaded
without a temporary archive and without ever holding more than one 4 MiB block."""

from __future__ import annotations

import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

CHUNK = 4 * 1024 * 1024
BLOCK = tarfile.BLOCKSIZE


def tar_stream(folder: Path, prefix: str) -> Iterator[bytes]:
    """Every regular file under ``folder`` (symbolic links skipped), named ``prefix/…``, in
    sorted order; then the two zero blocks that end a tar archive."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue
            info = tarfile.TarInfo(f"{prefix}/{path.relative_to(folder).as_posix()}")
            stat = path.stat()
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
            yield info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8")
            with path.open("rb") as fh:
                while block := fh.read(CHUNK):
                    yield block
            if info.size % BLOCK:
                yield b"\0" * (BLOCK - info.size % BLOCK)
    yield b"\0" * (2 * BLOCK)
