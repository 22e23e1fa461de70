"""The facts of the case and record rules (Art. 5, 8–15) for every case in scope, read with a
fixed number of statements whatever the number of cases (DESIGN.md rule 3): the cases, the
stages each has entered, their handlers, every record version and every signature."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, and_, select

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.case_repo import _case
from lawtrail.adapters.db.record_repo import _version
from lawtrail.domain.cases import Stage
from lawtrail.domain.catalogue import Capacity
from lawtrail.domain.records import RecordVersion, Signature, SignMethod
from lawtrail.domain.rules.case_records import CaseRows

C = t.cases.c


def _scoped(query: Select[Any], bureau_id: UUID, unit_ids: frozenset[UUID] | None,
            case_id: UUID | None) -> Select[Any]:
    query = query.where(C.bureau_id == bureau_id)
    if unit_ids is not None:
        query = query.where(C.unit_id.in_(unit_ids))
    return query.where(C.id == case_id) if case_id is not None else query


def load_case_rows(conn: Connection, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                   case_id: UUID | None = None) -> CaseRows:
    """Five statements: cases, (case, stage) pairs of the stage history, handlers, record
    versions, signatures; each joined to the cases in scope."""
    cases = [_case(r) for r in conn.execute(_scoped(select(t.cases), bureau_id, unit_ids, case_id))]
    s = t.case_stage_changes.c
    stages: dict[UUID, set[Stage]] = defaultdict(set)
    for case_ref, stage in conn.execute(_scoped(
            select(s.case_id, s.to_stage).distinct().join(t.cases, C.id == s.case_id), bureau_id, unit_ids,
            case_id)):
        stages[case_ref].add(Stage(stage))
    reached = {c.id: frozenset(stages.get(c.id, set()) | {c.stage}) for c in cases}
    h = t.case_handlers.c
    handlers: dict[UUID, list[UUID]] = defaultdict(list)
    for case_ref, user_id in conn.execute(_scoped(
            select(h.case_id, h.user_id).join(t.cases, C.id == h.case_id), bureau_id, unit_ids, case_id)
            .order_by(h.case_id, h.lead.desc(), h.assigned_at)):
        handlers[case_ref].append(user_id)
    v = t.record_versions.c
    versions: dict[UUID, list[RecordVersion]] = defaultdict(list)
    for row in conn.execute(_scoped(select(t.record_versions).join(t.cases, C.id == v.case_id),
                                    bureau_id, unit_ids, case_id)):
        versions[row.case_id].append(_version(row))
    g = t.record_signatures.c
    signatures: dict[UUID, list[Signature]] = defaultdict(list)
    for row in conn.execute(_scoped(
            select(t.record_signatures, v.case_id.label("case_ref"))
            .join(t.record_versions, and_(v.record_id == g.record_id, v.version == g.record_version))
            .join(t.cases, C.id == v.case_id), bureau_id, unit_ids, case_id)):
        data = dict(row._mapping)
        case_ref = data.pop("case_ref")
        data["capacity"] = Capacity(data["capacity"])
        data["method"] = SignMethod(data["method"]) if data["method"] else None
        signatures[case_ref].append(Signature(**data))
    return CaseRows(cases, reached, dict(handlers), dict(versions), dict(signatures))

