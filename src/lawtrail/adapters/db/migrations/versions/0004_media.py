"""evidence vault: media originals (write-once) and their versioned Art. 42 registrations

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Both tables refuse UPDATE and DELETE (DESIGN.md rule 4); on SQLite also INSERT OR REPLACE
#: over a taken key (see 0003). The helpers are copied from 0001/0003: migrations stay frozen.
APPEND_ONLY = {"media": "id = NEW.id OR sha256 = NEW.sha256",
               "media_registrations": "media_id = NEW.media_id AND version = NEW.version"}


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
    ts = lawtrail.adapters.db.tables.UTCDateTime
    op.create_table('media',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=16), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('probe_ok', sa.Boolean(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('officer_id', sa.Uuid(), nullable=True),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('captured_at', ts(timezone=True), nullable=True),
    sa.Column('captured_end', ts(timezone=True), nullable=True),
    sa.Column('handed_in_at', ts(timezone=True), nullable=False),
    sa.Column('stored_at', ts(timezone=True), nullable=False),
    sa.Column('clock_offset_s', sa.Float(), nullable=True),
    sa.Column('ingested_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', ts(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_media_bureau_id_bureaus')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_media_device_id_devices')),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_media_officer_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_media_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
    sa.UniqueConstraint('sha256', name=op.f('uq_media_sha256'))
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index('ix_media_device_captured', ['device_id', 'captured_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_media_unit_id'), ['unit_id'], unique=False)

    op.create_table('media_registrations',
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('unit_name', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('device_number', sa.String(length=40), nullable=False),
    sa.Column('officer_id', sa.Uuid(), nullable=True),
    sa.Column('officer_name', sa.String(length=100), nullable=False),
    sa.Column('used_from', ts(timezone=True), nullable=True),
    sa.Column('used_to', ts(timezone=True), nullable=True),
    sa.Column('party', sa.String(length=200), nullable=False),
    sa.Column('case_name', sa.String(length=200), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('at', ts(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_media_registrations_media_id_media')),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_media_registrations_officer_id_users')),
    sa.PrimaryKeyConstraint('media_id', 'version', name=op.f('pk_media_registrations'))
    )
    for table, clash in APPEND_ONLY.items():
        append_only(table, clash)


def downgrade() -> None:
    for table in reversed(list(APPEND_ONLY)):
        drop_append_only(table)
    op.drop_table('media_registrations')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_unit_id'))
        batch_op.drop_index('ix_media_device_captured')
    op.drop_table('media')
