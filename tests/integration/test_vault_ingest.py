"""Ingest and vault verify on SQLite and PostgreSQL, with the real local blob store, the real
probe and real media made with ffmpeg (Art. 37, 40–42)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.storage import LocalBlobStore
from lawtrail.bootstrap import Container
from lawtrail.domain.events import Action
from lawtrail.errors import NotFound
from lawtrail.services import devices, vault, vault_verify
from tests.integration.media_fixtures import CREATION, make_av, make_photos
from tests.integration.support import Seed, row_counts

DEVICE = "JM-ZFJLY-001"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    return {**make_av(folder), **make_photos(folder)}


@pytest.fixture
def camera(seed: Seed) -> Seed:
    devices.create_device(seed.container.uow(), seed.ctx(), number=DEVICE, type="body_camera", unit_id=seed.unit.id)
    return seed


def ingest(seed: Seed, path: Path, **kw: object) -> vault.IngestResult:
    c = seed.container
    args: dict[str, object] = {"device_number": DEVICE} | kw
    return vault.ingest_file(c.uow(), seed.ctx(), c.blobs, c.probe, path=path, **args)  # type: ignore[arg-type]


def test_real_media_is_stored_with_its_facts_row_and_event(camera: Seed, media: dict[str, Path]) -> None:
    c = camera.container
    result = ingest(camera, media["h264_aac.mp4"])
    data = media["h264_aac.mp4"].read_bytes()
    assert (result.status, result.sha256, result.media_type) == ("stored", hashlib.sha256(data).hexdigest(), "video")
    assert result.duration_s == pytest.approx(2.0, abs=0.1)
    assert result.captured_at == datetime.fromisoformat(CREATION)
    assert isinstance(c.blobs, LocalBlobStore) and c.blobs.path_of(result.sha256).read_bytes() == data
    with c.uow() as uow:
        media_row = uow.media.by_sha256(result.sha256)
        assert media_row is not None and media_row.probe_ok and media_row.facts["video_codec"] == "h264"
        [reg] = uow.media.registrations(media_row.id)
        assert (reg.version, reg.device_number, reg.unit_name) == (1, DEVICE, camera.unit.name)
        [event] = uow.events.list(subject_type="media")
        assert (event.action, event.subject_id) == (Action.MEDIA_INGEST, str(media_row.id))
    photo = ingest(camera, media[next(n for n in media if n.endswith(".jpg"))])
    assert (photo.status, photo.media_type) == ("stored", "photo")


def test_the_same_file_twice_is_one_row(camera: Seed, media: dict[str, Path], tmp_path: Path) -> None:
    first = ingest(camera, media["pcm.wav"])
    copy = tmp_path / "copy.wav"
    shutil.copyfile(media["pcm.wav"], copy)
    counts = row_counts(camera.container.engine)
    again = ingest(camera, copy)
    assert (again.status, again.sha256) == ("duplicate", first.sha256)
    assert row_counts(camera.container.engine) == counts


def test_symlink_zero_bytes_and_unknown_device_write_nothing(camera: Seed, media: dict[str, Path],
                                                             tmp_path: Path) -> None:
    link = tmp_path / "link.mp4"
    link.symlink_to(media["h264_aac.mp4"])
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    counts = row_counts(camera.container.engine)
    assert ingest(camera, link).status == "refused"
    assert ingest(camera, empty).status == "refused"
    with pytest.raises(NotFound) as info:
        ingest(camera, media["pcm.wav"], device_number="NO-SUCH-1")
    assert info.value.code == "device.not_found"
    assert row_counts(camera.container.engine) == counts
    assert list(camera.container.blobs.iter_digests()) == []


def test_unprobeable_bytes_are_kept(camera: Seed, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 10)
    result = ingest(camera, junk)
    assert (result.status, result.media_type) == ("stored", "unknown")


def test_crash_between_blob_and_row_then_rerun_completes(camera: Seed, media: dict[str, Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    c = camera.container

    def killed(*_args: object) -> None:
        raise KeyboardInterrupt  # what a killed process looks like from here: nothing after this point

    with monkeypatch.context() as patch:
        patch.setattr(vault, "_record_many", killed)
        with pytest.raises(KeyboardInterrupt):
            ingest(camera, media["aac.m4a"])
    digest = hashlib.sha256(media["aac.m4a"].read_bytes()).hexdigest()
    report = vault_verify.verify_vault(c.uow(), camera.ctx(), c.blobs)
    assert [(p.sha256, p.kind) for p in report.problems] == [(digest, "untracked")]
    assert ingest(camera, media["aac.m4a"]).status == "stored"
    assert vault_verify.verify_vault(c.uow(), camera.ctx(), c.blobs).clean


def test_verify_finds_changed_and_missing_originals(camera: Seed, media: dict[str, Path]) -> None:
    c = camera.container
    a = ingest(camera, media["mp3.mp3"]).sha256
    b = ingest(camera, media["pcm.wav"]).sha256
    assert a and b and isinstance(c.blobs, LocalBlobStore)
    path = c.blobs.path_of(a)
    path.chmod(0o644)
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0xFF
    path.write_bytes(bytes(raw))
    c.blobs.path_of(b).unlink()
    report = vault_verify.verify_vault(c.uow(), camera.ctx(), c.blobs)
    assert sorted((p.sha256, p.kind) for p in report.problems) == sorted([(a, "changed"), (b, "missing")])


def test_media_rows_and_registrations_are_append_only(camera: Seed, media: dict[str, Path]) -> None:
    ingest(camera, media["pcm.wav"])
    for statement in ("UPDATE media SET size = 1", "DELETE FROM media",
                      "UPDATE media_registrations SET party = 'x'", "DELETE FROM media_registrations"):
        with camera.container.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))


def test_container_wires_the_local_store_under_the_data_folder(container: Container) -> None:
    assert isinstance(container.blobs, LocalBlobStore)
    assert container.blobs.root == container.settings.data_dir / "vault"


def test_storage_settings_choose_the_backend(tmp_path: Path) -> None:
    from lawtrail.adapters.storage.s3 import S3BlobStore
    from lawtrail.bootstrap import blob_store_from
    from lawtrail.config import load_settings
    from lawtrail.errors import ConfigurationError

    local = blob_store_from(load_settings(data_dir=tmp_path, demo=True, storage_dir=tmp_path / "elsewhere"))
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "elsewhere"
    with pytest.raises(ConfigurationError):
        blob_store_from(load_settings(data_dir=tmp_path, demo=True, storage="s3"))
    s3 = blob_store_from(load_settings(data_dir=tmp_path, demo=True, storage="s3", s3_bucket="originals",
                                       s3_endpoint="http://127.0.0.1:9", s3_access_key="k", s3_secret_key="s",
                                       s3_prefix="jm/", s3_retain_days=200))
    assert isinstance(s3, S3BlobStore) and (s3.bucket, s3.retain_days, s3.lock_mode) == ("originals", 200, "COMPLIANCE")
