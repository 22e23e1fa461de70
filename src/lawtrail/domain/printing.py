"""Printable forms (issue 5 item 8): what the paper form of a record says, as plain pieces a
template lays out. Any record kind of the catalogue prints from the same pieces: its fields in
catalogue order (values shown as a reader of the paper expects them: Beijing time, choices with
every option ticked or not, lists), the officers present (Art. 11), the rights notice (Art. 12),
one signature block per required signer (a given signature, a refusal with its reason and witness
(Art. 13), or blank lines to sign by hand), and the version line of a corrected record.

Pure: no template engine, no PDF library, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lawtrail.domain.approvals import (
    CHAINS,
    DECISION_LABELS,
    STEP_LABELS,
    SUBMISSION_LABELS,
    Approval,
    Decision,
    Step,
)
from lawtrail.domain.cases import Case
from lawtrail.domain.catalogue import CAPACITY_LABELS, FieldSpec, FieldType, RecordKind
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.parties import Party
from lawtrail.domain.records import (
    RIGHTS_METHOD_LABELS,
    SIGN_METHOD_LABELS,
    RecordVersion,
    Signature,
    needed,
)
from lawtrail.domain.secrecy import Level

#: The record kinds whose paper form carries the opinions of an approval chain (services.approvals).
APPROVAL_STEPS: dict[str, Step] = {"initiation_form": Step.INITIATION, "legal_review": Step.LEGAL_REVIEW,
                                   "collective_discussion": Step.DISCUSSION, "approval_record": Step.DECISION}


@dataclass(frozen=True)
class Option:
    label: str
    checked: bool


@dataclass(frozen=True)
class PrintedField:
    """One field on paper. ``paragraphs`` holds text (one item per line of a long text, or the
    one-line value), ``options`` every option of a choice with the chosen ones ticked; both empty
    leaves a blank to fill in by hand. ``wide`` fields take the whole width of the form."""

    id: str
    label: str
    paragraphs: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    wide: bool = False

    @property
    def blank(self) -> bool:
        return not self.paragraphs and not any(o.checked for o in self.options)


@dataclass(frozen=True)
class SignatureBlock:
    """One signature to give: ``given`` when signed, ``refusal`` when refused with a witness,
    neither when it is still to be signed by hand on the paper."""

    label: str
    capacity_label: str
    given: Signature | None = None
    refusal: Signature | None = None

    @property
    def method_label(self) -> str:
        return SIGN_METHOD_LABELS[self.given.method] if self.given and self.given.method else ""


@dataclass(frozen=True)
class OpinionLine:
    """One opinion of an approval chain as the form prints it: 执法机构意见 — 同意 — who, when."""

    label: str
    decision: str
    opinion: str
    name: str
    at: datetime


def approval_opinions(approval: Approval | None) -> list[OpinionLine]:
    """The opinions of the request, oldest first: the handler's submission(s) and each level's
    decision (withdrawals are not opinions and are left out)."""
    if approval is None:
        return []
    chain = CHAINS[approval.request.step]
    out = []
    for a in approval.actions:
        if a.decision is Decision.WITHDRAW:
            continue
        label = SUBMISSION_LABELS[approval.request.step] if a.level == 0 else \
            chain[min(a.level, len(chain)) - 1].label
        out.append(OpinionLine(label, DECISION_LABELS[a.decision] if a.level else "", a.opinion, a.actor_name, a.at))
    return out


def opinions_title(kind: RecordKind) -> str:
    """The heading of the approval chain's opinions on the form (``立案审批流程``), else ""."""
    step = APPROVAL_STEPS.get(kind.id)
    return f"{STEP_LABELS[step]}流程（系统记录的意见）" if step else ""


def local_time(value: datetime | str | None) -> str:
    """``2026年11月26日 17:05`` in Beijing time; "" for nothing or an unreadable value."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BUREAU_TZ)
    t = value.astimezone(BUREAU_TZ)
    return f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}:{t.minute:02d}"


def local_day(value: date | str | None) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return ""
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def printed_field(spec: FieldSpec, value: Any) -> PrintedField:
    """How ``value`` of a field of type ``spec.type`` reads on paper."""
    t, fid, label = spec.type, spec.id, spec.label
    if t is FieldType.CHOICE or t is FieldType.MULTI_CHOICE:
        chosen = set(value) if isinstance(value, list) else {value}
        return PrintedField(fid, label, options=tuple(Option(o, o in chosen) for o in spec.options),
                            wide=t is FieldType.MULTI_CHOICE or len(spec.options) > 4)
    if t is FieldType.YES_NO:
        return PrintedField(fid, label, options=(Option("是", value is True), Option("否", value is False)))
    if value is None or value == "" or value == []:
        return PrintedField(fid, label, wide=t is FieldType.LONG_TEXT)
    text = {FieldType.DATETIME: local_time, FieldType.DATE: local_day}.get(t)
    if t is FieldType.LONG_TEXT:
        return PrintedField(fid, label, tuple(line.rstrip() for line in str(value).splitlines()), wide=True)
    if t is FieldType.PEOPLE:
        return PrintedField(fid, label, ("、".join(str(v) for v in value),), wide=len(value) > 3)
    if text is not None:
        return PrintedField(fid, label, (text(str(value)),))
    if t is FieldType.NUMBER:
        return PrintedField(fid, label, (_number(value),))
    return PrintedField(fid, label, (str(value),), wide=len(str(value)) > 24)


def printed_fields(kind: RecordKind, version: RecordVersion) -> list[PrintedField]:
    """Every field of the kind, in catalogue order, with the version's value (blank when none)."""
    return [printed_field(spec, version.values.get(spec.id)) for spec in kind.fields]


def signature_blocks(kind: RecordKind, version: RecordVersion, signatures: Sequence[Signature]) -> list[SignatureBlock]:
    """One block per signature the kind requires of the version (``needed``), in catalogue
    order; the version's signatures and refusals fill the blocks of their capacity in the order
    they were given, and any beyond the required count get blocks of their own."""
    mine = sorted((s for s in signatures if s.record_version == version.version),
                  key=lambda s: (s.signed_at, s.recorded_at))
    by_capacity: dict[str, list[Signature]] = {}
    for s in mine:
        by_capacity.setdefault(s.capacity.value, []).append(s)
    blocks: list[SignatureBlock] = []
    for spec in kind.signers:
        queue = by_capacity.get(spec.capacity.value, [])
        label = spec.label or CAPACITY_LABELS[spec.capacity]
        count = max(needed(spec, version), len(queue) if spec is _last_of(kind, spec) else 0)
        for _ in range(count):
            got = queue.pop(0) if queue else None
            blocks.append(SignatureBlock(label, CAPACITY_LABELS[spec.capacity],
                                         given=got if got and not got.refused else None,
                                         refusal=got if got and got.refused else None))
    return blocks


def _last_of(kind: RecordKind, spec: Any) -> Any:
    """The last signer spec of the same capacity (it takes any extra signatures)."""
    return [s for s in kind.signers if s.capacity is spec.capacity][-1]


def rights_line(version: RecordVersion) -> str:
    """The rights notice line (Art. 12) of a record that has one, else ""."""
    if version.rights_method is None:
        return ""
    return (f"已告知当事人依法享有陈述、申辩、申请回避、听证等权利，告知方式："
            f"{RIGHTS_METHOD_LABELS[version.rights_method]}（第十二条）")


def version_line(version: RecordVersion) -> str:
    """``第 2 版，更正自第 1 版`` for a correction; ``第 1 版`` otherwise."""
    if version.version <= 1:
        return "第 1 版"
    return f"第 {version.version} 版，更正自第 {version.version - 1} 版"


# ---- what a printed page is made of (the renderer lays these out: ``adapters.printing``) -----------

@dataclass(frozen=True)
class FormHeader:
    """What heads every printed page of a case: the bureau, the unit, the case and its parties,
    the confidentiality level, who printed it and when."""

    bureau_name: str
    unit_name: str
    case: Case
    parties: list[Party]
    level: Level
    printed_at: datetime
    printed_by: str


@dataclass(frozen=True)
class RecordForm:
    """Everything the paper form of one record version shows."""

    head: FormHeader
    kind: RecordKind
    version: RecordVersion
    fields: list[PrintedField]
    blocks: list[SignatureBlock]
    rights: str
    version_line: str
    opinions: list[OpinionLine]
    opinions_title: str = ""  # e.g. 立案审批意见 (from the approval chain), when there are opinions


@dataclass(frozen=True)
class IndexEntry:
    """One line of the 卷内目录: a record's latest version."""

    number: int
    version: RecordVersion


@dataclass(frozen=True)
class CaseIndex:
    head: FormHeader
    entries: list[IndexEntry]


__all__ = ["APPROVAL_STEPS", "CaseIndex", "FormHeader", "IndexEntry", "OpinionLine", "Option", "PrintedField",
           "RecordForm", "SignatureBlock", "approval_opinions",
           "local_day", "local_time", "opinions_title", "printed_field", "printed_fields", "rights_line",
           "signature_blocks", "version_line"]
