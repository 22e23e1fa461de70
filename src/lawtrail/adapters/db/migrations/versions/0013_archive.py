"""archive: retention overrides, legal holds and releases, disposals with items and decisions

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: Every table here refuses UPDATE and DELETE (DESIGN.md rule 4); on SQLite also INSERT OR
#: REPLACE over a taken key. The helpers are copied from 0007: migrations stay frozen.
APPEND_ONLY = {
    "retention_overrides": "media_id = NEW.media_id AND version = NEW.version",
    "legal_holds": "id = NEW.id",
    "legal_hold_releases": "hold_id = NEW.hold_id",
    "disposals": "id = NEW.id",
    "disposal_items": "disposal_id = NEW.disposal_id AND media_id = NEW.media_id",
    "disposal_decisions": "disposal_id = NEW.disposal_id AND kind = NEW.kind",
}


def append_only(table: str, clash: str) -> None:
    """Install triggers that refuse UPDATE and DELETE (and SQLite REPLACE) on ``table``."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {clash}) "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"
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


def drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
        return
    op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


def upgrade() -> None:
    op.create_table('disposals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('proposed_by_id', sa.Uuid(), nullable=True),
    sa.Column('proposed_by_name', sa.String(length=100), nullable=False),
    sa.Column('proposed_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_disposals_bureau_id_bureaus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disposals'))
    )
    with op.batch_alter_table('disposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposals_bureau_id'), ['bureau_id'], unique=False)

    op.create_table('legal_holds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('target', sa.String(length=8), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('target_name', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('placed_by_id', sa.Uuid(), nullable=True),
    sa.Column('placed_by_name', sa.String(length=100), nullable=False),
    sa.Column('placed_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("target IN ('media', 'case')", name=op.f('ck_legal_holds_target_kind')),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_legal_holds_bureau_id_bureaus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds'))
    )
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_holds_target_id'), ['target_id'], unique=False)

    op.create_table('disposal_decisions',
    sa.Column('disposal_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('ledger_index', sa.BigInteger(), nullable=True),
    sa.Column('certificate', sa.JSON(), nullable=True),
    sa.CheckConstraint("kind IN ('approve', 'reject', 'execute')", name=op.f('ck_disposal_decisions_decision_kind')),
    sa.ForeignKeyConstraint(['disposal_id'], ['disposals.id'],
                            name=op.f('fk_disposal_decisions_disposal_id_disposals')),
    sa.PrimaryKeyConstraint('disposal_id', 'kind', name=op.f('pk_disposal_decisions'))
    )
    op.create_table('legal_hold_releases',
    sa.Column('hold_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['legal_holds.id'], name=op.f('fk_legal_hold_releases_hold_id_legal_holds')),
    sa.PrimaryKeyConstraint('hold_id', name=op.f('pk_legal_hold_releases'))
    )
    op.create_table('disposal_items',
    sa.Column('disposal_id', sa.Uuid(), nullable=False),
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('retention', sa.String(length=16), nullable=False),
    sa.Column('retain_until', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['disposal_id'], ['disposals.id'], name=op.f('fk_disposal_items_disposal_id_disposals')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_disposal_items_media_id_media')),
    sa.PrimaryKeyConstraint('disposal_id', 'media_id', name=op.f('pk_disposal_items'))
    )
    with op.batch_alter_table('disposal_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposal_items_sha256'), ['sha256'], unique=False)

    op.create_table('retention_overrides',
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('retention', sa.String(length=16), nullable=False),
    sa.Column('retain_until', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_retention_overrides_version_positive')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_retention_overrides_media_id_media')),
    sa.PrimaryKeyConstraint('media_id', 'version', name=op.f('pk_retention_overrides'))
    )

    for table, clash in APPEND_ONLY.items():
        append_only(table, clash)


def downgrade() -> None:
    for table in reversed(list(APPEND_ONLY)):
        drop_append_only(table)
    op.drop_table('retention_overrides')
    with op.batch_alter_table('disposal_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposal_items_sha256'))

    op.drop_table('disposal_items')
    op.drop_table('legal_hold_releases')
    op.drop_table('disposal_decisions')
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_holds_target_id'))

    op.drop_table('legal_holds')
    with op.batch_alter_table('disposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposals_bureau_id'))

    op.drop_table('disposals')
