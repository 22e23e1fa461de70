"""case_findings and cases.facts_rev: the stored findings of every case, kept valid by the database (decision 0050)

``cases.facts_rev`` is raised by triggers whenever the case's row or a row the compliance rules read
about the case is inserted, updated or deleted: its stage history, handlers, record versions,
signatures and attachments, approval requests and actions. ``case_findings`` replaces
``archived_findings`` (decision 0048, archived cases only): one row per case, valid while its
``stamp`` and ``facts_rev`` are the case's. Both tables are a cache; dropping the old one loses
nothing (the next evaluation computes and stores again).

Revision ID: 0024
Revises: 0023
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Each table whose rows the rules read about a case → how a row ({row}: NEW or OLD) names its case.
FEEDERS: dict[str, str] = {
    "case_stage_changes": "= {row}.case_id",
    "case_handlers": "= {row}.case_id",
    "record_versions": "= {row}.case_id",
    "approval_requests": "= {row}.case_id",
    "record_signatures": "IN (SELECT case_id FROM record_versions WHERE record_id = {row}.record_id)",
    "record_attachments": "IN (SELECT case_id FROM record_versions WHERE record_id = {row}.record_id)",
    "approval_actions": "IN (SELECT case_id FROM approval_requests WHERE id = {row}.request_id)",
}
_VERBS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}


def _bump(table: str, row: str) -> str:
    return f"UPDATE cases SET facts_rev = facts_rev + 1 WHERE id {FEEDERS[table].format(row=row)};"


def install_triggers() -> None:
    """The triggers that raise ``cases.facts_rev`` (also used by tests that build the schema)."""
    if op.get_bind().dialect.name == "sqlite":
        for table in FEEDERS:
            for verb, rows in _VERBS.items():
                body = " ".join(_bump(table, row) for row in rows)
                op.execute(f"CREATE TRIGGER {table}_touch_case_{verb.lower()} AFTER {verb} ON {table} "
                           f"BEGIN {body} END")
        # Any other change of the case's own row raises it too (SQLite's recursive triggers are off:
        # the inner UPDATE does not fire this again, and the WHEN leaves the feeders' UPDATE alone).
        op.execute("CREATE TRIGGER cases_touch_case AFTER UPDATE ON cases WHEN NEW.facts_rev = OLD.facts_rev "
                   "BEGIN UPDATE cases SET facts_rev = OLD.facts_rev + 1 WHERE id = NEW.id; END")
        return
    for table in FEEDERS:
        op.execute(
            f"""CREATE FUNCTION {table}_touch_case() RETURNS trigger AS $$
            BEGIN
              IF TG_OP <> 'INSERT' THEN {_bump(table, 'OLD')} END IF;
              IF TG_OP <> 'DELETE' THEN {_bump(table, 'NEW')} END IF;
              RETURN NULL;
            END;
            $$ LANGUAGE plpgsql"""
        )
        op.execute(f"CREATE TRIGGER {table}_touch_case AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_touch_case()")
    op.execute(
        """CREATE FUNCTION cases_touch_case() RETURNS trigger AS $$
        BEGIN
          IF NEW.facts_rev = OLD.facts_rev THEN NEW.facts_rev := OLD.facts_rev + 1; END IF;
          RETURN NEW;
        END;
        $$ LANGUAGE plpgsql"""
    )
    op.execute("CREATE TRIGGER cases_touch_case BEFORE UPDATE ON cases FOR EACH ROW "
               "EXECUTE FUNCTION cases_touch_case()")


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in FEEDERS:
            for verb in _VERBS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_touch_case_{verb.lower()}")
        op.execute("DROP TRIGGER IF EXISTS cases_touch_case")
        return
    for table in (*FEEDERS, "cases"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_touch_case ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_touch_case()")


def upgrade() -> None:
    op.add_column('cases', sa.Column('facts_rev', sa.BigInteger(), server_default='0', nullable=False))
    op.drop_table('archived_findings')
    op.create_table('case_findings',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('stamp', sa.String(length=120), nullable=False),
    sa.Column('facts_rev', sa.BigInteger(), nullable=False),
    sa.Column('stored_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_findings_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_findings'))
    )
    install_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table('case_findings')
    op.create_table('archived_findings',
    sa.Column('case_id', sa.Uuid(), nullable=False),
    sa.Column('stamp', sa.String(length=120), nullable=False),
    sa.Column('ended_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stored_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_archived_findings_case_id_cases')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_archived_findings'))
    )
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('facts_rev')
