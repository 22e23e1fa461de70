"""Service of documents (Art. 21–31) on top of the record services: the findings of one case for
its page, and the shortest complete direct service — a direct receipt signed by the recipient and the server. Used by
tests that carry a case past 送达; each step is the record service's own
transaction and event (create, then one signature each)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.findings import DUE_SOON, Finding
from lawtrail.domain.records import RecordVersion
from lawtrail.domain.rules.service import ServiceFacts, check_service
from lawtrail.domain.service import (
    CORRECTION_CHECK,
    DIRECT,
    ENTRUSTED,
    KINDS,
    POSTAL,
    PUBLIC_NOTICE,
    REFUSAL,
    REMINDER,
    SIMPLIFIED,
    complete_receipt,
)
from lawtrail.services import records
from lawtrail.services.context import Ctx
from lawtrail.services.ports import BlobStore, CatalogueSource, UnitOfWork

#: How many trail events ``serve_directly`` makes.
EVENTS = 3


def serve_directly(uow: Callable[[], UnitOfWork], ctx: Callable[[], Ctx], source: CatalogueSource,
                   blobs: BlobStore, case_id: UUID, *, document: str, place: str, signer_name: str,
                   relation: str = "受送达人本人") -> RecordVersion:
    """Record a direct service of ``document`` signed for by ``signer_name`` (``relation``, one
    Art. 22 allows) and by the server (the actor), both electronically, now. Raise what ``records.create_record`` /
    ``sign_record`` raise."""
    values = {"document": document, "served_at": ctx().now.isoformat(), "place": place, "signer_name": signer_name,
              "signer_relation": relation}
    made = records.create_record(uow(), ctx(), source, case_id, kind_id=DIRECT,
                                 data=records.RecordInput(values=values))
    records.sign_record(uow(), ctx(), blobs, made.record_id, records.SignatureInput(
        capacity="recipient", signer_name=signer_name, method="electronic"))
    records.sign_record(uow(), ctx(), blobs, made.record_id, records.SignatureInput(
        capacity="server", signer_name=ctx().actor.name, method="electronic"))
    return made


#: The record to make for each rule, for the case page's "what to add" links.
NEXT_KIND = {"ART21-SERVICE-RECEIPT": DIRECT, "ART22-ELIGIBLE-SIGNER": DIRECT, "ART23-REFUSAL-EVIDENCE": REFUSAL,
             "ART24-ELECTRONIC-FINAL-DOC": POSTAL, "ART25-POSTAL-PROOF": POSTAL,
             "ART26-ENTRUSTED-REASON": ENTRUSTED,
             "ART27-PUBLIC-NOTICE-BASIS": PUBLIC_NOTICE, "ART28-CORRECTION-CHECK-DUE": CORRECTION_CHECK,
             "ART29-REMINDER-BEFORE-COURT": REMINDER, "ART31-SIMPLIFIED-ITEMS": SIMPLIFIED}


@dataclass(frozen=True)
class CaseService:
    """What the case page shows at 送达 and 执行: the findings of Art. 21–31, and whether a complete
    receipt of the decision exists (what leaving 送达 needs)."""

    findings: list[Finding]
    receipt_complete: bool


def case_findings(uow: UnitOfWork, ctx: Ctx, case_id: UUID, now: datetime,
                  due_soon: timedelta = DUE_SOON) -> CaseService:
    """The service, execution and simplified-procedure findings of one case (``record:view``), for
    its page, and whether its decision has a complete receipt. NotFound / PermissionDenied."""
    with uow:
        case = records.load_case(uow, ctx, case_id, Permission.RECORD_VIEW)
        versions = [v for v in uow.records.for_case(case.id) if v.kind_id in KINDS]
        counts = {r: sum(1 for a in uow.records.attachments(r) if a.purpose == "attachment")
                  for r in {v.record_id for v in versions}}
        signatures = uow.records.signatures_for_case(case.id)
    found = check_service(ServiceFacts([case], versions, signatures, counts), now, due_soon=due_soon)
    return CaseService(found, complete_receipt(case, versions, signatures, counts) is not None)
