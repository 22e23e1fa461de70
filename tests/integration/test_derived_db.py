"""Derived objects on SQLite and PostgreSQL with real ffmpeg: an HEVC clip and a PCM WAV ingested
through the vault get a browser-playable preview (H.264/AAC MP4, AAC) and a JPEG thumbnail,
stored write-once under their own digests; the rows are append-only; ``vault verify`` checks them
apart from the originals. Also the repositories this issue added (activities by device and time,
the list limited to ids). Decision 0019."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.transcode import FfmpegTranscoder
from lawtrail.domain.derived import DerivedKind, DerivedObject
from lawtrail.domain.events import Action
from lawtrail.domain.vault import MediaFilter
from lawtrail.errors import Conflict
from lawtrail.services import derived as svc
from lawtrail.services import vault, vault_verify
from lawtrail.services.activities import ActivityInput, create_activity
from tests.integration.media_fixtures import make_av, make_photos
from tests.integration.media_support import Vault, seed_vault
from tests.integration.support import Seed
from tests.unit.factories import T0


@pytest.fixture(scope="module")
def av(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("derived-media")
    return {**make_av(folder), **make_photos(folder)}


@pytest.fixture
def v(seed: Seed) -> Vault:
    return seed_vault(seed)


def ffprobe(path: Path) -> dict[str, str]:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name:format=format_name",
                          "-of", "json", str(path)], check=True, capture_output=True, text=True, timeout=30)
    data = json.loads(out.stdout)
    found = {s["codec_type"]: s["codec_name"] for s in data["streams"]}
    return {**found, "format": data["format"]["format_name"]}


def ingest(v: Vault, path: Path) -> uuid.UUID:
    c = v.seed.container
    result = vault.ingest_file(c.uow(), v.ctx(v.archivist), c.blobs, c.probe, path=path,
                               device_number=v.device_a.number)
    assert result.status == "stored" and result.media_id is not None
    return result.media_id


def test_an_hevc_clip_and_a_wav_get_browser_playable_previews_and_the_clip_a_thumbnail(
        v: Vault, av: dict[str, Path], tmp_path: Path) -> None:
    c = v.seed.container
    hevc, wav = ingest(v, av["hevc.mkv"]), ingest(v, av["pcm.wav"])
    with c.uow() as uow:
        stored = uow.media.get(hevc)
    assert stored is not None
    original = c.blobs.path_of(stored.sha256).read_bytes()  # type: ignore[attr-defined]
    made = svc.derive(c.uow(), v.ctx(v.archivist), c.blobs, FfmpegTranscoder(timeout_s=120), hevc)
    assert [d.kind for d in made] == [DerivedKind.PREVIEW, DerivedKind.THUMBNAIL]
    preview_path = c.blobs.path_of(made[0].sha256)  # type: ignore[attr-defined]
    assert ffprobe(preview_path) | {"format": ""} == {"video": "h264", "audio": "aac", "format": ""}
    assert "mp4" in ffprobe(preview_path)["format"] and made[0].content_type == "video/mp4"
    assert c.blobs.path_of(made[1].sha256).read_bytes()[:3] == b"\xff\xd8\xff"  # type: ignore[attr-defined]
    assert not os.access(preview_path, os.W_OK) or os.geteuid() == 0  # write-once, read-only
    (audio,) = svc.derive(c.uow(), v.ctx(v.archivist), c.blobs, FfmpegTranscoder(timeout_s=120), wav)
    assert ffprobe(c.blobs.path_of(audio.sha256))["audio"] == "aac" and audio.content_type == "audio/mp4"  # type: ignore[attr-defined]
    with c.uow() as uow:
        media = uow.media.get(hevc)
        assert media is not None
        assert c.blobs.path_of(media.sha256).read_bytes() == original  # type: ignore[attr-defined]
        events = uow.events.list(subject_type="media", subject_id=str(hevc), limit=10)
    assert [e.action for e in events][:2] == [Action.MEDIA_DERIVED_CREATE] * 2
    report = vault_verify.verify_vault(c.uow(), c.system_ctx(), c.blobs)
    assert report.clean and (report.checked, report.derived_checked) == (2, 3)


def test_photos_get_a_thumbnail_and_verify_catches_a_changed_derived_object(v: Vault, av: dict[str, Path]) -> None:
    c = v.seed.container
    photo = ingest(v, next(p for name, p in av.items() if name.endswith(".jpg")))
    (thumb,) = svc.derive(c.uow(), v.ctx(v.archivist), c.blobs, FfmpegTranscoder(timeout_s=120), photo)
    path = Path(c.blobs.path_of(thumb.sha256))  # type: ignore[attr-defined]
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    report = vault_verify.verify_vault(c.uow(), c.system_ctx(), c.blobs)
    assert report.problems == []
    assert [(p.sha256, p.kind) for p in report.derived_problems] == [(thumb.sha256, "changed")]


def test_a_second_object_of_the_same_kind_is_refused_and_rows_are_append_only(v: Vault) -> None:
    c = v.seed.container
    media = v.put()
    obj = DerivedObject(id=uuid.uuid4(), media_id=media.id, kind=DerivedKind.THUMBNAIL, sha256="a" * 64, size=3,
                            content_type="image/jpeg", tool="t", created_at=T0, created_by="系统")
    with c.uow() as uow:
        uow.derived.add(obj)
        uow.commit()
    with c.uow() as uow, pytest.raises(Conflict) as err:
        uow.derived.add(DerivedObject(**{**vars(obj), "id": uuid.uuid4(), "sha256": "b" * 64}))
    assert err.value.code == "derived.exists"
    with c.uow() as uow:
        assert uow.derived.for_media([media.id]) == {media.id: {DerivedKind.THUMBNAIL: obj}}
        assert list(uow.derived.digests()) == [("a" * 64, 3, media.id, DerivedKind.THUMBNAIL)]
    for statement in ("UPDATE media_derived SET size = 4", "DELETE FROM media_derived"):
        with c.engine.connect() as conn, pytest.raises(DBAPIError):
            conn.execute(text(statement))


def test_activities_by_device_and_time_and_the_list_limited_to_ids(v: Vault) -> None:
    c = v.seed.container
    arrived = T0 - timedelta(hours=2)
    act = create_activity(c.uow(), v.ctx(v.officer_a), unit_id=v.seed.unit.id, data=ActivityInput(
        kind="onsite_inspection", title="检查某超市", place="某路1号", arrived_at=arrived,
        departed_at=arrived + timedelta(hours=1), officer_ids=[v.officer_a.id], device_ids=[v.device_a.id]))
    with c.uow() as uow:
        assert [a.id for a in uow.activities.for_device(v.device_a.id, arrived + timedelta(minutes=5))] == [act.id]
        assert uow.activities.for_device(v.device_b.id, arrived + timedelta(minutes=5)) == []
        assert uow.activities.for_device(v.device_a.id, arrived + timedelta(hours=2)) == []
    one, two = v.put(), v.put()
    with c.uow() as uow:
        rows, total = uow.media.search(MediaFilter(bureau_id=v.seed.bureau.id, media_ids=frozenset({two.id})))
        assert ([r.media.id for r in rows], total) == ([two.id], 1)
        assert uow.media.search(MediaFilter(bureau_id=v.seed.bureau.id, media_ids=frozenset()))[1] == 0
        walked = uow.media.recorded_after(None, 10)
        assert {one.id, two.id} <= {m.id for m in walked}
        assert uow.media.recorded_after((walked[-1].created_at, walked[-1].id), 10) == []


def test_the_background_worker_makes_what_is_missing_once(v: Vault, av: dict[str, Path]) -> None:
    from lawtrail.web.derived_runtime import Deriver

    c = v.seed.container
    c.transcoder = FfmpegTranscoder(timeout_s=120)
    ingest(v, av["h264_aac.mp4"])
    ingest(v, av["mjpeg.avi"])  # MJPEG + PCM in AVI: a preview and a thumbnail
    worker = Deriver(c, interval=3600)
    assert worker.tick() == 3
    assert worker.tick() == 0 and worker.cursor is not None
    ingest(v, av["aac.m4a"])  # plays as it is, and audio has no thumbnail: nothing to make
    assert worker.tick() == 0
