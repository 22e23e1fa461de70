"""Demo cases for 江门市市场监督管理局: a realistic handful across the seven action types and the
six stages, opened and moved through the case services (so each step is in the trail). Some
show the rules at work: a unit with one certified officer cannot start investigating, a
real-name complaint that was not taken up, an anonymous report, an emergency start whose
approval is due within 24 hours (Art. 9), a decision waiting for the leader and a legal review
waiting for the reviewer, a collective discussion one participant never signed (Art. 18).

Each gated move is preceded by its approval, given by the people themselves (Art. 9, 19): a
handler submits, the unit's head and the leader approve."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from uuid import UUID

from lawtrail.domain.access import Role
from lawtrail.domain.approvals import Step
from lawtrail.domain.cases import Case
from lawtrail.domain.org import User
from lawtrail.domain.parties import PartyInput, id_check_char, uscc_check_char
from lawtrail.services import approvals, cases, serving
from lawtrail.services.case_input import CaseDetails
from lawtrail.services.context import Ctx
from lawtrail.services.ports import BlobStore, CatalogueSource, UnitOfWork
from lawtrail.services.users import actor_for


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
    emergency: str = ""  # started in an emergency with this reason; the approval is still to come
    review_pending: bool = False  # ends with a legal review and a decision approval waiting
    unsigned_discussion: bool = False  # a collective discussion one participant did not sign

    @property
    def needs_initiation(self) -> bool:
        return self.details.procedure == "general" and self.details.origin != "application"

    @property
    def events(self) -> int:
        """How many trail events loading this case makes."""
        n = 1 + len(self.stages) + bool(self.close) + bool(self.emergency)
        n += 3 * sum(1 for s in self.stages if self.gated(s))
        n += serving.EVENTS * any(s in self.stages for s in ("execution", "archive"))
        return n + 3 * self.review_pending + 3 * self.unsigned_discussion

    def gated(self, stage: str) -> bool:
        general = self.details.procedure == "general"
        return (stage == "investigation" and self.needs_initiation and not self.emergency) or (
            stage == "service" and general)


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
             ("officer", "unithead"), ("investigation",),
             emergency="当事人正在转移、销毁涉案过期食品，证据可能灭失，先行启动调查"),
    DemoCase("ZFJCK", _d("penalty", "inspection", "江门市华强电器有限公司虚假宣传案",
                         "涉嫌发布虚假广告，宣传产品节能效果不实"),
             _org("江门市华强电器有限公司", "91440700MA51XQ2R3", "黄志华", "江门市江海区高新东路12号"),
             ("unithead", "officer"), ("investigation", "review"), review_pending=True),
    DemoCase("ZFJCK", _d("penalty", "inspection", "个体户陈某未明码标价案", "现场检查发现所售水果未明码标价",
                         procedure="simplified"),
             PartyInput(kind="citizen", name="陈某某", id_number=id_number("44070319850612003"),
                        address="江门市蓬江区农林市场12号档", phone="13800138000"),
             ("officer", "unithead"), ("review", "service", "execution", "archive")),
    DemoCase("SPK", _d("inspection", "inspection", "江门市悦来餐饮管理有限公司食品安全日常监督检查",
                       "2026年度食品安全日常监督检查"),
             _org("江门市悦来餐饮管理有限公司", "91440703MA4UR7T59", "梁悦", "江门市蓬江区港口路33号"),
             ("officer2", "dengzhihua"), ("investigation", "review", "service"), unsigned_discussion=True),
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
               people: dict[str, User], source: CatalogueSource, blobs: BlobStore) -> int:
    """Open and move the demo cases (a fresh unit of work and context per step); a case leaving
    送达 first gets its decision served directly on the party (Art. 21); return how many."""
    for demo in DEMO_CASES:
        case = cases.open_case(uow(), ctx(), unit_id=units[demo.unit], details=demo.details, parties=[demo.party],
                               handler_ids=[people[h].id for h in demo.handlers])
        flow = _Flow(uow, ctx, people, case, demo)
        if demo.emergency:
            flow.submit(Step.INITIATION, "当事人涉嫌销售过期食品且正在转移，建议立即立案调查",
                        emergency=True, emergency_reason=demo.emergency)
        for stage in demo.stages:
            if demo.gated(stage):
                flow.chain(Step.INITIATION if stage == "investigation" else Step.DECISION)
            if stage == "service" and demo.unsigned_discussion:
                flow.discussion()
            if stage in ("execution", "archive") and case.stage.value == "service":
                serving.serve_directly(uow, ctx, source, blobs, case.id, document=f"{demo.details.name}行政执法决定书",
                                       place=demo.party.address or "当事人住所", signer_name=demo.party.legal_rep
                                       or demo.party.name, relation="法定代表人" if demo.party.legal_rep
                                       else "受送达人本人")
            case = cases.advance_stage(uow(), ctx(), case.id, to=stage)
        if demo.review_pending:
            flow.submit(Step.LEGAL_REVIEW, "拟对当事人作出罚款的行政处罚，请予法制审核")
            flow.chain(Step.DECISION, levels=1)
        if demo.close:
            cases.close_case(uow(), ctx(), case.id, reason=demo.close)
    return len(DEMO_CASES)


class _Flow:
    """The approvals of one demo case, each given by the person whose opinion it is."""

    def __init__(self, uow: Callable[[], UnitOfWork], ctx: Callable[[], Ctx], people: dict[str, User],
                 case: Case, demo: DemoCase) -> None:
        self.uow, self.ctx, self.case = uow, ctx, case
        heads = [u for u in people.values() if Role.UNIT_HEAD in u.roles and u.unit_id == case.unit_id]
        self.leader = next(u for u in people.values() if Role.LEADER in u.roles)
        self.reviewer = next(u for u in people.values() if Role.LEGAL_REVIEWER in u.roles)
        self.handler = next(people[h] for h in demo.handlers if people[h] not in heads)
        self._heads = heads

    @property
    def head(self) -> User:
        """The unit's head (the demo gives every unit whose cases are approved one)."""
        return self._heads[0]

    def as_(self, user: User) -> Ctx:
        return replace(self.ctx(), actor=actor_for(user))

    def submit(self, step: Step, opinion: str, **more: object) -> UUID:
        return approvals.submit(self.uow(), self.as_(self.handler), self.case.id, step=step, opinion=opinion,
                                **more).request.id  # type: ignore[arg-type]

    def chain(self, step: Step, levels: int = 2) -> None:
        opinion = "事实清楚，建议立案调查" if step is Step.INITIATION else "事实清楚、证据确凿，拟作出决定"
        request_id = self.submit(step, opinion)
        for who, text in ((self.head, "同意"), (self.leader, "同意，按程序办理"))[:levels]:
            approvals.act(self.uow(), self.as_(who), request_id, decision="approve", opinion=text)

    def discussion(self) -> None:
        request_id = self.submit(Step.DISCUSSION, "经集体讨论，同意责令改正并予以警告",
                                 participants=[self.head.id, self.leader.id, self.reviewer.id])
        for who in (self.head, self.leader):  # the legal reviewer never signed (ART18)
            approvals.act(self.uow(), self.as_(who), request_id, decision="approve", opinion="同意")
