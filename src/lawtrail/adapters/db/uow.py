"""The SQL unit of work: one connection, one transaction, the repositories on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import repositories as r
from lawtrail.adapters.db.access_repo import SqlAccess
from lawtrail.adapters.db.activity_repo import SqlActivities
from lawtrail.adapters.db.approval_repo import SqlApprovals
from lawtrail.adapters.db.archive_repo import SqlArchive
from lawtrail.adapters.db.case_repo import SqlCases
from lawtrail.adapters.db.derived_repo import SqlDerived
from lawtrail.adapters.db.disclosure_repo import SqlDisclosures
from lawtrail.adapters.db.engine import READ_ONLY
from lawtrail.adapters.db.evidence_repo import SqlHandins, SqlMarks
from lawtrail.adapters.db.media_repo import SqlMedia
from lawtrail.adapters.db.oversight_repo import SqlOversight
from lawtrail.adapters.db.record_repo import SqlRecords
from lawtrail.domain.ledger.audit import StoredCheckpoint
from lawtrail.errors import Conflict

#: Must equal ``lawtrail.services.ledger.CHECKPOINT_EXISTS`` (adapters do not import services).
CHECKPOINT_EXISTS = "ledger.checkpoint_exists"


class _Checkpoints(r.SqlCheckpoints):
    """The checkpoint store, with a second process's checkpoint of the same size (a primary
    key violation, PostgreSQL or SQLite) reported as Conflict ``ledger.checkpoint_exists``."""

    def add(self, checkpoint: StoredCheckpoint) -> None:
        try:
            super().add(checkpoint)
        except SqlIntegrityError:
            raise Conflict(f"大小为 {checkpoint.size} 的检查点已由其他进程签发",
                           f"a checkpoint of size {checkpoint.size} was stored by another process",
                           code=CHECKPOINT_EXISTS) from None


class SqlUnitOfWork:
    """``with uow:`` begins a transaction; ``commit()`` commits it and begins nothing new.

    ``read_only=True``: for reads that write nothing (pages, lists, ``lawtrail check``). On
    SQLite it begins DEFERRED instead of IMMEDIATE, so it neither waits for nor blocks the
    writer (WAL: it reads the snapshot of its first statement); on both engines any statement
    that is not a query raises ``ReadOnlyViolation`` (decision 0035).

    Leaving the block without commit rolls back, so an exception at any point leaves nothing
    half-written. Calling ``with`` again starts a fresh transaction.
    """

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self._conn: Connection | None = None
        self._depth = 0

    def __enter__(self) -> Self:
        if self._depth == 0:
            self._conn = self.engine.connect()  # the first statement begins the transaction
            if self.read_only:
                # Deferred BEGIN on SQLite (no write lock); any write refused (engine.READ_ONLY).
                self._conn = self._conn.execution_options(**{READ_ONLY: True})
            conn = self._conn
            self.bureaus = r.SqlBureaus(conn)
            self.units = r.SqlUnits(conn)
            self.users = r.SqlUsers(conn)
            self.devices = r.SqlDevices(conn)
            self.device_log = r.SqlDeviceLog(conn)
            self.sessions = r.SqlSessions(conn)
            self.tokens = r.SqlTokens(conn)
            self.login_attempts = r.SqlLoginAttempts(conn)
            self.events = r.SqlEvents(conn)
            self.ledger_nodes = r.SqlLedgerNodes(conn)
            self.checkpoints = _Checkpoints(conn)
            self.media = SqlMedia(conn)
            self.handins = SqlHandins(conn)
            self.marks = SqlMarks(conn)
            self.activities = SqlActivities(conn)
            self.cases = SqlCases(conn)
            self.access = SqlAccess(conn)
            self.oversight = SqlOversight(conn)
            self.records = SqlRecords(conn)
            self.archive = SqlArchive(conn)
            self.approvals = SqlApprovals(conn)
            self.derived = SqlDerived(conn)
            self.disclosures = SqlDisclosures(conn)
        self._depth += 1
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._depth -= 1
        if self._depth == 0 and self._conn is not None:
            try:
                if self._conn.in_transaction():
                    self._conn.rollback()
            finally:
                self._conn.close()
                self._conn = None

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._conn

    def commit(self) -> None:
        conn = self.connection
        if conn.in_transaction():
            conn.commit()

    def rollback(self) -> None:
        conn = self.connection
        if conn.in_transaction():
            conn.rollback()
