"""approval_actions.seq: each action's place in its request, unique per request

With time alone two actions of one request could share a timestamp (a coarse or fixed clock) and
come back in either order, and two people acting at once could both record "the next" opinion.
``seq`` is the number of actions the request had before this one; a unique index on
(request_id, seq) refuses the second of two concurrent actions.

Existing rows are numbered by time, ties by id (the order they had, if time told it at all).
The table is append-only (migration 0009): its triggers are lifted for the numbering only.

Revision ID: 0021
Revises: 0020
"""
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBER = ("UPDATE approval_actions SET seq = (SELECT COUNT(*) FROM approval_actions b "
          "WHERE b.request_id = approval_actions.request_id AND (b.at < approval_actions.at "
          "OR (b.at = approval_actions.at AND b.id < approval_actions.id)))")


def upgrade() -> None:
    m0009 = _sibling("0009_approvals.py")
    op.add_column("approval_actions", sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
    m0009.drop_append_only("approval_actions")
    op.execute(NUMBER)
    m0009.append_only("approval_actions", m0009.APPEND_ONLY["approval_actions"])
    op.create_index("ux_approval_actions_request_seq", "approval_actions", ["request_id", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_approval_actions_request_seq", table_name="approval_actions")
    if op.get_bind().dialect.name == "sqlite":  # no constraint names it: a plain DROP COLUMN (SQLite ≥ 3.35)
        op.execute("ALTER TABLE approval_actions DROP COLUMN seq")
    else:
        op.drop_column("approval_actions", "seq")


def _sibling(name: str) -> Any:
    """Another migration module of this folder (their file names start with a digit)."""
    spec = importlib.util.spec_from_file_location(f"_migration_{name[:4]}", Path(__file__).with_name(name))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
