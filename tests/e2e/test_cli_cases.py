"""End to end: ``lawtrail case list|show|open`` through the entry point
(``Site.run``, in this process) on a copy of the demo data folder."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .test_cli import Site, make_site


@pytest.fixture(scope="module")
def demo(demo_folder: Callable[[str], Path]) -> Site:
    """A copy of the worker's demo data folder (tests/e2e/conftest.py), in demo mode."""
    return make_site(demo_folder("cases-demo"), LAWTRAIL_DEMO="true")


def test_case_list_json_covers_every_action_type_and_stage(demo: Site) -> None:
    rows = demo.json("case", "list")
    assert len(rows) >= 10
    for row in rows:
        assert {"number", "stage", "action_type", "name", "unit"} <= set(row)
        assert row["number"].startswith("江市监") and row["number"].endswith("号")
    assert {r["action_type"] for r in rows} == {"penalty", "licensing", "coercion", "inspection", "confirmation",
                                                "registration", "adjudication"}
    assert {r["stage"] for r in rows} == {"initiation", "investigation", "review", "service", "execution",
                                          "archive"}
    numbers = sorted(int(r["number"].split("〕")[1].rstrip("号")) for r in rows)
    assert numbers == list(range(1, len(rows) + 1))  # gapless
    investigating = demo.json("case", "list", "--stage", "investigation")
    assert investigating and all(r["stage"] == "investigation" for r in investigating)
    assert {r["number"] for r in investigating} < {r["number"] for r in rows}
    assert "[validation_failed]" in demo.fail("case", "list", "--stage", "somewhere")


def test_case_open_and_show(demo: Site) -> None:
    before = len(demo.json("case", "list"))
    out = demo.json("case", "open", "--unit", "ZFJCK", "--type", "penalty", "--origin", "complaint",
                    "--name", "某超市销售不合格口罩案", "--cause", "涉嫌销售不合格口罩", "--complainant", "赵先生",
                    "--contact", "13711112222", "--handler", "officer", "--handler", "unithead",
                    "--party-name", "江门市某某超市有限公司", "--party-id", "91440300708461136T", "--legal-rep", "赵某")
    assert out["stage"] == "initiation"
    assert re.fullmatch(rf"江市监ZFJCK〔20\d\d〕{before + 1}号", out["number"]), out["number"]
    shown = demo.json("case", "show", out["number"])
    assert shown["parties"][0]["id_number"] == "91440300708461136T"
    assert sorted(h["username"] for h in shown["handlers"]) == ["officer", "unithead"]
    assert [s["to"] for s in shown["stages"]] == ["initiation"]
    assert "某超市销售不合格口罩案" in demo.run("case", "show", out["number"]).stdout
    # Bad input: one line, nothing written.
    proc = demo.run("case", "open", "--unit", "ZFJCK", "--type", "penalty", "--origin", "inspection",
                    "--name", "x", "--cause", "y", "--handler", "liujiahao", code=1)  # expired certificate
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1
    assert "[case.handler_not_certified, 第五条]" in proc.stderr and "刘家豪" in proc.stderr
    assert "[validation_failed]" in demo.fail("case", "open", "--unit", "ZFJCK", "--type", "penalty", "--origin",
                                              "inspection", "--name", "x", "--cause", "y", "--party-name", "某公司",
                                              "--party-id", "91440300708461136S")
    assert len(demo.json("case", "list")) == before + 1
    assert "[case.not_found]" in demo.fail("case", "show", "江市监X〔2026〕999号")
