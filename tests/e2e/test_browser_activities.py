"""现场执法活动 in a real browser: an activity whose camera left two 5-minute gaps shows them in red
with ART35 findings; recording the interruptions turns them amber and clears ART35; the one after
which recording could not resume keeps ART36 until the report and the written explanation are
given (Art. 32, 35, 36). Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from lawtrail.domain.org import BUREAU_TZ
from lawtrail.services import devices as dev_svc
from lawtrail.services import vault
from tests.integration.clip_fixtures import make_clip

from .conftest import LiveServer, Tab
from .flows import stored_user

pytestmark = pytest.mark.browser

CAMERA = "JM-ZFJLY-001"  # the demo camera held by 陈志强 (officer), 执法稽查科


def local(value: datetime) -> str:
    return value.astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M")


def submit(page: Page, button: Locator, flash: str) -> None:
    """Click a form's button and wait for the redirect's success message (app.js then drops the
    ``?ok=`` from the address, so the message, not the URL, is what to wait for)."""
    with page.expect_navigation():
        button.click()
    expect(page.locator("[data-flash]")).to_contain_text(flash)


def findings(page: Page, rule: str) -> int:
    return page.locator(f"#findings [data-rule='{rule}']").count()


def test_gaps_turn_amber_when_interruptions_are_recorded(new_tab: Callable[[], Tab], live_server: LiveServer,
                                                         tmp_path: Path) -> None:
    c = live_server.container
    sys = c.system_ctx("e2e arrange")
    arrived = (c.clock.now() - timedelta(hours=3)).replace(second=0, microsecond=0)
    departed = arrived + timedelta(minutes=20)
    # The camera records 09:00–09:08 and 09:13–09:15 (relative); its battery dies at 09:15.
    for name, start, seconds in (("early.mp4", arrived - timedelta(seconds=10), 8 * 60 + 10),
                                 ("late.mp4", arrived + timedelta(minutes=13), 2 * 60)):
        result = vault.ingest_file(c.uow(), sys, c.blobs, c.probe, path=make_clip(tmp_path / name, start, seconds),
                                   device_number=CAMERA)
        assert result.status == "stored"
    camera = dev_svc.find_device(c.uow(), sys, CAMERA)
    chen = stored_user(live_server, "officer")

    tab = new_tab()
    tab.login("officer")
    page = tab.page
    page.locator(".nav-item", has_text="现场执法").click()
    page.wait_for_url(re.compile(r"/activities$"))
    page.get_by_label("活动类型").select_option("coercive_measure")
    page.get_by_label("活动名称（案由）").fill("查封江门某食品有限公司仓库")
    page.get_by_label("当事人").fill("江门某食品有限公司")
    page.get_by_label("地点").fill("蓬江区建设路18号仓库")
    page.get_by_label("到达现场时间").fill(local(arrived))
    page.get_by_label("离开现场时间").fill(local(departed))
    page.locator(f"input[name=officer_ids][value='{chen.id}']").check()
    page.locator(f"input[name=device_ids][value='{camera.id}']").check()
    page.locator("input[name=uninterrupted_required]").check()
    tab.shot("activities-new")
    submit(page, page.get_by_role("button", name="登记", exact=True), "现场执法活动已登记")
    expect(page).to_have_url(re.compile(r"/activities/[0-9a-f-]{36}$"))
    activity_url = page.url

    # Two red gaps of 5 minutes, two ART35 findings citing Art. 35; the clips link to their media.
    expect(page.locator(".tl-gap")).to_have_count(2)
    expect(page.locator(".tl-text-gap").first).to_have_text("5分00秒")
    expect(page.locator(".tl-clip")).to_have_count(2)
    assert all(href.startswith("/media/") for href in
               page.locator("a.tl-link:has(.tl-clip)").evaluate_all("els => els.map(e => e.getAttribute('href'))"))
    assert findings(page, "ART35-CONTINUITY") == 2
    expect(page.locator("#findings")).to_contain_text("第三十五条")
    tab.shot("activity-gaps")

    # The first gap: the camera's card was full, recording resumed at 09:13.
    page.locator(".tl-gap").first.click()
    page.wait_for_url(re.compile(r"device=.*#record$"))
    expect(page.locator("#r-started_at")).to_have_value(re.compile(local(arrived + timedelta(minutes=8))))
    page.locator("#r-reason").select_option("storage_full")
    page.locator("#r-reason_text").fill("存储卡已满，更换存储卡后继续记录")
    submit(page, page.get_by_role("button", name="登记中断"), "中断情况已登记")
    expect(page.locator(".tl-gap")).to_have_count(1)
    expect(page.locator(".tl-explained")).to_have_count(1)
    assert findings(page, "ART35-CONTINUITY") == 1 and findings(page, "ART36-INTERRUPTION-EXPLAINED") == 0

    # The second gap: the battery died and recording could not resume before departure.
    page.locator(".tl-gap").first.click()
    page.wait_for_url(re.compile(r"device=.*#record$"))
    page.locator("input[name=resumed][value=no]").check()
    page.locator("#r-ended_at").fill("")
    page.locator("#r-reason").select_option("battery")
    submit(page, page.get_by_role("button", name="登记中断"), "中断情况已登记")
    expect(page.locator(".tl-gap")).to_have_count(0)
    expect(page.locator(".tl-explained")).to_have_count(2)
    assert findings(page, "ART35-CONTINUITY") == 0
    assert findings(page, "ART36-INTERRUPTION-EXPLAINED") == 1
    expect(page.locator("#findings [data-rule='ART36-INTERRUPTION-EXPLAINED']")).to_contain_text("书面说明")
    tab.shot("activity-interruptions")

    # The report to the head and the written explanation clear ART36.
    stop = page.locator(".stop", has_text="未能恢复")
    stop.locator("summary").click()
    stop.get_by_label("报告对象（负责人）").select_option(label="黄伟明")
    stop.get_by_label("报告时间").fill(local(arrived + timedelta(minutes=16)))
    stop.get_by_label("书面说明").fill("执法记录仪电量耗尽，现场无备用电池，已电话报告科长黄伟明，改用纸质笔录记录。")
    submit(page, stop.get_by_role("button", name="保存补充"), "中断情况已补充")
    expect(page.locator("#findings .finding")).to_have_count(0)
    expect(page.locator("#findings")).to_contain_text("未发现问题")
    tab.shot("activity-complete")

    # The list shows the activity without open problems; a bad form re-renders with the error.
    page.goto(tab.base + "/activities")
    expect(page.locator("#activities-table tr", has_text="查封江门某食品有限公司仓库")).to_contain_text("无")
    page.get_by_label("活动名称（案由）").fill("缺少时间的活动")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.locator("#err-arrived_at")).to_be_visible()
    tab.shot("activities-list")
    assert activity_url.startswith(tab.base + "/activities/")
