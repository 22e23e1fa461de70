"""Rules of the evidence vault: storage within 24 h (Art. 41), registration (Art. 42), evidence
note and retention (Art. 43, 44). Pure functions over ``VaultFacts``; each returns findings.

- ``ART41-STORED-24H``: a hand-in not yet completed is ``open`` → ``due_soon`` → ``overdue`` at
  its deadline; an original stored after its deadline stays an overdue breach (Art. 48 (3)
  "not stored as required") naming the hours it was late. An original linked to a hand-in
  takes the hand-in's deadline (which honours the Art. 41 exceptions); any other original is
  due 24 h after its own ``handed_in_at``.
- ``ART42-REGISTRATION-COMPLETE``: the latest registration lacks one of the seven items; due
  ``registration_grace`` after storage.
- ``ART43-EVIDENCE-NOTE``: marked as evidence without the complete written note.
- ``ART43-RETENTION``: standard retention shorter than six months from capture, or evidence /
  Art. 44 material not on long-term retention.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from lawtrail.domain.evidence import (
    NOTE_ITEM_LABELS,
    SITUATION_LABELS,
    Handin,
    HandinCompletion,
    MediaMark,
    RetentionClass,
    legal_minimum_until,
    storage_deadline,
)
from lawtrail.domain.findings import Finding, RuleSpec, Severity, Subject, finding
from lawtrail.domain.rules.common import RuleSettings, hours, local
from lawtrail.domain.vault import ITEM_LABELS, Original, Registration, RegistrationItem, missing_items

STORED_24H = RuleSpec("ART41-STORED-24H", "第四十一条", Severity.ERROR,
                      "音像记录应在交接后24小时内集中储存", "originals stored within 24 h of hand-in")
REGISTRATION_COMPLETE = RuleSpec("ART42-REGISTRATION-COMPLETE", "第四十二条", Severity.WARNING,
                                 "音像记录应按七项内容分类登记", "originals registered by the seven items")
EVIDENCE_NOTE = RuleSpec("ART43-EVIDENCE-NOTE", "第四十三条", Severity.WARNING,
                         "作为证据的音像记录应有文字说明", "evidence has its written note")
RETENTION = RuleSpec("ART43-RETENTION", "第四十三条", Severity.ERROR,
                     "音像记录保存期限不少于六个月，证据及第四十四条情形长期保存",
                     "kept six months at least; evidence and Art. 44 material long-term")

RULES: tuple[RuleSpec, ...] = (STORED_24H, REGISTRATION_COMPLETE, EVIDENCE_NOTE, RETENTION)

#: English names of the seven Art. 42 items (the Chinese ones are ``domain.vault.ITEM_LABELS``).
ITEM_LABELS_EN: dict[RegistrationItem, str] = {
    RegistrationItem.UNIT_NAME: "unit name",
    RegistrationItem.CATEGORY: "enforcement category",
    RegistrationItem.DEVICE_NUMBER: "device number",
    RegistrationItem.OFFICER: "officer",
    RegistrationItem.TIME_OF_USE: "time of use",
    RegistrationItem.PARTY: "party",
    RegistrationItem.CASE_NAME: "case name",
}


@dataclass(frozen=True)
class VaultFacts:
    """What the vault rules read: the originals in scope (``MediaRecord`` or the engine's narrow
    ``OriginalFact``), their latest registration and mark,
    and the hand-ins of the same units with their completions (by hand-in id)."""

    media: Sequence[Original]
    registrations: Mapping[UUID, Registration] = field(default_factory=dict)
    marks: Mapping[UUID, MediaMark] = field(default_factory=dict)
    handins: Sequence[Handin] = ()
    completions: Mapping[UUID, HandinCompletion] = field(default_factory=dict)


def media_subject(media: Original) -> Subject:
    return Subject("media", str(media.id), f"{media.original_name} ({media.sha256[:12]})")


def handin_subject(handin: Handin) -> Subject:
    return Subject("handin", str(handin.id), f"交接 {handin.device_number} {local(handin.handed_in_at)}")


def _people(*ids: UUID | None) -> tuple[str, ...]:
    return tuple(str(i) for i in dict.fromkeys(ids) if i is not None)


# --- ART41-STORED-24H -----------------------------------------------------------------------

def stored_24h(facts: VaultFacts, now: datetime, settings: RuleSettings) -> list[Finding]:
    """Open hand-ins (deadline ahead or missed) and originals stored after their deadline."""
    out: list[Finding] = []
    handin_of: dict[UUID, Handin] = {}
    by_id = {h.id: h for h in facts.handins}
    for completion in facts.completions.values():
        for media_id in completion.media_ids:
            if completion.handin_id in by_id:
                handin_of[media_id] = by_id[completion.handin_id]
    for handin in facts.handins:
        if handin.id not in facts.completions:
            out.append(_open_handin(handin, now, settings))
    for media in facts.media:
        linked = handin_of.get(media.id)
        deadline = linked.deadline if linked else storage_deadline(media.handed_in_at, None, None)
        if media.stored_at > deadline:
            out.append(_stored_late(media, deadline, now, settings))
    return out


def _open_handin(handin: Handin, now: datetime, settings: RuleSettings) -> Finding:
    basis_zh, basis_en = ("返回单位", "the return") if handin.exception else ("交接", "the hand-in")
    zh = (f"设备 {handin.device_number} 于 {local(handin.handed_in_at)} 交接的音像资料尚未全部储存；"
          f"应在{basis_zh}后24小时内（{local(handin.deadline)} 前）储存")
    en = (f"footage of device {handin.device_number} handed in at {local(handin.handed_in_at)} is not all "
          f"stored yet; it must be stored within 24 h of {basis_en} (by {local(handin.deadline)})")
    return finding(STORED_24H, handin_subject(handin), zh, en, now=now, due_at=handin.deadline,
                   due_soon=settings.due_soon, unit_id=str(handin.unit_id),
                   people=_people(handin.officer_id))


def _stored_late(media: Original, deadline: datetime, now: datetime,
                 settings: RuleSettings) -> Finding:
    late = hours(media.stored_at - deadline)
    zh = (f"原始文件于 {local(media.stored_at)} 储存，超过时限（{local(deadline)}）{late} 小时："
          f"未按规定储存音像记录（第四十八条第三项）")
    en = (f"the original was stored at {local(media.stored_at)}, {late} h after its deadline "
          f"({local(deadline)}): not stored as required (Art. 48 (3))")
    return finding(STORED_24H, media_subject(media), zh, en, now=now, due_at=deadline, due_soon=settings.due_soon,
                   unit_id=str(media.unit_id), people=_people(media.officer_id))


# --- ART42-REGISTRATION-COMPLETE ------------------------------------------------------------

def registration_complete(facts: VaultFacts, now: datetime, settings: RuleSettings) -> list[Finding]:
    """One finding per original whose latest registration lacks any of the seven items."""
    out: list[Finding] = []
    texts: dict[tuple[str, ...], tuple[str, str]] = {}  # the messages of each set of missing items, built once
    for media in facts.media:
        missing = tuple(missing_items(facts.registrations.get(media.id)))
        if not missing:
            continue
        found = texts.get(missing)
        if found is None:
            found = texts[missing] = (
                "登记缺少：" + "、".join(ITEM_LABELS[RegistrationItem(k)] for k in missing),
                "registration lacks: " + ", ".join(ITEM_LABELS_EN[RegistrationItem(k)] for k in missing))
        zh, en = found
        out.append(finding(REGISTRATION_COMPLETE, media_subject(media), zh, en, now=now,
                           due_at=media.stored_at + settings.registration_grace, due_soon=settings.due_soon,
                           unit_id=str(media.unit_id), people=_people(media.officer_id)))
    return out


# --- ART43-EVIDENCE-NOTE --------------------------------------------------------------------

def evidence_note(facts: VaultFacts, now: datetime, settings: RuleSettings) -> list[Finding]:
    """One finding per original marked as evidence whose written note is incomplete."""
    out: list[Finding] = []
    for media in facts.media:
        mark = facts.marks.get(media.id)
        missing = mark.missing_note_items() if mark else ()
        if not missing:
            continue
        zh = "作为证据使用，但文字说明缺少：" + "、".join(NOTE_ITEM_LABELS[k][0] for k in missing)
        en = "used as evidence, but the written note lacks: " + ", ".join(NOTE_ITEM_LABELS[k][1] for k in missing)
        out.append(finding(EVIDENCE_NOTE, media_subject(media), zh, en, now=now, due_soon=settings.due_soon,
                           unit_id=str(media.unit_id), people=_people(media.officer_id)))
    return out


# --- ART43-RETENTION ------------------------------------------------------------------------

def retention_base(media: Original) -> datetime:
    """Retention runs from the capture time, or from storage when the capture time is unknown."""
    return media.captured_at or media.stored_at


def retention(facts: VaultFacts, now: datetime, settings: RuleSettings) -> list[Finding]:
    """Originals kept too briefly, or evidence / Art. 44 material not on long-term retention.

    An original without a mark is kept for the configured standard period (never below six
    months: ``parse_retention`` refuses that), so only marks can break this rule."""
    out: list[Finding] = []
    for media in facts.media:
        mark = facts.marks.get(media.id)
        problem = _retention_problem(media, mark) if mark else None
        if problem is None:
            continue
        out.append(finding(RETENTION, media_subject(media), *problem, now=now, due_soon=settings.due_soon,
                           unit_id=str(media.unit_id), people=_people(media.officer_id)))
    return out


def _retention_problem(media: Original, mark: MediaMark) -> tuple[str, str] | None:
    if mark.needs_long_term and mark.retention is not RetentionClass.LONG_TERM:
        reasons_zh = (["作为行政执法证据使用（第四十三条）"] if mark.evidence else []) + [
            f"{SITUATION_LABELS[s]}（第四十四条）" for s in mark.situations]
        reasons_en = (["used as evidence (Art. 43)"] if mark.evidence else []) + [
            f"Art. 44 situation {s.value}" for s in mark.situations]
        return ("应长期保存，但保存期限为一般保存：" + "；".join(reasons_zh),
                "must be kept long-term but is on standard retention: " + "; ".join(reasons_en))
    floor = legal_minimum_until(retention_base(media))
    if mark.retention is RetentionClass.STANDARD and (mark.retain_until is None or mark.retain_until < floor):
        until = local(mark.retain_until) if mark.retain_until else "未设定"
        return (f"保存至 {until}，少于自拍摄起六个月（应不早于 {local(floor)}）",
                f"kept until {(mark.retain_until and local(mark.retain_until)) or 'unset'}, less than six months "
                f"from capture (must be no earlier than {local(floor)})")
    return None


Rule = Callable[[VaultFacts, datetime, RuleSettings], list[Finding]]
#: Each vault rule's function, by rule id (the engine runs only the one asked for).
CHECKS: dict[str, Rule] = {
    STORED_24H.id: stored_24h,
    REGISTRATION_COMPLETE.id: registration_complete,
    EVIDENCE_NOTE.id: evidence_note,
    RETENTION.id: retention,
}


def check_vault(facts: VaultFacts, now: datetime, settings: RuleSettings, *,
                rule: str | None = None) -> list[Finding]:
    """Every vault rule (or only ``rule``) over ``facts``, in registry order."""
    return [f for rule_id, check in CHECKS.items() if rule in (None, rule_id) for f in check(facts, now, settings)]


__all__ = ["RULES", "VaultFacts", "check_vault"]
