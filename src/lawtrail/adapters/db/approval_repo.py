"""SQL repository of approvals (``services.ports.ApprovalRepo``): requests and their actions, both
append-only; a case's approvals, the bureau's open requests (the inboxes) and the facts of the
approval rules, each read with a fixed number of statements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Connection,
    Row,
    Select,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.case_findings_repo import in_fresh
from lawtrail.adapters.db.fastrows import Ids, dicts, enum_map
from lawtrail.domain.access import Actor, Role
from lawtrail.domain.approvals import (
    APPROVER_ROLES,
    ApprovalAction,
    ApprovalRequest,
    CaseRef,
    Decision,
    Step,
    Waiting,
    action_taken,
)
from lawtrail.domain.cases import Origin, Procedure, Stage
from lawtrail.domain.rules.approvals import DECIDED_STAGES, ApprovalFacts

R, A, C = t.approval_requests.c, t.approval_actions.c, t.cases.c
W, P = t.approval_waiting.c, t.approval_waiting_people.c
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
              case_id: UUID | None = None, skip_stored: str | None = None,
              fresh: Sequence[UUID] | None = None) -> Select[Any]:
    query = query.where(C.bureau_id == bureau_id)
    if case_id is not None:
        query = query.where(C.id == case_id)
    if skip_stored is not None:  # the cases not stored first, then their rows (``in_fresh``)
        query = query.where(in_fresh(C.id, bureau_id, unit_ids, case_id, skip_stored, fresh))
    return query.where(C.unit_id.in_(unit_ids)) if unit_ids is not None else query


def _role_terms(actor: Actor) -> list[Any]:
    """The ``approval_waiting`` rows the actor's roles may act on (a unit head: of their unit)."""
    terms: list[Any] = []
    for role in sorted(actor.roles & frozenset(APPROVER_ROLES.values())):
        if role is Role.UNIT_HEAD:
            if actor.unit_id is not None:
                terms.append(and_(W.role == role.value, W.unit_id == actor.unit_id))
        else:
            terms.append(W.role == role.value)
    return terms


def _waiting_ids(actor: Actor) -> tuple[Select[Any], Select[Any] | None, Select[Any] | None] | None:
    """Three selects of open requests for ``actor``: the ids waiting for them by name (a
    participant, the submitter of a returned request); the rows (id, emergency, submitted_at) of
    a role of theirs; and the ids of those rows that exclude them (they submitted or approved it).
    Waiting for the actor = by name + (by role − excluded); by name and by role never overlap
    (``Waiting``). The by-name and excluded selects start from the person's own rows (index on
    ``user_id``) and look their request up by key, whatever the planner's statistics. No role
    that approves: the last two are None."""
    if actor.user_id is None or actor.bureau_id is None:
        return None
    me, bureau = actor.user_id, actor.bureau_id
    of_bureau = exists().where(and_(W.request_id == P.request_id, W.bureau_id == bureau))
    named = select(P.request_id).where(and_(P.user_id == me, P.acts.is_(True), of_bureau))
    terms = _role_terms(actor)
    if not terms:
        return named, None, None
    roles = or_(*terms)
    of_role = exists().where(and_(W.request_id == P.request_id, W.bureau_id == bureau, roles))
    excluded = select(P.request_id).where(and_(P.user_id == me, P.excluded.is_(True), of_role))
    by_role = select(W.request_id, W.emergency, W.submitted_at).where(and_(W.bureau_id == bureau, roles))
    return named, by_role, excluded


def _count(query: Select[Any]) -> Any:
    return select(func.count()).select_from(query.subquery()).scalar_subquery()


class SqlApprovals:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_request(self, request: ApprovalRequest) -> None:
        values = vars(request) | {"step": request.step.value,
                                  "participants": [str(p) for p in request.participants]}
        self.conn.execute(insert(t.approval_requests).values(**values))

    def add_action(self, action: ApprovalAction) -> None:
        try:  # the transaction is useless afterwards; the service leaves it (rollback)
            self.conn.execute(insert(t.approval_actions).values(**(vars(action) | {"decision": action.decision.value})))
        except SqlIntegrityError:
            raise action_taken() from None

    def get(self, request_id: UUID) -> tuple[ApprovalRequest, list[ApprovalAction]] | None:
        row = self.conn.execute(select(t.approval_requests).where(R.id == request_id)).first()
        if row is None:
            return None
        actions = self.conn.execute(select(t.approval_actions).where(A.request_id == request_id).order_by(A.at, A.seq))
        return _request(row), [_action(a) for a in actions]

    def for_case(self, case_id: UUID) -> tuple[list[ApprovalRequest], list[ApprovalAction]]:
        requests = self.conn.execute(select(t.approval_requests).where(R.case_id == case_id)
                                     .order_by(R.submitted_at))
        actions = self.conn.execute(select(t.approval_actions).join(t.approval_requests, R.id == A.request_id)
                                    .where(R.case_id == case_id).order_by(A.at, A.seq))
        return [_request(r) for r in requests], [_action(a) for a in actions]

    def open_in(self, bureau_id: UUID) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, CaseRef]]:
        # Open: no action ended it (``final``). Two statements whatever the number of requests.
        ended = exists().where(and_(A.request_id == R.id, A.final.is_(True)))
        base = (select(t.approval_requests, *_CASE_COLUMNS).join(t.cases, C.id == R.case_id)
                .where(and_(C.bureau_id == bureau_id, ~ended)).order_by(R.submitted_at))
        rows = list(self.conn.execute(base))
        open_ids = select(R.id).join(t.cases, C.id == R.case_id).where(and_(C.bureau_id == bureau_id, ~ended))
        actions = self.conn.execute(select(t.approval_actions).where(A.request_id.in_(open_ids)).order_by(A.at, A.seq))
        return [_request(r) for r in rows], [_action(a) for a in actions], {r.case_id: _case_ref(r) for r in rows}

    def set_waiting(self, request: ApprovalRequest, bureau_id: UUID, unit_id: UUID,
                    waiting: Waiting | None) -> None:
        # Derived state (decision 0035), replaced in the transaction of the action that changed it.
        self.conn.execute(delete(t.approval_waiting_people).where(P.request_id == request.id))
        self.conn.execute(delete(t.approval_waiting).where(W.request_id == request.id))
        if waiting is None:
            return
        self.conn.execute(insert(t.approval_waiting).values(
            request_id=request.id, bureau_id=bureau_id, unit_id=unit_id, status=waiting.status.value,
            role=waiting.role.value if waiting.role else None, emergency=request.emergency,
            submitted_at=request.submitted_at))
        people = waiting.named | waiting.excluded | waiting.submitters
        if people:
            self.conn.execute(insert(t.approval_waiting_people), [
                {"request_id": request.id, "user_id": u, "acts": u in waiting.named, "excluded": u in waiting.excluded,
                 "submitter": u in waiting.submitters} for u in sorted(people)])

    def count_waiting(self, actor: Actor) -> int:
        ids = _waiting_ids(actor)
        if ids is None:
            return 0
        named, by_role, excluded = ids
        # One statement of three index-only counts; the role's rows are not probed one by one.
        total = _count(named) if by_role is None or excluded is None else (
            _count(named) + _count(by_role) - _count(excluded))
        return int(self.conn.execute(select(total)).scalar_one())

    def waiting_for(self, actor: Actor, *, offset: int = 0, limit: int | None = None
                    ) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, CaseRef]]:
        ids = _waiting_ids(actor)
        if ids is None:
            return [], [], {}
        named, by_role, excluded = ids
        # Emergency starts first (their 24 h deadline, in submission order), then oldest first: the
        # first offset + limit of each list in that order (the index serves the role's), merged here.
        end = None if limit is None else offset + limit
        order = (W.emergency.desc(), W.submitted_at, W.request_id)
        columns = (W.request_id, W.emergency, W.submitted_at)
        mine = select(*columns).where(W.request_id.in_(named)).order_by(*order).limit(end)
        rows = list(self.conn.execute(mine))
        if by_role is not None and excluded is not None:
            rows += self.conn.execute(by_role.where(W.request_id.not_in(excluded)).order_by(*order).limit(end))
        rows.sort(key=lambda r: (not r.emergency, r.submitted_at, r.request_id))
        return self._load([r.request_id for r in rows[offset:end]])

    def pending_submitted_by(self, bureau_id: UUID, user_id: UUID
                             ) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, CaseRef]]:
        mine = (select(W.request_id).join(t.approval_waiting_people, P.request_id == W.request_id)
                .where(and_(P.user_id == user_id, P.submitter.is_(True), W.bureau_id == bureau_id,
                            W.status == literal("pending"))).order_by(W.submitted_at, W.request_id))
        return self._load([r.request_id for r in self.conn.execute(mine)])

    def _load(self, ids: list[UUID]) -> tuple[list[ApprovalRequest], list[ApprovalAction], dict[UUID, CaseRef]]:
        """The requests ``ids`` (in that order), their actions and cases: two statements (none if empty)."""
        if not ids:
            return [], [], {}
        rows = {r.id: r for r in self.conn.execute(
            select(t.approval_requests, *_CASE_COLUMNS).join(t.cases, C.id == R.case_id).where(R.id.in_(ids)))}
        actions = self.conn.execute(select(t.approval_actions).where(A.request_id.in_(ids)).order_by(A.at, A.seq))
        ordered = [rows[i] for i in ids if i in rows]
        return [_request(r) for r in ordered], [_action(a) for a in actions], {r.case_id: _case_ref(r) for r in ordered}

    def facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, *,
              case_id: UUID | None = None, skip_stored: str | None = None,
              fresh: Sequence[UUID] | None = None) -> ApprovalFacts:
        """Four statements: the requests of the cases in scope, or of ``case_id`` only (with their case),
        their actions, each decided case's latest forward move into service (with its case), the
        people's names; without the cases whose findings are stored under ``skip_stored`` (``fresh``:
        the ids of the others, when the caller has read them)."""
        ids = Ids()
        rows = dicts(self.conn, _in_scope(select(t.approval_requests, *_CASE_COLUMNS).join(t.cases, C.id == R.case_id),
                                          bureau_id, unit_ids, case_id, skip_stored, fresh), ids)
        actions = dicts(self.conn, _in_scope(
            select(t.approval_actions).join(t.approval_requests, R.id == A.request_id)
            .join(t.cases, C.id == R.case_id), bureau_id, unit_ids, case_id, skip_stored, fresh), ids)
        s = t.case_stage_changes.c
        moves_of = select(s.case_id, func.max(s.at).label("decided_at")).where(
            and_(s.to_stage == Stage.SERVICE.value, s.correction.is_(False)))
        if case_id is not None:
            moves_of = moves_of.where(s.case_id == case_id)
        if skip_stored is not None:
            moves_of = moves_of.where(in_fresh(s.case_id, bureau_id, unit_ids, case_id, skip_stored, fresh))
        moves = moves_of.group_by(s.case_id).subquery()
        decided = dicts(self.conn, _in_scope(
            select(moves.c.decided_at, *_CASE_COLUMNS).join(t.cases, C.id == moves.c.case_id)
            .where(C.stage.in_([x.value for x in DECIDED_STAGES])), bureau_id, unit_ids, case_id, skip_stored, fresh),
            ids)
        names = self.conn.execute(select(t.users.c.id, t.users.c.display_name)
                                  .where(t.users.c.bureau_id == bureau_id))
        cases = {r["case_ref_id"]: _case_ref_from(r) for r in (*rows, *decided)}
        return ApprovalFacts(cases=cases, requests=[_request_from(r, ids) for r in rows],
                             actions=[_action_from(a) for a in actions],
                             decided_at={r["case_ref_id"]: r["decided_at"] for r in decided},
                             names={u.id: u.display_name for u in names})
