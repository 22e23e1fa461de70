"""The case page's 阶段清单 on the real databases: a fixed number of statements whatever the number
of the case's records and of the bureau's other cases (one evaluation of the case's rules), the
findings of this case only; and over HTTP, the checklist of a demo case as its officer sees it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lawtrail.bootstrap import Container
from lawtrail.domain.approvals import Step
from lawtrail.domain.checklist import ItemState, StageStatus
from lawtrail.domain.rules import RuleSettings
from lawtrail.services import cases, records
from lawtrail.services.checklist import case_checklist
from lawtrail.services.demo import DEMO_PASSWORD
from lawtrail.web.app import create_app
from tests.integration.support import Seed, counting, only_sqlite
from tests.integration.test_approvals_db import approve, new_case
from tests.integration.test_service_db import People, clone, make, to_service
from tests.unit.factories import PASSWORD, T0


@pytest.fixture
def people(seed: Seed) -> People:
    return People(seed)


def test_the_checklist_reads_a_fixed_number_of_statements_and_only_its_case(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    case = to_service(seed, p)
    when = case.opened_at.isoformat()
    postal: dict[str, Any] = {"document": "行政处罚决定书", "carrier": "特快专递", "tracking_number": "E1",
                              "posted_at": when}
    make(seed, p, case, "service_postal", postal)  # no proofs kept: ART25
    counts = []
    for extra in (0, 3):
        for i in range(extra):
            made = make(seed, p, case, "service_postal", {**postal, "tracking_number": f"E{i + 2}"})
            records.sign_record(c.uow(), seed.ctx(p.zhang), c.blobs, made.record_id, records.SignatureInput(
                capacity="server", signer_name="zhang同志", method="electronic"))
        clone(seed, case, 5)  # other cases of the bureau with the same gaps
        with counting(c.engine) as statements:
            checklist = case_checklist(c.uow(), seed.ctx(p.zhang), c.catalogue, case.id, now=T0,
                                       settings=RuleSettings())
        counts.append(len(statements))
    assert counts[0] == counts[1]  # 4 records and 3 signatures more, 5 cases more: the same statements
    service = next(s for s in checklist.stages if s.stage.value == "service")
    assert service.status is StageStatus.CURRENT
    item = next(i for i in service.items if i.key == "group:service")
    assert len(item.records) == 4 and item.state is ItemState.IN_PROGRESS
    assert {f.subject.id for f in item.findings} == {str(case.id)}  # none of the clones' findings
    assert {f.rule.id for f in item.findings} == {"ART25-POSTAL-PROOF"}
    init = next(s for s in checklist.stages if s.stage.value == "initiation")
    approval = next(i for i in init.items if i.key == "approval:initiation")
    assert init.status is StageStatus.DONE and approval.state is ItemState.DONE


# ---- over HTTP, a demo case --------------------------------------------------------------------

@pytest.fixture
def officer(demo_container: Container) -> Iterator[TestClient]:
    container = demo_container  # the demo bureau, copied from the worker's demo template
    with TestClient(create_app(container, checkpoint_interval=None)) as client:
        login = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert token
        done = client.post("/login", data={"username": "officer", "password": DEMO_PASSWORD, "csrf": token.group(1)},
                           follow_redirects=False)
        assert done.status_code == 303
        yield client


def _case_page(client: TestClient, name: str) -> str:
    listed = client.get("/cases", params={"party": name})
    found = re.search(r'href="/cases/([0-9a-f-]{36})"', listed.text)
    assert listed.status_code == 200 and found, listed.text[:300]
    page = client.get(f"/cases/{found.group(1)}")
    assert page.status_code == 200
    return page.text


def _stage(html: str, stage: str) -> str:
    start = html.index(f'data-stage="{stage}"')
    end = html.find('<li class="cl-stage', start + 1)
    return html[start:end if end > 0 else None]


@only_sqlite
def test_the_case_page_shows_the_checklist_of_a_demo_case(officer: TestClient) -> None:
    html = _case_page(officer, "鲜味食品商行")
    assert 'id="checklist"' in html and "阶段清单" in html and 'id="next-step"' in html
    assert html.count('class="cl-stage ') == 6
    # at 调查取证 since an emergency start: that stage is open, the initiation stage is left behind
    investigation = _stage(html, "investigation")
    assert 'data-status="current"' in investigation and "<details open>" in investigation
    assert "询问笔录" in investigation and "现场检查（勘验）笔录" in investigation
    assert "不适宜音像记录" in investigation and 'data-key="av:investigation"' in investigation
    initiation = _stage(html, "initiation")
    assert 'data-status="done"' in initiation and "<details open>" not in initiation
    # the form is signed by the handler only; the approval runs under the 24 hours of Art. 9
    assert 'data-key="record:initiation_form" data-state="in_progress"' in initiation
    assert "待签名" in initiation and "紧急先行启动" in initiation
    assert 'data-rule="ART09-EMERGENCY-APPROVAL-24H"' in initiation and "第九条" in initiation
    assert 'data-status="future"' in _stage(html, "review")
    # links to act: the record to complete, the approval panel
    assert 'href="#approval-' in initiation and 'data-act="open_record"' in html
    # the service, execution and archive stages are ahead and greyed
    for later in ("service", "execution", "archive"):
        assert 'data-status="future"' in _stage(html, later)


@only_sqlite
def test_a_simplified_demo_case_in_the_archive_shows_investigation_skipped(officer: TestClient) -> None:
    html = _case_page(officer, "陈某某")
    assert 'data-status="skipped"' in _stage(html, "investigation") and "简易程序" in _stage(html, "investigation")
    archive = _stage(html, "archive")
    assert 'data-status="current"' in archive and "整理案卷、归档" in archive
    assert 'data-key="record:simplified_record"' in _stage(html, "review")


@only_sqlite
def test_a_record_missing_from_a_stage_left_behind_is_made_there_from_its_link(seed: Seed, people: People) -> None:
    c, p = seed.container, people
    case = new_case(seed, p)
    approve(seed, p, case, Step.INITIATION)
    cases.advance_stage(c.uow(), seed.ctx(p.zhang), case.id, to="investigation")  # no initiation form made
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        login = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert token
        client.post("/login", data={"username": "zhang", "password": PASSWORD, "csrf": token.group(1)})
        html = client.get(f"/cases/{case.id}").text
        initiation = _stage(html, "initiation")
        assert 'data-key="record:initiation_form" data-state="missing"' in initiation
        link = f"/cases/{case.id}/records/new?kind=initiation_form&amp;stage=initiation"
        assert link in initiation and 'data-rule="ART09-INITIATION-FORM"' in initiation
        form = client.get(link.replace("&amp;", "&"))
        assert form.status_code == 200 and 'name="stage" value="initiation"' in form.text and "补录于" in form.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf
        values = {"start_reason": "投诉属实", "party_info": "某公司", "handler_opinion": "建议立案",
                  "unit_opinion": "同意", "leader_opinion": "同意"}
        made = client.post(f"/cases/{case.id}/records/new", follow_redirects=False, data={
            "csrf": csrf.group(1), "kind_id": "initiation_form", "stage": "initiation",
            **{f"values.{k}": v for k, v in values.items()}, "values.source_materials": "投诉材料"})
        assert made.status_code == 303, made.text[:500]
    with c.uow() as uow:
        stored = uow.records.for_case(case.id)
    assert [(v.kind_id, v.stage.value) for v in stored] == [("initiation_form", "initiation")]
