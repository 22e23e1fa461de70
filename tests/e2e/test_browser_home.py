"""The home page of each role (工作台) and the unit dashboard (单位合规看板) in a real browser, over
the demo data: the officer sees their open cases with their stage and the findings on them, the
unit head and the leader what waits for their opinion and the deadlines of their units, the
supervisor the dashboard's numbers and the units' counts; the dashboard's numbers lead to the
filtered findings list. Screenshots go to test-artifacts/screenshots/home-role-*.png."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_officer_home_lists_my_cases_and_their_findings(new_tab) -> None:
    tab = new_tab()
    tab.login("officer")
    page = tab.page
    cases = page.locator("#home-my-cases tbody tr")
    expect(cases.first).to_be_visible()
    expect(cases.first.locator(".badge[class*='stage-']")).to_have_count(1)
    expect(page.locator("#home-my-findings li.finding").first).to_be_visible()
    statuses = [c.split("finding-")[-1] for c in page.locator("#home-my-findings li.finding").evaluate_all(
        "els => els.map(e => [...e.classList].find(c => c.startsWith('finding-') && c !== 'finding-compact'))")]
    rank = {"overdue": 0, "due_soon": 1, "open": 2}
    assert [rank[s] for s in statuses] == sorted(rank[s] for s in statuses), statuses  # most urgent first
    expect(page.locator("#home-approvals")).to_have_count(0)  # an officer gives no opinions
    expect(page.locator("#home-units")).to_have_count(0)
    tab.shot("home-role-officer")
    cases.first.locator("a.case-number").click()
    expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]+$"))


def test_unit_head_home_and_the_unit_dashboard(new_tab) -> None:
    tab = new_tab()
    tab.login("unithead")
    page = tab.page
    expect(page.locator("#home-approvals h2")).to_contain_text("待我审批")
    expect(page.locator("#home-attention [data-status-count='overdue'] strong")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#home-units tbody tr")).to_have_count(1)  # their own unit
    tab.shot("home-role-unithead")
    page.locator("#home-units").get_by_role("link", name="查看看板").click()
    expect(page.locator("h1")).to_have_text("单位合规看板")
    expect(page.locator("#unit-counts tr.uc-unit")).to_have_count(1)
    tab.shot("home-role-unithead-units")


def test_leader_home(new_tab) -> None:
    tab = new_tab()
    tab.login("leader")
    page = tab.page
    expect(page.locator("#home-approvals")).to_be_visible()
    expect(page.locator("#home-deadlines")).to_be_visible()
    assert page.locator("#home-units tbody tr").count() >= 2  # every unit of the bureau
    expect(page.locator("#home-archive [data-todo='disposals']")).to_contain_text("待您审批的销毁")
    tab.shot("home-role-leader")


def test_supervisor_home_and_the_dashboard_s_links(new_tab) -> None:
    tab = new_tab()
    tab.login("supervisor")
    page = tab.page
    expect(page.locator(".home-oversight [data-kpi='compliance']")).to_be_visible()
    expect(page.locator("#home-units")).to_be_visible()
    expect(page.locator("#home-approvals")).to_have_count(0)
    tab.shot("home-role-supervisor")
    tab.go("/findings")
    page.locator("#to-unit-counts").click()
    expect(page.locator("h1")).to_have_text("单位合规看板")
    rows = page.locator("#unit-counts tr.uc-unit")
    assert rows.count() >= 2
    tab.shot("home-role-supervisor-units")
    # A rule's number opens the findings of that unit, rule and status, and as many of them.
    link = page.locator("#unit-counts tr.uc-rule td[data-count] a.uc-num").first
    expected = int(link.inner_text())
    link.click()
    expect(page.locator("h1")).to_have_text("合规问题")
    query = parse_qs(urlparse(page.url).query)
    assert query.get("rule") and query.get("unit")
    shown = page.locator("li.finding")
    expect(shown).to_have_count(expected)
    assert {r for r in shown.evaluate_all("els => els.map(e => e.dataset.rule)")} == set(query["rule"])
    # A filter on the dashboard keeps the chosen rule only.
    tab.go("/findings/units")
    page.locator("#q-rule").select_option("ART42-REGISTRATION-COMPLETE")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"rule=ART42-REGISTRATION-COMPLETE"))
    assert set(page.locator("#unit-counts tr.uc-rule[data-rule]").evaluate_all(
        "els => els.map(e => e.dataset.rule)")) <= {"ART42-REGISTRATION-COMPLETE"}
