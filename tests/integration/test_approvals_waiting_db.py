"""The stored waiting state of approvals (decision 0035) on SQLite and PostgreSQL: the 待我审批
count and inbox of every person agree with the fold of every open request after each submit,
approve, return, resubmit, refuse and withdraw; the count is one statement; migration 0018's
backfill rebuilds exactly what the services keep."""

from __future__ import annotations

import importlib
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select

from lawtrail.adapters.db import tables as t
from lawtrail.domain.approvals import waits_for
from lawtrail.domain.org import User
from lawtrail.domain.rules.approvals import assemble
from lawtrail.services import approvals, cases, users
from tests.integration.support import Seed, counting
from tests.integration.test_approvals_db import DETAILS, People
from tests.unit.factories import PASSWORD

backfill = importlib.import_module("lawtrail.adapters.db.migrations.versions.0018_approval_waiting").backfill


def _everyone(p: People, other_head: User) -> list[User]:
    return [p.zhang, p.wang, p.head, p.leader, p.reviewer, other_head]


def _folded(seed: Seed, who: User) -> list[UUID]:
    """The old way: fold every open request of the bureau and keep those waiting for ``who``."""
    ctx = seed.ctx(who)
    with seed.container.uow() as uow:
        requests, actions, refs = uow.approvals.open_in(seed.bureau.id)
    return sorted(a.request.id for a in assemble(requests, actions, refs)
                  if waits_for(ctx.actor, a.request, a.state, refs[a.request.case_id].unit_id))


def _check(seed: Seed, people: list[User]) -> dict[str, int]:
    c, counts = seed.container, {}
    for who in people:
        expected = _folded(seed, who)
        count = approvals.waiting_count(c.uow(read_only=True), seed.ctx(who))
        inbox = approvals.inbox(c.uow(read_only=True), seed.ctx(who))
        assert count == len(expected), who.username
        assert sorted(i.approval.request.id for i in inbox) == expected, who.username
        counts[who.username] = count
    return counts


def _stored(seed: Seed) -> tuple[list[Any], list[Any]]:
    with seed.container.engine.connect() as conn:
        waiting = sorted(tuple(r) for r in conn.execute(select(t.approval_waiting)))
        people = sorted(tuple(r) for r in conn.execute(select(t.approval_waiting_people)))
    return waiting, people


def test_badge_count_and_inbox_follow_every_move(seed: Seed) -> None:
    c, p = seed.container, People(seed)
    from lawtrail.services import org
    other = org.create_unit(c.uow(), c.system_ctx("t"), bureau_id=seed.bureau.id, code="JC2", name="执法稽查二科",
                            kind="business_section")
    other_head = users.create_user(c.uow(), c.system_ctx("t"), c.deps, unit_id=other.id, username="head2",
                                   display_name="二科科长", roles=["unit_head"], password=PASSWORD)
    everyone = _everyone(p, other_head)
    opened = [cases.open_case(c.uow(), seed.ctx(p.zhang), unit_id=seed.unit.id, details=DETAILS,
                              handler_ids=[p.zhang.id, p.wang.id]) for _ in range(5)]
    ids = [approvals.submit(c.uow(), seed.ctx(p.zhang), case.id, step="initiation", opinion="建议立案").request.id
           for case in opened]
    assert _check(seed, everyone) == {"zhang": 0, "wang": 0, "head": 5, "leader": 0, "reviewer": 0, "head2": 0}

    approvals.act(c.uow(), seed.ctx(p.head), ids[0], decision="approve", opinion="同意")   # → the leader
    approvals.act(c.uow(), seed.ctx(p.head), ids[1], decision="return", opinion="补正")    # → back to zhang
    approvals.act(c.uow(), seed.ctx(p.head), ids[2], decision="refuse", opinion="不同意")  # ended
    approvals.withdraw(c.uow(), seed.ctx(p.zhang), ids[3], reason="撤回")                  # ended
    assert _check(seed, everyone) == {"zhang": 1, "wang": 0, "head": 1, "leader": 1, "reviewer": 0, "head2": 0}

    approvals.submit(c.uow(), seed.ctx(p.wang), opened[1].id, step="initiation", opinion="已补正")  # resubmitted
    approvals.act(c.uow(), seed.ctx(p.leader), ids[0], decision="approve", opinion="同意")          # approved
    assert _check(seed, everyone) == {"zhang": 0, "wang": 0, "head": 2, "leader": 0, "reviewer": 0, "head2": 0}

    # The backfill of migration 0018 rebuilds exactly what the services kept.
    kept = _stored(seed)
    with c.engine.begin() as conn:
        conn.execute(delete(t.approval_waiting_people))
        conn.execute(delete(t.approval_waiting))
        backfill(conn)
    assert _stored(seed) == kept
    assert len(kept[0]) == 2


def test_the_count_is_one_statement(seed: Seed) -> None:
    c, p = seed.container, People(seed)
    for n in (3, 30):
        for _ in range(n - (3 if n == 30 else 0)):
            case = cases.open_case(c.uow(), seed.ctx(p.zhang), unit_id=seed.unit.id, details=DETAILS,
                                   handler_ids=[p.zhang.id])
            approvals.submit(c.uow(), seed.ctx(p.zhang), case.id, step="initiation", opinion="建议立案")
        with counting(c.engine) as statements:
            assert approvals.waiting_count(c.uow(read_only=True), seed.ctx(p.head)) == n
        queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(queries) == 1, statements
        with counting(c.engine) as statements:
            page = approvals.inbox(c.uow(read_only=True), seed.ctx(p.head), offset=1, limit=2)
        whole = approvals.inbox(c.uow(read_only=True), seed.ctx(p.head))
        assert [i.approval.request.id for i in page] == [i.approval.request.id for i in whole[1:3]]
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4
