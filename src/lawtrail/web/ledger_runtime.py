"""The ledger's moving parts in a running app: the signing key of the data folder, the note
check built from it, and the background thread that makes checkpoints when they are due
(every LAWTRAIL_CHECKPOINT_EVERY events or LAWTRAIL_CHECKPOINT_MINUTES minutes).

Each app process runs its own thread; duplicates cannot arise because a checkpoint's size is
its primary key and ``services.ledger.create_checkpoint`` treats a lost race as done.
"""

from __future__ import annotations

import logging
import threading

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.signer import Ed25519Signer, load_signer, note_checker
from lawtrail.bootstrap import Container
from lawtrail.domain.ledger.audit import NoteCheck, StoredCheckpoint
from lawtrail.services import ledger as ledger_svc

log = logging.getLogger(__name__)

#: How often the background thread asks whether a checkpoint is due (seconds).
CHECK_INTERVAL = 60.0


def uow(c: Container) -> SqlUnitOfWork:
    """A unit of work with the ledger's repositories."""
    return SqlUnitOfWork(c.engine)


def signer(c: Container) -> Ed25519Signer:
    """The data folder's signing key, generated on first use (normally by ``lawtrail init``)."""
    return load_signer(c.settings.data_dir, c.settings.ledger_origin, create=True)


def checker(c: Container) -> NoteCheck:
    """Checks a stored checkpoint note against this deployment's public key."""
    return note_checker(signer(c).vkey())


def checkpoint_if_due(c: Container) -> StoredCheckpoint | None:
    """One tick of the background thread: a checkpoint when due (as the system), else None."""
    s = c.settings
    return ledger_svc.maybe_checkpoint(uow(c), c.system_ctx("自动检查点"), signer(c), s.ledger_origin,
                                       s.checkpoint_every, s.checkpoint_minutes, timestamper=c.timestamper)


class Checkpointer:
    """A daemon thread calling ``checkpoint_if_due`` every ``interval`` seconds until stopped."""

    def __init__(self, container: Container, interval: float = CHECK_INTERVAL) -> None:
        self.container = container
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lawtrail-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                made = checkpoint_if_due(self.container)
            except Exception:  # a failed tick must not end the thread: the next one retries
                log.exception("automatic checkpoint failed")
                continue
            if made is not None:
                log.info("checkpoint signed at size %d", made.size)
