"""A collection station's day of footage in one call: many files, stored in parallel, recorded in
batches (Art. 40–42).

Why: a body camera hands in hundreds of photos and clips at once. Stored one by one, each file
costs its own fsyncs (file, folders) and its own database commit, and a 200 KB photo spends
most of its time waiting for the disk. Here a few worker threads store and probe files at
the same time (their fsyncs overlap; the probe of a video is a subprocess), and the main
thread records the results in batches: one transaction per ``batch`` files, each file with
its own row, registration and ``media:original:ingest`` event.

Crash safety is that of ``vault.ingest_file`` (docs/decisions/0009): bytes are stored before
their row; a crash loses at most the rows of the batch in flight, whose bytes are then
"untracked" until the next run records them (the digest is found already stored).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from uuid import UUID

from lawtrail.domain.prefill import CasePrefill, party_names
from lawtrail.services import cases, vault
from lawtrail.services.context import Ctx
from lawtrail.services.ports import BlobStore, MediaProbe, UnitOfWork
from lawtrail.services.vault import IngestResult, StoredOriginal

#: Files stored and probed at the same time.
WORKERS = 4
#: Files recorded per transaction.
BATCH = 200


def ingest_paths(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, probe: MediaProbe, paths: Iterable[Path], *,
                 device_number: str, officer_id: UUID | None = None, handed_in_at: datetime | None = None,
                 clock_offset_s: float | None = None, on_start: Callable[[Path], Callable[[int], None]] | None = None,
                 on_result: Callable[[IngestResult], None] | None = None, workers: int = WORKERS,
                 batch: int = BATCH, case: CasePrefill | None = None) -> list[IngestResult]:
    """Store and record every file of ``paths`` as originals of device ``device_number``;
    return one result per path, in the order given (``on_result`` is called with each as soon
    as its batch is committed). Outcomes per file are those of ``vault.ingest_file``.

    Raise NotFound for an unknown device or officer and PermissionDenied without media:ingest,
    before any file is read. ``on_start(path)`` is called (from a worker thread) as a file
    starts and returns the function to call with each block's length, for progress bars.
    With ``case`` (``case_for_ingest``, checked by the caller before any file is read),
    every new original is prefilled from and linked to that case."""
    device = vault.find_device(uow, ctx, device_number)
    officer = vault.check_officer(uow, ctx, officer_id)
    results: list[IngestResult] = []
    pending: list[StoredOriginal | IngestResult] = []

    def flush() -> None:
        stored = [p for p in pending if isinstance(p, StoredOriginal)]
        recorded = iter(vault.record_stored(uow, ctx, probe, device, stored, officer_id=officer,
                                            handed_in_at=handed_in_at, clock_offset_s=clock_offset_s, case=case)
                        if stored else [])
        for item in pending:
            result = next(recorded) if isinstance(item, StoredOriginal) else item
            results.append(result)
            if on_result is not None:
                on_result(result)
        pending.clear()

    for item in _stored_in_order(blobs, probe, paths, on_start, max(1, workers)):
        pending.append(item)
        if len(pending) >= batch:
            flush()
    flush()
    return results


def case_for_ingest(uow: UnitOfWork, ctx: Ctx, number: str) -> CasePrefill:
    """The case numbered ``number`` (case:view), ready to prefill and link. Raise NotFound
    ``case.not_found`` for an unknown number, PermissionDenied, ValidationFailed ``case.archived``
    (nothing more may be linked to it)."""
    case = cases.find_case(uow, ctx, number)
    with uow:
        case = cases.check_linkable(uow, ctx, case.id)
        unit = uow.units.get(case.unit_id)
        parties = uow.cases.parties(case.id)
    return CasePrefill(case, unit.name if unit else "", party_names(parties))


def _stored_in_order(blobs: BlobStore, probe: MediaProbe, paths: Iterable[Path],
                     on_start: Callable[[Path], Callable[[int], None]] | None, workers: int
                     ) -> Iterator[StoredOriginal | IngestResult]:
    """Each path stored and probed (or refused), in the order given, with at most ``2 × workers``
    files in flight (memory stays bounded whatever the number of files)."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest") as pool:
        window: deque[Future[StoredOriginal | IngestResult]] = deque()
        for path in paths:
            window.append(pool.submit(_store, blobs, probe, path, on_start))
            if len(window) >= 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def _store(blobs: BlobStore, probe: MediaProbe, path: Path,
           on_start: Callable[[Path], Callable[[int], None]] | None) -> StoredOriginal | IngestResult:
    return vault.store_one(blobs, probe, path, on_start(path) if on_start is not None else None)
