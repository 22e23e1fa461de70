"""Retention, legal holds and disposal of originals (Art. 39, 43, 44) — pure rules.

Which class an original is kept under follows from what is known about it (docs/decisions/0021):

- used as evidence, or an Art. 44 situation, or marked long-term: **long-term** (indefinite);
- part of an archived case file (its case is in stage 归档): **archival**, the archives rules'
  period from the case's end (``RetentionPolicy.archival_months``, 30 years by default);
- otherwise **standard**: the configured months from capture (never under six, Art. 43), or
  the mark's later end date.

A ``RetentionOverride`` may only raise that (a later end date, or long-term) and always carries
a reason. An original may be disposed of only when its period has ended, it is not under a
legal hold (法律保全), and it is neither evidence nor long-term. Disposal needs two different
people: an archivist proposes (``archive:manage``), a leader approves (``archive:approve``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from lawtrail.domain.evidence import MediaMark, RetentionClass, RetentionPolicy, legal_minimum_until
from lawtrail.domain.rules.vault import retention_base
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import InvalidTransition, RuleViolation

#: Ordering of the classes by how long they keep (an override may only go up this order).
_RANK = {RetentionClass.STANDARD: 0, RetentionClass.ARCHIVAL: 1, RetentionClass.LONG_TERM: 2}


class HoldTarget(StrEnum):
    MEDIA = "media"
    CASE = "case"


@dataclass(frozen=True)
class LegalHold:
    """A legal hold (法律保全) on one original or on every original linked to a case; active
    until released (the release is a separate, append-only record)."""

    id: UUID
    bureau_id: UUID
    target: HoldTarget
    target_id: UUID
    target_name: str
    reason: str
    placed_by_id: UUID | None
    placed_by_name: str
    placed_at: datetime
    released_at: datetime | None = None
    released_by_id: UUID | None = None
    released_by_name: str = ""
    release_reason: str = ""

    @property
    def active(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True)
class HoldRelease:
    hold_id: UUID
    reason: str
    actor_id: UUID | None
    actor_name: str
    at: datetime


@dataclass(frozen=True)
class RetentionOverride:
    """Version ``version`` of a raise of one original's retention, with its reason."""

    media_id: UUID
    version: int
    retention: RetentionClass
    retain_until: datetime | None  # None with long-term
    reason: str
    actor_id: UUID | None
    actor_name: str
    at: datetime


@dataclass(frozen=True)
class ArchivedIn:
    """A concluded (归档) case the original is currently linked to."""

    case_id: UUID
    number: str
    ended_at: datetime


@dataclass(frozen=True)
class ItemFacts:
    """What decides an original's retention, read set-based for a whole bureau."""

    media: MediaRecord
    mark: MediaMark | None = None
    override: RetentionOverride | None = None
    archived_in: tuple[ArchivedIn, ...] = ()
    holds: tuple[LegalHold, ...] = ()  # active holds on it or on a case it is linked to
    disposed: bool = False


@dataclass(frozen=True)
class Retention:
    """The effective class and end (None: indefinite), with the reasons (zh) and articles."""

    retention: RetentionClass
    until: datetime | None
    reasons: tuple[str, ...]

    def expired(self, now: datetime) -> bool:
        return self.until is not None and self.until <= now


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later end; None (indefinite) wins."""
    if a is None or b is None:
        return None
    return max(a, b)


def effective_retention(facts: ItemFacts, policy: RetentionPolicy) -> Retention:
    """The class and end the original is kept under now (see the module docstring)."""
    mark, override = facts.mark, facts.override
    if mark is not None and (mark.evidence or mark.situations or mark.retention is RetentionClass.LONG_TERM):
        why = ("作为证据使用（第四十三条）" if mark.evidence else
               "第四十四条情形" if mark.situations else "已定为长期保存")
        return Retention(RetentionClass.LONG_TERM, None, (why,))
    if override is not None and override.retention is RetentionClass.LONG_TERM:
        return Retention(RetentionClass.LONG_TERM, None, (f"上调为长期保存：{override.reason}",))
    until = policy.standard_until(retention_base(facts.media))
    reasons = [f"一般保存 {policy.standard_months} 个月（第四十三条）"]
    if mark is not None and mark.retain_until is not None and mark.retain_until > until:
        until = mark.retain_until
        reasons.append("标记的保存截止日期")
    kept = RetentionClass.STANDARD
    for case in facts.archived_in:
        end = policy.archival_until(case.ended_at)
        if end > until:
            until, kept = end, RetentionClass.ARCHIVAL
        reasons.append(f"归档案卷 {case.number}（第三十九条）")
    if override is not None and override.retain_until is not None and override.retain_until > until:
        until = override.retain_until
        reasons.append(f"上调保存期限：{override.reason}")
    return Retention(kept, until, tuple(reasons))


@dataclass(frozen=True)
class Refusal:
    """Why one original may not be disposed of: a stable code, zh/en message, the article."""

    code: str
    message_zh: str
    message_en: str
    article: str


def disposal_refusals(facts: ItemFacts, policy: RetentionPolicy, now: datetime) -> list[Refusal]:
    """Every reason the original may not be disposed of at ``now`` (empty: it may be)."""
    out: list[Refusal] = []
    if facts.disposed:
        out.append(Refusal("archive.already_disposed", "已销毁", "already disposed of", "第四十三条"))
    if facts.holds:
        out.append(Refusal("archive.held", "处于法律保全之中：" + "；".join(h.reason for h in facts.holds),
                           "under a legal hold", "第四十三条、第四十四条"))
    mark = facts.mark
    if mark is not None and mark.evidence:
        out.append(Refusal("archive.evidence", "作为行政执法证据使用的音像资料应归档附卷长期保存",
                           "AV used as evidence is kept long-term with the case file", "第四十三条"))
    kept = effective_retention(facts, policy)
    if kept.retention is RetentionClass.LONG_TERM and not (mark is not None and mark.evidence):
        out.append(Refusal("archive.long_term", "长期保存的音像资料不得销毁（" + "；".join(kept.reasons) + "）",
                           "long-term material cannot be disposed of", "第四十四条"))
    elif kept.until is not None and not kept.expired(now):
        article = "第三十九条" if kept.retention is RetentionClass.ARCHIVAL else "第四十三条"
        out.append(Refusal("archive.unexpired", f"保存期限未满（至 {kept.until:%Y-%m-%d}）",
                           f"the retention period has not ended (until {kept.until:%Y-%m-%d})", article))
    return out


def refusal_error(name: str, refusals: Sequence[Refusal]) -> RuleViolation:
    """One RuleViolation for an original's refusals (the first one's code and article)."""
    first = refusals[0]
    articles = "、".join(dict.fromkeys(r.article for r in refusals))
    return RuleViolation(f"不能销毁 {name}：" + "；".join(r.message_zh for r in refusals),
                         f"{name} cannot be disposed of: " + "; ".join(r.message_en for r in refusals),
                         code=first.code, article=articles)


def check_override(current: Retention, retention: RetentionClass, until: datetime | None) -> None:
    """Raise RuleViolation (``archive.override_down``, Art. 43) unless the override raises the
    current retention: long-term over anything not long-term, or a later end date."""
    if retention is RetentionClass.LONG_TERM:
        if current.retention is RetentionClass.LONG_TERM:
            raise RuleViolation("已是长期保存，无需上调", "already long-term", code="archive.override_down",
                                article="第四十三条")
        return
    if current.until is None or until is None or until <= current.until:
        shown = f"{current.until:%Y-%m-%d}" if current.until else "长期"
        raise RuleViolation(f"保存期限只能上调：新的截止日期须晚于现有的 {shown}",
                            f"retention can only be raised: the new end must be after {shown}",
                            code="archive.override_down", article="第四十三条")


def newly_disposable(items: Iterable[ItemFacts], current: RetentionPolicy, candidate: RetentionPolicy,
                     now: datetime) -> list[tuple[ItemFacts, Retention]]:
    """The originals that ``candidate`` would make disposable at ``now`` and ``current`` does not,
    with their retention under ``candidate`` (the preview shown before a policy change)."""
    out = []
    for facts in items:
        if facts.disposed or disposal_refusals(facts, candidate, now):
            continue
        if disposal_refusals(facts, current, now):
            out.append((facts, effective_retention(facts, candidate)))
    return out


def minimum_until(media: MediaRecord) -> datetime:
    """The earliest any policy may let the original go (six months from capture, Art. 43)."""
    return legal_minimum_until(retention_base(media))


# --- disposal: proposed → approved → disposed, or rejected --------------------------------------


class DisposalStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"  # approved; the bytes are going or wait for Object Lock to end
    REJECTED = "rejected"
    DISPOSED = "disposed"


class DecisionKind(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    EXECUTE = "execute"


DISPOSAL_STATUS_LABELS = {DisposalStatus.PROPOSED: "待审批", DisposalStatus.APPROVED: "已批准（待删除）",
                          DisposalStatus.REJECTED: "已驳回", DisposalStatus.DISPOSED: "已销毁"}


@dataclass(frozen=True)
class DisposalItem:
    media_id: UUID
    sha256: str
    size: int
    name: str
    retention: RetentionClass
    retain_until: datetime | None


@dataclass(frozen=True)
class DisposalDecision:
    disposal_id: UUID
    kind: DecisionKind
    actor_id: UUID | None
    actor_name: str
    at: datetime
    note: str
    ledger_index: int | None = None
    certificate: dict[str, object] | None = None


@dataclass(frozen=True)
class Disposal:
    id: UUID
    bureau_id: UUID
    reason: str
    proposed_by_id: UUID | None
    proposed_by_name: str
    proposed_at: datetime
    items: tuple[DisposalItem, ...]
    decisions: tuple[DisposalDecision, ...] = field(default=())

    @property
    def status(self) -> DisposalStatus:
        kinds = {d.kind for d in self.decisions}
        if DecisionKind.EXECUTE in kinds:
            return DisposalStatus.DISPOSED
        if DecisionKind.REJECT in kinds:
            return DisposalStatus.REJECTED
        if DecisionKind.APPROVE in kinds:
            return DisposalStatus.APPROVED
        return DisposalStatus.PROPOSED

    def decision(self, kind: DecisionKind) -> DisposalDecision | None:
        return next((d for d in self.decisions if d.kind is kind), None)


def check_decision(disposal: Disposal, kind: DecisionKind, actor_id: UUID | None) -> None:
    """Raise InvalidTransition unless ``kind`` may follow now: approve/reject a proposal, by a
    named person other than the proposer (two people, ``archive.same_person``); execute an
    approved one."""
    status = disposal.status
    if kind is DecisionKind.EXECUTE:
        if status is not DisposalStatus.APPROVED:
            raise InvalidTransition(f"只有已批准的销毁可以执行（当前：{DISPOSAL_STATUS_LABELS[status]}）",
                                    f"only an approved disposal can be carried out (it is {status.value})",
                                    code="archive.not_approved")
        return
    if status is not DisposalStatus.PROPOSED:
        raise InvalidTransition(f"该销毁申请已处理（{DISPOSAL_STATUS_LABELS[status]}）",
                                f"the disposal proposal was already decided ({status.value})",
                                code="archive.decided")
    if actor_id is None or actor_id == disposal.proposed_by_id:
        raise InvalidTransition("销毁须由提出人以外的另一人审批（两人审批）",
                                "a disposal must be approved by a person other than its proposer (two people)",
                                code="archive.same_person", article="第四十三条")
