"""Printed forms in a real browser (issue 5 item 8): an officer opens a demo case's inquiry record,
clicks 打印 and gets the A4 PDF in a new tab; the print shows in the record's trail; the case's
卷内目录 opens as a PDF too."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Response, expect

from .conftest import LiveServer

pytestmark = pytest.mark.browser


def pdf_from(context: BrowserContext, click: object, path_end: str) -> Response:
    """Click (a link that opens a new tab) and return the PDF response the new tab received."""
    with context.expect_event("response", predicate=lambda r: r.url.split("?")[0].endswith(path_end)) as info:
        click()  # type: ignore[operator]
    return info.value


def test_print_button_opens_the_record_form_as_pdf(new_tab, live_server: LiveServer) -> None:
    tab = new_tab()
    page = tab.page
    tab.login("officer")
    tab.go("/cases?party=" + "鲜味")
    page.locator("#cases-table tbody tr a").first.click()
    records = page.locator("#records")
    expect(records).to_contain_text("询问笔录")
    records.get_by_role("link", name="询问笔录").first.click()
    expect(page.locator("h1")).to_contain_text("询问笔录")
    button = page.locator("#print-link")
    expect(button).to_have_text("打印")
    expect(button).to_have_attribute("target", "_blank")
    tab.shot("print-record-page")

    response = pdf_from(page.context, button.click, "/print.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    # Chromium hands the PDF to its viewer (the response body is then the viewer's page): fetch
    # the URL the tab opened again, with the tab's session, to read the bytes.
    again = page.context.request.get(response.url)
    assert again.status == 200 and again.headers["content-type"] == "application/pdf"
    body = again.body()
    assert body.startswith(b"%PDF-") and len(body) > 10_000  # fonts embedded: never a few bytes

    page.reload()
    expect(page.locator("body")).to_contain_text("打印记录")  # the print is in the record's trail

    page.go_back()
    page.reload()
    index = page.locator("#records-index-link")
    expect(index).to_have_text("卷内目录")
    response = pdf_from(page.context, index.click, "/records/index.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert page.context.request.get(response.url).body().startswith(b"%PDF-")
