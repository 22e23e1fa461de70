"""Shared by every layer: the hypothesis profile (no deadlines) and, for the integration and
end-to-end layers, the PostgreSQL test server.

PostgreSQL listens on 127.0.0.1:5432 (user ``postgres``, trust auth, database ``test``);
``TEST_POSTGRES_URL`` points elsewhere. When it cannot be reached the PostgreSQL tests are
skipped with a one-line reason, except under ``CI=true``, where they fail: there the
PostgreSQL run is mandatory (DESIGN.md).
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


@pytest.fixture
def new_pg_database(pg_admin: Engine) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty, uniquely named databases; each is dropped after the test."""
    created: list[str] = []

    def create() -> str:
        name = f"lawtrail_t_{secrets.token_hex(6)}"
        with pg_admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    yield create
    with pg_admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
