"""Art. 45 in a real browser: an officer of another unit is refused a video, asks for access, the
bureau head approves, the officer plays it, the 查阅登记 register shows the refusal and the
reading (and exports them); a revoked grant is refused at once, the player's next range too."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lawtrail.services import vault

from .conftest import LiveServer
from .test_browser_media import DEVICE, make_mp4, media_actions

pytestmark = pytest.mark.browser


@pytest.fixture
def video(live_server: LiveServer, tmp_path: Path) -> uuid.UUID:
    c = live_server.container
    captured = c.clock.now().astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    path = make_mp4(tmp_path, f"access{uuid.uuid4().hex[:4]}", captured)
    result = vault.ingest_file(c.uow(), c.system_ctx("采集站"), c.blobs, c.probe, path=path, device_number=DEVICE,
                               handed_in_at=c.clock.now() - timedelta(hours=1))
    assert result.status == "stored", result
    with c.uow() as uow:
        media = uow.media.by_sha256(result.sha256 or "")
    assert media is not None
    return media.id


def test_refused_then_requested_approved_played_registered_and_revoked(new_tab, live_server: LiveServer,
                                                                       video: uuid.UUID) -> None:
    officer = new_tab()
    officer.login("officer2")  # 李晓婷 of 食品科; the video is 执法稽查科's
    page = officer.page
    officer.go(f"/media/{video}")
    expect(page.locator(".error-card")).to_contain_text("不得查阅")
    expect(page.locator(".error-card")).to_contain_text("第四十五条")
    officer.shot("access-refused")

    # Ask: the refusal page leads to the form with the video filled in.
    page.locator("#ask-access").click()
    page.wait_for_url(re.compile(r"/access\?media="))
    expect(page.get_by_label("音像资料（ID，多个用空格分隔）")).to_have_value(str(video))
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#err-purpose")).to_contain_text("不能为空")  # no purpose: refused inline
    page.get_by_label("查阅事由").fill("复核投诉涉及的现场执法录像")
    page.get_by_label("查阅期限").select_option("3")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("[data-flash]")).to_contain_text("查阅申请已提交")
    row = page.locator("#my-requests-table tbody tr").first
    expect(row).to_contain_text("待审批")
    expect(row).to_contain_text("复核投诉")
    officer.shot("access-requested")

    # The bureau head approves from the 查阅审批 queue.
    leader = new_tab()
    leader.login("leader")
    lpage = leader.page
    lpage.locator(".nav-item", has_text="查阅审批").click()
    lpage.wait_for_url(re.compile(r"/access/pending$"))
    pending = lpage.locator("#pending-table tbody tr", has_text="李晓婷")
    expect(pending).to_contain_text("复核投诉")
    leader.shot("access-pending")
    pending.get_by_label("审批意见").fill("同意查阅")
    pending.get_by_role("button", name="批准", exact=True).click()
    expect(lpage.locator("[data-flash]")).to_contain_text("已批准")
    expect(lpage.locator("#active-table tbody tr", has_text="李晓婷")).to_contain_text("已批准")

    # Now the officer plays it.
    officer.go(f"/media/{video}")
    page.wait_for_function("() => document.querySelector('#player').readyState >= 1", timeout=15_000)
    page.evaluate("() => { const v = document.querySelector('#player'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('#player').currentTime > 0.3", timeout=15_000)
    expect(page.locator("h1 .level")).to_have_text("普通")
    officer.shot("access-playing")
    src = page.locator("#player").get_attribute("src")
    assert src

    # The register shows the refusal and the reading, and exports them.
    lpage.locator(".nav-item", has_text="查阅登记").click()
    lpage.wait_for_url(re.compile(r"/access/register$"))
    mine = lpage.locator("#register-table tbody tr", has_text="李晓婷")
    expect(mine.filter(has_text="已拒绝").first).to_contain_text("access.no_grant")
    expect(mine.filter(has_text="已查阅").first).to_contain_text("经批准查阅")
    lpage.get_by_label("结果").select_option("refused")
    lpage.get_by_role("button", name="筛选").click()
    lpage.wait_for_url(re.compile(r"outcome=refused"))
    expect(lpage.locator("#register-table tbody tr[data-outcome='read']")).to_have_count(0)
    leader.shot("access-register")
    exported = lpage.request.get(f"{leader.base}/access/register.csv")
    assert exported.ok and "李晓婷" in exported.text() and "已查阅" in exported.text()
    xlsx = lpage.request.get(f"{leader.base}/access/register.xlsx")
    assert xlsx.ok and xlsx.body()[:2] == b"PK"

    # Revoked: refused at once, the player's next range request too.
    leader.go("/access/pending")
    active = lpage.locator("#active-table tbody tr", has_text="李晓婷")
    active.get_by_label("撤销理由").fill("投诉已办结")
    active.get_by_role("button", name="撤销", exact=True).click()
    expect(lpage.locator("[data-flash]")).to_contain_text("已撤销")
    assert any("撤销" in d for d in leader.dialogs)
    ranged = page.request.get(f"{officer.base}{src}" if src.startswith("/") else src, headers={"Range": "bytes=0-99"})
    assert ranged.status == 403
    officer.go(f"/media/{video}")
    expect(page.locator(".error-card")).to_contain_text("已被撤销")
    officer.shot("access-revoked")
    actions = media_actions(live_server, video)
    assert actions[0] == "media:original:read-refused" and "media:original:view" in actions
