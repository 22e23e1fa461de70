"""Records on the real databases (SQLite and PostgreSQL): the services through the SQL repository,
every record table append-only (triggers), a refused write leaving no row, and the API from an
inquiry record to its signatures, refusal, correction and a recorded read of its scan."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.clock import FixedClock
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.cases import Stage
from lawtrail.domain.org import User
from lawtrail.errors import Conflict, ValidationFailed
from lawtrail.services import approvals, auth, users
from lawtrail.services import cases as case_svc
from lawtrail.services import catalogue as cat_svc
from lawtrail.services import record_reads as reads
from lawtrail.services import records as svc
from lawtrail.services.case_input import CaseDetails
from lawtrail.web.app import create_app
from tests.integration.support import Seed, row_counts
from tests.unit.factories import PASSWORD

DETAILS = CaseDetails(action_type="penalty", procedure="general", origin="inspection",
                      name="某超市销售过期食品案", cause="涉嫌销售超过保质期的食品")
PNG = b"\x89PNG\r\n\x1a\n" + b"scan-bytes" * 50
VALUES = {"place": "江门市蓬江区建设路1号", "started_at": "2026-11-26T17:00", "ended_at": "2026-11-26T17:40",
          "person": "张三", "person_role": "当事人", "content": "问：……\n答：……"}


def officer(seed: Seed, name: str) -> User:
    c = seed.container
    return users.create_user(c.uow(), c.system_ctx("test"), c.deps, unit_id=seed.unit.id, username=name,
                             display_name=f"{name}同志", roles=["officer"], password=PASSWORD,
                             cert_number=f"粤07202600{len(name):02d}", cert_valid_from=date(2024, 1, 1),
                             cert_valid_to=date(2028, 12, 31))


@pytest.fixture
def team(seed: Seed, clock: FixedClock) -> tuple[User, User, Any]:
    zhang, wang = officer(seed, "zhang"), officer(seed, "wang")
    c = seed.container
    case = case_svc.open_case(c.uow(), seed.ctx(zhang), unit_id=seed.unit.id, details=DETAILS,
                              handler_ids=[zhang.id, wang.id])
    approvals.submit(c.uow(), seed.ctx(zhang), case.id, step="initiation", opinion="情况紧急，先行调查",
                     emergency=True, emergency_reason="现场证据可能灭失")  # Art. 9: approval follows within 24 h
    case_svc.advance_stage(c.uow(), seed.ctx(zhang), case.id, to="investigation")
    clock.advance(timedelta(hours=2))
    return zhang, wang, case


def data(zhang: User, wang: User, **values: Any) -> svc.RecordInput:
    return svc.RecordInput(values={**VALUES, **values}, rights_method="oral_and_written",
                           officers=[svc.OfficerInput(zhang.id, True), svc.OfficerInput(wang.id, False)])


def test_round_trip_versions_signatures_and_attachments(seed: Seed, team: tuple[User, User, Any]) -> None:
    c, (zhang, wang, case) = seed.container, team
    ctx = seed.ctx(zhang)
    rec = svc.create_record(c.uow(), ctx, c.catalogue, case.id, kind_id="inquiry_record", data=data(zhang, wang))
    with SqlUnitOfWork(c.engine) as uow:
        assert uow.records.versions(rec.record_id) == [rec]
        assert [x.version for x in uow.records.catalogues()] == [1]
        assert uow.records.latest_catalogue().sha256 == cat_svc.digest(c.catalogue.packaged_text())  # type: ignore[union-attr]
    signed = svc.sign_record(c.uow(), ctx, c.blobs, rec.record_id, svc.SignatureInput(
        capacity="party", signer_name="张三", method="handwriting"),
        scan=svc.Upload("签名.png", "image/png", io.BytesIO(PNG)))
    refusal = svc.refuse_signature(c.uow(), ctx, c.blobs, rec.record_id, svc.RefusalInput(
        capacity="witness", signer_name="王五", reason="不愿签名", witness_name="李社区"))
    new = svc.correct_record(c.uow(), ctx, c.catalogue, rec.record_id, data=data(zhang, wang, person="张叁"),
                             reason="姓名笔误", base_version=1)
    with pytest.raises(Conflict):  # version 2 exists: the same correction again is stale
        svc.correct_record(c.uow(), ctx, c.catalogue, rec.record_id, data=data(zhang, wang, person="张 叁"),
                           reason="再改", base_version=1)
    with SqlUnitOfWork(c.engine) as uow:
        assert [v.version for v in uow.records.versions(rec.record_id)] == [1, 2]
        assert uow.records.for_case(case.id)[-1] == new
        assert uow.records.signatures(rec.record_id) == [signed, refusal]
        assert uow.records.signatures_for_case(case.id) == [signed, refusal]
        scan = uow.records.attachment(signed.scan_id)  # type: ignore[arg-type]
        assert scan is not None and scan.purpose == "signature" and c.blobs.exists(scan.sha256)
    detail = reads.get_record(c.uow(), ctx, c.catalogue, rec.record_id)
    assert [v.changed for v in detail.versions] == [[], ["person"]]
    assert reads.case_records(c.uow(), ctx, c.catalogue, case.id)[Stage.INVESTIGATION][0].latest == new


def test_every_record_table_is_append_only(seed: Seed, team: tuple[User, User, Any]) -> None:
    c, (zhang, wang, case) = seed.container, team
    rec = svc.create_record(c.uow(), seed.ctx(zhang), c.catalogue, case.id, kind_id="inquiry_record",
                            data=data(zhang, wang))
    svc.sign_record(c.uow(), seed.ctx(zhang), c.blobs, rec.record_id, svc.SignatureInput(
        capacity="party", signer_name="张三", method="seal"), scan=svc.Upload("章.png", "image/png", io.BytesIO(PNG)))
    for table in ("record_catalogues", "record_versions", "record_signatures", "record_attachments"):
        for statement in (f"UPDATE {table} SET actor_name = 'x'", f"DELETE FROM {table}"):
            with c.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
    if c.engine.dialect.name == "sqlite":
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="REPLACE refused"):
            conn.execute(text("INSERT OR REPLACE INTO record_versions SELECT * FROM record_versions LIMIT 1"))
    else:
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("TRUNCATE record_signatures"))


def test_refusals_leave_no_row(seed: Seed, team: tuple[User, User, Any]) -> None:
    c, (zhang, wang, case) = seed.container, team
    before = row_counts(c.engine)
    with pytest.raises(ValidationFailed):  # the first record would store catalogue version 1: not even that
        svc.create_record(c.uow(), seed.ctx(zhang), c.catalogue, case.id, kind_id="inquiry_record",
                          data=data(zhang, wang, started_at="2030-01-01T09:00"))
    with pytest.raises(ValidationFailed):
        cat_svc.update_catalogue(c.uow(), seed.ctx(seed.admin), c.catalogue, text="version: 1\nkinds: 3\n",
                                 reason="坏清单")
    assert row_counts(c.engine) == before


class Api:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def call(self, method: str, url: str, status: int = 200, **kw: Any) -> Any:
        response = self.client.request(method, f"/api/v1{url}", headers=self.headers, **kw)
        assert response.status_code == status, response.text
        return response.json() if response.headers["content-type"].endswith("json") else response.content


@pytest.fixture
def api(seed: Seed, team: tuple[User, User, Any]) -> Iterator[Api]:
    c = seed.container
    _, token = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=team[0].id, name="t")
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        yield Api(client, token)


def test_api_inquiry_signed_refused_corrected_and_read(seed: Seed, team: tuple[User, User, Any], api: Api) -> None:
    zhang, wang, case = team
    body = {"kind_id": "inquiry_record", "values": VALUES, "rights_method": "written",
            "officers": [{"user_id": str(zhang.id), "cert_shown": True}, {"user_id": str(wang.id), "cert_shown": True}]}
    rec = api.call("POST", f"/cases/{case.id}/records", 201, json=body)
    rid = rec["record_id"]
    assert rec["latest"]["completeness"]["signatures_complete"] is False
    api.call("POST", f"/records/{rid}/signatures", 201, data={"capacity": "officer", "method": "electronic",
                                                                "signer_user_id": str(zhang.id)})
    api.call("POST", f"/records/{rid}/signatures", 201, data={"capacity": "officer", "method": "handwriting",
                                                                "signer_user_id": str(wang.id)},
             files={"scan": ("wang.png", PNG, "image/png")})
    api.call("POST", f"/records/{rid}/refusals", 201, data={"capacity": "party", "signer_name": "张三",
                                                              "reason": "拒绝签名", "witness_name": "李社区"})
    got = api.call("GET", f"/records/{rid}")
    assert got["latest"]["completeness"]["complete"] is True
    corrected = api.call("POST", f"/records/{rid}/versions", 201, json={
        **{k: body[k] for k in ("values", "rights_method", "officers")}, "values": {**VALUES, "place": "仓库"},
        "reason": "地点更正", "base_version": 1})
    assert [v["version"] for v in corrected["versions"]] == [1, 2] and corrected["latest"]["changed"] == ["place"]
    scan = next(a for a in corrected["attachments"] if a["purpose"] == "signature")
    assert api.call("GET", f"/records/{rid}/attachments/{scan['id']}") == PNG
    trail = reads.record_trail(seed.container.uow(), seed.ctx(zhang), UUID(rid))
    assert [e.action for e in trail][:2] == ["case:record:read", "case:record:correct"]
    gaps = api.call("GET", f"/cases/{case.id}/records/gaps")
    assert {(g["kind_id"], g["gap"]) for g in gaps} >= {("inquiry_record", "signatures")}  # v2 is unsigned


@pytest.mark.parametrize(("url", "kw"), [
    ("/cases/{case}/records", {"json": {"kind_id": "inquiry_record", "values": {"place": 3}}}),
    ("/cases/{case}/records", {"json": {"kind_id": "inquiry_record", "values": VALUES, "extra": 1}}),
    ("/cases/{case}/records", {"json": {"kind_id": "no_such_kind", "values": {}}}),
    ("/cases/{case}/records", {"json": {"kind_id": "inquiry_record", "values": VALUES, "rights_method": "written",
                                        "officers": [{"user_id": "not-a-uuid", "cert_shown": True}]}}),
    ("/catalogue", {"json": {"text": "kinds: [", "reason": "坏"}}),
])
def test_api_bad_input_writes_nothing(seed: Seed, team: tuple[User, User, Any], api: Api, url: str,
                                      kw: dict[str, Any]) -> None:
    before = row_counts(seed.container.engine)
    method = "PUT" if url == "/catalogue" else "POST"
    response = api.client.request(method, f"/api/v1{url.format(case=team[2].id)}", headers=api.headers, **kw)
    assert response.status_code in (403, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert row_counts(seed.container.engine) == before
