"""What a new record's form may take from what the case already holds, so an officer does not
type again — or invent — what others already said in the system.

The paper forms of 立案审批表 (Art. 9), 法制审核意见书 (Art. 16), 集体讨论记录 (Art. 18) and
审批记录 (Art. 19) carry the opinions of an approval chain that the approvers gave themselves
on the case page. A new record of such a kind starts with those opinions (the latest round of
the latest request of the matching step), the reviewers' or participants' names and the time;
the 立案审批表 also starts with the parties' basic facts. The officer may still change every
value before saving: this is a starting point, not a record.

Pure: values are returned as the record form's field values (``values.<field id>``); date-times
in the bureau's time as ``YYYY-MM-DDTHH:MM`` (a ``datetime-local`` value).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from lawtrail.domain.approvals import Approval, ApprovalAction, Decision, Status, Step
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.parties import PARTY_KIND_LABELS, Party, PartyKind

#: The approval step whose opinions each record kind carries, and the field of each opinion level.
OPINION_FIELDS: dict[str, tuple[Step, dict[int, str]]] = {
    "initiation_form": (Step.INITIATION, {0: "handler_opinion", 1: "unit_opinion", 2: "leader_opinion"}),
    "approval_record": (Step.DECISION, {0: "handler_opinion", 1: "unit_opinion", 2: "head_opinion"}),
    "legal_review": (Step.LEGAL_REVIEW, {1: "opinion"}),
    "collective_discussion": (Step.DISCUSSION, {0: "conclusion"}),
}


def _local(at: datetime) -> str:
    return at.astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M")


def latest_round(approval: Approval) -> list[ApprovalAction]:
    """The actions since the latest submission (a returned request resubmitted starts anew)."""
    starts = [i for i, a in enumerate(approval.actions) if a.level == 0 and a.decision is not Decision.WITHDRAW]
    return list(approval.actions[starts[-1]:]) if starts else []


def party_facts(parties: Sequence[Party]) -> str:
    """The parties' basic facts, one line each (当事人基本情况)."""
    lines = []
    for p in parties:
        number = "统一社会信用代码" if p.kind is not PartyKind.CITIZEN else "身份证号码"
        parts = [f"{p.name}（{PARTY_KIND_LABELS[p.kind]}）", f"{number} {p.id_number}"]
        if p.legal_rep:
            parts.append(f"法定代表人（负责人）{p.legal_rep}")
        if p.address:
            parts.append(f"地址 {p.address}")
        if p.phone:
            parts.append(f"电话 {p.phone}")
        lines.append("，".join(parts))
    return "\n".join(lines)


def prefill(kind_id: str, approvals: Sequence[Approval], parties: Sequence[Party],
            names: Mapping[UUID, str]) -> dict[str, str]:
    """The starting values of a new record of ``kind_id`` (empty for other kinds). ``approvals``:
    the case's approval requests, oldest first; ``names``: people by id (discussion participants)."""
    out: dict[str, str] = {}
    if kind_id == "initiation_form" and parties:
        out["values.party_info"] = party_facts(parties)
    if kind_id not in OPINION_FIELDS:
        return out
    step, fields = OPINION_FIELDS[kind_id]
    mine = [a for a in approvals if a.request.step is step and a.state.status is not Status.WITHDRAWN]
    if not mine:
        return out
    approval = mine[-1]
    given = latest_round(approval)
    for action in given:
        field = fields.get(action.level)
        if field and action.decision in (Decision.SUBMIT, Decision.APPROVE) and action.opinion:
            out[f"values.{field}"] = action.opinion
    reviews = [a for a in given if a.level >= 1 and a.decision is Decision.APPROVE]
    if kind_id == "legal_review" and reviews:
        out["values.reviewers"] = "\n".join(dict.fromkeys(a.actor_name for a in reviews))
        out["values.reviewed_at"] = _local(reviews[-1].at)
        if reviews[-1].advice:
            out["values.advice"] = reviews[-1].advice
    if kind_id == "collective_discussion":
        out["values.participants"] = "\n".join(names.get(p, "") for p in approval.request.participants
                                               if names.get(p))
    if kind_id == "approval_record" and approval.state.status is Status.APPROVED and reviews:
        out["values.approved_at"] = _local(reviews[-1].at)
    return out
