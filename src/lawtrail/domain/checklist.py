"""The case page's 阶段清单: per stage, what this case needs (records of the catalogue, approvals,
the simultaneous AV record, handlers, service and execution), whether each is done, in progress
or missing, the compliance findings attached to the item they concern, and the one thing to do
next (docs/decisions/0026).

Pure: built from data the caller loaded once (``build_checklist``); what an item links to is an
``Act`` (a kind and a target), which the page turns into a URL. The findings are the engine's
(``services.findings``) — this module never judges a rule itself, it only places each finding:
a record's finding on the item holding that record, a case-wide one on the item its rule is
about (``RULE_ITEMS``), anything else on the current stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from lawtrail.domain.approvals import Approval
from lawtrail.domain.cases import STAGE_LABELS, STAGE_ORDER, Case, Procedure, Stage, next_stages
from lawtrail.domain.catalogue import Catalogue
from lawtrail.domain.checklist_items import (
    ITEM_STATE_LABELS,
    STAGE_STATUS_LABELS,
    Act,
    ActKind,
    ChecklistItem,
    ItemState,
    RecordFacts,
    RecordLine,
    StageBuilder,
    StageChecklist,
    StageStatus,
    stage_checklist,
    stage_status,
)
from lawtrail.domain.findings import Finding, FindingStatus
from lawtrail.domain.org import User

__all__ = ["ITEM_STATE_LABELS", "RULE_ITEMS", "STAGE_STATUS_LABELS", "Act", "ActKind", "Checklist", "ChecklistItem",
           "ItemState", "NextStep", "RecordFacts", "RecordLine", "StageChecklist", "StageStatus", "build_checklist",
           "next_step", "stage_status"]


@dataclass(frozen=True)
class NextStep:
    text: str
    stage: Stage
    act: Act | None = None
    finding: Finding | None = None
    item_key: str = ""


@dataclass(frozen=True)
class Checklist:
    stages: tuple[StageChecklist, ...]
    next_step: NextStep | None


#: The item a finding about the whole case belongs to, by rule (record findings go to their record).
RULE_ITEMS: dict[str, str] = {
    "ART05-CERTIFIED-HANDLER": "handlers", "ART08-APPLICATION-RECEIPT": "record:application_receipt",
    "ART09-INITIATION-FORM": "record:initiation_form", "ART09-EMERGENCY-APPROVAL-24H": "approval:initiation",
    "ART10-COMPLAINANT-NOTIFIED": "record:complainant_notification", "ART12-RIGHTS-NOTICE": "record:rights_notice",
    "ART18-DISCUSSION-SIGNED": "approval:discussion", "ART19-APPROVAL-CHAIN": "approval:decision",
    "ART21-SERVICE-RECEIPT": "group:service", "ART22-ELIGIBLE-SIGNER": "group:service",
    "ART23-REFUSAL-EVIDENCE": "group:service", "ART24-ELECTRONIC-FINAL-DOC": "group:service",
    "ART25-POSTAL-PROOF": "group:service", "ART27-PUBLIC-NOTICE-BASIS": "group:service",
    "ART28-CORRECTION-CHECK-DUE": "record:correction_check", "ART29-REMINDER-BEFORE-COURT": "record:reminder",
    "ART31-SIMPLIFIED-ITEMS": "record:simplified_record",
}
#: Record findings about the AV record go to the stage's AV item rather than the record's.
AV_RULES = frozenset({"ART14-AV-REQUIRED"})
_URGENT = {FindingStatus.OVERDUE: 0, FindingStatus.DUE_SOON: 1, FindingStatus.OPEN: 2}


def _with_findings(item: ChecklistItem, found: list[Finding]) -> ChecklistItem:
    if not found:
        return item
    if item.state is ItemState.DONE:  # the engine says something is still wrong
        return replace(item, findings=tuple(found), state=ItemState.IN_PROGRESS)
    if item.state is ItemState.OPTIONAL:  # the engine asks for it after all
        return replace(item, findings=tuple(found), state=ItemState.TODO, required=True)
    return replace(item, findings=tuple(found))


def _place(findings: Sequence[Finding], stages: list[StageChecklist], current: Stage
           ) -> list[StageChecklist]:
    """Attach each finding to the item it concerns (its record, else its rule's item), or to the
    current stage when no item holds it."""
    by_record = {str(line.record_id): (si, ii) for si, s in enumerate(stages) for ii, it in enumerate(s.items)
                 for line in it.records if not it.key.startswith("av:")}
    by_key = {it.key: (si, ii) for si, s in enumerate(stages) for ii, it in enumerate(s.items)}
    attached: dict[tuple[int, int], list[Finding]] = {}
    loose: dict[int, list[Finding]] = {}
    here = next(i for i, s in enumerate(stages) if s.stage is current)
    for f in findings:
        spot = None
        if f.subject.type == "record" and f.rule.id in AV_RULES:
            stage_of = next((si for si, s in enumerate(stages) for it in s.items if not it.key.startswith("av:")
                             for line in it.records if str(line.record_id) == f.subject.id), None)
            spot = by_key.get(f"av:{stages[stage_of].stage.value}") if stage_of is not None else None
        if spot is None and f.subject.type == "record":
            spot = by_record.get(f.subject.id)
        if spot is None and f.rule.id in RULE_ITEMS:
            spot = by_key.get(RULE_ITEMS[f.rule.id])
        if spot is None:
            loose.setdefault(here, []).append(f)
        else:
            attached.setdefault(spot, []).append(f)
    out = []
    for si, s in enumerate(stages):
        items = tuple(_with_findings(it, attached.get((si, ii), [])) for ii, it in enumerate(s.items))
        out.append(replace(s, items=items, findings=s.findings + tuple(loose.get(si, []))))
    return out


def _first_finding(stages: Sequence[StageChecklist], statuses: set[FindingStatus]) -> NextStep | None:
    """The most urgent finding of ``statuses``: overdue before due soon before open, then by due time."""
    far = datetime.max.replace(tzinfo=UTC)
    held: list[tuple[Finding, ChecklistItem | None, Stage]] = [
        (f, it, s.stage) for s in stages for it in s.items for f in it.findings]
    held += [(f, None, s.stage) for s in stages for f in s.findings]
    chosen = sorted((h for h in held if h[0].status in statuses),
                    key=lambda h: (_URGENT[h[0].status], h[0].due_at or far))
    if not chosen:
        return None
    f, it, stage = chosen[0]
    return NextStep(f"{f.rule.article}：{f.message_zh}", stage, it.act if it else None, f, it.key if it else "")


def _first_item(stages: Sequence[StageChecklist], states: set[ItemState], status: StageStatus) -> NextStep | None:
    for s in stages:
        if s.status is not status:
            continue
        for it in s.items:
            if it.required and it.state in states:
                what = it.detail if it.detail and it.state is ItemState.IN_PROGRESS else ITEM_STATE_LABELS[it.state]
                act = it.act or (it.choices[0] if it.choices else None)
                return NextStep(f"{s.label} · {it.title}：{what}", s.stage, act, item_key=it.key)
    return None


def next_step(case: Case, stages: Sequence[StageChecklist]) -> NextStep | None:
    """The one thing to do next: an overdue or due-soon finding, a required item missing from a
    stage left behind, then the current stage's unfinished items, then any open finding; once
    the stage is complete, moving on."""
    found = (_first_finding(stages, {FindingStatus.OVERDUE, FindingStatus.DUE_SOON})
             or _first_item(stages, {ItemState.MISSING, ItemState.IN_PROGRESS}, StageStatus.DONE)
             or _first_item(stages, {ItemState.TODO, ItemState.IN_PROGRESS}, StageStatus.CURRENT)
             or _first_finding(stages, {FindingStatus.OPEN}))
    if found is not None:
        return found
    if case.stage is Stage.ARCHIVE:
        return None
    ahead = next_stages(case)
    if not ahead:
        return None
    to = ahead[-1] if case.procedure is Procedure.SIMPLIFIED else ahead[0]
    return NextStep(f"本环节必备事项已齐备，可进入“{STAGE_LABELS[to]}”环节", case.stage,
                    Act(ActKind.ADVANCE, f"进入“{STAGE_LABELS[to]}”", to.value))


def build_checklist(case: Case, records: RecordFacts, approvals: Sequence[Approval], findings: Sequence[Finding],
                    catalogue: Catalogue, now: datetime, *, reached: frozenset[Stage] = frozenset(),
                    handlers: Sequence[User] = (), media_linked: int = 0) -> Checklist:
    """The 阶段清单 of ``case`` at ``now``: one ``StageChecklist`` per stage in order, and the next step.

    ``records``: its record versions and signatures and the catalogue versions they were made
    under; ``approvals`` its approval requests; ``findings`` the engine's findings of the case
    (its records included); ``catalogue`` the catalogue in force; ``reached`` the stages it has
    entered (its stage history); ``handlers`` its handlers' accounts; ``media_linked`` how many
    originals are linked to it now."""
    b = StageBuilder(case, records, approvals, catalogue, reached, now)
    wanted = {RULE_ITEMS[f.rule.id] for f in findings if f.subject.type == "case" and f.rule.id in RULE_ITEMS}
    stages = [stage_checklist(b, s, wanted, handlers, media_linked) for s in STAGE_ORDER]
    stages = _place(findings, stages, case.stage)
    return Checklist(tuple(stages), next_step(case, stages))
