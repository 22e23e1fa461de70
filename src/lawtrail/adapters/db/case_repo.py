"""SQL repository of cases (``services.ports.CaseRepo``): current state, parties, handlers, the
append-only stage history and media link log, and the gapless per-bureau-year case numbers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lawtrail.adapters.db import case_findings_repo
from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.fastrows import enum_map
from lawtrail.domain.cases import (
    ActionType,
    Case,
    CaseFilter,
    ClosedKind,
    Handler,
    MediaLink,
    Origin,
    Procedure,
    Stage,
    StageChange,
)
from lawtrail.domain.media import MediaType
from lawtrail.domain.parties import Party, PartyKind
from lawtrail.domain.rules.case_records import CaseRows
from lawtrail.domain.vault import MediaRecord

_ACTION_TYPES, _PROCEDURES, _ORIGINS = enum_map(ActionType), enum_map(Procedure), enum_map(Origin)
_STAGES, _CLOSED = enum_map(Stage), enum_map(ClosedKind)


def _case(row: Row[Any]) -> Case:
    return case_from(dict(row._mapping))


def case_from(data: dict[str, Any]) -> Case:
    """A case from its row as a dict (column name → value; changed in place)."""
    data["action_type"] = _ACTION_TYPES[data["action_type"]]
    data["procedure"] = _PROCEDURES[data["procedure"]]
    data["origin"] = _ORIGINS[data["origin"]]
    data["stage"] = _STAGES[data["stage"]]
    data["closed_kind"] = _CLOSED[data["closed_kind"]] if data["closed_kind"] else None
    data.pop("facts_rev", None)  # the database's own counter (migration 0024), not part of a case
    return Case(**data)


def _case_values(case: Case) -> dict[str, Any]:
    values = vars(case).copy()
    for key in ("action_type", "procedure", "origin", "stage"):
        values[key] = values[key].value
    values["closed_kind"] = case.closed_kind.value if case.closed_kind else None
    return values


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlCases:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, case: Case) -> None:
        self.conn.execute(insert(t.cases).values(**_case_values(case)))

    def update(self, case: Case) -> None:
        self.conn.execute(update(t.cases).where(t.cases.c.id == case.id).values(**_case_values(case)))

    def get(self, case_id: UUID) -> Case | None:
        row = self.conn.execute(select(t.cases).where(t.cases.c.id == case_id)).first()
        return _case(row) if row else None

    def by_number(self, bureau_id: UUID, number: str) -> Case | None:
        row = self.conn.execute(select(t.cases).where(
            and_(t.cases.c.bureau_id == bureau_id, t.cases.c.number == number))).first()
        return _case(row) if row else None

    def next_serial(self, bureau_id: UUID, year: int) -> int:
        # One upsert: the first case of a year inserts the counter, later ones increment it under
        # the row lock (PostgreSQL) / write lock (SQLite) that the transaction keeps to its end.
        make = pg_insert if self.conn.dialect.name == "postgresql" else sqlite_insert
        stmt = make(t.case_numbers).values(bureau_id=bureau_id, year=year, last_serial=1)
        upsert = stmt.on_conflict_do_update(
            index_elements=[t.case_numbers.c.bureau_id, t.case_numbers.c.year],
            set_={"last_serial": t.case_numbers.c.last_serial + 1},
        ).returning(t.case_numbers.c.last_serial)
        return int(self.conn.execute(upsert).scalar_one())

    def search(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, flt: CaseFilter, *,
             offset: int, limit: int) -> tuple[list[Case], int]:
        c = t.cases.c
        conds: list[Any] = [c.bureau_id == bureau_id]
        if unit_ids is not None:
            conds.append(c.unit_id.in_(unit_ids))
        if flt.stage is not None:
            conds.append(c.stage == flt.stage.value)
        if flt.action_type is not None:
            conds.append(c.action_type == flt.action_type.value)
        if flt.unit_id is not None:
            conds.append(c.unit_id == flt.unit_id)
        if flt.number:
            conds.append(c.number.like(_like(flt.number), escape="\\"))
        if flt.handler_id is not None:
            conds.append(exists().where(and_(t.case_handlers.c.case_id == c.id,
                                             t.case_handlers.c.user_id == flt.handler_id)))
        if flt.party:
            conds.append(exists().where(and_(t.case_parties.c.case_id == c.id,
                                             t.case_parties.c.name.like(_like(flt.party), escape="\\"))))
        where = and_(*conds)
        total = int(self.conn.execute(select(func.count()).select_from(t.cases).where(where)).scalar_one())
        # The page's ids first, from the index alone (it ends with the id), then its 20 rows: a deep
        # page skips index entries, not table rows (PostgreSQL fetched each skipped row; 0035).
        order = (c.opened_at.desc(), c.serial.desc())
        page = select(c.id).where(where).order_by(*order).offset(offset).limit(limit).subquery()
        rows = self.conn.execute(select(t.cases).join(page, page.c.id == c.id).order_by(*order))
        return [_case(r) for r in rows], total

    def add_party(self, party: Party) -> None:
        self.conn.execute(insert(t.case_parties).values(**(vars(party) | {"kind": party.kind.value})))

    def parties(self, case_id: UUID) -> list[Party]:
        rows = self.conn.execute(select(t.case_parties).where(t.case_parties.c.case_id == case_id)
                                 .order_by(t.case_parties.c.added_at, t.case_parties.c.name))
        return [Party(**(dict(r._mapping) | {"kind": PartyKind(r.kind)})) for r in rows]

    def set_handlers(self, case_id: UUID, handlers: Sequence[Handler]) -> None:
        self.conn.execute(delete(t.case_handlers).where(t.case_handlers.c.case_id == case_id))
        if handlers:
            self.conn.execute(insert(t.case_handlers), [vars(h) for h in handlers])

    def handlers(self, case_id: UUID) -> list[Handler]:
        rows = self.conn.execute(select(t.case_handlers).where(t.case_handlers.c.case_id == case_id)
                                 .order_by(t.case_handlers.c.lead.desc(), t.case_handlers.c.assigned_at))
        return [Handler(**dict(r._mapping)) for r in rows]

    def add_stage_change(self, change: StageChange) -> None:
        values = vars(change) | {"to_stage": change.to_stage.value,
                                 "from_stage": change.from_stage.value if change.from_stage else None}
        self.conn.execute(insert(t.case_stage_changes).values(**values))

    def stage_changes(self, case_id: UUID) -> list[StageChange]:
        rows = self.conn.execute(select(t.case_stage_changes).where(t.case_stage_changes.c.case_id == case_id)
                                 .order_by(t.case_stage_changes.c.at))
        out = []
        for r in rows:
            data = dict(r._mapping)
            data["to_stage"] = Stage(data["to_stage"])
            data["from_stage"] = Stage(data["from_stage"]) if data["from_stage"] else None
            out.append(StageChange(**data))
        return out

    def add_media_link(self, link: MediaLink) -> None:
        self.conn.execute(insert(t.case_media).values(**vars(link)))

    def media_links(self, case_id: UUID) -> list[MediaLink]:
        rows = self.conn.execute(select(t.case_media).where(t.case_media.c.case_id == case_id)
                                 .order_by(t.case_media.c.at))
        return [MediaLink(**dict(r._mapping)) for r in rows]

    def media(self, media_id: UUID) -> MediaRecord | None:
        row = self.conn.execute(select(t.media).where(t.media.c.id == media_id)).first()
        return MediaRecord(**(dict(row._mapping) | {"media_type": MediaType(row.media_type)})) if row else None

    def open_for_officer(self, user_id: UUID, around: datetime) -> list[Case]:
        c = t.cases.c
        query = (select(t.cases).join(t.case_handlers, t.case_handlers.c.case_id == c.id)
                 .where(and_(t.case_handlers.c.user_id == user_id, c.opened_at <= around,
                             or_(c.ended_at.is_(None), c.ended_at > around)))
                 .order_by(c.opened_at.desc(), c.serial.desc()))
        return [_case(r) for r in self.conn.execute(query)]

    def rule_facts(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None,
                   case_id: UUID | None = None, *, skip_stored: str | None = None) -> CaseRows:
        from lawtrail.adapters.db.case_facts_repo import load_case_rows  # it imports this module

        return load_case_rows(self.conn, bureau_id, unit_ids, case_id, skip_stored)

    def stored_findings(self, bureau_id: UUID, unit_ids: frozenset[UUID] | None, case_id: UUID | None,
                        stamp: str) -> list[tuple[UUID, str]]:
        return case_findings_repo.stored(self.conn, bureau_id, unit_ids, case_id, stamp)

    def keep_findings(self, stamp: str, at: datetime, sets: Sequence[tuple[UUID, int, str]]) -> bool:
        return case_findings_repo.keep(self.conn, stamp, at, sets)
