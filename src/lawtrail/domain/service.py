"""Service of documents (送达, Art. 21–27) and execution (执行, Art. 28–30): what a service receipt
must show for its method, which documents may not be served electronically, and what must exist
before an application to a court. Pure: over record versions and signatures of one case.

Used twice: at record time (``check_record``, raising ``RuleViolation`` before anything is
written) and by the compliance rules (``receipt_problems``, ``domain.rules.service``), so the
refusal and the finding cannot disagree. The record kinds are those of the catalogue
(``data/catalogue.yaml``); a kind's fields are read by id, and a field a later catalogue version
removed simply counts as not recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from lawtrail.domain.cases import ActionType, Case, Stage
from lawtrail.domain.catalogue import Capacity
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.records import Signed, V, Versioned
from lawtrail.errors import RuleViolation

DIRECT, REFUSAL, ELECTRONIC = "service_receipt_direct", "service_refusal", "service_electronic"
POSTAL, ENTRUSTED, PUBLIC_NOTICE = "service_postal", "service_entrusted", "service_public_notice"
SERVICE_KINDS = (DIRECT, REFUSAL, ELECTRONIC, POSTAL, ENTRUSTED, PUBLIC_NOTICE)
DECISION, SIMPLIFIED = "decision_document", "simplified_record"
FULFILMENT, CORRECTION_CHECK, REMINDER = "fulfilment_record", "correction_check", "reminder"
STATEMENT_REVIEW, COURT_APPLICATION, COURT_RESULT = "statement_review", "court_application", "court_result"
#: Every kind the service and execution rules read (the set-based load asks for these only).
KINDS = (*SERVICE_KINDS, DECISION, SIMPLIFIED, FULFILMENT, CORRECTION_CHECK, REMINDER, STATEMENT_REVIEW,
         COURT_APPLICATION, COURT_RESULT)

#: Who may sign for a direct service (Art. 22).
ELIGIBLE_SIGNERS = ("受送达人本人", "同住成年家属", "法定代表人", "其他组织主要负责人", "负责收件的人", "代理人",
                    "指定代收人")
#: Whose final documents may never be served by fax or e-mail (Art. 24).
FINAL_DOC_TYPES = frozenset({ActionType.LICENSING, ActionType.PENALTY, ActionType.COERCION, ActionType.INSPECTION})
POSTAL_CARRIERS = ("挂号信", "特快专递")
#: The seven items of Art. 31 (item 7, "other", may be empty).
SIMPLIFIED_ITEMS = {"conditions": "（一）", "steps": "（二）", "statement": "（三）", "review": "（四）",
                    "filing": "（五）", "process": "（六）"}
STATEMENT_MADE = "当事人已陈述、申辩"
ENTRUSTED_RULE = "ART26-ENTRUSTED-REASON"


@dataclass(frozen=True)
class Problem:
    """One thing a record lacks: the rule id, its article, and zh / en words."""

    rule: str
    article: str
    zh: str
    en: str


def latest(versions: Sequence[V]) -> list[V]:
    """The latest version of each record, oldest record first."""
    out: dict[UUID, V] = {}
    first: dict[UUID, datetime] = {}  # each record's earliest version time, in one pass (not one scan per record)
    for v in versions:
        found = out.get(v.record_id)
        if found is None:
            out[v.record_id], first[v.record_id] = v, v.created_at
            continue
        if v.version > found.version:
            out[v.record_id] = v
        if v.created_at < first[v.record_id]:
            first[v.record_id] = v.created_at
    # A UUID orders as its text does (both by the 128-bit number), without formatting each id.
    return sorted(out.values(), key=lambda v: (first[v.record_id], v.record_id))


def _yes(v: Versioned, name: str) -> bool:
    return v.values.get(name) is True


def _text(v: Versioned, name: str) -> str:
    value = v.values.get(name)
    return value.strip() if isinstance(value, str) else ""


def _signed(v: Versioned, signatures: Sequence[Signed], capacity: Capacity) -> list[Signed]:
    return [s for s in signatures if s.record_id == v.record_id and s.record_version == v.version
            and s.capacity is capacity and not s.refused]


def decision_numbers(versions: Sequence[Versioned]) -> list[str]:
    """The document numbers of the case's decision documents (latest versions)."""
    return [n for v in latest(versions) if v.kind_id == DECISION and (n := _text(v, "document_number"))]


def serves_decision(document: str, numbers: Sequence[str]) -> bool:
    """Whether a served document named ``document`` is the case's decision: it names a decision's
    number, or it is a 决定书."""
    return "决定书" in document or any(n in document for n in numbers)


def is_final_document(case_type: ActionType, document: str, numbers: Sequence[str]) -> bool:
    """Art. 24: the decision of a licensing, penalty, coercion or inspection case is final."""
    return case_type in FINAL_DOC_TYPES and serves_decision(document, numbers)


def receipt_problems(case: Case, v: Versioned, signatures: Sequence[Signed], attachments: int,
                     others: Sequence[Versioned]) -> list[Problem]:
    """What the service record ``v`` (latest version) lacks for its method (Art. 21–27).
    ``attachments``: how many scans or photos the record has; ``others``: every latest version of
    the case's records (earlier attempts, the decision's number)."""
    out: list[Problem] = []
    server = _signed(v, signatures, Capacity.SERVER)
    if v.kind_id == DIRECT:
        if not _signed(v, signatures, Capacity.RECIPIENT):
            out.append(Problem("ART21-SERVICE-RECEIPT", "第二十一条", "送达回证尚无受送达人（签收人）签名或盖章",
                               "the receipt bears no signature or seal of the recipient"))
        if _text(v, "signer_relation") not in ELIGIBLE_SIGNERS:
            out.append(Problem("ART22-ELIGIBLE-SIGNER", "第二十二条",
                               f"签收人身份“{_text(v, 'signer_relation') or '未记录'}”不属于第二十二条规定的签收人",
                               "the signer is not one Art. 22 allows"))
    elif v.kind_id == ENTRUSTED:
        out += _entrusted(v, signatures, server)
    elif v.kind_id == REFUSAL:
        out += _refusal(v, signatures, server)
    elif v.kind_id == ELECTRONIC:
        out += _electronic(case, v, attachments, others)
    elif v.kind_id == POSTAL:
        out += _postal(v, attachments)
    elif v.kind_id == PUBLIC_NOTICE:
        out += _public_notice(v, others)
    return out


def _entrusted(v: Versioned, signatures: Sequence[Signed], server: list[Signed]) -> list[Problem]:
    """Art. 26: the reason of the entrusting or forwarding, and both the server's and the
    recipient's signature or seal on the receipt."""
    lacks = [(zh, en) for ok, zh, en in (
        (bool(_text(v, "reason")), "委托、转交原因", "the reason"),
        (bool(server), "送达人签名或盖章", "the server's signature"),
        (bool(_signed(v, signatures, Capacity.RECIPIENT)), "受送达人签名或盖章", "the recipient's signature"))
        if not ok]
    if not lacks:
        return []
    return [Problem(ENTRUSTED_RULE, "第二十六条",
                    "委托、转交送达应记录原因，并由送达人、受送达人在送达回证上签名或盖章；"
                    f"尚缺：{'、'.join(z for z, _ in lacks)}",
                    f"entrusted or forwarded service records the reason and both sign the receipt; missing: "
                    f"{', '.join(e for _, e in lacks)}")]


def _refusal(v: Versioned, signatures: Sequence[Signed], server: list[Signed]) -> list[Problem]:
    if not _text(v, "refusal_reason") or not _text(v, "refused_at"):
        return [Problem("ART23-REFUSAL-EVIDENCE", "第二十三条", "拒收送达应在送达回证上记明拒收事由和日期",
                        "a refusal records its reason and date on the receipt")]
    witnessed = bool(server) and bool(_signed(v, signatures, Capacity.WITNESS))
    filmed = _yes(v, "left_at_residence") and _yes(v, "filmed") and bool(v.av_media_ids)
    if witnessed and _yes(v, "left_at_residence"):
        return []
    if filmed:
        return []
    return [Problem("ART23-REFUSAL-EVIDENCE", "第二十三条",
                    "拒收留置送达须由送达人、见证人签名并将文书留置住所，或留置并以拍照、录像记录（关联音像资料）",
                    "a refused service needs the server's and a witness's signatures and the document left, "
                    "or the document left and the service photographed or filmed (AV linked)")]


def _electronic(case: Case, v: Versioned, attachments: int, others: Sequence[Versioned]) -> list[Problem]:
    out = []
    if is_final_document(case.action_type, _text(v, "document"), decision_numbers(others)):
        out.append(Problem("ART24-ELECTRONIC-FINAL-DOC", "第二十四条",
                           "行政许可、处罚、强制、检查等终结性文书不得以传真、电子邮件送达",
                           "final documents of licensing, penalty, coercion or inspection are never served by "
                           "fax or e-mail"))
    if not _yes(v, "consent") or not _yes(v, "receipt_confirmed") or attachments == 0:
        out.append(Problem("ART24-ELECTRONIC-FINAL-DOC", "第二十四条",
                           "传真、电子邮件送达须经受送达人同意、确认收悉，并附送达凭证或邮件截图",
                           "fax or e-mail service needs the addressee's consent, confirmed receipt and the proof "
                           "(receipt or screenshot) attached"))
    return out


def _postal(v: Versioned, attachments: int) -> list[Problem]:
    kept = [_yes(v, "registration_kept"), _yes(v, "postage_proof_kept"), _yes(v, "receipt_returned")]
    if _text(v, "carrier") in POSTAL_CARRIERS and _text(v, "tracking_number") and all(kept) and attachments > 0:
        return []
    return [Problem("ART25-POSTAL-PROOF", "第二十五条",
                    "邮寄送达应用挂号信或特快专递，留存邮寄登记、付邮凭证和回执（附扫描件）",
                    "post by registered mail or EMS, keeping the registration, the postage proof and the "
                    "return receipt (scans attached)")]


def _public_notice(v: Versioned, others: Sequence[Versioned]) -> list[Problem]:
    tried = [o for o in others if o.kind_id in SERVICE_KINDS and o.kind_id != PUBLIC_NOTICE
             and o.created_at <= v.created_at]
    if tried and _text(v, "failed_attempts") and _text(v, "carrier") and v.av_media_ids:
        return []
    return [Problem("ART27-PUBLIC-NOTICE-BASIS", "第二十七条",
                    "公告送达须先有以其他方式送达未果的记录，记明公告方式和载体，并关联音像记录",
                    "public notice needs recorded failed attempts by other methods, the carrier, and an AV record")]


# ---- record time -------------------------------------------------------------------------------

def _refuse(zh: str, en: str, code: str, article: str, rule: str) -> RuleViolation:
    return RuleViolation(message_zh=zh, message_en=en, code=code, article=article, details={"rule": rule})


def check_record(case: Case, kind_id: str, values: dict[str, object], existing: Sequence[Versioned]) -> None:
    """Raise RuleViolation when a record of ``kind_id`` with ``values`` may not be made on ``case``
    whose records are ``existing`` (every version): a direct-service signer Art. 22 does not allow,
    an electronic service without consent or of a final document (Art. 24), a court application
    without a served reminder whose deadline passed, or with the party's statement not reviewed
    (Art. 29)."""
    if kind_id == DIRECT:
        check_signer(kind_id, values)
    elif kind_id == ELECTRONIC:
        _check_electronic(case, values, existing)
    elif kind_id == COURT_APPLICATION:
        _check_court_application(values, existing)


def check_signer(kind_id: str, values: Mapping[str, object]) -> None:
    """Art. 22, on the values as given (before the catalogue's own checks, so the refusal names the
    article rather than a list of options): raise RuleViolation for a direct-service signer the
    article does not name."""
    if kind_id == DIRECT:
        relation = values.get("signer_relation")
        if relation and relation not in ELIGIBLE_SIGNERS:
            raise _refuse(f"签收人身份“{relation}”不能签收：直接送达只能由受送达人本人、同住成年家属、法定代表人或"
                          "主要负责人或负责收件的人、代理人、指定代收人签收（第二十二条）",
                          "direct service is signed for only by the person, an adult family member living "
                          "with them, the legal representative, principal or designated receiver of an "
                          "organisation, an agent or a designated recipient (Art. 22)",
                          "service.signer_not_eligible", "第二十二条", "ART22-ELIGIBLE-SIGNER")


def _check_electronic(case: Case, values: dict[str, object], existing: Sequence[Versioned]) -> None:
    document = values.get("document")
    if isinstance(document, str) and is_final_document(case.action_type, document, decision_numbers(existing)):
        raise _refuse("行政许可、行政处罚、行政强制、行政检查等终结性文书不得以传真、电子邮件送达（第二十四条），"
                      "请改用直接送达、邮寄送达等方式",
                      "the final documents of licensing, penalty, coercion or inspection may not be served "
                      "by fax or e-mail (Art. 24); serve them directly or by post",
                      "service.electronic_final_document", "第二十四条", "ART24-ELECTRONIC-FINAL-DOC")
    if values.get("consent") is not True:
        raise _refuse("传真、电子邮件送达须经受送达人同意（第二十四条）",
                      "fax or e-mail service needs the addressee's consent (Art. 24)",
                      "service.electronic_no_consent", "第二十四条", "ART24-ELECTRONIC-FINAL-DOC")


def _check_court_application(values: dict[str, object], existing: Sequence[Versioned]) -> None:
    records = latest(existing)
    reminders = [v for v in records if v.kind_id == REMINDER]
    numbers = [n for v in reminders if (n := _text(v, "document_number"))]
    served = [v for v in records if v.kind_id in SERVICE_KINDS
              and ("催告" in _text(v, "document") or any(n in _text(v, "document") for n in numbers))]
    if not reminders or not served:
        raise _refuse("申请法院强制执行前，应制作催告书并送达当事人（第二十九条）：请先记录催告书及其送达回证",
                      "before applying to a court, a reminder (催告书) is made and served on the party (Art. 29): "
                      "record the reminder and its service first",
                      "execution.reminder_missing", "第二十九条", "ART29-REMINDER-BEFORE-COURT")
    applied = values.get("applied_at")
    deadlines = [_text(v, "deadline") for v in reminders if _text(v, "deadline")]
    if isinstance(applied, str) and deadlines and applied[:10] <= max(deadlines):
        raise _refuse(f"催告书载明的履行期限（{max(deadlines)}）届满前，不能申请法院强制执行（第二十九条）",
                      f"the reminder's deadline ({max(deadlines)}) has not passed (Art. 29)",
                      "execution.reminder_not_due", "第二十九条", "ART29-REMINDER-BEFORE-COURT")
    if values.get("party_statement") == STATEMENT_MADE and not any(
            v.kind_id == STATEMENT_REVIEW and v.stage is Stage.EXECUTION for v in records):
        raise _refuse("当事人进行了陈述、申辩的，应先对其事实、理由和证据进行复核并记录处理意见（第二十九条）",
                      "the party's statement must be reviewed and the result recorded first (Art. 29)",
                      "execution.statement_not_reviewed", "第二十九条", "ART29-REMINDER-BEFORE-COURT")


# ---- the stage gate ------------------------------------------------------------------------------

def complete_receipt(case: Case, versions: Sequence[V], signatures: Sequence[Signed],
                     attachments: dict[UUID, int]) -> V | None:
    """A service record of the case's decision (or, on a simplified case, of any document) that
    lacks nothing (``receipt_problems`` empty), or None."""
    records = latest(versions)
    numbers = decision_numbers(records)
    for v in records:
        if v.kind_id not in SERVICE_KINDS:
            continue
        if numbers and not serves_decision(_text(v, "document"), numbers):
            continue
        if not receipt_problems(case, v, signatures, attachments.get(v.record_id, 0), records):
            return v
    return None


def check_leave_service(case: Case, to: Stage, versions: Sequence[Versioned],
                        signatures: Sequence[Signed], attachments: dict[UUID, int]) -> None:
    """Raise RuleViolation when ``case`` leaves 送达 for a later stage without a complete receipt of
    its decision (Art. 21)."""
    if case.stage is not Stage.SERVICE or to in (Stage.SERVICE, Stage.INITIATION, Stage.INVESTIGATION,
                                                 Stage.REVIEW):
        return
    if complete_receipt(case, versions, signatures, attachments) is None:
        raise _refuse("尚无完整的决定书送达回证（签收日期、签名或盖章，及所用送达方式要求的凭证），"
                      "不能离开送达环节（第二十一条）",
                      "no complete service receipt of the decision (date, signature or seal, and the proofs "
                      "its method needs): the case cannot leave service (Art. 21)",
                      "case.service_incomplete", "第二十一条", "ART21-SERVICE-RECEIPT")


def end_of_day(day: str) -> datetime:
    """The end of a bureau calendar day ``YYYY-MM-DD`` (a deadline date), as an aware time."""
    return datetime.combine(date.fromisoformat(day), time(0), BUREAU_TZ) + timedelta(days=1)
