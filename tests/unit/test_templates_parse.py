"""Every template parses (a broken ``{% if %}`` nesting after a merge fails here, not in a browser)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "lawtrail"
#: The pages' templates and the print templates (``adapters/templates/print``, decision 0033).
TEMPLATES = [SRC / "web" / "templates", SRC / "adapters" / "templates"]
FILES = sorted(p for folder in TEMPLATES for p in folder.rglob("*.html"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_template_parses(path: Path) -> None:
    jinja2.Environment(autoescape=True).parse(path.read_text(encoding="utf-8"))


def _pager(*args: object, **kwargs: object) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES[0]), autoescape=True)
    macros = env.get_template("_macros.html").make_module({"csrf": ""})
    return str(macros.pager(*args, **kwargs))  # type: ignore[attr-defined]


def test_the_pager_keeps_the_filters_and_names_the_neighbouring_pages() -> None:
    html = _pager(2, 3, "/cases", "stage=investigation&party=%E9%B2%9C")
    assert 'href="/cases?stage=investigation&amp;party=%E9%B2%9C&amp;page=1"' in html
    assert 'href="/cases?stage=investigation&amp;party=%E9%B2%9C&amp;page=3"' in html
    assert "第 2 / 3 页" in html


def test_the_pager_without_filters_on_the_first_and_last_page() -> None:
    first = _pager(1, 2, "/approvals", total=25)
    assert 'href="/approvals?page=2"' in first and "上一页" not in first and "共 25 项" in first
    last = _pager(2, 2, "/media")
    assert 'href="/media?page=1"' in last and "下一页" not in last
    assert _pager(1, 1, "/media").strip() == ""  # one page: no pager at all
