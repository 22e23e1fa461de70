"""The dashboard's daily snapshots in a running app: a ``Periodic`` worker that refreshes today's
snapshot when the last one is an hour old or of another day (``services.oversight.snapshot_if_due``).
Several app processes may both refresh: a snapshot replaces the day's rows, so the last one wins."""

from __future__ import annotations

import logging

from lawtrail.bootstrap import Container
from lawtrail.services import oversight as oversight_svc
from lawtrail.web.ledger_runtime import CHECK_INTERVAL, Periodic

log = logging.getLogger(__name__)


class SnapshotTaker(Periodic):
    """Asks every ``interval`` seconds whether today's snapshot is due, and takes it as the system."""

    def __init__(self, container: Container, interval: float = CHECK_INTERVAL) -> None:
        self.container = container
        super().__init__("oversight-snapshot", interval, self._tick)

    def _tick(self) -> None:
        c = self.container
        written = oversight_svc.snapshot_if_due(c.uow(), c.system_ctx("监督看板快照"), settings=c.rules,
                                                catalogue=c.catalogue)
        if written is not None:
            log.info("oversight snapshot: %d rows", sum(written.values()))
