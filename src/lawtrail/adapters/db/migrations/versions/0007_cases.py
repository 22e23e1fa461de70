"""cases: current state, parties, handlers, append-only stage history and media links, numbers

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: The stage history and the media link log refuse UPDATE and DELETE (DESIGN.md rule 4); on
#: SQLite also INSERT OR REPLACE over a taken key. The helpers are copied from 0004: migrations
#: stay frozen (docs/decisions/0004).
APPEND_ONLY = {"case_stage_changes": "id = NEW.id", "case_media": "id = NEW.id"}


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
    op.create_table('case_numbers',
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_case_numbers_bureau_id_bureaus')),
    sa.PrimaryKeyConstraint('bureau_id', 'year', name=op.f('pk_case_numbers'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('action_type', sa.String(length=32), nullable=False),
    sa.Column('procedure', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('origin_detail', sa.String(length=500), nullable=False),
    sa.Column('complainant_real_name', sa.Boolean(), nullable=True),
    sa.Column('complainant_name', sa.String(length=100), nullable=False),
    sa.Column('complainant_contact', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('cause', sa.String(length=500), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('opened_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_kind', sa.String(length=16), nullable=True),
    sa.Column('closed_reason', sa.String(length=1000), nullable=False),
    sa.Column('secrecy', sa.String(length=16), server_default='ordinary', nullable=False),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_cases_bureau_id_bureaus')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_cases_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_bureau_opened', ['bureau_id', 'opened_at'], unique=False)
        batch_op.create_index('ix_cases_bureau_stage', ['bureau_id', 'stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('uq_cases_bureau_year_serial', ['bureau_id', 'year', 'serial'], unique=True)

    op.create_table('case_handlers',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('lead', sa.Boolean(), nullable=False),
    sa.Column('assigned_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_handlers_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_handlers_user_id_users')),
    sa.PrimaryKeyConstraint('case_id', 'user_id', name=op.f('pk_case_handlers'))
    )
    with op.batch_alter_table('case_handlers', schema=None) as batch_op:
        batch_op.create_index('ix_case_handlers_user_id', ['user_id'], unique=False)

    op.create_table('case_parties',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('legal_rep', sa.String(length=50), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('added_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('added_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_parties_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_parties'))
    )
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_parties_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_parties_name'), ['name'], unique=False)

    op.create_table('case_stage_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('from_stage', sa.String(length=16), nullable=True),
    sa.Column('to_stage', sa.String(length=16), nullable=False),
    sa.Column('at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('correction', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_stage_changes_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_stage_changes'))
    )
    with op.batch_alter_table('case_stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_case_stage_changes_case_at', ['case_id', 'at'], unique=False)

    op.create_table('case_media',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('linked', sa.Boolean(), nullable=False),
    sa.Column('at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_media_case_id_cases')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_case_media_media_id_media')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_media'))
    )
    with op.batch_alter_table('case_media', schema=None) as batch_op:
        batch_op.create_index('ix_case_media_case_at', ['case_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_media_media_id'), ['media_id'], unique=False)

    for table, clash in APPEND_ONLY.items():
        append_only(table, clash)


def downgrade() -> None:
    for table in reversed(list(APPEND_ONLY)):
        drop_append_only(table)
    with op.batch_alter_table('case_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_media_media_id'))
        batch_op.drop_index('ix_case_media_case_at')

    op.drop_table('case_media')
    with op.batch_alter_table('case_stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_stage_changes_case_at')

    op.drop_table('case_stage_changes')
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_parties_name'))
        batch_op.drop_index(batch_op.f('ix_case_parties_case_id'))

    op.drop_table('case_parties')
    with op.batch_alter_table('case_handlers', schema=None) as batch_op:
        batch_op.drop_index('ix_case_handlers_user_id')

    op.drop_table('case_handlers')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('uq_cases_bureau_year_serial')
        batch_op.drop_index(batch_op.f('ix_cases_unit_id'))
        batch_op.drop_index('ix_cases_bureau_stage')
        batch_op.drop_index('ix_cases_bureau_opened')

    op.drop_table('cases')
    op.drop_table('case_numbers')
