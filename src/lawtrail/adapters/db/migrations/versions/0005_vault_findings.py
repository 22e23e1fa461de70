"""hand-ins (Art. 41) with their completions and linked originals, and versioned evidence /
retention marks (Art. 43, 44): all append-only

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every table refuses UPDATE and DELETE (DESIGN.md rule 4); on SQLite also INSERT OR REPLACE over
#: a taken key. The helpers are copied from 0004: migrations stay frozen.
APPEND_ONLY = {"handins": "id = NEW.id",
               "handin_completions": "handin_id = NEW.handin_id",
               "handin_media": "media_id = NEW.media_id",
               "media_marks": "media_id = NEW.media_id AND version = NEW.version"}


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
    op.create_table('handins',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('device_number', sa.String(length=40), nullable=False),
    sa.Column('officer_id', sa.Uuid(), nullable=True),
    sa.Column('handed_in_at', ts(timezone=True), nullable=False),
    sa.Column('exception', sa.String(length=32), nullable=True),
    sa.Column('returned_at', ts(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_by_name', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', ts(timezone=True), nullable=False),
    sa.CheckConstraint('(exception IS NULL) = (returned_at IS NULL)', name=op.f('ck_handins_exception_has_return')),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_handins_bureau_id_bureaus')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_handins_device_id_devices')),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_handins_officer_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_handins_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handins'))
    )
    with op.batch_alter_table('handins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handins_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handins_unit_id'), ['unit_id'], unique=False)

    op.create_table('handin_completions',
    sa.Column('handin_id', sa.Uuid(), nullable=False),
    sa.Column('completed_at', ts(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['handin_id'], ['handins.id'], name=op.f('fk_handin_completions_handin_id_handins')),
    sa.PrimaryKeyConstraint('handin_id', name=op.f('pk_handin_completions'))
    )
    op.create_table('handin_media',
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('handin_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['handin_id'], ['handin_completions.handin_id'],
                            name=op.f('fk_handin_media_handin_id_handin_completions')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_handin_media_media_id_media')),
    sa.PrimaryKeyConstraint('media_id', name=op.f('pk_handin_media'))
    )
    with op.batch_alter_table('handin_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handin_media_handin_id'), ['handin_id'], unique=False)

    op.create_table('media_marks',
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.Boolean(), nullable=False),
    sa.Column('collector', sa.String(length=100), nullable=False),
    sa.Column('collected_at', ts(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('situations', sa.JSON(), nullable=False),
    sa.Column('situation_note', sa.Text(), nullable=False),
    sa.Column('retention', sa.String(length=16), nullable=False),
    sa.Column('retain_until', ts(timezone=True), nullable=True),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('at', ts(timezone=True), nullable=False),
    sa.CheckConstraint("retention IN ('standard', 'long_term')", name=op.f('ck_media_marks_retention_class')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_media_marks_media_id_media')),
    sa.PrimaryKeyConstraint('media_id', 'version', name=op.f('pk_media_marks'))
    )
    for table, clash in APPEND_ONLY.items():
        append_only(table, clash)


def downgrade() -> None:
    for table in reversed(list(APPEND_ONLY)):
        drop_append_only(table)
    op.drop_table('media_marks')
    with op.batch_alter_table('handin_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handin_media_handin_id'))
    op.drop_table('handin_media')
    op.drop_table('handin_completions')
    with op.batch_alter_table('handins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handins_unit_id'))
        batch_op.drop_index(batch_op.f('ix_handins_device_id'))
    op.drop_table('handins')
