"""Service of documents in a real browser (Art. 21–25): on a demo inspection case at 送达 the case
page lists what is missing with its article; an e-mail service of the decision is refused citing
第二十四条 and nothing is made; the decision is then served by post (EMS) with its proofs — the
registration, the postage proof and the return receipt kept, a scan attached, the server signed —
and the checklist no longer names Art. 25."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from lawtrail.domain.org import BUREAU_TZ

from .conftest import LiveServer
from .test_browser_records import PNG

pytestmark = pytest.mark.browser

CASE = "悦来餐饮"  # the demo's inspection case at 送达, handled by officer2
DOCUMENT = "行政检查决定书 江蓬市监检决〔2026〕3号"


def test_serve_by_post_with_proofs_after_a_refused_email(new_tab, live_server: LiveServer) -> None:
    tab = new_tab()
    page = tab.page
    tab.login("officer2")
    tab.go("/cases?party=" + CASE)
    page.locator("#cases-table tbody tr a").first.click()
    case_url = page.url
    checklist = page.locator("#service-checklist")
    expect(checklist).to_contain_text("送达检查")
    expect(checklist.locator(".service-methods")).to_contain_text("邮寄送达记录")
    expect(checklist.locator("#receipt-state")).to_contain_text("尚无完整的决定书送达回证")
    tab.shot("service-checklist-before")

    # E-mail of the inspection decision: refused at record time, citing Art. 24.
    checklist.locator("a[data-kind=service_electronic]").click()
    form = page.locator("#record-form")
    now = datetime.now(UTC).astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M")
    form.get_by_label("送达文书名称及文号", exact=True).fill(DOCUMENT)
    form.get_by_label("受送达人同意该送达方式", exact=True).select_option("yes")
    form.get_by_label("送达方式", exact=True).select_option("电子邮件")
    form.get_by_label("传真号码或电子邮箱", exact=True).fill("yuelai@example.cn")
    form.get_by_label("送达时间", exact=True).fill(now)
    form.get_by_label("已确认收悉", exact=True).select_option("yes")
    form.get_by_role("button", name="保存记录").click()
    expect(page.locator(".error-box, [role=alert]").first).to_contain_text("第二十四条")
    expect(page.locator("#record-form").get_by_label("传真号码或电子邮箱", exact=True)).to_have_value(
        "yuelai@example.cn")
    tab.shot("service-email-refused-art24")

    # By post, with every proof kept.
    page.goto(case_url)
    page.locator("#service-checklist a[data-kind=service_postal]").click()
    form = page.locator("#record-form")
    form.get_by_label("送达文书名称及文号", exact=True).fill(DOCUMENT)
    form.get_by_label("邮寄方式", exact=True).select_option("特快专递")
    form.get_by_label("邮件号码", exact=True).fill("EA123456789CN")
    form.get_by_label("交寄时间", exact=True).fill(now)
    form.get_by_label("邮寄登记已留存", exact=True).select_option("yes")
    form.get_by_label("付邮凭证已留存", exact=True).select_option("yes")
    form.get_by_label("回执已收回", exact=True).select_option("yes")
    form.get_by_label("签收时间", exact=True).fill(now)
    form.get_by_role("button", name="保存记录").click()
    expect(page.locator("[data-flash]")).to_contain_text("已制作")
    sign = page.locator("#sign-form")
    sign.get_by_label("签名身份").select_option("server")
    sign.get_by_label(re.compile("签名人姓名")).fill("黄经办")
    sign.get_by_label("签名方式").select_option("electronic")
    sign.get_by_role("button", name="记录签名").click()
    expect(page.locator("[data-flash]")).to_contain_text("签名已记录")
    attach = page.locator("#attach-form")
    attach.get_by_label("上传扫描件或照片").set_input_files(
        {"name": "EMS回执.png", "mimeType": "image/png", "buffer": PNG})
    attach.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator("#attachments")).to_contain_text("EMS回执.png")
    expect(page.locator("#record-state")).to_have_text("已完备")
    tab.shot("service-postal-record")

    page.goto(case_url)
    checklist = page.locator("#service-checklist")
    expect(checklist).to_be_visible()
    expect(checklist.locator("tr[data-rule=ART25-POSTAL-PROOF]")).to_have_count(0)
    expect(checklist.locator("#receipt-state")).to_contain_text("已有完整的决定书送达回证")
    expect(checklist.locator("tr[data-rule=ART24-ELECTRONIC-FINAL-DOC]")).to_have_count(0)
    tab.shot("service-checklist-after-post")
    # The refused e-mail left nothing: only the postal record is among the case's service records.
    made = page.locator("#records .records-table[data-stage=service]")
    expect(made).not_to_contain_text("传真、电子邮件送达记录")
    expect(made).to_contain_text("邮寄送达记录")
