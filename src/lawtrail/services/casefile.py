"""Compile a concluded case's file (案卷, Art. 39) into a BagIt bag.

Order of work in ``export_case_file``: a signed checkpoint is made first (as the system: it
covers every event so far), then one read transaction gathers the case, its current originals,
their registrations and marks, every event about them up to that checkpoint and the proof
nodes (one query); then the payload is written — the case data, the records (from the
``RecordSource``s given: ``casefile_records.CaseRecords`` files each record's printed form, its
history and its attachments, in stage order), each original streamed from the vault with
its DA/T 63 metadata, the ledger excerpt with an inclusion proof for every event, the
checkpoint and its public key — and last the 卷内目录 and the manifests. Finally the export is
recorded as one ``archive:casefile:export`` event. Needs archive:manage.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol
from uuid import UUID

from lawtrail.domain.access import Permission, system_actor
from lawtrail.domain.casefile import (
    CHECKPOINT_FILE,
    EVENTS_FILE,
    INDEX_FILE,
    PROOFS_FILE,
    VKEY_FILE,
    IndexItem,
    Kind,
    av_metadata,
    index_document,
    original_filename,
)
from lawtrail.domain.cases import Case, Stage, current_media
from lawtrail.domain.events import Action, Event, format_time
from lawtrail.domain.ledger.audit import StoredCheckpoint
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.checkpoint import format_vkey
from lawtrail.domain.ledger.merkle import assemble_inclusion_proof, inclusion_proof_keys
from lawtrail.domain.org import local_date
from lawtrail.errors import IntegrityError, InvalidTransition, NotFound
from lawtrail.services import ledger as ledger_svc
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import ArchiveUnitOfWork, BagSink, BlobStore, Signer, UnitOfWork
from lawtrail.services.trail import record, snapshot

MAX_EVENTS = 100_000


@dataclass(frozen=True)
class RecordDoc:
    """One item of a text record to file: its title, payload name, format, the ledger subject
    whose events attest it, its kind (``Kind.RECORD*``) and stage, and its bytes — exactly one of
    ``content`` (small, in memory), ``render`` (made after the read transaction: a PDF takes a
    moment) or ``blob`` (the SHA-256 of a write-once blob, streamed from the store in blocks and
    checked against that digest)."""

    title: str
    filename: str
    format: str
    subject_type: str
    subject_id: str
    kind: str = Kind.RECORD
    stage: Stage | None = None
    content: bytes = b""
    render: Callable[[], bytes] | None = None
    blob: str | None = None


class RecordSource(Protocol):
    """Where the case's text records come from (``services.casefile_records.CaseRecords``):
    called inside the export's read transaction, in the order the items are to be numbered."""

    def records(self, uow: UnitOfWork, ctx: Ctx, case: Case) -> list[RecordDoc]: ...


@dataclass(frozen=True)
class Gathered:
    case: Case
    bureau_name: str
    case_json: dict[str, Any]
    media: list[tuple[Any, Any, Any, str]]  # (MediaRecord, Registration | None, MediaMark | None, device no.)
    records: list[RecordDoc]
    events: list[Event]
    proofs: dict[int, dict[str, object]]
    checkpoint: StoredCheckpoint


@dataclass(frozen=True)
class ExportResult:
    case_number: str
    items: int
    payload_oxum: str
    checkpoint_size: int
    ledger_index: int


def _concluded(uow: UnitOfWork, ctx: Ctx, number: str) -> Case:
    case = uow.cases.by_number(ctx.actor.bureau_id, number.strip()) if ctx.actor.bureau_id else None
    if case is None:
        raise NotFound(f"案件 {number} 不存在", f"no case {number!r}", code="case.not_found")
    require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=case.bureau_id, unit_id=case.unit_id)
    if case.stage is not Stage.ARCHIVE:
        raise InvalidTransition(f"案件 {case.number} 尚未终结归档，不能整理案卷（第三十九条）",
                                f"case {case.number} has not concluded (stage 归档); no case file yet (Art. 39)",
                                code="archive.not_concluded", article="第三十九条")
    return case


def _events_of(uow: ArchiveUnitOfWork, subjects: Sequence[tuple[str, str]], size: int) -> list[Event]:
    found: dict[int, Event] = {}
    for subject_type, subject_id in subjects:
        for event in uow.events.list(subject_type=subject_type, subject_id=subject_id, limit=MAX_EVENTS):
            if event.seq < size:
                found[event.seq] = event
    return [found[k] for k in sorted(found)]


def _proofs(uow: ArchiveUnitOfWork, seqs: Sequence[int], size: int) -> dict[int, dict[str, object]]:
    wanted = {key for seq in seqs for key in [*inclusion_proof_keys(seq, size), (0, seq)]}
    nodes = uow.ledger_nodes.get_many(sorted(wanted))
    return {seq: {"leaf_index": seq, "tree_size": size, "leaf_hash": nodes[(0, seq)].hex(),
                  "hashes": [h.hex() for h in assemble_inclusion_proof(seq, size, nodes)]} for seq in seqs}


def _gather(uow: ArchiveUnitOfWork, ctx: Ctx, number: str, sources: Sequence[RecordSource]) -> Gathered:
    with uow:
        uow.ledger_nodes.snapshot()
        case = _concluded(uow, ctx, number)
        checkpoint = uow.checkpoints.latest()
        assert checkpoint is not None, "export_case_file makes a checkpoint first"
        media_ids = current_media(uow.cases.media_links(case.id))
        media = []
        for media_id in media_ids:
            m = uow.media.get(media_id)
            if m is None:
                continue
            regs = uow.media.registrations(m.id)
            marks = uow.marks.for_media(m.id)
            device = uow.devices.get(m.device_id)
            media.append((m, regs[-1] if regs else None, marks[-1] if marks else None, device.number if device else ""))
        records = [doc for source in sources for doc in source.records(uow, ctx, case)]
        subjects = [("case", str(case.id)), *(("media", str(m[0].id)) for m in media),
                    *((r.subject_type, r.subject_id) for r in records)]
        events = _events_of(uow, subjects, checkpoint.size)
        proofs = _proofs(uow, [e.seq for e in events], checkpoint.size)
        bureau = uow.bureaus.get(case.bureau_id)
        case_json = {"case": snapshot(case), "parties": [snapshot(p) for p in uow.cases.parties(case.id)],
                     "handlers": [snapshot(h) for h in uow.cases.handlers(case.id)],
                     "stage_changes": [snapshot(s) for s in uow.cases.stage_changes(case.id)],
                     "media_links": [snapshot(link) for link in uow.cases.media_links(case.id)]}
    return Gathered(case, bureau.name if bureau else "", case_json, media, records, events, proofs, checkpoint)


def json_bytes(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def _attested(events: Sequence[Event], subject_type: str, subject_id: str) -> tuple[int, ...]:
    return tuple(e.seq for e in events if e.subject_type == subject_type and e.subject_id == subject_id)


def _write_payload(g: Gathered, bag: BagSink, blobs: BlobStore, vkey: str,
                   on_bytes: Callable[[int], None] | None) -> list[IndexItem]:
    items: list[IndexItem] = []

    def add(kind: str, title: str, rel: str, data: bytes, fmt: str, subject: tuple[str, str],
            describes: int | None = None) -> None:
        n = len(items) + 1
        f = bag.add_bytes(rel.format(n=n), data)
        items.append(IndexItem(n, kind, title, f.path, f.sha256, f.size, fmt, _attested(g.events, *subject),
                               {"type": subject[0], "id": subject[1]}, describes))

    case_id = str(g.case.id)
    add(Kind.CASE, f"案件信息 {g.case.number} {g.case.name}", "{n:03d}-case.json", json_bytes(g.case_json),
        "application/json", ("case", case_id))
    for doc in g.records:
        items.append(_write_record(g, bag, blobs, doc, len(items) + 1))
    for media, reg, mark, device_number in g.media:
        n, subject = len(items) + 1, ("media", str(media.id))
        attested = _attested(g.events, *subject)
        if blobs.exists(media.sha256):
            with blobs.open(media.sha256) as reader:
                f = bag.add_stream(original_filename(n, media), reader, on_bytes)
            items.append(IndexItem(n, Kind.AV_ORIGINAL, media.original_name, f.path, f.sha256, f.size,
                                   media.media_type.value, attested, {"type": "media", "id": str(media.id)}))
        else:  # disposed of after its retention: the digest and the ledger entries stay
            items.append(IndexItem(n, Kind.AV_ORIGINAL, media.original_name, None, media.sha256, media.size,
                                   media.media_type.value, attested, {"type": "media", "id": str(media.id)},
                                   status="disposed"))
        add(Kind.AV_METADATA, f"{media.original_name} 元数据（DA/T 63）", "av/{n:03d}-metadata.json",
            json_bytes(av_metadata(media, reg, mark, g.case, device_number)), "application/json", subject, n)
    lines = b"".join(canonical_json(e.to_leaf_dict()) + b"\n" for e in g.events)
    proofs = {"checkpoint_size": g.checkpoint.size, "proofs": {str(k): v for k, v in g.proofs.items()}}
    all_seqs = tuple(e.seq for e in g.events)
    for title, rel, data, fmt in (("账本事件摘录", EVENTS_FILE, lines, "application/jsonl"),
                                  ("包含证明", PROOFS_FILE, json_bytes(proofs), "application/json"),
                                  ("签名检查点", CHECKPOINT_FILE, g.checkpoint.note.encode(), "text/plain"),
                                  ("账本公钥", VKEY_FILE, (vkey + "\n").encode(), "text/plain")):
        f = bag.add_bytes(rel, data)
        items.append(IndexItem(len(items) + 1, Kind.LEDGER, title, f.path, f.sha256, f.size, fmt, all_seqs))
    return items


def _write_record(g: Gathered, bag: BagSink, blobs: BlobStore, doc: RecordDoc, n: int) -> IndexItem:
    rel = f"records/{n:03d}-{doc.filename}"
    if doc.blob is not None:
        with blobs.open(doc.blob) as reader:
            f = bag.add_stream(rel, reader)
        if f.sha256 != doc.blob:  # the store is addressed by digest: a mismatch is a damaged copy
            raise IntegrityError(f"附件 {doc.title} 的存储副本与其摘要不符，已停止导出",
                                 f"the stored copy of {doc.blob[:16]} does not match its digest; export stopped",
                                 code="archive.attachment_damaged")
    else:
        f = bag.add_bytes(rel, doc.render() if doc.render is not None else doc.content)
    return IndexItem(n, doc.kind, doc.title, f.path, f.sha256, f.size, doc.format,
                     _attested(g.events, doc.subject_type, doc.subject_id),
                     {"type": doc.subject_type, "id": doc.subject_id}, stage=doc.stage)


def _check_blobs(g: Gathered, blobs: BlobStore) -> None:
    """Every attachment to file is in the store (attachments are never disposed of): refuse
    before anything is written otherwise."""
    missing = [doc.title for doc in g.records if doc.blob is not None and not blobs.exists(doc.blob)]
    if missing:
        raise IntegrityError(f"存储中缺少附件：{'、'.join(missing)}，案卷未导出",
                             f"{len(missing)} attachment(s) missing from the store; nothing exported",
                             code="archive.attachment_missing")


def export_case_file(uow: ArchiveUnitOfWork, ctx: Ctx, blobs: BlobStore, signer: Signer, bag: BagSink, *,
                     number: str, origin: str, sources: Sequence[RecordSource] = (),
                     on_bytes: Callable[[int], None] | None = None) -> ExportResult:
    """Write the file of the concluded case ``number`` into ``bag`` and record the export.

    Raise NotFound (``case.not_found``), PermissionDenied (archive:manage), InvalidTransition
    ``archive.not_concluded`` (Art. 39: not in stage 归档), IntegrityError
    ``archive.attachment_missing`` — before anything is written; IntegrityError
    ``archive.attachment_damaged`` when a stored attachment no longer matches its digest."""
    with uow:
        _concluded(uow, ctx, number)
    system = replace(ctx, actor=system_actor(f"案卷导出 / case-file export ({ctx.actor.name})", ctx.actor.bureau_id))
    ledger_svc.create_checkpoint(uow, system, signer, origin)
    g = _gather(uow, ctx, number, sources)
    _check_blobs(g, blobs)
    items = _write_payload(g, bag, blobs, format_vkey(signer.name, signer.public_key), on_bytes)
    index = index_document(g.case, g.bureau_name, items, g.checkpoint.size, format_time(ctx.now), ctx.actor.name)
    index_file = bag.add_bytes(INDEX_FILE, json_bytes(index))
    info = [("Source-Organization", g.bureau_name or "-"), ("External-Identifier", g.case.number),
            ("External-Description", f"案卷 {g.case.number} {g.case.name}"),
            ("Internal-Sender-Identifier", str(g.case.id)),
            ("Case-Opened", local_date(g.case.opened_at).isoformat()),
            ("Case-Concluded", local_date(g.case.ended_at).isoformat() if g.case.ended_at else "-"),
            ("Ledger-Checkpoint-Size", str(g.checkpoint.size)), ("Contact-Name", ctx.actor.name or "-"),
            ("Bag-Software-Agent", "lawtrail")]
    oxum = bag.finish(info, local_date(ctx.now))
    with uow:
        event = record(uow, ctx, Action.CASEFILE_EXPORT, subject_type="case", subject_id=g.case.id,
                       subject_name=g.case.title[:300],
                       after_dict={"items": len(items), "payload_oxum": oxum, "checkpoint_size": g.checkpoint.size,
                                   "index_sha256": index_file.sha256})
        uow.commit()
    return ExportResult(g.case.number, len(items), oxum, g.checkpoint.size, event.seq)


def concluded_case_id(uow: UnitOfWork, ctx: Ctx, number: str) -> UUID:
    """The id of the concluded case ``number`` the actor may file; raise as ``export_case_file``."""
    with uow:
        return _concluded(uow, ctx, number).id
