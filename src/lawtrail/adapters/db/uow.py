"""The SQL unit of work: one connection, one transaction, the repositories on it."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, Self, TypeVar, cast, overload

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

R = TypeVar("R")


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



class _Repo(Generic[R]):
    """A repository of the unit of work, made on first use in each transaction (most
    transactions touch two or three of the two dozen; making them all cost a single-event
    transaction about a twentieth of its time, decision 0046)."""

    def __init__(self, factory: Callable[[Connection], R]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...
    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...
    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> R | Self:
        if uow is None:
            return self
        repos = uow._repos
        repo = repos.get(self.name)
        if repo is None:
            repo = repos[self.name] = self.factory(uow.connection)
        return cast(R, repo)


class SqlUnitOfWork:
    """``with uow:`` begins a transaction; ``commit()`` commits it and begins nothing new.

    ``read_only=True``: for reads that write nothing (pages, lists, ``lawtrail check``). On
    SQLite it begins DEFERRED instead of IMMEDIATE, so it neither waits for nor blocks the
    writer (WAL: it reads the snapshot of its first statement); on both engines any statement
    that is not a query raises ``ReadOnlyViolation`` (decision 0035).

    Leaving the block without commit rolls back, so an exception at any point leaves nothing
    half-written. Calling ``with`` again starts a fresh transaction.
    """

    bureaus = _Repo(r.SqlBureaus)
    units = _Repo(r.SqlUnits)
    users = _Repo(r.SqlUsers)
    devices = _Repo(r.SqlDevices)
    device_log = _Repo(r.SqlDeviceLog)
    sessions = _Repo(r.SqlSessions)
    tokens = _Repo(r.SqlTokens)
    login_attempts = _Repo(r.SqlLoginAttempts)
    events = _Repo(r.SqlEvents)
    ledger_nodes = _Repo(r.SqlLedgerNodes)
    checkpoints = _Repo(_Checkpoints)
    media = _Repo(SqlMedia)
    handins = _Repo(SqlHandins)
    marks = _Repo(SqlMarks)
    activities = _Repo(SqlActivities)
    cases = _Repo(SqlCases)
    access = _Repo(SqlAccess)
    oversight = _Repo(SqlOversight)
    records = _Repo(SqlRecords)
    archive = _Repo(SqlArchive)
    approvals = _Repo(SqlApprovals)
    derived = _Repo(SqlDerived)
    disclosures = _Repo(SqlDisclosures)

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.engine = engine
        self.read_only = read_only
        self._conn: Connection | None = None
        self._depth = 0
        self._repos: dict[str, object] = {}
        self._snapshot = False

    def __enter__(self) -> Self:
        if self._depth == 0:
            self._conn = self.engine.connect()  # the first statement begins the transaction
            if self.read_only:
                # Deferred BEGIN on SQLite (no write lock); any write refused (engine.READ_ONLY).
                self._conn = self._conn.execution_options(**{READ_ONLY: True})
            if self._snapshot and self._conn.dialect.name == "postgresql":
                self._conn = self._conn.execution_options(isolation_level="REPEATABLE READ")
            self._snapshot = False
            self._repos = {}
        self._depth += 1
        return self

    def snapshot(self) -> bool:
        """Ask that the next transaction begun (``with``) read one snapshot of the database, and
        return whether it will. SQLite's transactions always do (a writer holds the write lock, a
        read-only one reads the snapshot of its first statement under WAL); on PostgreSQL the
        transaction is begun REPEATABLE READ, which cannot be done once it has begun (False when
        called inside ``with``, unless it already is)."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is not None:
            return bool(self._conn.get_execution_options().get("isolation_level") == "REPEATABLE READ")
        self._snapshot = True
        return True

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
                self._repos = {}

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
