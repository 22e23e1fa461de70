"""SQL repository of access to records (Art. 45–47): requests and decisions, requests from
outside, clearances, media levels, and the 查阅登记 register read from the events table."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, Select, and_, func, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import tables as t
from lawtrail.domain.grants import AccessRequest, CaseRef, Decision, Grant, Status
from lawtrail.domain.outside import Outcome, OutsideDecision, OutsideRequest, Provided, Requester
from lawtrail.domain.register import READ_ACTIONS, REFUSED_ACTIONS, RegisterFilter, RegisterRow
from lawtrail.domain.secrecy import Clearance, Level, MediaLevel
from lawtrail.errors import Conflict

_CHUNK = 500


def _m(row: Row[Any]) -> dict[str, Any]:
    return dict(row._mapping)


class SqlAccess:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- requests and decisions ------------------------------------------------------------------

    def add_request(self, request: AccessRequest) -> None:
        values = {k: v for k, v in vars(request).items() if k != "media_ids"}
        self.conn.execute(insert(t.access_requests).values(**values))
        if request.media_ids:
            self.conn.execute(insert(t.access_request_media),
                              [{"request_id": request.id, "media_id": m} for m in request.media_ids])

    def add_decision(self, decision: Decision) -> None:
        values = vars(decision) | {"status": decision.status.value}
        try:  # the transaction is useless afterwards; the service leaves it (rollback)
            self.conn.execute(insert(t.access_decisions).values(**values))
        except SqlIntegrityError:
            raise Conflict("该申请已被他人处理，请刷新后重试", "the request was decided meanwhile; reload",
                           code="access.decided") from None

    def _grants(self, query: Select[Any]) -> list[Grant]:
        rows = list(self.conn.execute(query))
        ids = [r.id for r in rows]
        media: dict[UUID, list[UUID]] = defaultdict(list)
        decisions: dict[UUID, list[Decision]] = defaultdict(list)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            for link in self.conn.execute(select(t.access_request_media).where(
                    t.access_request_media.c.request_id.in_(chunk)).order_by(t.access_request_media.c.media_id)):
                media[link.request_id].append(link.media_id)
            for d in self.conn.execute(select(t.access_decisions).where(
                    t.access_decisions.c.request_id.in_(chunk)).order_by(t.access_decisions.c.at)):
                decisions[d.request_id].append(Decision(**(_m(d) | {"status": Status(d.status)})))
        return [Grant(AccessRequest(**_m(r), media_ids=tuple(media[r.id])), tuple(decisions[r.id])) for r in rows]

    def grant(self, request_id: UUID) -> Grant | None:
        found = self._grants(select(t.access_requests).where(t.access_requests.c.id == request_id))
        return found[0] if found else None

    def grants_for(self, user_id: UUID) -> list[Grant]:
        return self._grants(select(t.access_requests).where(t.access_requests.c.requester_id == user_id)
                            .order_by(t.access_requests.c.created_at.desc()))

    def list_grants(self, bureau_id: UUID, *, requester_id: UUID | None = None, limit: int = 500) -> list[Grant]:
        query = select(t.access_requests).where(t.access_requests.c.bureau_id == bureau_id)
        if requester_id is not None:
            query = query.where(t.access_requests.c.requester_id == requester_id)
        return self._grants(query.order_by(t.access_requests.c.created_at.desc()).limit(limit))

    def case_refs(self, media_id: UUID) -> list[CaseRef]:
        cm = t.case_media
        latest = (select(cm.c.case_id, func.max(cm.c.at).label("at")).where(cm.c.media_id == media_id)
                  .group_by(cm.c.case_id).subquery())
        linked = select(cm.c.case_id).join(latest, and_(cm.c.case_id == latest.c.case_id, cm.c.at == latest.c.at)
                                           ).where(and_(cm.c.media_id == media_id, cm.c.linked.is_(True)))
        cases = list(self.conn.execute(select(t.cases.c.id, t.cases.c.number, t.cases.c.ended_at, t.cases.c.secrecy)
                                       .where(t.cases.c.id.in_(linked)).order_by(t.cases.c.number)))
        handlers: dict[UUID, set[UUID]] = defaultdict(set)
        if cases:
            for h in self.conn.execute(select(t.case_handlers.c.case_id, t.case_handlers.c.user_id).where(
                    t.case_handlers.c.case_id.in_([c.id for c in cases]))):
                handlers[h.case_id].add(h.user_id)
        return [CaseRef(c.id, c.number, c.ended_at is None, _level(c.secrecy), frozenset(handlers[c.id]))
                for c in cases]

    # --- clearances and levels -------------------------------------------------------------------

    def clearance(self, user_id: UUID) -> Clearance | None:
        uc = t.user_clearances
        row = self.conn.execute(select(uc).where(uc.c.user_id == user_id).order_by(uc.c.version.desc())).first()
        if row is None:
            return None
        return Clearance(**(_m(row) | {"levels": frozenset(Level(v) for v in row.levels)}))

    def add_clearance(self, clearance: Clearance) -> None:
        values = vars(clearance) | {"levels": sorted(v.value for v in clearance.levels)}
        try:
            self.conn.execute(insert(t.user_clearances).values(**values))
        except SqlIntegrityError:
            raise Conflict("知悉范围已被他人修改，请刷新后重试", "the clearance was changed meanwhile; reload",
                           code="secrecy.stale") from None

    def media_level(self, media_id: UUID) -> MediaLevel | None:
        ml = t.media_levels
        row = self.conn.execute(select(ml).where(ml.c.media_id == media_id).order_by(ml.c.version.desc())).first()
        return MediaLevel(**(_m(row) | {"level": Level(row.level)})) if row else None

    def add_media_level(self, level: MediaLevel) -> None:
        try:
            self.conn.execute(insert(t.media_levels).values(**(vars(level) | {"level": level.level.value})))
        except SqlIntegrityError:
            raise Conflict("密级已被他人修改，请刷新后重试", "the level was changed meanwhile; reload",
                           code="secrecy.stale") from None

    # --- the register ----------------------------------------------------------------------------

    def register(self, query: RegisterFilter) -> tuple[list[RegisterRow], int]:
        e, u = t.events, t.users
        actions = {"read": READ_ACTIONS, "refused": REFUSED_ACTIONS}.get(query.outcome or "",
                                                                          READ_ACTIONS + REFUSED_ACTIONS)
        # The bureau's register: what the bureau's people read or were refused (by the reader's bureau).
        conds: list[Any] = [e.c.action.in_(actions), e.c.subject_type == "media",
                            e.c.actor_id.in_(select(u.c.id).where(u.c.bureau_id == query.bureau_id))]
        if query.case_id is not None:  # a case has few originals: their ids, compared as the event's text
            linked = self.conn.execute(select(t.case_media.c.media_id).where(t.case_media.c.case_id == query.case_id)
                                       .distinct())
            conds.append(e.c.subject_id.in_([str(r.media_id) for r in linked] or [""]))
        if query.actor_id is not None:
            conds.append(e.c.actor_id == query.actor_id)
        if query.unit_id is not None:
            conds.append(e.c.actor_id.in_(select(u.c.id).where(u.c.unit_id == query.unit_id)))
        if query.start is not None:
            conds.append(e.c.occurred_at >= query.start)
        if query.end is not None:
            conds.append(e.c.occurred_at < query.end)
        where = and_(*conds)
        total = int(self.conn.execute(select(func.count()).select_from(e).where(where)).scalar_one())
        page = (select(e.c.seq, e.c.occurred_at, e.c.actor_id, e.c.actor_name, e.c.action, e.c.subject_id,
                       e.c.subject_name, e.c.after, t.units.c.name.label("unit_name"))
                .select_from(e.outerjoin(u, u.c.id == e.c.actor_id).outerjoin(t.units, t.units.c.id == u.c.unit_id))
                .where(where).order_by(e.c.seq.desc()).offset(query.offset).limit(query.limit))
        rows = [RegisterRow(seq=r.seq, at=r.occurred_at, actor_id=r.actor_id, actor_name=r.actor_name,
                            unit_name=r.unit_name or "", action=r.action, subject_id=r.subject_id,
                            subject_name=r.subject_name, after=dict(r.after or {}))
                for r in self.conn.execute(page)]
        return rows, total

    # --- requests from outside -------------------------------------------------------------------

    def add_outside(self, request: OutsideRequest) -> None:
        self.conn.execute(insert(t.outside_requests).values(**(vars(request) | {"kind": request.kind.value})))

    def decide_outside(self, decision: OutsideDecision) -> None:
        values = vars(decision) | {"outcome": decision.outcome.value,
                                   "provided": [p.as_dict() for p in decision.provided]}
        try:
            self.conn.execute(insert(t.outside_decisions).values(**values))
        except SqlIntegrityError:
            raise Conflict("该申请已作出决定", "the request was decided already", code="outside.decided") from None

    def _outside(self, query: Select[Any]) -> list[tuple[OutsideRequest, OutsideDecision | None]]:
        o, d = t.outside_requests, t.outside_decisions
        out = []
        for row in self.conn.execute(query.add_columns(*[c.label(f"d_{c.name}") for c in d.c])
                                     .select_from(o.outerjoin(d, d.c.request_id == o.c.id))):
            data = _m(row)
            req = OutsideRequest(**{c.name: data[c.name] for c in o.c} | {"kind": Requester(data["kind"])})
            dec = None
            if data["d_request_id"] is not None:
                provided = tuple(Provided(UUID(p["media_id"]), p["name"], p["sha256"], int(p["size"]), bool(p["copy"]))
                                 for p in data["d_provided"])
                dec = OutsideDecision(req.id, Outcome(data["d_outcome"]), data["d_approver_id"],
                                      data["d_approver_name"], data["d_reason"], provided, data["d_at"])
            out.append((req, dec))
        return out

    def outside(self, request_id: UUID) -> tuple[OutsideRequest, OutsideDecision | None] | None:
        found = self._outside(select(t.outside_requests).where(t.outside_requests.c.id == request_id))
        return found[0] if found else None

    def list_outside(self, bureau_id: UUID, limit: int = 500) -> list[tuple[OutsideRequest, OutsideDecision | None]]:
        o = t.outside_requests
        return self._outside(select(o).where(o.c.bureau_id == bureau_id)
                             .order_by(o.c.received_at.desc()).limit(limit))


def _level(value: str) -> Level:
    try:
        return Level(value)
    except ValueError:  # a value written before the levels existed counts as the strictest
        return Level.STATE_SECRET


__all__ = ["SqlAccess"]
