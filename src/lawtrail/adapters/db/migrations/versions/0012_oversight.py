"""oversight: daily dashboard snapshots; events indexed by action and time (accountability report)

Revision ID: 0012
Revises: 0011
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('oversight_snapshots',
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('metric', sa.String(length=120), nullable=False),
    sa.Column('numerator', sa.Integer(), nullable=False),
    sa.Column('denominator', sa.Integer(), nullable=False),
    sa.Column('taken_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('numerator >= 0 AND denominator >= 0',
                       name=op.f('ck_oversight_snapshots_counts_not_negative')),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_oversight_snapshots_bureau_id_bureaus')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_oversight_snapshots_unit_id_units')),
    sa.PrimaryKeyConstraint('bureau_id', 'day', 'unit_id', 'metric', name=op.f('pk_oversight_snapshots'))
    )
    # A plain CREATE INDEX: a batch operation could copy the append-only events table on SQLite.
    op.create_index('ix_events_action_time', 'events', ['action', 'occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_events_action_time', table_name='events')
    op.drop_table('oversight_snapshots')
