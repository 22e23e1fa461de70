"""Case and record rules of Art. 5 and 8–15: certified handlers, the application receipt, the
initiation form, the complainant's notification, and the investigation records (officers
present, rights notified, signatures, simultaneous AV, evidence preservation). Pure functions
over plain data (``CaseFacts``), built on ``domain.records.missing_records``.

Each record is judged by the catalogue version it was made under (``CaseFacts.catalogues``);
what a case still lacks is judged by the catalogue in force (``CaseFacts.current``).

Status: a gap of a stage the case has moved past is ``overdue`` (the record was owed then); a
gap of the stage the case is at is ``open`` (still to do, no fixed time); the complainant's
notification is a deadline (``due_at`` a configurable number of days after the case was closed)
and a handler's certificate that will expire while the case runs is warned of with its expiry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from lawtrail.domain.cases import HANDLED_STAGES, MIN_HANDLERS, Case, ClosedKind, Origin, Stage
from lawtrail.domain.catalogue import CAPACITY_LABELS, Catalogue, RecordKind
from lawtrail.domain.findings import DUE_SOON, Finding, FindingStatus, RuleSpec, Severity, Subject, finding
from lawtrail.domain.org import BUREAU_TZ, CERT_EXPIRING_DAYS, User, can_act_as_officer, local_date
from lawtrail.domain.records import COMPLAINANT_KIND, MIN_OFFICERS, Gap, GapKind, Signed, Versioned, missing_records
from lawtrail.domain.rules.common import local

ART05 = RuleSpec("ART05-CERTIFIED-HANDLER", "第五条", Severity.ERROR,
                 "调查取证及以后环节须有至少两名持有效执法证的承办人",
                 "a case from investigation on has at least two handlers with a valid certificate")
ART08 = RuleSpec("ART08-APPLICATION-RECEIPT", "第八条", Severity.ERROR,
                 "依申请事项应记录受理情况、出具书面凭证（回执）并一次性告知需补正的全部内容",
                 "an application is recorded with its receipt and the one-time notice of what to supplement")
ART09 = RuleSpec("ART09-INITIATION-FORM", "第九条", Severity.ERROR,
                 "依职权启动一般程序的，应填写完整的程序启动表并按权限报批",
                 "an ex officio general case has a complete, approved initiation form")
ART10 = RuleSpec("ART10-COMPLAINANT-NOTIFIED", "第十条", Severity.ERROR,
                 "实名投诉举报经审查不启动执法程序的，应告知投诉举报人并作书面记录",
                 "a real-name complainant whose complaint is not taken up is told, in a written record")
ART11 = RuleSpec("ART11-OFFICERS-RECORDED", "第十一条", Severity.ERROR,
                 "调查笔录应记载执法人员数量、姓名、执法证件编号及出示情况",
                 "an investigation record names the officers, their certificate numbers and that they were shown")
ART12 = RuleSpec("ART12-RIGHTS-NOTICE", "第十二条", Severity.ERROR,
                 "应记录告知陈述、申辩、申请回避、听证等权利的方式",
                 "how the party was told of its rights is recorded")
ART13 = RuleSpec("ART13-SIGNATURES", "第十三条", Severity.ERROR,
                 "调查取证文书应由执法人员、当事人及有关人员签名或盖章，拒绝的应记录说明",
                 "investigation records are signed by officers, the party and persons concerned, "
                 "or the refusal recorded")
ART14 = RuleSpec("ART14-AV-REQUIRED", "第十四条", Severity.ERROR,
                 "现场检查（勘验）、抽样和听证应同时音像记录，不适宜的应说明理由",
                 "inspection, sampling and hearings are filmed at the same time, or the reason why not recorded")
ART15 = RuleSpec("ART15-PRESERVATION-AV", "第十五条", Severity.ERROR,
                 "证据保全应以文字和音像记载启动理由、标的和形式",
                 "evidence preservation records its reason, object and form in text and on AV")

#: Every rule of this module by id.
RULES: dict[str, RuleSpec] = {r.id: r for r in (ART05, ART08, ART09, ART10, ART11, ART12, ART13, ART14, ART15)}


RECEIPT_KIND = "application_receipt"
SUPPLEMENT_KIND = "supplement_notice"
NEEDS_SUPPLEMENT = "需补正"
#: The rule a record gap belongs to, by the article its kind cites (first match wins).
_BY_ARTICLE: tuple[tuple[str, RuleSpec], ...] = (("第八条", ART08), ("第九条", ART09), ("第十条", ART10),
                                                 ("第十二条", ART12))
#: Capacity labels by value, for the signature gaps' messages (built once, not per case).
_CAPACITY_LABELS: dict[str, str] = {c.value: label for c, label in CAPACITY_LABELS.items()}
_EARLY_STAGES = frozenset({Stage.INITIATION, Stage.INVESTIGATION, Stage.REVIEW})


@dataclass(frozen=True)
class CaseRows:
    """What the case repository's ``rule_facts`` reads: the cases, the stages entered per case, handler ids,
    record versions and signatures per case. With stored findings in use (decision 0050): ``revs``,
    each case's ``facts_rev`` as read; ``live``, the cases whose stored findings hold but whose
    Art. 5 finding depends on the day (open, at a handled stage), read with their handlers only."""

    cases: list[Case]
    reached: dict[UUID, frozenset[Stage]]
    handlers: dict[UUID, list[UUID]]
    versions: Mapping[UUID, Sequence[Versioned]]
    signatures: Mapping[UUID, Sequence[Signed]]
    revs: Mapping[UUID, int] = field(default_factory=dict)
    live: Sequence[Case] = ()


@dataclass(frozen=True)
class CaseFacts:
    """Everything the rules read, for every case in scope.

    ``reached``: the stages each case has entered (its stage history and its stage now);
    ``handlers``: the handlers' user ids per case; ``users``: the bureau's people by id;
    ``versions`` and ``signatures``: every record version and signature per case;
    ``catalogues``: the stored catalogue versions by number, ``current`` the one in force."""

    cases: Sequence[Case]
    reached: Mapping[UUID, frozenset[Stage]]
    handlers: Mapping[UUID, Sequence[UUID]]
    users: Mapping[UUID, User]
    versions: Mapping[UUID, Sequence[Versioned]]
    signatures: Mapping[UUID, Sequence[Signed]]
    catalogues: Mapping[int, Catalogue]
    current: Catalogue
    #: ``case_gaps`` per case id, worked out once for the case rules and the review rules.
    gaps: dict[UUID, list[Gap]] = field(default_factory=dict, compare=False, repr=False)


def case_gaps(case: Case, facts: CaseFacts) -> list[Gap]:
    """``missing_records`` of ``case`` over ``facts`` (computed once per case and kept in ``facts.gaps``)."""
    found = facts.gaps.get(case.id)
    if found is None:
        found = facts.gaps[case.id] = missing_records(
            case, facts.reached.get(case.id, frozenset({case.stage})), facts.catalogues, facts.current,
            facts.versions.get(case.id, ()), facts.signatures.get(case.id, ()))
    return found


@dataclass(frozen=True)
class CaseRuleSettings:
    """``complainant_notice``: how long after a real-name complaint is closed without initiation
    the complainant must have been told (Art. 10); ``due_soon`` as everywhere."""

    complainant_notice: timedelta = timedelta(days=5)
    due_soon: timedelta = DUE_SOON


@dataclass
class _Out:
    now: datetime
    settings: CaseRuleSettings
    rule: str | None
    items: list[Finding] = field(default_factory=list)

    def wants(self, spec: RuleSpec) -> bool:
        return self.rule is None or self.rule == spec.id

    def add(self, spec: RuleSpec, subject: Subject, zh: str, en: str, case: Case, *, overdue: bool = True,
            due_at: datetime | None = None, people: tuple[str, ...] = ()) -> None:
        if due_at is not None:
            self.items.append(finding(spec, subject, zh, en, now=self.now, due_at=due_at,
                                      due_soon=self.settings.due_soon, unit_id=str(case.unit_id), people=people))
            return
        status = FindingStatus.OVERDUE if overdue else FindingStatus.OPEN
        self.items.append(Finding(spec, subject, zh, en, status, None, str(case.unit_id), people))


def case_subject(case: Case) -> Subject:
    return Subject("case", str(case.id), case.title)


def record_subject(case: Case, record_id: UUID, kind_name: str) -> Subject:
    return Subject("record", str(record_id), f"{case.number} {kind_name}")


# ---- Art. 5 -------------------------------------------------------------------------------------

def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=BUREAU_TZ)


def certified_handlers(case: Case, handler_ids: Sequence[UUID], users: Mapping[UUID, User], out: _Out) -> None:
    """ART05-CERTIFIED-HANDLER: from investigation until execution, fewer than two handlers may act
    today (overdue); or enough today but certificates expire within ``CERT_EXPIRING_DAYS`` so that
    fewer than two remain (due at the end of the day the second-last valid one expires)."""
    if case.closed or case.stage not in HANDLED_STAGES:
        return
    today = local_date(out.now)
    people = [users[h] for h in handler_ids if h in users]
    valid = [u for u in people if can_act_as_officer(u, today)]
    if len(valid) < MIN_HANDLERS:
        bad = [u.display_name for u in people if u not in valid]
        who = f"；不能承办：{'、'.join(bad)}" if bad else ""
        zh = f"现有{len(valid)}名持{today.isoformat()}当日有效执法证的承办人，少于{MIN_HANDLERS}名{who}"
        en = (f"{len(valid)} handler(s) hold a certificate valid on {today.isoformat()}, fewer than {MIN_HANDLERS}"
              + (f"; cannot act: {', '.join(bad)}" if bad else ""))
        out.add(ART05, case_subject(case), zh, en, case, people=tuple(str(u.id) for u in people))
        return
    ends = sorted(u.certificate.valid_to for u in valid if u.certificate is not None)
    drop = ends[len(ends) - MIN_HANDLERS]  # after this day fewer than two remain
    if drop <= today + timedelta(days=CERT_EXPIRING_DAYS):
        expiring = [u.display_name for u in valid if u.certificate and u.certificate.valid_to <= drop]
        zh = (f"承办人{'、'.join(expiring)}的执法证将于 {drop.isoformat()} 到期，"
              f"届时持有效证件的承办人将少于{MIN_HANDLERS}名")
        en = (f"the certificate of {', '.join(expiring)} expires on {drop.isoformat()}; then fewer than "
              f"{MIN_HANDLERS} handlers hold a valid one")
        out.add(ART05, case_subject(case), zh, en, case, due_at=_end_of(drop),
                people=tuple(str(u.id) for u in valid if u.certificate and u.certificate.valid_to <= drop))


# ---- record gaps (Art. 8, 9, 12, 13, 14) --------------------------------------------------------

def _gap_rule(gap: Gap, kind: RecordKind | None) -> RuleSpec | None:
    articles = kind.articles if kind is not None else gap.articles
    if gap.gap is GapKind.RECORD:
        return next((spec for art, spec in _BY_ARTICLE if art in articles), None)
    if gap.gap is GapKind.SIGNATURES:
        if "第十三条" in articles:
            return ART13
        return next((spec for art, spec in _BY_ARTICLE[:3] if art in articles), None)
    if "第十五条" in articles or gap.stage not in _EARLY_STAGES:
        return None  # preservation: ART15 (no waiver); service and later: Art. 21–31
    return ART14


def _gap_text(gap: Gap, labels: Mapping[str, str]) -> tuple[str, str]:
    if gap.gap is GapKind.RECORD:
        return f"缺少“{gap.kind_name}”", f"no {gap.kind_id} recorded"
    if gap.gap is GapKind.SIGNATURES:
        who = "、".join(labels.get(c, c) for c in gap.missing)
        return (f"“{gap.kind_name}”尚缺签名（或有见证人的拒签记录）：{who}",
                f"{gap.kind_id} lacks signatures (or witnessed refusals): {', '.join(gap.missing)}")
    return (f"“{gap.kind_name}”未关联同步音像记录，也未说明不适宜音像记录的理由",
            f"{gap.kind_id} has no simultaneous AV record linked and no reason why it was unsuitable")


def record_gaps(case: Case, facts: CaseFacts, out: _Out) -> list[Gap]:
    """ART08/09/12/13/14 from ``missing_records``: a missing required record, a record short of
    signatures, a required AV record neither linked nor waived. The initiation form only counts
    once the case has moved past initiation (Art. 9: it is filled in to start the case)."""
    labels = _CAPACITY_LABELS
    versions = facts.versions.get(case.id, ())
    gaps = case_gaps(case, facts)
    kinds = {v.record_id: v for v in versions}
    for gap in gaps:
        made = kinds.get(gap.record_id) if gap.record_id else None
        catalogue = facts.catalogues.get(made.catalogue_version, facts.current) if made else facts.current
        spec = _gap_rule(gap, catalogue.kind(gap.kind_id))
        if spec is None or not out.wants(spec) or (spec is ART09 and gap.gap is GapKind.RECORD and not gap.overdue):
            continue
        zh, en = _gap_text(gap, labels)
        subject = record_subject(case, gap.record_id, gap.kind_name) if gap.record_id else case_subject(case)
        out.add(spec, subject, zh, en, case, overdue=gap.overdue)
    return gaps


# ---- per record (Art. 8, 11, 12, 15) -----------------------------------------------------------

def _latest(versions: Sequence[Versioned]) -> list[Versioned]:
    out: dict[UUID, Versioned] = {}
    for v in versions:
        if v.record_id not in out or v.version > out[v.record_id].version:
            out[v.record_id] = v
    return list(out.values())


def record_contents(case: Case, facts: CaseFacts, out: _Out) -> None:
    """ART11 (officers present: at least two, certificate numbers, certificates shown), ART12 (how
    the rights were notified, where the kind records it), ART15 (preservation: the reason, object
    and form given and an AV record linked — a waiver does not stand in, Art. 15 wants both) and
    ART08 (a receipt saying material is missing needs the one-time supplement notice)."""
    latest = _latest(facts.versions.get(case.id, ()))
    present = {v.kind_id for v in latest}
    for v in latest:
        kind = (facts.catalogues.get(v.catalogue_version) or facts.current).kind(v.kind_id)
        if kind is None:
            continue
        overdue = case.stage is not v.stage or case.closed
        subject = record_subject(case, v.record_id, v.kind_name)
        if kind.officers and out.wants(ART11):
            _officers(case, v, subject, overdue, out)
        if kind.rights_notice and v.rights_method is None and out.wants(ART12):
            out.add(ART12, subject, f"“{v.kind_name}”未记录告知当事人权利的方式",
                    f"{v.kind_id} does not record how the rights were notified", case, overdue=overdue)
        if "第十五条" in kind.articles and out.wants(ART15):
            _preservation(case, v, kind, subject, overdue, out)
        if (v.kind_id == RECEIPT_KIND and v.values.get("decision") == NEEDS_SUPPLEMENT
                and SUPPLEMENT_KIND not in present and out.wants(ART08)):
            out.add(ART08, subject, "受理回执载明“需补正”，但没有一次性补正告知书",
                    "the receipt says material is missing but no one-time supplement notice is recorded",
                    case, overdue=overdue)


def _officers(case: Case, v: Versioned, subject: Subject, overdue: bool, out: _Out) -> None:
    problems_zh, problems_en = [], []
    if len(v.officers) < MIN_OFFICERS:
        problems_zh.append(f"只记载了{len(v.officers)}名执法人员（至少{MIN_OFFICERS}名）")
        problems_en.append(f"only {len(v.officers)} officer(s) named (at least {MIN_OFFICERS})")
    no_number = [o.name for o in v.officers if not o.cert_number.strip()]
    if no_number:
        problems_zh.append(f"{'、'.join(no_number)}未记载执法证件编号")
        problems_en.append(f"no certificate number for {', '.join(no_number)}")
    not_shown = [o.name for o in v.officers if not o.cert_shown]
    if not_shown:
        problems_zh.append(f"{'、'.join(not_shown)}的执法证件未记录出示")
        problems_en.append(f"certificate of {', '.join(not_shown)} not recorded as shown")
    if problems_zh:
        out.add(ART11, subject, f"“{v.kind_name}”：{'；'.join(problems_zh)}",
                f"{v.kind_id}: {'; '.join(problems_en)}", case, overdue=overdue,
                people=tuple(str(o.user_id) for o in v.officers if o.name in not_shown + no_number))


def _preservation(case: Case, v: Versioned, kind: RecordKind, subject: Subject, overdue: bool,
                  out: _Out) -> None:
    missing = [f.label for f in kind.fields if f.required and f.id not in v.values]
    if not v.av_media_ids:
        missing.append("同步音像记录")
    if missing:
        waived = f"（不适宜音像记录的说明不能代替：{v.av_waiver}）" if v.av_waiver and not v.av_media_ids else ""
        out.add(ART15, subject, f"“{v.kind_name}”缺少：{'、'.join(missing)}{waived}",
                f"{v.kind_id} lacks: {', '.join(missing)}", case, overdue=overdue)


# ---- Art. 10 ------------------------------------------------------------------------------------

def complainant_notified(case: Case, facts: CaseFacts, out: _Out) -> None:
    """ART10-COMPLAINANT-NOTIFIED: a real-name complaint closed without initiation and no
    complainant notification recorded; due ``complainant_notice`` after the closing."""
    if (case.origin is not Origin.COMPLAINT or not case.complainant_real_name
            or case.closed_kind is not ClosedKind.NOT_INITIATED or case.ended_at is None):
        return
    if any(v.kind_id == COMPLAINANT_KIND for v in facts.versions.get(case.id, ())):
        return
    due = case.ended_at + out.settings.complainant_notice
    who = case.complainant_name or "投诉举报人"
    out.add(ART10, case_subject(case),
            f"实名投诉举报于 {local(case.ended_at)} 决定不予立案，应于 {local(due)} 前告知{who}并作书面记录",
            f"the real-name complaint was not taken up at {local(case.ended_at)}; tell the complainant and "
            f"record it by {local(due)}", case, due_at=due)


def check_cases(facts: CaseFacts, now: datetime, *, settings: CaseRuleSettings | None = None,
                rule: str | None = None) -> list[Finding]:
    """Every finding of the rules of this module (or only ``rule``) over ``facts`` at ``now``."""
    out = _Out(now, settings or CaseRuleSettings(), rule)
    record_rules = rule is None or rule in (ART08.id, ART09.id, ART12.id, ART13.id, ART14.id)
    for case in facts.cases:
        if out.wants(ART05):
            certified_handlers(case, facts.handlers.get(case.id, ()), facts.users, out)
        if out.wants(ART10):
            complainant_notified(case, facts, out)
        if record_rules:
            record_gaps(case, facts, out)
        record_contents(case, facts, out)
    return out.items
