"""on-site activities, their devices and officers, recording interruptions (all versioned, append-only)

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every table refuses UPDATE and DELETE (DESIGN.md rule 4); on SQLite also INSERT OR REPLACE
#: over a taken key. A correction is a new version row. Helpers copied from 0004: migrations stay frozen.
APPEND_ONLY = {
    "activities": "id = NEW.id AND version = NEW.version",
    "activity_devices": "activity_id = NEW.activity_id AND version = NEW.version AND device_id = NEW.device_id",
    "activity_officers": "activity_id = NEW.activity_id AND version = NEW.version AND user_id = NEW.user_id",
    "interruptions": "id = NEW.id AND version = NEW.version",
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
    op.create_table('activities',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('party', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('arrived_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('departed_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uninterrupted_required', sa.Boolean(), nullable=False),
    sa.Column('av_unsuitable_reason', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('departed_at > arrived_at', name=op.f('ck_activities_departed_after_arrived')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_activities_version_positive')),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_activities_bureau_id_bureaus')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_activities_unit_id_units')),
    sa.PrimaryKeyConstraint('id', 'version', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_bureau_arrived', ['bureau_id', 'arrived_at'], unique=False)
        batch_op.create_index('ix_activities_unit_arrived', ['unit_id', 'arrived_at'], unique=False)

    op.create_table('activity_officers',
    sa.Column('activity_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id', 'version'], ['activities.id', 'activities.version'],
                            name='fk_activity_officers_activity_version_activities'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_activity_officers_user_id_users')),
    sa.PrimaryKeyConstraint('activity_id', 'version', 'user_id', name=op.f('pk_activity_officers'))
    )
    op.create_table('activity_devices',
    sa.Column('activity_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id', 'version'], ['activities.id', 'activities.version'],
                            name='fk_activity_devices_activity_version_activities'),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_activity_devices_device_id_devices')),
    sa.PrimaryKeyConstraint('activity_id', 'version', 'device_id', name=op.f('pk_activity_devices'))
    )
    op.create_table('interruptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('activity_id', sa.Uuid(), nullable=False),
    sa.Column('activity_version', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('started_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('resumed', sa.Boolean(), nullable=False),
    sa.Column('reported_to', sa.Uuid(), nullable=True),
    sa.Column('reported_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ended_at IS NULL OR ended_at > started_at', name=op.f('ck_interruptions_ended_after_started')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_interruptions_version_positive')),
    sa.ForeignKeyConstraint(['activity_id', 'activity_version'], ['activities.id', 'activities.version'],
                            name='fk_interruptions_activity_version_activities'),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_interruptions_device_id_devices')),
    sa.ForeignKeyConstraint(['reported_to'], ['users.id'], name=op.f('fk_interruptions_reported_to_users')),
    sa.PrimaryKeyConstraint('id', 'version', name=op.f('pk_interruptions'))
    )
    with op.batch_alter_table('interruptions', schema=None) as batch_op:
        batch_op.create_index('ix_interruptions_activity', ['activity_id'], unique=False)

    for table, clash in APPEND_ONLY.items():
        append_only(table, clash)


def downgrade() -> None:
    for table in reversed(list(APPEND_ONLY)):
        drop_append_only(table)
    with op.batch_alter_table('interruptions', schema=None) as batch_op:
        batch_op.drop_index('ix_interruptions_activity')

    op.drop_table('interruptions')
    op.drop_table('activity_devices')
    op.drop_table('activity_officers')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_unit_arrived')
        batch_op.drop_index('ix_activities_bureau_arrived')

    op.drop_table('activities')
