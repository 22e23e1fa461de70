"""Service, execution and simplified-procedure rules (Art. 21–31). Pure functions over
``ServiceFacts``: the cases in scope and the latest versions of their service, decision,
execution and simplified-procedure records, with their signatures and attachment counts.

What a receipt lacks is decided by ``domain.service.receipt_problems``, the same function that
the record-time checks and the stage gate use. Rules without a deadline are overdue as soon as
they are broken (decision 0012); ART28 is due at the end of the correction deadline's day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from lawtrail.domain import service as s
from lawtrail.domain.cases import STAGE_ORDER, Case, Procedure, Stage
from lawtrail.domain.findings import DUE_SOON, Finding, RuleSpec, Severity, Subject, finding
from lawtrail.domain.records import Signed, Versioned
from lawtrail.domain.rules.common import local

ART21 = RuleSpec("ART21-SERVICE-RECEIPT", "第二十一条", Severity.ERROR,
                 "送达文书必须有送达回证，记明签收日期并签名或盖章",
                 "every service has a receipt with the date and a signature or seal")
ART22 = RuleSpec("ART22-ELIGIBLE-SIGNER", "第二十二条", Severity.ERROR,
                 "直接送达只能由法定范围内的人员签收",
                 "direct service is signed for only by the persons Art. 22 names")
ART23 = RuleSpec("ART23-REFUSAL-EVIDENCE", "第二十三条", Severity.ERROR,
                 "拒收的，记明事由和日期，见证人签名或拍照录像留置",
                 "a refusal records reason and date, with a witness or the service filmed")
ART24 = RuleSpec("ART24-ELECTRONIC-FINAL-DOC", "第二十四条", Severity.ERROR,
                 "传真、电子邮件送达须经同意并确认收悉，终结性文书除外",
                 "fax / e-mail only with consent and proof, never for final documents")
ART25 = RuleSpec("ART25-POSTAL-PROOF", "第二十五条", Severity.ERROR,
                 "邮寄送达用挂号信或特快专递并留存登记、付邮凭证和回执",
                 "post by registered mail or EMS, keeping registration, postage proof and return receipt")
ART26 = RuleSpec(s.ENTRUSTED_RULE, "第二十六条", Severity.ERROR,
                 "委托、转交送达应记录委托、转交原因，由送达人、受送达人在送达回证上签名或盖章",
                 "entrusted or forwarded service records the reason, and the server and the recipient "
                 "both sign the receipt")
ART27 = RuleSpec("ART27-PUBLIC-NOTICE-BASIS", "第二十七条", Severity.ERROR,
                 "公告送达须以其他方式无法送达为前提并音像记录",
                 "public notice only after failed attempts, with carrier and AV record")
ART28 = RuleSpec("ART28-CORRECTION-CHECK-DUE", "第二十八条", Severity.ERROR,
                 "责令改正的，应按期核查改正情况并记录",
                 "an ordered correction is checked by its deadline and the check recorded")
ART29 = RuleSpec("ART29-REMINDER-BEFORE-COURT", "第二十九条", Severity.ERROR,
                 "申请法院强制执行前应送达催告书并复核陈述申辩",
                 "a reminder is served and the party's statement reviewed before a court application")
ART31 = RuleSpec("ART31-SIMPLIFIED-ITEMS", "第三十一条", Severity.ERROR,
                 "简易程序应记录七项内容，易引起争议的应音像记录",
                 "a simplified procedure records its seven items; dispute-prone ones get an AV record")

RULES: dict[str, RuleSpec] = {r.id: r for r in (ART21, ART22, ART23, ART24, ART25, ART26, ART27, ART28, ART29,
                                                ART31)}
_BY_ID = RULES


@dataclass(frozen=True)
class ServiceFacts:
    """The cases in scope; every version of their records of ``domain.service.KINDS``; the
    signatures of those records; the number of attachments (purpose ``attachment``) per record."""

    cases: list[Case]
    versions: Sequence[Versioned]
    signatures: Sequence[Signed]
    attachments: dict[UUID, int] = field(default_factory=dict)


def facts_from_cases(cases: Sequence[Case], versions: Mapping[UUID, Sequence[Versioned]],
                     signatures: Mapping[UUID, Sequence[Signed]], kinds: Collection[str],
                     stages: Collection[Stage], attachments: dict[UUID, int]) -> ServiceFacts:
    """The ``ServiceFacts`` of the cases at ``stages`` out of facts already read for every case
    (versions and signatures per case, as the case rules read them): what
    ``RecordRepo.service_facts`` reads, without reading it again (decision 0044); the versions
    in case order (the rules group them by case and order each case's own)."""
    kept = sorted((c for c in cases if c.stage in stages), key=lambda c: c.number)
    mine = [v for c in kept for v in versions.get(c.id, ()) if v.kind_id in kinds]
    records = {v.record_id for v in mine}
    signed = [x for c in kept for x in signatures.get(c.id, ()) if x.record_id in records]
    return ServiceFacts(cases=kept, versions=mine, signatures=signed, attachments=attachments)


def _subject(case: Case) -> Subject:
    return Subject("case", str(case.id), case.title)


def _past(case: Case, stage: Stage) -> bool:
    return STAGE_ORDER.index(case.stage) > STAGE_ORDER.index(stage)


def _make(spec: RuleSpec, case: Case, zh: str, en: str, now: datetime, due_at: datetime | None = None,
          due_soon: timedelta = DUE_SOON) -> Finding:
    return finding(spec, _subject(case), zh, en, now=now, due_at=due_at, due_soon=due_soon, unit_id=str(case.unit_id))


def service_findings(case: Case, records: list[Versioned], signatures: list[Signed],
                     attachments: dict[UUID, int], now: datetime) -> list[Finding]:
    """ART21–27 for one case: each service record's problems; and, once the case has left 送达
    (decided, not closed), no service record of the decision at all."""
    out: list[Finding] = []
    served = [v for v in records if v.kind_id in s.SERVICE_KINDS]
    for v in served:
        for p in s.receipt_problems(case, v, signatures, attachments.get(v.record_id, 0), records):
            zh = f"{v.kind_name}（{local(v.created_at)}）：{p.zh}"
            out.append(_make(_BY_ID[p.rule], case, zh, f"{v.kind_id} ({local(v.created_at)}): {p.en}", now))
    if not served and not case.closed and _past(case, Stage.SERVICE):
        out.append(_make(ART21, case, "案件已离开送达环节，但没有任何送达回证",
                         "the case left service without any receipt", now))
    return out


def correction_findings(case: Case, records: list[Versioned], now: datetime,
                        due_soon: timedelta) -> list[Finding]:
    """ART28: a decision (or simplified record) ordering a correction by a date, and no
    correction check recorded by the end of that day (open → due_soon → overdue); a check made
    late stays an overdue finding naming the day it was made."""
    deadlines = [str(v.values["correction_deadline"]) for v in records
                 if v.kind_id in (s.DECISION, s.SIMPLIFIED) and v.values.get("correction_deadline")]
    if not deadlines or case.closed:
        return []
    due = s.end_of_day(max(deadlines))
    checks = sorted(str(v.values.get("checked_at", "")) for v in records if v.kind_id == s.CORRECTION_CHECK)
    checked = [datetime.fromisoformat(c) for c in checks if c]
    if any(c < due for c in checked):
        return []
    if checked:
        zh = f"责令改正期限为 {max(deadlines)}，复查记录晚至 {local(min(checked))} 才作出"
        en = f"correction due {max(deadlines)}; the check was recorded late, at {local(min(checked))}"
    else:
        zh = f"责令改正期限为 {max(deadlines)}，应于期限届满前核查改正情况并记录（责令改正复查记录）"
        en = f"correction due {max(deadlines)}: record the correction check by then"
    return [_make(ART28, case, zh, en, now, due_at=due, due_soon=due_soon)]


def court_findings(case: Case, records: list[Versioned], now: datetime) -> list[Finding]:
    """ART29: a court application recorded with no reminder made before it, no service of a
    reminder, or a party statement not reviewed."""
    out = []
    for app in (v for v in records if v.kind_id == s.COURT_APPLICATION):
        before = [v for v in records if v.created_at <= app.created_at]
        try:
            s.check_record(case, s.COURT_APPLICATION, dict(app.values), before)
        except Exception as refused:
            zh = getattr(refused, "message_zh", str(refused))
            en = getattr(refused, "message_en", str(refused))
            out.append(_make(ART29, case, f"{local(app.created_at)} 的强制执行申请：{zh}", en, now))
    return out


def simplified_findings(case: Case, records: list[Versioned], now: datetime) -> list[Finding]:
    """ART31: a simplified case past 审查决定 with no simplified-procedure record, a record missing
    any of items (1)–(6), or a dispute-prone action with no AV record linked."""
    if case.procedure is not Procedure.SIMPLIFIED or case.closed:
        return []
    mine = [v for v in records if v.kind_id == s.SIMPLIFIED]
    if not mine:
        if _past(case, Stage.REVIEW):
            return [_make(ART31, case, "适用简易程序的案件没有简易程序记录（第三十一条第一至七项）",
                          "a simplified case has no simplified-procedure record", now)]
        return []
    out = []
    for v in mine:
        missing = [n for key, n in s.SIMPLIFIED_ITEMS.items() if not str(v.values.get(key, "")).strip()]
        if missing:
            out.append(_make(ART31, case, f"简易程序记录缺少第{'、'.join(missing)}项内容",
                             f"the simplified-procedure record lacks items {', '.join(missing)}", now))
        if v.values.get("dispute_prone") is True and not v.av_media_ids:
            out.append(_make(ART31, case, "容易引起行政争议的简易程序执法行为，应关联音像记录",
                             "a dispute-prone simplified action needs an AV record linked", now))
    return out


def check_service(facts: ServiceFacts, now: datetime, *, rule: str | None = None,
                  due_soon: timedelta = DUE_SOON) -> list[Finding]:
    """Every finding of this module's rules (or only ``rule``) over ``facts``."""
    by_case: dict[UUID, list[Versioned]] = defaultdict(list)
    for v in facts.versions:
        by_case[v.case_id].append(v)
    sigs: dict[UUID, list[Signed]] = defaultdict(list)
    for sig in facts.signatures:
        sigs[sig.record_id].append(sig)
    out: list[Finding] = []
    for case in facts.cases:
        records = s.latest(by_case.get(case.id, []))
        mine = [x for v in records for x in sigs.get(v.record_id, [])]
        out += service_findings(case, records, mine, facts.attachments, now)
        out += correction_findings(case, records, now, due_soon)
        out += court_findings(case, records, now)
        out += simplified_findings(case, records, now)
    return [f for f in out if rule is None or f.rule.id == rule]
