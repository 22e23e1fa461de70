"""A station's batch ingest (services/ingest.py) against the fakes: order, batches, duplicates,
refusals, and the fallback when another process records a digest in the middle of a batch."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lawtrail.domain.events import Action
from lawtrail.errors import NotFound, PermissionDenied
from lawtrail.services import ingest, vault
from tests.unit.factories import World, refused
from tests.unit.fakes import FakeBlobStore, FakeProbe


@pytest.fixture
def blobs() -> FakeBlobStore:
    return FakeBlobStore()


def files(tmp_path: Path, contents: list[bytes | None]) -> list[Path]:
    """One file per entry (None: a folder, which is refused), named f00, f01 …"""
    out = []
    for n, data in enumerate(contents):
        path = tmp_path / f"f{n:02d}.jpg"
        if data is None:
            path.mkdir()
        else:
            path.write_bytes(data)
        out.append(path)
    return out


def run(world: World, blobs: FakeBlobStore, paths: list[Path], **kw: object) -> list[vault.IngestResult]:
    seen: list[vault.IngestResult] = []
    results = ingest.ingest_paths(world.uow(), world.ctx(world.archivist), blobs, FakeProbe(), paths,
                                  device_number="ZFJLY-A001", on_result=seen.append, **kw)  # type: ignore[arg-type]
    assert seen == results  # each result is reported once, in order
    return results


def test_results_come_back_in_order_with_one_event_per_stored_file(world: World, blobs: FakeBlobStore,
                                                                   tmp_path: Path) -> None:
    contents: list[bytes | None] = [b"a", b"b", None, b"a", b"", b"c", b"d"]
    paths = files(tmp_path, contents)
    results = run(world, blobs, paths, batch=3, workers=3)
    assert [r.path for r in results] == [str(p) for p in paths]
    assert [r.status for r in results] == ["stored", "stored", "refused", "duplicate", "refused", "stored", "stored"]
    assert results[3].sha256 == hashlib.sha256(b"a").hexdigest()
    assert len(world.state.media) == 4 and len(world.state.registrations) == 4
    assert [e.action for e in world.events()].count(Action.MEDIA_INGEST) == 4


def test_a_second_run_is_all_duplicates_and_probes_nothing(world: World, blobs: FakeBlobStore,
                                                           tmp_path: Path) -> None:
    paths = files(tmp_path, [b"x", b"y"])
    run(world, blobs, paths)
    before = world.snapshot()
    probe = FakeProbe()
    again = ingest.ingest_paths(world.uow(), world.ctx(world.archivist), blobs, probe, paths,
                                device_number="ZFJLY-A001")
    assert [r.status for r in again] == ["duplicate", "duplicate"] and probe.probed == []
    assert world.state == before


def test_bytes_stored_without_a_row_are_probed_and_recorded(world: World, blobs: FakeBlobStore,
                                                            tmp_path: Path) -> None:
    [path] = files(tmp_path, [b"crashed before its row"])
    with path.open("rb") as fh:
        blobs.put_stream(fh)  # a killed run stored the bytes only
    probe = FakeProbe()
    [result] = ingest.ingest_paths(world.uow(), world.ctx(world.archivist), blobs, probe, [path],
                                   device_number="ZFJLY-A001")
    assert result.status == "stored" and probe.probed == [str(path)]


def test_a_digest_recorded_meanwhile_by_another_process_keeps_the_rest(world: World, blobs: FakeBlobStore,
                                                                       tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    paths = files(tmp_path, [b"one", b"two", b"three"])
    real = vault.store_one

    def racing(*args: object, **kw: object) -> object:
        item = real(*args, **kw)  # type: ignore[arg-type]
        if isinstance(item, vault.StoredOriginal) and item.path.name == "f01.jpg":
            other = tmp_path / "other" / "same.jpg"  # another station records the same bytes first
            other.parent.mkdir()
            other.write_bytes(b"two")
            vault.ingest_file(world.uow(), world.ctx(world.archivist), blobs, FakeProbe(), path=other,
                              device_number="ZFJLY-A001")
        return item

    monkeypatch.setattr(vault, "store_one", racing)
    results = run(world, blobs, paths, batch=10, workers=1)
    assert [r.status for r in results] == ["stored", "duplicate", "stored"]
    assert len(world.state.media) == 3


def test_unknown_device_or_missing_right_fails_before_reading(world: World, blobs: FakeBlobStore,
                                                              tmp_path: Path) -> None:
    paths = files(tmp_path, [b"z"])
    with pytest.raises(NotFound):
        ingest.ingest_paths(world.uow(), world.ctx(world.archivist), blobs, FakeProbe(), paths,
                            device_number="NO-SUCH")
    refused(world, PermissionDenied, lambda: ingest.ingest_paths(
        world.uow(), world.ctx(world.legal_reviewer), blobs, FakeProbe(), paths, device_number="ZFJLY-A001"))
    assert blobs.objects == {}


def test_the_clock_offset_and_hand_in_time_are_recorded(world: World, blobs: FakeBlobStore, tmp_path: Path) -> None:
    paths = files(tmp_path, [b"clocked"])
    handed = world.ctx(world.archivist).now.replace(hour=1)
    ingest.ingest_paths(world.uow(), world.ctx(world.archivist), blobs, FakeProbe(), paths,
                        device_number="ZFJLY-A001", clock_offset_s=-42.5, handed_in_at=handed)
    [media] = world.state.media.values()
    assert (media.clock_offset_s, media.handed_in_at) == (-42.5, handed)
    [event] = [e for e in world.events() if e.action == Action.MEDIA_INGEST]
    assert event.after is not None and event.after["clock_offset_s"] == -42.5
