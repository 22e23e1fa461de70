"""End to end: ``lawtrail archive export|verify|retention|preview`` (``Site.run``: the entry point
in this process; one verify as a subprocess) on a copy of the demo data folder: a concluded
demo case to a bag, checked offline; a tampered bag exits 1."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest

from .test_cli import Site, make_site


@pytest.fixture(scope="module")
def demo(demo_folder: Callable[[str], Path]) -> Site:
    """A copy of the worker's demo data folder (tests/e2e/conftest.py), in demo mode."""
    return make_site(demo_folder("archive-demo"), LAWTRAIL_DEMO="true")


def _concluded(demo: Site) -> str:
    """The demo case that went all the way to 归档 (its decision served: it has records)."""
    rows = demo.json("case", "list", "--stage", "archive")
    return next(str(r["number"]) for r in rows if "未明码标价" in r["name"])


def test_export_then_verify_then_tamper(demo: Site, tmp_path: Path) -> None:
    number = _concluded(demo)
    out = tmp_path / "bag"
    done = demo.json("archive", "export", number, "--out", str(out))
    assert done["case"] == number and done["items"] >= 5
    bagit.Bag(str(out)).validate()
    report = demo.json("archive", "verify", str(out))
    assert report["ok"] and report["items"][0]["authenticity"]["ok"]
    index = json.loads((out / "data" / "index.json").read_text(encoding="utf-8"))
    forms = [i for i in index["items"] if i["kind"] == "record"]  # the records are in the file (Art. 39)
    assert forms and all((out / i["path"]).read_bytes().startswith(b"%PDF-") for i in forms)
    histories = {i["subject"]["id"] for i in index["items"] if i["kind"] == "record_history"}
    assert histories == {i["subject"]["id"] for i in forms}
    assert any("送达" in i["title"] for i in forms)
    assert "真实性" in demo.run("archive", "verify", str(out)).stdout
    assert "[archive.out_not_empty]" in demo.fail("archive", "export", number, "--out", str(out))
    (out / "data" / "001-case.json").write_text("{}", encoding="utf-8")
    proc = demo.run_process("archive", "verify", str(out), "--json", code=1)  # a real process: JSON and exit 1
    failed = json.loads(proc.stdout)
    assert not failed["ok"] and not failed["items"][0]["integrity"]["ok"]
    assert "[archive.bag_invalid]" in proc.stderr


def test_export_refuses_an_open_case_and_writes_nothing(demo: Site, tmp_path: Path) -> None:
    open_case = demo.json("case", "list", "--stage", "investigation")[0]["number"]
    before = demo.event_count()
    out = tmp_path / "never"
    proc = demo.run("archive", "export", open_case, "--out", str(out), code=1)
    assert "[archive.not_concluded, 第三十九条]" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists() and demo.event_count() == before


def test_retention_lists_every_original(demo: Site, tmp_path: Path) -> None:
    rows = demo.json("archive", "retention")
    assert all({"sha256", "retention", "until", "disposable"} <= set(r) for r in rows)
    policy = tmp_path / "retention.yaml"
    policy.write_text("version: 1\nclasses:\n  standard: {months: 5}\n  long_term: {months: null}\n",
                      encoding="utf-8")
    assert "[config.retention, 第四十三条]" in demo.run("archive", "preview", str(policy), code=1).stderr
