"""ledger: stored Merkle subtrees and signed checkpoints

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 21:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables
from lawtrail.domain.ledger.merkle import new_nodes_after_append

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("ledger_nodes", "checkpoints")
KEYS = {"ledger_nodes": ("level", "idx"), "checkpoints": ("size",)}


# The two helpers are copied from 0001 on purpose: a migration must not change when a later
# one does, so they never import each other.
def append_only(table: str) -> None:
    """Install triggers that refuse UPDATE and DELETE on ``table``, on both engines."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )
        return
    op.execute(
        f"""CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '{table} is append-only: % refused', TG_OP; END;
        $$ LANGUAGE plpgsql"""
    )
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
    )


def no_replace(table: str, key: tuple[str, ...]) -> None:
    """SQLite only: ``INSERT OR REPLACE`` deletes the old row without firing the DELETE
    trigger, so refuse any insert whose key is already taken (PostgreSQL's ``ON CONFLICT DO
    UPDATE`` fires the UPDATE trigger)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    match = " AND ".join(f"{c} = NEW.{c}" for c in key)
    # S608: the table and column names are this file's constants, never input.
    op.execute(
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {match}) "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"
    )


def drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


def _backfill(nodes_table: sa.Table) -> None:
    """Store the subtrees of the events already recorded (databases made before 0002)."""
    bind = op.get_bind()
    known: dict[tuple[int, int], bytes] = {}
    rows: list[dict[str, object]] = []
    result = bind.execute(sa.text("SELECT seq, leaf_hash FROM events ORDER BY seq"))
    for seq, leaf in result:
        leaf = bytes(leaf)
        known[(0, seq)] = leaf
        rows.append({"level": 0, "idx": seq, "hash": leaf})
        for level, index, value in new_nodes_after_append(seq, leaf, lambda lv, ix: known[(lv, ix)]):
            known[(level, index)] = value
            rows.append({"level": level, "idx": index, "hash": value})
    if rows:
        op.bulk_insert(nodes_table, rows)


def upgrade() -> None:
    nodes = op.create_table('ledger_nodes',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_ledger_nodes'))
    )
    op.create_table('checkpoints',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('timestamp_token', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_checkpoints'))
    )
    _backfill(nodes)
    for table in APPEND_ONLY:
        append_only(table)
        no_replace(table, KEYS[table])


def downgrade() -> None:
    for table in APPEND_ONLY:
        drop_append_only(table)
    op.drop_table('checkpoints')
    op.drop_table('ledger_nodes')
