"""activities: the case an on-site activity served (decision 0042)

A version of an activity may name the case it was part of (nullable: patrols and random
inspections that start no case stay unlinked), so that the case's checklist shows its on-site
activities and their Art. 32, 35 and 36 findings. Part of the version, like every other field:
a link made or changed later is a correction, with its reason.

Revision ID: 0020
Revises: 0019
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both engines: a batch rebuild of the table would drop its append-only
    # triggers (migration 0006). Alembic will not add a constraint on SQLite, which itself allows
    # REFERENCES on an added NULL column: written out there.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE activities ADD COLUMN case_id CHAR(32) "
                   "CONSTRAINT fk_activities_case_id_cases REFERENCES cases (id)")
    else:
        op.add_column("activities", sa.Column("case_id", sa.Uuid(), sa.ForeignKey(
            "cases.id", name="fk_activities_case_id_cases"), nullable=True))
    op.create_index("ix_activities_case", "activities", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_activities_case", table_name="activities")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("activities", "case_id")
        return
    # SQLite cannot drop a column that a foreign key names: the table is rebuilt, which drops
    # its triggers; put back the append-only ones of migration 0006.
    m0006 = _sibling("0006_activities.py")
    m0006.drop_append_only("activities")
    with op.batch_alter_table("activities", recreate="always") as batch:
        batch.drop_column("case_id")
    m0006.append_only("activities", m0006.APPEND_ONLY["activities"])


def _sibling(name: str) -> Any:
    """Another migration module of this folder (their file names start with a digit)."""
    spec = importlib.util.spec_from_file_location(f"_migration_{name[:4]}", Path(__file__).with_name(name))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
