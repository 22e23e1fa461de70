"""The 账本 page in a real browser: the supervisor verifies the ledger and downloads an
inclusion proof that checks against the signed checkpoint; who sees which buttons."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from lawtrail.adapters.signer import note_checker
from lawtrail.domain.ledger.merkle import verify_inclusion
from lawtrail.services import ledger
from lawtrail.web import ledger_runtime as rt

from .conftest import LiveServer


def test_supervisor_verifies_and_downloads_a_proof(new_tab, live_server: LiveServer) -> None:
    tab = new_tab()
    tab.login("supervisor")
    page = tab.page
    page.locator(".nav-item", has_text="账本").click()
    page.wait_for_url(re.compile(r"/ledger$"))
    expect(page.locator("h1")).to_have_text("账本")

    # A checkpoint on demand, so the proof below has a signed root to check against.
    # Wait for the message, not for ``?ok=`` in the address: the page drops ``?ok=`` as soon as
    # it loads (app.js), and on a loaded machine that can happen before wait_for_url looks.
    page.get_by_role("button", name="签发检查点").click()
    expect(page.locator("[data-flash]")).to_contain_text("已签发检查点")
    size = int(page.locator("#cp-size").inner_text())
    root = bytes.fromhex(page.locator("#cp-root").inner_text().strip())
    note = page.locator("#cp-note").inner_text()
    vkey = page.locator("#vkey").inner_text().strip()
    checkpoint = note_checker(vkey)(note if note.endswith("\n") else note + "\n")
    assert (checkpoint.size, checkpoint.root) == (size, root)
    tab.shot("ledger-checkpoint")

    # Verify now: a spinner while it runs, then 通过 in green, recorded as the last verification.
    page.get_by_role("button", name="立即核验").click()
    result = page.locator("#verification")
    expect(result.locator(".verification-badge")).to_have_text("通过")
    expect(result).to_have_class(re.compile(r"\bis-ok\b"))
    expect(result).to_contain_text("何建国")
    tab.shot("ledger-verified")
    page.reload()
    expect(page.locator("#verification .verification-badge")).to_have_text("通过")
    c = live_server.container
    last = ledger.last_verification(rt.uow(c), c.system_ctx("e2e"))
    assert last is not None and last.actor_name == "何建国" and last.after and last.after["ok"] is True

    # Download the inclusion proof of an event and check it against the checkpoint's root.
    index = size // 2
    page.get_by_label("记录序号").fill(str(index))
    with page.expect_download() as info:
        page.get_by_role("button", name="下载包含证明").click()
    download = info.value
    assert download.suggested_filename == f"inclusion-proof-{index}-of-{size}.json"
    path = download.path()
    assert path is not None
    proof = json.loads(path.read_text())
    assert set(proof) == {"leaf_index", "tree_size", "leaf_hash", "hashes"}
    assert (proof["leaf_index"], proof["tree_size"]) == (index, size)
    assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), index, size,
                            [bytes.fromhex(h) for h in proof["hashes"]], root)

    # The 留痕 page links each event's number to its proof.
    tab.go("/trail")
    link = page.locator("#trail-table a.proof-link", has_text=re.compile(rf"^#{size - 1}$"))
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename == f"inclusion-proof-{size - 1}-of-{size}.json"
    tab.go("/ledger")

    # An index beyond the checkpoint is explained at the field, not downloaded.
    page.get_by_label("记录序号").fill(str(size + 10_000))
    page.get_by_role("button", name="下载包含证明").click()
    expect(page.locator("#proof-index + .field-error, .field-error")).to_contain_text("不在")
    tab.shot("ledger-proof-error")


def test_archivist_sees_the_ledger_without_the_verify_buttons(new_tab) -> None:
    tab = new_tab()
    tab.login("archivist")
    tab.go("/ledger")
    page = tab.page
    expect(page.locator("h1")).to_have_text("账本")
    expect(page.get_by_role("button", name="立即核验")).to_have_count(0)
    expect(page.get_by_role("button", name="签发检查点")).to_have_count(0)
    expect(page.get_by_role("button", name="下载包含证明")).to_have_count(1)
    tab.shot("ledger-archivist")


def test_officer_is_refused_the_ledger(new_tab) -> None:
    tab = new_tab()
    tab.login("officer")
    tab.go("/ledger")
    expect(tab.page.locator(".error-card")).to_contain_text("ledger:view")
