"""The UI in a real browser: every demo login, the admin, archivist, officer and TOTP flows, and
the supervisor reading their trail. Screenshots go to test-artifacts/screenshots/.

The four flows run once each as session fixtures, so the trail test sees their events even when
it is run on its own; each flow's test then checks what the flow left in the database.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from lawtrail.domain.org import User
from lawtrail.services import auth as auth_svc
from lawtrail.services import users as user_svc
from lawtrail.services.demo import DEMO_PASSWORD, PEOPLE, UNITS

from .conftest import LiveServer, Tab, open_tab

pytestmark = pytest.mark.browser

NAME = {p.username: p.name for p in PEOPLE}
UNIT_NAME = {code: name for code, name, _kind in UNITS}
PERSON_UNIT = {p.username: UNIT_NAME[p.unit] for p in PEOPLE}

ALL_NAV = ["首页", "执法机构", "人员", "设备", "留痕", "个人设置"]
NAV_PATHS = {"首页": "/", "执法机构": "/admin/units", "人员": "/admin/users", "设备": "/devices",
             "留痕": "/trail", "个人设置": "/me"}
#: What each demo login may use, as the navigation must show it.
EXPECTED_NAV = {
    "officer": ["首页", "执法机构", "人员", "设备", "个人设置"],
    "officer2": ["首页", "执法机构", "人员", "设备", "个人设置"],
    "unithead": ["首页", "执法机构", "人员", "设备", "留痕", "个人设置"],
    "reviewer": ["首页", "执法机构", "人员", "个人设置"],
    "leader": ["首页", "执法机构", "人员", "设备", "留痕", "个人设置"],
    "archivist": ["首页", "执法机构", "人员", "设备", "个人设置"],
    "supervisor": ["首页", "执法机构", "人员", "设备", "留痕", "个人设置"],
    "admin": ALL_NAV,
}


def stored_user(live_server: LiveServer, username: str) -> User:
    """The person as the database holds them now (to check what a flow really changed)."""
    with live_server.container.uow() as uow:
        user = uow.users.by_username(username)
    assert user is not None, username
    return user


@contextmanager
def session_tab(browser: Browser, live_server: LiveServer) -> Iterator[Tab]:
    tab, context = open_tab(browser, live_server.url)
    try:
        yield tab
    finally:
        context.close()
    assert not tab.problems, f"browser console errors (CSP or script): {tab.problems}"


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
        expect(page.locator(".nav-item.is-active")).to_have_text(label)
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
    user_svc.reset_password(c.uow(), c.system_ctx("e2e arrange"), c.deps,
                            stored_user(live_server, "liujiahao").id, password=password)
    tab.login("liujiahao", password)
    banner = tab.page.locator(".banner-danger")
    expect(banner).to_contain_text("您的执法证已过期，不能作为承办人开展执法活动")
    expect(banner).to_contain_text("第五条")
    expect(tab.page.locator(".user-cert .badge")).to_have_text("已过期")
    tab.shot("home-officer-expired")
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
    expect(tab.page).to_have_url(re.compile(r"/login\?next=/devices&reason=auth.no_session$"))
    expect(tab.page.locator(".alert-info")).to_have_text("请先登录。")
    tab.shot("login-redirect")
    tab.login("leader", expect_path="/devices")
    expect(tab.page.locator("h1")).to_have_text("现场执法记录设备")
    tab.logout()
    expect(tab.page.locator(".alert-info")).to_have_text("您已安全退出。")
    tab.go("/")
    expect(tab.page).to_have_url(re.compile(r"/login\?next=/&reason=auth.no_session$"))


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

@dataclass(frozen=True)
class AdminMade:
    unit_code: str
    unit_name: str
    username: str
    display_name: str


def run_admin_flow(tab: Tab) -> AdminMade:
    """Create a unit, a person with a certificate (after a refused number), edit, deactivate."""
    page, tag = tab.page, secrets.token_hex(3)
    made = AdminMade(f"E2E-{tag}", f"江海市场监管所{tag}", f"e2e{tag}", "邝嘉铭")
    tab.login("admin")
    tab.go("/admin/units")
    form = page.locator("form[action='/admin/units']")
    form.get_by_label("机构代码", exact=True).fill(made.unit_code)
    form.get_by_label("机构名称", exact=True).fill(made.unit_name)
    form.get_by_label("机构类型", exact=True).select_option("affiliated_unit")
    form.get_by_role("button", name="创建").click()
    expect(page.locator("[data-flash]")).to_contain_text("执法机构已创建")
    expect(page.locator("#units-table")).to_contain_text(made.unit_name)
    tab.shot("admin-unit-created")
    page.get_by_role("link", name=made.unit_name).click()
    expect(page.locator("h1")).to_contain_text(made.unit_name)
    tab.shot("admin-unit-detail")

    tab.go("/admin/users")
    form = page.locator("#new-user form")
    form.get_by_label("用户名", exact=True).fill(made.username)
    form.get_by_label("姓名", exact=True).fill(made.display_name)
    form.get_by_label("执法机构", exact=True).select_option(label=made.unit_name)
    form.get_by_label("电话", exact=True).fill("0750-3388123")
    form.get_by_label("初始密码", exact=True).fill("Jianghai-2026-pass")
    form.get_by_label("执法人员", exact=True).check()
    form.get_by_label("执法证号", exact=True).fill("粤07-AB12")
    form.get_by_label("生效日期", exact=True).fill((date.today() - timedelta(days=100)).isoformat())
    form.get_by_label("到期日期", exact=True).fill((date.today() + timedelta(days=900)).isoformat())
    form.get_by_role("button", name="创建人员").click()
    expect(page.locator("#err-cert_number")).to_contain_text("执法证号格式不正确")
    form = page.locator("#new-user form")
    expect(form.get_by_label("用户名", exact=True)).to_have_value(made.username)
    expect(form.get_by_label("执法人员", exact=True)).to_be_checked()
    tab.shot("admin-user-cert-error")
    form.get_by_label("初始密码", exact=True).fill("Jianghai-2026-pass")
    form.get_by_label("执法证号", exact=True).fill("粤0720260117")
    form.get_by_role("button", name="创建人员").click()
    expect(page.locator("[data-flash]")).to_contain_text("用户已创建")
    expect(page.locator(".facts")).to_contain_text("粤0720260117")
    expect(page.locator(".facts .cert-valid")).to_have_text("有效")
    tab.shot("admin-user-created")

    edit = page.locator("#edit-user form")
    edit.get_by_label("电话", exact=True).fill("0750-3388999")
    edit.get_by_label("执法机构", exact=True).select_option(label=UNIT_NAME["ZFJCK"])
    edit.get_by_role("button", name="保存修改").click()
    expect(page.locator("[data-flash]")).to_contain_text("已保存")
    expect(page.locator(".facts")).to_contain_text("0750-3388999")
    page.get_by_role("button", name="停用账号").click()
    expect(page.locator("[data-flash]")).to_contain_text("已保存")
    expect(page.locator(".page-head .badge")).to_have_text("已停用")
    assert any("停用" in d for d in tab.dialogs), tab.dialogs
    tab.shot("admin-user-deactivated")

    # The unit, now without members, is deactivated too (never deleted).
    tab.go("/admin/units")
    page.get_by_role("link", name=made.unit_name).click()
    page.get_by_role("button", name="停用", exact=True).click()
    expect(page.locator("[data-flash]")).to_contain_text("已保存")
    expect(page.locator(".page-head .badge")).to_have_text("已停用")
    expect(page.get_by_role("button", name="重新启用")).to_be_visible()
    tab.shot("admin-unit-deactivated")
    return made


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

@dataclass(frozen=True)
class DeviceMade:
    number: str
    device_id: str


def run_archivist_flow(tab: Tab) -> DeviceMade:
    """Register a body camera, hand it to an officer, log maintenance, send it for repair."""
    page = tab.page
    number = f"JM-E2E-{secrets.token_hex(2).upper()}"
    tab.login("archivist")
    tab.go("/devices")
    form = page.locator("#new-device form")
    form.get_by_label("设备编号", exact=True).fill(number)
    form.get_by_label("设备类型", exact=True).select_option("body_camera")
    form.get_by_label("所属执法机构", exact=True).select_option(label=UNIT_NAME["ZFJCK"])
    form.get_by_label("品牌", exact=True).fill("海康威视")
    form.get_by_label("型号", exact=True).fill("DS-MH2311")
    form.get_by_label("出厂序列号", exact=True).fill("HK2311E2E01")
    form.get_by_role("button", name="登记").click()
    expect(page.locator("[data-flash]")).to_contain_text(f"设备 {number} 已登记")
    expect(page.locator("h1")).to_contain_text(number)
    device_id = page.url.split("/devices/")[1].split("?")[0]

    page.get_by_label("领用人", exact=True).select_option(label=f"{NAME['officer']}（{UNIT_NAME['ZFJCK']}）")
    page.get_by_role("button", name="领用", exact=True).click()
    expect(page.locator("[data-flash]")).to_contain_text("设备已交付领用")
    expect(page.locator(".facts")).to_contain_text(NAME["officer"])

    log = page.locator(f"form[action='/devices/{device_id}/log']")
    log.get_by_label("记录类型", exact=True).select_option("maintenance")
    log.get_by_label("内容", exact=True).fill("首次使用前保养：电池满电，时钟已与北京时间校准")
    log.get_by_role("button", name="添加记录").click()
    expect(page.locator("[data-flash]")).to_contain_text("记录已添加")
    expect(page.locator(".timeline .tl-item").first).to_contain_text("时钟已与北京时间校准")

    status = page.locator(f"form[action='/devices/{device_id}/status']")
    status.get_by_label("新状态", exact=True).select_option("under_repair")
    status.get_by_role("button", name="变更状态").click()
    expect(page.locator("#err-note")).to_contain_text("原因不能为空")
    status = page.locator(f"form[action='/devices/{device_id}/status']")
    expect(status.get_by_label("新状态", exact=True)).to_have_value("under_repair")
    tab.shot("archivist-status-error")
    status.get_by_label("原因", exact=True).fill("显示屏碎裂，送厂家维修")
    status.get_by_role("button", name="变更状态").click()
    expect(page.locator("[data-flash]")).to_contain_text("维修中")
    expect(page.locator(".page-head .badge")).to_have_text("维修中")
    expect(page.locator(".timeline .tl-item").first).to_contain_text("显示屏碎裂")
    tab.shot("archivist-device-detail")
    tab.go("/devices?status=under_repair")
    expect(page.locator("#devices-table")).to_contain_text(number)
    expect(page.locator("#devices-table tbody tr")).to_have_count(2)  # and the demo's JM-ZFJLY-005
    tab.shot("archivist-devices-under-repair")
    return DeviceMade(number, device_id)


@pytest.fixture(scope="session")
def archivist_flow(browser: Browser, live_server: LiveServer) -> DeviceMade:
    with session_tab(browser, live_server) as tab:
        return run_archivist_flow(tab)


def test_archivist_registers_assigns_logs_and_repairs(archivist_flow: DeviceMade,
                                                      live_server: LiveServer) -> None:
    from uuid import UUID

    from lawtrail.services import devices as dev_svc

    c = live_server.container
    device, log = dev_svc.get_device(c.uow(), c.system_ctx(), UUID(archivist_flow.device_id))
    assert device.status.value == "under_repair" and device.holder_id is None
    assert [e.kind.value for e in log] == ["status", "holder", "maintenance", "status"]


# ---- the officer flow -------------------------------------------------------------------------

NEW_PASSWORD = "Officer-new-pass-2026"


def run_officer_flow(tab: Tab) -> None:
    """The officer finds their camera on the home page and changes their password."""
    page = tab.page
    tab.login("officer")
    expect(page.locator("#my-devices")).to_contain_text("JM-ZFJLY-001")
    expect(page.locator(".card-cert .badge")).to_have_text("有效")
    tab.go("/me")
    pw = page.locator("form[action='/me/password']")
    pw.get_by_label("当前密码", exact=True).fill(DEMO_PASSWORD)
    pw.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    pw.get_by_label("确认新密码", exact=True).fill(NEW_PASSWORD + "x")
    pw.get_by_role("button", name="修改密码").click()
    expect(page.locator("#err-confirm")).to_have_text("两次输入的新密码不一致")
    tab.shot("officer-me-password-error")
    pw = page.locator("form[action='/me/password']")
    pw.get_by_label("当前密码", exact=True).fill(DEMO_PASSWORD)
    pw.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    pw.get_by_label("确认新密码", exact=True).fill(NEW_PASSWORD)
    pw.get_by_role("button", name="修改密码").click()
    expect(page.locator("[data-flash]")).to_contain_text("密码已修改")
    tab.logout()
    tab.login("officer", DEMO_PASSWORD, expect_path=None)
    expect(page.locator("#err-password")).to_have_text("用户名或密码错误")
    tab.login("officer", NEW_PASSWORD)
    expect(page.locator("#my-devices")).to_contain_text("JM-ZFJLY-001")
    # Put the demo password back, through the same form.
    tab.go("/me")
    pw = page.locator("form[action='/me/password']")
    pw.get_by_label("当前密码", exact=True).fill(NEW_PASSWORD)
    pw.get_by_label("新密码", exact=True).fill(DEMO_PASSWORD)
    pw.get_by_label("确认新密码", exact=True).fill(DEMO_PASSWORD)
    pw.get_by_role("button", name="修改密码").click()
    expect(page.locator("[data-flash]")).to_contain_text("密码已修改")


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

def run_totp_flow(tab: Tab) -> None:
    """The admin turns TOTP on, logs in again with a code, and turns it off again."""
    page = tab.page
    tab.login("admin")
    tab.go("/me")
    tab.shot("admin-me")
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    form = page.locator("form[action='/me/totp']")
    form.get_by_label("验证码", exact=True).fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    form.get_by_role("button", name="开启动态验证码").click()
    expect(page.locator("#err-code")).to_contain_text("验证码不正确")
    assert page.locator("[data-totp-secret]").inner_text().strip() == secret  # same secret, try again
    form = page.locator("form[action='/me/totp']")
    form.get_by_label("验证码", exact=True).fill(pyotp.TOTP(secret).now())
    form.get_by_role("button", name="开启动态验证码").click()
    expect(page.locator("[data-flash]")).to_contain_text("已开启动态验证码")
    expect(page.locator("#totp .badge")).to_have_text("已开启")
    tab.logout()
    tab.login("admin", expect_path="/login/totp")
    tab.shot("login-totp")
    page.get_by_label("验证码", exact=True).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_url(tab.base + "/")
    expect(page.locator("h1")).to_contain_text(NAME["admin"])
    tab.go("/me")
    page.get_by_role("button", name="关闭动态验证码").click()
    expect(page.locator("[data-flash]")).to_contain_text("已关闭动态验证码")


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
