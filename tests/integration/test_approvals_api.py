"""The approvals API and pages over TestClient: the chain through the API on both engines, bad input
and refusals answered as problem+json (or a 422 page) with nothing written, the inbox, and the
case page's panel and forms with a browser session and CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lawtrail.services import auth, cases
from lawtrail.web.app import create_app
from tests.integration.support import Seed, only_sqlite, row_counts
from tests.integration.test_approvals_db import DETAILS, People
from tests.unit.factories import PASSWORD


class Client:
    def __init__(self, client: TestClient, seed: Seed, token: str) -> None:
        self.client, self.seed, self.headers = client, seed, {"Authorization": f"Bearer {token}"}

    def call(self, method: str, url: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        response = self.client.request(method, f"/api/v1{url}", json=body, headers=self.headers)
        assert response.status_code == status, response.text
        return response.json()

    def refused(self, method: str, url: str, body: dict[str, Any] | None, status: int, code: str) -> Any:
        before = row_counts(self.seed.container.engine)
        problem = self.call(method, url, body, status)
        assert problem["code"] == code, problem
        assert row_counts(self.seed.container.engine) == before
        return problem


@pytest.fixture
def api(seed: Seed) -> Iterator[tuple[dict[str, Client], People, str]]:
    c, p = seed.container, People(seed)
    case = cases.open_case(c.uow(), seed.ctx(p.zhang), unit_id=seed.unit.id, details=DETAILS,
                           handler_ids=[p.zhang.id, p.wang.id])
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        out = {}
        for name in ("zhang", "head", "leader", "reviewer"):
            _, token = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=getattr(p, name).id, name="t")
            out[name] = Client(client, seed, token)
        yield out, p, str(case.id)


def test_the_chain_through_the_api(api: tuple[dict[str, Client], People, str]) -> None:
    who, _, case_id = api
    zhang, head, leader = who["zhang"], who["head"], who["leader"]
    req = zhang.call("POST", f"/cases/{case_id}/approvals", {"step": "initiation", "opinion": "建议立案"}, 201)
    assert (req["status"], req["waiting_for"], req["actions"][0]["level_label"]) == ("pending", "执法机构意见",
                                                                                       "承办人意见")
    [item] = head.call("GET", "/approvals/inbox")
    assert item["approval"]["id"] == req["id"] and item["case_stage"] == "initiation" and item["approval"]["may_act"]
    assert leader.call("GET", "/approvals/inbox") == []
    leader.refused("POST", f"/approvals/{req['id']}/actions", {"decision": "approve", "opinion": "同意"}, 403,
                   "approval.not_your_level")
    step = head.call("POST", f"/approvals/{req['id']}/actions", {"decision": "approve", "opinion": "同意"})
    assert step["waiting_for"] == "分管领导意见" and step["actions"][1]["actor_name"] == "head同志"
    done = leader.call("POST", f"/approvals/{req['id']}/actions", {"decision": "approve", "opinion": "同意"})
    assert done["status"] == "approved" and done["status_label"] == "已通过"
    [listed] = who["reviewer"].call("GET", f"/cases/{case_id}/approvals")
    assert listed["may_act"] is False and [a["decision"] for a in listed["actions"]] == ["submit", "approve",
                                                                                         "approve"]
    assert zhang.call("POST", f"/cases/{case_id}/stage", {"to": "investigation"})["stage"] == "investigation"


def test_bad_input_and_refusals_write_nothing(api: tuple[dict[str, Client], People, str]) -> None:
    who, _, case_id = api
    zhang, head = who["zhang"], who["head"]
    url = f"/cases/{case_id}/approvals"
    zhang.refused("POST", url, {"step": "whatever", "opinion": "x"}, 422, "validation_failed")
    zhang.refused("POST", url, {"step": "initiation", "opinion": ""}, 422, "validation_failed")
    zhang.refused("POST", url, {"step": "initiation", "opinion": "x", "emergency": True}, 422, "validation_failed")
    zhang.refused("POST", url, {"step": "decision", "opinion": "x"}, 409, "approval.wrong_stage")
    zhang.refused("POST", url, {"step": "initiation", "opinion": "x", "extra": 1}, 422, "validation_failed")
    head.refused("POST", "/approvals/00000000-0000-0000-0000-000000000000/actions",
                 {"decision": "approve", "opinion": "同意"}, 404, "approval.not_found")
    req = head.call("POST", url, {"step": "initiation", "opinion": "科长报批"}, 201)
    head.refused("POST", f"/approvals/{req['id']}/actions", {"decision": "approve", "opinion": "同意"}, 403,
                 "approval.own_submission")
    head.refused("POST", f"/approvals/{req['id']}/actions", {"decision": "maybe", "opinion": "同意"}, 422,
                 "validation_failed")
    zhang.refused("POST", f"/approvals/{req['id']}/withdraw", {"reason": ""}, 422, "validation_failed")
    gone = zhang.call("POST", f"/approvals/{req['id']}/withdraw", {"reason": "科长不能审批本人报批，改由承办人报批"})
    assert gone["status"] == "withdrawn"
    zhang.refused("POST", f"/approvals/{req['id']}/withdraw", {"reason": "再撤"}, 409, "approval.closed")


@only_sqlite
def test_the_case_page_panel_and_its_forms(seed: Seed, api: tuple[dict[str, Client], People, str]) -> None:
    who, _, case_id = api
    client = who["zhang"].client
    login = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert token
    client.post("/login", data={"username": "zhang", "password": PASSWORD, "csrf": token.group(1)})
    page = client.get(f"/cases/{case_id}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert page.status_code == 200 and csrf and "报批：立案审批" in page.text
    before = row_counts(seed.container.engine)
    bad = client.post(f"/cases/{case_id}/approvals", data={"csrf": csrf.group(1), "step": "initiation",
                                                          "opinion": "先行启动", "emergency": "1"},
                      follow_redirects=False)
    assert bad.status_code == 422 and "紧急启动理由不能为空" in bad.text
    assert row_counts(seed.container.engine) == before
    forged = client.post(f"/cases/{case_id}/approvals", data={"csrf": "forged", "step": "initiation",
                                                             "opinion": "x"}, follow_redirects=False)
    assert forged.status_code == 403 and row_counts(seed.container.engine) == before
    good = client.post(f"/cases/{case_id}/approvals", data={"csrf": csrf.group(1), "step": "initiation",
                                                           "opinion": "建议立案"}, follow_redirects=False)
    assert good.status_code == 303 and good.headers["location"].endswith("#approvals")
    panel = client.get(good.headers["location"])
    assert "待执法机构意见" in panel.text and 'data-status="pending"' in panel.text
    assert client.get("/approvals").status_code == 200  # an officer's inbox: nothing waits for him
