"""access (Art. 45–47): requests, decisions, outside requests, clearances, media levels

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: Every table here is a record: UPDATE and DELETE are refused (DESIGN.md rule 4); on SQLite also
#: INSERT OR REPLACE over a taken key. The helpers are copied from 0007: migrations stay frozen.
APPEND_ONLY = {
    "access_requests": "id = NEW.id",
    "access_request_media": "request_id = NEW.request_id AND media_id = NEW.media_id",
    "access_decisions": "id = NEW.id OR (request_id = NEW.request_id AND status = NEW.status)",
    "outside_requests": "id = NEW.id",
    "outside_decisions": "request_id = NEW.request_id",
    "user_clearances": "user_id = NEW.user_id AND version = NEW.version",
    "media_levels": "media_id = NEW.media_id AND version = NEW.version",
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
    op.create_table('access_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('requester_id', sa.Uuid(), nullable=False),
    sa.Column('requester_name', sa.String(length=100), nullable=False),
    sa.Column('requester_unit_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('starts_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_access_requests_period_positive')),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_access_requests_bureau_id_bureaus')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_access_requests_case_id_cases')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_access_requests_requester_id_users')),
    sa.ForeignKeyConstraint(['requester_unit_id'], ['units.id'],
                            name=op.f('fk_access_requests_requester_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_requests'))
    )
    with op.batch_alter_table('access_requests', schema=None) as batch_op:
        batch_op.create_index('ix_access_requests_bureau_created', ['bureau_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_requests_requester_id'), ['requester_id'], unique=False)

    op.create_table('outside_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('requester_name', sa.String(length=100), nullable=False),
    sa.Column('requester_org', sa.String(length=200), nullable=False),
    sa.Column('legal_basis', sa.String(length=500), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('wants_copy', sa.Boolean(), nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=True),
    sa.Column('asked', sa.String(length=1000), nullable=False),
    sa.Column('received_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_outside_requests_bureau_id_bureaus')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outside_requests_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_requests'))
    )
    with op.batch_alter_table('outside_requests', schema=None) as batch_op:
        batch_op.create_index('ix_outside_requests_bureau_received', ['bureau_id', 'received_at'], unique=False)

    op.create_table('user_clearances',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_user_clearances_version_positive')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_clearances_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'version', name=op.f('pk_user_clearances'))
    )
    op.create_table('access_decisions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['access_requests.id'],
                            name=op.f('fk_access_decisions_request_id_access_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_decisions'))
    )
    with op.batch_alter_table('access_decisions', schema=None) as batch_op:
        batch_op.create_index('uq_access_decisions_request_status', ['request_id', 'status'], unique=True)

    op.create_table('outside_decisions',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('approver_id', sa.Uuid(), nullable=True),
    sa.Column('approver_name', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('provided', sa.JSON(), nullable=False),
    sa.Column('at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['outside_requests.id'],
                            name=op.f('fk_outside_decisions_request_id_outside_requests')),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_outside_decisions'))
    )
    op.create_table('access_request_media',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_access_request_media_media_id_media')),
    sa.ForeignKeyConstraint(['request_id'], ['access_requests.id'],
                            name=op.f('fk_access_request_media_request_id_access_requests')),
    sa.PrimaryKeyConstraint('request_id', 'media_id', name=op.f('pk_access_request_media'))
    )
    with op.batch_alter_table('access_request_media', schema=None) as batch_op:
        batch_op.create_index('ix_access_request_media_media_id', ['media_id'], unique=False)

    op.create_table('media_levels',
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_media_levels_version_positive')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_media_levels_media_id_media')),
    sa.PrimaryKeyConstraint('media_id', 'version', name=op.f('pk_media_levels'))
    )
    for table, clash in APPEND_ONLY.items():
        append_only(table, clash)


def downgrade() -> None:
    for table in reversed(list(APPEND_ONLY)):
        drop_append_only(table)
    op.drop_table('media_levels')
    with op.batch_alter_table('access_request_media', schema=None) as batch_op:
        batch_op.drop_index('ix_access_request_media_media_id')

    op.drop_table('access_request_media')
    op.drop_table('outside_decisions')
    with op.batch_alter_table('access_decisions', schema=None) as batch_op:
        batch_op.drop_index('uq_access_decisions_request_status')

    op.drop_table('access_decisions')
    op.drop_table('user_clearances')
    with op.batch_alter_table('outside_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_outside_requests_bureau_received')

    op.drop_table('outside_requests')
    with op.batch_alter_table('access_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_requests_requester_id'))
        batch_op.drop_index('ix_access_requests_bureau_created')

    op.drop_table('access_requests')
