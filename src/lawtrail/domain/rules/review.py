"""Review-and-decision record rules (Art. 16, 17, 20): the legal review names its reviewers, their
opinion and advice and is signed by them; an expert argument has minutes (or written opinions)
naming the experts and their opinions, signed by them; the decision document follows the legal
template and states its reasons. Pure functions over the same ``CaseFacts`` as the case and
record rules (``domain.rules.case_records``), so the engine reads nothing more (decision 0029).

Which records: the catalogue's kinds ``legal_review``, ``expert_argument`` and
``decision_document`` (their fields are read by id; a field a later catalogue version dropped
counts as not recorded, as in ``domain.service``). A *missing* record is a gap of
``domain.records.missing_records`` of a required kind citing the article (so the catalogue
decides which cases owe a legal review or a decision document: general procedure, and for the
legal review penalty, coercion, licensing and adjudication); an expert argument is not required
— Art. 17 applies "where one was organised", i.e. where its record exists.

Status as in decision 0024: a gap of the stage the case is at is ``open`` (still to do), of a
stage it has left (or a closed case) ``overdue``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from lawtrail.domain.cases import Case
from lawtrail.domain.catalogue import CAPACITY_LABELS, RecordKind
from lawtrail.domain.findings import Finding, FindingStatus, RuleSpec, Severity, Subject
from lawtrail.domain.records import Gap, GapKind, Versioned
from lawtrail.domain.rules.case_records import CaseFacts, case_gaps, case_subject, record_subject

ART16 = RuleSpec("ART16-LEGAL-REVIEW-RECORDED", "第十六条", Severity.ERROR,
                 "法制审核文书应载明审核人员、审核意见和建议，并由审核人员签名",
                 "a legal review names its reviewers, their opinion and advice, and is signed by them")
ART17 = RuleSpec("ART17-EXPERT-MINUTES", "第十七条", Severity.ERROR,
                 "组织专家论证的，应制作专家论证会议纪要或专家意见书，载明专家及其意见并由专家签名",
                 "an expert argument has minutes or written opinions naming the experts and their "
                 "opinions, signed by them")
ART20 = RuleSpec("ART20-DECISION-REASONS", "第二十条", Severity.ERROR,
                 "行政执法决定文书应符合法定格式（文书编号、事实、理由、依据、决定内容、救济途径、印章），充分说明决定的理由",
                 "a decision document follows the legal template (number, facts, reasons, legal basis, "
                 "decision, remedies, seal) and states its reasons")

#: Every rule of this module by id.
RULES: dict[str, RuleSpec] = {r.id: r for r in (ART16, ART17, ART20)}

LEGAL_REVIEW, EXPERT_ARGUMENT, DECISION = "legal_review", "expert_argument", "decision_document"


@dataclass(frozen=True)
class Elements:
    """What an article asks a record of ``kind_id`` to state: (field id, label if the catalogue's
    kind no longer has the field)."""

    spec: RuleSpec
    kind_id: str
    fields: tuple[tuple[str, str], ...]


#: THE table: the record each rule reads and the fields its article asks for.
ELEMENTS: tuple[Elements, ...] = (
    Elements(ART16, LEGAL_REVIEW, (("reviewers", "审核人员"), ("opinion", "审核意见"), ("advice", "建议"))),
    Elements(ART17, EXPERT_ARGUMENT, (("topic", "论证事项"), ("experts", "专家"), ("opinions", "论证意见"))),
    Elements(ART20, DECISION, (("document_number", "文书编号"), ("facts", "认定的事实"), ("reasons", "决定理由"),
                               ("legal_basis", "法律依据"), ("decision", "决定内容"), ("remedies", "救济途径和期限"))),
)
_BY_KIND = {e.kind_id: e for e in ELEMENTS}
#: A missing required record belongs to the rule of the article its kind cites.
_BY_ARTICLE = {"第十六条": ART16, "第十七条": ART17, "第二十条": ART20}


def _stated(value: object) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return any(isinstance(i, str) and i.strip() for i in value)
    return value is not None


def lacking(elements: Elements, v: Versioned, kind: RecordKind | None) -> list[tuple[str, str]]:
    """The (field id, label) of the fields ``elements`` asks for that ``v`` does not state; the
    label is the catalogue's where its kind has the field."""
    out = []
    for field_id, fallback in elements.fields:
        spec = kind.field(field_id) if kind is not None else None
        if not _stated(v.values.get(field_id)):
            out.append((field_id, spec.label if spec is not None else fallback))
    return out


def _finding(spec: RuleSpec, subject: Subject, zh: str, en: str, case: Case, overdue: bool) -> Finding:
    status = FindingStatus.OVERDUE if overdue else FindingStatus.OPEN
    return Finding(spec, subject, zh, en, status, None, str(case.unit_id))


def _latest(versions: Sequence[Versioned]) -> list[Versioned]:
    out: dict[UUID, Versioned] = {}
    for v in versions:
        if v.record_id not in out or v.version > out[v.record_id].version:
            out[v.record_id] = v
    return list(out.values())


def _missing_record(case: Case, gap: Gap, kind: RecordKind | None) -> Finding | None:
    articles = kind.articles if kind is not None else gap.articles
    spec = next((s for art, s in _BY_ARTICLE.items() if art in articles), None)
    if spec is None:
        return None
    return _finding(spec, case_subject(case), f"缺少“{gap.kind_name}”", f"no {gap.kind_id} recorded",
                    case, gap.overdue)


def _record(case: Case, v: Versioned, facts: CaseFacts, short: tuple[str, ...]) -> Finding | None:
    elements = _BY_KIND[v.kind_id]
    kind = (facts.catalogues.get(v.catalogue_version) or facts.current).kind(v.kind_id)
    missing = lacking(elements, v, kind)
    labels = {c.value: label for c, label in CAPACITY_LABELS.items()}
    if kind is not None:  # the kind's own words where it has them (本机关印章, 全体参加人员 …)
        labels |= {spec.capacity.value: spec.label for spec in kind.signers if spec.label}
    if not missing and not short:
        return None
    zh = [f"未载明：{'、'.join(label for _, label in missing)}"] if missing else []
    en = [f"does not state: {', '.join(field_id for field_id, _ in missing)}"] if missing else []
    if short:
        zh.append(f"尚缺签名：{'、'.join(labels.get(c, c) for c in short)}")
        en.append(f"lacks signatures: {', '.join(short)}")
    overdue = case.stage is not v.stage or case.closed
    return _finding(elements.spec, record_subject(case, v.record_id, v.kind_name),
                    f"“{v.kind_name}”{'；'.join(zh)}", f"{v.kind_id} {'; '.join(en)}", case, overdue)


def review_findings(case: Case, facts: CaseFacts) -> list[Finding]:
    """ART16 / ART17 / ART20 of one case: a required record of those articles missing, and each
    such record (its latest version) not stating what its article asks for or short of the
    signatures its kind needs (the reviewers, the experts, the agency's seal)."""
    versions = facts.versions.get(case.id, ())
    gaps = case_gaps(case, facts)
    out: list[Finding] = []
    for gap in gaps:
        if gap.gap is GapKind.RECORD and (made := _missing_record(case, gap, facts.current.kind(gap.kind_id))):
            out.append(made)
    short = {g.record_id: g.missing for g in gaps if g.gap is GapKind.SIGNATURES and g.record_id}
    for v in _latest(versions):
        if v.kind_id in _BY_KIND and (made := _record(case, v, facts, short.get(v.record_id, ()))):
            out.append(made)
    return out


def check_review(facts: CaseFacts, *, rule: str | None = None) -> list[Finding]:
    """Every finding of this module's rules (or only ``rule``) over ``facts`` (no rule here has a
    deadline, so no ``now``)."""
    if rule is not None and rule not in RULES:
        return []
    out = [f for case in facts.cases for f in review_findings(case, facts)]
    return [f for f in out if rule is None or f.rule.id == rule]
