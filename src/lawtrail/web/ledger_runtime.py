"""The ledger's and the vault's moving parts in a running app: the signing key of the data folder, the note
check built from it, and the background thread that makes checkpoints when they are due
(every LAWTRAIL_CHECKPOINT_EVERY events or LAWTRAIL_CHECKPOINT_MINUTES minutes).

Each app process runs its own thread; duplicates cannot arise because a checkpoint's size is
its primary key and ``services.ledger.create_checkpoint`` treats a lost race as done. The
vault's scheduled verification is due from the time of the last ``media:vault:verify`` event,
so several processes rarely run it twice (and a second run is harmless, only wasted work).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.signer import Ed25519Signer, load_signer, note_checker
from lawtrail.bootstrap import Container
from lawtrail.domain.ledger.audit import NoteCheck, StoredCheckpoint
from lawtrail.services import ledger as ledger_svc
from lawtrail.services import vault_verify

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


class Periodic:
    """A daemon thread calling ``tick`` every ``interval`` seconds (the first time after
    ``first``, by default ``interval``) until stopped. A failed tick is logged and does not end
    the thread: the next one retries."""

    def __init__(self, name: str, interval: float, tick: Callable[[], object], *, first: float | None = None) -> None:
        self.name = name
        self.interval = interval
        self.first = interval if first is None else first  # seconds before the first tick
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lawtrail-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        wait = self.first
        while not self._stop.wait(wait):
            wait = self.interval
            try:
                self._tick()
            except Exception:  # a failed tick must not end the thread: the next one retries
                log.exception("%s failed", self.name)


class Checkpointer(Periodic):
    """Calls ``checkpoint_if_due`` every ``interval`` seconds."""

    def __init__(self, container: Container, interval: float = CHECK_INTERVAL) -> None:
        self.container = container
        super().__init__("checkpointer", interval, self._checkpoint)

    def _checkpoint(self) -> None:
        made = checkpoint_if_due(self.container)
        if made is not None:
            log.info("checkpoint signed at size %d", made.size)


class VaultVerifier(Periodic):
    """Re-hashes every original when the last run is older than LAWTRAIL_VAULT_VERIFY_HOURS
    (Art. 37: any change to an original is detected); asks every ``interval`` seconds."""

    def __init__(self, container: Container, interval: float = CHECK_INTERVAL) -> None:
        self.container = container
        super().__init__("vault-verifier", interval, self._verify)

    def _verify(self) -> None:
        c = self.container
        report = vault_verify.verify_vault_if_due(uow(c), c.system_ctx("定期原始文件核验"), c.blobs,
                                               every_hours=c.settings.vault_verify_hours)
        if report is not None:
            log.log(logging.INFO if report.clean else logging.ERROR,
                    "vault verification: %d checked, problems %s", report.checked, report.counts())
