"""The facts of the case and record rules (Art. 5, 8–15) for every case in scope, read with a
fixed number of statements whatever the number of cases (DESIGN.md rule 3): the cases, the
stages each has entered, their handlers, every record version and every signature."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, and_, select

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.archived_findings_repo import covered
from lawtrail.adapters.db.case_repo import case_from
from lawtrail.adapters.db.fastrows import Ids, dicts, enum_map, fetch
from lawtrail.adapters.db.record_repo import (
    CAPACITIES,
    SIGNATURE_FACT_COLUMNS,
    VERSION_FACT_COLUMNS,
    VersionReader,
)
from lawtrail.domain.cases import Stage
from lawtrail.domain.records import SignatureFact, VersionFact
from lawtrail.domain.rules.case_records import CaseRows

C = t.cases.c
_STAGES = enum_map(Stage)


def _scoped(query: Select[Any], bureau_id: UUID, unit_ids: frozenset[UUID] | None,
            case_id: UUID | None, skip_stored: str | None = None) -> Select[Any]:
    query = query.where(C.bureau_id == bureau_id)
    if unit_ids is not None:
        query = query.where(C.unit_id.in_(unit_ids))
    if skip_stored is not None:
        query = query.where(~covered(skip_stored))
    return query.where(C.id == case_id) if case_id is not None else query


def load_case_rows(conn: Connection, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                   case_id: UUID | None = None, skip_stored: str | None = None) -> CaseRows:
    """Five statements: cases, (case, stage) pairs of the stage history, handlers, record
    versions, signatures; each joined to the cases in scope, without the archived cases whose
    findings are stored under ``skip_stored`` (decision 0048). Read through ``fastrows`` (each
    distinct id parsed once) into the same domain objects as the single-case reads."""
    ids = Ids()
    cases = [case_from(d) for d in dicts(conn, _scoped(select(t.cases), bureau_id, unit_ids, case_id, skip_stored),
                                         ids)]
    s = t.case_stage_changes.c
    stages: dict[UUID, set[Stage]] = defaultdict(set)
    _, pairs = fetch(conn, _scoped(select(s.case_id, s.to_stage).distinct().join(t.cases, C.id == s.case_id),
                                   bureau_id, unit_ids, case_id, skip_stored), ids)
    for case_ref, stage in pairs:
        stages[case_ref].add(_STAGES[stage])
    reached = {c.id: frozenset(stages.get(c.id, set()) | {c.stage}) for c in cases}
    h = t.case_handlers.c
    handlers: dict[UUID, list[UUID]] = defaultdict(list)
    _, pairs = fetch(conn, _scoped(select(h.case_id, h.user_id).join(t.cases, C.id == h.case_id),
                                   bureau_id, unit_ids, case_id, skip_stored)
                     .order_by(h.case_id, h.lead.desc(), h.assigned_at), ids)
    for case_ref, user_id in pairs:
        handlers[case_ref].append(user_id)
    v = t.record_versions.c
    versions: dict[UUID, list[VersionFact]] = defaultdict(list)
    read = VersionReader(ids)
    _, rows = fetch(conn, _scoped(select(*VERSION_FACT_COLUMNS).join(t.cases, C.id == v.case_id),
                                  bureau_id, unit_ids, case_id, skip_stored), ids)
    for row in rows:
        version = read(row)
        versions[version.case_id].append(version)
    g = t.record_signatures.c
    signatures: dict[UUID, list[SignatureFact]] = defaultdict(list)
    _, rows = fetch(conn, _scoped(
        select(v.case_id, *SIGNATURE_FACT_COLUMNS)
        .join(t.record_versions, and_(v.record_id == g.record_id, v.version == g.record_version))
        .join(t.cases, C.id == v.case_id), bureau_id, unit_ids, case_id, skip_stored), ids)
    caps = CAPACITIES
    for case_ref, record_id, version, capacity, refused, witness in rows:  # ``signature_fact``, inlined
        signatures[case_ref].append(SignatureFact(record_id, version, caps[capacity], refused, witness))
    return CaseRows(cases, reached, dict(handlers), dict(versions), dict(signatures))
