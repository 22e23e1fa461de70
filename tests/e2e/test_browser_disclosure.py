"""Art. 37 in a real browser: an officer asks to give a video to a court (recipient and purpose),
an export before the approval is refused and says why, the leader approves from the 对外提供
queue, the officer exports (progress bar, then one zip): the copy in the zip carries the visible
mark, differs from the original and its digest is the one recorded in the manifest."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import uuid
import zipfile
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lawtrail.services import vault

from .conftest import SCREENSHOTS, LiveServer
from .test_browser_media import DEVICE, make_mp4

pytestmark = pytest.mark.browser


@pytest.fixture
def video(live_server: LiveServer, tmp_path: Path) -> tuple[uuid.UUID, str]:
    c = live_server.container
    captured = c.clock.now().astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    path = make_mp4(tmp_path, f"disclose{uuid.uuid4().hex[:4]}", captured)
    result = vault.ingest_file(c.uow(), c.system_ctx("采集站"), c.blobs, c.probe, path=path, device_number=DEVICE,
                               handed_in_at=c.clock.now() - timedelta(hours=1))
    assert result.status == "stored", result
    with c.uow() as uow:
        media = uow.media.by_sha256(result.sha256 or "")
    assert media is not None
    return media.id, media.sha256


def test_request_refused_export_approve_export_download(new_tab, live_server: LiveServer, tmp_path: Path,
                                                          video: tuple[uuid.UUID, str]) -> None:
    media_id, original_sha = video
    officer = new_tab()
    officer.login("officer")
    page = officer.page
    # The archivist (who reads originals in the course of storage work) finds the way from the original.
    archivist = new_tab()
    archivist.login("archivist")
    archivist.go(f"/media/{media_id}")
    expect(archivist.page.locator("#ask-disclosure")).to_have_attribute("href", f"/disclosures?media={media_id}")
    officer.go(f"/disclosures?media={media_id}")
    expect(page.get_by_label("音像资料（ID，多个用空格分隔）")).to_have_value(str(media_id))
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#err-recipient_name")).to_contain_text("不能为空")  # refused inline, nothing written
    page.get_by_label("接收人").fill("张法官")
    page.get_by_label("接收单位").fill("江门市蓬江区人民法院")
    page.get_by_label("用途").fill("行政诉讼举证")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("[data-flash]")).to_contain_text("对外提供申请已提交")
    page.wait_for_url(re.compile(r"/disclosures/[0-9a-f-]{36}"))
    request_url = page.url
    expect(page.locator("h1 [data-disclosure-status]")).to_have_text("待审批")
    officer.shot("disclosure-requested")

    # Exporting before the approval is refused, says why, and is registered.
    page.get_by_role("button", name="导出加水印副本").click()
    expect(page.locator(".alert-error")).to_contain_text("未经批准")
    expect(page.locator(".alert-error")).to_contain_text("第三十七条")
    officer.shot("disclosure-export-refused")

    # The leader approves from the queue.
    leader = new_tab()
    leader.login("leader")
    lpage = leader.page
    lpage.locator(".nav-item", has_text="对外提供").click()
    lpage.wait_for_url(re.compile(r"/disclosures$"))
    row = lpage.locator("#pending-table tbody tr", has_text="行政诉讼举证")
    expect(row).to_contain_text("江门市蓬江区人民法院")
    leader.shot("disclosure-pending")
    row.get_by_role("link", name="审批").click()
    lpage.get_by_label("审批意见（可选）").fill("同意提供")
    lpage.get_by_role("button", name="批准对外提供").click()
    expect(lpage.locator("[data-flash]")).to_contain_text("已批准对外提供")
    expect(lpage.locator("h1 [data-disclosure-status]")).to_have_text("已批准")

    # The officer exports: a progress bar, then the zip.
    page.goto(request_url)
    page.get_by_role("button", name="导出加水印副本").click()
    page.wait_for_url(re.compile(r"/disclosures/exports/[0-9a-f]{32}"))
    expect(page.locator("#export-bar")).to_be_visible()
    expect(page.locator("#download-bundle")).to_be_visible(timeout=60_000)
    digest = page.locator("#manifest-digest").inner_text()
    officer.shot("disclosure-exported")
    with page.expect_download() as info:
        page.locator("#download-bundle").click()
    bundle = tmp_path / "bundle.zip"
    info.value.save_as(bundle)
    with zipfile.ZipFile(bundle) as zf:
        manifest_bytes = zf.read("manifest.json")
        manifest = json.loads(manifest_bytes)
        [item] = manifest["items"]
        copy = zf.read(item["name"])
    assert hashlib.sha256(manifest_bytes).hexdigest() == digest
    assert item["original_sha256"] == original_sha != item["copy_sha256"] == hashlib.sha256(copy).hexdigest()
    assert "江门市蓬江区人民法院" in manifest["mark"] and "行政诉讼举证" in manifest["mark"]
    marked = tmp_path / "marked.mp4"
    marked.write_bytes(copy)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", "1", "-i", str(marked), "-frames:v", "1",
                    str(SCREENSHOTS / "disclosure-marked-frame.png")], check=True, timeout=60)
    page.goto(request_url)
    expect(page.locator("#exports-table tbody tr").first).to_contain_text(digest)
    officer.shot("disclosure-detail-exported")
