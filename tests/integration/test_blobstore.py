"""The blob-store contract, run against every backend: a local folder, S3 over real HTTP against
moto's server, and any S3-compatible endpoint named by ``LAWTRAIL_TEST_S3_*`` (MinIO, Ceph RGW).

Set ``LAWTRAIL_TEST_S3_ENDPOINT``, ``LAWTRAIL_TEST_S3_BUCKET``, ``LAWTRAIL_TEST_S3_ACCESS_KEY``,
``LAWTRAIL_TEST_S3_SECRET_KEY`` (optional ``LAWTRAIL_TEST_S3_REGION``) to run the third; each
test writes under its own prefix in that bucket and removes what it can afterwards.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from lawtrail.adapters.storage import local as local_mod
from lawtrail.adapters.storage.base import StorageFull
from lawtrail.adapters.storage.s3 import S3BlobStore, make_s3_client
from lawtrail.errors import Conflict, IntegrityError, NotFound, PayloadTooLarge, ValidationFailed
from lawtrail.services.ports import BlobStore
from tests.integration.blobstore_contract import (
    Backend,
    LocalBackend,
    MiB,
    S3Backend,
    check_adopt_file,
    digest_of,
    payload_chunks,
    unique_prefix,
    write_part,
)

ENV = "LAWTRAIL_TEST_S3_"


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 in server mode on a free port: real HTTP, real botocore signing and parsing."""
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def moto_client(moto_endpoint: str) -> Any:
    return make_s3_client(moto_endpoint, "testing", "testing")


def _new_bucket(client: Any, *, lock: bool = False) -> str:
    name = f"lawtrail-{uuid.uuid4().hex[:16]}"
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock)
    return name


def _env_backend() -> S3Backend:
    missing = [v for v in ("ENDPOINT", "BUCKET", "ACCESS_KEY", "SECRET_KEY") if not os.environ.get(ENV + v)]
    if missing:
        pytest.skip(f"set {', '.join(ENV + v for v in missing)} to run the contract against a real S3 endpoint")
    client = make_s3_client(os.environ[ENV + "ENDPOINT"], os.environ[ENV + "ACCESS_KEY"],
                            os.environ[ENV + "SECRET_KEY"], os.environ.get(ENV + "REGION"))
    return S3Backend(client, os.environ[ENV + "BUCKET"], prefix=unique_prefix(), name="env")


@pytest.fixture(params=["local", "moto", "env"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        yield LocalBackend(tmp_path / "vault")
        return
    if request.param == "moto":
        client = request.getfixturevalue("moto_client")
        yield S3Backend(client, _new_bucket(client), name="moto")
        return
    env = _env_backend()
    yield env
    env.cleanup()


@pytest.fixture
def store(backend: Backend) -> BlobStore:
    checked: BlobStore = backend.store  # both backends satisfy the port (checked by mypy too)
    return checked


# --- the contract -----------------------------------------------------------------------------


def _read_all_hash(store: BlobStore, sha256: str) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    with store.open(sha256) as f:
        while block := f.read(MiB):
            h.update(block)
            n += len(block)
    return h.hexdigest(), n


def test_round_trip_streams_a_multi_mib_file(backend: Backend, store: BlobStore) -> None:
    size = 9 * MiB + 123
    blob = store.put_stream(payload_chunks(size))
    assert (blob.sha256, blob.size, blob.created) == (digest_of(size), size, True)
    assert store.exists(blob.sha256) and store.size(blob.sha256) == size
    assert _read_all_hash(store, blob.sha256) == (blob.sha256, size)
    assert store.verify(blob.sha256)
    assert list(store.iter_digests()) == [blob.sha256]
    assert backend.leftovers() == []


def test_a_file_object_is_read_in_blocks_not_lines(backend: Backend, store: BlobStore) -> None:
    data = b"line\n" * 100_000 + b"\x00tail"
    blob = store.put_stream(io.BytesIO(data), expected_sha256=hashlib.sha256(data).hexdigest().upper())
    assert blob.size == len(data) and blob.created
    with store.open(blob.sha256) as f:
        assert f.read() == data  # small object: reading it whole in the test is fine


def test_the_same_bytes_twice_are_recognised_not_stored_twice(backend: Backend, store: BlobStore) -> None:
    first = store.put_stream(payload_chunks(2 * MiB, seed=1))
    second = store.put_stream(payload_chunks(2 * MiB, seed=1, chunk=300_000))  # other chunking, same bytes
    assert first.created and not second.created
    assert (second.sha256, second.size) == (first.sha256, first.size)
    assert backend.object_count() == 1 and backend.leftovers() == []


def test_a_claimed_digest_that_does_not_match_stores_nothing(backend: Backend, store: BlobStore) -> None:
    claimed = digest_of(MiB, seed=2)
    with pytest.raises(IntegrityError) as err:
        store.put_stream(payload_chunks(MiB, seed=3), expected_sha256=claimed)
    assert err.value.code == "vault.digest_mismatch" and err.value.message_zh and err.value.message_en
    assert err.value.details["expected"] == claimed
    assert not store.exists(claimed) and not store.exists(digest_of(MiB, seed=3))
    assert backend.object_count() == 0 and backend.leftovers() == []


@pytest.mark.parametrize("source", [[], [b"", b""], io.BytesIO(b"")], ids=["no-chunks", "empty-chunks", "empty-file"])
def test_zero_bytes_are_refused(backend: Backend, store: BlobStore, source: Any) -> None:
    with pytest.raises(ValidationFailed) as err:
        store.put_stream(source)
    assert err.value.code == "vault.empty"
    assert backend.object_count() == 0 and backend.leftovers() == []


def test_max_bytes_is_enforced_and_nothing_is_left(backend: Backend, store: BlobStore) -> None:
    with pytest.raises(PayloadTooLarge) as err:
        store.put_stream(payload_chunks(3 * MiB), max_bytes=2 * MiB)
    assert err.value.code == "vault.too_large"
    assert backend.object_count() == 0 and backend.leftovers() == []
    assert store.put_stream(payload_chunks(2 * MiB), max_bytes=2 * MiB).size == 2 * MiB  # the limit itself is fine


def test_a_broken_source_mid_stream_leaves_nothing(backend: Backend, store: BlobStore) -> None:
    def killed_upload() -> Iterator[bytes]:
        yield from payload_chunks(2 * MiB)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.put_stream(killed_upload())
    assert backend.object_count() == 0 and backend.leftovers() == []


def test_ranged_reads(backend: Backend, store: BlobStore) -> None:
    data = bytes(range(256)) * 40  # 10240 bytes
    sha = store.put_stream([data[:5000], data[5000:]]).sha256
    for start, end in [(0, 1), (0, 10240), (100, 5100), (10239, 10240), (4000, 99_999)]:
        with store.open_range(sha, start, end) as r:
            assert r.read() == data[start:end], (start, end)
    with store.open_range(sha, 10, 20) as r:
        assert r.read(4) + r.read(100) + r.read(1) == data[10:20]
    for start, end in [(-1, 5), (10240, 10241), (50, 50), (60, 50)]:
        with pytest.raises(ValidationFailed) as err:
            store.open_range(sha, start, end)
        assert err.value.code == "vault.bad_range"


def test_verify_catches_a_flipped_byte(backend: Backend, store: BlobStore) -> None:
    sha = store.put_stream(payload_chunks(3 * MiB, seed=4)).sha256
    other = store.put_stream(payload_chunks(MiB, seed=5)).sha256
    assert store.verify(sha) and store.verify(other)
    backend.flip_byte(sha, 2 * MiB + 17)
    assert not store.verify(sha)
    assert store.verify(other)


def test_iter_digests_finds_an_untracked_object(backend: Backend, store: BlobStore) -> None:
    tracked = store.put_stream([b"tracked evidence"]).sha256
    untracked = backend.plant(b"dropped in behind the application's back")
    assert sorted(store.iter_digests()) == sorted([tracked, untracked])


def test_missing_objects_and_malformed_digests(store: BlobStore) -> None:
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(absent)
    for call in (store.open, store.size, store.verify, store.dispose):
        with pytest.raises(NotFound) as err:
            call(absent)
        assert err.value.code == "vault.not_found"
    for bad in ("../../etc/passwd", absent.upper(), absent[:-1], ""):
        with pytest.raises(ValidationFailed) as verr:
            store.exists(bad)
        assert verr.value.code == "vault.bad_digest"
    with pytest.raises(ValidationFailed):
        store.put_stream([b"x"], expected_sha256="not-a-digest")


def test_disposal_removes_the_bytes(backend: Backend, store: BlobStore) -> None:
    sha = store.put_stream([b"retention expired; disposal approved"]).sha256
    keep = store.put_stream([b"still kept"]).sha256
    store.dispose(sha)
    assert not store.exists(sha) and store.exists(keep)
    assert list(store.iter_digests()) == [keep]


def test_concurrent_puts_of_the_same_bytes_create_one_object(tmp_path: Path) -> None:
    store = LocalBackend(tmp_path / "vault").store
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.put_stream(payload_chunks(MiB, seed=12)), range(8)))
    assert sum(r.created for r in results) == 1 and {r.sha256 for r in results} == {digest_of(MiB, seed=12)}
    assert os.listdir(tmp_path / "vault" / "tmp") == []


# --- local only ----------------------------------------------------------------------------------


def test_local_objects_are_read_only_and_sharded(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "vault")
    sha = backend.store.put_stream([b"original"]).sha256
    path = backend.store.path_of(sha)
    assert path == tmp_path / "vault" / "sha256" / sha[:2] / sha[2:4] / sha
    assert backend.mode_of(sha) == 0o444
    assert not backend.store.put_stream([b"original"]).created
    assert path.read_bytes() == b"original"


def test_an_existing_object_is_never_overwritten(tmp_path: Path) -> None:
    """Even when the stored copy was damaged, a new put of the true bytes does not replace it:
    the store never modifies an object; ``verify`` reports the damage."""
    backend = LocalBackend(tmp_path / "vault")
    sha = backend.store.put_stream([b"abcdef"]).sha256
    backend.flip_byte(sha, 0)
    inode = backend.store.path_of(sha).stat().st_ino
    assert not backend.store.put_stream([b"abcdef"]).created
    assert backend.store.path_of(sha).stat().st_ino == inode and not backend.store.verify(sha)


def test_a_full_disk_mid_write_leaves_no_temp_and_no_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = LocalBackend(tmp_path / "vault")
    real_write, calls = local_mod._write_all, [0]

    def filling_disk(fd: int, data: bytes | memoryview) -> None:
        calls[0] += 1
        if calls[0] == 3:
            real_write(fd, memoryview(data)[:1000])  # part of the chunk lands, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(fd, data)

    monkeypatch.setattr(local_mod, "_write_all", filling_disk)
    with pytest.raises(StorageFull) as err:
        backend.store.put_stream(payload_chunks(20 * MiB), expected_sha256=digest_of(20 * MiB))
    assert err.value.code == "vault.disk_full" and calls[0] == 3
    assert backend.leftovers() == [] and backend.object_count() == 0
    monkeypatch.setattr(local_mod, "_write_all", real_write)
    assert backend.store.put_stream(payload_chunks(20 * MiB)).created  # space is back: it works


def test_sweep_temp_removes_what_a_killed_writer_left(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "vault")
    stale = tmp_path / "vault" / "tmp" / "put-killed.part"
    stale.write_bytes(b"half a video")
    os.utime(stale, (0, 0))
    fresh = tmp_path / "vault" / "tmp" / "put-running.part"
    fresh.write_bytes(b"being written")
    assert backend.store.sweep_temp(older_than_s=3600) == 1
    assert backend.leftovers() == ["put-running.part"]
    assert list(backend.store.iter_digests()) == []


# --- S3 only (moto over HTTP) -------------------------------------------------------------------


def _count_calls(client: Any, operation: str) -> list[int]:
    seen = [0]

    def hook(**_: Any) -> None:
        seen[0] += 1

    client.meta.events.register(f"before-call.s3.{operation}", hook)
    return seen


def test_s3_multipart_upload_and_multipart_copy(moto_client: Any) -> None:
    bucket = _new_bucket(moto_client)
    backend = S3Backend(moto_client, bucket, options={
        "multipart_threshold": 5 * MiB, "multipart_chunksize": 5 * MiB, "copy_limit": 6 * MiB})
    uploads = _count_calls(moto_client, "CreateMultipartUpload")
    parts = _count_calls(moto_client, "UploadPart")
    part_copies = _count_calls(moto_client, "UploadPartCopy")
    size = 12 * MiB + 5
    blob = backend.store.put_stream(payload_chunks(size, seed=9))
    assert blob.sha256 == digest_of(size, seed=9) and blob.created
    assert uploads[0] == 2 and parts[0] == 3 and part_copies[0] >= 2  # upload to tmp/, then copy in parts
    assert backend.store.verify(blob.sha256) and backend.store.size(blob.sha256) == size
    assert backend.leftovers() == [] and backend.object_count() == 1
    assert not backend.store.put_stream(payload_chunks(size, seed=9)).created


def test_s3_single_copy_is_conditional_and_checksummed(moto_client: Any) -> None:
    bucket = _new_bucket(moto_client)
    store = S3BlobStore(moto_client, bucket)
    copies: list[dict[str, Any]] = []
    moto_client.meta.events.register("before-parameter-build.s3.CopyObject", lambda params, **_: copies.append(params))
    sha = store.put_stream([b"small clip"]).sha256
    assert copies and copies[0]["IfNoneMatch"] == "*" and copies[0]["ChecksumAlgorithm"] == "SHA256"
    assert "ObjectLockMode" not in copies[0]  # this bucket has no Object Lock
    assert store.exists(sha) and not store.object_lock_enabled()


@pytest.mark.parametrize("size", [MiB, 12 * MiB], ids=["single-copy", "multipart-copy"])
def test_s3_object_lock_retention_is_set_when_the_bucket_supports_it(moto_client: Any, size: int) -> None:
    bucket = _new_bucket(moto_client, lock=True)
    backend = S3Backend(moto_client, bucket, options={
        "lock_mode": "COMPLIANCE", "retain_days": 200, "multipart_threshold": 5 * MiB,
        "multipart_chunksize": 5 * MiB, "copy_limit": 6 * MiB})
    blob = backend.store.put_stream(payload_chunks(size, seed=11))
    assert backend.store.object_lock_enabled()
    # HEAD, not GetObjectRetention: moto 5.2.5's server answers that one with a 500.
    head = moto_client.head_object(Bucket=bucket, Key=backend.store.key_of(blob.sha256))
    assert head["ObjectLockMode"] == "COMPLIANCE"
    until = head["ObjectLockRetainUntilDate"]
    expected = datetime.now(UTC) + timedelta(days=200)
    assert abs((until - expected).total_seconds()) < 3600
    assert backend.leftovers() == []  # the temporary object carried no retention and is gone
    with pytest.raises(Conflict) as err:
        backend.store.dispose(blob.sha256)
    assert err.value.code == "vault.retention_locked"
    assert "Object Lock" in err.value.message_en and err.value.details["locked_until"][:10] == f"{until:%Y-%m-%d}"
    assert backend.store.verify(blob.sha256)


def test_starting_up_sweeps_partial_files_older_than_a_day(tmp_path: Path) -> None:
    from lawtrail.bootstrap import blob_store_from
    from lawtrail.config import load_settings

    settings = load_settings(data_dir=tmp_path, demo=True)
    blob_store_from(settings)  # creates the folders
    tmp_dir = settings.vault_dir / "tmp"
    old, fresh = tmp_dir / "put-old.part", tmp_dir / "put-fresh.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    blob_store_from(settings)
    assert not old.exists() and fresh.exists()


def test_adopt_file_takes_a_complete_upload_in_without_copying_where_it_can(backend: Backend,
                                                                            tmp_path: Path) -> None:
    check_adopt_file(backend, tmp_path / "uploads")


def test_local_adopt_file_links_the_part_read_only_instead_of_copying(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "vault")
    part = write_part(tmp_path / "uploads", 3 * MiB)
    blob = backend.store.adopt_file(part, sha256=digest_of(3 * MiB))
    stored = backend.store.path_of(blob.sha256)
    assert os.path.samefile(part, stored), "a hard link, not a second copy"
    assert backend.mode_of(blob.sha256) == 0o444 and backend.leftovers() == []


def test_local_adopt_file_across_file_systems_copies_and_checks_the_digest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = LocalBackend(tmp_path / "vault")
    part = write_part(tmp_path / "uploads", MiB + 1)

    def no_link(*_args: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(local_mod.os, "link", no_link)
    with pytest.raises(IntegrityError):
        backend.store.adopt_file(part, sha256=digest_of(MiB + 1, seed=8))  # a wrong claim is caught by the copy
    assert backend.object_count() == 0 and backend.leftovers() == []
    monkeypatch.undo()
    monkeypatch.setattr(local_mod.os, "link", no_link)
    blob = backend.store.adopt_file(part, sha256=digest_of(MiB + 1))
    assert blob.created and backend.store.verify(blob.sha256)
