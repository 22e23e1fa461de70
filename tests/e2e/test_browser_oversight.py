"""Supervision in a real browser: the supervisor's 监督看板 (headline numbers, bar charts per unit
and rule, lines over days) and 问责报告 (filters, the five Art. 48 kinds, the people named, XLSX
and PDF downloads), and reading it recorded in the trail. Screenshots: oversight-*.png."""

from __future__ import annotations

import io
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from lawtrail.domain.access import system_actor
from lawtrail.domain.events import Action
from lawtrail.domain.org import local_date
from lawtrail.domain.supervision import SnapshotRow
from lawtrail.services import activities, handins, oversight, vault

from .conftest import LiveServer
from .flows import stored_user

pytestmark = pytest.mark.browser

DEVICE = "JM-ZFJLY-007"  # a demo body camera of 环市街道综合执法办, held by 冯嘉欣; no other browser test uses it


def seed(live_server: LiveServer, tmp_path: Path) -> None:
    """A late hand-in, an original and an on-site activity without footage (both overdue later),
    and thirty days of snapshot history (as the daily worker would have written it)."""
    c = live_server.container
    holder = stored_user(live_server, "fengjiaxin")
    sys = c.ctx(system_actor("e2e oversight", holder.bureau_id))
    now = sys.now
    path = tmp_path / f"HSJD-{secrets.token_hex(4)}.bin"
    path.write_bytes(b"footage " + secrets.token_bytes(64))
    vault.ingest_file(c.uow(), sys, c.blobs, c.probe, path=path, device_number=DEVICE,
                      handed_in_at=now - timedelta(days=3))
    handins.record_handin(c.uow(), sys, device_number=DEVICE, handed_in_at=now - timedelta(days=2))
    with c.uow() as uow:
        device = uow.devices.by_number(DEVICE)
    assert device is not None
    activities.create_activity(c.uow(), sys, unit_id=holder.unit_id, data=activities.ActivityInput(
        kind="onsite_inspection", title="环市街道某餐饮店现场检查", place="蓬江区环市街道", party="某餐饮店",
        arrived_at=now - timedelta(days=4), departed_at=now - timedelta(days=4) + timedelta(minutes=40),
        officer_ids=[holder.id], device_ids=[device.id]))
    today = local_date(now)
    with c.uow() as uow:
        current, _, _ = oversight.compute(uow, holder.bureau_id, None, now, c.rules)
    rows = []
    for back in range(1, 31):
        day = today - timedelta(days=back)
        for m in current:
            den = max(m.denominator, 4)
            num = m.numerator if m.metric == "overdue" else min(den, den - (back % 4 == 0) - (back % 7 == 0))
            rows.append(SnapshotRow(str(holder.bureau_id), day, m.unit_id, m.metric, max(num, 0),
                                    den if m.metric != "overdue" else 0, now - timedelta(days=back)))
    with c.uow() as uow:
        for back in range(1, 31):
            day = today - timedelta(days=back)
            uow.oversight.replace_snapshot(holder.bureau_id, day, [r for r in rows if r.day == day])
        uow.commit()


def test_supervisor_dashboard_and_accountability_report(new_tab, live_server: LiveServer, tmp_path: Path) -> None:
    seed(live_server, tmp_path)
    tab = new_tab()
    page = tab.page
    tab.login("supervisor")
    assert "监督看板" in tab.nav() and "问责报告" in tab.nav()
    expect(page.locator(".home-oversight [data-kpi='compliance'] .kpi-value")).to_have_text(re.compile(r"%$"))
    tab.shot("oversight-home-supervisor")

    page.locator(".nav-item", has_text="监督看板").click()
    expect(page.locator("h1")).to_have_text("监督看板")
    expect(page.locator("[data-kpi='compliance'] .kpi-value")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(page.locator("[data-kpi='activation'] .kpi-value")).to_have_text(re.compile(r"%$|^—$"))
    assert int(page.locator("[data-kpi='overdue'] .kpi-value").inner_text()) >= 2
    expect(page.locator("svg.chart-bars").first).to_be_visible()
    expect(page.locator("svg.chart-line polyline").first).to_be_visible()
    expect(page.locator("svg.chart-bars text", has_text="蓬江区环市街道").first).to_be_visible()
    expect(page.locator("#overdue-table tr[data-rule='ART32-AV-REQUIRED']").first).to_be_visible()
    tab.shot("oversight-dashboard")

    page.locator(".nav-item", has_text="问责报告").click()
    expect(page.locator("h1")).to_have_text("问责报告")
    expect(page.locator("[data-kind='not_recorded'] .kc-number")).not_to_have_text("0")
    rows = page.locator("#items-table tr[data-source='ART32-AV-REQUIRED']")
    expect(rows.first).to_contain_text("冯嘉欣")
    expect(page.locator("#by-officer")).to_contain_text("冯嘉欣")
    tab.shot("oversight-report")

    # A bad date is refused inline; filtering by the unit keeps only its items.
    tab.go("/oversight/report?start=2026-13-01")
    expect(page.locator(".alert-error")).to_contain_text("开始日期")
    tab.go("/oversight/report")
    page.locator("#q-unit").select_option(label="蓬江区环市街道综合执法办（受委托组织）")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"unit="))
    expect(page.locator("#by-unit tbody tr")).to_have_count(1)
    tab.shot("oversight-report-unit")

    with page.expect_download() as download:
        page.locator("[data-export='xlsx']").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames == ["问责事项", "按机构", "按人员"]
    assert book["按机构"]["A2"].value == "蓬江区环市街道综合执法办（受委托组织）"
    with page.expect_download() as download:
        page.locator("[data-export='pdf']").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    c = live_server.container
    me = stored_user(live_server, "supervisor")
    with c.uow() as uow:
        mine = [e.action for e in uow.events.list(actor_id=me.id, limit=20)]
    assert mine.count(Action.OVERSIGHT_REPORT_EXPORT.value) == 2
    assert Action.OVERSIGHT_REPORT_VIEW.value in mine


def test_an_officer_has_no_oversight(new_tab) -> None:
    tab = new_tab()
    tab.login("officer")
    assert "监督看板" not in tab.nav()
    expect(tab.page.locator(".home-oversight")).to_have_count(0)
    tab.go("/oversight/report")
    expect(tab.page.locator(".error-card")).to_be_visible()
