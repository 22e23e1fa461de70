"""Use cases of the evidence vault: ingest one original (Art. 40–42); ``vault_verify`` checks the store (Art. 37).

Order of work in ``ingest_file`` (crash safety, docs/decisions/0009): the bytes go to the
write-once blob store first (one streaming pass hashes and stores), then the media row, its
first registration version and its ``media:original:ingest`` event are written in ONE
transaction. A crash in between leaves a stored blob without a row ("untracked", reported by
``vault_verify.verify_vault``); running the ingest again finds the digest already stored (``created`` False)
and inserts the row. A row therefore never points at bytes that were not stored.
"""

from __future__ import annotations

import errno
import os
import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.devices import Device, holder_at
from lawtrail.domain.events import Action, format_time
from lawtrail.domain.media import MediaFacts
from lawtrail.domain.prefill import CasePrefill
from lawtrail.domain.vault import MEDIA_EXISTS, MediaRecord, Registration
from lawtrail.errors import Conflict, NotFound, ValidationFailed
from lawtrail.services import cases
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import BlobStore, LocalBlobPaths, MediaProbe, UnitOfWork
from lawtrail.services.trail import record

Status = Literal["stored", "duplicate", "refused"]


@dataclass(frozen=True)
class IngestResult:
    """The outcome for one file. ``reason`` ("中文 / English") is set when it was refused."""

    path: str
    status: Status
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None
    duration_s: float | None = None
    captured_at: datetime | None = None
    officer_id: UUID | None = None
    reason: str | None = None
    media_id: UUID | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "sha256": self.sha256, "size": self.size,
                "media_type": self.media_type, "duration_s": self.duration_s,
                "captured_at": format_time(self.captured_at) if self.captured_at else None,
                "officer_id": str(self.officer_id) if self.officer_id else None, "reason": self.reason,
                "media_id": str(self.media_id) if self.media_id else None}


def refused(path: Path, zh: str, en: str) -> IngestResult:
    return IngestResult(path=str(path), status="refused", reason=f"{zh} / {en}")


def _from_record(path: Path, status: Status, media: MediaRecord) -> IngestResult:
    return IngestResult(path=str(path), status=status, sha256=media.sha256, size=media.size,
                        media_type=media.media_type.value, duration_s=media.facts.get("duration_s"),
                        captured_at=media.captured_at, officer_id=media.officer_id, media_id=media.id)


def file_refusal(path: Path) -> tuple[str, str] | None:
    """Why ``path`` cannot be ingested (zh, en), or None for a non-empty regular file.

    The path itself is examined (``lstat``): a symbolic link is refused, not followed."""
    try:
        st = path.lstat()
    except FileNotFoundError:
        return "文件不存在", "no such file"
    except OSError as exc:
        return f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}"
    if stat.S_ISLNK(st.st_mode):
        return "是符号链接，不予入库（请指定实际文件）", "is a symbolic link; not ingested (give the real file)"
    if stat.S_ISDIR(st.st_mode):
        return "是文件夹，不是文件", "is a directory, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "不是普通文件（设备文件、管道或套接字），不予入库", "is not a regular file (device, pipe or socket)"
    if st.st_size == 0:
        return "文件为空（0 字节），不予保存", "the file is empty (0 bytes); not stored"
    return None


def find_device(uow: UnitOfWork, ctx: Ctx, number: str) -> Device:
    """The device with this number in the actor's bureau, checked for media:ingest.

    Raise NotFound (``device.not_found``) for an unknown number, PermissionDenied without the right."""
    with uow:
        device = uow.devices.by_number(number.strip())
    if device is None or (ctx.actor.bureau_id and device.bureau_id != ctx.actor.bureau_id):
        raise NotFound(f"设备编号 {number} 不存在", f"no device with number {number!r}", code="device.not_found")
    require(ctx.actor, Permission.MEDIA_INGEST, bureau_id=device.bureau_id, unit_id=device.unit_id)
    return device


def open_regular(path: Path) -> BinaryIO:
    """Open without following a symlink or blocking on a FIFO; refuse anything but a regular file
    (the check is repeated on the open descriptor, so a swap after ``lstat`` is caught)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file")
    return os.fdopen(fd, "rb", buffering=0)


class Counting:
    """A ``read(n)`` source that reports how many bytes each read returned."""

    def __init__(self, source: BinaryIO, on_bytes: Callable[[int], None]) -> None:
        self._source = source
        self._on_bytes = on_bytes

    def read(self, size: int = -1, /) -> bytes:
        data = self._source.read(size)
        if data:
            self._on_bytes(len(data))
        return data


def ingest_file(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, probe: MediaProbe, *, path: Path,
                device_number: str, officer_id: UUID | None = None, handed_in_at: datetime | None = None,
                on_bytes: Callable[[int], None] | None = None) -> IngestResult:
    """Store the file at ``path`` as an original recorded with device ``device_number``.

    Return status ``stored`` (new row, one ``media:original:ingest`` event), ``duplicate`` (the
    digest is already recorded: nothing written, no event) or ``refused`` (symlink, directory,
    special or empty file, unreadable; nothing written). Raise NotFound for an unknown device
    (``device.not_found``) or officer (``user.not_found``). Media that cannot be probed is
    stored all the same (``media_type`` unknown, ``probe_ok`` False). ``on_bytes`` is called with
    each block's length as it is read (for a progress bar)."""
    device = find_device(uow, ctx, device_number)
    officer = check_officer(uow, ctx, officer_id)
    item = store_one(blobs, probe, path, on_bytes)
    if isinstance(item, IngestResult):
        return item
    return record_stored(uow, ctx, probe, device, [item], officer_id=officer, handed_in_at=handed_in_at)[0]


def store_one(blobs: BlobStore, probe: MediaProbe, path: Path,
              on_bytes: Callable[[int], None] | None = None) -> StoredOriginal | IngestResult:
    """Store the bytes at ``path`` (one streaming pass) and probe them; a ``refused`` result
    when the path is not a non-empty regular file or cannot be read (nothing stored then)."""
    refusal = file_refusal(path)
    if refusal is not None:
        return refused(path, *refusal)
    try:
        with open_regular(path) as source:
            blob = blobs.put_stream(source if on_bytes is None else Counting(source, on_bytes))
    except ValidationFailed as exc:  # vault.empty: the file was emptied after lstat
        return refused(path, exc.message_zh, exc.message_en)
    except OSError as exc:
        return refused(path, f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}")
    probe_path = blobs.path_of(blob.sha256) if isinstance(blobs, LocalBlobPaths) else path
    # Bytes already in the store are most likely a recorded original: probing waits until
    # ``record_stored`` knows (a re-run over a day's folder then costs hashing only).
    return StoredOriginal(path=path, sha256=blob.sha256, size=blob.size, name=path.name,
                          facts=probe.probe(probe_path) if blob.created else None, probe_path=probe_path)


def record_original(uow: UnitOfWork, ctx: Ctx, probe: MediaProbe, *, device: Device, officer_id: UUID | None,
                    sha256: str, size: int, probe_path: Path, name: str, handed_in_at: datetime | None,
                    shown_path: str, clock_offset_s: float | None = None) -> IngestResult:
    """Record bytes already in the blob store under ``sha256`` as an original of ``device``:
    probe ``probe_path``, then the media row, registration v1 and the ``media:original:ingest``
    event in one transaction. Return ``duplicate`` (nothing written) when the digest is already
    recorded, else ``stored``. The caller has checked the device (``find_device``) and officer."""
    with uow:
        existing = uow.media.by_sha256(sha256)
    if existing is not None:
        return _from_record(Path(shown_path), "duplicate", existing)
    stored = StoredOriginal(path=Path(shown_path), sha256=sha256, size=size, name=name,
                            facts=probe.probe(probe_path), probe_path=probe_path)
    return record_stored(uow, ctx, probe, device, [stored], officer_id=officer_id, handed_in_at=handed_in_at,
                         clock_offset_s=clock_offset_s)[0]


@dataclass(frozen=True)
class StoredOriginal:
    """Bytes already in the blob store, waiting for their row: ``path`` is what the caller
    shows (the file's path, or the upload's name); ``facts`` is None when not probed yet
    (``record_stored`` probes ``probe_path`` if the digest turns out not to be recorded)."""

    path: Path
    sha256: str
    size: int
    name: str
    facts: MediaFacts | None
    probe_path: Path


def record_stored(uow: UnitOfWork, ctx: Ctx, probe: MediaProbe, device: Device, items: list[StoredOriginal], *,
                  officer_id: UUID | None, handed_in_at: datetime | None,
                  clock_offset_s: float | None = None, case: CasePrefill | None = None) -> list[IngestResult]:
    """Record ``items`` (one result each, in order) in ONE transaction: for each digest not yet
    recorded, the media row, registration v1 and one ``media:original:ingest`` event; a digest
    already recorded (or repeated in ``items``) is a ``duplicate`` and writes nothing.

    If another process recorded one of the digests meanwhile, the transaction is rolled back
    and every item is recorded on its own, so the others still go in. With ``case``, each new
    original's registration v1 is prefilled from the case and the original is linked to it."""
    items = _probed(uow, probe, items)
    try:
        return _record_many(uow, ctx, device, items, officer_id, handed_in_at, clock_offset_s, case)
    except Conflict as exc:
        if exc.code != MEDIA_EXISTS:
            raise
    if len(items) == 1:
        with uow:  # another process recorded the same bytes first
            winner = uow.media.by_sha256(items[0].sha256)
        assert winner is not None
        return [_from_record(items[0].path, "duplicate", winner)]
    return [r for item in items
            for r in record_stored(uow, ctx, probe, device, [item], officer_id=officer_id,
                                   handed_in_at=handed_in_at, clock_offset_s=clock_offset_s, case=case)]


def _probed(uow: UnitOfWork, probe: MediaProbe, items: list[StoredOriginal]) -> list[StoredOriginal]:
    """``items`` with facts: an unprobed one whose digest is not recorded is probed now (bytes
    stored by a run that crashed before its row); a recorded one stays as it is (a duplicate)."""
    unprobed = [item for item in items if item.facts is None]
    if not unprobed:
        return items
    with uow:
        recorded = {item.sha256 for item in unprobed if uow.media.by_sha256(item.sha256) is not None}
    return [replace(item, facts=probe.probe(item.probe_path))
            if item.facts is None and item.sha256 not in recorded else item for item in items]


def check_officer(uow: UnitOfWork, ctx: Ctx, officer_id: UUID | None) -> UUID | None:
    if officer_id is None:
        return None
    with uow:
        user = uow.users.get(officer_id)
    if user is None or (ctx.actor.bureau_id and user.bureau_id != ctx.actor.bureau_id):
        raise NotFound("执法人员不存在", "no such officer", code="user.not_found")
    return user.id


def _record_many(uow: UnitOfWork, ctx: Ctx, device: Device, items: list[StoredOriginal],
                 officer_id: UUID | None, handed_in_at: datetime | None,
                 clock_offset_s: float | None, case: CasePrefill | None = None) -> list[IngestResult]:
    """Insert the rows, registrations version 1 (prefilled) and events, in one transaction.

    Without a given officer, the device's holder at the capture time is taken (Art. 42 prefill)."""
    results: list[IngestResult] = []
    with uow:
        log = uow.device_log.for_device(device.id)
        unit = uow.units.get(device.unit_id)
        names: dict[UUID, str] = {}
        seen: dict[str, MediaRecord] = {}
        for item in items:
            existing = seen.get(item.sha256) or uow.media.by_sha256(item.sha256)
            if existing is not None:
                results.append(_from_record(item.path, "duplicate", existing))
                continue
            assert item.facts is not None, "record_stored probes every new original first"
            media = _new_media(ctx, device, item, item.facts, officer_id, handed_in_at, clock_offset_s)
            if media.officer_id is None and media.captured_at is not None:
                media = replace(media, officer_id=holder_at(log, media.captured_at))
            if media.officer_id is not None and media.officer_id not in names:
                officer = uow.users.get(media.officer_id)
                names[media.officer_id] = officer.display_name if officer else ""
            _insert(uow, ctx, device, media, item.facts, unit.name if unit else "",
                    names.get(media.officer_id, "") if media.officer_id else "", case)
            seen[item.sha256] = media
            results.append(_from_record(item.path, "stored", media))
        uow.commit()
    return results


def _new_media(ctx: Ctx, device: Device, item: StoredOriginal, facts: MediaFacts, officer_id: UUID | None,
               handed_in_at: datetime | None, clock_offset_s: float | None) -> MediaRecord:
    return MediaRecord(
        id=uuid.uuid4(), sha256=item.sha256, size=item.size, media_type=facts.media_type,
        original_name=item.name[:255], facts=facts.to_json(), probe_ok=facts.probe_ok, device_id=device.id,
        officer_id=officer_id, unit_id=device.unit_id, bureau_id=device.bureau_id,
        captured_at=facts.captured_start, captured_end=facts.captured_end,
        handed_in_at=handed_in_at or ctx.now, stored_at=ctx.now, clock_offset_s=clock_offset_s,
        ingested_by=ctx.actor.name[:100], created_at=ctx.now)


def _insert(uow: UnitOfWork, ctx: Ctx, device: Device, media: MediaRecord, facts: MediaFacts,
            unit_name: str, officer_name: str, case: CasePrefill | None = None) -> None:
    uow.media.add(media)
    uow.media.add_registration(Registration(
        media_id=media.id, version=1, unit_name=case.unit_name if case else unit_name,
        category=case.case.action_type.value if case else "",
        device_number=device.number, officer_id=media.officer_id,
        officer_name=officer_name, used_from=media.captured_at,
        used_to=media.captured_end, party=case.party if case else "", case_name=case.case.name if case else "",
        actor_id=ctx.actor.user_id, actor_name=ctx.actor.name[:100], at=ctx.now))
    record(uow, ctx, Action.MEDIA_INGEST, subject_type="media", subject_id=media.id,
           subject_name=f"{media.original_name} ({media.sha256[:12]})",
           after_dict={"sha256": media.sha256, "size": media.size, "media_type": media.media_type.value,
                       "probe_ok": facts.probe_ok, "device": device.number,
                       "officer_id": str(media.officer_id) if media.officer_id else None,
                       "captured_at": format_time(media.captured_at) if media.captured_at else None,
                       "handed_in_at": format_time(media.handed_in_at),
                       "clock_offset_s": media.clock_offset_s,
                       **({"case": case.case.number} if case else {})})
    if case is not None:
        cases.record_link(uow, ctx, case.case, media, reason="入库时指定案件（lawtrail ingest --case）")
