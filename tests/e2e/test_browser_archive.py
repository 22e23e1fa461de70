"""The archive in a real browser: an archivist exports a concluded demo case's file (案卷) as a
BagIt bag, with progress, verified offline on the spot and downloadable; a disposal proposed by
the archivist waits for a leader, who approves it, and the certificate is there."""

from __future__ import annotations

import io
import re
import tarfile
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lawtrail.adapters.casefile_verify import verify_bag
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import MediaRecord

from .conftest import LiveServer

pytestmark = pytest.mark.browser
CONCLUDED = "个体户陈某未明码标价案"  # a demo case that went all the way to 归档


def test_an_archivist_exports_a_concluded_case_as_a_verified_bag(new_tab, live_server: LiveServer,
                                                                  tmp_path) -> None:
    tab = new_tab()
    page = tab.page
    tab.login("archivist")
    tab.go("/cases?stage=archive")
    page.locator("#cases-table tbody tr", has_text=CONCLUDED).locator("a").first.click()
    expect(page.locator("h1 .badge.stage-archive")).to_contain_text("归档")
    tab.shot("archive-case-concluded")
    page.get_by_role("button", name=re.compile("导出案卷")).click()
    page.wait_for_url(re.compile(r"/archive/exports/[0-9a-f]{32}"))
    expect(page.locator("#export-progress h2")).to_have_text("导出完成", timeout=30_000)
    expect(page.locator("#export-verified")).to_contain_text("离线核验通过")
    rows = page.locator("#export-items tbody tr")
    assert rows.count() >= 7  # case data, a record's form and history, the ledger excerpt's four files
    expect(rows.filter(has_text="送达").first).to_be_visible()  # the records are in the file (Art. 39)
    expect(page.locator("#export-items .badge.st-overdue")).to_have_count(0)
    tab.shot("archive-export-done")
    with page.expect_download() as info:
        page.locator("#download-bag").click()
    data = open(info.value.path(), "rb").read()  # noqa: SIM115  # a small test bag
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(tmp_path, filter="data")
    (bag,) = list(tmp_path.iterdir())
    assert verify_bag(bag).ok
    forms = list((bag / "data" / "records").glob("*.pdf"))
    assert forms and all(f.read_bytes().startswith(b"%PDF-") for f in forms)
    tab.go("/cases?stage=archive")
    page.locator("#cases-table tbody tr", has_text=CONCLUDED).locator("a").first.click()
    expect(page.locator("#trail")).to_contain_text("archive:casefile:export")


def _expired_original(live_server: LiveServer) -> MediaRecord:
    """An original captured eight months ago (past six months, Art. 43), stored as ingest stores it."""
    c = live_server.container
    with c.uow() as uow:
        device = next(d for b in uow.bureaus.list() for d in uow.devices.list(b.id, None))
    at = c.clock.now() - timedelta(days=245)
    blob = c.blobs.put_stream([uuid.uuid4().bytes * 200])
    media = MediaRecord(id=uuid.uuid4(), sha256=blob.sha256, size=blob.size, media_type=MediaType.VIDEO,
                        original_name="八个月前巡查.mp4", facts={}, probe_ok=False, device_id=device.id,
                        officer_id=None, unit_id=device.unit_id, bureau_id=device.bureau_id, captured_at=at,
                        captured_end=at, handed_in_at=at, stored_at=at, clock_offset_s=None, ingested_by="测试",
                        created_at=at)
    with c.uow() as uow:
        uow.media.add(media)
        uow.commit()
    return media


def test_a_disposal_needs_the_leaders_approval(new_tab, live_server: LiveServer) -> None:
    media = _expired_original(live_server)
    tab = new_tab()
    page = tab.page
    tab.login("archivist")
    page.locator(".nav-item", has_text="档案").click()
    page.wait_for_url(re.compile(r"/archive$"))
    expect(page.locator("h1")).to_have_text("销毁")
    page.locator(f"#pick-{media.id}").check()
    page.get_by_label("销毁理由").fill("保存期限已满六个月，无证据用途，无保存价值")
    page.get_by_role("button", name="提交销毁申请").click()
    expect(page.locator("[data-flash]")).to_contain_text("待领导审批")
    row = page.locator("#disposal-table tr", has_text=media.sha256[:16])
    expect(row).to_contain_text("待审批")
    expect(row).to_contain_text("待另一名领导审批")  # the archivist cannot approve it
    tab.shot("archive-disposal-proposed")
    page.get_by_role("link", name="保存期限", exact=True).click()
    expect(page.locator("#retention-table")).to_contain_text("八个月前巡查.mp4")
    page.get_by_label("一般保存（月）").fill("12")
    page.get_by_role("button", name="预览").click()
    expect(page.locator("#preview-result")).to_contain_text("0 个原始文件")  # longer: nothing newly disposable
    tab.shot("archive-retention-preview")
    page.get_by_role("link", name="法律保全", exact=True).click()
    page.get_by_label("案件编号或原始文件 SHA-256").fill("不存在的案号")
    page.get_by_label("保全理由").fill("行政诉讼中")
    page.get_by_role("button", name="设置保全").click()
    expect(page.locator("#place-hold .alert-error")).to_contain_text("不存在")
    tab.shot("archive-holds-refused")
    tab.logout()
    tab.login("leader")
    page.locator(".nav-item", has_text="档案").click()
    row = page.locator("#disposal-table tr", has_text=media.sha256[:16])
    row.get_by_label("审批意见").fill("同意销毁")
    row.get_by_role("button", name="批准销毁").click()
    expect(page.locator("[data-flash]")).to_contain_text("已批准并销毁")
    assert any("无法恢复" in d for d in tab.dialogs)
    row = page.locator("#disposal-table tr", has_text=media.sha256[:16])
    expect(row).to_contain_text("已销毁")
    expect(row.get_by_role("link", name="销毁证明")).to_be_visible()
    tab.shot("archive-disposal-approved")
    assert not live_server.container.blobs.exists(media.sha256)
