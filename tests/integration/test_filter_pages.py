"""The list pages' filters (one ``m.filter_select`` macro): every page renders with the demo data,
offers its choices and keeps the chosen one selected. Rendering only: one SQLite demo for the module."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lawtrail.adapters.db.engine import make_engine, upgrade
from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.services import org
from lawtrail.services.demo import DEMO_PASSWORD, load_demo
from lawtrail.web.app import create_app


def _login(client: TestClient, username: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    done = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf": token.group(1)},
                       follow_redirects=False)
    assert done.status_code == 303


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    folder = tmp_path_factory.mktemp("filters")
    url = f"sqlite:///{folder / 'lawtrail.db'}"
    upgrade(make_engine(url))
    container = build(load_settings(data_dir=folder / "data", demo=True, database_url=url), fast_hashing=True)
    load_demo(container)
    yield container


def _selected(html: str, name: str) -> list[str]:
    block = re.search(rf'<select id="q-{name}" name="{name}">(.*?)</select>', html, re.S)
    assert block, f"no filter {name}"
    return re.findall(r'<option value="([^"]*)" selected>', block.group(1))


@pytest.mark.parametrize(("user", "path", "name", "value"), [
    ("supervisor", "/cases", "stage", "investigation"),
    ("supervisor", "/cases", "action_type", "penalty"),
    ("supervisor", "/devices", "status", "under_repair"),
    ("supervisor", "/devices", "type", "body_camera"),
    ("supervisor", "/media", "type", "video"),
    ("supervisor", "/findings", "status", "overdue"),
    ("supervisor", "/media", "fstatus", "overdue"),
    ("supervisor", "/access/register", "outcome", "refused"),
])
def test_a_chosen_filter_stays_selected(demo: Container, user: str, path: str, name: str, value: str) -> None:
    with TestClient(create_app(demo, checkpoint_interval=None)) as client:
        _login(client, user)
        page = client.get(path, params={name: value})
        assert page.status_code == 200, page.text[:300]
        assert _selected(page.text, name) == [value]
        assert _selected(client.get(path).text, name) == []  # nothing chosen: "all"


@pytest.mark.parametrize(("user", "path"), [("supervisor", "/cases"), ("supervisor", "/devices"),
                                            ("supervisor", "/media"), ("supervisor", "/findings"),
                                            ("supervisor", "/findings/units"), ("supervisor", "/access/register"),
                                            ("supervisor", "/oversight/report")])
def test_the_unit_filter_lists_the_units_and_keeps_the_choice(demo: Container, user: str, path: str) -> None:
    units = org.list_units(demo.uow(), demo.system_ctx("t"))
    chosen = str(units[-1].id)
    with TestClient(create_app(demo, checkpoint_interval=None)) as client:
        _login(client, user)
        page = client.get(path, params={"unit": chosen})
        assert page.status_code == 200, page.text[:300]
        block = re.search(r'<select id="q-unit" name="unit">(.*?)</select>', page.text, re.S)
        assert block
        offered = re.findall(r'<option value="([^"]*)"', block.group(1))
        assert offered[0] == "" and chosen in offered
        assert _selected(page.text, "unit") == [chosen]
