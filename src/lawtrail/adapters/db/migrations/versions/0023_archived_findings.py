"""archived_findings: the stored findings of archived cases (a derived cache, decision 0048)

One row per archived case: the stamp it was computed under (the rules' code, the catalogue in
force), the case's ``ended_at`` then, and its findings as one JSON array. Not append-only: it is
a cache of what the records already say, replaced when the stamp changes.

Revision ID: 0023
Revises: 0021 (the integrator rechains it after 0022)
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0023'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('archived_findings',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('stamp', sa.String(length=120), nullable=False),
    sa.Column('ended_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stored_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_archived_findings_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_archived_findings'))
    )


def downgrade() -> None:
    op.drop_table('archived_findings')
