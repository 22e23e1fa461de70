"""Builders of the demo's records, one per record kind of the catalogue, so the demo cases read
as what happened rather than as field lists. Each returns a ``DemoRecord`` signed as the kind
asks (officers, the party, the agency's seal …) unless told otherwise; ``NOW`` / ``TODAY`` /
``IN_15_DAYS`` are filled in with the time the record is made."""

from __future__ import annotations

from typing import Any

from lawtrail.services.demo_records import IN_15_DAYS, NOW, TODAY, YESTERDAY, DemoRecord

AGENCY = "江门市市场监督管理局"
REMEDIES = "如不服本决定，可在收到本决定书之日起六十日内申请行政复议，或者六个月内提起行政诉讼"

__all__ = ["AGENCY", "IN_15_DAYS", "NOW", "TODAY", "YESTERDAY"]


def receipt(applicant: str, signer: str, handler: str, materials: str, decision: str = "受理",
            number: str = "") -> DemoRecord:
    """申请材料接收凭证（受理回执）, Art. 8."""
    return DemoRecord("application_receipt", "initiation",
                      {"applicant": applicant, "received_at": NOW, "materials": materials, "decision": decision,
                       "receipt_number": number},
                      signers=(("officer", handler), ("party", signer)))


def initiation_form(handler: str, head: str, reason: str, party_info: str, materials: tuple[str, ...],
                    approved: bool = True) -> DemoRecord:
    """程序启动表（立案审批表）, Art. 9: signed by the handler, then the unit head and the leader."""
    approvers = (("approver", head), ("approver", "leader")) if approved else ()
    return DemoRecord("initiation_form", "initiation",
                      {"start_reason": reason, "party_info": party_info, "handler_opinion": "建议立案调查",
                       "unit_opinion": "同意立案",
                       "leader_opinion": "同意" if approved else "（紧急先行启动，待补报审批）",
                       "source_materials": list(materials)},
                      signers=(("officer", handler), *approvers))


def inquiry(officers: tuple[str, str], place: str, person: str, content: str, *, role: str = "当事人",
            not_shown: tuple[str, ...] = ()) -> DemoRecord:
    """询问笔录, Art. 11–13: two officers, the rights told orally and in writing, signed by all."""
    return DemoRecord("inquiry_record", "investigation",
                      {"place": place, "started_at": NOW, "ended_at": NOW, "person": person, "person_role": role,
                       "recusal": "no", "content": content},
                      officers=officers, not_shown=not_shown, rights_method="oral_and_written",
                      signers=(("officer", officers[0]), ("officer", officers[1]), ("party", person)))


def site(officers: tuple[str, str], place: str, present: str, findings: str, party: str | None, *,
         photo: bool = True, waiver: str = "", measures: str = "") -> DemoRecord:
    """现场检查（勘验）笔录, Art. 11–14: filmed (a photo linked) or the reason why not; ``party``
    None: the party has not signed."""
    values: dict[str, Any] = {"place": place, "started_at": NOW, "ended_at": NOW, "present": present,
                              "findings": findings}
    if measures:
        values["measures"] = measures
    signers = (("officer", officers[0]), ("officer", officers[1]), *((("party", party),) if party else ()))
    return DemoRecord("site_inspection_record", "investigation", values, officers=officers, rights_method="oral",
                      photo=photo, av_waiver=waiver, signers=signers)


def preservation(officers: tuple[str, str], reason: str, items: str, form: str, place: str, party: str, *,
                 photo: bool = True, waiver: str = "") -> DemoRecord:
    """证据登记保存清单, Art. 15: reason, object and form, in text and on AV."""
    return DemoRecord("evidence_register_list", "investigation",
                      {"reason": reason, "items": items, "form": form, "place": place, "started_at": NOW,
                       "period_days": 7},
                      officers=officers, photo=photo, av_waiver=waiver,
                      signers=(("officer", officers[0]), ("officer", officers[1]), ("party", party)))


def rights(handler: str, party: str, *, hearing: bool = False, stage: str = "investigation") -> DemoRecord:
    """权利告知书, Art. 12: delivered in writing and signed for by the party."""
    told = ["陈述", "申辩", "申请回避", *(["听证"] if hearing else [])]
    return DemoRecord("rights_notice", stage,
                      {"notified_at": NOW, "rights": told, "deadline_days": 5 if hearing else 3,
                       "content": "告知当事人拟作出决定的事实、理由及依据，并告知其依法享有的权利"},
                      rights_method="written", signers=(("officer", handler), ("party", party)))


def legal_review(opinion: str = "事实清楚，证据确凿，适用法律正确，程序合法",
                 advice: str = "建议按一般情形裁量") -> DemoRecord:
    """法制审核意见书, Art. 16, signed by the legal reviewer."""
    values = {"reviewers": ["梁淑仪"], "reviewed_at": NOW, "opinion": opinion, **({"advice": advice} if advice else {})}
    return DemoRecord("legal_review", "review", values, signers=(("reviewer", "reviewer"),))


def approval(handler: str, head: str, matter: str) -> DemoRecord:
    """审批记录（审批表）, Art. 19: the handler's, the unit's and the agency head's opinions."""
    return DemoRecord("approval_record", "review",
                      {"matter": matter, "handler_opinion": "事实清楚、证据确凿，建议作出决定", "unit_opinion": "同意",
                       "head_opinion": "同意，按程序办理", "approved_at": NOW},
                      signers=(("officer", handler), ("approver", head), ("approver", "leader")))


def decision(number: str, facts: str, decided: str, legal_basis: str, *, final: bool = True,
             correction_deadline: str = "") -> DemoRecord:
    """行政执法决定书, Art. 20, sealed by the agency; an ordered correction has its deadline (Art. 28)."""
    values: dict[str, Any] = {"document_number": number, "decided_at": NOW, "facts": facts,
                              "reasons": "当事人的行为违反了相关规定，事实清楚，证据确凿", "legal_basis": legal_basis,
                              "decision": decided,
                              "remedies": REMEDIES,
                              "final_document": final}
    if correction_deadline:
        values["correction_deadline"] = correction_deadline
    return DemoRecord("decision_document", "review", values, signers=(("agency", AGENCY),))


def served(document: str, place: str, signer: str, relation: str, server: str, *,
           recipient_signed: bool = True) -> DemoRecord:
    """送达回证（直接送达）, Art. 21–22: signed for by the recipient and by the server."""
    signers = ((("recipient", signer),) if recipient_signed else ()) + (("server", server),)
    return DemoRecord("service_receipt_direct", "service",
                      {"document": document, "served_at": NOW, "place": place, "signer_name": signer,
                       "signer_relation": relation}, signers=signers)


def fulfilment(handler: str, status: str, details: str) -> DemoRecord:
    """履行情况记录, Art. 28."""
    return DemoRecord("fulfilment_record", "execution", {"checked_at": NOW, "status": status, "details": details},
                      signers=(("officer", handler),))


def general(handler: str, head: str, party: str, number: str, facts: str, decided: str, basis: str, *,
            rights_notice: bool = True, review: bool = True, final: bool = True,
            correction_deadline: str = "") -> tuple[DemoRecord, ...]:
    """What review & decision of a general procedure makes: the rights notice (when the action
    type asks for one, Art. 12), the legal review (Art. 16), the approval and the decision."""
    out: list[DemoRecord] = []
    if rights_notice:
        out.append(rights(handler, party, stage="review"))
    if review:
        out.append(legal_review())
    out.append(approval(handler, head, f"拟作出决定：{decided[:40]}"))
    out.append(decision(number, facts, decided, basis, final=final, correction_deadline=correction_deadline))
    return tuple(out)
