"""Integration fixtures: every test that takes ``engine`` runs on SQLite and on PostgreSQL.

SQLite is a file in ``tmp_path``. PostgreSQL is a fresh, uniquely named database on the test
server (see ``tests/conftest.py``), dropped after the test; those params carry the
``postgres`` mark, so ``-m "not postgres"`` leaves them out.
"""

from __future__ import annotations

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


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database of the parametrized kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lawtrail.db'}"
    create: Callable[[], str] = request.getfixturevalue("new_pg_database")
    return create()


@pytest.fixture
def empty_engine(db_url: str) -> Iterator[Engine]:
    """An engine on an empty, unmigrated database."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """An engine on a database migrated to head."""
    upgrade(empty_engine)
    return empty_engine


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
