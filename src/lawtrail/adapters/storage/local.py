"""The local-folder blob store (the embedded default): ``<root>/sha256/ab/cd/<digest>``.

Write path, one pass: the bytes go to ``<root>/tmp/<random>`` while being hashed; the file is
fsynced and made read-only; then ``os.link`` puts it under its digest — link fails with EEXIST
instead of replacing, so an existing object is never overwritten even by a concurrent writer —
the temp name is removed and the shard directory fsynced. Any failure removes the temp file:
no partial object can appear under a digest name. Temp files left by a killed process are never
visible as objects; ``sweep_temp`` removes them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from lawtrail.adapters.storage.base import (
    CHUNK,
    ByteSource,
    RangeReader,
    StoredBlob,
    check_digest,
    check_expected,
    clip_range,
    digest_mismatch,
    digest_of,
    disk_full,
    empty_refused,
    is_digest,
    is_disk_full,
    iter_chunks,
    not_found,
    too_large,
)

_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH  # 0o444
_NO_LINK = frozenset({errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK})


def _write_all(fd: int, data: bytes | memoryview) -> None:
    """os.write until every byte is written (a short write is legal); patched by the ENOSPC test."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    """``services.ports.BlobStore`` over a folder on a local (POSIX) file system."""

    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self._objects = self.root / "sha256"
        self._tmp = self.root / "tmp"
        self._fsync = fsync  # only tests and throwaway demo data may turn this off
        self._objects.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        """Where the object with this digest lives (whether or not it exists)."""
        check_digest(sha256)
        return self._objects / sha256[:2] / sha256[2:4] / sha256

    # --- writing -----------------------------------------------------------------------------

    def put_stream(self, source: Iterable[bytes] | ByteSource, *, expected_sha256: str | None = None,
                   max_bytes: int | None = None) -> StoredBlob:
        """Hash and store ``source`` in one pass; see ``services.ports.BlobStore.put_stream``."""
        expected = check_expected(expected_sha256)
        fd, tmp_name = self._new_temp()
        tmp = Path(tmp_name)
        try:
            try:
                digest, size = self._copy_in(fd, source, max_bytes)
            finally:
                os.close(fd)
            if size == 0:
                raise empty_refused()
            if expected is not None and digest != expected:
                raise digest_mismatch(expected, digest)
            created = self._publish(tmp, digest)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if is_disk_full(exc):
                raise disk_full(str(self.root)) from exc
            raise
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredBlob(sha256=digest, size=size, created=created)

    def _new_temp(self) -> tuple[int, str]:
        try:
            return tempfile.mkstemp(prefix="put-", suffix=".part", dir=self._tmp)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full(str(self.root)) from exc
            raise

    def _copy_in(self, fd: int, source: Iterable[bytes] | ByteSource, max_bytes: int | None) -> tuple[str, int]:
        """Write every chunk to ``fd`` while hashing it; return (hex digest, size). fsync at the end."""
        h = hashlib.sha256()
        size = 0
        # Hashing and writing both release the GIL on 4 MiB blocks: from the second block on,
        # hash block N in a helper thread while it is written, so a put costs max(hash, write),
        # not their sum. A file of one block (a photo) needs no thread at all.
        pool: ThreadPoolExecutor | None = None
        try:
            for block in iter_chunks(source, CHUNK):
                size += len(block)
                if max_bytes is not None and size > max_bytes:
                    raise too_large(max_bytes)
                if pool is None and size == len(block):  # the first block
                    h.update(block)
                    _write_all(fd, block)
                    continue
                pool = pool or ThreadPoolExecutor(max_workers=1, thread_name_prefix="vault-hash")
                hashing = pool.submit(h.update, block)
                try:
                    _write_all(fd, block)
                finally:
                    hashing.result()
        finally:
            if pool is not None:
                pool.shutdown()
        os.fchmod(fd, _READ_ONLY)  # read-only before it ever carries a digest name
        if self._fsync and size:
            os.fsync(fd)
        return h.hexdigest(), size

    def _publish(self, tmp: Path, digest: str) -> bool:
        """Give ``tmp`` its digest name without replacing anything; True if newly created."""
        final = self.path_of(digest)
        shard = final.parent
        if not shard.is_dir():
            shard.mkdir(parents=True, exist_ok=True)
            if self._fsync:
                _fsync_dir(shard.parent)
                _fsync_dir(shard.parent.parent)
        try:
            os.link(tmp, final)
        except FileExistsError:
            tmp.unlink()
            return False
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            # File systems without hard links (some SMB/FUSE mounts): rename after a check.
            # The check-then-rename race can only replace an object with identical bytes.
            if final.exists():
                tmp.unlink()
                return False
            os.rename(tmp, final)
        else:
            tmp.unlink()
        if self._fsync:
            _fsync_dir(shard)
        return True

    def adopt_file(self, path: Path, *, sha256: str) -> StoredBlob:
        """Link the complete file at ``path`` (digest computed by the caller as it was written)
        into place without copying; see ``services.ports.BlobStore.adopt_file``. Where a hard
        link is impossible (another file system, no link support) the bytes are streamed in and
        hashed again. ``path`` itself is left in place (made read-only)."""
        digest = check_digest(sha256)
        size = os.lstat(path).st_size
        if size == 0:
            raise empty_refused()
        final = self.path_of(digest)
        if final.exists():
            return StoredBlob(sha256=digest, size=size, created=False)
        os.chmod(path, _READ_ONLY)  # read-only before it carries a digest name
        if self._fsync:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        self._make_shard(final.parent)
        try:
            os.link(path, final)
        except FileExistsError:
            return StoredBlob(sha256=digest, size=size, created=False)
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                if is_disk_full(exc):
                    raise disk_full(str(self.root)) from exc
                raise
            with open(path, "rb", buffering=0) as source:  # no link here: one streamed copy
                return self.put_stream(source, expected_sha256=digest)
        if self._fsync:
            _fsync_dir(final.parent)
        return StoredBlob(sha256=digest, size=size, created=True)

    def _make_shard(self, shard: Path) -> None:
        if not shard.is_dir():
            shard.mkdir(parents=True, exist_ok=True)
            if self._fsync:
                _fsync_dir(shard.parent)
                _fsync_dir(shard.parent.parent)

    def sweep_temp(self, older_than_s: float = 24 * 3600) -> int:
        """Remove temp files older than ``older_than_s`` (left by killed writers); return how many."""
        cutoff = time.time() - older_than_s
        removed = 0
        for entry in os.scandir(self._tmp):
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed

    # --- reading -----------------------------------------------------------------------------

    def open(self, sha256: str) -> BinaryIO:
        """A buffered binary reader over the object; raise NotFound if it is not stored."""
        try:
            return self.path_of(sha256).open("rb")
        except FileNotFoundError:
            raise not_found(sha256) from None

    def open_range(self, sha256: str, start: int, end: int) -> RangeReader:
        """A reader over bytes ``[start, end)``, ``end`` clipped to the size."""
        f = self.open(sha256)
        try:
            end = clip_range(start, end, os.fstat(f.fileno()).st_size)
            f.seek(start)
        except BaseException:
            f.close()
            raise
        return RangeReader(f, end - start)

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def size(self, sha256: str) -> int:
        try:
            return self.path_of(sha256).stat().st_size
        except FileNotFoundError:
            raise not_found(sha256) from None

    def iter_digests(self) -> Iterator[str]:
        """Every object file under ``sha256/ab/cd/`` whose name is a digest (tracked or not)."""
        for first in sorted(os.scandir(self._objects), key=lambda e: e.name):
            if not first.is_dir(follow_symlinks=False):
                continue
            for second in sorted(os.scandir(first.path), key=lambda e: e.name):
                if not second.is_dir(follow_symlinks=False):
                    continue
                for entry in os.scandir(second.path):
                    if is_digest(entry.name) and entry.is_file(follow_symlinks=False):
                        yield entry.name

    def verify(self, sha256: str) -> bool:
        """Re-hash the stored bytes in chunks; True if they still hash to ``sha256``."""
        with self.open(sha256) as reader:
            return digest_of(reader) == sha256

    # --- disposal ----------------------------------------------------------------------------

    def dispose(self, sha256: str) -> None:
        """Delete the object's bytes (the file is read-only, its folder is not: unlink works).
        The caller must hold a recorded, approved disposal; raise NotFound when absent."""
        path = self.path_of(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            raise not_found(sha256) from None
        if self._fsync:
            _fsync_dir(path.parent)
