"""case list indexes: unfiltered, and for a person who sees some units only (decision 0035)

The case list sorts by opening time, then serial. Unfiltered, the index on (bureau, opened_at)
left the serial to a sort of every case before a deep page (0.8 s at page 2,450 of 50,000 on
SQLite); filtered to the units a person may see (an officer, a unit head), the stage index
fetched every case of the stage to test its unit, for the count and for each page (0.25–0.46 s
at 50,000). With these the count and the page walk one index range (13–29 ms, same run). Each
ends with the id (0017's index is replaced by one that does): the list reads a page's ids from
the index alone, then its rows, so a deep page skips index entries, not table rows (PostgreSQL
fetched every skipped row from the table).

Revision ID: 0019
Revises: 0018
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_cases_bureau_stage_opened_id": ["bureau_id", "stage", "opened_at", "serial", "id"],
    "ix_cases_bureau_opened_serial": ["bureau_id", "opened_at", "serial", "id"],
    "ix_cases_bureau_unit_stage_opened": ["bureau_id", "unit_id", "stage", "opened_at", "serial", "id"],
    "ix_cases_bureau_unit_opened": ["bureau_id", "unit_id", "opened_at", "serial", "id"],
}


def upgrade() -> None:
    op.drop_index("ix_cases_bureau_stage_opened", table_name="cases")  # 0017's, now ending with the id
    for name, columns in INDEXES.items():
        op.create_index(name, "cases", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="cases")
    op.create_index("ix_cases_bureau_stage_opened", "cases", ["bureau_id", "stage", "opened_at", "serial"])
