"""The S3-compatible blob store (MinIO, Ceph RGW, a cloud): objects keyed ``sha256/<digest>``.

Write path, one pass: the source is read through a ``HashingReader`` straight into boto3's
``upload_fileobj`` (multipart above ``multipart_threshold``, every part carrying a SHA-256
checksum the server checks) under a temporary key ``tmp/<uuid>``, because the digest — the
final key — is known only at the end. Then:

1. a HEAD on ``sha256/<digest>``: if it exists the temporary object is purged, ``created=False``;
2. otherwise a server-side copy to the final key, with ``IfNoneMatch='*'`` (a conditional write:
   a concurrent writer of the same bytes gets 412, which is reported as ``created=False``), with
   ``ChecksumAlgorithm='SHA256'`` and, when the bucket has Object Lock enabled, the retention
   mode and a retain-until date. Objects above ``copy_limit`` (5 GiB, the CopyObject limit) use
   boto3's multipart copy, which has no conditional form: two writers racing past the HEAD both
   copy the *same bytes*, so the worst case is one extra object version, never different content;
3. every version of the temporary key is deleted (in a versioned bucket a plain DELETE would
   only hide it behind a delete marker).

A temporary object left by a killed process never appears under ``sha256/``; a lifecycle rule
expiring ``tmp/`` after a day cleans them up (docs/decisions/0007). The bucket must not have a
*default* retention, or temporary objects would be locked too.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from lawtrail.adapters.storage.base import (
    ByteSource,
    HashingReader,
    RangeReader,
    StoredBlob,
    check_digest,
    check_expected,
    clip_range,
    digest_mismatch,
    digest_of,
    empty_refused,
    is_digest,
    not_found,
    retention_locked,
)
from lawtrail.errors import IntegrityError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef

MiB = 1024 * 1024
COPY_LIMIT = 5 * 1024 * MiB
_MISSING = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchVersion"})
LockMode = Literal["COMPLIANCE", "GOVERNANCE"]


def make_s3_client(endpoint_url: str | None, access_key: str | None = None, secret_key: str | None = None,
                   region: str | None = None) -> S3Client:
    """A boto3 S3 client; keys None = the default credential chain (env, profile, instance role)."""
    client: S3Client = boto3.client(
        "s3", endpoint_url=endpoint_url, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        region_name=region or "us-east-1",
    )
    return client


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3BlobStore:
    """``services.ports.BlobStore`` over one bucket of an S3-compatible store."""

    def __init__(self, client: S3Client, bucket: str, *, prefix: str = "", lock_mode: LockMode = "COMPLIANCE",
                 retain_days: int = 183, multipart_threshold: int = 64 * MiB, multipart_chunksize: int = 8 * MiB,
                 max_concurrency: int = 4, copy_limit: int = COPY_LIMIT) -> None:
        self._s3 = client
        self.bucket = bucket
        self._prefix = prefix
        self.lock_mode: LockMode = lock_mode
        self.retain_days = retain_days
        self._copy_limit = copy_limit
        self._transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                        multipart_chunksize=multipart_chunksize, max_concurrency=max_concurrency)
        # Chunks read from a non-seekable stream wait in memory for an upload thread; bound them.
        self._transfer.max_in_memory_upload_chunks = max_concurrency + 2
        self._lock: bool | None = None

    def key_of(self, sha256: str) -> str:
        return f"{self._prefix}sha256/{check_digest(sha256)}"

    # --- writing -----------------------------------------------------------------------------

    def object_lock_enabled(self) -> bool:
        """Whether the bucket has Object Lock enabled (asked once, then remembered)."""
        if self._lock is None:
            try:
                conf = self._s3.get_object_lock_configuration(Bucket=self.bucket)
                self._lock = conf.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
            except ClientError as exc:
                if "ObjectLockConfiguration" not in _code(exc) and _code(exc) not in _MISSING:
                    raise
                self._lock = False
        return self._lock

    def put_stream(self, source: Iterable[bytes] | ByteSource, *, expected_sha256: str | None = None,
                   max_bytes: int | None = None) -> StoredBlob:
        """Hash and store ``source`` in one pass; see ``services.ports.BlobStore.put_stream``."""
        expected = check_expected(expected_sha256)
        reader = HashingReader(source, max_bytes)
        tmp_key = f"{self._prefix}tmp/{uuid.uuid4().hex}"
        try:
            self._s3.upload_fileobj(reader, self.bucket, tmp_key,  # type: ignore[arg-type]  # read() suffices
                                    ExtraArgs={"ChecksumAlgorithm": "SHA256"}, Config=self._transfer)
            digest = reader.hexdigest()
            if reader.size == 0:
                raise empty_refused()
            if expected is not None and digest != expected:
                raise digest_mismatch(expected, digest)
            created = self._publish(tmp_key, digest, reader.size)
        finally:
            self._purge(tmp_key)
        return StoredBlob(sha256=digest, size=reader.size, created=created)

    def adopt_file(self, path: Path, *, sha256: str) -> StoredBlob:
        """Upload the complete file at ``path`` (hashed again on the way: a digest other than
        ``sha256`` raises ``vault.digest_mismatch``); see ``services.ports.BlobStore.adopt_file``.
        ``path`` is left in place."""
        digest = check_digest(sha256)
        if self.exists(digest):
            size = path.stat().st_size
            if size == 0:
                raise empty_refused()
            return StoredBlob(sha256=digest, size=size, created=False)
        with path.open("rb", buffering=0) as source:
            return self.put_stream(source, expected_sha256=digest)

    def _publish(self, tmp_key: str, digest: str, size: int) -> bool:
        """Copy the temporary object to its digest key unless that exists; True if created."""
        key = self.key_of(digest)
        if self.exists(digest):
            return False
        extra: dict[str, Any] = {"ChecksumAlgorithm": "SHA256"}
        if self.object_lock_enabled():
            extra["ObjectLockMode"] = self.lock_mode
            extra["ObjectLockRetainUntilDate"] = datetime.now(UTC) + timedelta(days=self.retain_days)
        source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": tmp_key}
        if size > self._copy_limit:
            self._s3.copy(source, self.bucket, key, ExtraArgs=extra, Config=self._transfer)
            if "ObjectLockMode" in extra and "ObjectLockMode" not in self._s3.head_object(Bucket=self.bucket, Key=key):
                self._retain(key, extra)  # the server dropped the lock headers of the multipart copy
            return True
        try:
            result = self._s3.copy_object(CopySource=source, Bucket=self.bucket, Key=key, IfNoneMatch="*", **extra)
        except ClientError as exc:
            if _code(exc) in {"PreconditionFailed", "412", "ConditionalRequestConflict"}:
                return False  # a concurrent writer stored the same bytes first
            if _code(exc) != "MissingUploadObjectWithObjectLockHeaders":
                raise
            # Some servers (moto) want a body checksum header even on a copy with retention:
            # copy first, then set the retention in a second call (a short unlocked window).
            lock = {k: extra.pop(k) for k in ("ObjectLockMode", "ObjectLockRetainUntilDate")}
            result = self._s3.copy_object(CopySource=source, Bucket=self.bucket, Key=key, IfNoneMatch="*", **extra)
            self._retain(key, lock)
        self._check_copy_checksum(result.get("CopyObjectResult", {}).get("ChecksumSHA256"), digest)
        return True

    def _retain(self, key: str, lock: dict[str, Any]) -> None:
        self._s3.put_object_retention(Bucket=self.bucket, Key=key, Retention={
            "Mode": lock["ObjectLockMode"], "RetainUntilDate": lock["ObjectLockRetainUntilDate"]})

    def _check_copy_checksum(self, checksum: str | None, digest: str) -> None:
        """The server's full-object SHA-256 of the copy, when it reports one, must be our digest."""
        if not checksum or "-" in checksum:  # absent, or a composite (multipart) checksum
            return
        if base64.b64decode(checksum).hex() != digest:
            raise IntegrityError(message_zh="对象存储计算的 SHA-256 与上传时计算的不一致",
                                 message_en="the object store's SHA-256 of the stored copy differs from ours",
                                 code="vault.digest_mismatch", details={"sha256": digest, "server": checksum})

    def _purge(self, key: str) -> None:
        """Delete every version (and delete marker) of ``key``; quietly nothing if absent."""
        paginator = self._s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                if item.get("Key") == key:
                    self._s3.delete_object(Bucket=self.bucket, Key=key, VersionId=item.get("VersionId", "null"))

    # --- reading -----------------------------------------------------------------------------

    def _get(self, sha256: str, **kwargs: Any) -> RangeReader:
        try:
            resp = self._s3.get_object(Bucket=self.bucket, Key=self.key_of(sha256), **kwargs)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise not_found(sha256) from None
            raise
        return RangeReader(resp["Body"], resp["ContentLength"])

    def open(self, sha256: str) -> RangeReader:
        """A streaming reader over the object (an HTTP response body); NotFound if absent."""
        return self._get(sha256)

    def open_range(self, sha256: str, start: int, end: int) -> RangeReader:
        """A ranged GET of bytes ``[start, end)``, ``end`` clipped to the size."""
        end = clip_range(start, end, self.size(sha256))
        return self._get(sha256, Range=f"bytes={start}-{end - 1}")

    def exists(self, sha256: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=self.key_of(sha256))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise
        return True

    def size(self, sha256: str) -> int:
        try:
            return self._s3.head_object(Bucket=self.bucket, Key=self.key_of(sha256))["ContentLength"]
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise not_found(sha256) from None
            raise

    def iter_digests(self) -> Iterator[str]:
        """Every object under ``sha256/`` whose name is a digest (tracked or not)."""
        prefix = f"{self._prefix}sha256/"
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                name = item.get("Key", "")[len(prefix):]
                if is_digest(name):
                    yield name

    def verify(self, sha256: str) -> bool:
        """Download and re-hash the current version in chunks; True if it still matches."""
        with self.open(sha256) as reader:
            return digest_of(reader) == sha256

    # --- disposal ----------------------------------------------------------------------------

    def dispose(self, sha256: str) -> None:
        """Delete every version of the object. The caller must hold a recorded, approved disposal;
        raise Conflict (``vault.retention_locked``, with the lock's end) while Object Lock
        retention still holds — checked first, so nothing is deleted then."""
        key = self.key_of(sha256)
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise not_found(sha256) from None
            raise
        until = head.get("ObjectLockRetainUntilDate")
        if until is not None and until > datetime.now(UTC):
            raise retention_locked(sha256, until.isoformat())
        try:
            self._purge(key)
        except ClientError as exc:
            if _code(exc) in {"AccessDenied", "ObjectLocked", "InvalidRequest"}:
                raise retention_locked(sha256) from exc
            raise
