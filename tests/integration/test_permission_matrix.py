"""Every API route × every role → allowed or refused exactly as the permission table says.

The table below names the permission each route needs; what each role may do comes from the
one table in ``lawtrail.domain.access``. A route missing here fails the test, so a new route
cannot ship without a declared permission.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
from lawtrail.domain.media import MediaType
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.services import activities, approvals, auth, cases, devices, handins, ledger, org, users
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

    def new_activity(self) -> uuid.UUID:
        return activities.create_activity(self.container.uow(), self.sys(), unit_id=self.unit_id,
                                          data=self.activity_data()).id

    def activity_data(self, **over: Any) -> activities.ActivityInput:
        values: dict[str, Any] = dict(kind="onsite_inspection", title="现场检查", place="某地",
                                      arrived_at=datetime(2026, 11, 25, 23, 0, tzinfo=UTC),
                                      departed_at=datetime(2026, 11, 25, 23, 20, tzinfo=UTC),
                                      officer_ids=[self.new_user()], device_ids=[self.new_device()])
        return activities.ActivityInput(**(values | over))

    def activity_json(self) -> dict[str, Any]:
        return {"unit_id": str(self.unit_id), "kind": "onsite_inspection", "title": "现场检查", "place": "某地",
                "arrived_at": "2026-11-25T23:00:00Z", "departed_at": "2026-11-25T23:20:00Z",
                "officer_ids": [str(self.new_user())], "device_ids": [str(self.new_device())]}

    def interruption_request(self) -> tuple[str, dict[str, Any]]:
        act = activities.get_activity(self.container.uow(), self.sys(), self.new_activity())
        return f"/api/v1/activities/{act.id}/interruptions", {
            "device_id": str(act.device_ids[0]), "started_at": "2026-11-25T23:05:00Z",
            "ended_at": "2026-11-25T23:07:00Z", "resumed": True, "reason": "battery"}

    def new_interruption(self) -> uuid.UUID:
        act = activities.get_activity(self.container.uow(), self.sys(), self.new_activity())
        return activities.record_interruption(
            self.container.uow(), self.sys(), act.id, device_id=act.device_ids[0], started_at=act.arrived_at,
            ended_at=act.arrived_at + timedelta(minutes=1), resumed=True).id

    def new_token(self) -> uuid.UUID:
        tok, _ = auth.create_token(self.container.uow(), self.sys(), owner_id=self.new_user(), name="t")
        return tok.id

    def new_media(self, device_id: uuid.UUID | None = None) -> uuid.UUID:
        """An original of a (new) device of the unit (bytes stored, row and registration version 1),
        as ingest makes it."""
        c = self.container
        with c.uow() as uow:
            device = uow.devices.get(device_id or self.new_device())
        assert device is not None
        blob = c.blobs.put_stream([uuid.uuid4().bytes * 64])
        now = c.clock.now()
        media = MediaRecord(id=uuid.uuid4(), sha256=blob.sha256, size=blob.size, media_type=MediaType.VIDEO,
                            original_name="m.mp4", facts={}, probe_ok=True, device_id=device.id, officer_id=None,
                            unit_id=self.unit_id, bureau_id=self.bureau_id, captured_at=now - timedelta(hours=5),
                            captured_end=now, handed_in_at=now, stored_at=now, clock_offset_s=None,
                            ingested_by="matrix", created_at=now)
        with c.uow() as uow:
            uow.media.add(media)
            uow.media.add_registration(Registration(
                media_id=media.id, version=1, unit_name="甲科", category="", device_number=device.number,
                officer_id=None, officer_name="", used_from=now, used_to=now, party="", case_name="",
                actor_id=None, actor_name="matrix", at=now))
            uow.commit()
        return media.id

    def new_handin(self) -> uuid.UUID:
        """An open hand-in of a new device that has one original to link."""
        device_id = self.new_device()
        self.new_media(device_id)
        with self.container.uow() as uow:
            device = uow.devices.get(device_id)
        assert device is not None
        return handins.record_handin(self.container.uow(), self.sys(), device_number=device.number).id

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

    def as_role(self, role: Role) -> Any:
        """The context of the matrix's person holding ``role`` (all of unit A)."""
        with self.container.uow() as uow:
            user = uow.users.by_username(f"r_{role.value}")
        assert user is not None
        return self.container.ctx(users.actor_for(user))

    def submitted(self, step: str = "initiation", case_id: uuid.UUID | None = None, **more: Any) -> uuid.UUID:
        """A request of ``step`` submitted by the officer on a new case (or ``case_id``)."""
        return approvals.submit(self.container.uow(), self.as_role(Role.OFFICER), case_id or self.new_case(),
                                step=step, opinion="拟同意", **more).request.id

    def approved_case(self) -> uuid.UUID:
        """A new case whose initiation the unit head and the leader approved (Art. 9)."""
        case_id = self.new_case()
        request_id = self.submitted(case_id=case_id)
        for role in (Role.UNIT_HEAD, Role.LEADER):
            approvals.act(self.container.uow(), self.as_role(role), request_id, decision="approve", opinion="同意")
        return case_id

    def discussion(self) -> uuid.UUID:
        """A collective discussion of a case in review that the unit head, the leader and the legal
        reviewer are to sign (any of them may act on it)."""
        case_id = self.approved_case()
        for to in ("investigation", "review"):
            cases.advance_stage(self.container.uow(), self.sys(), case_id, to=to)
        with self.container.uow() as uow:
            people = [uow.users.by_username(f"r_{r.value}") for r in (Role.UNIT_HEAD, Role.LEADER,
                                                                       Role.LEGAL_REVIEWER)]
        return self.submitted("discussion", case_id, participants=[p.id for p in people if p is not None])

    def linked(self) -> str:
        case_id = self.new_case()
        media_id = self.new_media()
        cases.link_media(self.container.uow(), self.sys(), case_id, media_id)
        return f"/api/v1/cases/{case_id}/media/{media_id}/unlink"


Builder = Callable[[World], tuple[str, dict[str, Any] | None]]
UPLOAD_DEVICE = "UP-MATRIX-1"
TUS = {"Tus-Resumable": "1.0.0"}
UPLOAD_METADATA = f"filename YS5tcDQ=,device {base64.b64encode(UPLOAD_DEVICE.encode()).decode()}"


def new_upload(w: World) -> str:
    """A fresh 10-byte upload for a camera of the roles' unit (created as the system)."""
    from lawtrail.services import uploads

    c = w.container
    with c.uow() as uow:
        missing = uow.devices.by_number(UPLOAD_DEVICE) is None
    if missing:
        devices.create_device(c.uow(), w.sys(), number=UPLOAD_DEVICE, type="body_camera", unit_id=w.unit_id)
    info = uploads.create_upload(c.uow(), w.sys(), c.uploads, length="10", max_bytes=100,
                                 metadata=UPLOAD_METADATA)
    return f"/api/v1/uploads/{info.id}"

CASE_DETAILS = CaseDetails(action_type="inspection", procedure="general", origin="inspection",
                           name="矩阵测试案件", cause="日常监督检查")
CASE_BODY = {"action_type": "inspection", "procedure": "general", "origin": "inspection",
             "name": "矩阵测试案件", "cause": "日常监督检查"}


@dataclass(frozen=True)
class Rule:
    permission: Permission
    request: Builder
    bureau_wide: bool = False
    refused: str | None = None  # refused for every role with this error code (422), e.g. Art. 37
    headers: dict[str, str] | None = None  # sent instead of a JSON body (the tus upload routes)
    content: bytes | None = None


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
    ("GET", "/api/v1/media"): Rule(P.MEDIA_VIEW, lambda w: ("/api/v1/media", None)),
    ("GET", "/api/v1/media/{media_id}"): Rule(P.MEDIA_VIEW, lambda w: (f"/api/v1/media/{w.new_media()}", None)),
    ("GET", "/api/v1/media/{media_id}/registrations"): Rule(P.MEDIA_VIEW, lambda w: (
        f"/api/v1/media/{w.new_media()}/registrations", None)),
    ("POST", "/api/v1/media/{media_id}/registrations"): Rule(P.MEDIA_REGISTER, lambda w: (
        f"/api/v1/media/{w.new_media()}/registrations", {"unit_name": "甲科", "party": "某公司", "reason": "补登"})),
    ("GET", "/api/v1/media/{media_id}/suggestion"): Rule(P.MEDIA_REGISTER, lambda w: (
        f"/api/v1/media/{w.new_media()}/suggestion", None)),
    ("GET", "/api/v1/media/{media_id}/content"): Rule(P.MEDIA_VIEW, lambda w: (
        f"/api/v1/media/{w.new_media()}/content", None)),
    ("DELETE", "/api/v1/media/{media_id}"): Rule(P.MEDIA_VIEW, lambda w: (f"/api/v1/media/{w.new_media()}", None),
                                                 refused="media.original_immutable"),
    ("PUT", "/api/v1/media/{media_id}/content"): Rule(P.MEDIA_VIEW, lambda w: (
        f"/api/v1/media/{w.new_media()}/content", None), refused="media.original_immutable"),
    ("OPTIONS", "/api/v1/uploads"): Rule(P.MEDIA_INGEST, lambda w: ("/api/v1/uploads", None), headers=TUS),
    ("POST", "/api/v1/uploads"): Rule(P.MEDIA_INGEST, lambda w: (new_upload(w) and "/api/v1/uploads", None),
                                      headers={**TUS, "Upload-Length": "10", "Upload-Metadata": UPLOAD_METADATA}),
    ("GET", "/api/v1/uploads/devices/{number}"): Rule(P.MEDIA_INGEST, lambda w: (
        new_upload(w) and f"/api/v1/uploads/devices/{UPLOAD_DEVICE}", None), headers=TUS),
    ("HEAD", "/api/v1/uploads/{upload_id}"): Rule(P.MEDIA_INGEST, lambda w: (new_upload(w), None), headers=TUS),
    ("GET", "/api/v1/uploads/{upload_id}"): Rule(P.MEDIA_INGEST, lambda w: (new_upload(w), None), headers=TUS),
    ("PATCH", "/api/v1/uploads/{upload_id}"): Rule(P.MEDIA_INGEST, lambda w: (new_upload(w), None), headers={
        **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, content=b"0123456"),
    ("DELETE", "/api/v1/uploads/{upload_id}"): Rule(P.MEDIA_INGEST, lambda w: (new_upload(w), None), headers=TUS),
    ("GET", "/api/v1/activities"): Rule(P.ACTIVITY_VIEW, lambda w: ("/api/v1/activities", None)),
    ("POST", "/api/v1/activities"): Rule(P.ACTIVITY_MANAGE, lambda w: ("/api/v1/activities", w.activity_json())),
    ("GET", "/api/v1/activities/{activity_id}"): Rule(P.ACTIVITY_VIEW, lambda w: (
        f"/api/v1/activities/{w.new_activity()}", None)),
    ("GET", "/api/v1/activities/{activity_id}/versions"): Rule(P.ACTIVITY_VIEW, lambda w: (
        f"/api/v1/activities/{w.new_activity()}/versions", None)),
    ("GET", "/api/v1/activities/{activity_id}/continuity"): Rule(P.ACTIVITY_VIEW, lambda w: (
        f"/api/v1/activities/{w.new_activity()}/continuity", None)),
    ("POST", "/api/v1/activities/{activity_id}/corrections"): Rule(P.ACTIVITY_MANAGE, lambda w: (
        f"/api/v1/activities/{w.new_activity()}/corrections",
        w.activity_json() | {"place": "更正后的地点", "expected_version": 1, "note": "地点笔误"})),
    ("POST", "/api/v1/activities/{activity_id}/interruptions"): Rule(P.ACTIVITY_MANAGE, lambda w: (
        w.interruption_request())),
    ("POST", "/api/v1/activities/interruptions/{interruption_id}/completions"): Rule(P.ACTIVITY_MANAGE, lambda w: (
        f"/api/v1/activities/interruptions/{w.new_interruption()}/completions",
        {"expected_version": 1, "reason": "battery"})),
    ("GET", "/api/v1/findings"): Rule(P.FINDING_VIEW, lambda w: ("/api/v1/findings", None)),
    ("GET", "/api/v1/handins"): Rule(P.FINDING_VIEW, lambda w: ("/api/v1/handins", None)),
    ("POST", "/api/v1/handins"): Rule(P.MEDIA_HANDIN, lambda w: ("/api/v1/handins", {
        "device_number": devices.get_device(w.container.uow(), w.sys(), w.new_device())[0].number})),
    ("POST", "/api/v1/handins/{handin_id}/complete"): Rule(P.MEDIA_HANDIN, lambda w: (
        f"/api/v1/handins/{w.new_handin()}/complete", None)),
    ("GET", "/api/v1/media/{media_id}/marks"): Rule(P.FINDING_VIEW, lambda w: (
        f"/api/v1/media/{w.new_media()}/marks", None)),
    ("POST", "/api/v1/media/{media_id}/marks"): Rule(P.MEDIA_EVIDENCE, lambda w: (
        f"/api/v1/media/{w.new_media()}/marks", {"evidence": True, "collector": "张三", "place": "江门"})),
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
        f"/api/v1/cases/{w.approved_case()}/stage", {"to": "investigation"})),
    ("POST", "/api/v1/cases/{case_id}/close"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}/close", {"reason": "不予立案"})),
    ("POST", "/api/v1/cases/{case_id}/media"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}/media", {"media_id": str(w.new_media())})),
    ("POST", "/api/v1/cases/{case_id}/media/{media_id}/unlink"): Rule(P.CASE_MANAGE, lambda w: (
        w.linked(), {"reason": "误关联"})),
    ("POST", "/api/v1/cases/{case_id}/approvals"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}/approvals", {"step": "initiation", "opinion": "建议立案调查"})),
    ("GET", "/api/v1/cases/{case_id}/approvals"): Rule(P.CASE_VIEW, lambda w: (
        f"/api/v1/cases/{w.approved_case()}/approvals", None)),
    ("POST", "/api/v1/approvals/{request_id}/actions"): Rule(P.APPROVAL_ACT, lambda w: (
        f"/api/v1/approvals/{w.discussion()}/actions", {"decision": "approve", "opinion": "同意"})),
    ("POST", "/api/v1/approvals/{request_id}/withdraw"): Rule(P.CASE_MANAGE, lambda w: (
        f"/api/v1/approvals/{w.submitted()}/withdraw", {"reason": "撤回重报"})),
    ("GET", "/api/v1/approvals/inbox"): Rule(P.SELF_MANAGE, lambda w: ("/api/v1/approvals/inbox", None)),
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
    from lawtrail.web.api.activities import router as activities_router
    from lawtrail.web.api.approvals import router as approvals_router
    from lawtrail.web.api.cases import router as cases_router
    from lawtrail.web.api.findings import router as findings_router
    from lawtrail.web.api.ledger import router as ledger_router
    from lawtrail.web.api.media import router as media_router
    from lawtrail.web.api.routes import router
    from lawtrail.web.api.uploads import router as uploads_router

    routers = (router, ledger_router, media_router, uploads_router, activities_router,
               findings_router, cases_router, approvals_router)
    return sorted((m, r.path) for rt_ in routers for r in rt_.routes
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
    headers = {"Authorization": f"Bearer {world.tokens[role]}", **(rule.headers or {})}
    response = client.request(method, url, json=body, headers=headers, content=rule.content)
    if rule.refused is not None:
        assert (response.status_code, response.json()["code"]) == (422, rule.refused), response.text
    elif expected_allowed(role, rule):
        assert response.status_code < 400, (response.status_code, response.text)
    else:
        assert response.status_code == 403, (response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        if method != "HEAD":  # a HEAD answer has no body
            assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda k: f"{k[0]} {k[1]}")
def test_route_refuses_anonymous(client: TestClient, world: World, route: tuple[str, str]) -> None:
    url, body = ROUTES[route].request(world)
    response = client.request(route[0], url, json=body, headers=ROUTES[route].headers,
                              content=ROUTES[route].content)
    assert response.status_code == 401
    if route[0] == "HEAD":  # a HEAD answer has no body to read the code from
        return
    assert response.json()["code"] in {"auth.no_session", "auth.bad_token"}
