"""End to end: ``lawtrail check --case NUMBER`` through the entry point
(``Site.run``, in this process) on a copy of the demo data folder: only the
findings of that case, its records and media, with the case rules of Art. 5, 8–15 among them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .test_cli import Site, make_site


@pytest.fixture(scope="module")
def demo(demo_folder: Callable[[str], Path]) -> Site:
    """A copy of the worker's demo data folder (tests/e2e/conftest.py), in demo mode."""
    return make_site(demo_folder("check-case-demo"), LAWTRAIL_DEMO="true")


def test_check_one_case(demo: Site) -> None:
    rows = demo.json("case", "list")
    every = json.loads(demo.run("check", "--json", code=1).stdout)  # the demo has overdue findings
    case_rules = [f for f in every if f["rule"][:5] in ("ART05", "ART08", "ART09", "ART10", "ART11", "ART12",
                                                         "ART13", "ART14", "ART15")]
    assert case_rules, "the demo shows the case rules at work"
    number = next(r["number"] for r in rows if any(f["subject"]["name"].startswith(r["number"] + " ")
                                                   and f["status"] == "overdue" for f in case_rules))
    proc = demo.run("check", "--case", number, "--json", code=1)
    mine = json.loads(proc.stdout)
    assert mine and all(f["subject"]["name"].startswith(number + " ") or f["subject"]["type"] == "media"
                        for f in mine)
    assert len(mine) < len(every)
    assert any(f["status"] == "overdue" for f in mine)
    assert "[case.not_found]" in demo.fail("check", "--case", "江市监X〔2026〕999号")
