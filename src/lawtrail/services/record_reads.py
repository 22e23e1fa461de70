"""Reads of records: a case's records per stage with their completeness, one record with every
version, signature and attachment, its trail, what a case still lacks (the hook for the
compliance rules), and the recorded read of a stored scan or photo (Art. 45).

Seeing a record's text needs ``record:view`` on the case's unit (whoever may see the case).
Opening a stored file is a read of a stored record: one ``case:record:read`` event, committed
before the bytes are served; a refused read is recorded the same way (``refused`` true) in its
own committed transaction before the refusal is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.cases import Case, Stage
from lawtrail.domain.catalogue import Catalogue, RecordKind
from lawtrail.domain.events import Action, Event
from lawtrail.domain.records import (
    Attachment,
    Completeness,
    Gap,
    RecordVersion,
    Signature,
    changed_fields,
    completeness,
    missing_records,
)
from lawtrail.errors import LawtrailError, NotFound, PermissionDenied
from lawtrail.services import catalogue as cat
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import BlobReader, BlobStore, CatalogueSource, UnitOfWork
from lawtrail.services.records import SUBJECT, _not_found, load_case, load_record, subject_name
from lawtrail.services.trail import record


@dataclass(frozen=True)
class VersionView:
    version: RecordVersion
    changed: list[str]  # what differs from the version before (empty for version 1)
    signatures: list[Signature]
    state: Completeness


@dataclass(frozen=True)
class RecordDetail:
    case: Case
    kind: RecordKind | None
    versions: list[VersionView]  # oldest first
    attachments: list[Attachment]

    @property
    def latest(self) -> VersionView:
        return self.versions[-1]


@dataclass(frozen=True)
class RecordSummary:
    latest: RecordVersion
    kind: RecordKind | None
    state: Completeness | None
    signatures: list[Signature]


def _catalogues(uow: UnitOfWork, source: CatalogueSource, versions: list[RecordVersion]) -> dict[int, Catalogue]:
    out: dict[int, Catalogue] = {}
    for n in {v.catalogue_version for v in versions}:
        found = cat.version_of(uow, source, n)
        if found is not None:
            out[n] = found
    return out


def _views(kind: RecordKind | None, versions: list[RecordVersion], signatures: list[Signature]) -> list[VersionView]:
    views, before = [], None
    for v in versions:
        mine = [s for s in signatures if s.record_version == v.version]
        state = completeness(kind, v, mine) if kind else Completeness((), False)
        views.append(VersionView(v, changed_fields(before, v), mine, state))
        before = v
    return views


def get_record(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, record_id: UUID) -> RecordDetail:
    """The record with every version (what changed from the one before), its signatures and
    refusals per version, completeness and attachments. NotFound / PermissionDenied
    (``record:view``). Shows the record's text but opens no stored file: records nothing."""
    with uow:
        case, versions = load_record(uow, ctx, record_id, Permission.RECORD_VIEW)
        catalogues = _catalogues(uow, source, versions)
        catalogue = catalogues.get(versions[-1].catalogue_version)
        kind = catalogue.kind(versions[-1].kind_id) if catalogue else None
        signatures = uow.records.signatures(record_id)
        return RecordDetail(case, kind, _views(kind, versions, signatures), uow.records.attachments(record_id))


def case_records(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, case_id: UUID) -> dict[Stage, list[RecordSummary]]:
    """The case's records (latest versions) per stage with their completeness (``record:view``)."""
    with uow:
        case = load_case(uow, ctx, case_id, Permission.RECORD_VIEW)
        versions = uow.records.for_case(case.id)
        catalogues = _catalogues(uow, source, versions)
        signatures = uow.records.signatures_for_case(case.id)
    latest: dict[UUID, RecordVersion] = {}
    for v in versions:
        if v.record_id not in latest or v.version > latest[v.record_id].version:
            latest[v.record_id] = v
    out: dict[Stage, list[RecordSummary]] = {}
    for v in sorted(latest.values(), key=lambda x: (x.created_at, x.record_id)):
        catalogue = catalogues.get(v.catalogue_version)
        kind = catalogue.kind(v.kind_id) if catalogue else None
        mine = [s for s in signatures if s.record_id == v.record_id and s.record_version == v.version]
        out.setdefault(v.stage, []).append(RecordSummary(v, kind, completeness(kind, v, mine) if kind else None, mine))
    return out


def case_gaps(uow: UnitOfWork, ctx: Ctx, source: CatalogueSource, case_id: UUID) -> list[Gap]:
    """What the case still lacks per stage (``domain.records.missing_records``), for the case
    page's checklist and the compliance rules (``record:view``)."""
    with uow:
        case = load_case(uow, ctx, case_id, Permission.RECORD_VIEW)
        versions = uow.records.for_case(case.id)
        catalogues = _catalogues(uow, source, versions)
        current = cat.current(uow, source)
        reached = {s.to_stage for s in uow.cases.stage_changes(case.id)} | {case.stage}
        signatures = uow.records.signatures_for_case(case.id)
    return missing_records(case, reached, catalogues, current, versions, signatures)


def record_trail(uow: UnitOfWork, ctx: Ctx, record_id: UUID, limit: int = 100) -> list[Event]:
    """The record's events, newest first: whoever may see the record may see what happened to it."""
    with uow:
        load_record(uow, ctx, record_id, Permission.RECORD_VIEW)
        return uow.events.list(subject_type=SUBJECT, subject_id=str(record_id), limit=max(1, min(limit, 500)))


# ---- the recorded read of a stored file -----------------------------------------------------------

@dataclass(frozen=True)
class OpenedFile:
    attachment: Attachment
    reader: BlobReader


def _refuse(uow: UnitOfWork, ctx: Ctx, record_id: UUID, name: str, attachment_id: UUID,
            exc: LawtrailError) -> NoReturn:
    with uow:
        record(uow, ctx, Action.RECORD_READ, subject_type=SUBJECT, subject_id=record_id, subject_name=name,
               after_dict={"attachment_id": str(attachment_id), "refused": True, "code": exc.code})
        uow.commit()
    raise exc


def open_attachment(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, record_id: UUID,
                    attachment_id: UUID) -> OpenedFile:
    """Open a stored scan or photo of the record for reading: check ``record:view`` on the case's
    unit and record ONE ``case:record:read`` event (committed) before returning the reader. A
    refusal (another unit's, another bureau's) is recorded too (``refused`` true), then raised
    (PermissionDenied; NotFound for another bureau's). NotFound for an unknown record or file."""
    with uow:
        versions = uow.records.versions(record_id)
        attachment = uow.records.attachment(attachment_id)
        case = uow.cases.get(versions[0].case_id) if versions else None
    if not versions or case is None or attachment is None or attachment.record_id != record_id:
        raise _not_found()
    name = subject_name(case, versions[-1])
    if ctx.actor.bureau_id and case.bureau_id != ctx.actor.bureau_id:
        _refuse(uow, ctx, record_id, name, attachment_id, _not_found())
    try:
        require(ctx.actor, Permission.RECORD_VIEW, bureau_id=case.bureau_id, unit_id=case.unit_id)
    except PermissionDenied as exc:
        _refuse(uow, ctx, record_id, name, attachment_id, exc)
    reader = blobs.open(attachment.sha256)
    try:
        with uow:
            record(uow, ctx, Action.RECORD_READ, subject_type=SUBJECT, subject_id=record_id, subject_name=name,
                   after_dict={"attachment_id": str(attachment.id), "sha256": attachment.sha256,
                               "name": attachment.name, "purpose": attachment.purpose})
            uow.commit()
    except BaseException:
        reader.close()  # no bytes leave without their recorded read
        raise
    return OpenedFile(attachment, reader)


__all__ = ["NotFound", "OpenedFile", "RecordDetail", "RecordSummary", "VersionView", "case_gaps", "case_records",
           "get_record", "open_attachment", "record_trail"]
