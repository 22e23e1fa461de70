"""The case and record rules (Art. 5, 8–15) on both engines: the evaluator reads a fixed number
of statements for 10 or 100 cases, and ``case=`` narrows to one case, its records and media."""

from __future__ import annotations

from typing import Any

import pytest

from lawtrail.domain.rules import RuleSettings
from lawtrail.services import cases, findings
from lawtrail.services import records as svc
from lawtrail.services.case_input import CaseDetails
from tests.integration.support import Seed, counting
from tests.integration.test_approvals_db import People

APPLICATION = CaseDetails(action_type="licensing", procedure="general", origin="application",
                          name="某食品店申请食品经营许可", cause="申请食品经营许可")
RECEIPT = {"applicant": "某食品店", "received_at": "2026-01-01T10:00", "materials": "申请书、营业执照",
           "decision": "需补正"}


@pytest.fixture
def people(seed: Seed) -> People:
    return People(seed)


def open_application(seed: Seed, p: People, *, receipt: bool) -> Any:
    c = seed.container
    case = cases.open_case(c.uow(), seed.ctx(p.zhang), unit_id=seed.unit.id, details=APPLICATION,
                           handler_ids=[p.zhang.id, p.wang.id])
    if receipt:
        values = RECEIPT | {"received_at": c.clock.now().isoformat(timespec="minutes")}
        svc.create_record(c.uow(), seed.ctx(p.zhang), c.catalogue, case.id, kind_id="application_receipt",
                          data=svc.RecordInput(values=values))
    return case


def rules_of(seed: Seed, p: People, **kw: Any) -> list[tuple[str, str, str]]:
    c = seed.container
    found = findings.evaluate(c.uow(), seed.ctx(p.head), c.clock.now(), settings=RuleSettings(),
                              catalogue=c.catalogue, **kw)
    return sorted((f.rule.id, f.subject.type, f.status.value) for f in found)


def test_case_rules_read_a_fixed_number_of_statements(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    counts = []
    for n in (10, 90):  # 10 cases, then 100: every other one with a receipt that asks for more
        for i in range(n):
            open_application(seed, p, receipt=i % 2 == 0)
        with counting(c.engine) as statements:
            found = findings.evaluate(c.uow(), seed.ctx(p.head), c.clock.now(), settings=RuleSettings(),
                                      catalogue=c.catalogue, rule="ART08-APPLICATION-RECEIPT")
        counts.append(len(statements))
        total = 10 if n == 10 else 100
        # no receipt: one finding on the case; a receipt saying 需补正: no notice, and unsigned
        assert len(found) == total // 2 + 2 * (total // 2)
    assert counts[0] == counts[1] <= 12


def test_findings_of_one_case_its_records_only(seed: Seed, people: People) -> None:
    p = people
    with_receipt = open_application(seed, p, receipt=True)
    bare = open_application(seed, p, receipt=False)
    mine = rules_of(seed, p, case=with_receipt.id, rule="ART08-APPLICATION-RECEIPT")
    assert mine == [("ART08-APPLICATION-RECEIPT", "record", "open")] * 2
    assert rules_of(seed, p, case=bare.id, rule="ART08-APPLICATION-RECEIPT") == [
        ("ART08-APPLICATION-RECEIPT", "case", "open")]
    everything = rules_of(seed, p, rule="ART08-APPLICATION-RECEIPT")
    assert len(everything) == 3
