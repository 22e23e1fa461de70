"""End to end: ``lawtrail ingest`` and ``lawtrail vault verify`` through the entry point
(``Site.run``; one verify as a subprocess) on a SQLite data folder, with media made by
ffmpeg; then a flipped byte and a deleted original are caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lawtrail.adapters.storage import LocalBlobStore
from tests.e2e.test_cli import ADMIN_PASSWORD, Site, make_site
from tests.integration.media_fixtures import make_av

DEVICE = "JM-ZFJLY-901"


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, Path]:
    site = make_site(tmp_path_factory.mktemp("vault-site"))
    site.run("init", "--admin-password", ADMIN_PASSWORD)
    site.run("device", "add", DEVICE, "--type", "body_camera", "--unit", "ADMIN")
    footage = tmp_path_factory.mktemp("footage")
    (footage / "day").mkdir()
    av = make_av(footage / "day")
    shutil.copyfile(av["pcm.wav"], footage / "day" / ".hidden.wav")
    return site, footage


def test_ingest_a_folder_then_verify_then_catch_damage(station: tuple[Site, Path]) -> None:
    site, footage = station
    proc = site.run("ingest", str(footage), "--device", DEVICE, "--json")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    names = [Path(r["path"]).name for r in lines]
    assert names == sorted(names) and ".hidden.wav" not in names and len(lines) == 10
    assert {r["status"] for r in lines} == {"stored"}
    for r in lines:
        assert {"path", "sha256", "status", "media_type", "duration_s", "captured_at"} <= set(r)
    mp4 = next(r for r in lines if r["path"].endswith("h264_aac.mp4"))
    assert (mp4["media_type"], mp4["captured_at"]) == ("video", "2026-11-20T08:15:00.000000Z")

    again = site.run("ingest", str(footage), "--device", DEVICE)
    assert "已存在 / already in the vault" in again.stdout and "│ 10 " in again.stdout

    clean = json.loads(site.run("vault", "verify", "--json").stdout)
    assert (clean["clean"], clean["checked"]) == (True, 10)

    store = LocalBlobStore(site.data_dir / "vault")
    flipped, gone = store.path_of(lines[0]["sha256"]), store.path_of(lines[1]["sha256"])
    flipped.chmod(0o644)
    raw = bytearray(flipped.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    flipped.write_bytes(bytes(raw))
    gone.unlink()
    bad = site.run_process("vault", "verify", "--json", code=1)  # a real process: JSON and exit 1
    report = json.loads(bad.stdout)
    assert sorted((p["sha256"], p["kind"]) for p in report["problems"]) == sorted(
        [(lines[0]["sha256"], "changed"), (lines[1]["sha256"], "missing")])
    assert "vault.verify_failed" in bad.stderr
    table = site.run("vault", "verify", code=1)
    assert "changed" in table.stdout and "missing" in table.stdout


def test_refused_files_and_unknown_device(station: tuple[Site, Path], tmp_path: Path) -> None:
    site, _ = station
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "link.mp4").symlink_to(tmp_path / "empty.mp4")
    proc = site.run("ingest", str(tmp_path), "--device", DEVICE, "--json", code=1)
    assert [json.loads(line)["status"] for line in proc.stdout.splitlines()] == ["refused", "refused"]
    assert proc.stderr.strip().endswith("[vault.refused]")
    line = site.fail("ingest", str(tmp_path), "--device", "NO-SUCH-9")
    assert "device.not_found" in line


def test_hand_in_time_and_device_clock_are_recorded(station: tuple[Site, Path], tmp_path: Path) -> None:
    site, _ = station
    photo = tmp_path / "late.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a photo, kept as an original all the same")
    proc = site.run("ingest", str(photo), "--device", DEVICE, "--json", "--handed-in-at", "2026-11-02 18:00:00",
                    "--device-clock", "2099-01-01 00:00:00")
    [line] = [json.loads(x) for x in proc.stdout.splitlines()]
    assert line["status"] == "stored"
    found = json.loads(site.run("check", "--json", "--rule", "ART41-STORED-24H", code=1).stdout)
    late = [f for f in found if f["subject"]["id"] == line["media_id"]]
    assert late and late[0]["status"] == "overdue" and "第四十八条" in late[0]["message_zh"]
    bad = site.run("ingest", str(photo), "--device", DEVICE, "--handed-in-at", "yesterday-ish", code=1)
    assert "handed-in-at" in bad.stderr
    future = site.run("ingest", str(photo), "--device", DEVICE, "--handed-in-at", "2099-01-01 00:00:00", code=1)
    assert "future" in future.stderr
