"""The background thread that makes previews and thumbnails (LAWTRAIL_DERIVE_PREVIEWS).

It walks the originals in the order they were recorded, a few per tick, and remembers where it
stopped: after the first pass it only looks at originals recorded since. Several app processes
may run it at once: a derived object is unique per original and kind, so a lost race only
wastes the work (``services.derived`` treats it as done).
"""

from __future__ import annotations

import logging

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.bootstrap import Container
from lawtrail.services import derived as derived_svc
from lawtrail.services.derived import Cursor
from lawtrail.web.ledger_runtime import CHECK_INTERVAL, Periodic

log = logging.getLogger(__name__)


class Deriver(Periodic):
    """Calls ``derived.derive_pending`` every ``interval`` seconds, until a tick finds nothing new."""

    def __init__(self, container: Container, interval: float = CHECK_INTERVAL) -> None:
        self.container = container
        self.cursor: Cursor = None
        super().__init__("deriver", interval, self.tick)

    def tick(self) -> int:
        """Work through every original recorded after the cursor; return how many objects were made."""
        c, total = self.container, 0
        while True:
            made, cursor = derived_svc.derive_pending(SqlUnitOfWork(c.engine), c.system_ctx("播放副本生成"),
                                                      c.blobs, c.transcoder, self.cursor)
            total += made
            if cursor == self.cursor:
                break
            self.cursor = cursor
        if total:
            log.info("%d derived objects made", total)
        return total
