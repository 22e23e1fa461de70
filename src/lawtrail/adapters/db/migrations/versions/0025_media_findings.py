"""media_findings and media_revs: the stored findings of originals, kept valid by the database (decision 0051)

``media_revs.rev`` is raised by triggers on every insert into the tables whose rows the vault rules
read about an original besides its own (immutable) row: its registrations, its marks and its
hand-in link. All three are append-only (migrations 0004, 0005: UPDATE and DELETE are refused),
so inserts are the only change there is to follow. ``media_findings`` holds one row per original,
valid while its ``stamp`` and ``facts_rev`` are the original's (no ``media_revs`` row: 0). Both
are a cache of what the records say; nothing needs filling on upgrade.

Revision ID: 0025
Revises: 0024
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables whose inserted rows (``NEW.media_id``) change what the vault rules read about an original.
FEEDERS = ("media_registrations", "media_marks", "handin_media")


def install_triggers() -> None:
    """The triggers that raise ``media_revs.rev``."""
    if op.get_bind().dialect.name == "sqlite":
        for table in FEEDERS:
            op.execute(f"CREATE TRIGGER {table}_touch_media AFTER INSERT ON {table} BEGIN "
                       "INSERT OR IGNORE INTO media_revs (media_id, rev) VALUES (NEW.media_id, 0); "
                       "UPDATE media_revs SET rev = rev + 1 WHERE media_id = NEW.media_id; END")
        return
    op.execute(
        """CREATE FUNCTION touch_media() RETURNS trigger AS $$
        BEGIN
          INSERT INTO media_revs (media_id, rev) VALUES (NEW.media_id, 1)
            ON CONFLICT (media_id) DO UPDATE SET rev = media_revs.rev + 1;
          RETURN NULL;
        END;
        $$ LANGUAGE plpgsql"""
    )
    for table in FEEDERS:
        op.execute(f"CREATE TRIGGER {table}_touch_media AFTER INSERT ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION touch_media()")


def drop_triggers() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in FEEDERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_touch_media" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        op.execute("DROP FUNCTION IF EXISTS touch_media()")


def upgrade() -> None:
    op.create_table('media_findings',
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('stamp', sa.String(length=120), nullable=False),
    sa.Column('facts_rev', sa.BigInteger(), nullable=False),
    sa.Column('stored_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_media_findings_media_id_media')),
    sa.PrimaryKeyConstraint('media_id', name=op.f('pk_media_findings'))
    )
    op.create_table('media_revs',
    sa.Column('media_id', sa.Uuid(), nullable=False),
    sa.Column('rev', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_media_revs_media_id_media')),
    sa.PrimaryKeyConstraint('media_id', name=op.f('pk_media_revs'))
    )
    install_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table('media_revs')
    op.drop_table('media_findings')
