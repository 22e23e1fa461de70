"""The cases API over TestClient on both engines: a general penalty case from complaint to
archive, a simplified one decided on the spot, and bad input answered as problem+json with
nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lawtrail.services import auth, users
from lawtrail.web.app import create_app
from tests.integration.support import Seed, row_counts
from tests.unit.factories import PASSWORD

PARTY = {"kind": "legal_person", "name": "江门市某某食品有限公司", "id_number": "91440300708461136T",
         "legal_rep": "张伟", "address": "江门市蓬江区建设路1号", "phone": "0750-3221234"}


class Api:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def call(self, method: str, url: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        response = self.client.request(method, f"/api/v1/cases{url}", json=body, headers=self.headers)
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def api(seed: Seed) -> Iterator[tuple[Api, list[str]]]:
    c = seed.container
    ids = []
    token = ""
    for name in ("chen", "liming"):
        u = users.create_user(c.uow(), c.system_ctx("t"), c.deps, unit_id=seed.unit.id, username=name,
                              display_name=f"{name}同志", roles=["officer"], password=PASSWORD,
                              cert_number="粤0720260001", cert_valid_from=date(2025, 1, 1),
                              cert_valid_to=date(2028, 1, 1))
        ids.append(str(u.id))
        if not token:
            _, token = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=u.id, name="t")
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        yield Api(client, token), ids


def serve(a: Api, case_id: str, document: str = "行政处罚决定书") -> str:
    """Serve ``document`` directly on the party through the API: the receipt, then the recipient's
    and the server's signatures (Art. 21, 22); return the record id."""
    made = a.client.post(f"/api/v1/cases/{case_id}/records", headers=a.headers, json={
        "kind_id": "service_receipt_direct", "values": {
            "document": document, "served_at": a.call("GET", f"/{case_id}")["opened_at"], "place": "当事人住所",
            "signer_name": "张伟", "signer_relation": "法定代表人"}})
    assert made.status_code == 201, made.text
    record_id = str(made.json()["record_id"])
    for capacity, name in (("recipient", "张伟"), ("server", "chen同志")):
        signed = a.client.post(f"/api/v1/records/{record_id}/signatures", headers=a.headers,
                               data={"capacity": capacity, "signer_name": name, "method": "electronic"})
        assert signed.status_code == 201, signed.text
    return record_id


def approver(seed: Seed, a: Api, name: str, role: str) -> Api:
    """An Api on the same client with the token of a new ``role`` of the seed's unit."""
    c = seed.container
    u = users.create_user(c.uow(), c.system_ctx("t"), c.deps, unit_id=seed.unit.id, username=name,
                          display_name=f"{name}同志", roles=[role], password=PASSWORD)
    _, token = auth.create_token(c.uow(), c.system_ctx("t"), owner_id=u.id, name="t")
    return Api(a.client, token)


def approve(a: Api, head: Api, leader: Api, case_id: str, step: str) -> None:
    """Submit ``step`` as the handler and approve it as the unit head, then the leader (Art. 9, 19)."""
    req = a.call("POST", f"/{case_id}/approvals", {"step": step, "opinion": "拟同意"}, status=201)
    assert req["status"] == "pending" and req["waiting_for"] == "执法机构意见"
    for who in (head, leader):
        response = who.client.post(f"/api/v1/approvals/{req['id']}/actions", headers=who.headers,
                                   json={"decision": "approve", "opinion": "同意"})
        assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"


def test_a_penalty_case_from_complaint_to_archive(seed: Seed, api: tuple[Api, list[str]]) -> None:
    a, handlers = api
    body = {"unit_id": str(seed.unit.id), "action_type": "penalty", "procedure": "general", "origin": "complaint",
            "name": "某食品公司销售过期食品案", "cause": "涉嫌销售超过保质期的食品", "complainant_real_name": True,
            "complainant_name": "王女士", "complainant_contact": "13800138000", "parties": [PARTY],
            "handler_ids": handlers[:1]}
    case = a.call("POST", "", body, status=201)
    assert case["number"] == "广市监JC1〔2026〕1号" and case["stage"] == "initiation"
    assert case["next_stages"] == ["investigation"]
    url = f"/{case['id']}"
    problem = a.call("POST", f"{url}/stage", {"to": "investigation"}, status=422)
    assert problem["code"] == "case.too_few_handlers" and problem["article"] == "第五条"
    assert problem["details"]["rule"] == "ART05-CERTIFIED-HANDLER"
    a.call("PUT", f"{url}/handlers", {"handler_ids": handlers, "lead_id": handlers[1]})
    a.call("POST", f"{url}/parties", {"kind": "citizen", "name": "张伟", "id_number": "11010519491231002X"},
           status=201)
    skipped = a.call("POST", f"{url}/stage", {"to": "service"}, status=409)
    assert skipped["code"] == "case.skip" and skipped["article"] == "第二十条"
    gated = a.call("POST", f"{url}/stage", {"to": "investigation"}, status=422)
    assert (gated["code"], gated["article"]) == ("case.initiation_not_approved", "第九条")
    head, leader = approver(seed, a, "head", "unit_head"), approver(seed, a, "leader", "leader")
    for to in ("investigation", "review", "service", "execution", "archive"):
        if to in ("investigation", "service"):
            approve(a, head, leader, case["id"], "initiation" if to == "investigation" else "decision")
        if to == "execution":
            gated = a.call("POST", f"{url}/stage", {"to": to}, status=422)
            assert (gated["code"], gated["article"]) == ("case.service_incomplete", "第二十一条")
            serve(a, case["id"])
        assert a.call("POST", f"{url}/stage", {"to": to})["stage"] == to
    assert [x["step"] for x in a.call("GET", f"{url}/approvals")] == ["initiation", "decision"]
    detail = a.call("GET", url)
    assert [s["to"] for s in detail["stages"]] == ["initiation", "investigation", "review", "service", "execution",
                                                  "archive"]
    assert [h["lead"] for h in detail["handlers"]] == [True, False]
    assert sorted(p["kind"] for p in detail["parties"]) == ["citizen", "legal_person"]
    assert detail["ended_at"] is not None and detail["next_stages"] == []
    listed = a.call("GET", "?stage=archive&action_type=penalty")
    assert [x["number"] for x in listed["items"]] == [case["number"]] and listed["total"] == 1
    assert a.call("GET", "?party=张伟")["total"] == 1
    assert a.call("GET", "?stage=nowhere", status=422)["code"] == "validation_failed"


def test_a_simplified_case_decided_on_the_spot(seed: Seed, api: tuple[Api, list[str]]) -> None:
    a, handlers = api
    body = {"unit_id": str(seed.unit.id), "action_type": "penalty", "procedure": "simplified",
            "origin": "inspection", "name": "某商户未明码标价案", "cause": "现场检查发现商品未明码标价",
            "parties": [{"kind": "citizen", "name": "陈某", "id_number": "110101199003074477"}],
            "handler_ids": handlers}
    case = a.call("POST", "", body, status=201)
    assert case["next_stages"] == ["investigation", "review"]
    url = f"/{case['id']}"
    assert a.call("POST", f"{url}/stage", {"to": "service"}, status=409)["code"] == "case.skip"
    for to in ("review", "service", "execution", "archive"):
        if to == "execution":
            serve(a, case["id"])
        a.call("POST", f"{url}/stage", {"to": to})
    assert a.call("GET", url)["stage"] == "archive"


def test_bad_input_changes_nothing(seed: Seed, api: tuple[Api, list[str]]) -> None:
    a, handlers = api
    before = row_counts(seed.container.engine)
    bad = {"unit_id": str(seed.unit.id), "action_type": "penalty", "procedure": "general", "origin": "complaint",
           "name": "", "cause": "x", "complainant_real_name": True, "parties": [{**PARTY, "id_number": "123"}],
           "handler_ids": handlers}
    problem = a.call("POST", "", bad, status=422)
    fields = {p["field"] for p in problem["problems"]}
    assert {"name", "complainant_name", "complainant_contact", "parties.0.id_number"} <= fields
    a.call("POST", "", {**bad, "extra": 1}, status=422)
    assert row_counts(seed.container.engine) == before
    case = a.call("POST", "", {**bad, "name": "案", "complainant_name": "王", "complainant_contact": "13800138000",
                               "parties": []}, status=201)
    closed = a.call("POST", f"/{case['id']}/close", {"reason": "经核查不属实，不予立案"})
    assert closed["closed_kind"] == "not_initiated" and closed["stage"] == "archive"
    assert a.call("POST", f"/{case['id']}/close", {"reason": "again"}, status=409)["code"] == "case.closed"
