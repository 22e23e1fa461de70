"""derived objects of originals: previews and thumbnails, write-once, one per original and kind

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: A derived object's row, like its bytes, is never changed or removed (DESIGN.md rule 4). The
#: helpers are copied from 0007: migrations stay frozen (docs/decisions/0004).
TABLE = "media_derived"
CLASH = "id = NEW.id OR (media_id = NEW.media_id AND kind = NEW.kind)"


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
    op.create_table('media_derived',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('tool', sa.String(length=500), nullable=False),
    sa.Column('created_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_media_derived_media_id_media')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_derived')),
    sa.UniqueConstraint('media_id', 'kind', name=op.f('uq_media_derived_media_id_kind'))
    )
    with op.batch_alter_table('media_derived', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_derived_sha256'), ['sha256'], unique=False)
    append_only(TABLE, CLASH)


def downgrade() -> None:
    drop_append_only(TABLE)
    with op.batch_alter_table('media_derived', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_derived_sha256'))
    op.drop_table('media_derived')
