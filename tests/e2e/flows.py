"""The browser flows the tests drive, one per role that has one, and the helpers they share.

Each ``run_*`` drives the real UI in a logged-out tab and asserts what the person sees on the
way; the session fixtures in test_browser.py run each flow once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pyotp
from playwright.sync_api import Browser, expect

from lawtrail.domain.org import User
from lawtrail.services.demo import DEMO_PASSWORD, PEOPLE, UNITS

from .conftest import LiveServer, Tab, open_tab

NAME = {p.username: p.name for p in PEOPLE}
UNIT_NAME = {code: name for code, name, _kind in UNITS}
PERSON_UNIT = {p.username: UNIT_NAME[p.unit] for p in PEOPLE}


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


# ---- the admin -----------------------------------------------------------------------------------

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

    # An API token for a collection station: shown once, copied, then revoked.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=tab.base)
    tokens = page.locator("#tokens")
    tokens.get_by_label("令牌名称", exact=True).fill("一号采集站")
    tokens.get_by_label("有效天数", exact=True).fill("30")
    tokens.get_by_role("button", name="签发令牌").click()
    raw = page.locator("#new-token-value")
    expect(raw).to_have_value(re.compile(r"^lt_"))
    page.locator("#new-token [data-copy]").click()
    expect(page.locator("#new-token [data-copy]")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == raw.input_value()
    tab.shot("admin-user-token")
    page.locator("#tokens-table").get_by_role("button", name="吊销").click()
    expect(page.locator("[data-flash]")).to_contain_text("令牌已吊销")
    expect(page.locator("#tokens-table .badge")).to_have_text("已吊销")
    expect(page.locator("#new-token")).to_have_count(0)
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


# ---- the archivist -------------------------------------------------------------------------------

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


# ---- the officer ---------------------------------------------------------------------------------

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


# ---- TOTP ----------------------------------------------------------------------------------------

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
