"""A penalty case through the whole process by the API (issue 5 items 5, 6): initiation approved,
investigation with an inquiry record, review with the decision document (ordering a correction)
and its approval, service with a signed receipt, execution with the fulfilment and the correction
check, archive. The service and execution findings of the case appear and clear on the way."""

from __future__ import annotations

from datetime import timedelta

from lawtrail.adapters.clock import FixedClock
from tests.integration.lifecycle_support import record, sign
from tests.integration.support import Seed
from tests.integration.test_cases_api import Api, api, approve, approver, serve

__all__ = ["api"]  # the fixture, imported for pytest

CITIZEN = {"kind": "citizen", "name": "张伟", "id_number": "11010519491231002X", "address": "江门市蓬江区建设路1号"}
BODY = {"action_type": "penalty", "procedure": "general", "origin": "inspection", "name": "某超市销售过期食品案",
        "cause": "日常检查发现销售过期食品"}


def service_rules(a: Api, case_id: str) -> list[tuple[str, str]]:
    response = a.client.get("/api/v1/findings", headers=a.headers,
                            params={"subject_type": "case", "subject_id": case_id})
    assert response.status_code == 200, response.text
    return sorted((f["rule"], f["status"]) for f in response.json() if f["rule"][3:5] in ("21", "22", "23", "24",
                                                                                          "25", "27", "28", "29", "31"))


def test_a_penalty_case_from_initiation_to_archive_with_service_and_execution(
        seed: Seed, api: tuple[Api, list[str]], clock: FixedClock) -> None:
    a, officers = api
    head, leader = approver(seed, a, "head", "unit_head"), approver(seed, a, "leader", "leader")
    case = a.call("POST", "", {**BODY, "unit_id": str(seed.unit.id), "parties": [CITIZEN], "handler_ids": officers},
                  status=201)
    cid, url, when = case["id"], f"/{case['id']}", case["opened_at"]
    approve(a, head, leader, cid, "initiation")
    a.call("POST", f"{url}/stage", {"to": "investigation"})
    inquiry = record(a, cid, "inquiry_record", {
        "place": "本局询问室", "started_at": when, "ended_at": when, "person": "张伟", "person_role": "当事人",
        "content": "问：……答：……"}, officers=[{"user_id": o, "cert_shown": True} for o in officers],
        rights_method="written")
    for o in officers:
        sign(a, inquiry, "officer", user_id=o)
    sign(a, inquiry, "party", "张伟")
    a.call("POST", f"{url}/stage", {"to": "review"})
    decision = record(a, cid, "decision_document", {
        "document_number": "江蓬市监罚决〔2026〕7号", "decided_at": when, "facts": "销售过期食品", "reasons": "违法",
        "legal_basis": "食品安全法第一百二十四条", "decision": "罚款并责令改正", "remedies": "六十日内复议",
        "final_document": True, "correction_deadline": "2026-12-05"})
    sign(a, decision, "agency", "本局")
    approve(a, head, leader, cid, "decision")
    a.call("POST", f"{url}/stage", {"to": "service"})
    # An e-mail service of the penalty decision is refused, citing Art. 24; nothing is made.
    refused = a.client.post(f"/api/v1/cases/{cid}/records", headers=a.headers, json={
        "kind_id": "service_electronic", "values": {
            "document": "江蓬市监罚决〔2026〕7号", "consent": True, "method": "电子邮件", "address": "z@x.cn",
            "served_at": when, "receipt_confirmed": True}})
    assert refused.status_code == 422 and refused.json()["article"] == "第二十四条"
    gated = a.call("POST", f"{url}/stage", {"to": "execution"}, status=422)
    assert gated["article"] == "第二十一条"
    serve(a, cid, document="行政处罚决定书 江蓬市监罚决〔2026〕7号")
    a.call("POST", f"{url}/stage", {"to": "execution"})
    assert service_rules(a, cid) == [("ART28-CORRECTION-CHECK-DUE", "open")]
    clock.advance(timedelta(hours=1))
    fulfilled = record(a, cid, "fulfilment_record", {"checked_at": when, "status": "全部履行", "details": "罚款已缴纳"})
    sign(a, fulfilled, "officer", user_id=officers[0])
    check = record(a, cid, "correction_check", {
        "deadline": "2026-12-05", "checked_at": when, "result": "已改正", "findings": "过期食品已全部下架销毁"},
        officers=[{"user_id": o, "cert_shown": True} for o in officers])
    for o in officers:
        sign(a, check, "officer", user_id=o)
    sign(a, check, "party", "张伟")
    assert service_rules(a, cid) == []
    assert a.call("POST", f"{url}/stage", {"to": "archive"})["stage"] == "archive"
    gaps = a.client.get(f"/api/v1/cases/{cid}/records/gaps", headers=a.headers).json()
    assert [g for g in gaps if g["stage"] in ("service", "execution")] == []  # nothing owed at 送达 or 执行
