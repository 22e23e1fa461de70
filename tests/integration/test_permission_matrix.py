"""Every API route × every role → allowed or refused exactly as the permission table says.

The table below names the permission each route needs; what each role may do comes from the
one table in ``lawtrail.domain.access``. A route missing here fails the test, so a new route
cannot ship without a declared permission.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lawtrail.adapters.clock import FixedClock
from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.domain.access import BUREAU_WIDE_ROLES, ROLE_PERMISSIONS, Permission, Role
from lawtrail.services import auth, cases, devices, ledger, org, users
from lawtrail.services.case_input import CaseDetails
from lawtrail.web import ledger_runtime as rt
from lawtrail.web.app import create_app
from tests.conftest import ADMIN_URL
from tests.integration.support import ENGINES

P = Permission
PASSWORD = "matrix-password-1"


@dataclass
class World:
    container: Container
    bureau_id: uuid.UUID
    unit_id: uuid.UUID
    other_unit_id: uuid.UUID
    tokens: dict[Role, str]

    def sys(self) -> Any:
        return self.container.system_ctx("matrix")

    def new_user(self) -> uuid.UUID:
        u = users.create_user(self.container.uow(), self.sys(), self.container.deps, unit_id=self.unit_id,
                              username=f"u{uuid.uuid4().hex[:10]}", display_name="目标用户",
                              roles=["officer"], password=PASSWORD)
        return u.id

    def new_device(self) -> uuid.UUID:
        d = devices.create_device(self.container.uow(), self.sys(), number=f"D-{uuid.uuid4().hex[:8]}",
                                  type="body_camera", unit_id=self.unit_id)
        return d.id

    def checkpoint(self) -> int:
        """Sign a checkpoint of the current log (as the system); return its size."""
        c = self.container
        cp = ledger.create_checkpoint(rt.uow(c), self.sys(), rt.signer(c), c.settings.ledger_origin)
        return cp.size

    def new_token(self) -> uuid.UUID:
        tok, _ = auth.create_token(self.container.uow(), self.sys(), owner_id=self.new_user(), name="t")
        return tok.id

    def officers(self) -> list[uuid.UUID]:
        """Two certified officers of unit A (made once), the handlers of the matrix's cases."""
        if not hasattr(self, "_officers"):
            self._officers = [users.create_user(
                self.container.uow(), self.sys(), self.container.deps, unit_id=self.unit_id,
                username=f"h{uuid.uuid4().hex[:10]}", display_name="承办人", roles=["officer"], password=PASSWORD,
                cert_number="12345678", cert_valid_from=date(2025, 1, 1), cert_valid_to=date(2029, 1, 1)).id
                for _ in range(2)]
        return self._officers

    def new_case(self) -> uuid.UUID:
        case = cases.open_case(self.container.uow(), self.sys(), unit_id=self.unit_id, details=CASE_DETAILS,
                               handler_ids=self.officers())
        return case.id

    def new_media(self, case_id: uuid.UUID | None = None) -> uuid.UUID:
        """A vault original of unit A (linked to ``case_id`` when given)."""
        from lawtrail.domain.media import MediaType
        from lawtrail.domain.vault import MediaRecord

        at = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
        media = MediaRecord(id=uuid.uuid4(), sha256=uuid.uuid4().hex * 2, size=1, media_type=MediaType.VIDEO,
                            original_name="m.mp4", facts={}, probe_ok=True, device_id=self.new_device(),
                            officer_id=None, unit_id=self.unit_id, bureau_id=self.bureau_id, captured_at=at,
                            captured_end=at, handed_in_at=at, stored_at=at, clock_offset_s=None,
                            ingested_by="matrix", created_at=at)
        with self.container.uow() as uow:
            uow.media.add(media)
            uow.commit()
        if case_id is not None:
            cases.link_media(self.container.uow(), self.sys(), case_id, media.id)
        return media.id

    def linked(self) -> str:
        case_id = self.new_case()
        return f"/api/v1/cases/{case_id}/media/{self.new_media(case_id)}/unlink"


Builder = Callable[[World], tuple[str, dict[str, Any] | None]]
CASE_DETAILS = CaseDetails(action_type="inspection", procedure="general", origin="inspection",
                           name="矩阵测试案件", cause="日常监督检查")
CASE_BODY = {"action_type": "inspection", "procedure": "general", "origin": "inspection",
             "name": "矩阵测试案件", "cause": "日常监督检查"}


@dataclass(frozen=True)
class Rule:
    permission: Permission
    request: Builder
    bureau_wide: bool = False


ROUTES: dict[tuple[str, str], Rule] = {
    ("GET", "/api/v1/me"): Rule(P.SELF_MANAGE, lambda w: ("/api/v1/me", None)),
    ("GET", "/api/v1/units"): Rule(P.UNIT_VIEW, lambda w: ("/api/v1/units", None)),
    ("POST", "/api/v1/units"): Rule(P.UNIT_MANAGE, lambda w: (
        "/api/v1/units", {"code": f"U{uuid.uuid4().hex[:6]}", "name": "新机构", "kind": "business_section"})),
    ("GET", "/api/v1/units/{unit_id}"): Rule(P.UNIT_VIEW, lambda w: (f"/api/v1/units/{w.unit_id}", None)),
    ("PATCH", "/api/v1/units/{unit_id}"): Rule(P.UNIT_MANAGE, lambda w: (
        f"/api/v1/units/{w.other_unit_id}", {"name": f"改名{uuid.uuid4().hex[:4]}"})),
    ("GET", "/api/v1/users"): Rule(P.USER_VIEW, lambda w: ("/api/v1/users", None)),
    ("POST", "/api/v1/users"): Rule(P.USER_MANAGE, lambda w: ("/api/v1/users", {
        "unit_id": str(w.unit_id), "username": f"n{uuid.uuid4().hex[:8]}", "display_name": "新人",
        "roles": ["officer"], "password": PASSWORD,
        "certificate": {"number": "粤12345678", "valid_from": "2026-01-01", "valid_to": "2028-12-31"}})),
    ("GET", "/api/v1/users/{user_id}"): Rule(P.USER_VIEW, lambda w: (f"/api/v1/users/{w.new_user()}", None)),
    ("PATCH", "/api/v1/users/{user_id}"): Rule(P.USER_MANAGE, lambda w: (
        f"/api/v1/users/{w.new_user()}", {"display_name": "改名"})),
    ("POST", "/api/v1/users/{user_id}/password"): Rule(P.USER_MANAGE, lambda w: (
        f"/api/v1/users/{w.new_user()}/password", {"password": "another-password-2"})),
    ("GET", "/api/v1/users/{user_id}/tokens"): Rule(P.TOKEN_MANAGE, lambda w: (
        f"/api/v1/users/{w.new_user()}/tokens", None)),
    ("POST", "/api/v1/users/{user_id}/tokens"): Rule(P.TOKEN_MANAGE, lambda w: (
        f"/api/v1/users/{w.new_user()}/tokens", {"name": "采集站", "days": 30})),
    ("POST", "/api/v1/tokens/{token_id}/revoke"): Rule(P.TOKEN_MANAGE, lambda w: (
        f"/api/v1/tokens/{w.new_token()}/revoke", None)),
    ("GET", "/api/v1/devices"): Rule(P.DEVICE_VIEW, lambda w: ("/api/v1/devices", None)),
    ("POST", "/api/v1/devices"): Rule(P.DEVICE_MANAGE, lambda w: ("/api/v1/devices", {
        "number": f"N-{uuid.uuid4().hex[:8]}", "type": "body_camera", "unit_id": str(w.unit_id)})),
    ("GET", "/api/v1/devices/{device_id}"): Rule(P.DEVICE_VIEW, lambda w: (
        f"/api/v1/devices/{w.new_device()}", None)),
    ("PATCH", "/api/v1/devices/{device_id}"): Rule(P.DEVICE_MANAGE, lambda w: (
        f"/api/v1/devices/{w.new_device()}", {"make": "海康威视"})),
    ("POST", "/api/v1/devices/{device_id}/assign"): Rule(P.DEVICE_MANAGE, lambda w: (
        f"/api/v1/devices/{w.new_device()}/assign", {"holder_id": str(w.new_user())})),
    ("POST", "/api/v1/devices/{device_id}/status"): Rule(P.DEVICE_MANAGE, lambda w: (
        f"/api/v1/devices/{w.new_device()}/status", {"status": "under_repair", "note": "镜头故障"})),
    ("POST", "/api/v1/devices/{device_id}/log"): Rule(P.DEVICE_LOG, lambda w: (
        f"/api/v1/devices/{w.new_device()}/log", {"kind": "maintenance", "note": "月度保养"})),
    ("GET", "/api/v1/events"): Rule(P.EVENT_VIEW, lambda w: ("/api/v1/events", None), bureau_wide=True),
    ("GET", "/api/v1/ledger/checkpoints/latest"): Rule(P.LEDGER_VIEW, lambda w: (
        w.checkpoint() and "/api/v1/ledger/checkpoints/latest", None)),
    ("GET", "/api/v1/ledger/checkpoints"): Rule(P.LEDGER_VIEW, lambda w: ("/api/v1/ledger/checkpoints", None)),
    ("POST", "/api/v1/ledger/checkpoints"): Rule(P.LEDGER_VERIFY, lambda w: ("/api/v1/ledger/checkpoints", None)),
    ("GET", "/api/v1/ledger/proof/{index}"): Rule(P.LEDGER_VIEW, lambda w: (
        f"/api/v1/ledger/proof/{w.checkpoint() - 1}", None)),
    ("GET", "/api/v1/ledger/consistency"): Rule(P.LEDGER_VIEW, lambda w: (
        f"/api/v1/ledger/consistency?first=1&second={w.checkpoint()}", None)),
    ("POST", "/api/v1/ledger/verify"): Rule(P.LEDGER_VERIFY, lambda w: ("/api/v1/ledger/verify", None)),
    ("GET", "/api/v1/ledger/public-key"): Rule(P.LEDGER_VIEW, lambda w: ("/api/v1/ledger/public-key", None)),
    ("GET", "/api/v1/cases"): Rule(P.CASE_VIEW, lambda w: ("/api/v1/cases?stage=initiation", None)),
    ("POST", "/api/v1/cases"): Rule(P.CASE_MANAGE, lambda w: (
        "/api/v1/cases", {**CASE_BODY, "unit_id": str(w.unit_id), "handler_ids": [str(i) for i in w.officers()]})),
    ("GET", "/api/v1/cases/{case_id}"): Rule(P.CASE_VIEW, lambda w: (f"/api/v1/cases/{w.new_case()}", None)),
    ("PUT", "/api/v1/cases/{case_id}"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}", {**CASE_BODY, "name": "改名"})),
    ("POST", "/api/v1/cases/{case_id}/parties"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}/parties", {"kind": "citizen", "name": "李四",
                                                  "id_number": "11010519491231002X"})),
    ("PUT", "/api/v1/cases/{case_id}/handlers"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}/handlers", {"handler_ids": [str(i) for i in reversed(w.officers())]})),
    ("POST", "/api/v1/cases/{case_id}/stage"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}/stage", {"to": "investigation"})),
    ("POST", "/api/v1/cases/{case_id}/close"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}/close", {"reason": "不予立案"})),
    ("POST", "/api/v1/cases/{case_id}/media"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}/media", {"media_id": str(w.new_media())})),
    ("POST", "/api/v1/cases/{case_id}/media/{media_id}/unlink"): Rule(P.CASE_MANAGE, lambda w: (
        w.linked(), {"reason": "误关联"})),
}


@pytest.fixture(scope="module", params=ENGINES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One seeded deployment per engine: the matrix runs on SQLite and on PostgreSQL."""
    tmp = tmp_path_factory.mktemp("matrix")
    url, drop = "", None
    if request.param == "postgresql":
        admin = request.getfixturevalue("pg_admin")
        name = f"lawtrail_m_{secrets.token_hex(6)}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    settings = load_settings(data_dir=tmp, demo=True, database_url=url)
    c = build(settings, fast_hashing=True, clock=FixedClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC)))
    c.migrate()
    sys = c.system_ctx("matrix")
    bureau = org.create_bureau(c.uow(), sys, code="T", name="测试局")
    unit = org.create_unit(c.uow(), sys, bureau_id=bureau.id, code="A", name="甲科", kind="business_section")
    other = org.create_unit(c.uow(), sys, bureau_id=bureau.id, code="B", name="乙科", kind="business_section")
    tokens = {}
    for role in Role:
        u = users.create_user(c.uow(), sys, c.deps, unit_id=unit.id, username=f"r_{role.value}",
                              display_name=role.value, roles=[role.value], password=PASSWORD,
                              cert_number="12345678", cert_valid_from=date(2025, 1, 1),
                              cert_valid_to=date(2029, 1, 1))
        _, raw = auth.create_token(c.uow(), sys, owner_id=u.id, name="matrix")
        tokens[role] = raw
    yield World(c, bureau.id, unit.id, other.id, tokens)
    c.close()
    if drop is not None:
        drop()


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), raise_server_exceptions=True) as tc:
        yield tc


def api_routes() -> list[tuple[str, str]]:
    from lawtrail.web.api.cases import router as cases_router
    from lawtrail.web.api.ledger import router as ledger_router
    from lawtrail.web.api.routes import router

    return sorted((m, r.path) for rt_ in (router, ledger_router, cases_router) for r in rt_.routes
                  if isinstance(r, APIRoute) for m in r.methods)


def test_every_api_route_is_in_the_table() -> None:
    missing = [key for key in api_routes() if key not in ROUTES]
    stale = [key for key in ROUTES if key not in api_routes()]
    assert not missing, f"routes without a declared permission: {missing}"
    assert not stale, f"table entries for routes that no longer exist: {stale}"


def expected_allowed(role: Role, rule: Rule) -> bool:
    return rule.permission in ROLE_PERMISSIONS[role] and (not rule.bureau_wide or role in BUREAU_WIDE_ROLES)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_route_role(client: TestClient, world: World, route: tuple[str, str], role: Role) -> None:
    method, _ = route
    rule = ROUTES[route]
    url, body = rule.request(world)
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    response = client.request(method, url, json=body, headers=headers)
    if expected_allowed(role, rule):
        assert response.status_code < 400, (response.status_code, response.text)
    else:
        assert response.status_code == 403, (response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_route_refuses_anonymous(client: TestClient, world: World, route: tuple[str, str]) -> None:
    url, body = ROUTES[route].request(world)
    response = client.request(route[0], url, json=body)
    assert response.status_code == 401
    assert response.json()["code"] in {"auth.no_session", "auth.bad_token"}
