"""Supervision on SQLite and PostgreSQL: the snapshot repository, set-based report queries (the
same number of statements for 10 and 100 originals), the XLSX opened with openpyxl and checked
cell by cell, and the PDF's text (pdftotext) and first page as PNG (pdftoppm)."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.access import system_actor
from lawtrail.domain.events import Action
from lawtrail.domain.oversight import Period
from lawtrail.domain.rules import RuleSettings
from lawtrail.domain.supervision import SnapshotRow
from lawtrail.services import devices, handins, oversight, users
from lawtrail.services.context import Ctx
from lawtrail.web import oversight_export as export
from tests.integration.support import ENGINES, Seed, counting
from tests.integration.test_compliance_db import add_media
from tests.unit.factories import T0

H = timedelta(hours=1)
LATER = T0 + 72 * H


@pytest.fixture
def people(seed: Seed) -> dict[str, Any]:
    c, ctx = seed.container, seed.ctx()
    make = {name: users.create_user(c.uow(), ctx, c.deps, unit_id=seed.unit.id, username=name, display_name=zh,
                                    roles=[role], password="Zhifa-2026-secret")
            for name, zh, role in (("sup", "何建国", "supervisor"), ("arch", "吴丽华", "archivist"),
                                   ("off", "陈志强", "officer"))}
    make["device"] = devices.create_device(c.uow(), ctx, number="ZFJLY-001", type="body_camera", unit_id=seed.unit.id)
    return make


def test_snapshots_round_trip_and_replace_the_day(seed: Seed) -> None:
    day = date(2026, 11, 26)
    rows = [SnapshotRow(str(seed.bureau.id), day, str(seed.unit.id), m, n, 10, T0)
            for m, n in (("compliance", 7), ("rule:ART41-STORED-24H", 10))]
    with SqlUnitOfWork(seed.container.engine) as uow:
        uow.oversight.replace_snapshot(seed.bureau.id, day, rows)
        uow.oversight.replace_snapshot(seed.bureau.id, day - timedelta(days=1), rows[:1])
        uow.commit()
    with SqlUnitOfWork(seed.container.engine) as uow:
        uow.oversight.replace_snapshot(seed.bureau.id, day, [
            SnapshotRow(str(seed.bureau.id), day, str(seed.unit.id), "compliance", 8, 10, T0 + H)])
        uow.commit()
    with SqlUnitOfWork(seed.container.engine) as uow:
        got = uow.oversight.snapshots(seed.bureau.id, None, day - timedelta(days=5), day)
        assert [(r.day, r.metric, r.numerator, r.taken_at) for r in got] == [
            (day - timedelta(days=1), "compliance", 7, T0), (day, "compliance", 8, T0 + H)]
        assert uow.oversight.snapshots(seed.bureau.id, frozenset({uuid.uuid4()}), day, day) == []
        assert uow.oversight.last_snapshot_at(seed.bureau.id) == T0 + H
        assert uow.oversight.last_snapshot_at(uuid.uuid4()) is None


def test_population_and_events_between(seed: Seed, people: dict[str, Any]) -> None:
    add_media(seed, people["device"].id, 3)
    handins.record_handin(seed.container.uow(), seed.ctx(people["arch"]), device_number="ZFJLY-001")
    with SqlUnitOfWork(seed.container.engine) as uow:
        assert uow.oversight.population(seed.bureau.id, None) == {(seed.unit.id, "media"): 3,
                                                                  (seed.unit.id, "handin"): 1}
        assert uow.oversight.population(seed.bureau.id, frozenset({uuid.uuid4()})) == {}
        actions = [Action.MEDIA_HANDIN_RECORD.value]
        assert len(uow.oversight.events_between(actions, T0, T0 + H)) == 1
        assert uow.oversight.events_between(actions, T0 + H, None) == []


def test_report_statements_do_not_grow_with_the_media(seed: Seed, people: dict[str, Any]) -> None:
    c = seed.container
    counts = []
    for n in (10, 90):  # 10 originals, then 100
        add_media(seed, people["device"].id, n)
        handins.record_handin(c.uow(), seed.ctx(people["arch"]), device_number="ZFJLY-001")
        with counting(c.engine) as statements:
            report = oversight.accountability_report(c.uow(), Ctx(actor=_actor(people["sup"]), now=LATER),
                                                     settings=RuleSettings())
        counts.append(len(statements))
        assert len([i for i in report.items if i.source == "ART42-REGISTRATION-COMPLETE"]) == (10 if n == 10 else 100)
    assert counts[0] == counts[1]


def _actor(user: Any) -> Any:
    return users.actor_for(user)


@pytest.fixture
def report(seed: Seed, people: dict[str, Any]) -> oversight.Report:
    c = seed.container
    handins.record_handin(c.uow(), seed.ctx(people["arch"]), device_number="ZFJLY-001",
                          officer_id=people["off"].id, note="下班交回")
    return oversight.accountability_report(c.uow(), Ctx(actor=_actor(people["sup"]), now=LATER),
                                           settings=RuleSettings(), period=Period(T0, None), fmt="xlsx")


def test_xlsx_cell_by_cell(report: oversight.Report, seed: Seed) -> None:
    book = load_workbook(io.BytesIO(export.to_xlsx(report)))
    assert book.sheetnames == ["问责事项", "按机构", "按人员"]
    items = book["问责事项"]
    assert items["A1"].value == "问责报告（《行政执法全过程记录制度》第四十八条）"
    assert items["A2"].value.startswith("期间：2026-11-26 至 不限")
    assert [c.value for c in items[3]] == export.ITEM_HEADERS
    row = [c.value for c in items[4]]
    assert row[0] == "2026-11-27 16:30"  # due 24 h after the hand-in, Beijing time
    assert row[1:6] == ["（三）未按规定储存", "第四十一条", row[3], "执法稽查一科", "陈志强"]
    assert "ZFJLY-001" in row[3] and "24小时" in row[6]
    assert items.max_row == 4
    units = book["按机构"]
    assert [c.value for c in units[1]] == ["执法机构", *export.KIND_HEADERS, "合计"]
    assert [c.value for c in units[2]] == ["执法稽查一科", 0, 0, 1, 0, 0, 1]
    officers = book["按人员"]
    assert [c.value for c in officers[2]] == ["陈志强", "执法稽查一科", 0, 0, 1, 0, 0, 1]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
@pytest.mark.parametrize("db_url", [ENGINES[0]], indirect=True)
def test_pdf_has_the_chinese_text(report: oversight.Report, tmp_path: Path) -> None:
    from starlette.requests import Request

    from lawtrail.web.ui.oversight import print_html

    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""})
    pdf = export.to_pdf(print_html(request, report))
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    for words in ("问责报告", "按执法机构", "按直接责任人员", "未按规定储存", "陈志强", "执法稽查一科", "第四十八条"):
        assert words in text, words
    out = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(out / "oversight-pdf")],
                   check=True)
    assert list(out.glob("oversight-pdf*.png"))


def test_the_snapshot_cli_service_as_the_system(seed: Seed, people: dict[str, Any]) -> None:
    c = seed.container
    add_media(seed, people["device"].id, 2)
    written = oversight.take_snapshot(c.uow(), c.ctx(system_actor("cron", seed.bureau.id)), settings=RuleSettings())
    assert written[seed.bureau.id] > 0
    board = oversight.dashboard(c.uow(), c.ctx(_actor(people["sup"])), settings=RuleSettings())
    assert board.history == []  # today's rows are live, not history
    assert [(m.numerator, m.denominator) for m in board.current if m.metric == "ingest24h"] == [(2, 2)]
