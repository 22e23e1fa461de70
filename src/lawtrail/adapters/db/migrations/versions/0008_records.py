"""records: catalogue versions, record versions, signatures and refusals, attachments (all append-only)

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: Every table refuses UPDATE and DELETE (DESIGN.md rule 4, issue 5 item 7); on SQLite also INSERT
#: OR REPLACE over a taken key. A correction is a new version row. Helpers copied from 0004 and 0007:
#: migrations stay frozen (docs/decisions/0004).
APPEND_ONLY = {
    "record_catalogues": "version = NEW.version",
    "record_versions": "record_id = NEW.record_id AND version = NEW.version",
    "record_attachments": "id = NEW.id",
    "record_signatures": "id = NEW.id",
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
    op.create_table('record_attachments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('added_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_attachments'))
    )
    with op.batch_alter_table('record_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_attachments_record_id'), ['record_id'], unique=False)

    op.create_table('record_catalogues',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_record_catalogues_version_positive')),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_record_catalogues'))
    )
    op.create_table('record_versions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('kind_id', sa.String(length=48), nullable=False),
    sa.Column('kind_name', sa.String(length=60), nullable=False),
    sa.Column('catalogue_version', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('officers', sa.JSON(), nullable=False),
    sa.Column('rights_method', sa.String(length=20), nullable=True),
    sa.Column('av_media_ids', sa.JSON(), nullable=False),
    sa.Column('av_waiver', sa.String(length=1000), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('created_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_record_versions_version_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_record_versions_case_id_cases')),
    sa.ForeignKeyConstraint(['catalogue_version'], ['record_catalogues.version'],
                            name=op.f('fk_record_versions_catalogue_version_record_catalogues')),
    sa.PrimaryKeyConstraint('record_id', 'version', name=op.f('pk_record_versions')),
    sa.UniqueConstraint('id', name=op.f('uq_record_versions_id'))
    )
    with op.batch_alter_table('record_versions', schema=None) as batch_op:
        batch_op.create_index('ix_record_versions_case', ['case_id', 'created_at'], unique=False)

    op.create_table('record_signatures',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('record_version', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.String(length=16), nullable=False),
    sa.Column('signer_name', sa.String(length=100), nullable=False),
    sa.Column('signer_user_id', sa.Uuid(), nullable=True),
    sa.Column('refused', sa.Boolean(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=True),
    sa.Column('signed_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scan_id', sa.Uuid(), nullable=True),
    sa.Column('refusal_reason', sa.String(length=1000), nullable=False),
    sa.Column('witness_name', sa.String(length=100), nullable=False),
    sa.Column('witness_org', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['record_id', 'record_version'], ['record_versions.record_id', 'record_versions.version'],
                            name='fk_record_signatures_version_record_versions'),
    sa.ForeignKeyConstraint(['scan_id'], ['record_attachments.id'],
                            name=op.f('fk_record_signatures_scan_id_record_attachments')),
    sa.ForeignKeyConstraint(['signer_user_id'], ['users.id'], name=op.f('fk_record_signatures_signer_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_signatures'))
    )
    with op.batch_alter_table('record_signatures', schema=None) as batch_op:
        batch_op.create_index('ix_record_signatures_record', ['record_id', 'record_version'], unique=False)

    for table, clash in APPEND_ONLY.items():
        append_only(table, clash)


def downgrade() -> None:
    for table in reversed(list(APPEND_ONLY)):
        drop_append_only(table)
    with op.batch_alter_table('record_signatures', schema=None) as batch_op:
        batch_op.drop_index('ix_record_signatures_record')

    op.drop_table('record_signatures')
    with op.batch_alter_table('record_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_record_versions_case')

    op.drop_table('record_versions')
    op.drop_table('record_catalogues')
    with op.batch_alter_table('record_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_attachments_record_id'))

    op.drop_table('record_attachments')
