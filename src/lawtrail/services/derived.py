"""Derived objects of originals (Art. 37, issue 4 item 7): make the previews and thumbnails an
original needs (``domain.derived.wanted``), store them write-once in the blob store under their
own digests, record each as a row linked to its original with one ``media:derived:create`` event,
and serve them.

Order of work (as for originals, docs/decisions/0009): the bytes are stored first, then the row
and its event in one transaction; a crash in between leaves stored bytes without a row
("untracked" in ``vault verify``), and running the work again makes the object anew. The
original is only ever read.

Who: anyone who may see an original (media:view) may have its derived objects made (they
change nothing recorded about it) and see them; the background worker acts as the system. A
preview is served under the ticket of a recorded opening of the original, like the original's
own range requests; a thumbnail (a 320-pixel still) is not recorded as a read
(docs/decisions/0019).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.derived import DERIVED_EXISTS, DerivedKind, DerivedObject, playable, wanted
from lawtrail.domain.events import Action
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import Conflict, LawtrailError, NotFound
from lawtrail.services import media as media_svc
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import BlobReader, BlobStore, LocalBlobPaths, Transcoder, UnitOfWork
from lawtrail.services.trail import record

log = logging.getLogger(__name__)

#: Originals looked at per tick of the background worker.
WORKER_BATCH = 20
Cursor = tuple[datetime, UUID] | None


def _subject_name(media: MediaRecord) -> str:
    return f"{media.original_name} ({media.sha256[:12]})"


@dataclass(frozen=True)
class DerivedState:
    """What the media page needs: the original's derived objects, those it still lacks, and
    whether a browser plays the original itself."""

    objects: dict[DerivedKind, DerivedObject]
    missing: tuple[DerivedKind, ...]
    original_playable: bool

    @property
    def preview(self) -> DerivedObject | None:
        return self.objects.get(DerivedKind.PREVIEW)

    @property
    def thumbnail(self) -> DerivedObject | None:
        return self.objects.get(DerivedKind.THUMBNAIL)


def _load(uow: UnitOfWork, ctx: Ctx, media_id: UUID) -> MediaRecord:
    media = uow.media.get(media_id)
    if media is None or (ctx.actor.bureau_id and media.bureau_id != ctx.actor.bureau_id):
        raise NotFound("音像资料不存在", "no such media", code="media.not_found")
    require(ctx.actor, Permission.MEDIA_VIEW, bureau_id=media.bureau_id, unit_id=media.unit_id)
    return media


def state(uow: UnitOfWork, ctx: Ctx, media_id: UUID) -> DerivedState:
    """The original's derived objects, for whoever may read the original (``media.readable``:
    an Art. 45 grant counts as well as media:view; a permitted call records nothing)."""
    media = media_svc.readable(uow, ctx, media_id, "details")
    with uow:
        have = uow.derived.for_media([media.id]).get(media.id, {})
    need = wanted(media.media_type, media.facts, media.probe_ok)
    return DerivedState(have, tuple(k for k in need if k not in have),
                        playable(media.media_type, media.facts))


def thumbnails(uow: UnitOfWork, media_ids: list[UUID]) -> dict[UUID, DerivedObject]:
    """The thumbnails of originals already shown to the actor (a list page), in one query."""
    with uow:
        found = uow.derived.for_media(media_ids)
    return {mid: kinds[DerivedKind.THUMBNAIL] for mid, kinds in found.items() if DerivedKind.THUMBNAIL in kinds}


def derive(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, transcoder: Transcoder, media_id: UUID
           ) -> list[DerivedObject]:
    """Make every derived object the original lacks (media:view on its unit); return those made.

    Raise NotFound / PermissionDenied, ValidationFailed ``derived.failed`` when one cannot be
    made (those made before it are kept), and whatever the blob store raises."""
    with uow:
        media = _load(uow, ctx, media_id)
        have = uow.derived.for_media([media.id]).get(media.id, {})
    return _make(uow, ctx, blobs, transcoder, media, [k for k in wanted(media.media_type, media.facts,
                                                                         media.probe_ok) if k not in have])


def derive_pending(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, transcoder: Transcoder, cursor: Cursor, *,
                   batch: int = WORKER_BATCH) -> tuple[int, Cursor]:
    """One step of the background worker (the system's actor): the next ``batch`` originals
    after ``cursor`` (in order of recording), each given what it lacks; return the number made
    and the cursor to go on from (the same one when nothing new was recorded). An original that
    cannot be derived is logged and passed over (it is tried again when the worker restarts)."""
    with uow:
        page = uow.media.recorded_after(cursor, batch)
        have = uow.derived.for_media([m.id for m in page])
    made = 0
    for media in page:
        todo = [k for k in wanted(media.media_type, media.facts, media.probe_ok) if k not in have.get(media.id, {})]
        try:
            made += len(_make(uow, ctx, blobs, transcoder, media, todo))
        except LawtrailError as exc:
            log.warning("no derived objects for %s: %s", media.id, exc.message_en)
    return made, ((page[-1].created_at, page[-1].id) if page else cursor)


@contextmanager
def _source(blobs: BlobStore, media: MediaRecord) -> Iterator[Path]:
    """A local path of the original's bytes: the stored file itself (read only), or a temporary
    copy for a remote store."""
    if isinstance(blobs, LocalBlobPaths):
        yield blobs.path_of(media.sha256)
        return
    with tempfile.TemporaryDirectory(prefix="lawtrail-source-") as tmp:
        path = Path(tmp) / "original"
        with blobs.open(media.sha256) as reader, path.open("wb") as out:
            shutil.copyfileobj(reader, out, 4 << 20)
        yield path


def _make(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, transcoder: Transcoder, media: MediaRecord,
          kinds: list[DerivedKind]) -> list[DerivedObject]:
    made: list[DerivedObject] = []
    if not kinds:
        return made
    with _source(blobs, media) as source, tempfile.TemporaryDirectory(prefix="lawtrail-derive-") as tmp:
        for kind in kinds:
            path, content_type, tool = transcoder.make(kind, media.media_type, source, Path(tmp),
                                                       media.facts.get("duration_s"))
            with path.open("rb") as f:
                blob = blobs.put_stream(f)
            obj = DerivedObject(id=uuid.uuid4(), media_id=media.id, kind=kind, sha256=blob.sha256, size=blob.size,
                                content_type=content_type, tool=tool[:500], created_at=ctx.now,
                                created_by=ctx.actor.name[:100])
            if _record(uow, ctx, media, obj):
                made.append(obj)
    return made


def _record(uow: UnitOfWork, ctx: Ctx, media: MediaRecord, obj: DerivedObject) -> bool:
    """The row and its event in one transaction; False when another process recorded one first."""
    try:
        with uow:
            uow.derived.add(obj)
            record(uow, ctx, Action.MEDIA_DERIVED_CREATE, subject_type="media", subject_id=media.id,
                   subject_name=_subject_name(media),
                   after_dict={"kind": obj.kind.value, "sha256": obj.sha256, "size": obj.size,
                               "content_type": obj.content_type, "tool": obj.tool,
                               "original_sha256": media.sha256})
            uow.commit()
    except Conflict as exc:
        if exc.code != DERIVED_EXISTS:
            raise
        return False
    return True


# --- serving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedDerived:
    derived: DerivedObject
    media: MediaRecord

    @property
    def etag(self) -> str:
        return f'"{self.derived.sha256}"'


def _find(uow: UnitOfWork, media_id: UUID, kind: DerivedKind) -> DerivedObject:
    with uow:
        found = uow.derived.for_media([media_id]).get(media_id, {}).get(kind)
    if found is None:
        raise NotFound("尚未生成该派生文件", f"no {kind.value} has been made", code="derived.not_found")
    return found


def open_preview(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, media_id: UUID, ticket: str, *,
                 ticket_key: bytes) -> OpenedDerived:
    """The preview, for one range request of a recorded opening of its original: the ticket is
    checked as for the original (``media.ticketed_original``; a refusal is recorded), nothing
    more is recorded. Raise NotFound ``derived.not_found`` when there is no preview."""
    original = media_svc.ticketed_original(uow, ctx, blobs, media_id, ticket, ticket_key=ticket_key)
    return OpenedDerived(_find(uow, media_id, DerivedKind.PREVIEW), original.media)


def open_thumbnail(uow: UnitOfWork, ctx: Ctx, media_id: UUID) -> OpenedDerived:
    """The thumbnail (media:view on the original's unit; a refusal is recorded like any refused
    read, a permitted one is not: docs/decisions/0019)."""
    media = media_svc.readable(uow, ctx, media_id, "thumbnail")
    return OpenedDerived(_find(uow, media_id, DerivedKind.THUMBNAIL), media)


def read_range(blobs: BlobStore, opened: OpenedDerived, start: int, end: int) -> BlobReader:
    return blobs.open_range(opened.derived.sha256, start, end)
