"""approval waiting: who each open approval request waits for, kept beside it (decision 0035)

The 待我审批 badge on every page folded every open request of the bureau to find those waiting
for the person (25 s per page for a leader with 5,040 waiting). The approval services now keep
``approval_waiting`` (one row per open request: its role, if any) and ``approval_waiting_people``
(who acts by name, who is excluded from the role, who submitted) in the transaction of each
submission, opinion and withdrawal; the badge is one COUNT. This migration fills both tables for
the requests open now, by replaying their actions. The replay is a frozen copy of
``domain.approvals.apply`` and ``CHAINS`` (migrations stay frozen, docs/decisions/0004).

Revision ID: 0018
Revises: 0017
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import op

import lawtrail.adapters.db.tables

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The levels after the submission, per step (frozen copy of ``domain.approvals.CHAINS``).
CHAINS: dict[str, tuple[str, ...]] = {"initiation": ("unit_head", "leader"), "legal_review": ("legal_reviewer",),
                                      "discussion": ("participant",), "decision": ("unit_head", "leader")}


def upgrade() -> None:
    op.create_table('approval_waiting',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('bureau_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('emergency', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', lawtrail.adapters.db.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bureau_id'], ['bureaus.id'], name=op.f('fk_approval_waiting_bureau_id_bureaus')),
    sa.ForeignKeyConstraint(['request_id'], ['approval_requests.id'],
                            name=op.f('fk_approval_waiting_request_id_approval_requests')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_approval_waiting_unit_id_units')),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_approval_waiting'))
    )
    with op.batch_alter_table('approval_waiting', schema=None) as batch_op:
        batch_op.create_index('ix_approval_waiting_bureau_role', ['bureau_id', 'role', 'emergency', 'submitted_at'],
                              unique=False)

    op.create_table('approval_waiting_people',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('acts', sa.Boolean(), nullable=False),
    sa.Column('excluded', sa.Boolean(), nullable=False),
    sa.Column('submitter', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['approval_waiting.request_id'],
                            name=op.f('fk_approval_waiting_people_request_id_approval_waiting')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_approval_waiting_people_user_id_users')),
    sa.PrimaryKeyConstraint('request_id', 'user_id', name=op.f('pk_approval_waiting_people'))
    )
    with op.batch_alter_table('approval_waiting_people', schema=None) as batch_op:
        batch_op.create_index('ix_approval_waiting_people_user', ['user_id'], unique=False)

    backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('approval_waiting_people', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_waiting_people_user')
    op.drop_table('approval_waiting_people')
    with op.batch_alter_table('approval_waiting', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_waiting_bureau_role')
    op.drop_table('approval_waiting')


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def backfill(conn: sa.Connection) -> None:
    """Fill both tables for every request no action ended (``final``), by replaying its actions."""
    U, B, T = sa.Uuid(), sa.Boolean(), lawtrail.adapters.db.tables.UTCDateTime(timezone=True)
    req = sa.table("approval_requests", sa.column("id", U), sa.column("case_id", U), sa.column("step", sa.String()),
                   sa.column("participants", sa.JSON()), sa.column("emergency", B), sa.column("submitted_at", T))
    act = sa.table("approval_actions", sa.column("request_id", U), sa.column("actor_id", U),
                   sa.column("decision", sa.String()), sa.column("at", T), sa.column("final", B))
    cases = sa.table("cases", sa.column("id", U), sa.column("bureau_id", U), sa.column("unit_id", U))
    waiting = sa.table("approval_waiting", sa.column("request_id", U), sa.column("bureau_id", U),
                       sa.column("unit_id", U), sa.column("status", sa.String()), sa.column("role", sa.String()),
                       sa.column("emergency", B), sa.column("submitted_at", T))
    people = sa.table("approval_waiting_people", sa.column("request_id", U), sa.column("user_id", U),
                      sa.column("acts", B), sa.column("excluded", B), sa.column("submitter", B))
    ended = sa.exists().where(sa.and_(act.c.request_id == req.c.id, act.c.final.is_(True)))
    rows = conn.execute(sa.select(req.c.id, req.c.step, req.c.participants, req.c.emergency, req.c.submitted_at,
                                  cases.c.bureau_id, cases.c.unit_id)
                        .join(cases, cases.c.id == req.c.case_id).where(~ended)).all()
    if not rows:
        return
    by_request: dict[UUID, list[Any]] = {}
    open_ids = sa.select(req.c.id).where(~ended)
    for a in conn.execute(sa.select(act.c.request_id, act.c.actor_id, act.c.decision, act.c.at)
                          .where(act.c.request_id.in_(open_ids)).order_by(act.c.at)):
        by_request.setdefault(_uuid(a.request_id), []).append(a)
    waiting_rows, people_rows = [], []
    for r in rows:
        request_id = _uuid(r.id)
        participants = r.participants if isinstance(r.participants, list) else json.loads(r.participants)
        status, level = None, 0
        signed: set[UUID] = set()
        approvers: set[UUID] = set()
        submitters: set[UUID] = set()
        for a in sorted(by_request.get(request_id, []), key=lambda x: x.at):
            actor = _uuid(a.actor_id)
            if a.decision == "submit":
                status, level, signed, approvers = "pending", 1, set(), set()
                submitters.add(actor)
            elif a.decision == "approve":
                signed.add(actor)
                approvers.add(actor)
                if r.step != "discussion":
                    level += 1
            elif a.decision == "return":
                status, level = "returned", 0
        if status is None:
            continue
        named: set[UUID] = set()
        excluded: set[UUID] = set()
        role = None
        if status == "returned":
            named = set(submitters)
        elif CHAINS[r.step][level - 1] == "participant":
            named = {UUID(p) for p in participants} - signed - submitters
        else:
            role = CHAINS[r.step][level - 1]
            excluded = submitters | approvers
        waiting_rows.append({"request_id": request_id, "bureau_id": _uuid(r.bureau_id), "unit_id": _uuid(r.unit_id),
                             "status": status, "role": role, "emergency": bool(r.emergency),
                             "submitted_at": r.submitted_at})
        people_rows += [{"request_id": request_id, "user_id": u, "acts": u in named, "excluded": u in excluded,
                         "submitter": u in submitters} for u in named | excluded | submitters]
    if waiting_rows:
        conn.execute(sa.insert(waiting), waiting_rows)
    if people_rows:
        conn.execute(sa.insert(people), people_rows)
