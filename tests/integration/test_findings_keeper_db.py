"""The findings worker (LAWTRAIL_FINDINGS_KEEP_MINUTES) on both engines over the demo: it stores
every case's and original's findings shortly after start and stops cleanly; the dashboard then
reads the stored findings back (decisions 0050, 0051) instead of computing them again."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, select, update

from lawtrail.adapters.db import tables as t
from lawtrail.bootstrap import Container
from lawtrail.domain.access import system_actor
from lawtrail.services import findings, oversight
from lawtrail.web.findings_runtime import FindingsKeeper


def count(c: Container, table: object) -> int:
    with c.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_the_worker_stores_every_finding_and_the_dashboard_reads_them_back(demo_container: Container) -> None:
    c = demo_container
    cases, originals = count(c, t.cases), count(c, t.media)
    assert cases >= 20 and originals >= 10 and count(c, t.case_findings) == count(c, t.media_findings) == 0
    worker = FindingsKeeper(c, interval=3600, first=0.05)
    worker.start()
    deadline = time.monotonic() + 60
    while count(c, t.media_findings) < originals or count(c, t.case_findings) < cases:
        assert time.monotonic() < deadline, "the worker stored nothing"
        time.sleep(0.1)
    worker.stop()
    assert not worker._thread.is_alive()

    with c.engine.connect() as conn:
        bureau_id = conn.execute(select(t.bureaus.c.id)).scalar_one()
        original = conn.execute(select(t.media.c.id, t.media.c.unit_id).limit(1)).one()
    ctx = c.ctx(system_actor("test", bureau_id))
    again = findings.keep_every_bureau(lambda: c.uow(read_only=True), c.uow, "test", ctx.now, settings=c.rules,
                                       catalogue=c.catalogue)
    assert again == len(findings.evaluate(c.uow(), ctx, ctx.now, settings=c.rules, catalogue=c.catalogue))

    # The dashboard reads what is stored: a planted row shows among its overdue findings.
    planted = ["ART43-EVIDENCE-NOTE", "media", str(original.id), "样本", "写入的", "planted", "overdue", None,
               str(original.unit_id), []]
    with c.engine.begin() as conn:
        conn.execute(update(t.media_findings).where(t.media_findings.c.media_id == original.id)
                     .values(findings=json.dumps([planted], ensure_ascii=False)))
    board = oversight.dashboard(c.uow(read_only=True), ctx, settings=c.rules, catalogue=c.catalogue, days=1)
    assert "planted" in {f.message_en for f in board.overdue}
