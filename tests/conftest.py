"""Shared by every layer: the hypothesis profile (no deadlines) and, for the integration and
end-to-end layers, the PostgreSQL test server.

PostgreSQL listens on 127.0.0.1:5432 (user ``postgres``, trust auth, database ``test``);
``TEST_POSTGRES_URL`` points elsewhere. When it cannot be reached the PostgreSQL tests are
skipped with a one-line reason, except under ``CI=true``, where they fail: there the
PostgreSQL run is mandatory (DESIGN.md).

A test's database is empty, or a copy of a database migrated to head once per worker session
(``migrated_pg_template``): copying takes ~50 ms, migrating ~0.7 s (decision 0043).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from lawtrail.adapters.db.engine import upgrade

# Property tests are not timed tests: on a shared 2-core machine (and with pytest-xdist) a single
# example can take longer than hypothesis's default 200 ms deadline, which would be a flake.
hypothesis_settings.register_profile("lawtrail", deadline=None)
hypothesis_settings.load_profile("lawtrail")

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _unreachable(engine: Engine) -> str | None:
    """None if the server answers, else a one-line reason."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (DBAPIError, OSError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"PostgreSQL unreachable at {make_url(ADMIN_URL).render_as_string()}: {first_line}"
    return None


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the server's ``test`` database, for CREATE/DROP DATABASE."""
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool,
                           connect_args={"connect_timeout": 3})
    if reason := _unreachable(engine):
        engine.dispose()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires PostgreSQL. {reason}", pytrace=False)
        pytest.skip(reason)
    yield engine
    engine.dispose()


def pg_url(database: str) -> str:
    """The URL of ``database`` on the test server."""
    return make_url(ADMIN_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture
def new_pg_database(pg_admin: Engine) -> Iterator[Callable[..., str]]:
    """A factory of fresh, uniquely named databases: ``create()`` an empty one, or
    ``create(template=name)`` a copy of database ``name`` (which nobody may be connected to:
    PostgreSQL refuses to copy a database that has sessions). Each is dropped after the test."""
    created: list[str] = []

    def create(template: str | None = None) -> str:
        name = f"lawtrail_t_{secrets.token_hex(6)}"
        copy_of = f' TEMPLATE "{template}"' if template else ""
        with pg_admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
        created.append(name)
        return pg_url(name)

    yield create
    with pg_admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def migrated_pg_template(pg_admin: Engine) -> Iterator[str]:
    """The name of a database migrated to head by ``upgrade()`` once in this worker's session,
    for ``new_pg_database(template=...)``; dropped when the session ends.

    The name carries the xdist worker id and a random part: the lead and other checkouts run
    suites on the same server at the same time. The migration runs over a NullPool engine that
    is disposed before the first copy, so no connection to the template outlives it."""
    name = f"lawtrail_tmpl_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{secrets.token_hex(4)}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        engine = create_engine(pg_url(name), poolclass=NullPool)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield name
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
