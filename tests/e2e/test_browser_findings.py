"""The compliance pages in a real browser: an archivist finds the ART42 finding of a freshly
ingested original on 合规问题, records a hand-in (after a refused one) and completes it on 交接登记,
marks the original as evidence with an incomplete note, sees ART43-EVIDENCE-NOTE appear, completes
the note and sees it clear. Screenshots go to test-artifacts/screenshots/findings-*.png."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import expect

from lawtrail.domain.access import system_actor
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.services import handins as handin_svc
from lawtrail.services import vault

from .conftest import LiveServer
from .flows import stored_user

pytestmark = pytest.mark.browser

DEVICE = "JM-ZFJLY-006"  # a demo body camera of 执法支队, held by 谭美玲; no other browser test uses it


def ingest_one(live_server: LiveServer, tmp_path: Path) -> UUID:
    """Ingest one original of DEVICE through the service (as a collection station would)."""
    c = live_server.container
    path = tmp_path / f"ZFZD-{secrets.token_hex(4)}.bin"
    path.write_bytes(b"footage " + secrets.token_bytes(64))
    result = vault.ingest_file(c.uow(), c.system_ctx("e2e station"), c.blobs, c.probe, path=path,
                               device_number=DEVICE)
    assert result.status == "stored" and result.sha256
    with c.uow() as uow:
        media = uow.media.by_sha256(result.sha256)
    assert media is not None
    return media.id


def test_archivist_handin_and_evidence_note(new_tab, live_server: LiveServer, tmp_path: Path) -> None:
    media_id = ingest_one(live_server, tmp_path)
    tab = new_tab()
    page = tab.page
    tab.login("archivist")
    assert "合规问题" in tab.nav() and "交接登记" in tab.nav()

    # 合规问题: the new original is not registered by all seven items (Art. 42).
    page.locator(".nav-item", has_text="合规问题").click()
    expect(page.locator("h1")).to_have_text("合规问题")
    item = page.locator(f"li.finding[data-subject='{media_id}'][data-rule='ART42-REGISTRATION-COMPLETE']")
    expect(item).to_have_count(1)
    expect(item.locator(".finding-article")).to_have_text("第四十二条")
    expect(item.locator(".finding-message")).to_contain_text("当事人")
    expect(item.locator(".finding-meta")).to_contain_text("期限：")
    expect(item.locator(f"a[href='/media/{media_id}']")).to_have_count(1)
    open_count = int(page.locator("[data-status-count='open'] .sc-number").inner_text())
    assert open_count >= 1
    tab.shot("findings-list")
    page.locator("#q-rule").select_option("ART42-REGISTRATION-COMPLETE")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"rule=ART42-REGISTRATION-COMPLETE"))
    expect(page.locator("li.finding[data-rule='ART41-STORED-24H']")).to_have_count(0)
    expect(item).to_have_count(1)

    # 交接登记: an exception without the return time is refused inline, nothing recorded.
    page.locator(".nav-item", has_text="交接登记").click()
    expect(page.locator("h1")).to_have_text("交接登记")
    form = page.locator("#new-handin form")
    form.get_by_label("设备", exact=True).select_option(DEVICE)
    form.get_by_label("例外情形", exact=True).select_option("on_water")
    form.get_by_role("button", name="登记交接").click()
    expect(page.locator("#h-returned_at + .hint + .field-error, #err-returned_at")).to_contain_text("返回单位时间")
    expect(page.locator("#open-table tr", has_text=DEVICE)).to_have_count(0)
    tab.shot("findings-handin-refused")
    form = page.locator("#new-handin form")
    expect(form.get_by_label("设备", exact=True)).to_have_value(DEVICE)
    form.get_by_label("例外情形", exact=True).select_option("")
    form.get_by_label("说明", exact=True).fill("下班后交回，一段现场检查视频")
    form.get_by_role("button", name="登记交接").click()
    expect(page.locator("[data-flash]")).to_contain_text(f"已登记设备 {DEVICE} 的交接")
    row = page.locator("#open-table tr", has_text=DEVICE)
    expect(row.locator(".badge")).to_have_text("待完成")
    tab.shot("findings-handin-open")
    row.get_by_role("button", name="完成储存").click()
    expect(page.locator("[data-flash]")).to_contain_text("关联 1 个原始文件")
    assert tab.dialogs and DEVICE in tab.dialogs[-1]
    expect(page.locator("#open-table tr", has_text=DEVICE)).to_have_count(0)
    done = page.locator("#done-table tr", has_text=DEVICE)
    expect(done.locator(f"a[href='/media/{media_id}']")).to_have_count(1)
    tab.shot("findings-handin-done")
    c = live_server.container
    ctx = c.ctx(system_actor("e2e check", stored_user(live_server, "archivist").bureau_id))
    [completion] = [d for h, d in handin_svc.list_handins(c.uow(), ctx) if h.device_number == DEVICE]
    assert completion is not None and completion.media_ids == (media_id,)

    # 证据与保存: evidence with only who collected it → ART43-EVIDENCE-NOTE appears.
    tab.go(f"/media/{media_id}/marks")
    expect(page.locator("#media-findings [data-rule='ART43-EVIDENCE-NOTE']")).to_have_count(0)
    expect(page.locator(f"a[href='/media/{media_id}']").first).to_be_visible()
    mark = page.locator("#mark-form form")
    mark.get_by_label("作为行政执法证据使用").check()
    mark.get_by_label("取证人员", exact=True).fill("谭美玲")
    mark.get_by_role("button", name="保存标记").click()
    expect(page.locator("[data-flash]")).to_contain_text("文字说明尚不完整")
    note = page.locator("#media-findings [data-rule='ART43-EVIDENCE-NOTE']")
    expect(note).to_have_count(1)
    expect(note.locator(".finding-article")).to_have_text("第四十三条")
    expect(note.locator(".finding-message")).to_contain_text("取证时间、取证地点")
    expect(page.locator(".current-mark")).to_contain_text("长期保存")
    tab.shot("findings-mark-incomplete")
    tab.go("/findings?status=overdue")
    expect(page.locator(f"li.finding[data-subject='{media_id}'][data-rule='ART43-EVIDENCE-NOTE']")).to_have_count(1)
    tab.shot("findings-overdue")

    # Completing the note (a new version; the form starts from the current one) clears it.
    tab.go(f"/media/{media_id}/marks")
    mark = page.locator("#mark-form form")
    expect(mark.get_by_label("取证人员", exact=True)).to_have_value("谭美玲")
    expect(mark.get_by_label("作为行政执法证据使用")).to_be_checked()
    yesterday = (datetime.now(BUREAU_TZ) - timedelta(days=1)).strftime("%Y-%m-%dT15:30")
    mark.get_by_label("取证时间", exact=True).fill(yesterday)
    mark.get_by_label("取证地点", exact=True).fill("江门市江海区某食品店")
    mark.get_by_label("当事人对现场执法有异议或投诉、上访").check()
    mark.get_by_role("button", name="保存标记").click()
    expect(page.locator("[data-flash]")).to_have_text(re.compile(r"已保存第 2 版标记"))
    expect(page.locator("#media-findings [data-rule='ART43-EVIDENCE-NOTE']")).to_have_count(0)
    expect(page.locator("#marks-table tbody tr")).to_have_count(2)
    expect(page.locator(".current-mark")).to_contain_text("江门市江海区某食品店")
    tab.shot("findings-mark-complete")
    tab.go("/findings")
    expect(page.locator(f"li.finding[data-subject='{media_id}'][data-rule='ART43-EVIDENCE-NOTE']")).to_have_count(0)
    expect(page.locator(f"li.finding[data-subject='{media_id}'][data-rule='ART42-REGISTRATION-COMPLETE']")
           ).to_have_count(1)


def test_reviewer_sees_findings_but_records_no_handin(new_tab) -> None:
    tab = new_tab()
    tab.login("reviewer")
    assert "合规问题" in tab.nav() and "交接登记" not in tab.nav()
    tab.go("/handins")
    expect(tab.page.locator("h1")).to_have_text("交接登记")
    expect(tab.page.locator("#new-handin")).to_have_count(0)
    expect(tab.page.get_by_role("button", name="完成储存")).to_have_count(0)
    tab.logout()
    tab.login("admin")  # runs the system, not the cases: no findings
    assert "合规问题" not in tab.nav()
    tab.go("/findings")
    expect(tab.page.locator(".error-card .error-code")).to_have_text("403")
