"""Engines for both databases, and migrations to head (Alembic)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


#: The connection execution option of a read-only unit of work (``SqlUnitOfWork(read_only=True)``).
READ_ONLY = "lawtrail_read_only"
#: What a read-only transaction may send: queries (and SQLite's pragmas), nothing that writes.
_READS = ("SELECT", "WITH", "PRAGMA", "EXPLAIN", "SHOW", "VALUES", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
          "RELEASE")


#: SQLite's ``mmap_size`` on every connection (bytes; an upper bound).
MMAP_SIZE = 4 * 1024**3


class ReadOnlyViolation(RuntimeError):
    """A read-only unit of work tried to write (a programming error: use a writing one)."""


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 5) -> Engine:
    """Create an engine. SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE
    (so that a transaction that reads and then writes never fails to upgrade its lock), except
    a read-only unit of work's transaction: a deferred BEGIN, which under WAL reads a snapshot
    beside the one writer without taking the write lock (decision 0035). On both engines a
    read-only transaction refuses any statement that is not a query."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=True)
        _sqlite_setup(engine, sqlite_synchronous)
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                               hide_parameters=True)
    _read_only_guard(engine)
    return engine


def _read_only_guard(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_writes(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY) and not statement.lstrip().upper().startswith(_READS):
            raise ReadOnlyViolation(f"a read-only unit of work may not write: {statement[:60]!r}")


def _sqlite_setup(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        # Read the file through a memory map (SQLite caps it at its compile-time maximum, 2 GiB
        # here): the compliance engine reads every case's rows, and copying each page out of the
        # OS cache cost ≈ 15 % more of SQLite's CPU at 100,000 cases (decision 0044).
        cur.execute(f"PRAGMA mmap_size={MMAP_SIZE}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # On the DBAPI connection: through exec_driver_sql this one constant statement cost as
        # much as SQLite's work for a small transaction (decision 0047); its error is raised as
        # SQLAlchemy would have raised it (OperationalError when the database stays locked).
        sql = "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE"
        try:
            conn.connection.dbapi_connection.execute(sql)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql, (), exc, sqlite3.Error) from exc


def alembic_config(engine: Engine) -> Config:
    # Alembic (and Mako) are imported only when migrating: the CLI's daily commands, such as a
    # collection station's ingest, stay lighter (docs/benchmarks.md, memory).
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def check(engine: Engine) -> None:
    """Raise if the models and the migrated schema differ (``alembic check``)."""
    from alembic import command

    command.check(alembic_config(engine))
