"""The review, decision and entrusted-service rules (Art. 16, 17, 20, 26) on both engines, through
the real services and the compliance engine: each found while broken and gone once the record is
complete."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from lawtrail.domain.approvals import Step
from lawtrail.domain.cases import Case
from lawtrail.domain.rules import RuleSettings
from lawtrail.services import cases, findings, records
from tests.integration.support import Seed
from tests.integration.test_approvals_db import People, approve, new_case

REVIEW = {"reviewers": ["reviewer同志", "head同志"], "opinion": "事实清楚，证据确凿，适用依据正确"}
EXPERTS = {"topic": "涉案药品是否属于假药", "experts": ["专家甲", "专家乙"], "opinions": "经论证，涉案药品属于假药"}
DECISION = {"document_number": "江市监罚决〔2026〕9号", "facts": "销售假药",
            "reasons": "当事人销售假药，违反药品管理法第九十八条", "legal_basis": "药品管理法第一百一十六条",
            "decision": "没收违法所得并罚款", "remedies": "六十日内申请行政复议"}
ENTRUSTED = {"document": "行政处罚决定书 江市监罚决〔2026〕9号", "mode": "转交送达", "via": "某监狱",
             "reason": "受送达人被监禁，通过其所在监所转交"}


@pytest.fixture
def people(seed: Seed) -> People:
    return People(seed)


#: The time field of each kind made here (set to now).
WHEN = {"legal_review": "reviewed_at", "expert_argument": "held_at", "decision_document": "decided_at",
        "service_entrusted": "served_at"}


def make(seed: Seed, p: People, case: Case, kind: str, values: dict[str, Any]) -> UUID:
    stamp = {WHEN[kind]: seed.container.clock.now().isoformat(timespec="minutes")}
    return records.create_record(seed.container.uow(), seed.ctx(p.zhang), seed.container.catalogue, case.id,
                                 kind_id=kind, data=records.RecordInput(values=values | stamp)).record_id


def sign(seed: Seed, p: People, record_id: UUID, capacity: str, name: str) -> None:
    records.sign_record(seed.container.uow(), seed.ctx(p.zhang), seed.container.blobs, record_id,
                        records.SignatureInput(capacity=capacity, signer_name=name, method="electronic"))


def rules_of(seed: Seed, p: People, case: Case) -> list[tuple[str, str, str]]:
    c = seed.container
    found = findings.evaluate(c.uow(), seed.ctx(p.head), c.clock.now(), settings=RuleSettings(),
                              catalogue=c.catalogue, case=case.id)
    return sorted((f.rule.id, f.subject.type, f.status.value) for f in found
                  if f.rule.id[3:5] in ("16", "17", "20", "26"))


def at_review(seed: Seed, p: People) -> Case:
    case = new_case(seed, p)
    approve(seed, p, case, Step.INITIATION)
    for to in ("investigation", "review"):
        case = cases.advance_stage(seed.container.uow(), seed.ctx(p.zhang), case.id, to=to)
    return case


def test_art16_17_20_found_while_broken_and_cleared_once_complete(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    case = at_review(seed, p)
    assert rules_of(seed, p, case) == [("ART16-LEGAL-REVIEW-RECORDED", "case", "open"),
                                       ("ART20-DECISION-REASONS", "case", "open")]
    review = make(seed, p, case, "legal_review", REVIEW)  # no advice (建议): the catalogue lets it pass
    sign(seed, p, review, "reviewer", "reviewer同志")
    minutes = make(seed, p, case, "expert_argument", EXPERTS)
    sign(seed, p, minutes, "expert", "专家甲")
    decision = make(seed, p, case, "decision_document", DECISION)
    assert rules_of(seed, p, case) == [("ART16-LEGAL-REVIEW-RECORDED", "record", "open"),
                                       ("ART17-EXPERT-MINUTES", "record", "open"),
                                       ("ART20-DECISION-REASONS", "record", "open")]
    approve(seed, p, case, Step.DECISION)
    case = cases.advance_stage(c.uow(), seed.ctx(p.zhang), case.id, to="service")
    assert [s for _, _, s in rules_of(seed, p, case)] == ["overdue"] * 3  # the decision was made without them
    records.correct_record(c.uow(), seed.ctx(p.zhang), c.catalogue, review, reason="补充审核建议",
                           data=records.RecordInput(values=REVIEW | {"advice": "建议从轻处罚",
                                                                     "reviewed_at": case.opened_at.isoformat()}))
    for name in REVIEW["reviewers"]:  # the corrected version is signed anew
        sign(seed, p, review, "reviewer", name)
    sign(seed, p, minutes, "expert", "专家乙")
    sign(seed, p, decision, "agency", "本局")
    assert rules_of(seed, p, case) == []


def test_art26_entrusted_service_needs_both_signatures(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    case = at_review(seed, p)
    approve(seed, p, case, Step.DECISION)
    case = cases.advance_stage(c.uow(), seed.ctx(p.zhang), case.id, to="service")
    served = make(seed, p, case, "service_entrusted", ENTRUSTED)
    sign(seed, p, served, "server", "zhang同志")
    assert ("ART26-ENTRUSTED-REASON", "case", "overdue") in rules_of(seed, p, case)
    sign(seed, p, served, "recipient", "王某")
    assert "ART26-ENTRUSTED-REASON" not in [r for r, _, _ in rules_of(seed, p, case)]
    # the complete entrusted receipt of the decision lets the case leave 送达 (Art. 21 gate)
    assert cases.advance_stage(c.uow(), seed.ctx(p.zhang), case.id, to="execution").stage.value == "execution"
