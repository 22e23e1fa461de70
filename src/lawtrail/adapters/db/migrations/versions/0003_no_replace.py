"""sqlite: refuse INSERT OR REPLACE over recorded rows

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# REPLACE removes the clashing row without firing DELETE triggers (recursive_triggers is off),
# so on SQLite the append-only tables also refuse an insert whose key is already taken.
# PostgreSQL needs nothing: INSERT ... ON CONFLICT DO UPDATE fires the UPDATE trigger.
KEYS = {"events": "seq = NEW.seq OR id = NEW.id", "device_log": "id = NEW.id"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, clash in KEYS.items():
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in KEYS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
