"""The finished vault in a real browser (issue 4 items 2, 4, 7, 9; decision 0019): a clip pushed
with ``lawtrail ingest --case`` shows the case's name, party and category prefilled and is linked
to the case; an HEVC original, which a browser cannot play, is played through its H.264 preview
made on demand; the list filtered by ART42 shows only media whose registration is incomplete,
with thumbnails and finding badges. Screenshots in test-artifacts/screenshots/vault-finish-*."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lawtrail.domain.cases import Case, CaseFilter
from lawtrail.services import cases, vault

from .conftest import LiveServer

pytestmark = pytest.mark.browser

DEVICE = "JM-ZFJLY-001"  # the demo's camera of 执法稽查科, held by officer 陈志强
CASE_NAME = "江门市蓬江区鲜味食品商行销售过期食品案"  # a demo case at the investigation stage


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120)


def clip(folder: Path, name: str, captured: str, *codec: str) -> Path:
    path = folder / name
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3",
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=3", *codec,
           "-metadata", f"creation_time={captured}", str(path))
    return path


def demo_case(live_server: LiveServer) -> Case:
    c = live_server.container
    with c.uow() as uow:
        bureau = uow.bureaus.list()[0]
        found, _ = uow.cases.search(bureau.id, None, CaseFilter(), offset=0, limit=100)
    return next(case for case in found if case.name == CASE_NAME)


def test_case_prefill_hevc_preview_and_the_art42_filter(new_tab, live_server: LiveServer, tmp_path: Path) -> None:
    c = live_server.container
    captured = (c.clock.now().astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1))
    stamp = f"{captured:%Y-%m-%dT%H:%M:%S}Z"
    tag = uuid.uuid4().hex[:6]
    x264 = ("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac")
    with_case = clip(tmp_path, f"案件现场_{tag}.mp4", stamp, *x264)
    hevc = clip(tmp_path, f"HEVC原始_{tag}.mkv", stamp, "-c:v", "libx265", "-preset", "ultrafast",
                "-x265-params", "log-level=none", "-c:a", "libopus")
    case = demo_case(live_server)
    number = case.number

    # lawtrail ingest --case, as a collection station runs it, on the server's data folder.
    env = {**os.environ, "LAWTRAIL_DATA_DIR": str(c.settings.data_dir), "LAWTRAIL_DEMO": "true",
           "LAWTRAIL_DATABASE_URL": ""}
    cli = [sys.executable, "-m", "lawtrail.cli.main", "ingest", str(with_case), "--device", DEVICE]
    unknown = subprocess.run([*cli, "--case", "没有这个案件"], env=env, capture_output=True, text=True, timeout=120)
    assert unknown.returncode != 0 and "case.not_found" in unknown.stderr
    done = subprocess.run([*cli, "--case", number, "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    case_media = re.search(r'"media_id": "([0-9a-f-]+)"', done.stdout)
    assert case_media
    hevc_result = vault.ingest_file(c.uow(), c.system_ctx("采集站"), c.blobs, c.probe, path=hevc,
                                    device_number=DEVICE)
    assert hevc_result.status == "stored"
    hevc_id = hevc_result.media_id

    tab = new_tab()
    tab.login("archivist")
    page = tab.page

    # 1. The clip ingested with --case: the case's name, party and category prefilled, linked.
    tab.go(f"/media/{case_media.group(1)}")
    expect(page.locator("#reg-case_name")).to_have_value(CASE_NAME)
    expect(page.locator("#reg-party")).to_have_value("江门市蓬江区鲜味食品商行")
    expect(page.locator("#reg-category")).to_have_value("penalty")
    tab.shot("vault-finish-case-prefill")
    detail = cases.get_case(c.uow(), c.system_ctx("e2e"), case.id)
    assert uuid.UUID(case_media.group(1)) in [m.id for m in detail.media]

    # 2. The HEVC original: not playable as stored; the preview is made on demand and played.
    tab.go(f"/media/{hevc_id}")
    expect(page.locator("#preview-note")).to_contain_text("播放副本尚未生成")
    page.get_by_role("button", name="生成播放副本").click()
    expect(page.locator("[data-flash]")).to_contain_text("已生成：播放副本、缩略图", timeout=120_000)
    expect(page.locator("#preview-note")).to_contain_text("正在播放")
    player = page.locator("video#player")
    expect(player).to_have_attribute("src", re.compile(r"/preview\?ticket="))
    page.wait_for_function("document.getElementById('player').readyState >= 2", timeout=30_000)
    duration = page.evaluate("document.getElementById('player').duration")
    assert 2.5 < duration < 3.5
    expect(page.locator("#media-derived")).to_contain_text("播放副本")
    tab.shot("vault-finish-hevc-preview")

    # 3. The list filtered by ART42: only incomplete registrations, with thumbnails and badges.
    tab.go("/media")
    page.get_by_label("合规规则").select_option("ART42-REGISTRATION-COMPLETE")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"/media\?.*rule=ART42-REGISTRATION-COMPLETE"))
    rows = page.locator("#media-table tbody tr[data-media-id]")
    assert rows.count() >= 1
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("不完整")
        expect(rows.nth(i).locator(".cell-findings")).to_contain_text("ART42-REGISTRATION-COMPLETE")
    expect(page.locator(f"tr[data-media-id='{hevc_id}']")).to_be_visible()
    expect(page.locator(f"tr[data-media-id='{case_media.group(1)}']")).to_have_count(0)
    expect(page.locator(f"tr[data-media-id='{hevc_id}'] img.thumb")).to_be_visible()
    tab.shot("vault-finish-art42-filter")
    assert tab.problems == []
