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
