"""Approvals (审批): the steps a case needs approved, their chains, the state machine of one request,
who may act at each level, the stage gates and the emergency start of Art. 9.

Steps (docs/decisions/0016):

- 立案审批 ``initiation`` (Art. 9): the handler's opinion → the unit head's (执法机构意见) → the
  leader's (分管领导意见), in that order. Needed for a general-procedure case started ex officio
  (not on application, Art. 8; not the simplified procedure, Art. 31). In an emergency the case
  may start investigating first (紧急先行启动, with the reason); the approval must follow within
  24 hours (``ART09-EMERGENCY-APPROVAL-24H``).
- 法制审核 ``legal_review`` (Art. 16): a legal reviewer's opinion and advice (审查意见和建议).
- 集体讨论 ``discussion`` (Art. 18): the conclusions recorded by the handler, then every listed
  participant signs, in any order (``ART18-DISCUSSION-SIGNED``).
- 决定审批 ``decision`` (Art. 19): the handler's, the unit head's and the agency head's
  (机关负责人) opinions. Needed before a general-procedure case moves to service
  (``ART19-APPROVAL-CHAIN``).

One request of a step is a row that never changes; what happens to it is a list of append-only
actions (level 0 is the handler's submission and its resubmissions). Its state is a fold over
those actions (``state_of``), with the moves of ``MOVES`` only, so the stored record is the history.

Pure: no I/O, no clock; times are given by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from lawtrail.domain.access import Actor, Role
from lawtrail.domain.cases import Case, Origin, Procedure, Stage
from lawtrail.errors import Conflict, InvalidTransition, PermissionDenied, RuleViolation


class Step(StrEnum):
    INITIATION = "initiation"
    LEGAL_REVIEW = "legal_review"
    DISCUSSION = "discussion"
    DECISION = "decision"


STEP_LABELS: dict[Step, str] = {Step.INITIATION: "立案审批", Step.LEGAL_REVIEW: "法制审核",
                                Step.DISCUSSION: "集体讨论", Step.DECISION: "决定审批"}
STEP_ARTICLES: dict[Step, str] = {Step.INITIATION: "第九条", Step.LEGAL_REVIEW: "第十六条",
                                  Step.DISCUSSION: "第十八条", Step.DECISION: "第十九条"}
#: What the handler's own text (level 0) is called on each step.
SUBMISSION_LABELS: dict[Step, str] = {Step.INITIATION: "承办人意见", Step.LEGAL_REVIEW: "承办人意见",
                                      Step.DISCUSSION: "讨论结论", Step.DECISION: "承办人意见"}


class Approver(StrEnum):
    """Who acts at a level: a unit head of the case's unit, a leader, a legal reviewer, or one of
    the participants named in the request (a collective discussion)."""

    UNIT_HEAD = "unit_head"
    LEADER = "leader"
    LEGAL_REVIEWER = "legal_reviewer"
    PARTICIPANT = "participant"


@dataclass(frozen=True)
class Level:
    approver: Approver
    label: str  # the opinion's name on the form, e.g. 执法机构意见


#: THE chains: the levels after the handler's submission (level 0), in order.
CHAINS: dict[Step, tuple[Level, ...]] = {
    Step.INITIATION: (Level(Approver.UNIT_HEAD, "执法机构意见"), Level(Approver.LEADER, "分管领导意见")),
    Step.LEGAL_REVIEW: (Level(Approver.LEGAL_REVIEWER, "审核意见和建议"),),
    Step.DISCUSSION: (Level(Approver.PARTICIPANT, "参加人员签名"),),
    Step.DECISION: (Level(Approver.UNIT_HEAD, "执法机构意见"), Level(Approver.LEADER, "机关负责人意见")),
}
#: The role behind each kind of approver (a participant is named, not a role).
APPROVER_ROLES: dict[Approver, Role] = {Approver.UNIT_HEAD: Role.UNIT_HEAD, Approver.LEADER: Role.LEADER,
                                        Approver.LEGAL_REVIEWER: Role.LEGAL_REVIEWER}
#: Who may sit on a collective discussion and sign it: the roles that give opinions.
PARTICIPANT_ROLES = frozenset(APPROVER_ROLES.values())
MIN_PARTICIPANTS = 2
MAX_PARTICIPANTS = 15
EMERGENCY_WINDOW = timedelta(hours=24)  # Art. 9: 启动后24小时内补报


class Decision(StrEnum):
    SUBMIT = "submit"      # level 0: the handler's opinion, again after a return
    APPROVE = "approve"    # 同意; on a discussion: 签名确认
    RETURN = "return"      # 退回补正: back to the handler with the reason
    REFUSE = "refuse"      # 不同意: the request ends refused
    WITHDRAW = "withdraw"  # 撤回 by the handler's side


DECISION_LABELS: dict[Decision, str] = {Decision.SUBMIT: "提交", Decision.APPROVE: "同意",
                                        Decision.RETURN: "退回", Decision.REFUSE: "不同意",
                                        Decision.WITHDRAW: "撤回"}


class Status(StrEnum):
    PENDING = "pending"
    RETURNED = "returned"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


STATUS_LABELS: dict[Status, str] = {Status.PENDING: "审批中", Status.RETURNED: "已退回",
                                    Status.APPROVED: "已通过", Status.REFUSED: "未通过",
                                    Status.WITHDRAWN: "已撤回"}
TERMINAL = frozenset({Status.APPROVED, Status.REFUSED, Status.WITHDRAWN})

#: THE moves of one request: (status before, decision) → status after. ``None`` before: nothing
#: yet. An approval at the last level (every participant, on a discussion) ends APPROVED, else
#: the request stays PENDING one level up. Anything not listed is refused.
MOVES: dict[tuple[Status | None, Decision], Status] = {
    (None, Decision.SUBMIT): Status.PENDING,
    (Status.PENDING, Decision.APPROVE): Status.PENDING,
    (Status.PENDING, Decision.RETURN): Status.RETURNED,
    (Status.PENDING, Decision.REFUSE): Status.REFUSED,
    (Status.PENDING, Decision.WITHDRAW): Status.WITHDRAWN,
    (Status.RETURNED, Decision.SUBMIT): Status.PENDING,
    (Status.RETURNED, Decision.WITHDRAW): Status.WITHDRAWN,
}
#: A discussion's participants sign or send it back; "refusing" a meeting's record means nothing.
NOT_FOR: dict[Step, frozenset[Decision]] = {Step.DISCUSSION: frozenset({Decision.REFUSE})}


@dataclass(frozen=True)
class ApprovalRequest:
    """One request of a step for a case (never changed; its actions say what happened)."""

    id: UUID
    case_id: UUID
    step: Step
    submitted_by: UUID
    submitted_by_name: str
    submitted_at: datetime
    emergency: bool = False
    emergency_reason: str = ""
    participants: tuple[UUID, ...] = ()  # a discussion's participants, who must all sign

    @property
    def chain(self) -> tuple[Level, ...]:
        return CHAINS[self.step]

    @property
    def due_at(self) -> datetime | None:
        """When an emergency start's approval is due (Art. 9), else None."""
        return self.submitted_at + EMERGENCY_WINDOW if self.emergency else None


@dataclass(frozen=True)
class ApprovalAction:
    """One opinion or move on a request (append-only). ``final`` marks the action that ended it
    (approved at the last level, refused or withdrawn), so open requests are found by a query."""

    id: UUID
    request_id: UUID
    level: int
    actor_id: UUID
    actor_name: str
    decision: Decision
    opinion: str
    at: datetime
    advice: str = ""
    final: bool = False
    #: Its place among the request's actions (0, 1, …): two actions in one second (or under a
    #: fixed clock) keep their order, and two people acting at once cannot both take the next
    #: place (a unique index refuses the second).
    seq: int = 0


@dataclass(frozen=True)
class ApprovalState:
    """Where a request stands. ``level`` is the level waiting (1…n) while PENDING, 0 otherwise;
    ``signed`` and ``approvers`` are who approved in the current round (since the last submission);
    ``submitters`` who submitted or resubmitted it."""

    status: Status | None = None
    level: int = 0
    signed: frozenset[UUID] = frozenset()
    approvers: tuple[UUID, ...] = ()
    submitters: frozenset[UUID] = frozenset()
    last: ApprovalAction | None = None
    ended_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status in (Status.PENDING, Status.RETURNED)


@dataclass(frozen=True)
class CaseRef:
    """What an approval list shows of its case."""

    id: UUID
    unit_id: UUID
    number: str
    name: str
    stage: Stage
    procedure: Procedure = Procedure.GENERAL
    origin: Origin = Origin.INSPECTION
    closed: bool = False

    @property
    def title(self) -> str:
        return f"{self.number} {self.name}"


@dataclass(frozen=True)
class Approval:
    """A request with its actions (oldest first) and the state they lead to."""

    request: ApprovalRequest
    actions: tuple[ApprovalAction, ...]
    state: ApprovalState
    case: CaseRef | None = None


def _refuse(zh: str, en: str, code: str, article: str | None = None) -> InvalidTransition:
    return InvalidTransition(message_zh=zh, message_en=en, code=code, article=article)


def move(step: Step, state: ApprovalState, decision: Decision, participants: Sequence[UUID] = ()) -> Status:
    """The status after ``decision`` on a request of ``step`` in ``state``; raise InvalidTransition
    (``approval.closed`` for a request that ended, ``approval.bad_move`` otherwise)."""
    if state.status in TERMINAL:
        done = state.status.value if state.status else ""
        raise _refuse(f"该{STEP_LABELS[step]}{STATUS_LABELS[state.status]}，不能再办理",
                      f"the {step.value} request is {done}; it cannot change any more", "approval.closed")
    after = MOVES.get((state.status, decision))
    if after is None or decision in NOT_FOR.get(step, frozenset()):
        now = STATUS_LABELS[state.status] if state.status else "未提交"
        raise _refuse(f"{now}的{STEP_LABELS[step]}不能“{DECISION_LABELS[decision]}”",
                      f"a {step.value} request that is {state.status or 'not submitted'} cannot be {decision.value}",
                      "approval.bad_move")
    if after is Status.PENDING and decision is Decision.APPROVE:
        if step is Step.DISCUSSION:
            return Status.APPROVED if len(state.signed) + 1 >= len(participants) else Status.PENDING
        return Status.APPROVED if state.level >= len(CHAINS[step]) else Status.PENDING
    return after


def apply(request: ApprovalRequest, state: ApprovalState, action: ApprovalAction) -> ApprovalState:
    """The state after ``action`` (checked against ``MOVES``)."""
    after = move(request.step, state, action.decision, request.participants)
    ended = action.at if after in TERMINAL else None
    if action.decision is Decision.SUBMIT:
        return ApprovalState(after, 1, frozenset(), (), state.submitters | {action.actor_id}, action, ended)
    if action.decision is Decision.APPROVE and after is Status.PENDING:
        return ApprovalState(after, state.level + (request.step is not Step.DISCUSSION),
                             state.signed | {action.actor_id}, (*state.approvers, action.actor_id),
                             state.submitters, action, None)
    signed = state.signed | {action.actor_id} if action.decision is Decision.APPROVE else state.signed
    approvers = (*state.approvers, action.actor_id) if action.decision is Decision.APPROVE else state.approvers
    return ApprovalState(after, 0, signed, approvers, state.submitters, action, ended)


def action_taken() -> Conflict:
    """Another opinion took the request's next place meanwhile (two people acting at once)."""
    return Conflict("该审批事项已被他人处理，请刷新后重试", "someone acted on this request meanwhile; reload and retry",
                    code="approval.taken")


def in_order(action: ApprovalAction) -> tuple[datetime, int]:
    """Sort key of a request's actions: by time, then by place."""
    return action.at, action.seq


def state_of(request: ApprovalRequest, actions: Iterable[ApprovalAction],
             until: datetime | None = None) -> ApprovalState:
    """Fold the actions (by time; only those at or before ``until`` when given) into the state."""
    state = ApprovalState()
    for action in sorted(actions, key=in_order):
        if until is not None and action.at > until:
            break
        state = apply(request, state, action)
    return state


# ---- who may act --------------------------------------------------------------------------

def approver_problem(actor: Actor, request: ApprovalRequest, state: ApprovalState,
                     case_unit_id: UUID) -> PermissionDenied | None:
    """Why ``actor`` may not give the opinion the request waits for now (None: they may).

    The waiting level decides who: a unit head of the case's unit, a leader, a legal reviewer,
    or a named participant of a discussion who has not signed in this round. Nobody approves
    their own submission, and one person gives one opinion per round."""
    if actor.user_id is None:
        return _denied("审批意见须由本人签署", "an opinion is signed by a person, not by the system",
                       "approval.person_required")
    if state.status is not Status.PENDING:
        return None  # ``move`` refuses it with the reason
    if actor.user_id in state.submitters:
        return _denied("不能审批本人提交的事项", "nobody approves their own submission", "approval.own_submission")
    level = request.chain[state.level - 1]
    if level.approver is Approver.PARTICIPANT:
        if actor.user_id not in request.participants:
            return _denied("您不是本次集体讨论的参加人员", "you are not a participant of this discussion",
                           "approval.not_participant")
        if actor.user_id in state.signed:
            return _denied("您已签名", "you have signed already", "approval.already_signed")
        return None
    if actor.user_id in state.approvers:
        return _denied("同一人不能在同一审批中签署两级意见", "one person gives one opinion per request",
                       "approval.already_acted")
    role = APPROVER_ROLES[level.approver]
    if role not in actor.roles or (level.approver is Approver.UNIT_HEAD and actor.unit_id != case_unit_id):
        who = "本案执法机构负责人" if level.approver is Approver.UNIT_HEAD else (
            "分管领导或机关负责人" if level.approver is Approver.LEADER else "法制审核人员")
        return _denied(f"当前等待{level.label}，须由{who}签署", f"this level ({level.approver.value}) is not yours",
                       "approval.not_your_level")
    return None


def _denied(zh: str, en: str, code: str) -> PermissionDenied:
    return PermissionDenied(message_zh=zh, message_en=en, code=code)


def waits_for(actor: Actor, request: ApprovalRequest, state: ApprovalState, case_unit_id: UUID) -> bool:
    """True when the request waits for ``actor`` now: their opinion at the pending level, or,
    returned, their resubmission (they submitted it)."""
    if actor.user_id is None:
        return False
    if state.status is Status.RETURNED:
        return actor.user_id in state.submitters
    return state.status is Status.PENDING and approver_problem(actor, request, state, case_unit_id) is None


# ---- which steps a case needs, and the stage gates -----------------------------------------

def initiation_required(case: Case | CaseRef) -> bool:
    """Art. 9: a general-procedure case started ex officio (not on application) needs it."""
    return case.procedure is Procedure.GENERAL and case.origin is not Origin.APPLICATION


def decision_required(case: Case | CaseRef) -> bool:
    """Art. 19: a general-procedure decision is approved; a simplified one is made on the spot (Art. 31)."""
    return case.procedure is Procedure.GENERAL


def check_submittable(case: Case, step: Step, approvals: Sequence[Approval]) -> None:
    """Raise unless a request of ``step`` may be submitted on ``case`` now: the step applies to the
    case, the case is at the step's stage, and no request of it is open or approved already."""
    if case.closed or case.stage is Stage.ARCHIVE:
        raise _refuse("案件已终结或归档，不能再报批", "the case has ended; nothing can be submitted",
                      "approval.case_ended")
    if case.procedure is Procedure.SIMPLIFIED:
        raise _refuse("简易程序当场作出决定，无需报批", "the simplified procedure decides on the spot; "
                      "nothing is submitted", "approval.not_needed", "第三十一条")
    if step is Step.INITIATION:
        if not initiation_required(case):
            raise _refuse("依申请启动的案件无需立案审批", "a case started on application needs no initiation approval",
                          "approval.not_needed", "第八条")
        emergency = any(a.request.emergency for a in approvals if a.request.step is Step.INITIATION)
        if case.stage is not Stage.INITIATION and not (case.stage is Stage.INVESTIGATION and emergency):
            raise _refuse("立案审批须在程序启动环节报批", "initiation is submitted at the initiation stage",
                          "approval.wrong_stage", "第九条")
    elif case.stage is not Stage.REVIEW:
        raise _refuse(f"{STEP_LABELS[step]}须在审查决定环节办理", f"{step.value} is submitted at the review stage",
                      "approval.wrong_stage", STEP_ARTICLES[step])
    for a in approvals:
        if a.request.step is step and a.state.status is Status.PENDING:
            raise _refuse(f"本案已有审批中的{STEP_LABELS[step]}", f"a {step.value} request is already pending",
                          "approval.pending")
        if a.request.step is step and a.state.status is Status.APPROVED and step is not Step.DISCUSSION:
            raise _refuse(f"本案{STEP_LABELS[step]}已通过", f"the {step.value} step is approved already",
                          "approval.approved")


def approved(approvals: Iterable[Approval], step: Step) -> Approval | None:
    """The approved request of ``step``, if any."""
    return next((a for a in approvals if a.request.step is step and a.state.status is Status.APPROVED), None)


def emergency_start(approvals: Iterable[Approval]) -> Approval | None:
    """The initiation request that records an emergency start and still stands (not refused or
    withdrawn), if any."""
    return next((a for a in approvals if a.request.step is Step.INITIATION and a.request.emergency
                 and a.state.status in (Status.PENDING, Status.RETURNED, Status.APPROVED)), None)


INITIATION_RULE = "ART09-INITIATION-FORM"
DECISION_RULE = "ART19-APPROVAL-CHAIN"


def check_gate(case: Case, to: Stage, approvals: Sequence[Approval]) -> None:
    """Raise RuleViolation when moving ``case`` to ``to`` needs an approval it does not have:
    initiation → investigation needs the initiation approval or a recorded emergency start
    (Art. 9); review → service needs the decision approval (Art. 19)."""
    if case.stage is Stage.INITIATION and to is Stage.INVESTIGATION and initiation_required(case):
        if approved(approvals, Step.INITIATION) or emergency_start(approvals):
            return
        raise RuleViolation(
            message_zh="立案审批尚未通过（承办人、执法机构、分管领导依次签署意见），不能进入调查取证；"
                       "情况紧急的，可登记紧急先行启动并在24小时内补报",
            message_en="the initiation approval (handler, unit head, leader) is not complete; investigation "
                       "cannot start — in an emergency, record an emergency start and get it approved within 24 h",
            code="case.initiation_not_approved", article="第九条",
            details={"rule": INITIATION_RULE, "step": Step.INITIATION.value})
    if case.stage is Stage.REVIEW and to is Stage.SERVICE and decision_required(case):
        if approved(approvals, Step.DECISION):
            return
        raise RuleViolation(
            message_zh="决定审批尚未通过（承办人员、执法机构及机关负责人意见和签名），不能送达",
            message_en="the decision approval (handler, unit head and agency head opinions) is not complete; "
                       "nothing can be served",
            code="case.decision_not_approved", article="第十九条",
            details={"rule": DECISION_RULE, "step": Step.DECISION.value})


def next_approver(a: Approval) -> str:
    """Who the request waits for, in words (for lists)."""
    if a.state.status is Status.RETURNED:
        return "承办人（已退回补正）"
    if a.state.status is not Status.PENDING:
        return ""
    level = a.request.chain[a.state.level - 1]
    if level.approver is Approver.PARTICIPANT:
        return f"参加人员签名（{len(a.state.signed)}/{len(a.request.participants)}）"
    return level.label


# ---- who an open request waits for, stored beside it (the badge and the inbox by query) ------

@dataclass(frozen=True)
class Waiting:
    """Who an open request waits for now, in a form a query can match (decision 0035).

    ``role``: a role whose holders may act (a unit head only of the case's unit), except the
    people in ``excluded`` (who submitted it or approved it in this round); ``named``: people
    who may act by name (a discussion's participants who have not signed; the submitters of a
    returned request). ``submitters``: everyone who submitted it (their "pending at someone
    else" list). ``includes`` is ``waits_for`` over this form; the two must agree."""

    status: Status
    role: Role | None = None
    named: frozenset[UUID] = frozenset()
    excluded: frozenset[UUID] = frozenset()
    submitters: frozenset[UUID] = frozenset()

    def includes(self, actor: Actor, case_unit_id: UUID) -> bool:
        if actor.user_id is None:
            return False
        if actor.user_id in self.named:
            return True
        if self.role is None or self.role not in actor.roles or actor.user_id in self.excluded:
            return False
        return self.role is not Role.UNIT_HEAD or actor.unit_id == case_unit_id


def waiting_on(request: ApprovalRequest, state: ApprovalState) -> Waiting | None:
    """Who ``request`` in ``state`` waits for (None once it ended): see ``Waiting``."""
    if state.status is Status.RETURNED:
        return Waiting(Status.RETURNED, named=state.submitters, submitters=state.submitters)
    if state.status is not Status.PENDING:
        return None
    level = request.chain[state.level - 1]
    if level.approver is Approver.PARTICIPANT:
        named = frozenset(request.participants) - state.signed - state.submitters
        return Waiting(Status.PENDING, named=named, submitters=state.submitters)
    return Waiting(Status.PENDING, role=APPROVER_ROLES[level.approver],
                   excluded=state.submitters | frozenset(state.approvers), submitters=state.submitters)
