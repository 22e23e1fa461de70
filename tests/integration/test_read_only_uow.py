"""Read-only units of work (decision 0035): on SQLite a reader begins DEFERRED, so under WAL it
neither takes nor waits for the write lock — a writer commits while a page's read is open — and
on both engines a read-only unit of work refuses to write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, func, select, text, update
from sqlalchemy.exc import OperationalError

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.engine import MMAP_SIZE, ReadOnlyViolation, make_engine, upgrade
from lawtrail.adapters.db.uow import SqlUnitOfWork
from tests.integration.support import Seed, only_sqlite


@pytest.fixture
def impatient(db_url: str, engine: Engine) -> Iterator[Engine]:
    """A second engine on the same (migrated) database whose connections wait 0.2 s for a lock, not 30."""
    other = make_engine(db_url)

    @event.listens_for(other, "connect")
    def _short(dbapi_conn: object, _record: object) -> None:
        cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cur.execute("PRAGMA busy_timeout=200")
        cur.close()

    upgrade(other)
    yield other
    other.dispose()


def _rename(engine: Engine, seed: Seed, name: str) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.connection.execute(update(t.units).where(t.units.c.id == seed.unit.id).values(name=name))
        uow.commit()


def _name(uow: SqlUnitOfWork, seed: Seed) -> str:
    return str(uow.connection.execute(select(t.units.c.name).where(t.units.c.id == seed.unit.id)).scalar_one())


@only_sqlite
def test_a_reader_does_not_block_a_writer(seed: Seed, impatient: Engine) -> None:
    with SqlUnitOfWork(seed.container.engine, read_only=True) as reader:
        assert _name(reader, seed) == "执法稽查一科"         # the read transaction is open
        _rename(impatient, seed, "执法稽查一科（改）")         # a writer commits meanwhile
        assert _name(reader, seed) == "执法稽查一科"          # the reader keeps its snapshot
    with SqlUnitOfWork(seed.container.engine, read_only=True) as reader:
        assert _name(reader, seed) == "执法稽查一科（改）"


@only_sqlite
def test_a_writing_unit_of_work_still_takes_the_lock_first(seed: Seed, impatient: Engine) -> None:
    """The control: an ordinary unit of work begins IMMEDIATE, so a second writer waits (here:
    gives up after 0.2 s) — writes stay serialised (the ledger's numbering relies on it)."""
    with SqlUnitOfWork(seed.container.engine) as writer:
        assert _name(writer, seed) == "执法稽查一科"
        with pytest.raises(OperationalError, match="locked"):
            _rename(impatient, seed, "不应写入")
    with SqlUnitOfWork(seed.container.engine, read_only=True) as reader:
        assert _name(reader, seed) == "执法稽查一科"


def test_a_read_only_unit_of_work_refuses_to_write(seed: Seed) -> None:
    with SqlUnitOfWork(seed.container.engine, read_only=True) as uow:
        assert uow.connection.execute(select(func.count()).select_from(t.units)).scalar_one() == 1
        with pytest.raises(ReadOnlyViolation):
            uow.connection.execute(update(t.units).values(name="x"))
        with pytest.raises(ReadOnlyViolation):
            uow.connection.execute(text("DELETE FROM sessions"))
    with SqlUnitOfWork(seed.container.engine) as uow:
        assert _name(uow, seed) == "执法稽查一科"


@only_sqlite
def test_sqlite_connections_read_through_a_memory_map(engine: Engine) -> None:
    """Every SQLite connection maps the file (decision 0044): ``mmap_size`` is set, capped by
    SQLite's compile-time maximum, never left at 0."""
    with engine.connect() as conn:
        size = conn.execute(text("PRAGMA mmap_size")).scalar_one()
    assert 0 < size <= MMAP_SIZE
