"""The media list with its findings (issue 4 item 9): filter the originals by a compliance rule
and/or a finding status, and give each row of the page its open findings (badges).

One evaluation of the compliance engine per page (set-based: a fixed number of statements
whatever the number of originals, ``services.findings``), never one per original. The filter
becomes a set of media ids handed to the list's one query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from lawtrail.domain.findings import Finding, FindingStatus
from lawtrail.domain.org import Problems
from lawtrail.domain.rules import RULES, RuleSettings
from lawtrail.errors import PermissionDenied
from lawtrail.services import findings as findings_svc
from lawtrail.services import media as media_svc
from lawtrail.services.context import Ctx
from lawtrail.services.ports import UnitOfWork


@dataclass(frozen=True)
class MediaListing:
    """A page of the list and, per original on it, its findings (worst first)."""

    page: media_svc.MediaPage
    findings: dict[UUID, list[Finding]]


def _media_findings(found: list[Finding]) -> dict[UUID, list[Finding]]:
    out: dict[UUID, list[Finding]] = defaultdict(list)
    for f in found:
        if f.subject.type == "media":
            out[UUID(f.subject.id)].append(f)
    return dict(out)


def list_with_findings(uow: UnitOfWork, ctx: Ctx, *, rules: RuleSettings, rule: str | None = None,
                       status: str | None = None, **filters: Any) -> MediaListing:
    """``media.list_media(**filters)``, kept to the originals with a finding of ``rule`` (a rule
    id) and/or ``status`` (open, due_soon, overdue) when given, each row with its findings.

    Raise ValidationFailed for an unknown rule or status (or a bad list filter),
    PermissionDenied when a finding filter is asked for without finding:view. Without
    finding:view and without a finding filter the rows simply carry no findings."""
    problems = Problems()
    if rule and rule not in RULES:
        problems.add("rule", f"未知的规则 {rule}", f"unknown rule {rule!r}")
    wanted_status = None
    if status:
        try:
            wanted_status = FindingStatus(status)
        except ValueError:
            problems.add("status", "问题状态无效", "status must be open, due_soon or overdue")
    problems.raise_if_any()
    try:
        found = findings_svc.evaluate(uow, ctx, ctx.now, settings=rules)
    except PermissionDenied:
        if rule or wanted_status:
            raise
        found = []
    by_media = _media_findings(found)
    ids = None
    if rule or wanted_status:
        ids = frozenset(mid for mid, fs in by_media.items()
                        if any((not rule or f.rule.id == rule) and (wanted_status is None or f.status is wanted_status)
                               for f in fs))
    page = media_svc.list_media(uow, ctx, media_ids=ids, **filters)
    shown = {row.media.id for row in page.rows}
    return MediaListing(page, {mid: fs for mid, fs in by_media.items() if mid in shown})
