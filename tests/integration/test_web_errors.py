"""Bad input over the web: a clear problem+json (or page) with a stable code, and nothing written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from lawtrail.adapters.clock import FixedClock
from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.services import auth, org, users
from lawtrail.web.app import create_app

PASSWORD = "errors-password-1"


@pytest.fixture()
def env(tmp_path) -> Iterator[tuple[Container, FixedClock, str, object]]:  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    c = build(load_settings(data_dir=tmp_path, demo=True, max_request_bytes=4096), fast_hashing=True, clock=clock)
    c.migrate()
    sys = c.system_ctx("test")
    bureau = org.create_bureau(c.uow(), sys, code="T", name="测试局")
    unit = org.create_unit(c.uow(), sys, bureau_id=bureau.id, code="A", name="甲科", kind="business_section")
    admin = users.create_user(c.uow(), sys, c.deps, unit_id=unit.id, username="admin", display_name="管理员",
                              roles=["admin"], password=PASSWORD)
    _, token = auth.create_token(c.uow(), sys, owner_id=admin.id, name="t")
    yield c, clock, token, unit
    c.close()


def event_count(c: Container) -> int:
    with c.uow() as uow:
        return uow.events.count()


def login(client: TestClient, username: str = "admin", password: str = PASSWORD) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text[:500]
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf.group(1)},
                       follow_redirects=False).text


def problem(response) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    assert body["message_zh"] and body["message_en"] and body["code"]
    return body  # type: ignore[no-any-return]


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"code": "", "name": "x", "kind": "business_section"}, "validation_failed", "code"),
    ({"code": "B", "name": "", "kind": "business_section"}, "validation_failed", "name"),
    ({"code": "B", "name": "长" * 101, "kind": "business_section"}, "validation_failed", "name"),
    ({"code": "B", "name": "乙科", "kind": "nonsense"}, "validation_failed", "kind"),
    ({"code": "A", "name": "重复", "kind": "business_section"}, "unit.code_taken", None),
])
def test_bad_unit_input(env, body, code, field) -> None:  # type: ignore[no-untyped-def]
    c, _, token, _ = env
    before = event_count(c)
    with TestClient(create_app(c)) as client:
        r = client.post("/api/v1/units", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (409, 422)
    p = problem(r)
    assert p["code"] == code
    if field:
        assert p["problems"][0]["field"] == field
    assert event_count(c) == before


@pytest.mark.parametrize(("cert", "field"), [
    ({"number": "ABC", "valid_from": "2026-01-01", "valid_to": "2027-01-01"}, "cert_number"),
    ({"number": "12345678", "valid_from": "2027-01-01", "valid_to": "2026-01-01"}, "cert_valid_to"),
])
def test_bad_certificate_refused(env, cert, field) -> None:  # type: ignore[no-untyped-def]
    c, _, token, unit = env
    before = event_count(c)
    with TestClient(create_app(c)) as client:
        r = client.post("/api/v1/users", headers={"Authorization": f"Bearer {token}"}, json={
            "unit_id": str(unit.id), "username": "newbie", "display_name": "新人", "roles": ["officer"],
            "password": PASSWORD, "certificate": cert})
        assert r.status_code == 422
        assert any(p["field"] == field for p in problem(r)["problems"])
        assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"}).json()[0]["username"] \
            == "admin"
    assert event_count(c) == before


def test_unknown_unit_and_duplicate_device(env) -> None:  # type: ignore[no-untyped-def]
    c, _, token, unit = env
    h = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(c)) as client:
        r = client.post("/api/v1/devices", headers=h, json={
            "number": "JM-1", "type": "body_camera", "unit_id": "00000000-0000-0000-0000-000000000001"})
        assert r.status_code == 404 and problem(r)["code"] == "unit.not_found"
        ok = client.post("/api/v1/devices", headers=h, json={"number": "JM-1", "type": "body_camera",
                                                               "unit_id": str(unit.id)})
        assert ok.status_code == 201
        before = event_count(c)
        dup = client.post("/api/v1/devices", headers=h, json={"number": "JM-1", "type": "camera",
                                                                "unit_id": str(unit.id)})
        assert dup.status_code == 409 and problem(dup)["code"] == "device.number_taken"
        assert len(client.get("/api/v1/devices", headers=h).json()) == 1
    assert event_count(c) == before


def test_malformed_json_and_unknown_fields(env) -> None:  # type: ignore[no-untyped-def]
    c, _, token, _ = env
    h = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    with TestClient(create_app(c)) as client:
        r = client.post("/api/v1/units", headers=h, content=b"{not json")
        assert r.status_code == 422 and problem(r)["code"] == "validation_failed"
        r = client.post("/api/v1/units", headers=h, json={"code": "Z", "name": "z", "evil": 1})
        assert r.status_code == 422 and problem(r)["problems"][0]["field"] == "evil"


def test_oversized_request_refused(env) -> None:  # type: ignore[no-untyped-def]
    c, _, token, _ = env
    before = event_count(c)
    with TestClient(create_app(c)) as client:
        r = client.post("/api/v1/units", headers={"Authorization": f"Bearer {token}"},
                        json={"code": "Z", "name": "x" * 10_000, "kind": "business_section"})
    assert r.status_code == 413 and problem(r)["code"] == "request.too_large"
    assert event_count(c) == before


def test_bad_token(env) -> None:  # type: ignore[no-untyped-def]
    c, _, _, _ = env
    with TestClient(create_app(c)) as client:
        r = client.get("/api/v1/units", headers={"Authorization": "Bearer lt_forged"})
    assert r.status_code == 401 and problem(r)["code"] == "auth.bad_token"


def test_wrong_password_page_and_throttle(env) -> None:  # type: ignore[no-untyped-def]
    c, _, _, _ = env
    with TestClient(create_app(c)) as client:
        for _ in range(5):
            login(client, password="wrong-password")
        text = login(client)  # the right password, but locked now
    assert "登录失败次数过多" in text
    with c.uow() as uow:
        refused = uow.events.list(subject_type="login")
    assert len(refused) == 6


def test_session_cookie_needs_csrf_for_changes_and_expires(env) -> None:  # type: ignore[no-untyped-def]
    c, clock, _, _ = env
    with TestClient(create_app(c)) as client:
        login(client)
        assert client.get("/api/v1/units").status_code == 200
        before = event_count(c)
        r = client.post("/api/v1/units", json={"code": "Q", "name": "丙科", "kind": "business_section"},
                        headers={"X-CSRF-Token": "forged"})
        assert r.status_code == 403 and problem(r)["code"] == "auth.csrf"
        page = client.post("/admin/units", data={"code": "Q", "name": "丙科", "kind": "business_section",
                                                 "csrf": "forged"})
        assert page.status_code == 403 and "CSRF" in page.text
        assert event_count(c) == before
        clock.advance(timedelta(minutes=31))
        r = client.get("/api/v1/units")
        assert r.status_code == 401 and problem(r)["code"] == "auth.session_expired"
        page = client.get("/admin/units", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_required_totp_must_be_enrolled_before_anything_else(env) -> None:  # type: ignore[no-untyped-def]
    c, _, token, _ = env
    admin = c.uow()
    with admin as uow:
        me = uow.users.by_username("admin")
    assert me is not None
    users.update_user(c.uow(), c.system_ctx("test"), c.deps, me.id, totp_required=True)
    with TestClient(create_app(c)) as client:
        login(client)
        r = client.get("/api/v1/units")
        assert r.status_code == 403 and problem(r)["code"] == "auth.totp_enrolment_required"
        page = client.get("/admin/units", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/me?enrol=1"
        assert client.get("/me").status_code == 200
        # a machine token is not a browser session: it keeps working
        r = client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
