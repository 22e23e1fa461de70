"""The upload page in a real browser: an officer hands in two real clips (made by ffmpeg); both
reach 100 % and show as stored with their media ids; the same files again show as already in
the vault. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.integration.media_fixtures import make_av

from .conftest import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    av = make_av(tmp_path_factory.mktemp("upload-clips"))
    return [av["h264_aac.mp4"], av["pcm.wav"]]


def test_an_officer_uploads_two_clips_with_progress_and_results(new_tab, live_server: LiveServer,
                                                                clips: list[Path]) -> None:
    tab = new_tab()
    tab.login("officer")
    tab.page.locator(".nav-item", has_text="上传音像").click()
    page = tab.page
    expect(page.locator("h1")).to_have_text("上传音像原始文件")
    expect(page.locator("#up-device")).to_have_value("JM-ZFJLY-001")  # the camera the officer holds
    page.set_input_files("#up-files", [str(p) for p in clips])
    expect(page.locator("#up-hint")).to_contain_text("已选择 2 个文件")
    tab.shot("upload-chosen")
    page.locator("#up-start").click()
    expect(page.locator("#up-panel")).to_have_attribute("data-done", "1", timeout=60_000)
    expect(page.locator("#up-total-text")).to_contain_text("100%")
    rows = page.locator("#up-table tbody tr")
    expect(rows).to_have_count(2)
    for i in range(2):
        expect(rows.nth(i).locator(".up-pct")).to_have_text("100%")
        expect(rows.nth(i)).to_have_attribute("data-status", "stored")
    tab.shot("upload-done")
    ids = [rows.nth(i).locator("a[data-media-id]").get_attribute("data-media-id") for i in range(2)]
    with live_server.container.uow() as uow:
        for path, media_id in zip(clips, ids, strict=True):
            media = uow.media.by_sha256(hashlib.sha256(path.read_bytes()).hexdigest())
            assert media is not None and str(media.id) == media_id and media.original_name == path.name

    page.reload()
    page.set_input_files("#up-files", [str(p) for p in clips])
    page.locator("#up-start").click()
    expect(page.locator("#up-panel")).to_have_attribute("data-done", "1", timeout=60_000)
    for i in range(2):
        expect(rows.nth(i)).to_have_attribute("data-status", "duplicate")
        expect(rows.nth(i)).to_contain_text("已在库中")
    tab.shot("upload-again")


def test_an_empty_file_is_refused_with_a_clear_reason(new_tab, tmp_path: Path) -> None:
    empty = tmp_path / "空文件.mp4"
    empty.write_bytes(b"")
    tab = new_tab()
    tab.login("officer")
    tab.go("/media/upload")
    tab.page.set_input_files("#up-files", [str(empty)])
    tab.page.locator("#up-start").click()
    row = tab.page.locator("#up-table tbody tr").first
    expect(row).to_have_attribute("data-status", "refused", timeout=20_000)
    expect(row).to_contain_text("文件为空（0 字节）")
    tab.shot("upload-refused-empty")
