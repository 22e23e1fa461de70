"""The compliance pages over HTTP (TestClient, a browser session with CSRF): bad form input is
shown inline with status 422 and writes nothing; good input redirects; filters are checked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lawtrail.services import devices, users
from lawtrail.web.app import create_app
from tests.integration.support import Seed, only_sqlite, row_counts
from tests.integration.test_findings_api import Api
from tests.unit.factories import PASSWORD

pytestmark = only_sqlite


@pytest.fixture
def browser(seed: Seed) -> Iterator[tuple[TestClient, str, Api]]:
    c, sys = seed.container, seed.container.system_ctx("test")
    users.create_user(c.uow(), sys, c.deps, unit_id=seed.unit.id, username="archivist", display_name="吴丽华",
                      roles=["archivist"], password=PASSWORD)
    device = devices.create_device(c.uow(), sys, number="ZFJLY-201", type="body_camera", unit_id=seed.unit.id)
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        login = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert token
        client.post("/login", data={"username": "archivist", "password": PASSWORD, "csrf": token.group(1)})
        page = client.get("/handins")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert page.status_code == 200 and csrf
        yield client, csrf.group(1), Api(seed, client, {}, {}, device.number, device.id)


def refused(api: Api, call: Any) -> Any:
    before = row_counts(api.seed.container.engine)
    response = call()
    assert response.status_code == 422, response.text[:500]
    assert row_counts(api.seed.container.engine) == before
    return response


@pytest.mark.parametrize(("form", "shown"), [
    ({"device_number": ""}, "设备编号"),
    ({"device_number": "ZFJLY-201", "handed_in_at": "昨天"}, "交接时间格式应为"),
    ({"device_number": "ZFJLY-201", "exception": "on_water"}, "返回单位时间"),
    ({"device_number": "ZFJLY-201", "handed_in_at": "2099-01-01T08:00"}, "不能晚于当前时间"),
    ({"device_number": "ZFJLY-201", "officer_id": "not-an-id"}, "执法人员选择无效"),
])
def test_handin_form_refuses_bad_input(browser: tuple[TestClient, str, Api], form: dict[str, str],
                                       shown: str) -> None:
    client, csrf, api = browser
    response = refused(api, lambda: client.post("/handins", data={**form, "csrf": csrf}, follow_redirects=False))
    assert shown in response.text and 'class="field-error"' in response.text


def test_handin_form_records_and_completes(browser: tuple[TestClient, str, Api]) -> None:
    client, csrf, api = browser
    made = client.post("/handins", data={"device_number": "ZFJLY-201", "handed_in_at": "2026-11-26T16:00",
                                         "csrf": csrf}, follow_redirects=False)
    assert made.status_code == 303 and "/handins?ok=" in made.headers["location"]
    page = client.get("/handins").text
    handin_id = re.search(r'action="/handins/([0-9a-f-]+)/complete"', page)
    assert handin_id and "2026-11-27 16:00" in page  # the deadline, in Beijing time
    # Nothing stored for the device yet: completing is refused on the page, nothing written.
    response = refused(api, lambda: client.post(f"/handins/{handin_id.group(1)}/complete", data={"csrf": csrf}))
    assert "没有待关联的原始文件" in response.text
    api.media()
    done = client.post(f"/handins/{handin_id.group(1)}/complete", data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    # Without the CSRF token: refused.
    assert client.post("/handins", data={"device_number": "ZFJLY-201"}).status_code == 403


@pytest.mark.parametrize(("form", "shown"), [
    ({"collector": "张三"}, "须标记为证据"),
    ({"evidence": "1", "collected_at": "2099-01-01T08:00"}, "取证时间无效或晚于当前时间"),
    ({"situations": "other"}, "须说明具体情形"),
    ({"retention": "standard", "evidence": "1"}, "第四十三条"),
    ({"retain_until": "2026-12-01"}, "不得少于自拍摄起六个月"),
    ({"retain_until": "2026-13-01"}, "日期格式应为"),
])
def test_mark_form_refuses_bad_input(browser: tuple[TestClient, str, Api], form: dict[str, str],
                                     shown: str) -> None:
    client, csrf, api = browser
    m = api.media()
    response = refused(api, lambda: client.post(f"/media/{m.id}/marks", data={**form, "csrf": csrf}))
    assert shown in response.text


def test_findings_page_filters(browser: tuple[TestClient, str, Api]) -> None:
    client, _csrf, api = browser
    m = api.media()
    page = client.get("/findings")
    assert page.status_code == 200 and f'data-subject="{m.id}"' in page.text and "第四十二条" in page.text
    assert f'href="/media/{m.id}"' in page.text
    assert f'data-subject="{m.id}"' not in client.get("/findings?status=overdue").text
    assert f'data-subject="{m.id}"' not in client.get("/findings?rule=ART41-STORED-24H").text
    for bad in ("status=late", "rule=ART99-X", "unit=nope"):
        assert client.get(f"/findings?{bad}").status_code == 422, bad
