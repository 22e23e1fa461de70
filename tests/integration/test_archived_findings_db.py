"""The stored findings of archived cases (decision 0048) on both engines, over the demo data
(every stage, archived cases with and without a decision, broken rules): an evaluation that
keeps them and every later one give exactly the findings computed from the rows; what is read
back is the stored text (the archived rows are not read: one statement more than without the
store, whatever the number of cases); a new catalogue version makes it stale, and a correction
out of 归档 removes the case's row. One demo load per engine: it takes a while."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from lawtrail.adapters.clock import FixedClock
from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.bootstrap import Container
from lawtrail.domain.access import system_actor
from lawtrail.domain.cases import CaseFilter, Stage
from lawtrail.domain.findings import Finding
from lawtrail.services import cases, findings
from lawtrail.services import catalogue as cat
from lawtrail.services.archived_findings import fixed
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


def stored_rows(c: Container) -> int:
    with c.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.archived_findings)).scalar_one())


def test_archived_findings_are_kept_read_back_and_made_stale(container: Container) -> None:
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
    concluded = [x for x in loaded if fixed(x)]
    assert len(concluded) >= 3 and stored_rows(c) == len(concluded)
    with counting(c.engine) as statements:
        again = run(c, ctx, now, keep=True)
    assert lines(again) == lines(fresh)
    assert len(statements) == len(plain) + 1  # the stored findings; nothing written
    later = now + timedelta(days=40)  # deadlines worked out again
    assert lines(run(c, ctx, later)) == lines(run(c, ctx, later, store=False))

    # What is read back is the stored text: one written in, it is what the case shows.
    target = concluded[0]
    planted = ["ART13-SIGNATURES", "case", str(target.id), target.title, "写入的", "planted", "overdue", None,
               str(target.unit_id), []]
    with c.engine.begin() as conn:
        conn.execute(update(t.archived_findings).where(t.archived_findings.c.case_id == target.id)
                     .values(findings=json.dumps([planted], ensure_ascii=False)))
    mine = [f for f in run(c, ctx, now) if f.subject.id == str(target.id)]
    assert [(f.rule.id, f.message_en) for f in mine] == [("ART13-SIGNATURES", "planted")]

    # A new catalogue version: stale everywhere, computed again (and kept again).
    with c.uow() as uow:
        text = cat.get_catalogue(uow, ctx, c.catalogue).text
    cat.update_catalogue(c.uow(), ctx, c.catalogue, text=text + "\n# 注释\n", reason="测试")
    assert lines(run(c, ctx, now, keep=True)) == lines(fresh)
    assert lines(run(c, ctx, now)) == lines(fresh)

    # A correction out of 归档 removes the case's row; its findings are computed from its rows.
    back = next(x for x in concluded if not x.closed)
    cases.advance_stage(c.uow(), ctx, back.id, to=Stage.EXECUTION.value, correction=True, reason="归档有误")
    with c.engine.connect() as conn:
        assert conn.execute(select(t.archived_findings.c.case_id)
                            .where(t.archived_findings.c.case_id == back.id)).first() is None
    assert lines(run(c, ctx, now, keep=True)) == lines(run(c, ctx, now, store=False))
    assert stored_rows(c) == len(concluded) - 1
