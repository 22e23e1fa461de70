"""Alembic environment: runs on the engine handed over by ``lawtrail.adapters.db.engine``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from lawtrail.adapters.db.tables import metadata

config = context.config


def run() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.in_transaction():
            connection.commit()


run()
