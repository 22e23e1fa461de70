"""Integration fixtures: every test that takes ``engine`` runs on SQLite and on PostgreSQL.

SQLite is a file in ``tmp_path``. PostgreSQL is a fresh, uniquely named database on the test
server (see ``tests/conftest.py``), dropped after the test; those params carry the
``postgres`` mark, so ``-m "not postgres"`` leaves them out.

``engine`` is a copy of a database migrated to head once per worker session (a file copy on
SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), not a migration per test; a test of the
migrations themselves takes ``empty_engine`` and runs them (decision 0043).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lawtrail.adapters.clock import FixedClock
from lawtrail.adapters.db.engine import make_engine, upgrade
from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from tests.integration.support import ENGINES, Seed, seed_bureau
from tests.unit.factories import T0


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head by ``upgrade()`` once in this worker's session, for tests
    to copy. Checkpointed and closed: the file alone holds the whole database."""
    path = tmp_path_factory.mktemp("migrated") / "lawtrail.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        raw = engine.raw_connection()  # autocommit (isolation_level None): outside any transaction
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    finally:
        engine.dispose()
    # The last connection's close checkpoints and deletes the WAL; one still there would mean a
    # connection left open, and a copy of the main file alone could miss committed pages.
    sidecars = [p.name for p in path.parent.iterdir() if p != path]
    assert not sidecars, f"the SQLite template was not closed cleanly: {sidecars}"
    return path


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of this test's own database of the parametrized kind: a copy of the worker's
    migrated template, or an empty database when the test takes ``empty_engine``."""
    empty = "empty_engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "lawtrail.db"
        if not empty:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        return f"sqlite:///{path}"
    create: Callable[..., str] = request.getfixturevalue("new_pg_database")
    return create() if empty else create(template=request.getfixturevalue("migrated_pg_template"))


@pytest.fixture
def empty_engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty, unmigrated database (for the tests of the migrations)."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(request: pytest.FixtureRequest, db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head (a copy of the template)."""
    if "empty_engine" in request.fixturenames:
        pytest.fail("take engine or empty_engine, not both: they would be one database (decision 0043)",
                    pytrace=False)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def container(engine: Engine, db_url: str, tmp_path: Path, clock: FixedClock) -> Container:
    """The composition root over ``engine``, with fast Argon2 and a clock the test can move."""
    settings = load_settings(data_dir=tmp_path / "data", demo=True, database_url=db_url)
    return build(settings, fast_hashing=True, clock=clock, engine_factory=lambda _url: engine)


@pytest.fixture
def seed(container: Container) -> Seed:
    """A bureau, one unit and its administrator, created through the services (3 events)."""
    return seed_bureau(container)
