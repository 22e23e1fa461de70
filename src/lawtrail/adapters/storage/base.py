"""Helpers shared by the blob-store backends: digest checks, errors, chunking, hashing readers.

The contract lives in ``lawtrail.services.ports.BlobStore``; both backends follow it and the
contract tests in ``tests/integration/blobstore_contract.py`` hold them to it.
"""

from __future__ import annotations

import errno
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from lawtrail.errors import (
    Conflict,
    FieldProblem,
    IntegrityError,
    NotFound,
    PayloadTooLarge,
    StorageFull,
    ValidationFailed,
)

CHUNK = 4 * 1024 * 1024  # 4 MiB: large enough for hashlib/OpenSSL and write() to run at full speed
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """What ``put_stream`` stored (satisfies ``services.ports.StoredBlob``)."""

    sha256: str
    size: int
    created: bool


class ByteSource(Protocol):
    """Anything with ``read(n)`` (an open file, an upload stream); same as the port's."""

    def read(self, size: int = -1, /) -> bytes: ...


class ByteSourceCloser(ByteSource, Protocol):
    def close(self) -> None: ...


class _Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...
    def hexdigest(self) -> str: ...


def is_digest(value: str) -> bool:
    return bool(_HEX64.fullmatch(value))


def check_digest(value: str, field: str = "sha256") -> str:
    """Return ``value`` if it is 64 lower-case hex characters; raise ValidationFailed otherwise.

    Every backend calls this before the digest touches a path or a key (no traversal)."""
    if not is_digest(value):
        raise ValidationFailed(
            message_zh="SHA-256 摘要格式不正确（应为 64 位小写十六进制）",
            message_en="a SHA-256 digest must be 64 lower-case hex characters",
            code="vault.bad_digest",
            problems=[FieldProblem(field, "摘要格式不正确", "malformed digest")],
            details={"value": value[:80]},
        )
    return value


def digest_of(reader: ByteSource) -> str:
    """SHA-256 hex of everything ``reader`` yields, read in CHUNK blocks (constant memory)."""
    h = hashlib.sha256()
    while block := reader.read(CHUNK):
        h.update(block)
    return h.hexdigest()


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in _FULL_ERRNOS


def not_found(sha256: str) -> NotFound:
    return NotFound(message_zh=f"存储中没有该原始文件：{sha256}", message_en=f"no stored object {sha256}",
                    code="vault.not_found", details={"sha256": sha256})


def empty_refused() -> ValidationFailed:
    return ValidationFailed(message_zh="文件为空（0 字节），不予保存",
                            message_en="the file is empty (0 bytes); not stored", code="vault.empty",
                            problems=[FieldProblem("file", "文件为空", "empty file")])


def too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(message_zh=f"文件超过上限 {max_bytes} 字节，未保存",
                           message_en=f"the file exceeds the limit of {max_bytes} bytes; not stored",
                           code="vault.too_large", details={"max_bytes": max_bytes})


def digest_mismatch(expected: str, actual: str) -> IntegrityError:
    return IntegrityError(message_zh="文件内容与声明的 SHA-256 摘要不符，未保存",
                          message_en="the bytes do not match the claimed SHA-256 digest; not stored",
                          code="vault.digest_mismatch", details={"expected": expected, "actual": actual})


def disk_full(where: str) -> StorageFull:
    return StorageFull(message_zh="存储空间已满，文件未保存（未留下任何部分文件）",
                       message_en="the store is out of space; the file was not stored and nothing partial was kept",
                       code="vault.disk_full", details={"where": where})


def retention_locked(sha256: str, until: str | None = None) -> Conflict:
    """The object store refuses the deletion: its Object Lock retention (until ``until``) holds."""
    when_zh = f"（锁定至 {until}）" if until else ""
    when_en = f" (locked until {until})" if until else ""
    return Conflict(message_zh=f"对象存储的保存期锁定（Object Lock）尚未届满{when_zh}，"
                               "字节未删除；届满后请重新执行销毁",
                    message_en=f"the object store's Object Lock retention has not ended{when_en}; the bytes were "
                               "not deleted; carry out the disposal again once it ends",
                    code="vault.retention_locked", details={"sha256": sha256, "locked_until": until})


def bad_range(start: int, end: int, size: int) -> ValidationFailed:
    return ValidationFailed(message_zh="请求的字节范围无效",
                            message_en=f"invalid byte range [{start}, {end}) of {size}", code="vault.bad_range",
                            details={"start": start, "end": end, "size": size})


def clip_range(start: int, end: int, size: int) -> int:
    """Return ``end`` clipped to ``size``; raise ValidationFailed for an unsatisfiable range."""
    if start < 0 or start >= size or end <= start:
        raise bad_range(start, end, size)
    return min(end, size)


def iter_chunks(source: Iterable[bytes] | ByteSource, chunk: int = CHUNK) -> Iterator[bytes]:
    """The source's bytes as chunks, without ever holding more than one chunk.

    A file object is read by ``read(chunk)`` — never iterated, which would split on b"\\n"."""
    read = getattr(source, "read", None)
    if read is not None:
        while block := read(chunk):
            yield block
        return
    assert not isinstance(source, bytes | bytearray | str), "pass an iterable of chunks or a file, not bytes"
    for block in source:  # type: ignore[union-attr]  # not a ByteSource here: no read()
        if block:
            yield block


def check_expected(expected: str | None) -> str | None:
    return None if expected is None else check_digest(expected.lower(), "expected_sha256")


class HashingReader:
    """A non-seekable ``read(n)`` over the source that hashes, counts and enforces the limit.

    It is what the S3 backend hands to ``upload_fileobj``: being non-seekable makes s3transfer
    read it strictly in order, so the hash is over the bytes in the order they are uploaded."""

    def __init__(self, source: Iterable[bytes] | ByteSource, max_bytes: int | None) -> None:
        self._chunks = iter_chunks(source)
        self._pending = memoryview(b"")
        self._hash: _Hasher = hashlib.sha256()
        self._max = max_bytes
        self.size = 0

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; fewer only at the end (s3transfer treats a short read as EOF)."""
        if size is None or size < 0:
            size = CHUNK
        out = bytearray()
        while len(out) < size:
            if not self._pending:
                block = next(self._chunks, b"")
                if not block:
                    break
                self._count(block)
                self._pending = memoryview(block)
            take = size - len(out)
            out += self._pending[:take]
            self._pending = self._pending[take:]
        return bytes(out)

    def _count(self, block: bytes) -> None:
        self.size += len(block)
        if self._max is not None and self.size > self._max:
            raise too_large(self._max)
        self._hash.update(block)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class RangeReader:
    """A reader over ``length`` bytes of an open binary file, starting at its current position."""

    def __init__(self, fileobj: ByteSourceCloser, length: int) -> None:
        self._f = fileobj
        self._left = length

    def read(self, size: int = -1, /) -> bytes:
        if self._left <= 0:
            return b""
        want = self._left if size is None or size < 0 else min(size, self._left)
        data = self._f.read(want)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
