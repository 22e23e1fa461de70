"""A penalty case carried from a real-name complaint to archive-ready through the pages only
(issue 5 "done when"): the officer opens the case (a legal person with a valid unified social
credit code, two certified handlers), the initiation goes up the chain (unit head, leader), the
investigation records are made and signed (inquiry with officers and certificates shown, rights
notified, signatures; on-site inspection with the reason it could not be filmed and the party's
witnessed refusal to sign; the rights notice), the legal reviewer reviews, the collective
discussion is signed by its participants, the decision is approved and its document made, the
decision is served directly on the legal representative with a receipt, fulfilment is recorded,
and the case arrives at 归档 with no finding left; the archivist then exports its file. The
initiation form and the decision are printed from their pages as PDFs.

A second real-name complaint about the same shop is reviewed and not taken up (不予立案): the
complainant is told and that is recorded (Art. 10 applies to a complaint NOT taken up).

Every move is a click in a browser tab of the person who would make it; the database is read
only to check what the pages did."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from lawtrail.domain.cases import Stage
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.services import findings as findings_svc
from lawtrail.services.users import actor_for

from .conftest import ROOT, LiveServer, Tab
from .flows import stored_user
from .test_browser_print import pdf_from
from .test_browser_records import PNG

pytestmark = pytest.mark.browser

FORMS = ROOT / "test-artifacts" / "forms"
PARTY = "江门市蓬江区鲜惠多超市有限公司"
USCC = "91440703MA4W8K2L33"  # GB 32100-2015, check character 3
LEGAL_REP = "何永健"
COMPLAINANT = "梁美华"


def now_local() -> str:
    """Now as a ``datetime-local`` value in the bureau's time."""
    return datetime.now(UTC).astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M")


def make_record(tab: Tab, case_url: str, kind_id: str, heading: str, *, from_case_page: bool = False) -> Locator:
    """Open the form of ``kind_id``: from the case page's 记录 section (choose the kind, 制作记录), or
    straight at the address that form leads to (saves loading the case page each time)."""
    page = tab.page
    if from_case_page:
        page.goto(case_url)
        records = page.locator("#records")
        records.get_by_label(re.compile("环节制作")).select_option(kind_id)
        records.get_by_role("button", name="制作记录").click()
    else:
        page.goto(f"{case_url}/records/new?kind={kind_id}")
    expect(page.locator("h1")).to_have_text(heading)
    return page.locator("#record-form")


def save_record(tab: Tab, form: Locator) -> str:
    """Save the record form; return the new record's page URL."""
    form.get_by_role("button", name="保存记录").click()
    expect(tab.page.locator("[data-flash]")).to_contain_text("已制作")
    return tab.page.url.split("?")[0]


def fill(form: Locator, values: dict[str, str]) -> None:
    """Fill fields by their exact label: text, textarea, date-time; a select when the value is
    one of its options."""
    for label, value in values.items():
        field = form.get_by_label(label, exact=True)
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def officers_present(form: Locator, *names: str) -> None:
    """Tick the officers present and that each showed the certificate (Art. 11)."""
    for name in names:
        row = form.locator("#officers-table tbody tr", has_text=name)
        row.locator("input[name=officer_ids]").check()
        row.locator("input[name^='cert_shown.']").check()


def sign(page: Page, capacity: str, *, officer: str = "", name: str = "", method: str = "electronic",
         scan: str = "") -> None:
    """Record one signature on the record page (an officer by the list, anyone else by name)."""
    form = page.locator("#sign-form")
    form.get_by_label("签名身份").select_option(capacity)
    if officer:
        value = form.locator("#sign-signer_user_id option", has_text=officer).first.get_attribute("value")
        assert value, officer
        form.get_by_label(re.compile("执法人员（以执法人员身份")).select_option(value)
    if name:
        form.get_by_label(re.compile("签名人姓名")).fill(name)
    form.get_by_label("签名方式").select_option(method)
    if scan:
        form.get_by_label("签名或印章扫描件").set_input_files({"name": scan, "mimeType": "image/png", "buffer": PNG})
    form.get_by_role("button", name="记录签名").click()
    expect(page.locator("[data-flash]")).to_contain_text("签名已记录")


def complete(page: Page) -> None:
    expect(page.locator("#record-state")).to_have_text("已完备")


def advance(tab: Tab, case_url: str, stage: str) -> None:
    page = tab.page
    if page.url.split("#")[0].split("?")[0] != case_url:
        page.goto(case_url)
    page.get_by_role("button", name=f"进入“{stage}”").click()
    expect(page.locator("[data-flash]")).to_contain_text(stage)
    expect(page.locator(".stage-step.is-current")).to_contain_text(stage)


def submit_approval(tab: Tab, case_url: str, step: str, opinion: str, participants: tuple[str, ...] = ()) -> None:
    page = tab.page
    page.goto(case_url)
    box = page.locator(f"#submit-{step}")
    box.locator("summary").click()
    box.locator(f"#sub-{step}").fill(opinion)
    for name in participants:
        box.locator("label.check", has_text=name).locator("input").check()
    box.get_by_role("button", name="提交").click()
    expect(page.locator("[data-flash]")).to_contain_text("已提交")


def act_from_inbox(tab: Tab, number: str, opinion: str, *, button: str = "同意", advice: str = "") -> None:
    """The approver finds the case in 待我审批 and gives their opinion on the case page."""
    page = tab.page
    tab.go("/approvals")
    page.locator("#approval-inbox tbody tr", has_text=number).first.get_by_role("link", name="办理").click()
    form = page.locator(".approval-form").first
    form.locator("textarea[name=opinion]").fill(opinion)
    if advice:
        form.locator("textarea[name=advice]").fill(advice)
    form.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("[data-flash]")).to_contain_text("已")


def printed(tab: Tab, record_url: str, number: str, png_name: str) -> str:
    """Print the record from its page (打印, a new tab) and return the PDF's text; keep page 1 as PNG."""
    page = tab.page
    page.goto(record_url)
    kept: list[bytes] = []

    def keep(route: Route) -> None:  # the bytes of the one rendering the click asked for
        response = route.fetch()
        kept.append(response.body())
        route.fulfill(response=response)

    page.context.route("**/print.pdf*", keep)
    response = pdf_from(page.context, page.locator("#print-link").click, "/print.pdf")
    page.context.unroute("**/print.pdf*", keep)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    body = kept[0]
    assert body.startswith(b"%PDF-"), body[:20]
    FORMS.mkdir(parents=True, exist_ok=True)
    pdf = FORMS / f"{png_name}.pdf"
    pdf.write_bytes(body)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert number in text.replace(" ", ""), text[:500]
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(FORMS / png_name)], check=True)
    assert Path(f"{FORMS / png_name}.png").stat().st_size > 5_000
    for extra in page.context.pages[1:]:
        extra.close()
    return text


def test_a_complaint_carried_to_archive_ready_in_the_pages(new_tab, live_server: LiveServer) -> None:
    officer, officer2, head, reviewer, leader, archivist = (new_tab() for _ in range(6))
    for tab, name in ((officer, "officer"), (officer2, "officer2"), (head, "unithead"), (reviewer, "reviewer"),
                      (leader, "leader"), (archivist, "archivist")):
        tab.login(name)
    page = officer.page

    # ---- 程序启动: the real-name complaint becomes a case ----
    officer.go("/cases")
    page.get_by_role("link", name="新建案件").click()
    form = page.locator("#case-form")
    fill(form, {"执法行为类别": "penalty", "案件名称": f"{PARTY}销售过期食品案",
                "案由": "涉嫌销售超过保质期的食品", "案件来源": "complaint", "投诉举报方式": "yes",
                "投诉举报人": COMPLAINANT, "投诉举报人联系方式": "13800138000",
                "来源说明": "12315平台投诉，编号 JM2026-0412"})
    slot = form.locator(".party-slot").first
    slot.get_by_label("类型").select_option("legal_person")
    slot.get_by_label("名称 / 姓名").fill(PARTY)
    slot.get_by_label("证件号码").fill(USCC)
    slot.get_by_label("法定代表人 / 负责人").fill(LEGAL_REP)
    slot.get_by_label("地址").fill("江门市蓬江区建设三路88号")
    form.locator("#h-unithead").check()
    expect(form.locator("#h-officer")).to_be_checked()
    form.get_by_role("button", name="立案").click()
    expect(page.locator("[data-flash]")).to_contain_text("已立案")
    number = page.locator(".case-number").inner_text().strip()
    case_url = page.url.split("?")[0].split("#")[0]
    case_id = UUID(case_url.rsplit("/", 1)[1])
    expect(page.locator("#parties-table")).to_contain_text(USCC)
    expect(page.locator(".handler-list li")).to_have_count(2)
    officer.shot("full-01-case-opened")

    # Another unit's officer does not see it.
    officer2.go("/cases?number=" + number)
    expect(officer2.page.locator("#cases-table .empty-row")).to_be_visible()

    # The initiation form, then its approval up the chain.
    submit_approval(officer, case_url, "initiation", "当事人涉嫌销售超过保质期的食品，建议立案调查。")
    act_from_inbox(head, number, "同意立案，请依法调查取证。")
    act_from_inbox(leader, number, "同意立案。")
    expect(leader.page.locator("#approvals .approval[data-step='initiation']")).to_have_attribute(
        "data-status", "approved")
    # The 立案审批表 is made from the missing-record row; it starts with the opinions the approvers
    # gave on the case page and the party's facts (not typed again by the officer).
    page.goto(case_url)
    page.locator("#records a[data-make=initiation_form]").click()
    expect(page.locator("h1")).to_have_text("程序启动表（立案审批表）")
    form = page.locator("#record-form")
    expect(page.locator("#prefill-note")).to_contain_text("执法机构意见")
    expect(form.get_by_label("承办人意见", exact=True)).to_have_value("当事人涉嫌销售超过保质期的食品，建议立案调查。")
    expect(form.get_by_label("执法机构意见", exact=True)).to_have_value("同意立案，请依法调查取证。")
    expect(form.get_by_label("分管领导意见", exact=True)).to_have_value("同意立案。")
    expect(form.get_by_label("当事人基本情况", exact=True)).to_have_value(re.compile(USCC))
    fill(form, {"启动原因": f"{COMPLAINANT}实名投诉：在当事人处购买的牛奶已超过保质期。"})
    form.locator("#rf-source_materials").get_by_label("投诉材料").check()
    officer.shot("full-02-initiation-form")
    initiation_url = save_record(officer, form)
    sign(page, "officer", officer="陈志强")
    sign(page, "approver", name="黄伟明")
    sign(page, "approver", name="周国华")
    complete(page)
    advance(officer, case_url, "调查取证")

    # ---- 调查取证 ----
    form = make_record(officer, case_url, "inquiry_record", "询问笔录", from_case_page=True)
    fill(form, {"询问地点": "江门市蓬江区市场监督管理局询问室", "询问开始时间": now_local(),
                "询问结束时间": now_local(), "被询问人": LEGAL_REP, "被询问人身份": "当事人",
                "询问内容（问答）": "问：涉案牛奶是否由你公司销售？\n答：是，店员未及时下架。"})
    officers_present(form, "陈志强", "黄伟明")
    form.get_by_label(re.compile("告知陈述")).select_option("oral_and_written")
    save_record(officer, form)
    sign(page, "officer", officer="陈志强")
    sign(page, "officer", officer="黄伟明")
    sign(page, "party", name=LEGAL_REP, method="handwriting", scan="询问笔录签名.png")
    complete(page)
    expect(page.locator("#record-fields")).to_contain_text("已出示")
    officer.shot("full-03-inquiry-signed")

    form = make_record(officer, case_url, "site_inspection_record", "现场检查（勘验）笔录")
    fill(form, {"检查（勘验）地点": "江门市蓬江区建设三路88号", "开始时间": now_local(), "结束时间": now_local(),
                "检查（勘验）情况": "货架上有超过保质期的牛奶12盒。",
                "不适宜音像记录的理由": "执法记录仪故障送修，备用设备未到位，已拍照留存"})
    officers_present(form, "陈志强", "黄伟明")
    form.get_by_label(re.compile("告知陈述")).select_option("oral")
    save_record(officer, form)
    sign(page, "officer", officer="陈志强")
    sign(page, "officer", officer="黄伟明")
    refuse = page.locator("#refuse-form")
    refuse.get_by_label("拒签人身份").select_option("party")
    refuse.get_by_label("拒签人姓名").fill(LEGAL_REP)
    refuse.get_by_label("拒签理由或情况").fill("称需咨询律师，拒绝在笔录上签名")
    refuse.get_by_label("见证人", exact=True).fill("陈社区")
    refuse.get_by_label("见证人单位").fill("建设三路社区居委会")
    refuse.get_by_role("button", name="记录拒签").click()
    expect(page.locator("[data-flash]")).to_contain_text("拒签")
    complete(page)
    officer.shot("full-04-inspection-refusal")

    form = make_record(officer, case_url, "rights_notice", "权利告知书")
    fill(form, {"告知时间": now_local()})
    for right in ("陈述", "申辩", "申请回避", "听证"):
        form.locator("#rf-rights").get_by_label(right, exact=True).check()
    form.get_by_label(re.compile("告知陈述")).select_option("written")
    save_record(officer, form)
    sign(page, "officer", officer="陈志强")
    sign(page, "party", name=LEGAL_REP, method="handwriting", scan="权利告知书签名.png")
    complete(page)
    advance(officer, case_url, "审查决定")
    officer.shot("full-05-review")

    # ---- 审查决定: legal review, collective discussion, decision approval, the decision ----
    submit_approval(officer, case_url, "legal_review", "事实清楚，证据确凿，拟罚款5000元，请审核。")
    act_from_inbox(reviewer, number, "事实清楚，证据充分，程序合法，适用依据正确。", advice="建议没收违法所得。")
    form = make_record(officer, case_url, "legal_review", "法制审核意见书", from_case_page=True)
    expect(form.get_by_label("审核人员", exact=True)).to_have_value("梁淑仪")
    expect(form.get_by_label("审核意见", exact=True)).to_have_value("事实清楚，证据充分，程序合法，适用依据正确。")
    expect(form.get_by_label("建议", exact=True)).to_have_value("建议没收违法所得。")
    save_record(officer, form)
    sign(page, "reviewer", name="梁淑仪")
    complete(page)

    submit_approval(officer, case_url, "discussion", "经集体讨论，决定罚款5000元并没收违法所得。",
                    participants=("黄伟明", "梁淑仪", "周国华"))
    for tab in (head, reviewer, leader):
        act_from_inbox(tab, number, "同意讨论结论。", button="签名确认")
    form = make_record(officer, case_url, "collective_discussion", "集体讨论记录")
    expect(form.get_by_label("参加人员", exact=True)).to_have_value(re.compile("黄伟明"))
    expect(form.get_by_label("讨论结论", exact=True)).to_have_value("经集体讨论，决定罚款5000元并没收违法所得。")
    fill(form, {"讨论时间": now_local(), "主持人": "周国华", "参加人员": "黄伟明\n梁淑仪\n周国华",
                "讨论内容": "承办人汇报案情，法制审核意见，参加人员逐一发表意见。"})
    save_record(officer, form)
    for name in ("黄伟明", "梁淑仪", "周国华"):
        sign(page, "participant", name=name)
    complete(page)

    submit_approval(officer, case_url, "decision", "拟作出罚款5000元、没收违法所得的行政处罚决定。")
    act_from_inbox(head, number, "同意，报机关负责人审批。")
    act_from_inbox(leader, number, "同意作出处罚决定。")
    form = make_record(officer, case_url, "approval_record", "审批记录（审批表）")
    expect(form.get_by_label("机关负责人意见", exact=True)).to_have_value("同意作出处罚决定。")
    expect(form.get_by_label("审批时间", exact=True)).not_to_have_value("")
    fill(form, {"审批事项": "行政处罚决定"})
    save_record(officer, form)
    sign(page, "officer", officer="陈志强")
    sign(page, "approver", name="黄伟明")
    sign(page, "approver", name="周国华")
    complete(page)

    doc_number = f"江市监罚〔{datetime.now(BUREAU_TZ).year}〕{case_id.hex[:4]}号"
    form = make_record(officer, case_url, "decision_document", "行政执法决定书")
    fill(form, {"文书编号": doc_number, "决定日期": now_local(),
                "认定的事实": "当事人销售超过保质期的牛奶12盒，货值360元。",
                "决定理由": "当事人的行为违反《中华人民共和国食品安全法》第三十四条第十项。",
                "法律依据": "《中华人民共和国食品安全法》第一百二十四条第一款第五项。",
                "决定内容": "一、没收违法所得360元；二、罚款5000元。",
                "救济途径和期限": "如不服本决定，可在六十日内申请行政复议，或在六个月内提起行政诉讼。",
                "终结性文书": "yes"})
    decision_url = save_record(officer, form)
    sign(page, "agency", name="江门市市场监督管理局", method="seal", scan="公章.png")
    complete(page)
    officer.shot("full-06-decision")
    advance(officer, case_url, "送达")

    # ---- 送达: direct service on the legal representative, with the receipt ----
    page.locator("#service-checklist a[data-kind=service_receipt_direct]").click()
    form = page.locator("#record-form")
    fill(form, {"送达文书名称及文号": f"行政处罚决定书 {doc_number}", "签收日期": now_local(),
                "送达地点": "江门市蓬江区建设三路88号", "签收人": LEGAL_REP, "签收人身份": "法定代表人"})
    save_record(officer, form)
    sign(page, "recipient", name=LEGAL_REP, method="handwriting", scan="送达回证签收.png")
    sign(page, "server", name="陈志强")
    complete(page)
    page.goto(case_url)
    expect(page.locator("#receipt-state")).to_contain_text("已有完整的决定书送达回证")
    officer.shot("full-07-served")
    advance(officer, case_url, "执行")

    # ---- 执行: fulfilment ----
    form = make_record(officer, case_url, "fulfilment_record", "履行情况记录")
    fill(form, {"记录时间": now_local(), "履行情况": "全部履行",
                "具体情况": "当事人已于期限内缴纳罚款5000元及没收款360元，银行回单已附卷。"})
    save_record(officer, form)
    sign(page, "officer", officer="陈志强")
    complete(page)
    advance(officer, case_url, "归档")
    officer.shot("full-08-archive")

    # ---- archive-ready: no finding left for the case ----
    page.locator("#case-findings-link").click()
    expect(page.locator("#findings-case")).to_contain_text(number)
    expect(page.locator(".empty")).to_contain_text("暂无合规问题")
    officer.shot("full-09-no-findings")
    c = live_server.container
    supervisor = c.ctx(actor_for(stored_user(live_server, "supervisor")))
    found = findings_svc.evaluate(c.uow(), supervisor, c.clock.now(), settings=c.rules, catalogue=c.catalogue,
                                  case=case_id)
    assert found == [], [(f.rule.id, f.message_zh) for f in found]
    with c.uow() as uow:
        stored = uow.cases.by_number(stored_user(live_server, "officer").bureau_id, number)
    assert stored is not None and stored.stage is Stage.ARCHIVE and not stored.closed

    # ---- printed forms ----
    text = printed(officer, initiation_url, number, "full-case-initiation")
    assert "立案审批表" in text.replace(" ", "")
    text = printed(officer, decision_url, number, "full-case-decision")
    assert doc_number in text.replace(" ", "")

    # ---- Art. 10: a second real-name complaint of the same sale is not taken up ----
    officer.go("/cases/new")
    form = page.locator("#case-form")
    fill(form, {"执法行为类别": "penalty", "案件名称": f"{PARTY}被投诉销售过期牛奶（重复投诉）",
                "案由": "投诉销售超过保质期的牛奶", "案件来源": "complaint", "投诉举报方式": "yes",
                "投诉举报人": "周先生", "投诉举报人联系方式": "13900139000"})
    slot = form.locator(".party-slot").first
    slot.get_by_label("名称 / 姓名").fill(PARTY)
    slot.get_by_label("证件号码").fill(USCC)
    slot.get_by_label("法定代表人 / 负责人").fill(LEGAL_REP)
    form.get_by_role("button", name="立案").click()
    expect(page.locator("[data-flash]")).to_contain_text("已立案")
    second_url = page.url.split("?")[0].split("#")[0]
    form = make_record(officer, second_url, "complainant_notification", "投诉举报不予启动告知记录")
    fill(form, {"投诉举报人": "周先生", "告知时间": now_local(), "告知方式": "电话告知",
                "不启动行政执法程序的理由": f"所投诉的同一违法行为已于 {number} 立案查处，不再重复启动。",
                "告知内容": "告知投诉人其投诉事项已并入前案处理。"})
    save_record(officer, form)
    sign(page, "officer", officer="陈志强")
    complete(page)
    page.goto(second_url)
    page.locator("#close-reason").fill(f"同一违法行为已于 {number} 立案查处")
    page.get_by_role("button", name="终结案件").click()
    expect(page.locator("[data-flash]")).to_contain_text("不予立案")
    page.locator("#case-findings-link").click()
    expect(page.locator(".empty")).to_contain_text("暂无合规问题")
    officer.shot("full-10-complaint-not-taken-up")

    # ---- the archivist exports the file ----
    ap = archivist.page
    archivist.go(case_url.removeprefix(archivist.base))
    ap.get_by_role("button", name=re.compile("导出案卷")).click()
    ap.wait_for_url(re.compile(r"/archive/exports/[0-9a-f]{32}"))
    # every record is rendered as its printed form (decision 0033): allow for a loaded machine
    expect(ap.locator("#export-progress h2")).to_have_text("导出完成", timeout=120_000)
    expect(ap.locator("#export-verified")).to_contain_text("离线核验通过")
    expect(ap.locator("#export-items tbody tr").filter(has_text="询问笔录 · 第 1 版").first).to_be_visible()
    archivist.shot("full-11-exported")
