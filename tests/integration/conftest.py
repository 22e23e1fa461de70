"""Integration fixtures: every test that takes ``engine`` runs on SQLite and on PostgreSQL.

SQLite is a file in ``tmp_path``. PostgreSQL is a fresh, uniquely named database on the test
server (see ``tests/conftest.py``), dropped after the test; those params carry the
``postgres`` mark, so ``-m "not postgres"`` leaves them out.

``engine`` is a copy of a database migrated to head once per worker session (a file copy on
SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), not a migration per test; a test of the
migrations themselves takes ``empty_engine`` and runs them (decision 0043). A test that needs
the demo data takes ``demo_container``: its database and data folder are copies of ones the demo
was loaded into once per worker session and engine (decision 0049).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from lawtrail.adapters.clock import FixedClock
from lawtrail.adapters.db.engine import make_engine, upgrade
from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.services.demo import load_demo
from tests.conftest import pg_url
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


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite_template: Path) -> Path:
    """A folder holding ``lawtrail.db`` (a copy of the migrated template) and ``data/`` (the blob
    store), with the demo loaded once in this worker's session the way a test's ``container``
    would load it: fast Argon2id, the clock standing at ``T0``. Closed; nothing opens it again."""
    folder = tmp_path_factory.mktemp("demo-sqlite")
    shutil.copyfile(migrated_sqlite_template, folder / "lawtrail.db")
    _load_demo_into(f"sqlite:///{folder / 'lawtrail.db'}", folder / "data")
    sidecars = [p.name for p in folder.iterdir() if p.name not in ("lawtrail.db", "data")]
    assert not sidecars, f"the SQLite demo template was not closed cleanly: {sidecars}"
    return folder


@pytest.fixture(scope="session")
def demo_pg_template(pg_admin: Engine, migrated_pg_template: str,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(database name, data folder): a copy of the migrated PostgreSQL template with the demo
    loaded once in this worker's session, and the blob store it wrote; dropped at the end."""
    name = f"lawtrail_demo_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{secrets.token_hex(4)}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_pg_template}"'))
    try:
        data = tmp_path_factory.mktemp("demo-pg") / "data"
        _load_demo_into(pg_url(name), data)
        yield name, data
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _load_demo_into(url: str, data_dir: Path) -> None:
    """``load_demo`` as the ``container`` fixture's container would run it, every connection
    closed afterwards (PostgreSQL refuses to copy a database that has sessions)."""
    engine = make_engine(url)
    try:
        settings = load_settings(data_dir=data_dir, demo=True, database_url=url)
        container = build(settings, fast_hashing=True, clock=FixedClock(T0), engine_factory=lambda _url: engine)
        try:
            assert load_demo(container).loaded
        finally:
            container.close()
    finally:
        engine.dispose()  # every pooled connection closed: a SQLite WAL folded in, no PostgreSQL session


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of this test's own database of the parametrized kind: a copy of the worker's
    migrated template, an empty database when the test takes ``empty_engine``, or a copy of
    the demo template when it takes ``demo_container`` (whose blob store is then copied to the
    ``container``'s data folder, ``tmp_path / "data"``)."""
    empty = "empty_engine" in request.fixturenames
    demo = "demo_container" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "lawtrail.db"
        if demo:
            folder: Path = request.getfixturevalue("demo_sqlite_template")
            shutil.copyfile(folder / "lawtrail.db", path)
            shutil.copytree(folder / "data", tmp_path / "data")
        elif not empty:
            shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        return f"sqlite:///{path}"
    create: Callable[..., str] = request.getfixturevalue("new_pg_database")
    if demo:
        name, data = request.getfixturevalue("demo_pg_template")
        shutil.copytree(data, tmp_path / "data")
        return create(template=name)
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


@pytest.fixture
def demo_container(container: Container) -> Container:
    """``container`` over copies of the worker's demo-loaded database and data folder: what
    ``load_demo(container)`` would have made, at ~50 ms instead of 3–8 s a test (decision 0049).
    ``test_demo_db`` still loads the demo itself on both engines."""
    return container
