"""SQL repository of approvals (``services.ports.ApprovalRepo``): requests and their actions, both
append-only; a case's approvals, the bureau's open requests (the inboxes) and the facts of the
approval rules, each read with a fixed number of statements."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, Select, and_, exists, func, insert, select

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.fastrows import Ids, dicts, enum_map
from lawtrail.domain.approvals import ApprovalAction, ApprovalRequest, CaseRef, Decision, Step
from lawtrail.domain.cases import Origin, Procedure, Stage
from lawtrail.domain.rules.approvals import DECIDED_STAGES, ApprovalFacts

R, A, C = t.approval_requests.c, t.approval_actions.c, t.cases.c
_CASE_COLUMNS = (C.id.label("case_ref_id"), C.unit_id, C.number, C.name, C.stage, C.procedure, C.origin,
                 C.closed_kind)


_STEPS, _DECISIONS = enum_map(Step), enum_map(Decision)
_STAGES, _PROCEDURES, _ORIGINS = enum_map(Stage), enum_map(Procedure), enum_map(Origin)
_REQUEST_FIELDS = ("id", "case_id", "submitted_by", "submitted_by_name", "submitted_at", "emergency",
                   "emergency_reason")


def _request_from(d: dict[str, Any], ids: Ids) -> ApprovalRequest:
    return ApprovalRequest(step=_STEPS[d["step"]], participants=tuple(ids(p) for p in d["participants"]),  # type: ignore[misc]
                           **{k: d[k] for k in _REQUEST_FIELDS})


def _action_from(d: dict[str, Any]) -> ApprovalAction:
    d["decision"] = _DECISIONS[d["decision"]]
    return ApprovalAction(**d)


def _case_ref_from(d: dict[str, Any]) -> CaseRef:
    return CaseRef(id=d["case_ref_id"], unit_id=d["unit_id"], number=d["number"], name=d["name"],
                   stage=_STAGES[d["stage"]], procedure=_PROCEDURES[d["procedure"]], origin=_ORIGINS[d["origin"]],
                   closed=d["closed_kind"] is not None)


def _request(row: Row[Any]) -> ApprovalRequest:
    return ApprovalRequest(id=row.id, case_id=row.case_id, step=Step(row.step), submitted_by=row.submitted_by,
                           submitted_by_name=row.submitted_by_name, submitted_at=row.submitted_at,
                           emergency=row.emergency, emergency_reason=row.emergency_reason,
                           participants=tuple(UUID(p) for p in row.participants))


def _action(row: Row[Any]) -> ApprovalAction:
    data = dict(row._mapping)
    data["decision"] = Decision(data["decision"])
    return ApprovalAction(**data)


def _case_ref(row: Row[Any]) -> CaseRef:
    return CaseRef(id=row.case_ref_id, unit_id=row.unit_id, number=row.number, name=row.name,
                   stage=Stage(row.stage), procedure=Procedure(row.procedure), origin=Origin(row.origin),
                   closed=row.closed_kind is not None)


def _in_scope(query: Select[Any], bureau_id: UUID, unit_ids: frozenset[UUID] | None,
              case_id: UUID | None = None) -> Select[Any]:
    query = query.where(C.bureau_id == bureau_id)
    if case_id is not None:
        query = query.where(C.id == case_id)
    return query.where(C.unit_id.in_(unit_ids)) if unit_ids is not None else query


class SqlApprovals:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_request(self, request: ApprovalRequest) -> None:
        values = vars(request) | {"step": request.step.value,
                                  "participants": [str(p) for p in request.participants]}
        self.conn.execute(insert(t.approval_requests).values(**values))

    def add_action(self, action: ApprovalAction) -> None:
        self.conn.execute(insert(t.approval_actions).values(**(vars(action) | {"decision": action.decision.value})))

    def get(self, request_id: UUID) -> tuple[ApprovalRequest, list[ApprovalAction]] | None:
        row = self.conn.execute(select(t.approval_requests).where(R.id == request_id)).first()
        if row is None:
            return None
        actions = self.conn.execute(select(t.approval_actions).where(A.request_id == request_id).order_by(A.at))
        return _request(row), [_action(a) for a in actions]

    def for_case(self, case_id: UUID) -> tuple[list[ApprovalRequest], list[ApprovalAction]]:
        requests = self.conn.execute(select(t.approval_requests).where(R.case_id == case_id)
                                     .order_by(R.submitted_at))
        actions = self.conn.execute(select(t.approval_actions).join(t.approval_requests, R.id == A.request_id)
                                    .where(R.case_id == case_id).order_by(A.at))
        return [_request(r) for r in requests], [_action(a) for a in actions]

    def open_in(self, bureau_id: UUID) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, CaseRef]]:
        # Open: no action ended it (``final``). Two statements whatever the number of requests.
        ended = exists().where(and_(A.request_id == R.id, A.final.is_(True)))
        base = (select(t.approval_requests, *_CASE_COLUMNS).join(t.cases, C.id == R.case_id)
                .where(and_(C.bureau_id == bureau_id, ~ended)).order_by(R.submitted_at))
        rows = list(self.conn.execute(base))
        open_ids = select(R.id).join(t.cases, C.id == R.case_id).where(and_(C.bureau_id == bureau_id, ~ended))
        actions = self.conn.execute(select(t.approval_actions).where(A.request_id.in_(open_ids)).order_by(A.at))
        return [_request(r) for r in rows], [_action(a) for a in actions], {r.case_id: _case_ref(r) for r in rows}

    def facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
              case_id: UUID | None = None) -> ApprovalFacts:
        """Four statements: the requests of the cases in scope, or of ``case_id`` only (with their case),
        their actions, each decided case's latest forward move into service (with its case), the
        people's names."""
        ids = Ids()
        rows = dicts(self.conn, _in_scope(select(t.approval_requests, *_CASE_COLUMNS).join(t.cases, C.id == R.case_id),
                                          bureau_id, unit_ids, case_id), ids)
        actions = dicts(self.conn, _in_scope(
            select(t.approval_actions).join(t.approval_requests, R.id == A.request_id)
            .join(t.cases, C.id == R.case_id), bureau_id, unit_ids, case_id), ids)
        s = t.case_stage_changes.c
        moves_of = select(s.case_id, func.max(s.at).label("decided_at")).where(
            and_(s.to_stage == Stage.SERVICE.value, s.correction.is_(False)))
        if case_id is not None:
            moves_of = moves_of.where(s.case_id == case_id)
        moves = moves_of.group_by(s.case_id).subquery()
        decided = dicts(self.conn, _in_scope(
            select(moves.c.decided_at, *_CASE_COLUMNS).join(t.cases, C.id == moves.c.case_id)
            .where(C.stage.in_([x.value for x in DECIDED_STAGES])), bureau_id, unit_ids, case_id), ids)
        names = self.conn.execute(select(t.users.c.id, t.users.c.display_name)
                                  .where(t.users.c.bureau_id == bureau_id))
        cases = {r["case_ref_id"]: _case_ref_from(r) for r in (*rows, *decided)}
        return ApprovalFacts(cases=cases, requests=[_request_from(r, ids) for r in rows],
                             actions=[_action_from(a) for a in actions],
                             decided_at={r["case_ref_id"]: r["decided_at"] for r in decided},
                             names={u.id: u.display_name for u in names})
