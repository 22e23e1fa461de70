"""The case page's stage buttons over HTTP (an officer's browser session): a move that still
needs its approval shows disabled with the reason and the article (Art. 9) instead of being
refused on click, and enabled once approved; an archived case offers no 更正环节."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from lawtrail.domain.approvals import Step
from lawtrail.domain.cases import Stage
from lawtrail.services import cases
from tests.integration.support import Seed, only_sqlite
from tests.integration.test_approvals_db import People, approve, new_case
from tests.integration.test_case_pages import officer as officer  # the fixtures, reused
from tests.integration.test_case_pages import people as people

pytestmark = only_sqlite
INVESTIGATE = '<input type="hidden" name="to" value="investigation">'


def test_investigation_is_disabled_with_the_reason_until_the_initiation_is_approved(
        seed: Seed, people: People, officer: TestClient) -> None:
    case = new_case(seed, people)
    page = officer.get(f"/cases/{case.id}").text
    assert 'disabled aria-describedby="gate-investigation"' in page and INVESTIGATE not in page
    assert "立案审批尚未通过" in page and "（第九条）" in page
    assert "更正环节" not in page  # nothing to go back to at the first stage
    approve(seed, people, case, Step.INITIATION)
    page = officer.get(f"/cases/{case.id}").text
    assert INVESTIGATE in page and 'aria-describedby="gate-investigation"' not in page


def test_an_archived_case_offers_no_stage_correction(seed: Seed, people: People, officer: TestClient) -> None:
    case = new_case(seed, people)
    approve(seed, people, case, Step.INITIATION)
    cases.advance_stage(seed.container.uow(), seed.ctx(people.zhang), case.id, to="investigation")
    assert "更正环节" in officer.get(f"/cases/{case.id}").text
    with seed.container.uow() as uow:  # the way there (review, decision, service, execution) is tested elsewhere
        found = uow.cases.get(case.id)
        assert found is not None
        uow.cases.update(replace(found, stage=Stage.ARCHIVE, ended_at=found.updated_at))
        uow.commit()
    page = officer.get(f"/cases/{case.id}").text
    assert "导出案卷（BagIt）" not in page  # (the archivist's button; the officer sees the archived case)
    assert "更正环节" not in page and "归档" in page
