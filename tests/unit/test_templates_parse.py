"""Every template parses (a broken ``{% if %}`` nesting after a merge fails here, not in a browser)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "lawtrail" / "web" / "templates"


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_parses(path: Path) -> None:
    jinja2.Environment(autoescape=True).parse(path.read_text(encoding="utf-8"))
