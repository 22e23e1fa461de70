"""The 音像资料 pages in a real browser: an archivist lists and filters the vault, plays a real
H.264 MP4 (range requests under the ticket of one recorded view), corrects the Art. 42
registration and sees the new version and the trail; an officer of another unit is refused."""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lawtrail.domain.events import Action
from lawtrail.domain.org import BUREAU_TZ, User
from lawtrail.services import grants, vault
from lawtrail.services import media as media_svc
from lawtrail.services.users import actor_for

from .conftest import LiveServer

pytestmark = pytest.mark.browser

DEVICE = "JM-ZFJLY-001"  # the demo's camera of 执法稽查科, held by officer 陈志强


def make_mp4(folder: Path, tag: str, captured: datetime) -> Path:
    """A 3-second H.264/AAC MP4 with a capture time, as a body camera would write it."""
    path = folder / f"现场检查_{tag}.mp4"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=3",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-metadata", f"creation_time={captured:%Y-%m-%dT%H:%M:%S}Z", "-metadata", f"comment=S/N: HK2311A0419 {tag}",
         "-movflags", "+faststart", str(path)], check=True, timeout=60)
    return path


@pytest.fixture
def clip(live_server: LiveServer, tmp_path: Path) -> uuid.UUID:
    c = live_server.container
    # Captured just now: the demo handed the camera to 陈志强 when it was loaded, before that
    # (rounded up to the next second, as the container keeps whole seconds).
    captured = c.clock.now().astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    path = make_mp4(tmp_path, uuid.uuid4().hex[:6], captured)
    result = vault.ingest_file(c.uow(), c.system_ctx("采集站"), c.blobs, c.probe, path=path, device_number=DEVICE,
                               handed_in_at=c.clock.now() - timedelta(hours=2))
    assert result.status == "stored", result
    with c.uow() as uow:
        media = uow.media.by_sha256(result.sha256 or "")
    assert media is not None
    return media.id


def media_actions(live_server: LiveServer, media_id: uuid.UUID) -> list[str]:
    c = live_server.container
    return [e.action for e in media_svc.media_trail(c.uow(), c.system_ctx("e2e"), media_id)]


def test_archivist_plays_a_video_and_corrects_its_registration(new_tab, live_server: LiveServer,
                                                               clip: uuid.UUID) -> None:
    tab = new_tab()
    tab.login("archivist")
    page = tab.page
    page.locator(".nav-item", has_text="音像资料").click()
    page.wait_for_url(re.compile(r"/media$"))
    expect(page.locator("h1")).to_have_text("音像资料")
    row = page.locator(f"#media-table tr:has(a[href='/media/{clip}'])")
    expect(row).to_contain_text("JM-ZFJLY-001")
    expect(row).to_contain_text("不完整")
    tab.shot("media-list")

    # Filter: incomplete registrations of this camera.
    page.get_by_label("设备编号").fill("zfjly-001")
    page.get_by_label("仅看登记不完整").check()
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"/media\?.*incomplete=1"))
    expect(page.locator(f"a[href='/media/{clip}']")).to_be_visible()
    expect(page.locator("#media-table tbody tr")).not_to_contain_text(["JM-ZFJLY-003"])
    tab.shot("media-list-filtered")

    # Open it: the player loads the original through range requests under the ticket.
    page.locator(f"a[href='/media/{clip}']").click()
    page.wait_for_url(re.compile(rf"/media/{clip}$"))
    page.wait_for_function("() => document.querySelector('#player').readyState >= 1", timeout=15_000)
    duration = page.evaluate("() => document.querySelector('#player').duration")
    assert 2.9 < duration < 3.2, duration
    page.evaluate("() => { const v = document.querySelector('#player'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('#player').currentTime > 0.3", timeout=15_000)
    assert page.evaluate("() => document.querySelector('#player').error") is None
    expect(page.locator("#media-facts")).to_contain_text("h264")
    expect(page.locator("#media-facts")).to_contain_text("320 × 240")
    with live_server.container.uow() as uow:
        captured = uow.media.get(clip).captured_at  # type: ignore[union-attr]
    expect(page.locator("#media-facts")).to_contain_text(captured.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M:%S"))
    expect(page.locator("#reg-officer_id")).to_have_value(str(_officer_id(live_server, "officer")))
    tab.shot("media-detail")
    assert media_actions(live_server, clip).count(Action.MEDIA_VIEW) == 1  # many ranges, one view

    # Correct the registration: a new version, with its reason.
    form = page.locator("#registration form")
    form.get_by_label("执法类别").select_option(label="行政检查")
    form.get_by_label("当事人").fill("江门市蓬江区某食品有限公司")
    form.get_by_label("案由名称").fill("涉嫌销售过期食品案")
    form.get_by_role("button", name="保存登记").click()
    expect(page.locator("#err-reason")).to_contain_text("不能为空")  # no reason: refused, shown inline
    expect(form.get_by_label("当事人")).to_have_value("江门市蓬江区某食品有限公司")
    form.get_by_label("更正原因").fill("补登执法类别、当事人和案由")
    form.get_by_role("button", name="保存登记").click()
    expect(page.locator("[data-flash]")).to_contain_text("登记信息已更正")
    expect(page.locator("#reg-state")).to_have_text("已登记")
    history = page.locator("#history-table tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("第 2 版")
    expect(history.first).to_contain_text("涉嫌销售过期食品案")
    expect(history.first).to_contain_text("吴丽华")
    expect(page.locator("#trail")).to_contain_text("更正分类登记")
    expect(page.locator("#trail")).to_contain_text("查看原始音像")
    page.locator("#trail").scroll_into_view_if_needed()
    tab.shot("media-registered")

    # A download is its own recorded event.
    with page.expect_download() as info:
        page.get_by_role("button", name="下载原始文件").click()
    assert info.value.suggested_filename.endswith(".mp4")
    actions = media_actions(live_server, clip)
    assert actions.count(Action.MEDIA_DOWNLOAD) == 1 and actions.count(Action.MEDIA_REGISTRATION) == 1


def _grant(live_server: LiveServer, username: str, media_id: uuid.UUID) -> None:
    """``username`` asks to read the original and the demo leader approves (through the services)."""
    c = live_server.container
    asker = c.ctx(actor_for(_user(live_server, username)), "e2e")
    asked = grants.request_access(c.uow(), asker, purpose="登记核对", media_ids=[media_id],
                                  ends_at=asker.now + timedelta(days=1))
    grants.approve(c.uow(), c.ctx(actor_for(_user(live_server, "leader")), "e2e"), asked.request.id)


def _user(live_server: LiveServer, username: str) -> User:
    with live_server.container.uow() as uow:
        user = uow.users.by_username(username)
    assert user is not None
    return user


def _officer_id(live_server: LiveServer, username: str) -> uuid.UUID:
    with live_server.container.uow() as uow:
        user = uow.users.by_username(username)
    assert user is not None
    return user.id


def test_an_officer_of_another_unit_is_refused_and_it_is_recorded(new_tab, live_server: LiveServer,
                                                                  clip: uuid.UUID) -> None:
    tab = new_tab()
    tab.login("officer2")  # 李晓婷 of 食品科, not 执法稽查科
    tab.go("/media")
    expect(tab.page.locator(f"a[href='/media/{clip}']")).to_have_count(0)
    tab.go(f"/media/{clip}")
    expect(tab.page.locator(".error-card")).to_contain_text("不得查阅")
    tab.shot("media-refused")
    actions = media_actions(live_server, clip)
    assert Action.MEDIA_VIEW not in actions and actions[0] == Action.MEDIA_READ_REFUSED  # the refusal is on record
    tab.logout()
    _grant(live_server, "officer", clip)  # Art. 45: 陈志强, whose camera made it, reads it once approved
    tab.login("officer")
    tab.go(f"/media/{clip}")
    tab.page.wait_for_function("() => document.querySelector('#player').readyState >= 1", timeout=15_000)
    assert media_actions(live_server, clip)[0] == Action.MEDIA_VIEW
