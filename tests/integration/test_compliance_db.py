"""Hand-ins, marks and the findings engine on SQLite and PostgreSQL: set-based reads, append-only
tables, and a query count that does not grow with the number of originals."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.evidence import RetentionPolicy
from lawtrail.domain.findings import FindingStatus
from lawtrail.domain.rules import RuleSettings
from lawtrail.domain.vault import MediaRecord, Registration
from lawtrail.errors import Conflict
from lawtrail.services import devices, evidence, findings, handins, users
from tests.integration.support import Seed, counting
from tests.unit.factories import T0
from tests.unit.test_rules_vault import media as make_media

H = timedelta(hours=1)


def add_media(seed: Seed, device_id: uuid.UUID, n: int = 1) -> list[MediaRecord]:
    out = []
    with SqlUnitOfWork(seed.container.engine) as uow:
        for _ in range(n):
            m = make_media(device_id=device_id, unit_id=seed.unit.id, bureau_id=seed.bureau.id,
                           handed_in_at=T0 - 2 * H, stored_at=T0 - H, captured_at=T0 - 5 * H, created_at=T0)
            uow.media.add(m)
            uow.media.add_registration(Registration(
                media_id=m.id, version=1, unit_name="科", category="", device_number="D", officer_id=None,
                officer_name="", used_from=None, used_to=None, party="", case_name="", actor_id=None,
                actor_name="x", at=T0))
            out.append(m)
        uow.commit()
    return out


@pytest.fixture
def archivist(seed: Seed) -> Any:
    return users.create_user(seed.container.uow(), seed.ctx(), seed.container.deps, unit_id=seed.unit.id,
                             username="archivist", display_name="档案员", roles=["archivist"],
                             password="Zhifa-2026-secret")


@pytest.fixture
def device(seed: Seed) -> Any:
    return devices.create_device(seed.container.uow(), seed.ctx(), number="ZFJLY-001", type="body_camera",
                                 unit_id=seed.unit.id)


def test_handin_complete_and_findings_round_trip(seed: Seed, archivist: Any, device: Any) -> None:
    c, ctx = seed.container, seed.ctx(archivist)
    h = handins.record_handin(c.uow(), ctx, device_number=device.number, handed_in_at=T0 - 2 * H,
                              exception="remote_area", returned_at=T0 - 3 * H)
    rows = handins.list_handins(c.uow(), ctx, open_only=True)
    assert [(x.id, x.exception, x.returned_at, done) for x, done in rows] == [(h.id, h.exception, T0 - 3 * H, None)]
    found = findings.evaluate(c.uow(), ctx, T0, settings=RuleSettings(), rule="ART41-STORED-24H")
    assert [(f.subject.id, f.status) for f in found] == [(str(h.id), FindingStatus.OPEN)]
    [m1, m2] = add_media(seed, device.id, 2)
    done = handins.complete_handin(c.uow(), ctx, h.id)
    assert done.media_ids == tuple(sorted([m1.id, m2.id]))
    with c.uow() as uow:
        assert uow.handins.completion(h.id) == done
        assert uow.handins.completions_in_scope(seed.bureau.id, frozenset({seed.unit.id})) == {h.id: done}
        assert uow.handins.unlinked_media(device.id) == []
    assert findings.evaluate(c.uow(), ctx, T0, settings=RuleSettings(), rule="ART41-STORED-24H") == []
    with pytest.raises(Conflict):
        handins.complete_handin(c.uow(), ctx, h.id, media_ids=[m1.id])


def test_marks_are_versioned_and_latest_is_read_in_one_go(seed: Seed, archivist: Any, device: Any) -> None:
    c, ctx = seed.container, seed.ctx(archivist)
    [m, other] = add_media(seed, device.id, 2)
    evidence.mark_media(c.uow(), ctx, m.id, policy=RetentionPolicy(6), evidence=True, collector="张三")
    second = evidence.mark_media(c.uow(), ctx, m.id, policy=RetentionPolicy(6), evidence=True, collector="张三",
                                 collected_at=T0 - H, place="江门", situations=["obstruction", "objection"])
    _, versions = evidence.list_marks(c.uow(), ctx, m.id)
    assert [v.version for v in versions] == [1, 2] and versions[1] == second
    with c.uow() as uow:
        assert uow.marks.latest_in_scope(seed.bureau.id, None) == {m.id: second}
        assert set(uow.media.latest_registrations(seed.bureau.id, frozenset({seed.unit.id}))) == {m.id, other.id}
        assert uow.media.latest_registrations(seed.bureau.id, frozenset({uuid.uuid4()})) == {}


@pytest.mark.parametrize("table", ["handins", "handin_completions", "handin_media", "media_marks"])
def test_tables_are_append_only(seed: Seed, archivist: Any, device: Any, table: str) -> None:
    c, ctx = seed.container, seed.ctx(archivist)
    h = handins.record_handin(c.uow(), ctx, device_number=device.number)
    [m] = add_media(seed, device.id)
    handins.complete_handin(c.uow(), ctx, h.id, media_ids=[m.id])
    evidence.mark_media(c.uow(), ctx, m.id, policy=RetentionPolicy(6), evidence=False)
    column = {"handins": "note", "handin_completions": "actor_name", "handin_media": "handin_id",
              "media_marks": "actor_name"}[table]
    for statement in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
        with c.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))



def test_engine_query_count_does_not_grow_with_the_media(seed: Seed, archivist: Any, device: Any) -> None:
    c, ctx = seed.container, seed.ctx(archivist)
    counts = []
    for n in (10, 90):  # 10 originals, then 100
        add_media(seed, device.id, n)
        handins.record_handin(c.uow(), ctx, device_number=device.number)
        with counting(c.engine) as statements:
            found = findings.evaluate(c.uow(), ctx, T0, settings=RuleSettings())
        counts.append(len(statements))
        assert len([f for f in found if f.rule.id == "ART42-REGISTRATION-COMPLETE"]) == (10 if n == 10 else 100)
    # vault 6, activities, approvals 4 (test_approvals_db counts them for 10 and 100 cases), cases 8
    # (test_case_rules_db counts them), service 1 (Art. 21–31: the attachment counts; it reuses the case
    # rows, decision 0044), disclosure 4 (Art. 37), the transaction
    assert counts[0] == counts[1] and counts[0] <= 26
