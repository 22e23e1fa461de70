"""The case page's 阶段清单 (``domain.checklist``): load what it is built from in one read and run
the compliance engine once for the case.

A fixed number of statements whatever the number of records, signatures or approvals (the case,
its stage history, handlers, the bureau's people, its media links, record versions, signatures,
the stored catalogues, its approvals; then the engine's case-scoped evaluators). Reads only:
records nothing.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.cases import current_media
from lawtrail.domain.checklist import Checklist, RecordFacts, build_checklist
from lawtrail.domain.findings import Finding
from lawtrail.domain.rules import RuleSettings
from lawtrail.domain.rules.approvals import assemble
from lawtrail.errors import PermissionDenied
from lawtrail.services import catalogue as cat
from lawtrail.services import findings as engine
from lawtrail.services.context import Ctx
from lawtrail.services.ports import CatalogueSource, UnitOfWork
from lawtrail.services.records import load_case

#: The evaluators whose rules are about one case (Art. 5, 8–31); media and activity rules stay on
#: their own pages (they are not narrowed to a case and would read the whole bureau's originals).
CASE_EVALUATORS = (engine.approval_evaluator, engine.case_evaluator, engine.service_evaluator)


def case_checklist(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, case_id: UUID, *, now: datetime,
                   settings: RuleSettings | None = None) -> Checklist:
    """The checklist of the case at ``now`` (``record:view`` on its unit), with the findings the
    actor may see (none without ``finding:view``). NotFound / PermissionDenied."""
    with uow:
        case = load_case(uow, ctx, case_id, Permission.RECORD_VIEW)
        reached = frozenset(s.to_stage for s in uow.cases.stage_changes(case.id)) | {case.stage}
        handler_ids = {h.user_id for h in uow.cases.handlers(case.id)}
        handlers = [u for u in uow.users.list(case.bureau_id, None) if u.id in handler_ids]
        media = len(current_media(uow.cases.media_links(case.id)))
        catalogues, current = cat.all_versions(uow, source)
        records = RecordFacts(uow.records.for_case(case.id), uow.records.signatures_for_case(case.id), catalogues)
        approvals = assemble(*uow.approvals.for_case(case.id))
        found: list[Finding] = []
        with contextlib.suppress(PermissionDenied):  # the checklist stands without findings the actor may not see
            found = engine.evaluate(uow, ctx, now, settings=settings, case=case.id, catalogue=source,
                                    evaluators=CASE_EVALUATORS)
    return build_checklist(case, records, approvals, found, current, now, reached=reached, handlers=handlers,
                           media_linked=media)
