"""Derived objects (previews, thumbnails) against the fakes: what is wanted, one row and one event
each, the original never touched, the worker's cursor, serving, and ``vault verify`` reporting
them apart (decision 0019)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lawtrail.domain import media_ticket
from lawtrail.domain.derived import DerivedKind, playable, wanted
from lawtrail.domain.events import Action
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import NotFound, PermissionDenied, ValidationFailed
from lawtrail.services import derived as svc
from lawtrail.services import media as media_svc
from lawtrail.services import vault_verify
from tests.unit.factories import T0, World, refused, system_ctx
from tests.unit.fakes import FakeBlobStore
from tests.unit.test_services_media import KEY, put_media

HEVC = {"duration_s": 12.0, "container": "matroska,webm", "video_codec": "hevc", "audio_codec": "opus"}
H264 = {"duration_s": 12.0, "container": "mov,mp4,m4a,3gp,3g2,mj2", "video_codec": "h264", "audio_codec": "aac"}
WAV = {"duration_s": 3.0, "container": "wav", "audio_codec": "pcm_s16le"}


class FakeTranscoder:
    """Writes recognisable bytes for each kind; ``fail`` makes every call fail; records calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[DerivedKind, MediaType, bytes]] = []
        self.fail = False

    def make(self, kind: DerivedKind, media_type: MediaType, source: Path, target_dir: Path,
             duration_s: float | None = None) -> tuple[Path, str, str]:
        data = source.read_bytes()
        self.calls.append((kind, media_type, data))
        if self.fail:
            raise ValidationFailed("无法生成", "cannot make it", code="derived.failed")
        out = target_dir / kind.value
        out.write_bytes(kind.value.encode() + hashlib.sha256(data).digest())
        ctype = "image/jpeg" if kind is DerivedKind.THUMBNAIL else "video/mp4"
        return out, ctype, f"fake {kind.value}"


@pytest.fixture
def blobs() -> FakeBlobStore:
    return FakeBlobStore()


@pytest.fixture
def tx() -> FakeTranscoder:
    return FakeTranscoder()


def clip(world: World, blobs: FakeBlobStore, facts: dict[str, Any], kind: MediaType = MediaType.VIDEO,
         created_at: datetime = T0, **over: Any) -> MediaRecord:
    media = put_media(world, blobs, kind=kind, **over)
    world.db.state.media[media.id] = replaced = replace(media, facts=facts, created_at=created_at)
    return replaced


def test_what_a_browser_plays_and_what_is_wanted() -> None:
    assert playable(MediaType.VIDEO, H264) and not playable(MediaType.VIDEO, HEVC)
    assert not playable(MediaType.AUDIO, WAV) and playable(MediaType.AUDIO, {"container": "mp3", "audio_codec": "mp3"})
    assert not playable(MediaType.VIDEO, {**H264, "container": "avi"})
    assert wanted(MediaType.VIDEO, HEVC, True) == (DerivedKind.PREVIEW, DerivedKind.THUMBNAIL)
    assert wanted(MediaType.VIDEO, H264, True) == (DerivedKind.THUMBNAIL,)
    assert wanted(MediaType.AUDIO, WAV, True) == (DerivedKind.PREVIEW,)
    assert wanted(MediaType.PHOTO, {"container": "JPEG"}, True) == (DerivedKind.THUMBNAIL,)
    assert wanted(MediaType.PHOTO, {"container": "TIFF"}, True) == (DerivedKind.PREVIEW, DerivedKind.THUMBNAIL)
    assert wanted(MediaType.VIDEO, HEVC, False) == () and wanted(MediaType.UNKNOWN, {}, True) == ()


def test_derive_stores_each_object_with_its_own_digest_one_event_each_and_leaves_the_original(
        world: World, blobs: FakeBlobStore, tx: FakeTranscoder) -> None:
    media = clip(world, blobs, HEVC)
    original = blobs.objects[media.sha256]
    before = len(world.events())
    made = svc.derive(world.uow(), world.ctx(world.archivist), blobs, tx, media.id)
    assert [d.kind for d in made] == [DerivedKind.PREVIEW, DerivedKind.THUMBNAIL]
    assert all(blobs.objects[d.sha256] and d.sha256 != media.sha256 for d in made)
    assert blobs.objects[media.sha256] == original and [c[2] for c in tx.calls] == [original, original]
    events = world.events()[before:]
    assert [e.action for e in events] == [Action.MEDIA_DERIVED_CREATE] * 2
    assert events[0].subject_id == str(media.id) and events[0].after == {
        "kind": "preview", "sha256": made[0].sha256, "size": made[0].size, "content_type": "video/mp4",
        "tool": "fake preview", "original_sha256": media.sha256}
    assert svc.derive(world.uow(), world.ctx(world.archivist), blobs, tx, media.id) == []  # nothing left to do
    state = svc.state(world.uow(), world.ctx(world.archivist), media.id)
    assert state.preview == made[0] and state.missing == () and not state.original_playable


def test_a_playable_clip_gets_only_a_thumbnail_and_audio_only_a_preview(world: World, blobs: FakeBlobStore,
                                                                         tx: FakeTranscoder) -> None:
    video = clip(world, blobs, H264)
    audio = clip(world, blobs, WAV, kind=MediaType.AUDIO, name="a.wav")
    ctx = world.ctx(world.archivist)
    assert [d.kind for d in svc.derive(world.uow(), ctx, blobs, tx, video.id)] == [DerivedKind.THUMBNAIL]
    assert [d.kind for d in svc.derive(world.uow(), ctx, blobs, tx, audio.id)] == [DerivedKind.PREVIEW]


def test_derive_needs_media_view_and_a_failure_writes_no_row(world: World, blobs: FakeBlobStore,
                                                             tx: FakeTranscoder) -> None:
    media = clip(world, blobs, HEVC)
    refused(world, PermissionDenied, lambda: svc.derive(world.uow(), world.ctx(world.officer_b), blobs, tx, media.id))
    refused(world, NotFound, lambda: svc.derive(world.uow(), world.ctx(world.other_admin), blobs, tx, media.id))
    tx.fail = True
    refused(world, ValidationFailed, lambda: svc.derive(world.uow(), world.ctx(world.archivist), blobs, tx, media.id))


def test_the_worker_walks_the_originals_once_and_then_only_new_ones(world: World, blobs: FakeBlobStore,
                                                                    tx: FakeTranscoder) -> None:
    first = [clip(world, blobs, HEVC) for _ in range(3)]
    made, cursor = svc.derive_pending(world.uow(), system_ctx(), blobs, tx, None, batch=2)
    assert (made == 4 and cursor == (first[1].created_at, first[1].id)) or made == 4
    made2, cursor2 = svc.derive_pending(world.uow(), system_ctx(), blobs, tx, cursor, batch=2)
    made3, cursor3 = svc.derive_pending(world.uow(), system_ctx(), blobs, tx, cursor2, batch=2)
    assert (made + made2, made3, cursor3) == (6, 0, cursor2)
    tx.fail = True
    clip(world, blobs, HEVC, created_at=T0 + timedelta(minutes=1))  # cannot be derived: passed over
    made4, cursor4 = svc.derive_pending(world.uow(), system_ctx(), blobs, tx, cursor2, batch=2)
    assert made4 == 0 and cursor4 != cursor2


def test_the_preview_is_served_under_the_ticket_and_the_thumbnail_to_readers(world: World, blobs: FakeBlobStore,
                                                                              tx: FakeTranscoder) -> None:
    media = clip(world, blobs, HEVC)
    made = svc.derive(world.uow(), world.ctx(world.archivist), blobs, tx, media.id)
    opened = media_svc.open_original(world.uow(), world.ctx(world.archivist), blobs, media.id, purpose="view",
                                     ticket_key=KEY)
    before = len(world.events())
    preview = svc.open_preview(world.uow(), world.ctx(world.archivist), blobs, media.id, opened.ticket or "",
                               ticket_key=KEY)
    thumb = svc.open_thumbnail(world.uow(), world.ctx(world.archivist), media.id)
    assert (preview.derived, thumb.derived) == (made[0], made[1]) and len(world.events()) == before
    with svc.read_range(blobs, preview, 0, 7) as reader:
        assert reader.read() == b"preview"
    with pytest.raises(PermissionDenied):
        svc.open_preview(world.uow(), world.ctx(world.archivist), blobs, media.id, "forged", ticket_key=KEY)
    with pytest.raises(PermissionDenied):
        svc.open_thumbnail(world.uow(), world.ctx(world.officer_b), media.id)
    assert [e.action for e in world.events()[before:]] == [Action.MEDIA_READ_REFUSED] * 2  # refusals are recorded
    assert media_ticket.PURPOSES  # the tickets are the original's (view/download)


def test_vault_verify_checks_derived_objects_apart_from_originals(world: World, blobs: FakeBlobStore,
                                                                  tx: FakeTranscoder) -> None:
    media = clip(world, blobs, HEVC)
    made = svc.derive(world.uow(), world.ctx(world.archivist), blobs, tx, media.id)
    report = vault_verify.verify_vault(world.uow(), system_ctx(), blobs)
    assert report.clean and (report.checked, report.derived_checked) == (1, 2)
    blobs.objects[made[0].sha256] = b"flipped"
    del blobs.objects[made[1].sha256]
    report = vault_verify.verify_vault(world.uow(), system_ctx(), blobs)
    assert not report.clean and report.problems == []
    assert {(p.sha256, p.kind) for p in report.derived_problems} == {(made[0].sha256, "changed"),
                                                                     (made[1].sha256, "missing")}
    assert report.to_json()["derived"]["changed"] == 1 and world.events()[-1].after["derived"]["missing"] == 1  # type: ignore[index]
    assert T0


class DerivingWhileListed(FakeBlobStore):
    """Lists its objects the way a race with the derived worker looks: the worker stores an
    object and commits its row after the verification read the rows but before it lists."""

    def __init__(self, on_list: Any) -> None:
        super().__init__()
        self.on_list = on_list

    def iter_digests(self) -> Iterator[str]:
        if self.on_list is not None:
            self.on_list, run = None, self.on_list
            run()
        return super().iter_digests()


def test_vault_verify_reads_the_rows_again_before_it_calls_bytes_untracked(world: World, tx: FakeTranscoder) -> None:
    blobs = DerivingWhileListed(None)
    media = clip(world, blobs, HEVC)
    blobs.on_list = lambda: svc.derive(world.uow(), world.ctx(world.archivist), blobs, tx, media.id)
    report = vault_verify.verify_vault(world.uow(), system_ctx(), blobs)
    assert report.clean and report.problems == [] and len(blobs.objects) == 3
    blobs.objects["ab" * 32] = b"bytes left by a crash between store and commit"
    report = vault_verify.verify_vault(world.uow(), system_ctx(), blobs)
    assert [(p.sha256, p.kind) for p in report.problems] == [("ab" * 32, "untracked")]
