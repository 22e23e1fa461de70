"""Access to records on the real databases (SQLite and PostgreSQL): requests, decisions,
clearances, levels and outside requests round-trip through the SQL repository; every table is
append-only (triggers); the register is built from the events with every filter; a read refused
writes one event and nothing else; bad API input writes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawtrail.domain.grants import Decision, Status
from lawtrail.domain.org import User
from lawtrail.domain.secrecy import Level
from lawtrail.errors import Conflict, PermissionDenied, ValidationFailed
from lawtrail.services import auth, grants, media, outside, register, secrecy, users
from lawtrail.services import cases as case_svc
from lawtrail.services.case_input import CaseDetails
from lawtrail.web.app import create_app
from tests.integration.access_support import approved_grant, make_leader
from tests.integration.media_support import Vault, seed_vault
from tests.integration.support import Seed, row_counts
from tests.unit.factories import PASSWORD, T0

TABLES = ("access_requests", "access_request_media", "access_decisions", "outside_requests", "outside_decisions",
          "user_clearances", "media_levels")


@pytest.fixture
def vault(seed: Seed) -> Vault:
    return seed_vault(seed)


def test_requests_decisions_and_the_read_check_round_trip(seed: Seed, vault: Vault) -> None:
    c, leader = seed.container, make_leader(seed, seed.unit)
    clip = vault.put(device=vault.device_a)
    with pytest.raises(PermissionDenied):
        media.open_original(c.uow(), vault.ctx(vault.officer_b), c.blobs, clip.id, purpose="download")
    grant = approved_grant(seed, vault.officer_b, leader, media_ids=[clip.id])
    with c.uow() as uow:
        stored = uow.access.grant(grant.request.id)
        mine = uow.access.grants_for(vault.officer_b.id)
    assert stored is not None and stored.request == grant.request and stored.request.starts_at == T0
    assert [d.status for d in stored.decisions] == [Status.APPROVED] and [g.request.id for g in mine] == [
        grant.request.id]
    opened = media.open_original(c.uow(), vault.ctx(vault.officer_b), c.blobs, clip.id, purpose="download")
    assert opened.media.id == clip.id
    grants.revoke(c.uow(), vault.ctx(leader), grant.request.id, reason="不再需要")
    with pytest.raises(PermissionDenied) as err:
        media.open_original(c.uow(), vault.ctx(vault.officer_b), c.blobs, clip.id, purpose="download")
    assert err.value.code == "access.grant_revoked"
    with c.uow() as uow, pytest.raises(Conflict):  # a second approval of the same request: the unique index
        uow.access.add_decision(Decision(uuid.uuid4(), grant.request.id, Status.APPROVED, leader.id, "又一次", T0, ""))


def test_case_refs_follow_links_handlers_and_levels(seed: Seed, vault: Vault) -> None:
    c = seed.container
    clip = vault.put(device=vault.device_a)
    details = CaseDetails(action_type="penalty", procedure="general", origin="inspection", name="某案", cause="某由")
    case = case_svc.open_case(c.uow(), c.system_ctx("t"), unit_id=seed.unit.id, details=details,
                              handler_ids=[vault.officer_a.id])
    case_svc.link_media(c.uow(), c.system_ctx("t"), case.id, clip.id)
    leader = make_leader(seed, seed.unit)
    secrecy.set_case_level(c.uow(), vault.ctx(leader), case.id, level="trade_secret", reason="涉及配方")
    with c.uow() as uow:
        [ref] = uow.access.case_refs(clip.id)
    assert (ref.case_id, ref.open, ref.level, ref.handler_ids) == (case.id, True, Level.TRADE_SECRET,
                                                                   frozenset({vault.officer_a.id}))
    with pytest.raises(PermissionDenied) as err:  # the handler, but the case is above the default clearance
        media.get_media(c.uow(), vault.ctx(vault.officer_a), clip.id)
    assert err.value.code == "access.above_clearance"
    admin = make_admin(seed)
    secrecy.set_clearance(c.uow(), vault.ctx(admin), vault.officer_a.id, levels=["trade_secret"], reason="经审批")
    assert media.get_media(c.uow(), vault.ctx(vault.officer_a), clip.id).level == "trade_secret"
    with pytest.raises(ValidationFailed) as verr:  # Art. 47: no state-secret content in this deployment
        secrecy.set_case_level(c.uow(), vault.ctx(leader), case.id, level="state_secret", reason="定密")
    assert verr.value.code == "secrecy.state_secret_content"
    c.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    case_svc.unlink_media(c.uow(), c.system_ctx("t"), case.id, clip.id, reason="关联错误")
    with c.uow() as uow:
        assert uow.access.case_refs(clip.id) == []


def make_admin(seed: Seed) -> User:
    c = seed.container
    return users.create_user(c.uow(), c.system_ctx("t"), c.deps, unit_id=seed.unit.id, username="admin2",
                             display_name="管理员", roles=["admin"], password=PASSWORD)


def test_every_access_table_is_append_only(seed: Seed, vault: Vault) -> None:
    c, leader = seed.container, make_leader(seed, seed.unit)
    clip = vault.put(device=vault.device_a)
    approved_grant(seed, vault.officer_b, leader, media_ids=[clip.id])
    secrecy.set_media_level(c.uow(), vault.ctx(vault.archivist), clip.id, level="personal_privacy", reason="有人脸")
    secrecy.set_clearance(c.uow(), vault.ctx(make_admin(seed)), vault.officer_b.id,
                          levels=["personal_privacy", "trade_secret"], reason="经审批")
    asked = outside.record_request(c.uow(), vault.ctx(vault.archivist), kind="party", requester_name="某公司",
                                   requester_org="", legal_basis="行政处罚法第六十四条", purpose="陈述申辩",
                                   asked="现场录像", wants_copy=True, received_at=T0)
    decided = outside.decide_request(c.uow(), vault.ctx(leader), asked.id, outcome="granted", reason="依法提供",
                                     media_ids=[clip.id])
    assert [(p.sha256, p.size, p.copy) for p in decided.provided] == [(clip.sha256, clip.size, True)]
    with c.uow() as uow:
        found = uow.access.outside(asked.id)
        assert found is not None and found[1] == decided
        assert uow.access.media_level(clip.id).level is Level.PERSONAL_PRIVACY  # type: ignore[union-attr]
    for table in TABLES:
        for statement in (f"UPDATE {table} SET {_col(table)} = {_col(table)}", f"DELETE FROM {table}"):
            with c.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
    if c.engine.dialect.name == "sqlite":
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="REPLACE refused"):
            conn.execute(text("INSERT OR REPLACE INTO access_requests SELECT * FROM access_requests LIMIT 1"))


def _col(table: str) -> str:
    return {"access_requests": "purpose", "outside_requests": "purpose", "outside_decisions": "reason",
            "access_decisions": "reason", "user_clearances": "reason", "media_levels": "reason",
            "access_request_media": "media_id"}[table]


def test_the_register_lists_reads_and_refusals_with_every_filter(seed: Seed, vault: Vault) -> None:
    c, leader = seed.container, make_leader(seed, seed.unit)
    clip = vault.put(device=vault.device_a)
    with pytest.raises(PermissionDenied):
        media.open_original(c.uow(), vault.ctx(vault.officer_b), c.blobs, clip.id, purpose="view")
    grant = approved_grant(seed, vault.officer_b, leader, media_ids=[clip.id])
    media.open_original(c.uow(), vault.ctx(vault.officer_b), c.blobs, clip.id, purpose="view")
    media.open_original(c.uow(), vault.ctx(vault.archivist), c.blobs, clip.id, purpose="download")
    page = register.register_page(c.uow(), vault.ctx(leader))
    assert [(r.actor_name, r.outcome, r.basis) for r in page.rows] == [
        ("吴丽华", "read", "archivist"), ("李晓婷", "read", "grant"), ("李晓婷", "refused", "")]
    assert page.rows[1].grant_id == str(grant.request.id) and page.rows[2].code == "access.no_grant"
    assert page.rows[1].unit_name == "执法稽查二科"

    def seen(**kw: object) -> list[tuple[str, str]]:
        return [(r.actor_name, r.outcome) for r in register.register_page(c.uow(), vault.ctx(leader),
                                                                          **kw).rows]  # type: ignore[arg-type]

    assert seen(outcome="refused") == [("李晓婷", "refused")]
    assert seen(actor_id=vault.archivist.id) == [("吴丽华", "read")]
    assert seen(unit_id=seed.unit.id) == []  # nobody of unit A read it
    assert len(seen(unit_id=vault.unit_b.id)) == 3
    assert seen(start=T0 + timedelta(seconds=1)) == [] and len(seen(end=T0 + timedelta(seconds=1))) == 3
    details = CaseDetails(action_type="penalty", procedure="general", origin="inspection", name="某案", cause="某由")
    case = case_svc.open_case(c.uow(), c.system_ctx("t"), unit_id=seed.unit.id, details=details)
    assert seen(case_id=case.id) == []
    case_svc.link_media(c.uow(), c.system_ctx("t"), case.id, clip.id)
    assert len(seen(case_id=case.id)) == 3
    with pytest.raises(ValidationFailed):
        register.register_page(c.uow(), vault.ctx(leader), outcome="maybe")
    with pytest.raises(PermissionDenied):
        register.register_page(c.uow(), vault.ctx(vault.officer_b))
    before = row_counts(c.engine)["events"]
    cells = register.export_register(c.uow(), vault.ctx(leader), fmt="xlsx", outcome="read")
    assert [row[2] for row in cells] == ["吴丽华", "李晓婷"] and row_counts(c.engine)["events"] == before + 1


def test_bad_api_input_writes_nothing(seed: Seed, vault: Vault) -> None:
    c = seed.container
    leader = make_leader(seed, seed.unit)
    clip = vault.put(device=vault.device_a)
    _, raw = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=vault.officer_b.id, name="t")
    _, lead_raw = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=leader.id, name="t")
    officer = {"Authorization": f"Bearer {raw}"}
    boss = {"Authorization": f"Bearer {lead_raw}"}
    before = row_counts(c.engine)
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        bad = [
            ("/api/v1/access/requests", {"purpose": "", "ends_at": "2026-11-27T00:00:00Z", "media_ids": [str(clip.id)]},
             officer),
            ("/api/v1/access/requests", {"purpose": "复核", "ends_at": "2026-11-27T00:00:00Z"}, officer),
            ("/api/v1/access/requests", {"purpose": "复核", "ends_at": "2027-11-27T00:00:00Z",
                                         "media_ids": [str(clip.id)]}, officer),
            ("/api/v1/access/requests", {"purpose": "复核", "ends_at": "not a time"}, officer),
            ("/api/v1/access/requests", {"purpose": "复核", "ends_at": "2026-11-27T00:00:00Z", "extra": 1}, officer),
            ("/api/v1/access/outside", {"kind": "alien", "requester_name": "某", "legal_basis": "x", "purpose": "y",
                                        "asked": "z", "received_at": "2026-11-25T00:00:00Z"}, boss),
            ("/api/v1/access/outside", {"kind": "party", "requester_name": "某", "legal_basis": "x", "purpose": "y",
                                        "asked": "z", "received_at": "2030-01-01T00:00:00Z"}, boss),
        ]
        for url, body, who in bad:
            r = client.post(url, json=body, headers=who)
            assert r.status_code == 422, (url, body, r.text)
        r = client.post(f"/api/v1/access/requests/{clip.id}/approve", json={}, headers=boss)
        assert r.status_code == 404
        r = client.put(f"/api/v1/access/media/{clip.id}/level", json={"level": "state_secret", "reason": "定密"},
                       headers=boss)
        assert (r.status_code, r.json()["code"]) == (422, "secrecy.state_secret_content")
    assert row_counts(c.engine) == before
    with c.uow() as uow:
        assert not uow.events.list(actor_id=vault.officer_b.id) and not [
            e for e in uow.events.list(limit=5) if e.action.startswith("access:")]
