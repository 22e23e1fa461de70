"""Service of documents helpers built on the record services (Art. 21–22): the shortest
complete direct service — a direct receipt signed by the recipient and the server. Used by
the demo data and by tests that carry a case past 送达; each step is the record service's own
transaction and event (create, then one signature each)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from lawtrail.domain.records import RecordVersion
from lawtrail.domain.service import DIRECT
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
