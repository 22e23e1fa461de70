"""What the full-case browser walk (tests/e2e/test_browser_full_case.py) needed from the pages,
over HTTP (TestClient, an officer's browser session): a missing record's row links to its form;
a new 立案审批表 starts with the opinions the approvers gave; 合规问题 shows one case's findings
(``?case=``), a record's finding links to the record; the trail names approval steps, decisions
and signature capacities in words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from lawtrail.domain.approvals import Step
from lawtrail.domain.cases import Case
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.services import cases, records
from lawtrail.web.app import create_app
from tests.integration.support import Seed, only_sqlite
from tests.integration.test_approvals_db import DETAILS, People, approve, new_case
from tests.unit.factories import PASSWORD

pytestmark = only_sqlite


@pytest.fixture
def people(seed: Seed) -> People:
    return People(seed)


@pytest.fixture
def officer(seed: Seed, people: People) -> Iterator[TestClient]:
    """A browser session of the handler zhang."""
    with TestClient(create_app(seed.container, checkpoint_interval=None)) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token
        client.post("/login", data={"username": "zhang", "password": PASSWORD, "csrf": token.group(1)})
        yield client


def investigating(seed: Seed, p: People) -> Case:
    """A case approved and moved to investigation without its 立案审批表 (ART09 overdue), with a
    rights notice nobody has signed yet (ART13 open, on the record)."""
    case = new_case(seed, p)
    approve(seed, p, case, Step.INITIATION)
    cases.advance_stage(seed.container.uow(), seed.ctx(p.zhang), case.id, to="investigation")
    now = seed.container.clock.now().astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M")
    records.create_record(seed.container.uow(), seed.ctx(p.zhang), seed.container.catalogue, case.id,
                          kind_id="rights_notice", data=records.RecordInput(
                              values={"notified_at": now, "rights": ["陈述", "申辩"]},
                              rights_method="written"))
    return case


def test_a_missing_record_links_to_its_form_which_starts_with_the_approvers_opinions(
        seed: Seed, people: People, officer: TestClient) -> None:
    case = new_case(seed, people)
    page = officer.get(f"/cases/{case.id}").text
    link = f'href="/cases/{case.id}/records/new?kind=initiation_form" data-make="initiation_form"'
    assert link in page
    form = officer.get(f"/cases/{case.id}/records/new?kind=initiation_form").text
    assert 'id="prefill-note"' not in form  # nothing approved yet: nothing to start from
    approve(seed, people, case, Step.INITIATION)
    form = officer.get(f"/cases/{case.id}/records/new?kind=initiation_form").text
    assert 'id="prefill-note"' in form and "执法机构意见、分管领导意见" in form
    assert ">拟同意</textarea>" in form and form.count(">同意</textarea>") == 2
    # A kind with no approval behind it starts empty.
    assert 'id="prefill-note"' not in officer.get(f"/cases/{case.id}/records/new?kind=complainant_notification").text


def test_the_findings_page_shows_one_case_and_links_a_record(seed: Seed, people: People,
                                                              officer: TestClient) -> None:
    late, quiet = investigating(seed, people), new_case(seed, people)
    page = officer.get(f"/findings?case={late.id}").text
    assert 'id="findings-case"' in page and late.number in page
    assert 'data-rule="ART09-INITIATION-FORM"' in page
    rights = re.search(r'<a href="/records/([0-9a-f-]+)">[^<]*权利告知书</a>', page)
    assert rights, "a record's finding links to the record"
    assert f'name="case" value="{late.id}"' in page  # the filters keep the case
    page = officer.get(f"/findings?case={quiet.id}").text
    assert quiet.number in page and "暂无合规问题" in page and late.number not in page
    refused = officer.get("/findings?case=not-an-id")
    assert refused.status_code == 422 and "案件选择无效" in refused.text and "case is not a valid id" in refused.text
    # the records card's 本案合规问题 button and the checklist's link
    assert officer.get(f"/cases/{late.id}").text.count(f'href="/findings?case={late.id}"') == 2


def test_the_trail_names_steps_decisions_and_capacities_in_words(seed: Seed, people: People,
                                                                  officer: TestClient) -> None:
    case = investigating(seed, people)
    page = officer.get(f"/cases/{case.id}").text
    trail = page[page.index('id="trail"'):]
    assert "立案审批" in trail and "同意" in trail and "已通过" in trail
    for raw in (">initiation<", ">approve<", ">approved<", ">pending<"):
        assert raw not in trail, raw
    assert not re.search(r">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.\d]*\+00:00<", trail)


def test_a_real_name_complaint_not_taken_up_can_be_told_from_the_archived_case_art_10(
        seed: Seed, people: People, officer: TestClient) -> None:
    """不予立案 puts the case at 归档; its checklist still links the Art. 10 notice, which is made
    there, and the finding goes away."""
    details = replace(DETAILS, origin="complaint", complainant_real_name=True, complainant_name="周先生",
                      complainant_contact="13900139000")
    case = cases.open_case(seed.container.uow(), seed.ctx(people.zhang), unit_id=seed.unit.id, details=details,
                           handler_ids=[people.zhang.id, people.wang.id])
    cases.close_case(seed.container.uow(), seed.ctx(people.zhang), case.id, reason="同一违法行为已另案查处")
    page = officer.get(f"/cases/{case.id}").text
    link = f"/cases/{case.id}/records/new?kind=complainant_notification&amp;stage=initiation"
    assert link in page and 'data-rule="ART10-COMPLAINANT-NOTIFIED"' in page
    form = officer.get(link.replace("&amp;", "&")).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf
    now = seed.container.clock.now().astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M")
    done = officer.post(f"/cases/{case.id}/records/new", data={
        "csrf": csrf.group(1), "kind_id": "complainant_notification", "stage": "initiation",
        "values.complainant": "周先生", "values.notified_at": now, "values.method": "电话告知",
        "values.reason": "同一违法行为已另案查处"}, follow_redirects=False)
    assert done.status_code == 303, done.text[:2000]
    record_id = done.headers["location"].split("/records/")[1].split("?")[0]
    findings = officer.get(f"/findings?case={case.id}").text
    assert f'data-rule="ART10-COMPLAINANT-NOTIFIED" data-subject="{case.id}"' not in findings
    # what is left is the notice's own signature (Art. 10 record, Art. 13 signatures) — signed at 归档 too
    assert f'data-rule="ART10-COMPLAINANT-NOTIFIED" data-subject="{record_id}"' in findings
    records.sign_record(seed.container.uow(), seed.ctx(people.zhang), seed.container.blobs, UUID(record_id),
                        records.SignatureInput(capacity="officer", signer_user_id=people.zhang.id, method="electronic"))
    assert 'data-rule="ART10-COMPLAINANT-NOTIFIED"' not in officer.get(f"/findings?case={case.id}").text


def test_the_case_page_lists_its_on_site_activities_and_links_the_form(seed: Seed, people: People,
                                                                        officer: TestClient) -> None:
    """Decision 0042: an activity linked to the case is on its page with its AV problems; the
    登记 link opens the activity form with the case chosen."""
    from datetime import timedelta

    from lawtrail.services import activities
    case = new_case(seed, people)
    now = seed.container.clock.now()
    act = activities.create_activity(seed.container.uow(), seed.ctx(people.zhang), unit_id=seed.unit.id,
                                     data=activities.ActivityInput(
                                         kind="onsite_inspection", title="对某药店现场检查", place="蓬江区某路1号",
                                         arrived_at=now - timedelta(hours=2), departed_at=now - timedelta(hours=1),
                                         officer_ids=[people.zhang.id], case_id=case.id))
    page = officer.get(f"/cases/{case.id}").text
    section = page[page.index('id="case-activities"'):]
    assert f'data-activity="{act.id}"' in section and "项音像问题" in section.split("</section>")[0]
    assert f'href="/activities?case={case.id}#new-activity"' in section
    form = officer.get(f"/activities?case={case.id}").text
    assert re.search(rf'<option value="{case.id}" selected>{re.escape(case.number)}', form)
