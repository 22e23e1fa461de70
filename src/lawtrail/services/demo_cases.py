"""Demo cases for 江门市市场监督管理局: a realistic handful across the seven action types and the
six stages, opened and moved through the case services (so each step is in the trail). Some
show the rules at work: a unit with one certified officer cannot start investigating, a
real-name complaint that was not taken up, an anonymous report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from lawtrail.domain.org import User
from lawtrail.domain.parties import PartyInput, id_check_char, uscc_check_char
from lawtrail.services import cases
from lawtrail.services.case_input import CaseDetails
from lawtrail.services.context import Ctx
from lawtrail.services.ports import UnitOfWork


def credit_code(body: str) -> str:
    """A unified social credit code with a correct check character (demo data only)."""
    return body + uscc_check_char(body)


def id_number(body: str) -> str:
    """A resident ID number with a correct check character (demo data only)."""
    return body + id_check_char(body)


@dataclass(frozen=True)
class DemoCase:
    unit: str
    details: CaseDetails
    party: PartyInput
    handlers: tuple[str, ...]
    stages: tuple[str, ...] = ()
    close: str = ""


def _d(action: str, origin: str, name: str, cause: str, procedure: str = "general", **more: object) -> CaseDetails:
    return CaseDetails(action_type=action, procedure=procedure, origin=origin, name=name, cause=cause,
                       **more)  # type: ignore[arg-type]


def _org(name: str, code: str, rep: str, address: str, phone: str = "") -> PartyInput:
    return PartyInput(kind="legal_person", name=name, id_number=credit_code(code), legal_rep=rep, address=address,
                      phone=phone)


DEMO_CASES: list[DemoCase] = [
    DemoCase("ZFJCK", _d("penalty", "complaint", "江门市蓬江区鲜味食品商行销售过期食品案", "涉嫌销售超过保质期的食品",
                         complainant_real_name=True, complainant_name="王女士", complainant_contact="13902221234"),
             _org("江门市蓬江区鲜味食品商行", "92440703MA4W2K8L1", "李国强", "江门市蓬江区建设三路88号",
                  "0750-3221234"),
             ("officer", "unithead"), ("investigation",)),
    DemoCase("ZFJCK", _d("penalty", "inspection", "江门市华强电器有限公司虚假宣传案",
                         "涉嫌发布虚假广告，宣传产品节能效果不实"),
             _org("江门市华强电器有限公司", "91440700MA51XQ2R3", "黄志华", "江门市江海区高新东路12号"),
             ("unithead", "officer"), ("investigation", "review")),
    DemoCase("ZFJCK", _d("penalty", "inspection", "个体户陈某未明码标价案", "现场检查发现所售水果未明码标价",
                         procedure="simplified"),
             PartyInput(kind="citizen", name="陈某某", id_number=id_number("44070319850612003"),
                        address="江门市蓬江区农林市场12号档", phone="13800138000"),
             ("officer", "unithead"), ("review", "service", "execution", "archive")),
    DemoCase("SPK", _d("inspection", "inspection", "江门市悦来餐饮管理有限公司食品安全日常监督检查",
                       "2026年度食品安全日常监督检查"),
             _org("江门市悦来餐饮管理有限公司", "91440703MA4UR7T59", "梁悦", "江门市蓬江区港口路33号"),
             ("officer2", "dengzhihua"), ("investigation", "review", "service")),
    DemoCase("TSK", _d("coercion", "referral", "江门市顺达物流有限公司电梯未经定期检验查封案",
                       "在用电梯未经定期检验继续使用", origin_detail="江门市应急管理局移送（江应急移〔2026〕8号）"),
             _org("江门市顺达物流有限公司", "91440704MA52HY6K2", "区顺达", "江门市江海区五邑路200号"),
             ("zhangjunjie", "yuzhenyu"), ("investigation", "review", "service", "execution")),
    DemoCase("SPK", _d("licensing", "application", "江门市麦香烘焙坊食品经营许可", "申请食品经营许可（热食类食品制售）",
                       origin_detail="受理编号 JY2026-0417"),
             _org("江门市麦香烘焙坊", "92440703MA4X9P2Q7", "麦小梅", "江门市蓬江区胜利路5号"),
             ("officer2", "dengzhihua")),
    DemoCase("ZFZD", _d("adjudication", "application", "江门市新会区美嘉家具有限公司专利侵权纠纷行政裁决",
                        "请求认定被请求人生产的沙发侵犯外观设计专利权"),
             _org("江门市新会区美嘉家具有限公司", "91440705MA53KD1W8", "谭美嘉", "江门市新会区会城今古洲路3号"),
             ("tanmeiling", "ouyongkang"), ("investigation",)),
    DemoCase("SPK", _d("registration", "application", "江门市蓬江区阿婆手工粉作坊食品小作坊登记",
                       "申请食品小作坊登记"),
             _org("江门市蓬江区阿婆手工粉作坊", "92440703MA4YB3N20", "何阿婆", "江门市蓬江区堤东路17号"),
             ("officer2",)),
    DemoCase("HSJD", _d("confirmation", "assignment", "环市街道某某商铺经营场所安全状况确认",
                        "上级交办：核实经营场所安全状况", origin_detail="市局交办单 江市监办〔2026〕15号"),
             _org("江门市蓬江区惠民百货商店", "92440703MA4T6C1H5", "冯惠民", "江门市蓬江区环市一路9号"),
             ("fengjiaxin",)),  # 甄文杰 has no certificate: this case cannot start investigating (Art. 5)
    DemoCase("ZFJCK", _d("penalty", "complaint", "匿名举报某某药店无证经营案", "举报称某药店无证经营",
                         complainant_real_name=False),
             _org("江门市百姓大药房有限公司", "91440700MA4W8Q3T6", "周百姓", "江门市蓬江区跃进路21号"),
             ("officer", "unithead"), close="经现场核查，该药店持有有效许可证，举报事项不属实，不予立案"),
]


def load_cases(uow: Callable[[], UnitOfWork], ctx: Callable[[], Ctx], units: dict[str, UUID],
               people: dict[str, User]) -> int:
    """Open and move the demo cases (a fresh unit of work and context per step); return how many."""
    for demo in DEMO_CASES:
        case = cases.open_case(uow(), ctx(), unit_id=units[demo.unit], details=demo.details, parties=[demo.party],
                               handler_ids=[people[h].id for h in demo.handlers])
        for stage in demo.stages:
            cases.advance_stage(uow(), ctx(), case.id, to=stage)
        if demo.close:
            cases.close_case(uow(), ctx(), case.id, reason=demo.close)
    return len(DEMO_CASES)
