"""Service and execution on the real databases (SQLite and PostgreSQL): the record-time refusals of
Art. 22, 24 and 29 and the Art. 21 gate leave no row and no event; the service rules read a fixed
number of statements for 10 or 100 cases."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from typing import Any

import pytest

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.approvals import Step
from lawtrail.domain.cases import Case
from lawtrail.domain.rules import RuleSettings
from lawtrail.errors import RuleViolation
from lawtrail.services import cases, findings, records, serving
from tests.integration.support import Seed, counting, row_counts
from tests.integration.test_approvals_db import People, approve, new_case
from tests.unit.factories import T0

SERIALS = itertools.count(10_000)


@pytest.fixture
def people(seed: Seed) -> People:
    return People(seed)


def to_service(seed: Seed, p: People) -> Case:
    """A penalty case approved, investigated, decided (approved) and now at 送达."""
    c, ctx = seed.container, seed.ctx(p.zhang)
    case = new_case(seed, p)
    approve(seed, p, case, Step.INITIATION)
    for to in ("investigation", "review"):
        cases.advance_stage(c.uow(), ctx, case.id, to=to)
    approve(seed, p, case, Step.DECISION)
    return cases.advance_stage(c.uow(), ctx, case.id, to="service")


def make(seed: Seed, p: People, case: Case, kind: str, values: dict[str, Any]) -> Any:
    return records.create_record(seed.container.uow(), seed.ctx(p.zhang), seed.container.catalogue, case.id,
                                 kind_id=kind, data=records.RecordInput(values=values))


def test_refusals_at_record_time_and_at_the_gate_write_nothing(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    case = to_service(seed, p)
    when = case.opened_at.isoformat()
    make(seed, p, case, "service_receipt_direct", {"document": "权利告知书", "served_at": when, "place": "店内",
                                                    "signer_name": "王某", "signer_relation": "受送达人本人"})
    before = row_counts(c.engine)
    attempts: list[tuple[str, dict[str, Any], str]] = [
        ("service_receipt_direct", {"document": "行政处罚决定书", "served_at": when, "place": "店内",
                                    "signer_name": "李某", "signer_relation": "负责收件的人之邻居"}, "第二十二条"),
        ("service_electronic", {"document": "行政处罚决定书", "consent": True, "method": "电子邮件",
                                "address": "x@y.cn", "served_at": when, "receipt_confirmed": True}, "第二十四条"),
    ]
    for kind, values, article in attempts:
        with pytest.raises(RuleViolation) as refused:
            make(seed, p, case, kind, values)
        assert refused.value.article == article and article in refused.value.message_zh
        assert row_counts(c.engine) == before
    with pytest.raises(RuleViolation) as gate:  # the only receipt is not the decision's
        cases.advance_stage(c.uow(), seed.ctx(p.zhang), case.id, to="execution")
    assert gate.value.code == "case.service_incomplete" and row_counts(c.engine) == before
    serving.serve_directly(c.uow, lambda: seed.ctx(p.zhang), c.catalogue, c.blobs, case.id,
                           document="行政处罚决定书", place="店内", signer_name="王某")
    case = cases.advance_stage(c.uow(), seed.ctx(p.zhang), case.id, to="execution")
    before = row_counts(c.engine)
    with pytest.raises(RuleViolation) as court:
        make(seed, p, case, "court_application", {"court": "某区人民法院", "applied_at": when, "document_number": "申1",
                                                   "documents": "决定书", "party_statement": "当事人未陈述、申辩"})
    assert court.value.article == "第二十九条" and row_counts(c.engine) == before


def clone(seed: Seed, case: Case, n: int) -> None:
    """``n`` copies of the case with copies of its records and signatures, inserted directly."""
    with SqlUnitOfWork(seed.container.engine) as uow:
        versions = uow.records.for_case(case.id)
        sigs = uow.records.signatures_for_case(case.id)
        for _ in range(n):
            serial = next(SERIALS)
            copy = replace(case, id=uuid.uuid4(), number=f"{case.number}-{serial}", serial=serial)
            uow.cases.add(copy)
            ids = {v.record_id: uuid.uuid4() for v in versions}
            for v in versions:
                uow.records.add_version(replace(v, id=uuid.uuid4(), record_id=ids[v.record_id], case_id=copy.id))
            for sg in sigs:
                uow.records.add_signature(replace(sg, id=uuid.uuid4(), record_id=ids[sg.record_id], scan_id=None))
        uow.commit()


def test_service_rules_read_a_fixed_number_of_statements(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    case = to_service(seed, p)
    when = case.opened_at.isoformat()
    make(seed, p, case, "service_postal", {"document": "行政处罚决定书", "carrier": "特快专递", "tracking_number": "E1",
                                            "posted_at": when})  # no proofs kept: ART25
    counts, found_counts = [], []
    for n in (9, 90):  # 10 cases, then 100
        clone(seed, case, n)
        with counting(c.engine) as statements:
            found = findings.evaluate(c.uow(), seed.ctx(p.leader), T0, settings=RuleSettings(),
                                      rule="ART25-POSTAL-PROOF")
        counts.append(len(statements))
        found_counts.append(len(found))
    assert found_counts == [10, 100]
    assert counts[0] == counts[1] <= 5  # three reads, with the transaction's begin and end
