"""The stored findings of cases (decisions 0048, 0050) on both engines, over the demo data (every
stage, archived cases with and without a decision, broken rules): an evaluation that keeps them
and every later one give exactly the findings computed from the rows; what is read back is the
stored text (the stored cases' rows are not read: one statement more than without the store,
whatever the number of cases); a new catalogue version makes it stale, and so does any change
to the case: the database's triggers raise ``cases.facts_rev`` for a row of every table the
rules read (migration 0024). The same for the vault findings of originals (decision 0051,
``media_revs``, migration 0025). One demo load per engine: it takes a while."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, func, insert, select, update

from lawtrail.adapters.clock import FixedClock
from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.bootstrap import Container
from lawtrail.domain.access import system_actor
from lawtrail.domain.cases import CaseFilter, Stage
from lawtrail.domain.findings import Finding
from lawtrail.services import cases, findings
from lawtrail.services import catalogue as cat
from lawtrail.services.context import Ctx
from lawtrail.services.demo import load_demo
from tests.integration.support import counting
from tests.integration.test_demo_db import TickingClock
from tests.unit.factories import T0


class NoSnapshot(SqlUnitOfWork):
    """Cannot promise one snapshot: the engine reads every row and keeps nothing (as before 0048)."""

    def snapshot(self) -> bool:
        return False


@pytest.fixture
def clock() -> FixedClock:
    return TickingClock(T0)


def lines(found: list[Finding]) -> list[str]:
    return [json.dumps(f.to_json(), ensure_ascii=False, sort_keys=True) for f in found]


def run(c: Container, ctx: Ctx, now: datetime, *, keep: bool = False, store: bool = True) -> list[Finding]:
    uow = c.uow() if store else NoSnapshot(c.engine)
    return findings.evaluate(uow, ctx, now, settings=c.rules, catalogue=c.catalogue, keep=keep)


def stored_rows(c: Container, table: Any = t.case_findings) -> int:
    with c.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def rev(conn: Connection, case_id: uuid.UUID) -> int:
    return int(conn.execute(select(t.cases.c.facts_rev).where(t.cases.c.id == case_id)).scalar_one())


def test_stored_findings_are_kept_read_back_and_made_stale(container: Container) -> None:
    c = container
    assert load_demo(c).loaded
    with c.uow() as uow:
        bureau = uow.bureaus.list()[0]
        loaded, _ = uow.cases.search(bureau.id, None, CaseFilter(), offset=0, limit=1000)
    ctx = c.ctx(system_actor("test", bureau.id))
    now = c.clock.now()
    with counting(c.engine) as plain:
        fresh = run(c, ctx, now, store=False)
    assert stored_rows(c) == 0
    assert lines(run(c, ctx, now, keep=True)) == lines(fresh)
    assert len(loaded) >= 20 and stored_rows(c) == len(loaded)  # every case, open or archived
    originals = stored_rows(c, t.media)
    assert originals >= 10 and stored_rows(c, t.media_findings) == originals  # every original (decision 0051)
    with counting(c.engine) as statements:
        again = run(c, ctx, now, keep=True)
    assert lines(again) == lines(fresh)
    assert len(statements) == len(plain) + 2  # the stored findings of cases and of originals; nothing written
    for later in (now + timedelta(days=2), now + timedelta(days=40), now + timedelta(days=800)):
        assert lines(run(c, ctx, later)) == lines(run(c, ctx, later, store=False))  # due times, Art. 5

    # What is read back is the stored text: one written in, it is what the case shows.
    target = next(x for x in loaded if x.stage is Stage.ARCHIVE)
    planted = ["ART13-SIGNATURES", "case", str(target.id), target.title, "写入的", "planted", "overdue", None,
               str(target.unit_id), []]
    with c.engine.begin() as conn:
        conn.execute(update(t.case_findings).where(t.case_findings.c.case_id == target.id)
                     .values(findings=json.dumps([planted], ensure_ascii=False)))
    mine = [f for f in run(c, ctx, now) if f.subject.id == str(target.id)]
    assert [(f.rule.id, f.message_en) for f in mine] == [("ART13-SIGNATURES", "planted")]
    with c.engine.connect() as conn:  # an original with a registration
        original = conn.execute(select(t.media_registrations.c.media_id).limit(1)).scalar_one()
    planted = ["ART43-EVIDENCE-NOTE", "media", str(original), "样本", "写入的", "planted", "open", None, None, []]
    with c.engine.begin() as conn:
        conn.execute(update(t.media_findings).where(t.media_findings.c.media_id == original)
                     .values(findings=json.dumps([planted], ensure_ascii=False)))
    mine = [f for f in run(c, ctx, now) if f.subject.id == str(original)]
    assert [(f.rule.id, f.message_en) for f in mine] == [("ART43-EVIDENCE-NOTE", "planted")]
    # A new registration of that original: its row no longer counts (media_revs, migration 0025).
    with c.engine.begin() as conn:
        _copy(conn, t.media_registrations, {"version": 99}, t.media_registrations.c.media_id == original)

    def of_media(found: list[Finding]) -> list[str]:
        return lines([f for f in found if f.subject.type == "media"])

    assert of_media(run(c, ctx, now, keep=True)) == of_media(run(c, ctx, now, store=False))
    assert of_media(run(c, ctx, now)) == of_media(run(c, ctx, now, store=False))

    # A new catalogue version: stale everywhere, computed again (and kept again).
    with c.uow() as uow:
        text = cat.get_catalogue(uow, ctx, c.catalogue).text
    cat.update_catalogue(c.uow(), ctx, c.catalogue, text=text + "\n# 注释\n", reason="测试")
    assert lines(run(c, ctx, now, keep=True)) == lines(fresh)
    assert lines(run(c, ctx, now)) == lines(fresh)

    # A correction out of 归档 changes the case: its row no longer counts, its findings are
    # computed from its rows, and kept again as it is now.
    back = next(x for x in loaded if x.stage is Stage.ARCHIVE and not x.closed)
    with c.engine.connect() as conn:
        before = rev(conn, back.id)
    cases.advance_stage(c.uow(), ctx, back.id, to=Stage.EXECUTION.value, correction=True, reason="归档有误")
    with c.engine.connect() as conn:
        assert rev(conn, back.id) > before
    assert lines(run(c, ctx, now, keep=True)) == lines(run(c, ctx, now, store=False))
    assert lines(run(c, ctx, now)) == lines(run(c, ctx, now, store=False))
    assert stored_rows(c) == len(loaded)


def _copy(conn: Connection, table: Any, change: dict[str, Any], where: Any = None) -> dict[str, Any]:
    """Insert a copy of the first row of ``table`` (``where`` it holds) with ``change``; return the copy."""
    query = select(table) if where is None else select(table).where(where)
    row = dict(conn.execute(query.limit(1)).mappings().one())
    row.update(change)
    conn.execute(insert(table).values(**row))
    return row


def test_every_table_the_rules_read_raises_the_cases_facts_rev(container: Container) -> None:
    """The triggers of migration 0024, one table at a time on a real database: an insert into
    each (a copy of an existing row, new keys), an update of the case's own row and of a
    handler, a handler removed."""
    c = container
    assert load_demo(c).loaded
    with c.engine.begin() as conn:
        def bumped(case_id: uuid.UUID, write: Any) -> None:
            before = rev(conn, case_id)
            write()
            assert rev(conn, case_id) > before, write

        v = dict(conn.execute(select(t.record_versions).limit(1)).mappings().one())
        bumped(v["case_id"], lambda: _copy(conn, t.record_versions, {"id": uuid.uuid4(), "version": 99}))
        sig = dict(conn.execute(select(t.record_signatures).limit(1)).mappings().one())
        sig_case = conn.execute(select(t.record_versions.c.case_id)
                                .where(t.record_versions.c.record_id == sig["record_id"]).limit(1)).scalar_one()
        bumped(sig_case, lambda: _copy(conn, t.record_signatures, {"id": uuid.uuid4()}))
        att = dict(conn.execute(select(t.record_attachments).limit(1)).mappings().one())
        att_case = conn.execute(select(t.record_versions.c.case_id)
                                .where(t.record_versions.c.record_id == att["record_id"]).limit(1)).scalar_one()
        bumped(att_case, lambda: _copy(conn, t.record_attachments, {"id": uuid.uuid4()}))
        req = dict(conn.execute(select(t.approval_requests).limit(1)).mappings().one())
        bumped(req["case_id"], lambda: _copy(conn, t.approval_requests, {"id": uuid.uuid4()}))
        act = dict(conn.execute(select(t.approval_actions).limit(1)).mappings().one())
        act_case = conn.execute(select(t.approval_requests.c.case_id)
                                .where(t.approval_requests.c.id == act["request_id"])).scalar_one()
        bumped(act_case, lambda: _copy(conn, t.approval_actions, {"id": uuid.uuid4(), "seq": 999}))
        change = dict(conn.execute(select(t.case_stage_changes).limit(1)).mappings().one())
        bumped(change["case_id"], lambda: _copy(conn, t.case_stage_changes, {"id": uuid.uuid4()}))
        h = t.case_handlers.c
        handler = dict(conn.execute(select(t.case_handlers).limit(1)).mappings().one())
        mine = (h.case_id == handler["case_id"]) & (h.user_id == handler["user_id"])
        bumped(handler["case_id"], lambda: conn.execute(update(t.case_handlers).where(mine)
                                                        .values(lead=not handler["lead"])))
        bumped(handler["case_id"], lambda: conn.execute(t.case_handlers.delete().where(mine)))
        bumped(handler["case_id"], lambda: conn.execute(insert(t.case_handlers).values(**handler)))
        bumped(handler["case_id"], lambda: conn.execute(update(t.cases).where(t.cases.c.id == handler["case_id"])
                                                        .values(name="改名")))

        # The vault rules' tables (migration 0025), append-only: an insert into each raises the
        # original's media_revs.rev (from 0, no row, the first time).
        def media_rev(media_id: uuid.UUID) -> int:
            return int(conn.execute(select(t.media_revs.c.rev).where(t.media_revs.c.media_id == media_id))
                       .scalar_one_or_none() or 0)

        def raised(media_id: uuid.UUID, write: Any) -> None:
            before = media_rev(media_id)
            write()
            assert media_rev(media_id) == before + 1, write

        reg = dict(conn.execute(select(t.media_registrations).limit(1)).mappings().one())
        raised(reg["media_id"], lambda: _copy(conn, t.media_registrations, {"version": 99},
                                              t.media_registrations.c.media_id == reg["media_id"]))
        mark = {"media_id": reg["media_id"], "version": 1, "evidence": True, "collector": "张三", "collected_at": None,
                "place": "", "situations": [], "situation_note": "", "retention": "long_term", "retain_until": None,
                "actor_id": None, "actor_name": "测试", "at": datetime(2026, 1, 5, tzinfo=UTC)}
        raised(reg["media_id"], lambda: conn.execute(insert(t.media_marks).values(**mark)))
        unlinked = conn.execute(select(t.media.c.id).where(~t.media.c.id.in_(select(t.handin_media.c.media_id)))
                                .limit(1)).scalar_one()
        m = conn.execute(select(t.media).where(t.media.c.id == unlinked)).one()
        at = datetime(2026, 1, 5, tzinfo=UTC)
        handin = uuid.uuid4()
        conn.execute(insert(t.handins).values(
            id=handin, bureau_id=m.bureau_id, unit_id=m.unit_id, device_id=m.device_id, device_number="DSJ-T",
            officer_id=None, handed_in_at=at, exception=None, returned_at=None, note="", recorded_by_id=None,
            recorded_by_name="测试", recorded_at=at))
        conn.execute(insert(t.handin_completions).values(handin_id=handin, completed_at=at, actor_id=None,
                                                         actor_name="测试"))
        raised(unlinked, lambda: conn.execute(insert(t.handin_media).values(media_id=unlinked, handin_id=handin)))
