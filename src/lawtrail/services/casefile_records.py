"""The case's text records in its file (案卷, Art. 39): the ``RecordSource`` the case-file export
is given by the web page and the CLI alike (decision 0033).

For each record of the case, in stage order (then the order they were made):

1. its current version as the printed form officers print (``record_prints.form_of``, rendered
   by the ``render`` given: ``adapters.printing.record_pdf``) — rendered after the export's read
   transaction, not inside it;
2. its whole history as JSON (``domain.casefile.record_history``: every version with its values,
   its signatures and refusals, who made each and when — as stored, Art. 37);
3. each attachment (scans of signatures, witness statements, photos), streamed from the blob
   store under its digest.

All three are attested by the record's own ledger events (subject ``record``). Reading the
records needs no ``record:view``: the export itself needs ``archive:manage`` and is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from uuid import UUID

from lawtrail.domain.casefile import (
    Kind,
    attachment_filename,
    attachment_title,
    record_history,
    record_order,
    record_titles,
)
from lawtrail.domain.cases import Case
from lawtrail.domain.catalogue import Catalogue, RecordKind
from lawtrail.domain.printing import FormHeader
from lawtrail.domain.records import RecordVersion, Signature
from lawtrail.errors import NotFound
from lawtrail.services import catalogue as cat
from lawtrail.services.casefile import RecordDoc, json_bytes
from lawtrail.services.context import Ctx
from lawtrail.services.ports import CatalogueSource, UnitOfWork
from lawtrail.services.record_prints import PDF_TYPE, RecordRenderer, form_header, form_of
from lawtrail.services.records import SUBJECT


class CaseRecords:
    """Every record of the case as items of its file (see the module docstring)."""

    def __init__(self, source: CatalogueSource, render: RecordRenderer) -> None:
        self.source, self.render = source, render

    def records(self, uow: UnitOfWork, ctx: Ctx, case: Case) -> list[RecordDoc]:
        """The items, in the order they are to be numbered. Call inside ``with uow``. Raise
        NotFound ``record.kind_missing`` when a record's kind is not in its catalogue version."""
        by_record: dict[UUID, list[RecordVersion]] = {}
        for v in uow.records.for_case(case.id):
            by_record.setdefault(v.record_id, []).append(v)
        signatures: dict[UUID, list[Signature]] = {}
        for s in uow.records.signatures_for_case(case.id):
            signatures.setdefault(s.record_id, []).append(s)
        head = form_header(uow, case, printed_at=ctx.now, printed_by=ctx.actor.name)
        kind_of = _Kinds(uow, self.source)
        docs: list[RecordDoc] = []
        for versions in sorted(by_record.values(), key=record_order):
            docs += self._docs(uow, head, kind_of, sorted(versions, key=lambda v: v.version),
                               signatures.get(versions[0].record_id, []))
        return docs

    def _docs(self, uow: UnitOfWork, head: FormHeader, kind_of: Callable[[RecordVersion], RecordKind],
              versions: list[RecordVersion], signatures: list[Signature]) -> list[RecordDoc]:
        latest = versions[-1]
        kind = kind_of(latest)
        record_id = str(latest.record_id)
        attachments = uow.records.attachments(latest.record_id)
        form = form_of(uow, head, kind, latest, signatures)
        pdf_title, history_title = record_titles(latest, len(versions))
        history = record_history(head.case, versions, signatures, attachments, {f.id: f.label for f in kind.fields})

        def doc(title: str, filename: str, fmt: str, kind_: str, *, content: bytes = b"",
                render: Callable[[], bytes] | None = None, blob: str | None = None) -> RecordDoc:
            return RecordDoc(title, filename, fmt, SUBJECT, record_id, kind_, latest.stage, content, render, blob)

        return [doc(pdf_title, f"{kind.id}-v{latest.version}.pdf", PDF_TYPE, Kind.RECORD,
                    render=partial(self.render, form)),
                doc(history_title, f"{kind.id}-history.json", "application/json", Kind.RECORD_HISTORY,
                    content=json_bytes(history)),
                *(doc(attachment_title(latest.kind_name, a), attachment_filename(kind.id, a), a.content_type,
                      Kind.RECORD_ATTACHMENT, blob=a.sha256) for a in attachments)]


class _Kinds:
    """The kind of a version as made under its catalogue version (each version parsed once)."""

    def __init__(self, uow: UnitOfWork, source: CatalogueSource) -> None:
        self.uow, self.source = uow, source
        self.catalogues: dict[int, Catalogue | None] = {}

    def __call__(self, version: RecordVersion) -> RecordKind:
        n = version.catalogue_version
        if n not in self.catalogues:
            self.catalogues[n] = cat.version_of(self.uow, self.source, n)
        catalogue = self.catalogues[n]
        kind = catalogue.kind(version.kind_id) if catalogue else None
        if kind is None:
            raise NotFound("记录事项清单中找不到该记录的种类", f"record kind {version.kind_id!r} is missing",
                           code="record.kind_missing")
        return kind


__all__ = ["CaseRecords"]
