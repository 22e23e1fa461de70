"""Rules of disclosure (Art. 37): nothing leaves the bureau without an approval naming the
recipient and the purpose (docs/decisions/0025). Pure functions over ``DisclosureFacts``.

- ``ART37-DISCLOSURE-APPROVED``: an export of marked copies whose request was not approved
  before the export, or that holds an original the request did not list; and an Art. 46 outside
  request decided with copies provided when no disclosure approved by then covers every copied
  original for that recipient (same name, and same organisation when both are given). A breach
  has no deadline: it is ``open`` and is accounted under Art. 48 (五).
- ``ART37-ORIGINAL-INTACT``: the latest vault verification found an original's stored bytes
  changed or missing (not disposed by an approved disposal): cut, edited or deleted, Art. 48 (四).
  Read from the verification's recorded summary (its first 100 problems), so cheap: no re-hash.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lawtrail.domain.disclosure import Disclosure, DisclosureExport
from lawtrail.domain.findings import Finding, RuleSpec, Severity, Subject, finding
from lawtrail.domain.outside import OutsideDecision, OutsideRequest
from lawtrail.domain.vault import MediaRecord

DISCLOSURE_APPROVED = RuleSpec("ART37-DISCLOSURE-APPROVED", "第三十七条", Severity.ERROR,
                               "对外提供或者发布音像记录须经批准", "AV records leave the bureau only with an approval")
ORIGINAL_INTACT = RuleSpec("ART37-ORIGINAL-INTACT", "第三十七条", Severity.ERROR,
                           "不得剪接、删改原始音像记录", "originals are never cut, edited or deleted")
RULES: tuple[RuleSpec, ...] = (DISCLOSURE_APPROVED, ORIGINAL_INTACT)
RULES_BY_ID: frozenset[str] = frozenset(r.id for r in RULES)


@dataclass(frozen=True)
class DisclosureFacts:
    """The bureau's disclosure requests, exports, and outside requests with their decisions."""

    disclosures: Sequence[Disclosure] = ()
    exports: Sequence[DisclosureExport] = ()
    outside: Sequence[tuple[OutsideRequest, OutsideDecision | None]] = ()
    #: The latest vault verification: when, and its problems as (sha256, kind).
    verified_at: datetime | None = None
    vault_problems: Sequence[tuple[str, str]] = ()
    media: Sequence[MediaRecord] = ()


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _export_findings(facts: DisclosureFacts, now: datetime) -> list[Finding]:
    by_id = {d.request.id: d for d in facts.disclosures}
    found = []
    for export in facts.exports:
        disclosure = by_id.get(export.request_id)
        approved = disclosure.approved_at if disclosure else None
        listed = disclosure.request.items if disclosure else frozenset()
        extra = [c for c in export.copies if (c.kind, c.item_id) not in listed]
        if approved is not None and approved <= export.at and not extra:
            continue
        why_zh, why_en = (("申请未获批准即导出", "exported without an approved request") if approved is None
                          or approved > export.at else
                          (f"导出了申请未列明的{len(extra)}件材料", f"{len(extra)} items not in the request"))
        found.append(finding(
            DISCLOSURE_APPROVED, Subject("disclosure_export", str(export.id), f"对外提供导出 {str(export.id)[:8]}"),
            f"{why_zh}（第三十七条）", f"{why_en} (Art. 37)", now=now,
            unit_id=str(disclosure.request.requester_unit_id) if disclosure else None,
            people=(str(export.actor_id),) if export.actor_id else ()))
    return found


def _covers(disclosure: Disclosure, request: OutsideRequest, decision: OutsideDecision) -> bool:
    approved = disclosure.approved_at
    r = disclosure.request
    copied = {p.media_id for p in decision.provided if p.copy}
    return (approved is not None and approved <= decision.at and r.bureau_id == request.bureau_id
            and _norm(r.recipient_name) == _norm(request.requester_name)
            and (not r.recipient_org or not request.requester_org
                 or _norm(r.recipient_org) == _norm(request.requester_org))
            and copied <= set(r.media_ids))


def _outside_findings(facts: DisclosureFacts, now: datetime) -> list[Finding]:
    found = []
    for request, decision in facts.outside:
        if decision is None or not any(p.copy for p in decision.provided):
            continue
        if any(_covers(d, request, decision) for d in facts.disclosures):
            continue
        found.append(finding(
            DISCLOSURE_APPROVED, Subject("outside_request", str(request.id),
                                         f"外部查阅申请 {request.requester_name} {str(request.id)[:8]}"),
            f"向{request.requester_name}提供了音像资料复制件，但没有覆盖该接收人和这些材料的对外提供批准（第三十七条）",
            f"copies given to {request.requester_name} without a disclosure approval covering them (Art. 37)",
            now=now, people=(str(decision.approver_id),) if decision.approver_id else ()))
    return found


_ALTERED = {"changed": ("存储的字节与摘要不符（被修改）", "stored bytes changed"),
            "missing": ("存储的字节缺失（被删除）", "stored bytes missing")}


def _intact_findings(facts: DisclosureFacts, now: datetime) -> list[Finding]:
    by_sha = {m.sha256: m for m in facts.media}
    found = []
    for sha256, kind in facts.vault_problems:
        media = by_sha.get(sha256)
        if media is None or kind not in _ALTERED:
            continue  # not an original in scope, or untracked bytes (no original to speak of)
        zh, en = _ALTERED[kind]
        when = facts.verified_at.isoformat() if facts.verified_at else ""
        found.append(finding(
            ORIGINAL_INTACT, Subject("media", str(media.id), f"{media.original_name} ({sha256[:12]})"),
            f"{zh}，原始音像记录不得剪接、删改（第三十七条；核验于 {when}）",
            f"{en}; originals are never cut or edited (Art. 37; verified {when})", now=now,
            unit_id=str(media.unit_id), people=(str(media.officer_id),) if media.officer_id else ()))
    return found


def check_disclosure(facts: DisclosureFacts, now: datetime, *, rule: str | None = None) -> list[Finding]:
    """Every Art. 37 breach in ``facts`` (``rule``: only that one)."""
    found: list[Finding] = []
    if rule in (None, DISCLOSURE_APPROVED.id):
        found += _export_findings(facts, now) + _outside_findings(facts, now)
    if rule in (None, ORIGINAL_INTACT.id):
        found += _intact_findings(facts, now)
    return found
