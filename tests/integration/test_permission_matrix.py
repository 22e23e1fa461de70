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
from dataclasses import dataclass, field, replace
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
from lawtrail.errors import PermissionDenied
from lawtrail.services import (
    activities,
    approvals,
    auth,
    cases,
    devices,
    grants,
    handins,
    ledger,
    org,
    outside,
    users,
)
from lawtrail.services.case_input import CaseDetails
from lawtrail.services.users import actor_for
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
    people: dict[Role, uuid.UUID] = field(default_factory=dict)

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

    def ctx_of(self, user_id: uuid.UUID) -> Any:
        with self.container.uow() as uow:
            user = uow.users.get(user_id)
        assert user is not None
        return self.container.ctx(actor_for(user), "matrix")

    def approver(self) -> uuid.UUID:
        """A second leader (no token), who approves the matrix's requests (the leader's too)."""
        if not hasattr(self, "_approver"):
            self._approver = users.create_user(self.container.uow(), self.sys(), self.container.deps,
                                               unit_id=self.other_unit_id, username="approver",
                                               display_name="审批人", roles=["leader"], password=PASSWORD).id
        return self._approver

    def new_request(self, who: uuid.UUID | None = None, **over: Any) -> uuid.UUID:
        """A pending access request of ``who`` (a new officer by default) for a new original."""
        ctx = self.ctx_of(who or self.new_user())
        values: dict[str, Any] = {"purpose": "复核", "ends_at": ctx.now + timedelta(days=3),
                                  "media_ids": [self.new_media()]}
        return grants.request_access(self.container.uow(), ctx, **(values | over)).request.id

    def granted_media(self) -> uuid.UUID:
        """An original of unit A that every role able to ask holds an approved grant for (Art. 45)."""
        media_id = self.new_media()
        for role, user_id in self.people.items():
            if P.ACCESS_REQUEST in ROLE_PERMISSIONS[role]:
                request_id = self.new_request(user_id, media_ids=[media_id])
                grants.approve(self.container.uow(), self.ctx_of(self.approver()), request_id)
        return media_id

    def new_disclosure(self) -> uuid.UUID:
        """A pending disclosure request (Art. 37) of a new officer for a new original."""
        from lawtrail.services import disclosure
        ctx = self.ctx_of(self.new_user())
        return disclosure.request_disclosure(self.container.uow(), ctx, recipient_name="张三", recipient_org="某法院",
                                             purpose="举证", media_ids=[self.new_media()]).request.id

    def new_outside(self) -> uuid.UUID:
        ctx = self.ctx_of(self.people[Role.ARCHIVIST])
        return outside.record_request(self.container.uow(), ctx, kind="party", requester_name="某公司",
                                      requester_org="", legal_basis="行政处罚法", purpose="陈述申辩",
                                      asked="现场执法录像", wants_copy=False, received_at=ctx.now).id

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

    def new_record(self) -> uuid.UUID:
        """An initiation form on a fresh case, made as the system."""
        from lawtrail.services import records

        version = records.create_record(self.container.uow(), self.sys(), self.container.catalogue, self.new_case(),
                                        kind_id="initiation_form", data=records.RecordInput(values=INITIATION))
        return version.record_id

    def new_attachment(self) -> str:
        import io

        from lawtrail.services import records

        record_id = self.new_record()
        att = records.add_attachment(self.container.uow(), self.sys(), self.container.blobs, record_id,
                                     records.Upload("scan.png", "image/png", io.BytesIO(PNG_SCAN)))
        return f"/api/v1/records/{record_id}/attachments/{att.id}"
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

INITIATION = {"start_reason": "日常检查发现", "party_info": "某公司", "handler_opinion": "建议立案",
              "unit_opinion": "同意", "leader_opinion": "同意", "source_materials": ["监督检查报告"]}
PNG_SCAN = b"\x89PNG\r\n\x1a\n" + b"matrix-scan" * 8
BOUNDARY = "matrixboundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def multipart(**fields: str) -> bytes:
    """A multipart/form-data body of text fields (the signature and refusal routes take forms)."""
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


def file_part(name: str, filename: str, kind: str, data: bytes) -> bytes:
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {kind}\r\n\r\n").encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()
def old_media(w: World) -> uuid.UUID:
    """An original captured eight months ago: past the six-month standard retention (Art. 43)."""
    media_id = w.new_media()
    with w.container.uow() as uow:
        media = uow.media.get(media_id)
    assert media is not None
    c = w.container
    at = c.clock.now() - timedelta(days=245)
    blob = c.blobs.put_stream([uuid.uuid4().bytes * 64])
    old = MediaRecord(**{**vars(media), "id": uuid.uuid4(), "sha256": blob.sha256, "size": blob.size,
                         "captured_at": at, "captured_end": at, "stored_at": at, "handed_in_at": at})
    with c.uow() as uow:
        uow.media.add(old)
        uow.commit()
    return old.id


def proposed(w: World) -> uuid.UUID:
    """A disposal proposed by the system (so any named leader is a second person)."""
    from lawtrail.services import disposal
    c = w.container
    return disposal.propose_disposal(c.uow(), bureau_sys(w), policy=c.rules.retention, media_ids=[old_media(w)],
                                     reason="期满").id


def approved(w: World) -> uuid.UUID:
    """A disposal approved but not carried out (as after an Object Lock refusal)."""
    from lawtrail.domain.archive import DecisionKind, DisposalDecision
    disposal_id = proposed(w)
    with w.container.uow() as uow:
        uow.archive.add_decision(DisposalDecision(disposal_id, DecisionKind.APPROVE, uuid.uuid4(), "领导",
                                                  w.container.clock.now(), ""))
        uow.commit()
    return disposal_id


def disposed(w: World) -> uuid.UUID:
    from lawtrail.services import disposal
    c = w.container
    leader = users.create_user(c.uow(), w.sys(), c.deps, unit_id=w.unit_id, username=f"l{uuid.uuid4().hex[:8]}",
                               display_name="领导", roles=["leader"], password=PASSWORD)
    disposal_id = proposed(w)
    disposal.approve_disposal(rt.uow(c), c.ctx(users.actor_for(leader)), c.blobs, rt.signer(c),
                              policy=c.rules.retention, disposal_id=disposal_id)
    return disposal_id


def new_hold(w: World) -> uuid.UUID:
    from lawtrail.services import retention
    return retention.place_hold(w.container.uow(), bureau_sys(w), target="case", target_id=w.new_case(),
                                reason="诉讼").id


def bureau_sys(w: World) -> Any:
    """The system acting on the matrix's bureau (the archive services work on one bureau)."""
    from lawtrail.domain.access import system_actor
    return w.container.ctx(system_actor("matrix", w.bureau_id))


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
    or_permission: Permission | None = None  # also allowed with this one (disposals: proposers and approvers)


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
    # Reading an original needs a basis (Art. 45): the builder grants every role that may ask.
    ("GET", "/api/v1/media/{media_id}"): Rule(P.ACCESS_REQUEST, lambda w: (
        f"/api/v1/media/{w.granted_media()}", None)),
    ("GET", "/api/v1/media/{media_id}/registrations"): Rule(P.ACCESS_REQUEST, lambda w: (
        f"/api/v1/media/{w.granted_media()}/registrations", None)),
    ("POST", "/api/v1/media/{media_id}/registrations"): Rule(P.MEDIA_REGISTER, lambda w: (
        f"/api/v1/media/{w.new_media()}/registrations", {"unit_name": "甲科", "party": "某公司", "reason": "补登"})),
    ("GET", "/api/v1/media/{media_id}/suggestion"): Rule(P.MEDIA_REGISTER, lambda w: (
        f"/api/v1/media/{w.new_media()}/suggestion", None)),
    ("GET", "/api/v1/media/{media_id}/content"): Rule(P.ACCESS_REQUEST, lambda w: (
        f"/api/v1/media/{w.granted_media()}/content", None)),
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
    ("GET", "/api/v1/findings/summary"): Rule(P.FINDING_VIEW, lambda w: ("/api/v1/findings/summary", None)),
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
    # Art. 45–47 (decision 0017)
    ("POST", "/api/v1/access/requests"): Rule(P.ACCESS_REQUEST, lambda w: ("/api/v1/access/requests", {
        "purpose": "复核证据", "ends_at": "2026-11-29T00:00:00Z", "media_ids": [str(w.new_media())]})),
    ("GET", "/api/v1/access/requests"): Rule(P.ACCESS_REQUEST, lambda w: ("/api/v1/access/requests", None)),
    ("GET", "/api/v1/access/requests/{request_id}"): Rule(P.ACCESS_REGISTER, lambda w: (
        f"/api/v1/access/requests/{w.new_request()}", None)),
    ("POST", "/api/v1/access/requests/{request_id}/{move}"): Rule(P.ACCESS_APPROVE, lambda w: (
        f"/api/v1/access/requests/{w.new_request()}/approve", {"reason": "同意"})),
    ("GET", "/api/v1/access/register"): Rule(P.ACCESS_REGISTER, lambda w: ("/api/v1/access/register", None),
                                             bureau_wide=True),
    ("POST", "/api/v1/access/outside"): Rule(P.ACCESS_OUTSIDE, lambda w: ("/api/v1/access/outside", {
        "kind": "agency", "requester_name": "王某", "requester_org": "某区法院", "legal_basis": "民事诉讼法第六十七条",
        "purpose": "审理案件", "asked": "现场录像", "received_at": "2026-11-25T00:00:00Z"}), bureau_wide=True),
    ("GET", "/api/v1/access/outside"): Rule(P.ACCESS_OUTSIDE, lambda w: ("/api/v1/access/outside", None),
                                            bureau_wide=True),
    ("POST", "/api/v1/access/outside/{request_id}/decision"): Rule(P.ACCESS_APPROVE, lambda w: (
        f"/api/v1/access/outside/{w.new_outside()}/decision", {"outcome": "refused", "reason": "依据不足"})),
    ("PUT", "/api/v1/access/cases/{case_id}/level"): Rule(P.SECRECY_SET, lambda w: (
        f"/api/v1/access/cases/{w.new_case()}/level", {"level": "trade_secret", "reason": "涉及商业秘密"})),
    ("PUT", "/api/v1/access/media/{media_id}/level"): Rule(P.SECRECY_SET, lambda w: (
        f"/api/v1/access/media/{w.new_media()}/level", {"level": "personal_privacy", "reason": "涉及个人隐私"})),
    ("PUT", "/api/v1/access/users/{user_id}/clearance"): Rule(P.CLEARANCE_MANAGE, lambda w: (
        f"/api/v1/access/users/{w.new_user()}/clearance", {"levels": ["trade_secret"], "reason": "经批准"})),
    # Art. 37 (decision 0025)
    ("POST", "/api/v1/disclosures"): Rule(P.DISCLOSURE_REQUEST, lambda w: ("/api/v1/disclosures", {
        "recipient_name": "张三", "recipient_org": "某法院", "purpose": "举证", "media_ids": [str(w.new_media())]})),
    ("GET", "/api/v1/disclosures"): Rule(P.DISCLOSURE_REQUEST, lambda w: ("/api/v1/disclosures", None),
                                         or_permission=P.DISCLOSURE_APPROVE),
    ("GET", "/api/v1/disclosures/{request_id}"): Rule(P.DISCLOSURE_APPROVE, lambda w: (
        f"/api/v1/disclosures/{w.new_disclosure()}", None)),
    ("POST", "/api/v1/disclosures/{request_id}/{move}"): Rule(P.DISCLOSURE_APPROVE, lambda w: (
        f"/api/v1/disclosures/{w.new_disclosure()}/approve", {"reason": "同意"})),
    ("GET", "/api/v1/oversight/report"): Rule(P.OVERSIGHT_VIEW, lambda w: (
        "/api/v1/oversight/report?start=2026-11-01&end=2026-11-30", None)),
    ("GET", "/api/v1/oversight/report.xlsx"): Rule(P.OVERSIGHT_VIEW, lambda w: ("/api/v1/oversight/report.xlsx", None)),
    ("GET", "/api/v1/oversight/dashboard"): Rule(P.OVERSIGHT_VIEW, lambda w: ("/api/v1/oversight/dashboard", None)),
    # The catalogue is read by everyone who sees records and by the administrator who edits it: every role.
    ("GET", "/api/v1/catalogue"): Rule(P.SELF_MANAGE, lambda w: ("/api/v1/catalogue", None)),
    ("PUT", "/api/v1/catalogue"): Rule(P.CATALOGUE_MANAGE, lambda w: ("/api/v1/catalogue", {
        "text": w.container.catalogue.packaged_text() + f"\n# {uuid.uuid4().hex}\n", "reason": "矩阵测试"})),
    ("GET", "/api/v1/cases/{case_id}/records"): Rule(P.RECORD_VIEW, lambda w: (
        f"/api/v1/cases/{w.new_case()}/records", None)),
    ("GET", "/api/v1/cases/{case_id}/records/gaps"): Rule(P.RECORD_VIEW, lambda w: (
        f"/api/v1/cases/{w.new_case()}/records/gaps", None)),
    ("POST", "/api/v1/cases/{case_id}/records"): Rule(P.RECORD_MANAGE, lambda w: (
        f"/api/v1/cases/{w.new_case()}/records", {"kind_id": "initiation_form", "values": INITIATION})),
    ("GET", "/api/v1/records/{record_id}"): Rule(P.RECORD_VIEW, lambda w: (
        f"/api/v1/records/{w.new_record()}", None)),
    ("POST", "/api/v1/records/{record_id}/versions"): Rule(P.RECORD_MANAGE, lambda w: (
        f"/api/v1/records/{w.new_record()}/versions", {"values": {**INITIATION, "unit_opinion": "同意立案"},
                                                       "reason": "补充意见"})),
    ("POST", "/api/v1/records/{record_id}/signatures"): Rule(P.RECORD_MANAGE, lambda w: (
        f"/api/v1/records/{w.new_record()}/signatures", None), headers=MULTIPART,
        content=multipart(capacity="approver", signer_name="分管领导", method="electronic")),
    ("POST", "/api/v1/records/{record_id}/refusals"): Rule(P.RECORD_MANAGE, lambda w: (
        f"/api/v1/records/{w.new_record()}/refusals", None), headers=MULTIPART,
        content=multipart(capacity="party", signer_name="张三", reason="拒绝签名", witness_name="李四")),
    ("POST", "/api/v1/records/{record_id}/attachments"): Rule(P.RECORD_MANAGE, lambda w: (
        f"/api/v1/records/{w.new_record()}/attachments", None), headers=MULTIPART,
        content=file_part("file", "scan.png", "image/png", PNG_SCAN)),
    ("GET", "/api/v1/records/{record_id}/attachments/{attachment_id}"): Rule(P.RECORD_VIEW, lambda w: (
        w.new_attachment(), None)),
    ("GET", "/api/v1/records/{record_id}/pdf"): Rule(P.RECORD_VIEW, lambda w: (
        f"/api/v1/records/{w.new_record()}/pdf", None)),
    ("GET", "/api/v1/cases/{case_id}/records/index.pdf"): Rule(P.RECORD_VIEW, lambda w: (
        f"/api/v1/cases/{w.new_case()}/records/index.pdf", None)),
    ("GET", "/api/v1/archive/retention"): Rule(P.ARCHIVE_MANAGE, lambda w: ("/api/v1/archive/retention", None)),
    ("POST", "/api/v1/archive/retention/preview"): Rule(P.ARCHIVE_MANAGE, lambda w: (
        "/api/v1/archive/retention/preview", {"standard_months": 6, "archival_months": 360})),
    ("GET", "/api/v1/archive/holds"): Rule(P.ARCHIVE_MANAGE, lambda w: ("/api/v1/archive/holds", None)),
    ("POST", "/api/v1/archive/holds"): Rule(P.ARCHIVE_MANAGE, lambda w: (
        "/api/v1/archive/holds", {"target": "case", "target_id": str(w.new_case()), "reason": "行政诉讼中"})),
    ("POST", "/api/v1/archive/holds/{hold_id}/release"): Rule(P.ARCHIVE_MANAGE, lambda w: (
        f"/api/v1/archive/holds/{new_hold(w)}/release", {"reason": "诉讼终结"})),
    ("GET", "/api/v1/archive/disposals"): Rule(P.ARCHIVE_MANAGE, lambda w: ("/api/v1/archive/disposals", None),
                                               or_permission=P.ARCHIVE_APPROVE),
    ("POST", "/api/v1/archive/disposals"): Rule(P.ARCHIVE_MANAGE, lambda w: (
        "/api/v1/archive/disposals", {"media_ids": [str(old_media(w))], "reason": "保存期限届满"})),
    ("POST", "/api/v1/archive/disposals/{disposal_id}/approve"): Rule(P.ARCHIVE_APPROVE, lambda w: (
        f"/api/v1/archive/disposals/{proposed(w)}/approve", {"note": "同意"})),
    ("POST", "/api/v1/archive/disposals/{disposal_id}/reject"): Rule(P.ARCHIVE_APPROVE, lambda w: (
        f"/api/v1/archive/disposals/{proposed(w)}/reject", {"note": "仍有保存价值"})),
    ("POST", "/api/v1/archive/disposals/{disposal_id}/execute"): Rule(P.ARCHIVE_MANAGE, lambda w: (
        f"/api/v1/archive/disposals/{approved(w)}/execute", None)),
    ("GET", "/api/v1/archive/disposals/{disposal_id}/certificate"): Rule(P.ARCHIVE_MANAGE, lambda w: (
        f"/api/v1/archive/disposals/{disposed(w)}/certificate", None), or_permission=P.ARCHIVE_APPROVE),
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
    tokens, people = {}, {}
    for role in Role:
        u = users.create_user(c.uow(), sys, c.deps, unit_id=unit.id, username=f"r_{role.value}",
                              display_name=role.value, roles=[role.value], password=PASSWORD,
                              cert_number="12345678", cert_valid_from=date(2025, 1, 1),
                              cert_valid_to=date(2029, 1, 1))
        _, raw = auth.create_token(c.uow(), sys, owner_id=u.id, name="matrix")
        tokens[role] = raw
        people[role] = u.id
    yield World(c, bureau.id, unit.id, other.id, tokens, people)
    c.close()
    if drop is not None:
        drop()


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), raise_server_exceptions=True) as tc:
        yield tc


def api_routes() -> list[tuple[str, str]]:
    from lawtrail.web.api.access import router as access_router
    from lawtrail.web.api.activities import router as activities_router
    from lawtrail.web.api.approvals import router as approvals_router
    from lawtrail.web.api.archive import router as archive_router
    from lawtrail.web.api.cases import router as cases_router
    from lawtrail.web.api.disclosure import router as disclosure_router
    from lawtrail.web.api.findings import router as findings_router
    from lawtrail.web.api.ledger import router as ledger_router
    from lawtrail.web.api.media import router as media_router
    from lawtrail.web.api.oversight import router as oversight_router
    from lawtrail.web.api.prints import router as prints_router
    from lawtrail.web.api.records import router as records_router
    from lawtrail.web.api.routes import router
    from lawtrail.web.api.uploads import router as uploads_router

    routers = (router, ledger_router, media_router, uploads_router, activities_router,
               findings_router, cases_router, access_router,
               oversight_router, records_router, archive_router, approvals_router, prints_router,
               disclosure_router)
    return sorted((m, r.path) for rt_ in routers for r in rt_.routes
                  if isinstance(r, APIRoute) for m in r.methods)


def test_every_api_route_is_in_the_table() -> None:
    missing = [key for key in api_routes() if key not in ROUTES]
    stale = [key for key in ROUTES if key not in api_routes()]
    assert not missing, f"routes without a declared permission: {missing}"
    assert not stale, f"table entries for routes that no longer exist: {stale}"


def expected_allowed(role: Role, rule: Rule) -> bool:
    granted = rule.permission in ROLE_PERMISSIONS[role] or rule.or_permission in ROLE_PERMISSIONS[role]
    return granted and (not rule.bureau_wide or role in BUREAU_WIDE_ROLES)


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


# ---- reading: grants, levels and case states (Art. 45, 47) -------------------------------------

def _officer_case(w: World, media_id: uuid.UUID, *, closed: bool = False, level: str = "ordinary") -> None:
    """A case of unit A handled by the matrix's officer, holding ``media_id``; closed (not initiated)
    or classified when asked."""
    c, officer = w.container, w.people[Role.OFFICER]
    case = cases.open_case(c.uow(), w.sys(), unit_id=w.unit_id, details=CASE_DETAILS,
                           handler_ids=[officer, *w.officers()])
    cases.link_media(c.uow(), w.sys(), case.id, media_id)
    if level != "ordinary":
        from lawtrail.services import secrecy
        secrecy.set_case_level(c.uow(), w.ctx_of(w.approver()), case.id, level=level, reason="定密")
    if closed:
        cases.close_case(c.uow(), w.sys(), case.id, reason="不予立案")


def _grant(w: World, media_id: uuid.UUID, then: str | None = None) -> None:
    request_id = w.new_request(w.people[Role.OFFICER], media_ids=[media_id])
    if then != "pending":
        grants.approve(w.container.uow(), w.ctx_of(w.approver()), request_id)
    if then == "revoked":
        grants.revoke(w.container.uow(), w.ctx_of(w.approver()), request_id, reason="撤销")


SCENARIOS: dict[str, tuple[Callable[[World, uuid.UUID], None], int, str | None]] = {
    "own-unit-no-basis": (lambda w, m: None, 403, "access.no_grant"),
    "pending-request": (lambda w, m: _grant(w, m, "pending"), 403, "access.grant_pending"),
    "approved-grant": (lambda w, m: _grant(w, m), 200, None),
    "revoked-grant": (lambda w, m: _grant(w, m, "revoked"), 403, "access.grant_revoked"),
    "handler-open-case": (lambda w, m: _officer_case(w, m), 200, None),
    "handler-closed-case": (lambda w, m: _officer_case(w, m, closed=True), 403, "access.no_grant"),
    "handler-trade-secret-case": (lambda w, m: _officer_case(w, m, level="trade_secret"), 403,
                                  "access.above_clearance"),
    "handler-privacy-case": (lambda w, m: _officer_case(w, m, level="personal_privacy"), 200, None),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_reading_follows_grants_levels_and_case_states(client: TestClient, world: World, scenario: str) -> None:
    """The officer of unit A reads an original of their own unit only on a basis, and never above
    their clearance; each refusal is registered as one read-refused event."""
    setup, status, code = SCENARIOS[scenario]
    media_id = world.new_media()
    setup(world, media_id)
    officer = {"Authorization": f"Bearer {world.tokens[Role.OFFICER]}"}
    r = client.get(f"/api/v1/media/{media_id}/content", headers=officer)
    assert r.status_code == status, r.text[:300]
    with world.container.uow() as uow:
        latest = uow.events.list(subject_type="media", subject_id=str(media_id), limit=1)[0]
    if code is None:
        assert latest.action == "media:original:download"
    else:
        assert (r.json()["code"], latest.action, (latest.after or {}).get("code")) == (
            code, "media:original:read-refused", code)


def test_an_expired_grant_is_refused(world: World) -> None:
    from lawtrail.services import media

    media_id = world.new_media()
    _grant(world, media_id)
    later = world.container.clock.now() + timedelta(days=4)  # the matrix's grants last three days
    ctx = world.ctx_of(world.people[Role.OFFICER])
    with pytest.raises(PermissionDenied) as err:
        media.get_media(world.container.uow(), replace(ctx, now=later), media_id)
    assert err.value.code == "access.grant_expired"
