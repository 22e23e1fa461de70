"""Cases (案件): action type, procedure, origin, stage and the ONE table of allowed stage moves.

Stages follow Art. 3: 程序启动 → 调查取证 → 审查决定 → 送达 → 执行 → 归档. The rules of moving
between them (docs/decisions/0014):

- Forward, one step at a time (``ADVANCES``). The one exception is the simplified procedure
  (Art. 31): the decision is made on the spot, so such a case may go from initiation straight to
  review & decision. It may NOT go from initiation straight to service: Art. 31 (3)–(4) still
  require the party's statement and its review before the decision, and a document can only be
  served once a decision exists (Art. 20–21).
- A case may be ended without a decision (不予立案 before investigation, 撤销 during it or
  during review) with a reason: it then moves to the archive stage, because its file is still
  compiled and archived (Art. 39). Once a decision is served it can no longer be "closed".
- Nothing goes backwards except as a correction (更正), which needs a reason and is recorded as
  such in the stage history.
- Entering investigation, review & decision, service or execution needs at least two handlers
  holding a certificate valid that day (Art. 5, 11: ``ART05-CERTIFIED-HANDLER``).

Pure: no I/O, no clock; times are given by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from lawtrail.domain.org import BUREAU_TZ, User, can_act_as_officer, cert_status
from lawtrail.errors import InvalidTransition, RuleViolation


class ActionType(StrEnum):
    PENALTY = "penalty"
    LICENSING = "licensing"
    COERCION = "coercion"
    INSPECTION = "inspection"
    CONFIRMATION = "confirmation"
    REGISTRATION = "registration"
    ADJUDICATION = "adjudication"


ACTION_TYPE_LABELS: dict[ActionType, str] = {
    ActionType.PENALTY: "行政处罚", ActionType.LICENSING: "行政许可", ActionType.COERCION: "行政强制",
    ActionType.INSPECTION: "行政检查", ActionType.CONFIRMATION: "行政确认",
    ActionType.REGISTRATION: "行政登记", ActionType.ADJUDICATION: "行政裁决",
}


class Procedure(StrEnum):
    GENERAL = "general"
    SIMPLIFIED = "simplified"


PROCEDURE_LABELS: dict[Procedure, str] = {Procedure.GENERAL: "一般程序", Procedure.SIMPLIFIED: "简易程序"}


class Origin(StrEnum):
    APPLICATION = "application"
    INSPECTION = "inspection"
    COMPLAINT = "complaint"
    REFERRAL = "referral"
    ASSIGNMENT = "assignment"


ORIGIN_LABELS: dict[Origin, str] = {
    Origin.APPLICATION: "依申请", Origin.INSPECTION: "监督检查发现", Origin.COMPLAINT: "投诉举报",
    Origin.REFERRAL: "其他机关移送", Origin.ASSIGNMENT: "上级交办",
}


class Stage(StrEnum):
    INITIATION = "initiation"
    INVESTIGATION = "investigation"
    REVIEW = "review"
    SERVICE = "service"
    EXECUTION = "execution"
    ARCHIVE = "archive"


STAGE_LABELS: dict[Stage, str] = {
    Stage.INITIATION: "程序启动", Stage.INVESTIGATION: "调查取证", Stage.REVIEW: "审查决定",
    Stage.SERVICE: "送达", Stage.EXECUTION: "执行", Stage.ARCHIVE: "归档",
}
STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class ClosedKind(StrEnum):
    NOT_INITIATED = "not_initiated"
    WITHDRAWN = "withdrawn"


CLOSED_KIND_LABELS: dict[ClosedKind, str] = {ClosedKind.NOT_INITIATED: "不予立案",
                                             ClosedKind.WITHDRAWN: "撤销案件"}

_BOTH = frozenset(Procedure)
#: THE table of forward moves: (from, to) → the procedures that may make it.
ADVANCES: dict[tuple[Stage, Stage], frozenset[Procedure]] = {
    (Stage.INITIATION, Stage.INVESTIGATION): _BOTH,
    (Stage.INITIATION, Stage.REVIEW): frozenset({Procedure.SIMPLIFIED}),  # Art. 31: decided on the spot
    (Stage.INVESTIGATION, Stage.REVIEW): _BOTH,
    (Stage.REVIEW, Stage.SERVICE): _BOTH,
    (Stage.SERVICE, Stage.EXECUTION): _BOTH,
    (Stage.EXECUTION, Stage.ARCHIVE): _BOTH,
}
#: Stages from which a case may be ended without a decision, and how it is called there.
CLOSABLE: dict[Stage, ClosedKind] = {Stage.INITIATION: ClosedKind.NOT_INITIATED,
                                     Stage.INVESTIGATION: ClosedKind.WITHDRAWN,
                                     Stage.REVIEW: ClosedKind.WITHDRAWN}
#: Stages whose work only certified officers may do, two at least (Art. 5, 11).
HANDLED_STAGES = frozenset({Stage.INVESTIGATION, Stage.REVIEW, Stage.SERVICE, Stage.EXECUTION})
MIN_HANDLERS = 2
CERTIFIED_HANDLER_RULE = "ART05-CERTIFIED-HANDLER"

#: What skipping into a stage misses: (zh, en, article).
_SKIP_REASON: dict[Stage, tuple[str, str, str]] = {
    Stage.REVIEW: ("一般程序须先完成调查取证，方可进入审查决定", "the general procedure needs an investigation "
                   "before review and decision", "第十三条"),
    Stage.SERVICE: ("尚未作出行政执法决定，不能送达", "nothing can be served before a decision is made", "第二十条"),
    Stage.EXECUTION: ("行政执法决定尚未送达，不能进入执行", "the decision must be served before execution",
                      "第二十一条"),
    Stage.ARCHIVE: ("执法行为终结后方可归档；未作决定而终结的，请办理不予立案或撤销",
                    "a case is archived once the action has ended; end it without a decision by closing it",
                    "第三十九条"),
}


@dataclass(frozen=True)
class Case:
    """The current state of one case; its history is in the stage changes and the ledger."""

    id: UUID
    bureau_id: UUID
    unit_id: UUID
    number: str
    year: int
    serial: int
    action_type: ActionType
    procedure: Procedure
    origin: Origin
    origin_detail: str
    complainant_real_name: bool | None  # None unless the origin is a complaint or report
    complainant_name: str
    complainant_contact: str
    name: str
    cause: str
    stage: Stage
    opened_at: datetime
    opened_by: str
    updated_at: datetime
    ended_at: datetime | None = None  # when it entered the archive stage (by advance or close)
    closed_kind: ClosedKind | None = None
    closed_reason: str = ""
    secrecy: str = "ordinary"  # placeholder for the classification of issue 6 (Art. 47)

    @property
    def closed(self) -> bool:
        return self.closed_kind is not None

    @property
    def title(self) -> str:
        return f"{self.number} {self.name}"


@dataclass(frozen=True)
class Handler:
    """An officer assigned to a case; ``lead`` marks the 主办 (the others assist, 协办)."""

    case_id: UUID
    user_id: UUID
    lead: bool
    assigned_at: datetime


@dataclass(frozen=True)
class StageChange:
    """One move of a case between stages (append-only). ``from_stage`` None: the opening."""

    id: UUID
    case_id: UUID
    from_stage: Stage | None
    to_stage: Stage
    at: datetime
    actor_id: UUID | None
    actor_name: str
    reason: str
    correction: bool = False


@dataclass(frozen=True)
class MediaLink:
    """A row of the append-only link log between a case and a vault original: ``linked`` False
    is an unlinking. The current links are the media whose latest row is a link."""

    id: UUID
    case_id: UUID
    media_id: UUID
    linked: bool
    at: datetime
    actor_id: UUID | None
    actor_name: str
    reason: str


def _refuse(zh: str, en: str, code: str, article: str | None = None) -> InvalidTransition:
    return InvalidTransition(message_zh=zh, message_en=en, code=code, article=article)


def check_advance(case: Case, to: Stage, *, correction: bool = False) -> None:
    """Return if ``case`` may move to ``to``; raise InvalidTransition (code, article) otherwise.

    A ``correction`` may only go backwards; without it only the moves of ``ADVANCES`` are allowed."""
    frm = case.stage
    if case.closed:
        raise _refuse(f"案件已{CLOSED_KIND_LABELS[case.closed_kind]}终结，不能再变更环节",  # type: ignore[index]
                      "the case was closed without a decision; its stage cannot change", "case.closed")
    if to == frm:
        raise _refuse(f"案件已处于“{STAGE_LABELS[to]}”环节", f"the case is already at {to.value}", "case.same_stage")
    backwards = STAGE_ORDER.index(to) < STAGE_ORDER.index(frm)
    if correction:
        if not backwards:
            raise _refuse("更正只能退回到之前的环节", "a correction can only go back to an earlier stage",
                          "case.correction_forward")
        return
    if backwards:
        raise _refuse(f"环节不能倒退（{STAGE_LABELS[frm]} → {STAGE_LABELS[to]}）；"
                      "确需纠正的，请以更正方式办理并说明理由",
                      f"stages do not go backwards ({frm.value} → {to.value}); record a correction with a reason",
                      "case.backwards", "第三条")
    allowed = ADVANCES.get((frm, to))
    if allowed is not None and case.procedure in allowed:
        return
    zh, en, article = _SKIP_REASON.get(to, ("不能跳过环节", "stages cannot be skipped", "第三条"))
    raise _refuse(f"不能从“{STAGE_LABELS[frm]}”直接进入“{STAGE_LABELS[to]}”：{zh}",
                  f"cannot go from {frm.value} to {to.value}: {en}", "case.skip", article)


def check_close(case: Case) -> ClosedKind:
    """How ``case`` would be ended without a decision here; raise InvalidTransition if it cannot."""
    if case.closed:
        raise _refuse("案件已终结", "the case is already closed", "case.closed")
    kind = CLOSABLE.get(case.stage)
    if kind is None:
        raise _refuse(f"案件已作出决定（当前环节：{STAGE_LABELS[case.stage]}），不能以不予立案或撤销终结",
                      f"a decision was made (stage {case.stage.value}); the case cannot be closed without one",
                      "case.not_closable", "第二十八条")
    return kind


def next_stages(case: Case) -> list[Stage]:
    """The stages ``case`` may advance to now (for the buttons of the case page)."""
    if case.closed:
        return []
    return [to for (frm, to), procs in ADVANCES.items() if frm == case.stage and case.procedure in procs]


def handler_problems(handlers: list[User], today: date) -> list[str]:
    """Names of the handlers who may not act on ``today`` (inactive, not an officer, no valid certificate)."""
    return [u.display_name for u in handlers if not can_act_as_officer(u, today)]


def check_handlers_for(stage: Stage, handlers: list[User], today: date) -> None:
    """Raise RuleViolation (rule ``ART05-CERTIFIED-HANDLER`` in its details) unless ``stage`` needs
    no handlers, or at least two ``handlers`` hold a certificate valid on ``today`` and none lacks one."""
    if stage not in HANDLED_STAGES:
        return
    bad = handler_problems(handlers, today)
    if bad:
        raise certified_handler_violation(bad, today)
    if len(handlers) < MIN_HANDLERS:
        raise RuleViolation(
            message_zh=f"进入“{STAGE_LABELS[stage]}”须有至少{MIN_HANDLERS}名持有效执法证的承办人（现有{len(handlers)}名）",
            message_en=f"{stage.value} needs at least {MIN_HANDLERS} handlers with a valid certificate "
                       f"(there are {len(handlers)})",
            code="case.too_few_handlers", article="第五条", details={"rule": CERTIFIED_HANDLER_RULE})


def certified_handler_violation(names: list[str], today: date) -> RuleViolation:
    who = "、".join(names)
    return RuleViolation(
        message_zh=f"{who}不是持有{today.isoformat()}当日有效执法证的在职执法人员，不能作为承办人",
        message_en=f"{', '.join(names)}: not an active officer with a certificate valid on {today.isoformat()}; "
                   "cannot be a handler",
        code="case.handler_not_certified", article="第五条",
        details={"rule": CERTIFIED_HANDLER_RULE, "users": names})


def handler_status(user: User, today: date) -> str:
    """The certificate status value of a handler on ``today`` (for display)."""
    return cert_status(user.certificate, today).value


# ---- numbers --------------------------------------------------------------------------------

BUREAU_SUFFIX = "市场监督管理局"


def bureau_abbreviation(name: str, code: str) -> str:
    """The bureau's short name in case numbers: 江门市市场监督管理局 → 江市监, 蓬江区… → 蓬江区市监.

    A city bureau takes the city's first character; a district or county keeps its name; any
    other name falls back to the bureau ``code``."""
    if name.endswith(BUREAU_SUFFIX) and len(name) > len(BUREAU_SUFFIX):
        place = name[: -len(BUREAU_SUFFIX)]
        if place.endswith("市") and len(place) >= 2:
            return f"{place[0]}市监"
        return f"{place}市监"
    return code


def case_number(bureau_abbr: str, unit_code: str, year: int, serial: int) -> str:
    """The readable number: ``江市监ZFJCK〔2026〕12号``."""
    return f"{bureau_abbr}{unit_code}〔{year}〕{serial}号"


def number_year(opened_at: datetime) -> int:
    """The bureau-calendar year a case opened at ``opened_at`` is numbered in."""
    return opened_at.astimezone(BUREAU_TZ).year


@dataclass(frozen=True)
class CaseFilter:
    """What ``list_cases`` narrows by; empty values do not narrow. ``party`` and ``number`` match
    anywhere in the party's name / the case number."""

    stage: Stage | None = None
    action_type: ActionType | None = None
    unit_id: UUID | None = None
    handler_id: UUID | None = None
    party: str = ""
    number: str = ""


def current_media(links: list[MediaLink]) -> list[UUID]:
    """The media linked to a case now: those whose latest link row (by time) is a link, in the
    order they were first linked."""
    state: dict[UUID, bool] = {}
    for link in sorted(links, key=lambda x: x.at):
        state.pop(link.media_id, None)  # re-linking moves it to the end
        state[link.media_id] = link.linked
    return [media_id for media_id, linked in state.items() if linked]
