"""Shared steps of the full-lifecycle scenarios over the HTTP API (issue 5: "a full-lifecycle
scenario per action type through the API"): the team (two certified handlers, a unit head, a
leader, a legal reviewer, each with their own token on one TestClient over the real app and
database), and one function per step — open a case, make a record of a catalogue kind with the
values and signatures it needs, obtain an approval from the right people, move the case, read
its gaps and findings.

Every call goes through ``/api/v1``; the values below are what a handler would type in, one
builder per record kind (``VALUES``) and the signatures each kind asks for (``SIGNERS``, as in
``data/catalogue.yaml``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.integration.support import Seed
from tests.integration.test_cases_api import Api, approve, approver

CITIZEN = {"kind": "citizen", "name": "张伟", "id_number": "11010519491231002X", "address": "江门市蓬江区建设路1号"}
PARTY = CITIZEN["name"]


@dataclass
class Team:
    """The people of a scenario. ``a`` is the lead handler's API (it records, signs and moves the
    case); ``officers`` the two handlers' user ids."""

    seed: Seed
    a: Api
    officers: list[str]
    head: Api
    leader: Api
    reviewer: Api

    @property
    def names(self) -> dict[str, str]:
        return {"reviewer": "reviewer同志", "head": "head同志", "leader": "leader同志"}


def team(seed: Seed, api: tuple[Api, list[str]]) -> Team:
    """The handlers of the ``api`` fixture and a unit head, a leader and a legal reviewer of the unit."""
    a, officers = api
    return Team(seed, a, officers, approver(seed, a, "head", "unit_head"), approver(seed, a, "leader", "leader"),
                approver(seed, a, "reviewer", "legal_reviewer"))


# ---- the API calls ---------------------------------------------------------------------------------

def open_case(t: Team, *, action_type: str, procedure: str, origin: str, name: str, cause: str) -> dict[str, Any]:
    body = {"unit_id": str(t.seed.unit.id), "action_type": action_type, "procedure": procedure, "origin": origin,
            "name": name, "cause": cause, "parties": [CITIZEN], "handler_ids": t.officers}
    if origin == "complaint":
        body |= {"complainant_real_name": True, "complainant_name": "王女士", "complainant_contact": "13800138000"}
    return dict(t.a.call("POST", "", body, status=201))


def advance(t: Team, case_id: str, to: str) -> None:
    assert t.a.call("POST", f"/{case_id}/stage", {"to": to})["stage"] == to


def record(a: Api, case_id: str, kind: str, values: dict[str, Any], **more: Any) -> str:
    """Make a record of ``kind`` on the case; return its id."""
    made = a.client.post(f"/api/v1/cases/{case_id}/records", headers=a.headers,
                         json={"kind_id": kind, "values": values, **more})
    assert made.status_code == 201, made.text
    return str(made.json()["record_id"])


def sign(a: Api, record_id: str, capacity: str, name: str = "", user_id: str = "") -> None:
    """Sign the record's latest version electronically (an officer by user id, anyone else by name)."""
    data = {"capacity": capacity, "method": "electronic", "signer_name": name}
    if user_id:
        data["signer_user_id"] = user_id
    signed = a.client.post(f"/api/v1/records/{record_id}/signatures", headers=a.headers, data=data)
    assert signed.status_code == 201, signed.text


def gaps(a: Api, case_id: str) -> list[tuple[str, str, str]]:
    """What the case still lacks per the catalogue: (stage, gap, kind)."""
    response = a.client.get(f"/api/v1/cases/{case_id}/records/gaps", headers=a.headers)
    assert response.status_code == 200, response.text
    return sorted((g["stage"], g["gap"], g["kind_id"]) for g in response.json())


def findings(a: Api, case_id: str) -> list[tuple[str, str, str]]:
    """Every finding of the case, its records and media (``/api/v1/findings?case=``): (rule, status, message)."""
    response = a.client.get("/api/v1/findings", headers=a.headers, params={"case": case_id})
    assert response.status_code == 200, response.text
    return sorted((f["rule"], f["status"], f["message_zh"]) for f in response.json())


def legal_review_approved(t: Team, case_id: str) -> None:
    """法制审核 (Art. 16) submitted by the handler and approved by the legal reviewer with advice."""
    req = t.a.call("POST", f"/{case_id}/approvals", {"step": "legal_review", "opinion": "提请法制审核"}, status=201)
    done = t.reviewer.client.post(f"/api/v1/approvals/{req['id']}/actions", headers=t.reviewer.headers, json={
        "decision": "approve", "opinion": "事实清楚，证据确凿，程序合法", "advice": "建议依法作出决定"})
    assert done.status_code == 200 and done.json()["status"] == "approved", done.text


def approved(t: Team, case_id: str, step: str) -> None:
    """``step`` (initiation, decision) submitted by the handler, approved by the unit head, then the leader."""
    approve(t.a, t.head, t.leader, case_id, step)


# ---- the records -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Story:
    """What a scenario's records say: the decision's document name and number, what was decided,
    the correction deadline ordered (if any), how the decision is served."""

    document: str
    number: str
    decision: str
    correction_deadline: str = ""
    service: str = "service_receipt_direct"


Values = Callable[[str, Story, Team], dict[str, Any]]

#: The values of each kind a scenario records, given the time (the case's opening minute), the story, the team.
VALUES: dict[str, Values] = {
    "application_receipt": lambda when, s, t: {
        "applicant": PARTY, "received_at": when, "materials": "申请书、身份证明、相关证明材料", "decision": "受理",
        "receipt_number": "受理回执〔2026〕1号"},
    "initiation_form": lambda when, s, t: {
        "start_reason": "监督检查发现涉嫌违法行为", "party_info": "张伟，身份证号11010519491231002X",
        "handler_opinion": "建议立案调查", "unit_opinion": "同意立案", "leader_opinion": "同意",
        "source_materials": ["监督检查报告"]},
    "inquiry_record": lambda when, s, t: {
        "place": "本局询问室", "started_at": when, "ended_at": when, "person": PARTY, "person_role": "当事人",
        "content": "问：……答：……"},
    "test_report": lambda when, s, t: {
        "report_type": "检验", "agency": "江门市质量计量监督检测所", "report_number": "JM2026-0001", "issued_at": when,
        "conclusion": "所检项目不符合标准要求"},
    "rights_notice": lambda when, s, t: {"notified_at": when, "rights": ["陈述", "申辩", "听证"], "deadline_days": 5},
    "legal_review": lambda when, s, t: {
        "reviewers": [t.names["reviewer"]], "reviewed_at": when,
        "opinion": "事实清楚，证据确凿，适用依据正确，程序合法",
        "advice": "建议依法作出决定"},
    "approval_record": lambda when, s, t: {
        "matter": s.document, "handler_opinion": "拟作出决定", "unit_opinion": "同意", "head_opinion": "同意",
        "approved_at": when},
    "decision_document": lambda when, s, t: {
        "document_number": s.number, "decided_at": when, "facts": "经调查查明的事实……",
        "reasons": "综合证据，认定……，理由如下……",
        "legal_basis": "有关法律、法规第……条", "decision": s.decision,
        "remedies": "如不服本决定，可在六十日内申请行政复议或六个月内提起行政诉讼", "final_document": True,
        **({"correction_deadline": s.correction_deadline} if s.correction_deadline else {})},
    "simplified_record": lambda when, s, t: {
        "occurred_at": when, "conditions": "违法事实确凿并有法定依据，罚款数额较小",
        "steps": "出示证件、告知、听取陈述申辩、当场决定",
        "statement": "当事人称不知情", "review": "陈述不成立，不予采纳，理由：……", "filing": "已报所属机关备案",
        "process": "现场检查发现，当场作出决定并交付决定书", "dispute_prone": False},
    "service_receipt_direct": lambda when, s, t: {
        "document": f"{s.document} {s.number}", "served_at": when, "place": "当事人住所", "signer_name": PARTY,
        "signer_relation": "受送达人本人"},
    "service_entrusted": lambda when, s, t: {
        "document": f"{s.document} {s.number}", "mode": "委托送达", "via": "当事人住所地市场监督管理所",
        "reason": "当事人长期居住在外地，委托其住所地市场监管所代为送达", "served_at": when},
    "fulfilment_record": lambda when, s, t: {"checked_at": when, "status": "全部履行", "details": "当事人已履行决定"},
    "correction_check": lambda when, s, t: {
        "deadline": s.correction_deadline, "checked_at": when, "result": "已改正", "findings": "复查时已改正"},
}
#: The signatures each kind needs (data/catalogue.yaml): "officer" is one of the handlers in turn.
SIGNERS: dict[str, tuple[tuple[str, str], ...]] = {
    "application_receipt": (("officer", ""), ("party", PARTY)),
    "initiation_form": (("officer", ""), ("approver", "head同志"), ("approver", "leader同志")),
    "inquiry_record": (("officer", ""), ("officer", ""), ("party", PARTY)),
    "test_report": (),
    "rights_notice": (("officer", ""), ("party", PARTY)),
    "legal_review": (("reviewer", "reviewer同志"),),
    "approval_record": (("officer", ""), ("approver", "head同志"), ("approver", "leader同志")),
    "decision_document": (("agency", "本局"),),
    "simplified_record": (("officer", ""), ("officer", ""), ("party", PARTY)),
    "service_receipt_direct": (("recipient", PARTY), ("server", "chen同志")),
    "service_entrusted": (("server", "chen同志"), ("recipient", PARTY)),
    "fulfilment_record": (("officer", ""),),
    "correction_check": (("officer", ""), ("officer", ""), ("party", PARTY)),
}
#: What else a kind's record carries: the officers present (Art. 11), how the rights were told (Art. 12).
OFFICERS_PRESENT = {"inquiry_record", "correction_check"}
RIGHTS_TOLD = {"inquiry_record", "rights_notice"}


def make(t: Team, case: dict[str, Any], kind: str, story: Story) -> str:
    """Record ``kind`` on the case with its values and every signature it needs; return its id."""
    more: dict[str, Any] = {}
    if kind in OFFICERS_PRESENT:
        more["officers"] = [{"user_id": o, "cert_shown": True} for o in t.officers]
    if kind in RIGHTS_TOLD:
        more["rights_method"] = "written"
    made = record(t.a, case["id"], kind, VALUES[kind](case["opened_at"], story, t), **more)
    officers = iter(t.officers)
    for capacity, name in SIGNERS[kind]:
        if capacity == "officer":
            sign(t.a, made, capacity, user_id=next(officers))
        else:
            sign(t.a, made, capacity, name)
    return made
