"""The 查阅登记 register (Art. 45): every reading and every refusal, filtered, paged, exported.

Read from the ledger's events (one query per page and one count): the register cannot disagree
with the trail because it is the trail. An export is itself recorded (``access:register:export``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.events import Action
from lawtrail.domain.org import BUREAU_TZ, Problems
from lawtrail.domain.register import (
    BASIS_LABELS,
    OUTCOME_LABELS,
    PURPOSE_LABELS,
    RegisterFilter,
    RegisterRow,
)
from lawtrail.domain.secrecy import LEVEL_LABELS, Level
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require_bureau_wide
from lawtrail.services.ports import UnitOfWork
from lawtrail.services.trail import record

PER_PAGE_MAX = 200
EXPORT_MAX = 50_000
Format = Literal["csv", "xlsx"]
COLUMNS = ("序号", "时间（北京时间）", "查阅人", "所在科室", "对象", "用途", "结果", "依据", "批准单号", "密级",
           "拒绝原因代码")


@dataclass(frozen=True)
class RegisterPage:
    rows: list[RegisterRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filter(ctx: Ctx, *, actor_id: UUID | None, unit_id: UUID | None, case_id: UUID | None,
            start: datetime | None, end: datetime | None, outcome: str | None, offset: int,
            limit: int) -> RegisterFilter:
    problems = Problems()
    if outcome and outcome not in OUTCOME_LABELS:
        problems.add("outcome", "结果只能是“已查阅”或“已拒绝”", "outcome is read or refused")
    if start and end and end < start:
        problems.add("end", "结束时间不能早于开始时间", "the end must not be before the start")
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.utcoffset() is None:
            problems.add(name, "时间须带时区", "times must carry a time zone")
    problems.raise_if_any()
    require_bureau_wide(ctx.actor, Permission.ACCESS_REGISTER)
    assert ctx.actor.bureau_id is not None or ctx.actor.is_system
    return RegisterFilter(bureau_id=ctx.actor.bureau_id or UUID(int=0), actor_id=actor_id, unit_id=unit_id,
                          case_id=case_id, start=start, end=end,
                          outcome="read" if outcome == "read" else "refused" if outcome == "refused" else None,
                          offset=offset, limit=limit)


def register_page(uow: UnitOfWork, ctx: Ctx, *, actor_id: UUID | None = None, unit_id: UUID | None = None,
                  case_id: UUID | None = None, start: datetime | None = None, end: datetime | None = None,
                  outcome: str | None = None, page: int = 1, per_page: int = 50) -> RegisterPage:
    """One page of the register, newest first (bureau-wide access:register: leaders, archivists,
    supervisors). Records nothing. Raise ValidationFailed for a bad filter or page."""
    if page < 1 or not 1 <= per_page <= PER_PAGE_MAX:
        problems = Problems()
        problems.add("page", f"页码须≥1，每页1–{PER_PAGE_MAX}条", f"page >= 1 and per_page 1..{PER_PAGE_MAX}")
        problems.raise_if_any()
    query = _filter(ctx, actor_id=actor_id, unit_id=unit_id, case_id=case_id, start=start, end=end,
                    outcome=outcome, offset=(page - 1) * per_page, limit=per_page)
    with uow:
        rows, total = uow.access.register(query)
    return RegisterPage(rows, total, page, per_page)


def cells(row: RegisterRow) -> list[str | int]:
    """One row of the register as the export writes it (Chinese labels, Beijing time)."""
    level = LEVEL_LABELS.get(Level(row.level), row.level) if row.level in Level.__members__.values() else ""
    return [row.seq, row.at.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M:%S"), row.actor_name, row.unit_name,
            row.subject_name, PURPOSE_LABELS.get(row.purpose, row.purpose), OUTCOME_LABELS[row.outcome],
            BASIS_LABELS.get(row.basis, row.basis), row.grant_id, level, row.code]


def export_register(uow: UnitOfWork, ctx: Ctx, *, fmt: Format, actor_id: UUID | None = None,
                    unit_id: UUID | None = None, case_id: UUID | None = None, start: datetime | None = None,
                    end: datetime | None = None, outcome: str | None = None) -> list[list[str | int]]:
    """Every matching row (at most 50 000, newest first) as cells under ``COLUMNS``, with one
    ``access:register:export`` event naming the filter and the number of rows, committed before
    the rows are returned. Same permission and errors as ``register_page``."""
    query = _filter(ctx, actor_id=actor_id, unit_id=unit_id, case_id=case_id, start=start, end=end,
                    outcome=outcome, offset=0, limit=EXPORT_MAX)
    with uow:
        rows, total = uow.access.register(query)
        record(uow, ctx, Action.ACCESS_REGISTER_EXPORT, subject_type="register", subject_id=query.bureau_id,
               subject_name="查阅登记", after_dict={
                   "format": fmt, "rows": len(rows), "total": total,
                   "filter": {"actor_id": str(actor_id) if actor_id else None,
                              "unit_id": str(unit_id) if unit_id else None,
                              "case_id": str(case_id) if case_id else None,
                              "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
                              "outcome": query.outcome}})
        uow.commit()
    return [cells(r) for r in rows]
