"""Approvals in a real browser: the handler submits the initiation, the unit head and the leader
approve it from their 待我审批 inbox, and the case moves to investigation; an emergency start is
recorded on the case page and, 20 hours on, shows as a due-soon ART09 finding on the unit head's
home page and the findings page."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest
from playwright.sync_api import expect

from lawtrail.services import approvals as approval_svc
from lawtrail.services import cases as case_svc
from lawtrail.services.case_input import CaseDetails
from lawtrail.services.users import actor_for

from .conftest import LiveServer
from .flows import stored_user

pytestmark = pytest.mark.browser


def arrange_case(live_server: LiveServer, name: str) -> tuple[UUID, str]:
    """A general-procedure penalty case of 执法稽查科 handled by 陈志强 and 黄伟明 (made by the services)."""
    c = live_server.container
    officer, head = stored_user(live_server, "officer"), stored_user(live_server, "unithead")
    case = case_svc.open_case(c.uow(), c.ctx(actor_for(officer)), unit_id=officer.unit_id, handler_ids=[
        officer.id, head.id], details=CaseDetails(action_type="penalty", procedure="general", origin="inspection",
                                                 name=name, cause="监督检查发现涉嫌违法"))
    return case.id, case.number


def test_initiation_up_the_chain_then_investigation(new_tab, live_server: LiveServer) -> None:
    case_id, number = arrange_case(live_server, "江门市某某商行销售假冒洗衣液案")
    officer = new_tab()
    page = officer.page
    officer.login("officer")
    officer.go(f"/cases/{case_id}")
    expect(page.get_by_role("button", name="进入“调查取证”")).to_be_disabled()  # shown with the reason
    expect(page.locator("#gate-investigation")).to_contain_text("第九条")
    officer.shot("approval-gate-refused")
    page.locator("#submit-initiation summary").click()
    page.locator("#sub-initiation").fill("当事人涉嫌销售假冒注册商标的洗衣液，建议立案调查。")
    page.locator("#submit-initiation").get_by_role("button", name="提交").click()
    expect(page.locator("[data-flash]")).to_contain_text("待执法机构意见")
    expect(page.locator("#approvals .approval[data-step='initiation']")).to_have_attribute("data-status", "pending")
    officer.shot("approval-submitted")

    head = new_tab()
    head.login("unithead")
    hp = head.page
    expect(hp.locator("[data-approvals-waiting]")).to_be_visible()
    expect(hp.locator("#home-approvals")).to_contain_text(number)
    head.shot("approval-home-unithead")
    hp.locator(".nav-item", has_text="待我审批").click()
    hp.wait_for_url(re.compile(r"/approvals$"))
    row = hp.locator("#approval-inbox tbody tr", has_text=number)
    expect(row).to_contain_text("执法机构意见")
    head.shot("approval-inbox-unithead")
    row.get_by_role("link", name="办理").click()
    form = hp.locator(".approval-form").first
    form.locator("textarea[name=opinion]").fill("同意立案，请依法调查取证。")
    form.get_by_role("button", name="同意", exact=True).click()
    expect(hp.locator("[data-flash]")).to_contain_text("审批中")
    expect(hp.locator(".approval-waiting").first).to_contain_text("分管领导意见")
    expect(hp.locator(".approval-form")).to_have_count(0)  # the unit head's turn is over

    leader = new_tab()
    leader.login("leader")
    lp = leader.page
    expect(lp.locator("#home-approvals")).to_contain_text(number)
    leader.go("/approvals")
    lp.locator("#approval-inbox tbody tr", has_text=number).get_by_role("link", name="办理").click()
    form = lp.locator(".approval-form").first
    form.locator("textarea[name=opinion]").fill("同意")
    form.get_by_role("button", name="同意", exact=True).click()
    expect(lp.locator("[data-flash]")).to_contain_text("已通过")
    chain = lp.locator("#approvals .approval[data-step='initiation'] .approval-step")
    expect(chain).to_have_count(3)
    expect(chain.nth(0)).to_contain_text("承办人意见")
    expect(chain.nth(1)).to_contain_text("执法机构意见")
    expect(chain.nth(1)).to_contain_text("黄伟明")
    expect(chain.nth(2)).to_contain_text("分管领导意见")
    expect(chain.nth(2)).to_contain_text("周国华")
    leader.shot("approval-chain-approved")

    officer.go(f"/cases/{case_id}")
    page.get_by_role("button", name="进入“调查取证”").click()
    expect(page.locator("[data-flash]")).to_contain_text("调查取证")
    expect(page.locator(".stage-step.is-current")).to_contain_text("调查取证")
    officer.shot("approval-case-investigating")
    c = live_server.container
    assert [e.action for e in case_svc.case_trail(c.uow(), c.system_ctx(), case_id)][:4] == [
        "case:stage:advance", "case:approval:act", "case:approval:act", "case:approval:submit"]


def test_an_emergency_start_and_its_due_soon_finding(new_tab, live_server: LiveServer) -> None:
    case_id, number = arrange_case(live_server, "江门市某某冷库储存过期冻肉案")
    officer = new_tab()
    page = officer.page
    officer.login("officer")
    officer.go(f"/cases/{case_id}")
    page.locator("#submit-initiation summary").click()
    page.locator("#sub-initiation").fill("冷库内发现大量过期冻肉，当事人正在转移。")
    page.locator("#sub-emergency").check()
    page.locator("#sub-emergency-reason").fill("当事人正在转移涉案冻肉，证据可能灭失")
    page.locator("#submit-initiation").get_by_role("button", name="提交").click()
    expect(page.locator("[data-flash]")).to_contain_text("24小时内")
    expect(page.locator(".approval-emergency")).to_contain_text("应于")
    page.get_by_role("button", name="进入“调查取证”").click()
    expect(page.locator(".stage-step.is-current")).to_contain_text("调查取证")
    officer.shot("approval-emergency-started")

    # Another emergency start, 20 hours ago: its approval is due within the next 4 hours.
    c = live_server.container
    late_id, late_number = arrange_case(live_server, "江门市某某作坊生产有毒有害食品案")
    who = stored_user(live_server, "officer")
    ctx = replace(c.ctx(actor_for(who)), now=c.clock.now() - timedelta(hours=20))
    approval_svc.submit(c.uow(), ctx, late_id, step="initiation", opinion="先行查封涉案作坊",
                        emergency=True, emergency_reason="有毒有害食品可能流入市场")
    head = new_tab()
    head.login("unithead")
    hp = head.page
    deadlines = hp.locator("#home-deadlines li", has_text=late_number)
    expect(deadlines).to_contain_text("即将到期")
    expect(deadlines).to_contain_text("第九条")
    head.shot("approval-home-due-soon")
    head.go("/findings?rule=ART09-EMERGENCY-APPROVAL-24H")
    finding = hp.locator(f"li.finding[data-subject='{late_id}']")
    expect(finding).to_have_class(re.compile(r"finding-due_soon"))
    expect(finding).to_contain_text("24小时")
    expect(hp.locator(f"li.finding[data-subject='{case_id}']")).to_have_class(re.compile(r"finding-open"))
    head.shot("approval-findings-due-soon")
    finding.get_by_role("link").first.click()
    hp.wait_for_url(re.compile(rf"/cases/{late_id}"))
    expect(hp.locator(".approval-emergency")).to_contain_text("有毒有害食品可能流入市场")
    assert number != late_number
