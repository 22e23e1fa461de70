"""Sample records of every kind of the packaged catalogue, as printed forms (decision 0023): a
value for each field by its type, officers present, a rights notice, signatures, a refusal with
its witness, and approval opinions, so every part of the print template is exercised."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from lawtrail.adapters.catalogue_file import check_packaged
from lawtrail.domain.approvals import ApprovalAction, ApprovalRequest, Decision, Step
from lawtrail.domain.cases import ActionType, Case, Origin, Procedure, Stage
from lawtrail.domain.catalogue import Capacity, Catalogue, FieldSpec, FieldType, RecordKind
from lawtrail.domain.parties import Party, PartyKind
from lawtrail.domain.printing import (
    APPROVAL_STEPS,
    approval_opinions,
    opinions_title,
    printed_fields,
    rights_line,
    signature_blocks,
    version_line,
)
from lawtrail.domain.records import OfficerPresent, RecordVersion, RightsMethod, Signature, SignMethod
from lawtrail.domain.rules.approvals import assemble
from lawtrail.domain.secrecy import Level
from lawtrail.services.record_prints import FormHeader, RecordForm
from tests.unit.factories import T0

CASE_ID = uuid.UUID("00000000-0000-4000-8000-00000000c001")
LONG = ("经查，当事人于2026年11月20日在其经营场所销售超过保质期的面包共计12袋，标价每袋8.50元，货值金额102元。"
        "执法人员现场检查时发现上述食品摆放在货架显著位置，未作任何标示，当事人未能提供进货查验记录。")


def catalogue() -> Catalogue:
    return check_packaged()


def sample_case(secrecy: str = "ordinary") -> Case:
    return Case(id=CASE_ID, bureau_id=uuid.UUID(int=1), unit_id=uuid.UUID(int=2), number="江市监蓬处〔2026〕18号",
                year=2026, serial=18, action_type=ActionType.PENALTY, procedure=Procedure.GENERAL,
                origin=Origin.COMPLAINT, origin_detail="12315平台投诉", complainant_real_name=False,
                complainant_name="", complainant_contact="", name="江门市鲜味食品有限公司销售过期食品案",
                cause="涉嫌销售超过保质期的食品", stage=Stage.INVESTIGATION, opened_at=T0, opened_by="陈志强",
                updated_at=T0, secrecy=secrecy)


def sample_party() -> Party:
    return Party(id=uuid.uuid4(), case_id=CASE_ID, kind=PartyKind.LEGAL_PERSON, name="江门市鲜味食品有限公司",
                 id_number="91440703MA4UXXXX1K", legal_rep="李国华", address="江门市蓬江区建设三路88号",
                 phone="0750-3201234", added_at=T0, added_by="陈志强")


def sample_value(spec: FieldSpec, n: int) -> Any:
    t = spec.type
    if t is FieldType.TEXT:
        return f"示例{spec.label}{n}"[: spec.max_len or 200]
    if t is FieldType.LONG_TEXT:
        if spec.id == "content":
            return ("问：你是否知道店内销售的面包已超过保质期？\n答：不知道，是店员上架时没有检查。\n"
                    "问：这批面包进了多少？\n答：一共20袋，卖了8袋。")
        return LONG
    if t is FieldType.DATETIME:
        return (T0 + timedelta(hours=1, minutes=n)).isoformat(timespec="minutes")
    if t is FieldType.DATE:
        return "2026-11-26"
    if t is FieldType.NUMBER:
        return spec.minimum if spec.minimum is not None and spec.minimum > 0 else 3
    if t is FieldType.CHOICE:
        return spec.options[0]
    if t is FieldType.MULTI_CHOICE:
        return list(spec.options[:2])
    if t is FieldType.PEOPLE:
        return ["陈志强", "黄伟明", "李国华"]
    return True


def sample_version(kind: RecordKind, version: int = 1, **over: Any) -> RecordVersion:
    values = {f.id: sample_value(f, i) for i, f in enumerate(kind.fields)}
    officers = (OfficerPresent(uuid.uuid4(), "陈志强", "44070012345", True),
                OfficerPresent(uuid.uuid4(), "黄伟明", "44070012346", True)) if kind.officers else ()
    base = dict(id=uuid.uuid4(), record_id=uuid.UUID(int=99), version=version, case_id=CASE_ID, stage=kind.stages[0],
                kind_id=kind.id, kind_name=kind.name, catalogue_version=1, values=values, officers=officers,
                rights_method=RightsMethod.ORAL_AND_WRITTEN if kind.rights_notice else None, av_media_ids=(),
                av_waiver="现场光线不足，已用文字记录" if kind.av.value == "required" else "",
                reason="更正当事人名称" if version > 1 else "", created_at=T0 + timedelta(hours=2),
                actor_id=None, actor_name="陈志强")
    base.update(over)
    return RecordVersion(**base)


def sample_signatures(kind: RecordKind, v: RecordVersion) -> list[Signature]:
    """The first signer signs; an outsider who may refuse refuses with a witness."""
    out = []
    for i, spec in enumerate(kind.signers):
        refused = spec.capacity in (Capacity.PARTY, Capacity.RECIPIENT)
        out.append(Signature(id=uuid.uuid4(), record_id=v.record_id, record_version=v.version,
                             capacity=spec.capacity, signer_name="李国华" if refused else "陈志强", signer_user_id=None,
                             refused=refused, method=None if refused else SignMethod.ELECTRONIC,
                             signed_at=T0 + timedelta(hours=3, minutes=i), scan_id=None,
                             refusal_reason="认为处罚过重，拒绝签名" if refused else "",
                             witness_name="王建国" if refused else "",
                             witness_org="建设三路社区居委会" if refused else "",
                             recorded_at=T0 + timedelta(hours=3, minutes=i), actor_id=None, actor_name="陈志强"))
    return out


def sample_opinions(kind: RecordKind) -> list[Any]:
    step = APPROVAL_STEPS.get(kind.id)
    if step is None:
        return []
    req = ApprovalRequest(id=uuid.uuid4(), case_id=CASE_ID, step=step, submitted_by=uuid.uuid4(),
                          submitted_by_name="陈志强", submitted_at=T0)
    actions = [ApprovalAction(uuid.uuid4(), req.id, 0, uuid.uuid4(), "陈志强", Decision.SUBMIT, "建议立案调查", T0)]
    if step is not Step.DISCUSSION:
        actions.append(ApprovalAction(uuid.uuid4(), req.id, 1, uuid.uuid4(), "刘科长", Decision.APPROVE,
                                      "同意立案，由陈志强、黄伟明承办", T0 + timedelta(hours=1)))
    return approval_opinions(assemble([req], actions)[-1])


def sample_form(kind: RecordKind, *, version: int = 1, secrecy: str = "ordinary", signed: bool = True,
                **over: Any) -> RecordForm:
    v = sample_version(kind, version, **over)
    sigs = sample_signatures(kind, v) if signed else []
    head = FormHeader(bureau_name="江门市市场监督管理局", unit_name="蓬江分局执法一队", case=sample_case(secrecy),
                      parties=[sample_party()], level=Level(secrecy), printed_at=T0 + timedelta(hours=5),
                      printed_by="陈志强")
    return RecordForm(head=head, kind=kind, version=v, fields=printed_fields(kind, v),
                      blocks=signature_blocks(kind, v, sigs), rights=rights_line(v), version_line=version_line(v),
                      opinions=sample_opinions(kind), opinions_title=opinions_title(kind))
