"""Cases in a real browser: the list with its filters, opening a case in the 新建案件 form (after
a refused ID number, with an expired officer shown disabled), advancing it, and its trail."""

from __future__ import annotations

import re
import secrets
from datetime import date
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from lawtrail.services import approvals as approval_svc
from lawtrail.services import cases as case_svc
from lawtrail.services import users as user_svc
from lawtrail.services.users import actor_for

from .conftest import SCREENSHOTS, LiveServer
from .flows import stored_user

pytestmark = pytest.mark.browser


def test_case_list_filters_and_badges(new_tab) -> None:
    tab = new_tab()
    page = tab.page
    tab.login("supervisor")
    page.locator(".nav-item", has_text="案件").click()
    page.wait_for_url(re.compile(r"/cases$"))
    expect(page.locator("h1")).to_have_text("案件")
    rows = page.locator("#cases-table tbody tr")
    assert rows.count() >= 10
    expect(page.locator("#cases-table .badge.stage-archive").first).to_be_visible()
    tab.shot("cases-list")
    page.locator("#q-stage").select_option("investigation")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"stage=investigation"))
    assert rows.count() >= 1
    for label in page.locator("#cases-table tbody tr td:nth-child(6) .badge").all_text_contents():
        assert label.strip() == "调查取证"
    page.locator("#q-party").fill("没有这个当事人")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#cases-table .empty-row")).to_have_text("没有符合条件的案件")


def test_officer_opens_advances_and_sees_the_trail(new_tab, live_server: LiveServer) -> None:
    tab = new_tab()
    page = tab.page
    tab.login("officer")
    tab.go("/cases")
    page.get_by_role("link", name="新建案件").click()
    expect(page.locator("h1")).to_have_text("新建案件")
    form = page.locator("#case-form")
    form.get_by_label("执法行为类别", exact=True).select_option("penalty")
    form.get_by_label("案件名称", exact=True).fill("江门市某某超市销售不合格口罩案")
    form.get_by_label("案由", exact=True).fill("涉嫌销售不合格医用口罩")
    form.get_by_label("案件来源", exact=True).select_option("complaint")
    form.get_by_label("投诉举报方式", exact=True).select_option("yes")
    form.get_by_label("投诉举报人", exact=True).fill("赵先生")
    form.get_by_label("投诉举报人联系方式", exact=True).fill("13711112222")
    slot = form.locator(".party-slot").first
    slot.get_by_label("名称 / 姓名").fill("江门市某某超市有限公司")
    slot.get_by_label("证件号码").fill("91440300708461136U")  # wrong check character
    slot.get_by_label("法定代表人 / 负责人").fill("赵某")
    form.locator("#h-unithead").check()
    expect(form.locator("#h-officer")).to_be_checked()
    form.get_by_role("button", name="立案").click()
    expect(page.locator("#err-parties\\.0\\.id_number")).to_contain_text("校验位")
    expect(form.get_by_label("案件名称", exact=True)).to_have_value("江门市某某超市销售不合格口罩案")
    tab.shot("case-new-refused")
    form = page.locator("#case-form")
    form.locator(".party-slot").first.get_by_label("证件号码").fill("91440300708461136T")
    form.locator("#h-unithead").check()
    form.get_by_role("button", name="立案").click()
    expect(page.locator("[data-flash]")).to_contain_text("已立案")
    number = page.locator(".case-number").inner_text()
    assert re.fullmatch(r"江市监ZFJCK〔20\d\d〕\d+号", number), number
    expect(page.locator(".stage-step.is-current")).to_contain_text("程序启动")
    tab.shot("case-opened")
    # the 阶段清单: the current stage open, the initiation form first to do
    checklist = page.locator("#checklist")
    expect(checklist.locator('.cl-stage[data-status="current"] details')).to_have_attribute("open", "")
    expect(checklist.locator("#next-step")).to_contain_text("程序启动表")
    expect(checklist.locator('[data-key="approval:initiation"]')).to_contain_text("待办")
    checklist_shot(page, "case-checklist-new")

    gated = page.get_by_role("button", name="进入“调查取证”")  # the initiation is not approved yet
    expect(gated).to_be_disabled()
    expect(page.locator("#gate-investigation")).to_contain_text("第九条")
    approve_initiation(live_server, number)  # the chain itself is driven in test_browser_approvals.py
    tab.go(urlparse(page.url).path)
    page.get_by_role("button", name="进入“调查取证”").click()
    expect(page.locator("[data-flash]")).to_contain_text("调查取证")
    expect(page.locator(".stage-step.is-current")).to_contain_text("调查取证")
    expect(page.locator(".stage-step.is-done")).to_have_count(1)
    page.get_by_role("button", name="进入“审查决定”").click()
    expect(page.locator(".stage-step.is-current")).to_contain_text("审查决定")
    trail = page.locator("#case-trail-table")
    expect(trail.locator("tbody tr")).to_have_count(6)  # open, submit, 2 opinions, 2 moves
    expect(trail).to_contain_text("立案")
    expect(trail.locator("tr", has_text="环节变更").first).to_contain_text("审查决定")
    tab.shot("case-advanced-with-trail")

    c = live_server.container
    officer = stored_user(live_server, "officer")
    with c.uow() as uow:
        stored = uow.cases.by_number(officer.bureau_id, number)
    assert stored is not None and stored.stage.value == "review"
    assert [e.action for e in case_svc.case_trail(c.uow(), c.system_ctx(), stored.id)] == [
        "case:stage:advance", "case:stage:advance", "case:approval:act", "case:approval:act", "case:approval:submit",
        "case:case:open"]


def checklist_shot(page: Page, name: str) -> None:
    """A screenshot of the 阶段清单 card alone (the sticky top bar unpinned so it does not cover it)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.querySelector('.topbar').style.position = 'static'")  # CSSOM: CSP allows it
    page.locator("#checklist").screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def approve_initiation(live_server: LiveServer, number: str) -> None:
    """陈志强 submits the initiation, 黄伟明 and 周国华 approve it (through the services)."""
    c = live_server.container
    officer = stored_user(live_server, "officer")
    with c.uow() as uow:
        case = uow.cases.by_number(officer.bureau_id, number)
    assert case is not None
    request = approval_svc.submit(c.uow(), c.ctx(actor_for(officer)), case.id, step="initiation",
                                  opinion="建议立案").request
    for name in ("unithead", "leader"):
        approval_svc.act(c.uow(), c.ctx(actor_for(stored_user(live_server, name))), request.id, decision="approve",
                         opinion="同意")


def test_expired_officer_is_shown_disabled_with_the_reason(new_tab, live_server: LiveServer) -> None:
    c = live_server.container
    officer = stored_user(live_server, "officer")
    username = f"exp{secrets.token_hex(3)}"
    user_svc.create_user(c.uow(), c.system_ctx("e2e arrange"), c.deps, unit_id=officer.unit_id, username=username,
                         display_name="过期证件员", roles=["officer"], password=secrets.token_urlsafe(16),
                         cert_number="粤0720200001", cert_valid_from=date(2019, 1, 1), cert_valid_to=date(2024, 1, 1))
    tab = new_tab()
    tab.login("officer")
    tab.go("/cases/new")
    option = tab.page.locator(".handler-option", has_text="过期证件员")
    expect(option.locator("input")).to_be_disabled()
    expect(option.locator(".handler-why")).to_have_text("执法证已过期，不能承办（第五条）")
    expect(tab.page.locator(".handler-option", has_text="黄伟明").locator("input")).to_be_enabled()
    expect(tab.page.locator("#f-lead_id option", has_text="过期证件员")).to_have_count(0)
    tab.shot("case-new-handlers")


def test_a_case_with_one_certified_handler_cannot_investigate(new_tab) -> None:
    tab = new_tab()
    page = tab.page
    tab.login("supervisor")
    tab.go("/cases?number=HSJD")
    page.locator("#cases-table tbody tr a").first.click()
    expect(page.locator(".stage-step.is-current")).to_contain_text("程序启动")
    expect(page.locator(".handler-list")).to_contain_text("冯嘉欣")
    expect(page.get_by_role("button", name="进入“调查取证”")).to_have_count(0)  # a supervisor only reads
    tab.shot("case-supervisor-view")


def test_the_checklist_of_a_case_under_investigation(new_tab) -> None:
    """The demo's expired-food case (an emergency start, records with gaps): each stage with its
    items, the findings on them, the next step, and a link that opens the record form."""
    tab = new_tab()
    page = tab.page
    tab.login("officer")
    tab.go("/cases?party=鲜味")
    page.locator("#cases-table tbody tr a").first.click()
    checklist = page.locator("#checklist")
    expect(checklist.locator(".cl-stage")).to_have_count(6)
    current = checklist.locator('.cl-stage[data-status="current"]')
    expect(current).to_have_attribute("data-stage", "investigation")
    expect(current.locator("details")).to_have_attribute("open", "")
    expect(current.locator('[data-key="record:inquiry_record"]')).to_be_visible()
    expect(current.locator('[data-key="av:investigation"]')).to_contain_text("不适宜音像记录")
    expect(checklist.locator('.cl-stage[data-status="future"]')).to_have_count(4)
    expect(checklist.locator("#next-step")).to_be_visible()
    # the stage left behind is folded; opened, it shows the emergency start's deadline (Art. 9)
    initiation = checklist.locator('.cl-stage[data-stage="initiation"]')
    expect(initiation.locator('[data-rule="ART09-EMERGENCY-APPROVAL-24H"]')).to_be_hidden()
    initiation.locator("summary").click()
    expect(initiation.locator('[data-rule="ART09-EMERGENCY-APPROVAL-24H"]')).to_contain_text("第九条")
    checklist_shot(page, "case-checklist")
    tab.shot("case-checklist-page")
    # the rights notice is still to make: its link opens the record form of that kind
    current.locator('[data-key="record:rights_notice"] a[data-act="new_record"]').click()
    expect(page.locator("h1")).to_have_text("权利告知书")
