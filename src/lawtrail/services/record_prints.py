"""Printed forms (issue 5 item 8): a record's paper form as an A4 PDF, ready to print for hand
signature and to scan back, and a case's 卷内目录 (the index of its records).

Printing needs ``record:view`` on the case's unit and the case's confidentiality level within
the reader's clearance (Art. 47: a printed form leaves the system, and the level is printed on
it). A print is one ``case:record:print`` event (``case:record:print-index`` for the index),
recorded in the same transaction that read what was printed, carrying the version printed and
the SHA-256 and size of the PDF handed out, so a scanned-back paper can be matched to its print.
The layout is not the service's business: the caller passes ``render`` (the web layer's Jinja +
WeasyPrint); rendering runs before the event is written, so a failed rendering records nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.cases import Case
from lawtrail.domain.catalogue import RecordKind
from lawtrail.domain.events import Action
from lawtrail.domain.printing import (
    APPROVAL_STEPS,
    CaseIndex,
    FormHeader,
    IndexEntry,
    OpinionLine,
    RecordForm,
    approval_opinions,
    opinions_title,
    printed_fields,
    rights_line,
    signature_blocks,
    version_line,
)
from lawtrail.domain.records import RecordVersion, Signature
from lawtrail.domain.rules.approvals import assemble
from lawtrail.domain.secrecy import check_clearance, parse_level
from lawtrail.errors import NotFound
from lawtrail.services import catalogue as cat
from lawtrail.services.context import Ctx
from lawtrail.services.ports import CatalogueSource, UnitOfWork
from lawtrail.services.reading import clearance_of
from lawtrail.services.records import SUBJECT, load_case, load_record, subject_name
from lawtrail.services.trail import record

PDF_TYPE = "application/pdf"


@dataclass(frozen=True)
class Printed:
    """A rendered PDF: its bytes, a file name and its SHA-256 (as recorded in the event)."""

    content: bytes
    filename: str
    sha256: str
    media_type: str = PDF_TYPE


RecordRenderer = Callable[[RecordForm], bytes]
IndexRenderer = Callable[[CaseIndex], bytes]


def _header(uow: UnitOfWork, ctx: Ctx, case: Case) -> FormHeader:
    """The header; raise PermissionDenied (``access.above_clearance``) when the case's level is
    above the reader's clearance. Call inside ``with uow``."""
    level = parse_level(case.secrecy, "secrecy")
    check_clearance(clearance_of(uow, ctx.actor), level)
    return form_header(uow, case, printed_at=ctx.now, printed_by=ctx.actor.name)


def form_header(uow: UnitOfWork, case: Case, *, printed_at: datetime, printed_by: str) -> FormHeader:
    """The header of the case's printed pages, checking nothing (the caller has: a print checks
    ``record:view`` and clearance, a case-file export ``archive:manage``). Call inside ``with uow``."""
    bureau = uow.bureaus.get(case.bureau_id)
    unit = uow.units.get(case.unit_id)
    return FormHeader(bureau_name=bureau.name if bureau else "", unit_name=unit.name if unit else "",
                      case=case, parties=uow.cases.parties(case.id), level=parse_level(case.secrecy, "secrecy"),
                      printed_at=printed_at, printed_by=printed_by)


def _kind(uow: UnitOfWork, source: CatalogueSource, version: RecordVersion) -> RecordKind:
    catalogue = cat.version_of(uow, source, version.catalogue_version)
    kind = catalogue.kind(version.kind_id) if catalogue else None
    if kind is None:
        raise NotFound("记录事项清单中找不到该记录的种类", f"record kind {version.kind_id!r} is missing",
                       code="record.kind_missing")
    return kind


def _opinions(uow: UnitOfWork, case: Case, kind: RecordKind) -> list[OpinionLine]:
    step = APPROVAL_STEPS.get(kind.id)
    if step is None:
        return []
    requests, actions = uow.approvals.for_case(case.id)
    mine = [a for a in assemble(requests, actions) if a.request.step is step]
    return approval_opinions(mine[-1] if mine else None)


def _filename(case: Case, name: str, version: int | None = None) -> str:
    tail = f"-v{version}" if version else ""
    return f"{case.number}-{name}{tail}.pdf".replace("/", "-").replace("\\", "-")


def record_form(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, record_id: UUID,
                version: int | None = None) -> RecordForm:
    """The paper form of the record's ``version`` (the latest when None), without recording
    anything (previews and tests). NotFound (record, version, kind) / PermissionDenied
    (``record:view``, clearance)."""
    with uow:
        return _form(uow, ctx, source, record_id, version)


def _form(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, record_id: UUID, wanted: int | None) -> RecordForm:
    case, versions = load_record(uow, ctx, record_id, Permission.RECORD_VIEW)
    chosen = versions[-1] if wanted is None else next((v for v in versions if v.version == wanted), None)
    if chosen is None:
        raise NotFound("该记录没有这一版本", f"the record has no version {wanted}", code="record.version_not_found")
    head = _header(uow, ctx, case)
    return form_of(uow, head, _kind(uow, source, chosen), chosen, uow.records.signatures(record_id))


def form_of(uow: UnitOfWork, head: FormHeader, kind: RecordKind, version: RecordVersion,
            signatures: list[Signature]) -> RecordForm:
    """The paper form of ``version`` (of ``kind``, as made under its catalogue version) under
    ``head`` with the record's ``signatures``, checking no permission (the caller has). Call
    inside ``with uow``."""
    return RecordForm(head=head, kind=kind, version=version, fields=printed_fields(kind, version),
                      blocks=signature_blocks(kind, version, signatures), rights=rights_line(version),
                      version_line=version_line(version), opinions=_opinions(uow, head.case, kind),
                      opinions_title=opinions_title(kind))


def print_record(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, record_id: UUID, render: RecordRenderer,
                 version: int | None = None) -> Printed:
    """Render the record's paper form as a PDF and record ONE ``case:record:print`` event
    (version printed, SHA-256 and size of the PDF) in the same transaction that read it. Return
    the PDF. NotFound / PermissionDenied as ``record_form``; nothing is recorded when refused or
    when rendering fails."""
    with uow:
        form = _form(uow, ctx, source, record_id, version)
        content = render(form)
        digest = hashlib.sha256(content).hexdigest()
        v = form.version
        record(uow, ctx, Action.RECORD_PRINT, subject_type=SUBJECT, subject_id=v.record_id,
               subject_name=subject_name(form.head.case, v),
               after_dict={"version": v.version, "kind_id": v.kind_id, "sha256": digest, "file_size": len(content),
                           "level": form.head.level.value})
        uow.commit()
    return Printed(content, _filename(form.head.case, v.kind_name, v.version), digest)


def case_index(uow: UnitOfWork, ctx: Ctx, case_id: UUID) -> CaseIndex:
    """The 卷内目录 of the case: each record's latest version in the order they were made
    (``record:view``, clearance). Records nothing."""
    with uow:
        return _index(uow, ctx, case_id)


def _index(uow: UnitOfWork, ctx: Ctx, case_id: UUID) -> CaseIndex:
    case = load_case(uow, ctx, case_id, Permission.RECORD_VIEW)
    head = _header(uow, ctx, case)
    latest: dict[UUID, RecordVersion] = {}  # insertion order: the order the records were made
    for v in uow.records.for_case(case.id):  # by creation time, then version
        if v.record_id not in latest or v.version > latest[v.record_id].version:
            latest[v.record_id] = v
    ordered = list(latest.values())
    return CaseIndex(head, [IndexEntry(i, v) for i, v in enumerate(ordered, start=1)])


def print_case_index(uow: UnitOfWork, ctx: Ctx, case_id: UUID, render: IndexRenderer) -> Printed:
    """Render the case's 卷内目录 as a PDF and record ONE ``case:record:print-index`` event on
    the case (record count, SHA-256 and size). NotFound / PermissionDenied as ``case_index``."""
    with uow:
        index = _index(uow, ctx, case_id)
        content = render(index)
        digest = hashlib.sha256(content).hexdigest()
        case = index.head.case
        record(uow, ctx, Action.RECORD_PRINT_INDEX, subject_type="case", subject_id=case.id,
               subject_name=case.title[:300],
               after_dict={"records": len(index.entries), "sha256": digest, "file_size": len(content),
                           "level": index.head.level.value})
        uow.commit()
    return Printed(content, _filename(case, "卷内目录"), digest)


__all__ = ["PDF_TYPE", "CaseIndex", "FormHeader", "IndexEntry", "Printed", "RecordForm", "case_index",
           "form_header", "form_of", "print_case_index", "print_record", "record_form"]
