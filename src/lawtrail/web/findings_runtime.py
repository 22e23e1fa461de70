"""The stored findings kept warm in a running app: a ``Periodic`` worker that evaluates every
bureau as the system shortly after start-up and then every LAWTRAIL_FINDINGS_KEEP_MINUTES, and
stores what it computed (``services.findings.keep_every_bureau``; decisions 0050, 0051).

Without it the first person to open 合规问题, a home page or the dashboard after a deploy or a new
catalogue would wait for everything to be computed (≈ 53 s at 100,000 cases); afterwards each
run computes only the cases and originals that changed. Several app processes may both run it:
a row is stored with the ``facts_rev`` it was computed at, so the last one stored is as good as
any other."""

from __future__ import annotations

import logging
import time

from lawtrail.bootstrap import Container
from lawtrail.services import findings
from lawtrail.web.ledger_runtime import Periodic

log = logging.getLogger(__name__)

#: Seconds after start-up before the first run (the app answers requests meanwhile).
FIRST_RUN = 5.0


class FindingsKeeper(Periodic):
    """Evaluates and stores every bureau's findings every ``interval`` seconds, the first time
    ``first`` seconds after start."""

    def __init__(self, container: Container, interval: float, first: float = FIRST_RUN) -> None:
        self.container = container
        super().__init__("findings-keeper", interval, self._tick, first=first)

    def _tick(self) -> None:
        c = self.container
        start = time.perf_counter()
        found = findings.keep_every_bureau(lambda: c.uow(read_only=True), c.uow, "合规问题预计算", c.clock.now(),
                                           settings=c.rules, catalogue=c.catalogue)
        log.info("findings kept: %d findings in %.1f s", found, time.perf_counter() - start)
