"""The UI in a real browser: every demo login, the admin, archivist, officer and TOTP flows, and
the supervisor reading their trail. Screenshots go to test-artifacts/screenshots/.

The four flows run once each as session fixtures, so the trail test sees their events even when
it is run on its own; each flow's test then checks what the flow left in the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from uuid import UUID

import pytest
from playwright.sync_api import Browser, expect

from lawtrail.domain.devices import holder_at
from lawtrail.services import auth as auth_svc
from lawtrail.services import devices as dev_svc
from lawtrail.services import users as user_svc
from lawtrail.services.demo import DEMO_PASSWORD, PEOPLE

from .conftest import LiveServer
from .flows import (
    NAME,
    PERSON_UNIT,
    AdminMade,
    DeviceMade,
    run_admin_flow,
    run_archivist_flow,
    run_officer_flow,
    run_totp_flow,
    session_tab,
    stored_user,
)

pytestmark = pytest.mark.browser


ALL_NAV = ["首页", "执法机构", "人员", "记录事项清单", "设备", "上传音像", "留痕", "账本", "个人设置"]
NAV_PATHS = {"首页": "/", "案件": "/cases", "待我审批": "/approvals", "执法机构": "/admin/units",
             "人员": "/admin/users", "记录事项清单": "/admin/catalogue", "设备": "/devices",
             "音像资料": "/media", "上传音像": "/media/upload", "现场执法": "/activities",
             "合规问题": "/findings", "交接登记": "/handins", "留痕": "/trail", "账本": "/ledger", "个人设置": "/me",
             "申请查阅": "/access", "查阅审批": "/access/pending", "查阅登记": "/access/register",
             "外部查阅": "/access/outside", "监督看板": "/oversight", "问责报告": "/oversight/report",
             "档案": "/archive", "对外提供": "/disclosures"}
#: What each demo login may use, as the navigation must show it.
_BASE = ["首页", "案件", "执法机构", "人员"]
#: Unit heads, legal reviewers and leaders give opinions: they have the 待我审批 inbox after 案件.
_APPROVER = ["首页", "案件", "待我审批", "执法机构", "人员"]
_FIELD = ["设备", "音像资料", "上传音像", "现场执法", "合规问题", "交接登记"]
_OVERSIGHT = ["设备", "音像资料", "现场执法", "合规问题"]
_WATCH = ["监督看板", "问责报告", "留痕", "账本"]
EXPECTED_NAV = {
    "officer": [*_BASE, *_FIELD, "申请查阅", "对外提供", "个人设置"],
    "officer2": [*_BASE, *_FIELD, "申请查阅", "对外提供", "个人设置"],
    "unithead": [*_APPROVER, *_FIELD, "申请查阅", "对外提供", "监督看板", "问责报告", "留痕", "个人设置"],
    "reviewer": [*_APPROVER, "合规问题", "申请查阅", "个人设置"],
    "leader": [*_APPROVER, *_OVERSIGHT, "申请查阅", "查阅审批", "查阅登记", "外部查阅", "对外提供", *_WATCH, "档案",
               "个人设置"],
    "archivist": [*_BASE, *_FIELD, "申请查阅", "查阅登记", "外部查阅", "对外提供", "账本", "档案", "个人设置"],
    "supervisor": [*_BASE, *_OVERSIGHT, "申请查阅", "查阅登记", *_WATCH, "个人设置"],
    "admin": ALL_NAV,
}


# ---- logins and navigation --------------------------------------------------------------------

@pytest.mark.parametrize("username", list(EXPECTED_NAV))
def test_demo_login_lands_on_home_with_the_role_navigation(new_tab, username: str) -> None:
    tab = new_tab()
    tab.login(username)
    page = tab.page
    expect(page.locator("h1")).to_contain_text(NAME[username])
    expect(page.locator(".user-unit")).to_have_text(PERSON_UNIT[username])
    assert tab.nav() == EXPECTED_NAV[username]
    expect(page.locator(".nav-item.is-active")).to_have_text("首页")
    tab.shot(f"home-{username}")
    # Everything the navigation offers opens without an error page.
    for label in EXPECTED_NAV[username][1:]:
        page.locator(".nav-item", has_text=label).click()
        page.wait_for_url(re.compile(re.escape(tab.base + NAV_PATHS[label]) + r"(\?.*)?$"))
        expect(page.locator(".nav-item.is-active span")).to_have_text(label)  # the label, not a count badge
        expect(page.locator(".error-card")).to_have_count(0)
        tab.shot(f"{username}-{NAV_PATHS[label].strip('/').replace('/', '-')}")


def test_home_shows_certificate_state_and_banners(new_tab, live_server: LiveServer) -> None:
    tab = new_tab()
    tab.login("officer2")  # the demo gives officer2 a certificate that runs out within 30 days
    expect(tab.page.locator(".card-cert .badge")).to_have_text("即将到期")
    expect(tab.page.locator("[data-cert-banner]")).to_contain_text("到期")
    expect(tab.page.locator(".banner-danger")).to_have_count(0)
    tab.logout()
    # The demo's 刘家豪 holds an expired certificate; give him a password to log in with.
    c, password = live_server.container, "Liujiahao-pass-2026"
    liu = stored_user(live_server, "liujiahao")
    user_svc.reset_password(c.uow(), c.system_ctx("e2e arrange"), c.deps, liu.id, password=password)
    tab.login("liujiahao", password)
    banner = tab.page.locator(".banner-danger")
    expect(banner).to_contain_text("您的执法证已过期，不能作为承办人开展执法活动")
    expect(banner).to_contain_text("第五条")
    expect(tab.page.locator(".user-cert .badge")).to_have_text("已过期")
    tab.shot("home-officer-expired")
    tab.logout()
    # Now an administrator requires TOTP of him: until he turns it on, every page sends him
    # to his profile page to do so.
    user_svc.update_user(c.uow(), c.system_ctx("e2e arrange"), c.deps, liu.id, totp_required=True)
    tab.login("liujiahao", password, expect_path="/me")
    expect(tab.page.locator(".banner-warn", has_text="请开启动态验证码")).to_be_visible()
    tab.go("/devices")
    expect(tab.page).to_have_url(re.compile(r"/me\?enrol=1$"))
    tab.shot("officer-must-enrol")
    tab.logout()
    tab.login("archivist")  # not an officer: no certificate card
    expect(tab.page.locator(".card-cert")).to_have_count(0)
    expect(tab.page.locator(".shortcut", has_text="现场执法记录设备")).to_be_visible()


def test_wrong_password_shows_an_inline_error(new_tab) -> None:
    tab = new_tab()
    tab.go("/login")
    expect(tab.page.locator(".demo-hint")).to_contain_text("officer2")
    tab.shot("login")
    tab.login("reviewer", "not-the-password", expect_path=None)
    error = tab.page.locator("#err-password")
    expect(error).to_have_text("用户名或密码错误")
    expect(tab.page.get_by_label("用户名", exact=True)).to_have_value("reviewer")
    assert tab.page.url.startswith(tab.base + "/login")
    tab.shot("login-error")


def test_logged_out_user_is_sent_to_login_and_back(new_tab) -> None:
    tab = new_tab()
    tab.go("/devices")
    expect(tab.page).to_have_url(re.compile(r"/login\?next=%2Fdevices&reason=auth.no_session$"))
    expect(tab.page.locator(".alert-info")).to_have_text("请先登录。")
    tab.shot("login-redirect")
    tab.login("leader", expect_path="/devices")
    expect(tab.page.locator("h1")).to_have_text("现场执法记录设备")
    tab.logout()
    expect(tab.page.locator(".alert-info")).to_have_text("您已安全退出。")
    tab.go("/")
    expect(tab.page).to_have_url(re.compile(r"/login\?next=%2F&reason=auth.no_session$"))


def test_forbidden_page_explains_itself(new_tab) -> None:
    tab = new_tab()
    tab.login("reviewer")
    tab.go("/devices")
    card = tab.page.locator(".error-card")
    expect(card.locator(".error-code")).to_have_text("403")
    expect(card).to_contain_text("无权执行此操作")
    expect(card).to_contain_text("not allowed")
    expect(tab.page.locator(".nav")).to_be_visible()
    tab.shot("error-403")


# ---- the admin flow ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def admin_flow(browser: Browser, live_server: LiveServer) -> AdminMade:
    with session_tab(browser, live_server) as tab:
        return run_admin_flow(tab)


def test_admin_creates_edits_and_deactivates(admin_flow: AdminMade, live_server: LiveServer) -> None:
    with live_server.container.uow() as uow:
        unit = uow.units.by_code(stored_user(live_server, "admin").bureau_id, admin_flow.unit_code)
    assert unit is not None and not unit.active
    user = stored_user(live_server, admin_flow.username)
    assert not user.active
    assert user.phone == "0750-3388999"
    assert user.certificate is not None and user.certificate.number == "粤0720260117"


# ---- the archivist flow -----------------------------------------------------------------------

@pytest.fixture(scope="session")
def archivist_flow(browser: Browser, live_server: LiveServer) -> DeviceMade:
    with session_tab(browser, live_server) as tab:
        return run_archivist_flow(tab)


def test_archivist_registers_assigns_logs_and_repairs(archivist_flow: DeviceMade,
                                                      live_server: LiveServer) -> None:
    c = live_server.container
    device, log = dev_svc.get_device(c.uow(), c.system_ctx(), UUID(archivist_flow.device_id))
    assert device.status.value == "under_repair" and device.holder_id is None
    kinds = [e.kind.value for e in log]
    # Sending it for repair takes it back from its holder: the status entry ends the holding.
    assert kinds == ["status", "holder", "maintenance", "status"]
    assert log[1].holder_id is not None and holder_at(log, log[-1].at) is None


# ---- the officer flow -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def officer_flow(browser: Browser, live_server: LiveServer) -> Iterator[None]:
    c = live_server.container
    try:
        with session_tab(browser, live_server) as tab:
            run_officer_flow(tab)
        yield
    finally:  # whatever happened, later logins as "officer" need the demo password
        officer = stored_user(live_server, "officer")
        if not c.deps.hasher.verify(officer.password_hash, DEMO_PASSWORD):
            user_svc.reset_password(c.uow(), c.system_ctx("e2e cleanup"), c.deps, officer.id,
                                    password=DEMO_PASSWORD)


def test_officer_sees_their_device_and_changes_password(officer_flow: None, live_server: LiveServer) -> None:
    officer = stored_user(live_server, "officer")
    assert live_server.container.deps.hasher.verify(officer.password_hash, DEMO_PASSWORD)


# ---- TOTP -------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def totp_flow(browser: Browser, live_server: LiveServer) -> Iterator[None]:
    c = live_server.container
    try:
        with session_tab(browser, live_server) as tab:
            run_totp_flow(tab)
        yield
    finally:  # later logins as "admin" must not need a code
        admin = stored_user(live_server, "admin")
        if admin.totp_enabled:
            auth_svc.disable_totp(c.uow(), c.ctx(user_svc.actor_for(admin)))


def test_admin_enables_totp_and_logs_in_with_a_code(totp_flow: None, live_server: LiveServer) -> None:
    admin = stored_user(live_server, "admin")
    assert not admin.totp_enabled  # turned off again at the end of the flow


# ---- the trail --------------------------------------------------------------------------------

def test_supervisor_sees_the_events_of_the_flows(new_tab, admin_flow: AdminMade, archivist_flow: DeviceMade,
                                                  officer_flow: None, totp_flow: None) -> None:
    tab = new_tab()
    page = tab.page
    tab.login("supervisor")
    tab.go("/trail")
    table = page.locator("#trail-table")
    expect(table.locator("tr", has_text="创建执法机构").filter(has_text=admin_flow.unit_name)).to_have_count(1)
    expect(table.locator("tr", has_text="停用人员").filter(has_text=admin_flow.display_name)).to_have_count(1)
    expect(table.locator("tr", has_text="登记设备").filter(has_text=archivist_flow.number)).to_have_count(1)
    status_row = table.locator("tr", has_text="设备状态变更").filter(has_text=archivist_flow.number)
    expect(status_row.locator(".diff-old").first).to_have_text("在用")
    expect(status_row.locator(".diff-new").first).to_have_text("维修中")
    expect(table.locator("tr", has_text="修改本人密码").filter(has_text=NAME["officer"])).to_have_count(2)
    expect(table.locator("tr", has_text="开启动态验证码").filter(has_text=NAME["admin"])).to_have_count(1)
    tab.shot("supervisor-trail")

    # Paging: the next page holds the 50 events before the last one shown.
    seq_cells = page.locator("#trail-table tbody tr td:last-child")
    newest = int(seq_cells.first.inner_text().lstrip("#"))
    expect(seq_cells).to_have_count(50)
    page.get_by_role("link", name="更早 »").click()
    expect(page).to_have_url(re.compile(rf"before_seq={newest - 49}$"))
    seqs = [int(t.strip().lstrip("#")) for t in seq_cells.all_text_contents()]
    assert seqs[0] == newest - 50 and seqs == sorted(seqs, reverse=True)

    # The device's own trail, server-side, then at the bottom of its page (htmx).
    tab.go(f"/trail?subject_type=device&subject_id={archivist_flow.device_id}")
    rows = page.locator("#trail-table tbody tr")
    expect(rows).to_have_count(4)  # create, assign, log, status
    expect(page.locator("#trail-table")).not_to_contain_text(admin_flow.unit_name)
    page.get_by_role("link", name=archivist_flow.number).first.click()
    fragment = page.locator("#trail table")
    expect(fragment).to_contain_text("设备状态变更")
    expect(fragment.locator("tbody tr")).to_have_count(4)
    tab.shot("supervisor-device-with-trail")


def test_unit_head_reads_only_their_units_trail(new_tab) -> None:
    tab = new_tab()
    tab.login("unithead")
    tab.go("/trail")
    expect(tab.page.locator(".alert-info")).to_contain_text("限于本执法机构")
    expect(tab.page.locator("#q-subject_type")).to_have_value("unit")


# ---- tables -----------------------------------------------------------------------------------

def test_table_filter_box_and_sorting(new_tab) -> None:
    tab = new_tab()
    page = tab.page
    tab.login("admin")
    tab.go("/admin/users")
    rows = page.locator("#users-table tbody tr:not(.is-filtered)")
    total = rows.count()
    assert total >= len(PEOPLE)
    box = page.locator("input[data-filter-for='users-table']")
    box.fill(NAME["officer2"])
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("officer2")
    expect(page.locator("[data-count-for='users-table']")).to_have_text(f"显示 1 / {total} 条")
    tab.shot("admin-users-filtered")
    box.fill("没有这个人")
    expect(page.locator("#users-table .filter-empty")).to_have_text("没有匹配的记录")
    box.fill("")
    expect(rows).to_have_count(total)

    header = page.locator("#users-table th", has_text="用户名")
    header.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    names = page.locator("#users-table tbody tr td:nth-child(2)").all_text_contents()
    assert names == sorted(names)
    header.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    names = page.locator("#users-table tbody tr td:nth-child(2)").all_text_contents()
    assert names == sorted(names, reverse=True)
