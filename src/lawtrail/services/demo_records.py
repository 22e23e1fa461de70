"""Demo records on two demo cases, made through the record services (each step in the trail): an
initiation form, an inquiry record signed by both officers with the party's refusal witnessed
(Art. 13), a site inspection whose AV record was waived with a reason and whose party has not
signed yet (a gap the checklist shows), and a legal review on the case at review & decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lawtrail.domain.cases import CaseFilter
from lawtrail.domain.org import BUREAU_TZ, User
from lawtrail.services import records
from lawtrail.services.context import Ctx
from lawtrail.services.ports import BlobStore, CatalogueSource, UnitOfWork


@dataclass(frozen=True)
class DemoRecord:
    case_name: str
    kind_id: str
    stage: str
    values: dict[str, Any]
    officers: tuple[str, ...] = ()
    rights_method: str = ""
    av_waiver: str = ""
    signers: tuple[tuple[str, str], ...] = ()  # (capacity, username or name)
    refusals: tuple[tuple[str, str, str, str], ...] = ()  # (capacity, name, reason, witness)


FOOD = "江门市蓬江区鲜味食品商行销售过期食品案"
ADS = "江门市华强电器有限公司虚假宣传案"
NOW = "{now}"  # replaced by the loading time (bureau clock, minutes)
INITIATION = {"start_reason": "王女士实名投诉该商行销售过期面包，经初步核查属实",
              "party_info": "江门市蓬江区鲜味食品商行，个体工商户，经营者李国强",
              "handler_opinion": "建议立案调查", "unit_opinion": "同意立案", "leader_opinion": "同意",
              "source_materials": ["投诉材料", "已核查获取的证据"]}

DEMO_RECORDS: list[DemoRecord] = [
    DemoRecord(FOOD, "initiation_form", "initiation", INITIATION, signers=(("officer", "officer"),)),
    DemoRecord(FOOD, "inquiry_record", "investigation",
               {"place": "江门市蓬江区建设三路88号", "started_at": NOW, "ended_at": NOW, "person": "李国强",
                "person_role": "当事人", "recusal": "no",
                "content": "问：货架上保质期至11月20日的面包是否由你店销售？\n答：是，店员没有及时下架。"},
               officers=("officer", "unithead"), rights_method="oral_and_written",
               signers=(("officer", "officer"), ("officer", "unithead")),
               refusals=(("party", "李国强", "对笔录无异议，但拒绝签名", "陈社区（建设三路社区居委会）"),)),
    DemoRecord(FOOD, "site_inspection_record", "investigation",
               {"place": "鲜味食品商行仓库", "started_at": NOW, "ended_at": NOW, "present": "李国强\n店员小张",
                "findings": "仓库货架发现超过保质期的面包12袋、牛奶6盒"},
               officers=("officer", "unithead"), rights_method="oral",
               av_waiver="执法记录仪JM-ZFJLY-005送修，现场以照片记录（第十四条但书）",
               signers=(("officer", "officer"), ("officer", "unithead"))),
    DemoRecord(ADS, "legal_review", "review",
               {"reviewers": "法制审核员", "reviewed_at": NOW,
                "opinion": "事实清楚，证据确凿，适用法律正确，程序合法", "advice": "建议按一般情形裁量"}),
]
#: The ledger events the demo records write (one per record, signature and refusal).
EVENTS = sum(1 + len(r.signers) + len(r.refusals) for r in DEMO_RECORDS)


def load_records(uow: Callable[[], UnitOfWork], ctx: Callable[[], Ctx], source: CatalogueSource,
                 blobs: BlobStore, people: dict[str, User]) -> int:
    """Make the demo records on the demo cases (found by name); return how many."""
    first = ctx()
    with uow() as u:
        assert first.actor.bureau_id is not None
        found, _ = u.cases.search(first.actor.bureau_id, None, CaseFilter(), offset=0, limit=500)
    by_name = {c.name: c for c in found}
    for demo in DEMO_RECORDS:
        case = by_name[demo.case_name]
        now = ctx().now.astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M")
        values = {k: (now if v == NOW else v) for k, v in demo.values.items()}
        data = records.RecordInput(values=values, officers=[records.OfficerInput(people[o].id, True)
                                                            for o in demo.officers],
                                   rights_method=demo.rights_method, av_waiver=demo.av_waiver)
        made = records.create_record(uow(), ctx(), source, case.id, kind_id=demo.kind_id, data=data,
                                     stage=demo.stage)
        for capacity, who in demo.signers:
            person = people.get(who)
            records.sign_record(uow(), ctx(), blobs, made.record_id, records.SignatureInput(
                capacity=capacity, signer_user_id=person.id if person else None,
                signer_name="" if person else who, method="electronic"))
        for capacity, name, reason, witness in demo.refusals:
            records.refuse_signature(uow(), ctx(), blobs, made.record_id, records.RefusalInput(
                capacity=capacity, signer_name=name, reason=reason, witness_name=witness))
    return len(DEMO_RECORDS)

