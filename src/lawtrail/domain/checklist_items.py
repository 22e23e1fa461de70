"""What each stage of a case asks for, for the case page's 阶段清单 (``domain.checklist``): the
record kinds of the catalogue that apply to the case's action type, procedure and origin, the
approvals its gates need, the simultaneous AV record (Art. 14, 32), its handlers (Art. 5) and the
archive (Art. 39), each with its state (done, in progress, to do, missing, pending, optional) and
what to do about it as an ``Act`` (a kind and a target the page turns into a link).

Pure: over the data the caller loaded (record versions and signatures, approvals, handlers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from lawtrail.domain.approvals import (
    STEP_ARTICLES,
    STEP_LABELS,
    Approval,
    Status,
    Step,
    decision_required,
    emergency_start,
    initiation_required,
    next_approver,
)
from lawtrail.domain.cases import (
    CLOSED_KIND_LABELS,
    HANDLED_STAGES,
    MIN_HANDLERS,
    STAGE_LABELS,
    STAGE_ORDER,
    Case,
    Procedure,
    Stage,
)
from lawtrail.domain.catalogue import AvRule, Catalogue, RecordKind
from lawtrail.domain.findings import Finding, FindingStatus
from lawtrail.domain.org import User, can_act_as_officer, local_date
from lawtrail.domain.records import RecordVersion, Signature, completeness, writable
from lawtrail.domain.rules.common import local


class StageStatus(StrEnum):
    DONE = "done"  # the case has moved past it
    CURRENT = "current"
    FUTURE = "future"
    SKIPPED = "skipped"  # passed over (simplified procedure) or never reached (closed without a decision)


STAGE_STATUS_LABELS = {StageStatus.DONE: "已结束", StageStatus.CURRENT: "当前环节", StageStatus.FUTURE: "未开始",
                       StageStatus.SKIPPED: "未经此环节"}


class ItemState(StrEnum):
    DONE = "done"
    IN_PROGRESS = "in_progress"  # made but incomplete (unsigned, no AV), an approval waiting, a finding open
    TODO = "todo"  # required at the current stage, nothing made yet
    MISSING = "missing"  # required at a stage the case has left, nothing made
    PENDING = "pending"  # required at a stage not reached yet
    OPTIONAL = "optional"  # may be made; nothing requires it


ITEM_STATE_LABELS = {ItemState.DONE: "已完成", ItemState.IN_PROGRESS: "办理中", ItemState.TODO: "待办",
                     ItemState.MISSING: "缺少", ItemState.PENDING: "未开始", ItemState.OPTIONAL: "可选"}


class ActKind(StrEnum):
    NEW_RECORD = "new_record"  # target: a kind id (``stage`` says where)
    OPEN_RECORD = "open_record"  # target: a record id (sign, refuse, attach)
    CORRECT_RECORD = "correct_record"  # target: a record id (link AV or give the reason)
    APPROVAL = "approval"  # target: a request id
    SUBMIT_APPROVAL = "submit_approval"  # target: a step
    UPLOAD_MEDIA = "upload_media"
    ADVANCE = "advance"  # target: the next stage
    EXPORT = "export"  # the case file (Art. 39)


@dataclass(frozen=True)
class Act:
    kind: ActKind
    label: str
    target: str = ""
    stage: Stage | None = None


@dataclass(frozen=True)
class RecordLine:
    """One record of an item (its latest version) and what it still lacks, in words."""

    record_id: UUID
    name: str
    version: int
    complete: bool
    lacks: tuple[str, ...] = ()
    av: str = ""  # its simultaneous AV record, in words ("" when the kind takes none)


@dataclass(frozen=True)
class ChecklistItem:
    key: str  # "record:<kind>", "group:<group>", "approval:<step>", "av:<stage>", "handlers", "archive"
    title: str
    articles: tuple[str, ...]
    state: ItemState
    required: bool
    detail: str = ""
    records: tuple[RecordLine, ...] = ()
    findings: tuple[Finding, ...] = ()
    act: Act | None = None
    choices: tuple[Act, ...] = ()  # e.g. the service methods to choose from

    @property
    def label(self) -> str:
        return ITEM_STATE_LABELS[self.state]


@dataclass(frozen=True)
class StageChecklist:
    stage: Stage
    status: StageStatus
    items: tuple[ChecklistItem, ...] = ()
    findings: tuple[Finding, ...] = ()  # findings of the stage no item holds
    optional: tuple[Act, ...] = ()  # records and approvals that may also be made here
    note: str = ""

    @property
    def label(self) -> str:
        return STAGE_LABELS[self.stage]

    @property
    def required(self) -> int:
        return sum(1 for i in self.items if i.required)

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.required and i.state is ItemState.DONE)

    @property
    def problems(self) -> int:
        """Missing items and overdue findings: what makes a stage left behind red."""
        overdue = [f for i in self.items for f in i.findings] + list(self.findings)
        return (sum(1 for i in self.items if i.state is ItemState.MISSING)
                + sum(1 for f in overdue if f.status is FindingStatus.OVERDUE))


@dataclass(frozen=True)
class RecordFacts:
    """Every version and signature of the case's records, and the catalogue versions they were made under."""

    versions: Sequence[RecordVersion] = ()
    signatures: Sequence[Signature] = ()
    catalogues: Mapping[int, Catalogue] = field(default_factory=dict)


GROUP_TITLES = {"service": "送达回证（任选一种送达方式）"}
AV_ARTICLES = ("第十四条", "第三十二条")
def _index(stage: Stage) -> int:
    return STAGE_ORDER.index(stage)


def stage_status(case: Case, stage: Stage, reached: frozenset[Stage]) -> StageStatus:
    """Where ``stage`` stands for ``case``: left behind, current, ahead, or passed over."""
    here, at = _index(case.stage), _index(stage)
    if at == here:
        return StageStatus.CURRENT
    if at < here:
        return StageStatus.DONE if stage in reached else StageStatus.SKIPPED
    return StageStatus.FUTURE


def _skip_note(case: Case, stage: Stage) -> str:
    if case.closed_kind is not None:
        return f"本案已{CLOSED_KIND_LABELS[case.closed_kind]}，未经此环节"
    if case.procedure is Procedure.SIMPLIFIED and stage is Stage.INVESTIGATION:
        return "简易程序当场作出决定，未经调查取证环节（第三十一条）"
    return "未经此环节"


def _latest(versions: Sequence[RecordVersion]) -> list[RecordVersion]:
    out: dict[UUID, RecordVersion] = {}
    for v in sorted(versions, key=lambda v: (v.created_at, v.version)):
        if v.record_id not in out or v.version > out[v.record_id].version:
            out[v.record_id] = v
    return sorted(out.values(), key=lambda v: min(x.created_at for x in versions if x.record_id == v.record_id))


class StageBuilder:
    """The working state of one ``build_checklist`` call."""

    def __init__(self, case: Case, records: RecordFacts, approvals: Sequence[Approval], catalogue: Catalogue,
                 reached: frozenset[Stage], now: datetime) -> None:
        self.case, self.records, self.approvals, self.catalogue = case, records, approvals, catalogue
        self.reached = reached | {case.stage}
        self.now = now
        self.latest = _latest(records.versions)
        self.kinds = [k for k in catalogue.kinds if k.applies_to(case.action_type, case.procedure, case.origin)]
        self.made_kinds = {v.kind_id for v in self.latest}
        self.worked = [_index(s) for s in self.reached if s is not Stage.ARCHIVE]
        self.writable = case.stage is not Stage.ARCHIVE and not case.closed

    def kind_of(self, v: RecordVersion) -> RecordKind | None:
        return (self.records.catalogues.get(v.catalogue_version) or self.catalogue).kind(v.kind_id)

    def reachable(self, stage: Stage) -> bool:
        return self.writable and _index(stage) <= _index(self.case.stage)

    def makeable(self, stage: Stage, kind: RecordKind) -> bool:
        """Whether a record of ``kind`` can be made at ``stage`` now: a stage reached while the case
        is open; at 归档 only what ``records.writable`` allows (the Art. 10 notice)."""
        return self.reachable(stage) or (self.case.stage is Stage.ARCHIVE and writable(self.case, kind.id))

    def owed(self, kind: RecordKind) -> bool:
        """A required kind the case owes (``records.missing_records``: a case closed without a
        decision owes only the kinds of the stages it went beyond)."""
        if not kind.required or not kind.stages:
            return False
        last = _index(kind.stages[-1])
        return not (self.case.closed and not any(i > last for i in self.worked))

    def home(self, kind: RecordKind) -> Stage:
        """Where a kind not made yet is listed: the latest of its stages the case has reached, else its first."""
        here = [s for s in kind.stages if _index(s) <= _index(self.case.stage) and s in self.reached]
        return here[-1] if here else kind.stages[0]

    def empty_state(self, stage: Stage, required: bool) -> ItemState:
        if not required:
            return ItemState.OPTIONAL
        status = stage_status(self.case, stage, self.reached)
        return {StageStatus.DONE: ItemState.MISSING, StageStatus.CURRENT: ItemState.TODO}.get(
            status, ItemState.PENDING)

    # ---- records ---------------------------------------------------------------------------

    def line(self, v: RecordVersion) -> RecordLine:
        kind = self.kind_of(v)
        if kind is None:
            return RecordLine(v.record_id, v.kind_name, v.version, True)
        state = completeness(kind, v, self.records.signatures)
        lacks = tuple(f"待签名：{s.label} {s.given + s.refused}/{s.needed}" for s in state.slots if not s.done)
        if state.av_missing:
            lacks += ("未关联同步音像记录，也未说明理由",)
        av = ""
        if kind.av is not AvRule.NONE:
            av = (f"已关联同步音像 {len(v.av_media_ids)} 个" if v.av_media_ids
                  else f"不适宜音像记录：{v.av_waiver}" if v.av_waiver
                  else "未关联同步音像" + ("（必需）" if kind.av is AvRule.REQUIRED else "（可选）"))
        return RecordLine(v.record_id, v.kind_name, v.version, state.complete, lacks, av)

    def record_item(self, key: str, title: str, articles: tuple[str, ...], stage: Stage, required: bool,
                    made: list[RecordVersion], kinds: Sequence[RecordKind]) -> ChecklistItem:
        lines = tuple(self.line(v) for v in made)
        choices: tuple[Act, ...] = ()
        act: Act | None = None
        if lines:
            state = ItemState.DONE if all(x.complete for x in lines) else ItemState.IN_PROGRESS
            todo = next((x for x in lines if not x.complete), None)
            if todo is not None:
                only_av = all(t.startswith("未关联") for t in todo.lacks)
                act = (Act(ActKind.CORRECT_RECORD, "关联音像或说明理由", str(todo.record_id)) if only_av
                       else Act(ActKind.OPEN_RECORD, "补签名或上传扫描件", str(todo.record_id)))
        else:
            state = self.empty_state(stage, required)
        makeable = [k for k in kinds if self.makeable(stage, k)]
        if makeable and (not lines or len(kinds) > 1):
            if len(kinds) > 1:
                choices = tuple(Act(ActKind.NEW_RECORD, k.name, k.id, stage) for k in makeable)
            elif not lines:
                act = Act(ActKind.NEW_RECORD, "制作记录", kinds[0].id, stage)
        detail = f"已制作 {len(lines)} 份" if len(lines) > 1 else ""
        return ChecklistItem(key, title, articles, state, required, detail, lines, act=act, choices=choices)

    def record_items(self, stage: Stage, wanted: set[str]) -> tuple[list[ChecklistItem], list[Act]]:
        """The record items of ``stage``: every kind made here, every owed kind listed here, and the
        kinds a finding asks for; the other kinds that apply are offered as optional."""
        made_here = [v for v in self.latest if v.stage is stage]
        items: list[ChecklistItem] = []
        done_keys: set[str] = set()
        for kind in self.kinds:
            group = kind.group if kind.group and kind.required else ""
            key = f"group:{group}" if group else f"record:{kind.id}"
            if key in done_keys or stage not in kind.stages:
                continue
            members = [k for k in self.kinds if k.group == group and k.required] if group else [kind]
            ids = {k.id for k in members}
            made = [v for v in made_here if v.kind_id in ids]
            owed = any(self.owed(k) for k in members) or key in wanted
            anywhere = bool(ids & self.made_kinds)
            listed_here = owed and not anywhere and self.home(kind) is stage
            if made or listed_here:
                title = GROUP_TITLES.get(group, "、".join(k.name for k in members)) if group else kind.name
                articles = tuple(dict.fromkeys(a for k in members for a in k.articles))
                items.append(self.record_item(key, title, articles, stage, owed, made, members))
                done_keys.add(key)
        known = {k.id for k in self.kinds}
        for v in made_here:  # records of kinds the catalogue in force no longer lists for this case
            if v.kind_id not in known and f"record:{v.kind_id}" not in done_keys:
                done_keys.add(f"record:{v.kind_id}")
                items.append(self.record_item(f"record:{v.kind_id}", v.kind_name, (), stage, False,
                                              [x for x in made_here if x.kind_id == v.kind_id], []))
        optional = [Act(ActKind.NEW_RECORD, k.name, k.id, stage) for k in self.kinds
                    if stage in k.stages and not any(i.key in (f"record:{k.id}", f"group:{k.group}") for i in items)
                    and self.makeable(stage, k)]
        return items, optional

    # ---- approvals, AV, handlers, archive ----------------------------------------------------

    def approval_item(self, step: Step, stage: Stage, required: bool) -> ChecklistItem:
        mine = sorted((a for a in self.approvals if a.request.step is step), key=lambda a: a.request.submitted_at)
        title, articles, key = STEP_LABELS[step], (STEP_ARTICLES[step],), f"approval:{step.value}"
        done = next((a for a in mine if a.state.status is Status.APPROVED), None)
        latest = mine[-1] if mine else None
        emergency = emergency_start(mine) if step is Step.INITIATION else None
        if done is not None:
            when = done.state.ended_at or done.request.submitted_at
            return ChecklistItem(key, title, articles, ItemState.DONE, required,
                                 f"已通过（{when.astimezone(self.now.tzinfo).strftime('%Y-%m-%d')}）",
                                 act=Act(ActKind.APPROVAL, "查看审批", str(done.request.id)))
        if latest is not None and latest.state.open:
            detail = ("已退回补正，待承办人重新提交" if latest.state.status is Status.RETURNED
                      else f"审批中，待{next_approver(latest)}")
            if emergency is not None and emergency.request.due_at is not None:
                detail = f"紧急先行启动，应于 {local(emergency.request.due_at)} 前完成审批；{detail}"
            return ChecklistItem(key, title, articles, ItemState.IN_PROGRESS, required, detail,
                                 act=Act(ActKind.APPROVAL, "查看审批", str(latest.request.id)))
        state = self.empty_state(stage, required)
        if emergency is not None:
            state = ItemState.IN_PROGRESS
        detail = "上次报批未通过或已撤回，须重新报批" if latest is not None else ""
        act = Act(ActKind.SUBMIT_APPROVAL, "报批", step.value) if self.reachable(stage) else None
        return ChecklistItem(key, title, articles, state, required, detail, act=act)

    def approval_items(self, stage: Stage) -> tuple[list[ChecklistItem], list[Act]]:
        if self.case.procedure is Procedure.SIMPLIFIED:
            return [], []  # Art. 31: decided on the spot, nothing is submitted
        if stage is Stage.INITIATION and initiation_required(self.case):
            return [self.approval_item(Step.INITIATION, stage, True)], []
        if stage is not Stage.REVIEW:
            return [], []
        items = [self.approval_item(Step.DECISION, stage, decision_required(self.case))]
        optional = []
        for step in (Step.LEGAL_REVIEW, Step.DISCUSSION):
            if any(a.request.step is step for a in self.approvals):
                items.insert(-1, self.approval_item(step, stage, False))
            elif self.reachable(stage):
                optional.append(Act(ActKind.SUBMIT_APPROVAL, f"报批{STEP_LABELS[step]}", step.value))
        return items, optional

    def av_item(self, stage: Stage, media_linked: int) -> ChecklistItem | None:
        """Art. 14 / 32: the AV records of the stage's records; None at stages that take none."""
        takes_av = {Stage.INVESTIGATION, Stage.SERVICE, Stage.EXECUTION}
        if self.case.procedure is Procedure.SIMPLIFIED:
            takes_av.add(Stage.REVIEW)
        status = stage_status(self.case, stage, self.reached)
        if stage not in takes_av or status in (StageStatus.FUTURE, StageStatus.SKIPPED):
            return None
        pairs = [(v, k) for v in self.latest if v.stage is stage and (k := self.kind_of(v)) and k.av is not AvRule.NONE]
        lines = tuple(self.line(v) for v, _k in pairs)
        needed = [(v, k) for v, k in pairs if k.av is AvRule.REQUIRED]
        lacking = [v for v, _k in needed if not v.av_media_ids and not v.av_waiver]
        title = "同步音像记录"
        media = f"本案已关联音像资料 {media_linked} 个" if media_linked else "本案尚未关联音像资料"
        if lacking:
            return ChecklistItem(f"av:{stage.value}", title, AV_ARTICLES, ItemState.IN_PROGRESS, True,
                                 f"{len(lacking)} 份记录须同步音像；{media}", lines,
                                 act=Act(ActKind.CORRECT_RECORD, "关联音像或说明理由", str(lacking[0].record_id)))
        if needed or any(v.av_media_ids for v, _k in pairs):
            return ChecklistItem(f"av:{stage.value}", title, AV_ARTICLES, ItemState.DONE, bool(needed), media, lines)
        act = Act(ActKind.UPLOAD_MEDIA, "上传音像") if self.writable and not media_linked else None
        return ChecklistItem(f"av:{stage.value}", title, AV_ARTICLES, ItemState.OPTIONAL, False,
                             f"容易引发争议的执法过程应当音像记录；{media}", lines, act=act)

    def handlers_item(self, handlers: Sequence[User]) -> ChecklistItem | None:
        """Art. 5: listed at the current stage while it needs (or leads to) certified handlers."""
        if self.case.closed or self.case.stage not in HANDLED_STAGES | {Stage.INITIATION}:
            return None
        today = local_date(self.now)
        valid = [u for u in handlers if can_act_as_officer(u, today)]
        bad = [u.display_name for u in handlers if u not in valid]
        detail = f"持有效执法证的承办人 {len(valid)} 名（至少{MIN_HANDLERS}名）" + (
            f"；不能承办：{'、'.join(bad)}" if bad else "")
        state = ItemState.DONE if len(valid) >= MIN_HANDLERS else ItemState.TODO
        title = "承办人（进入调查取证须至少两名）" if self.case.stage is Stage.INITIATION else "承办人"
        return ChecklistItem("handlers", title, ("第五条",), state, True, detail)

    def archive_item(self, status: StageStatus) -> ChecklistItem:
        if status is StageStatus.CURRENT:
            return ChecklistItem("archive", "整理案卷、归档", ("第三十九条",), ItemState.DONE, True,
                                 "执法行为已终结，案件已归档；档案管理人员可导出案卷",
                                 act=Act(ActKind.EXPORT, "导出案卷"))
        return ChecklistItem("archive", "整理案卷、归档", ("第三十九条",), ItemState.PENDING, True,
                             "执法行为终结后，将文字和音像记录整理成案卷归档")


def stage_checklist(b: StageBuilder, stage: Stage, wanted: set[str], handlers: Sequence[User], media_linked: int
           ) -> StageChecklist:
    """The items of ``stage`` for the case in ``b`` (placement of findings comes after)."""
    status = stage_status(b.case, stage, b.reached)
    if status is StageStatus.SKIPPED:
        return StageChecklist(stage, status, note=_skip_note(b.case, stage))
    if stage is Stage.ARCHIVE:
        note = f"本案已{CLOSED_KIND_LABELS[b.case.closed_kind]}：{b.case.closed_reason}" if b.case.closed_kind else ""
        return StageChecklist(stage, status, (b.archive_item(status),), note=note)
    records, optional = b.record_items(stage, wanted)
    approvals, more = b.approval_items(stage)
    items = [*records, *approvals]
    av = b.av_item(stage, media_linked)
    if av is not None:
        items.append(av)
    if status is StageStatus.CURRENT and (h := b.handlers_item(handlers)) is not None:
        items.insert(0, h)
    return StageChecklist(stage, status, tuple(items), optional=tuple(optional + more))

