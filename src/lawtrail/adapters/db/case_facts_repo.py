"""The facts of the case and record rules (Art. 5, 8–15) for every case in scope, read with a
fixed number of statements whatever the number of cases (DESIGN.md rule 3): the cases, the
stages each has entered, their handlers, every record version and every signature."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, and_, or_, select

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.case_findings_repo import case_ids, in_fresh
from lawtrail.adapters.db.case_repo import case_from
from lawtrail.adapters.db.fastrows import Ids, dicts, enum_map, fetch
from lawtrail.adapters.db.record_repo import (
    CAPACITIES,
    SIGNATURE_FACT_COLUMNS,
    VERSION_FACT_COLUMNS,
    VersionReader,
)
from lawtrail.domain.cases import HANDLED_STAGES, Case, Stage
from lawtrail.domain.records import SignatureFact, VersionFact
from lawtrail.domain.rules.case_records import CaseRows

C = t.cases.c
_STAGES = enum_map(Stage)


#: Open cases at a stage where Art. 5 wants two certified handlers (``certified_handlers``).
_LIVE = and_(C.stage.in_([s.value for s in HANDLED_STAGES]), C.closed_kind.is_(None))


def load_case_rows(conn: Connection, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                   case_id: UUID | None = None, skip_stored: str | None = None) -> CaseRows:
    """Five statements: cases, (case, stage) pairs of the stage history, handlers, record
    versions, signatures; each of the cases in scope (``case_ids``), without the cases whose findings
    are stored under ``skip_stored`` (decision 0050) except, with their handlers, the open ones
    at a handled stage (``CaseRows.live``). Read through ``fastrows`` (each distinct id parsed
    once) into the same domain objects as the single-case reads."""
    ids = Ids()
    query = select(t.cases).where(C.bureau_id == bureau_id)
    if unit_ids is not None:
        query = query.where(C.unit_id.in_(unit_ids))
    if case_id is not None:
        query = query.where(C.id == case_id)
    if skip_stored is not None:  # one probe of the store per case: a row there that holds, or none
        F = t.case_findings.c
        query = (query.add_columns(F.case_id.is_not(None).label("stored_"))
                 .outerjoin(t.case_findings, and_(F.case_id == C.id, F.stamp == skip_stored,
                                                  F.facts_rev == C.facts_rev))
                 .where(or_(F.case_id.is_(None), _LIVE)))
    cases: list[Case] = []
    live: list[Case] = []
    revs: dict[UUID, int] = {}
    for d in dicts(conn, query, ids):
        stored = d.pop("stored_", False)
        revs[d["id"]] = d["facts_rev"]
        (live if stored else cases).append(case_from(d))
    read = [c.id for c in cases]

    def fresh(column: Any) -> ColumnElement[bool]:  # the cases read in full, their rows by ``column``
        return in_fresh(column, bureau_id, unit_ids, case_id, skip_stored, read)

    s = t.case_stage_changes.c
    stages: dict[UUID, set[Stage]] = defaultdict(set)
    _, pairs = fetch(conn, select(s.case_id, s.to_stage).distinct().where(fresh(s.case_id)), ids)
    for case_ref, stage in pairs:
        stages[case_ref].add(_STAGES[stage])
    reached = {c.id: frozenset(stages.get(c.id, set()) | {c.stage}) for c in cases}
    h = t.case_handlers.c
    handlers: dict[UUID, list[UUID]] = defaultdict(list)
    mine = fresh(h.case_id)
    if skip_stored is not None:  # and those of the stored cases whose Art. 5 finding is live
        mine = or_(mine, h.case_id.in_(case_ids(bureau_id, unit_ids, case_id, None).where(_LIVE)))
    _, pairs = fetch(conn, select(h.case_id, h.user_id).where(mine)
                     .order_by(h.case_id, h.lead.desc(), h.assigned_at), ids)
    for case_ref, user_id in pairs:
        handlers[case_ref].append(user_id)
    v = t.record_versions.c
    versions: dict[UUID, list[VersionFact]] = defaultdict(list)
    reader = VersionReader(ids)
    _, rows = fetch(conn, select(*VERSION_FACT_COLUMNS).where(fresh(v.case_id)), ids)
    for row in rows:
        version = reader(row)
        versions[version.case_id].append(version)
    g = t.record_signatures.c
    signatures: dict[UUID, list[SignatureFact]] = defaultdict(list)
    _, rows = fetch(conn, select(v.case_id, *SIGNATURE_FACT_COLUMNS)
                    .join(t.record_versions, and_(v.record_id == g.record_id, v.version == g.record_version))
                    .where(fresh(v.case_id)), ids)
    caps = CAPACITIES
    for case_ref, record_id, version, capacity, refused, witness in rows:  # ``signature_fact``, inlined
        signatures[case_ref].append(SignatureFact(record_id, version, caps[capacity], refused, witness))
    return CaseRows(cases, reached, dict(handlers), dict(versions), dict(signatures), revs, live)
