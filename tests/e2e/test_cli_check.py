"""End to end: ``lawtrail check`` and ``lawtrail handin`` through the entry point
(``Site.run``; one ``check`` as a subprocess) on a data folder with
ingested media: one JSON array of findings in DESIGN's form, exit 0 without overdue findings, 1 with."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.test_cli import ADMIN_PASSWORD, Site, make_site

DEVICE = "JM-ZFJLY-931"
KEYS = {"rule", "article", "severity", "subject", "message_zh", "message_en", "due_at", "status"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    site = make_site(tmp_path_factory.mktemp("check-site"))
    site.run("init", "--admin-password", ADMIN_PASSWORD)
    site.run("device", "add", DEVICE, "--type", "body_camera", "--unit", "ADMIN")
    return site


def lines(text: str) -> list[dict[str, object]]:
    """The findings of ``check --json``: one JSON array (issue 5 item 9), never JSON lines."""
    found = json.loads(text)
    assert isinstance(found, list)
    return found


def test_check_reports_then_exits_one_on_overdue(site: Site, tmp_path: Path) -> None:
    assert site.run("check").stdout.startswith("没有合规问题")
    (tmp_path / "a.bin").write_bytes(b"not media, kept anyway")
    site.run("ingest", str(tmp_path), "--device", DEVICE, "--json")
    [reg] = lines(site.run("check", "--json").stdout)  # exit 0: due tomorrow
    assert set(reg) >= KEYS and (reg["rule"], reg["article"], reg["status"]) == (
        "ART42-REGISTRATION-COMPLETE", "第四十二条", "open")
    assert "当事人" in str(reg["message_zh"])

    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    made = json.loads(site.run("handin", "record", "--device", DEVICE, "--at", two_days_ago, "--json").stdout)
    overdue = lines(site.run("check", "--json", "--rule", "ART41-STORED-24H", code=1).stdout)
    assert [(f["subject"]["type"], f["status"]) for f in overdue] == [("handin", "overdue")]  # type: ignore[index]
    table = site.run_process("check", code=1).stdout  # exit 1 of a real process on an overdue finding
    assert "ART41-STORED-24H" in table and "已逾期" in table

    site.run("handin", "complete", str(made["id"]))
    [late] = lines(site.run("check", "--json", "--rule", "ART41-STORED-24H", code=1).stdout)
    assert (late["subject"]["type"], late["status"]) == ("media", "overdue")  # type: ignore[index]
    assert "第四十八条" in str(late["message_zh"])
    assert site.run("check", "--json", "--status", "open").stdout.count("ART42") == 1
    assert "validation_failed" in site.fail("check", "--status", "late")
    assert "validation_failed" in site.fail("check", "--rule", "ART99-X")


def test_evidence_mark_raises_and_clears_art43(site: Site, tmp_path: Path) -> None:
    (tmp_path / "evidence.bin").write_bytes(b"footage used as evidence")
    [stored] = [json.loads(line) for line in site.run(
        "ingest", str(tmp_path), "--device", DEVICE, "--json").stdout.splitlines()]
    sha = str(stored["sha256"])
    first = site.json("evidence", "mark", sha, "--evidence", "--collector", "陈志强")
    assert (first["version"], first["retention"], first["missing_note_items"]) == (
        1, "long_term", ["collected_at", "place"])
    # No deadline: an incomplete note is overdue at once, so check exits 1.
    note = lines(site.run("check", "--json", "--rule", "ART43-EVIDENCE-NOTE", code=1).stdout)
    assert [(f["subject"]["id"], f["article"]) for f in note] == [(first["media_id"], "第四十三条")]  # type: ignore[index]
    text = site.run("evidence", "mark", first["media_id"], "--evidence", "--collector", "陈志强",
                    "--collected-at", "2026-11-25T21:00", "--place", "江门市蓬江区",
                    "--situation", "objection").stdout
    assert "第 2 版" in text and "长期保存" in text and "尚缺" not in text
    assert lines(site.run("check", "--json", "--rule", "ART43-EVIDENCE-NOTE").stdout) == []
    # Refused, one line each, nothing written: standard retention for evidence, a bad date, unknown ids.
    refused = site.run("evidence", "mark", sha, "--evidence", "--retention", "standard", code=1)
    assert refused.stdout == "" and len(refused.stderr.splitlines()) == 1
    assert "[media.long_term_required, 第四十三条" in refused.stderr  # the article is cited
    assert "validation_failed" in site.fail("evidence", "mark", sha, "--until", "2027-02-30")
    assert "validation_failed" in site.fail("evidence", "mark", sha, "--situation", "riot")
    assert "media.not_found" in site.fail("evidence", "mark", "0" * 64, "--evidence")
    assert "validation_failed" in site.fail("evidence", "mark", "not-an-id")
    again = site.json("evidence", "mark", sha, "--evidence", "--collector", "陈志强",
                      "--collected-at", "2026-11-25T21:00", "--place", "江门市蓬江区")
    assert again["version"] == 3 and again["collected_at"] == "2026-11-25T13:00:00.000000Z"
