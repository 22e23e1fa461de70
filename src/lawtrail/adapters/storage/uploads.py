"""Where resumable uploads wait until complete: ``<data-dir>/uploads/<id>/`` (``services.ports.UploadStaging``).

Each upload is a folder with ``info.json`` (written once at creation), ``data.part`` (the bytes
received so far: its size is the upload's offset) and, once finalised, ``result.json``.

The bytes are hashed as they arrive: a per-process cache keeps the SHA-256 state of every part
file this process appended to, with the offset it covers. When the cache does not match the
file (after a restart, or when another worker process took the previous PATCH), the state is
rebuilt by reading the part file once. An append holds an exclusive ``flock`` on the part file,
so two PATCHes of one upload never interleave (the second gets Conflict ``upload.busy``).
Every append is fsynced before its new offset is reported.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from lawtrail.adapters.storage.base import CHUNK, disk_full, is_disk_full
from lawtrail.domain.uploads import offset_mismatch, parse_upload_id, room_left, upload_not_found
from lawtrail.errors import Conflict

PART = "data.part"
INFO = "info.json"
RESULT = "result.json"


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` atomically (temp name, fsync, rename)."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class _HashState:
    __slots__ = ("hasher", "offset")

    def __init__(self, hasher: Any, offset: int) -> None:
        self.hasher = hasher
        self.offset = offset


class Appender:
    """Appends to one part file under an exclusive lock, hashing each block as it is written.

    ``close()`` fsyncs, stores the hash state for the next PATCH and returns the new offset."""

    def __init__(self, staging: LocalUploadStaging, upload_id: str, fd: int, state: _HashState, length: int) -> None:
        self._staging = staging
        self._id = upload_id
        self._fd = fd
        self._state = state
        self._length = length
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-hash")
        self._closed = False

    @property
    def offset(self) -> int:
        return self._state.offset

    def write(self, block: bytes) -> None:
        """Append ``block``; raise PayloadTooLarge (nothing written) past the declared length."""
        if not block:
            return
        start = self._state.offset
        room_left(start, self._length, len(block))
        # Hash in a helper thread while the block is written (both release the GIL).
        hashing = self._pool.submit(self._state.hasher.update, block)
        try:
            _write_all(self._fd, block)
        except OSError as exc:
            hashing.result()
            self._state.offset = -1  # the hash now covers bytes that were not all written: rebuild
            os.ftruncate(self._fd, start)  # never acknowledge a partly written block
            if is_disk_full(exc):
                raise disk_full(str(self._staging.root)) from exc
            raise
        hashing.result()
        self._state.offset += len(block)

    def close(self) -> int:
        """fsync what was appended, release the lock; return the offset now acknowledged."""
        if self._closed:
            return self._state.offset
        self._closed = True
        self._pool.shutdown()
        try:
            if self._staging.fsync:
                os.fsync(self._fd)
            size = os.fstat(self._fd).st_size
            if self._state.offset != size:  # a failed write: the cached hash is not the file's
                self._staging.forget(self._id)
            else:
                self._staging.remember(self._id, self._state)
            return size
        finally:
            os.close(self._fd)  # releases the flock

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class LocalUploadStaging:
    """``services.ports.UploadStaging`` over a local folder (normally ``<data-dir>/uploads``)."""

    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self.fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._hashes: dict[str, _HashState] = {}

    def _dir(self, upload_id: str) -> Path:
        return self.root / parse_upload_id(upload_id)

    def part_path(self, upload_id: str) -> Path:
        return self._dir(upload_id) / PART

    # --- lifecycle ------------------------------------------------------------------------------

    def create(self, upload_id: str, info: dict[str, Any]) -> None:
        """Make the folder, an empty part file and ``info.json`` (all fsynced)."""
        folder = self._dir(upload_id)
        try:
            folder.mkdir()
            (folder / PART).touch(exist_ok=False)
            _write_json(folder / INFO, info)
            if self.fsync:
                for path in (folder, self.root):
                    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            if is_disk_full(exc):
                raise disk_full(str(self.root)) from exc
            raise

    def info(self, upload_id: str) -> dict[str, Any]:
        """The creation record; raise NotFound (``upload.not_found``) for an unknown id."""
        try:
            data: dict[str, Any] = json.loads((self._dir(upload_id) / INFO).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise upload_not_found(upload_id) from None
        return data

    def acknowledged(self, upload_id: str) -> int:
        """Bytes received so far (the part file's size); 0 once finalised (the part is gone)."""
        try:
            return (self._dir(upload_id) / PART).stat().st_size
        except FileNotFoundError:
            return 0

    def open_append(self, upload_id: str, offset: int, length: int) -> Appender:
        """Lock the part file and return an appender positioned at ``offset``.

        Raise Conflict ``upload.busy`` while another PATCH holds the lock, Conflict
        ``upload.offset_mismatch`` when ``offset`` is not the bytes received."""
        try:
            fd = os.open(self._dir(upload_id) / PART, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            raise upload_not_found(upload_id) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Conflict("该文件正在上传中（另一个连接），请稍后重试",
                               "another request is uploading to this file; retry shortly",
                               code="upload.busy") from None
            size = os.fstat(fd).st_size
            if offset != size:
                raise offset_mismatch(offset, size)
            state = self._state_for(upload_id, size)
        except BaseException:
            os.close(fd)
            raise
        return Appender(self, upload_id, fd, state, length)

    def digest(self, upload_id: str) -> str:
        """SHA-256 (hex) of the whole part file: the cached state when it covers the file, else
        one read of the file."""
        size = self.acknowledged(upload_id)
        return str(self._state_for(upload_id, size).hasher.copy().hexdigest())

    def finish(self, upload_id: str, result: dict[str, Any]) -> None:
        """Record the outcome and drop the part file (its bytes are stored, or refused)."""
        folder = self._dir(upload_id)
        _write_json(folder / RESULT, result)
        (folder / PART).unlink(missing_ok=True)
        self.forget(upload_id)

    def result(self, upload_id: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((self._dir(upload_id) / RESULT).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return data

    def remove(self, upload_id: str) -> None:
        """Delete the upload's folder (termination, or a refused upload)."""
        self.forget(upload_id)
        shutil.rmtree(self._dir(upload_id), ignore_errors=True)

    def sweep(self, older_than_s: float) -> int:
        """Remove uploads untouched for ``older_than_s`` seconds (their newest file's mtime); return how many."""
        cutoff = time.time() - older_than_s
        removed = 0
        for entry in os.scandir(self.root):
            if not entry.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(FileNotFoundError):
                newest = max((f.stat().st_mtime for f in os.scandir(entry.path)), default=entry.stat().st_mtime)
                if newest < cutoff:
                    self.forget(entry.name)
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed += 1
        return removed

    # --- the hash cache ------------------------------------------------------------------------

    def remember(self, upload_id: str, state: _HashState) -> None:
        with self._lock:
            self._hashes[upload_id] = state

    def forget(self, upload_id: str) -> None:
        with self._lock:
            self._hashes.pop(upload_id, None)

    def _state_for(self, upload_id: str, size: int) -> _HashState:
        """The hash state covering the first ``size`` bytes: cached, or rebuilt by one read."""
        with self._lock:
            cached = self._hashes.get(upload_id)
        if cached is not None and cached.offset == size:
            return _HashState(cached.hasher.copy(), size)
        hasher = hashlib.sha256()
        read = 0
        try:
            with (self._dir(upload_id) / PART).open("rb", buffering=0) as f:
                while read < size and (block := f.read(min(CHUNK, size - read))):
                    hasher.update(block)
                    read += len(block)
        except FileNotFoundError:
            raise upload_not_found(upload_id) from None
        if read != size:
            raise OSError(errno.EIO, f"part file of upload {upload_id} shrank while being read")
        self.rebuilt += 1
        return _HashState(hasher, size)

    rebuilt = 0  # how many times a hash state was rebuilt from disk (tests read it)
