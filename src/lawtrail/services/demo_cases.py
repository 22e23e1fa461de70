"""How the demo cases are loaded: each is opened and moved through the case services, its
records made at each stage while the case is there, and each gated move preceded by its
approval, given by the people themselves (Art. 9, 19): a handler submits, the unit's head and
the leader approve. Every step is the service's own transaction and trail event.

The cases themselves (and which rules some of them break on purpose) are data in
``demo_scenarios``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from uuid import UUID

from lawtrail.domain.access import Role
from lawtrail.domain.approvals import Step
from lawtrail.domain.cases import Case
from lawtrail.domain.org import User
from lawtrail.domain.parties import PartyInput, id_check_char, uscc_check_char
from lawtrail.domain.records import RecordVersion
from lawtrail.services import approvals, cases
from lawtrail.services.case_input import CaseDetails
from lawtrail.services.context import Ctx
from lawtrail.services.demo_records import DemoRecord, RecordMaker, photo_folder
from lawtrail.services.ports import BlobStore, CatalogueSource, MediaProbe, UnitOfWork
from lawtrail.services.users import actor_for


def credit_code(body: str) -> str:
    """A unified social credit code with a correct check character (demo data only)."""
    return body + uscc_check_char(body)


def id_number(body: str) -> str:
    """A resident ID number with a correct check character (demo data only)."""
    return body + id_check_char(body)


@dataclass(frozen=True)
class DemoCase:
    """One demo case: where it is opened, who handles it, the stages it moves to (in order), the
    records made at each stage, and how it ends.

    ``emergency``: started in an emergency with this reason, the approval still to come;
    ``review_pending``: ends with a legal review and a decision approval waiting;
    ``unsigned_discussion``: a collective discussion one participant did not sign (Art. 18)."""

    unit: str
    details: CaseDetails
    party: PartyInput
    handlers: tuple[str, ...]
    stages: tuple[str, ...] = ()
    records: tuple[DemoRecord, ...] = ()
    close: str = ""
    emergency: str = ""
    review_pending: bool = False
    unsigned_discussion: bool = False
    initiation_pending: bool = False  # ends at initiation with its approval waiting for the leader

    @property
    def name(self) -> str:
        return self.details.name

    @property
    def last_stage(self) -> str:
        """Where the case ends up (a closed case is at the archive stage)."""
        return "archive" if self.close else (self.stages[-1] if self.stages else "initiation")

    @property
    def needs_initiation(self) -> bool:
        return self.details.procedure == "general" and self.details.origin != "application"

    @property
    def events(self) -> int:
        """How many trail events loading this case makes."""
        n = 1 + len(self.stages) + bool(self.close) + bool(self.emergency)
        n += 3 * sum(1 for s in self.stages if self.gated(s))
        n += sum(r.events for r in self.records)
        n += 3 * self.review_pending + 3 * self.unsigned_discussion + 2 * self.initiation_pending
        return n

    def gated(self, stage: str) -> bool:
        general = self.details.procedure == "general"
        return (stage == "investigation" and self.needs_initiation and not self.emergency) or (
            stage == "service" and general)

    def at(self, stage: str) -> list[DemoRecord]:
        return [r for r in self.records if (r.made_at or r.stage) == stage]


def load_cases(uow: Callable[[], UnitOfWork], ctx: Callable[[], Ctx], units: dict[str, UUID],
               people: dict[str, User], source: CatalogueSource, blobs: BlobStore, probe: MediaProbe,
               demo_cases: list[DemoCase]) -> int:
    """Open and move ``demo_cases`` (a fresh unit of work and context per step); return how many."""
    with photo_folder() as folder:
        maker = RecordMaker(uow, ctx, source, blobs, probe, people, Path(folder))
        for demo in demo_cases:
            _load_one(uow, ctx, units, people, maker, demo)
    return len(demo_cases)


def _load_one(uow: Callable[[], UnitOfWork], ctx: Callable[[], Ctx], units: dict[str, UUID],
              people: dict[str, User], maker: RecordMaker, demo: DemoCase) -> None:
    case = cases.open_case(uow(), ctx(), unit_id=units[demo.unit], details=demo.details, parties=[demo.party],
                           handler_ids=[people[h].id for h in demo.handlers])
    flow = _Flow(uow, ctx, people, case, demo)
    made: list[tuple[RecordVersion, DemoRecord]] = []
    if demo.emergency:
        flow.submit(Step.INITIATION, "当事人涉嫌违法且证据可能灭失，建议立即立案调查",
                    emergency=True, emergency_reason=demo.emergency)
    for stage in ("initiation", *demo.stages):
        if stage != "initiation":
            if demo.gated(stage):
                flow.chain(Step.INITIATION if stage == "investigation" else Step.DECISION)
            if stage == "service" and demo.unsigned_discussion:
                flow.discussion()
            case = cases.advance_stage(uow(), ctx(), case.id, to=stage)
        if stage == "initiation" and demo.initiation_pending:
            flow.chain(Step.INITIATION, levels=1)
        made += [(maker.make(case, r, demo.handlers), r) for r in demo.at(stage) if stage != "archive"]
        if stage == "review" and demo.review_pending:
            flow.submit(Step.LEGAL_REVIEW, "拟对当事人作出罚款的行政处罚，请予法制审核")
            flow.chain(Step.DECISION, levels=1)
    for version, record in made:
        if record.correction:
            maker.correct(version, record)
    if demo.close:
        cases.close_case(uow(), ctx(), case.id, reason=demo.close)


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
