"""Evidence vault use cases against the fakes: ingest (Art. 40–42) and vault verify (Art. 37)."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest

from lawtrail.domain.access import system_actor
from lawtrail.domain.events import Action
from lawtrail.domain.media import MediaFacts, MediaType
from lawtrail.errors import NotFound, PermissionDenied
from lawtrail.services import devices, vault, vault_verify
from tests.unit.factories import T0, World, only_new_event, refused
from tests.unit.fakes import FakeBlobStore, FakeMedia, FakeProbe

CAPTURED = T0 - timedelta(hours=3)
CLIP = MediaFacts(media_type=MediaType.VIDEO, probe_ok=True, duration_s=12.5, captured_start=CAPTURED,
                  captured_end=CAPTURED + timedelta(seconds=12.5), video_codec="h264")


@pytest.fixture
def blobs() -> FakeBlobStore:
    return FakeBlobStore()


@pytest.fixture
def probe() -> FakeProbe:
    return FakeProbe({"clip.mp4": CLIP})


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def ingest(world: World, blobs: FakeBlobStore, probe: FakeProbe, path: Path, **kw: object) -> vault.IngestResult:
    args: dict[str, object] = {"device_number": "ZFJLY-A001"} | kw
    return vault.ingest_file(world.uow(), world.ctx(world.archivist), blobs, probe, path=path, **args)  # type: ignore[arg-type]


def test_ingest_stores_bytes_then_row_registration_and_one_event(world: World, blobs: FakeBlobStore,
                                                                 probe: FakeProbe, tmp_path: Path) -> None:
    data = b"\x00\x00\x00\x18ftypmp42" * 100
    result = ingest(world, blobs, probe, write(tmp_path, "clip.mp4", data))
    digest = hashlib.sha256(data).hexdigest()
    assert (result.status, result.sha256, result.size, result.media_type, result.duration_s,
            result.captured_at) == ("stored", digest, len(data), "video", 12.5, CAPTURED)
    assert blobs.objects[digest] == data
    [media] = world.state.media.values()
    device = world.devices["a"]
    assert (media.sha256, media.device_id, media.unit_id, media.probe_ok, media.handed_in_at, media.stored_at,
            media.captured_end) == (digest, device.id, device.unit_id, True, T0, T0, CLIP.captured_end)
    [reg] = world.state.registrations
    assert (reg.media_id, reg.version, reg.device_number, reg.unit_name, reg.used_from) == (
        media.id, 1, "ZFJLY-A001", world.unit_a.name, CAPTURED)
    event = only_new_event(world, 0)
    assert (event.action, event.subject_id, event.after and event.after["sha256"]) == (
        Action.MEDIA_INGEST, str(media.id), digest)
    assert world.db.commits == 1


def test_the_officer_is_prefilled_from_the_holder_at_capture_time(world: World, blobs: FakeBlobStore,
                                                                 probe: FakeProbe, tmp_path: Path) -> None:
    device = world.devices["a"]
    devices.assign_device(world.uow(), world.ctx(world.admin, now=CAPTURED - timedelta(hours=1)), device.id,
                          holder_id=world.officer_a.id, note="领用")
    devices.assign_device(world.uow(), world.ctx(world.admin, now=CAPTURED + timedelta(hours=1)), device.id,
                          holder_id=world.officer_b.id, note="转交")  # the holder now is someone else
    result = ingest(world, blobs, probe, write(tmp_path, "clip.mp4", b"video bytes"))
    assert result.officer_id == world.officer_a.id
    [reg] = world.state.registrations
    assert (reg.officer_id, reg.officer_name) == (world.officer_a.id, world.officer_a.display_name)


def test_a_given_officer_wins_over_the_holder(world: World, blobs: FakeBlobStore, probe: FakeProbe,
                                              tmp_path: Path) -> None:
    result = ingest(world, blobs, probe, write(tmp_path, "clip.mp4", b"v"), officer_id=world.officer_b.id)
    assert result.officer_id == world.officer_b.id


def test_the_same_bytes_again_are_a_duplicate_with_no_row_and_no_event(world: World, blobs: FakeBlobStore,
                                                                        probe: FakeProbe, tmp_path: Path) -> None:
    first = ingest(world, blobs, probe, write(tmp_path, "clip.mp4", b"same"))
    before = world.snapshot()
    again = ingest(world, blobs, probe, write(tmp_path, "copy.mp4", b"same"))
    assert (again.status, again.sha256) == ("duplicate", first.sha256)
    assert world.state == before
    assert probe.probed == [str(tmp_path / "clip.mp4")]  # a duplicate is not probed again


def test_media_that_cannot_be_probed_is_stored_and_marked(world: World, blobs: FakeBlobStore,
                                                          probe: FakeProbe, tmp_path: Path) -> None:
    result = ingest(world, blobs, probe, write(tmp_path, "notes.bin", b"\x01\x02"))
    assert (result.status, result.media_type, result.captured_at) == ("stored", "unknown", None)
    [media] = world.state.media.values()
    assert (media.probe_ok, media.officer_id, media.facts["probe_error"]) == (False, None, "not a media file")


@pytest.mark.parametrize("kind", ["symlink", "directory", "empty", "missing", "fifo"])
def test_refused_paths_write_nothing(world: World, blobs: FakeBlobStore, probe: FakeProbe, tmp_path: Path,
                                     kind: str) -> None:
    target = write(tmp_path, "real.mp4", b"bytes")
    path = tmp_path / "x"
    if kind == "symlink":
        path.symlink_to(target)
    elif kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "fifo":
        os.mkfifo(path)
    before = world.snapshot()
    result = ingest(world, blobs, probe, path)
    assert result.status == "refused" and result.sha256 is None and result.reason
    assert " / " in result.reason  # Chinese and English
    assert world.state == before and blobs.objects == {} and world.db.commits == 0


def test_an_unknown_device_or_officer_is_not_found_and_nothing_is_read(world: World, blobs: FakeBlobStore,
                                                                       probe: FakeProbe, tmp_path: Path) -> None:
    path = write(tmp_path, "clip.mp4", b"v")
    exc = refused(world, NotFound, lambda: ingest(world, blobs, probe, path, device_number="NOPE-1"))
    assert exc.code == "device.not_found"
    other_bureau = refused(world, NotFound, lambda: ingest(world, blobs, probe, path, device_number="SZ-0001"))
    assert other_bureau.code == "device.not_found"
    exc = refused(world, NotFound, lambda: ingest(world, blobs, probe, path, officer_id=world.other_admin.id))
    assert exc.code == "user.not_found"
    assert blobs.puts == 0


def test_ingest_needs_the_permission_for_the_devices_unit(world: World, blobs: FakeBlobStore,
                                                          probe: FakeProbe, tmp_path: Path) -> None:
    path = write(tmp_path, "clip.mp4", b"v")
    call = lambda: vault.ingest_file(world.uow(), world.ctx(world.officer_b), blobs, probe,  # noqa: E731
                                     path=path, device_number="ZFJLY-A001")
    refused(world, PermissionDenied, call)
    ok = vault.ingest_file(world.uow(), world.ctx(world.officer_a), blobs, probe, path=path,
                           device_number="ZFJLY-A001")
    assert ok.status == "stored"


def test_a_crash_after_the_blob_leaves_it_untracked_and_a_rerun_completes(
        world: World, blobs: FakeBlobStore, probe: FakeProbe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "clip.mp4", b"crash me")

    class Crash(Exception):
        pass

    def crash(*_args: object) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(FakeMedia, "add", crash)  # the process dies between the blob and the row
        with pytest.raises(Crash):
            ingest(world, blobs, probe, path)
    digest = hashlib.sha256(b"crash me").hexdigest()
    assert digest in blobs.objects and world.state.media == {} and world.events() == []
    report = vault_verify.verify_vault(world.uow(), world.ctx(world.supervisor), blobs)
    assert [(p.sha256, p.kind) for p in report.problems] == [(digest, "untracked")]
    again = ingest(world, blobs, probe, path)
    assert again.status == "stored" and len(world.state.media) == 1
    assert vault_verify.verify_vault(world.uow(), world.ctx(world.supervisor), blobs).clean


def test_verify_reports_changed_missing_untracked_and_records_one_event(world: World, blobs: FakeBlobStore,
                                                                        probe: FakeProbe, tmp_path: Path) -> None:
    a = ingest(world, blobs, probe, write(tmp_path, "a.mp4", b"aaaa"))
    b = ingest(world, blobs, probe, write(tmp_path, "b.mp4", b"bbbb"))
    assert a.sha256 and b.sha256
    clean = vault_verify.verify_vault(world.uow(), world.ctx(world.supervisor), blobs)
    assert (clean.clean, clean.checked, clean.bytes) == (True, 2, 8)
    blobs.objects[a.sha256] = b"aaab"
    del blobs.objects[b.sha256]
    stray = blobs.put_stream(_Reader(b"stray")).sha256
    seen: list[str] = []
    n = len(world.events())
    report = vault_verify.verify_vault(world.uow(), world.ctx(world.supervisor), blobs,
                                on_checked=lambda d, _s: seen.append(d))
    assert sorted((p.sha256, p.kind) for p in report.problems) == sorted(
        [(a.sha256, "changed"), (b.sha256, "missing"), (stray, "untracked")])
    assert report.counts() == {"changed": 1, "missing": 1, "untracked": 1} and not report.clean
    assert sorted(seen) == sorted([a.sha256, b.sha256])
    event = only_new_event(world, n)
    assert event.action == Action.VAULT_VERIFICATION and event.after and event.after["changed"] == 1


def test_verify_needs_the_permission(world: World, blobs: FakeBlobStore) -> None:
    refused(world, PermissionDenied, lambda: vault_verify.verify_vault(world.uow(), world.ctx(world.officer_a), blobs))


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, size: int = -1, /) -> bytes:
        out, self._data = self._data, b""
        return out


def test_scheduled_verification_runs_when_due_and_not_before(world: World, blobs: FakeBlobStore,
                                                             probe: FakeProbe, tmp_path: Path) -> None:
    ingest(world, blobs, probe, write(tmp_path, "a.mp4", b"aaaa"))
    system = world.ctx(system_actor("定期原始文件核验"))
    assert vault_verify.verify_vault_if_due(world.uow(), system, blobs, every_hours=0) is None  # schedule off
    first = vault_verify.verify_vault_if_due(world.uow(), system, blobs, every_hours=24)  # never ran: due
    assert first is not None and first.clean and first.checked == 1
    n = len(world.events())
    soon = world.ctx(system_actor("定期原始文件核验"), now=T0 + timedelta(hours=23, minutes=59))
    assert vault_verify.verify_vault_if_due(world.uow(), soon, blobs, every_hours=24) is None
    assert len(world.events()) == n
    later = world.ctx(system_actor("定期原始文件核验"), now=T0 + timedelta(hours=24))
    report = vault_verify.verify_vault_if_due(world.uow(), later, blobs, every_hours=24)
    assert report is not None and only_new_event(world, n).action == Action.VAULT_VERIFICATION
