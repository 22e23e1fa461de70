"""``lawtrail check``: the compliance findings (DESIGN.md interface), as a Rich table or, with
``--json``, one JSON array of finding objects.

Exit status: 0 when nothing is overdue, 1 when any finding shown is overdue (so a cron job or
a monitoring probe can alert on it); errors are one line on stderr, exit 1 as well.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lawtrail.cli.common import JsonOption, console, emit_json, say, session
from lawtrail.domain.findings import STATUS_LABELS, FindingStatus
from lawtrail.domain.rules import RULES
from lawtrail.domain.rules.common import local
from lawtrail.errors import invalid
from lawtrail.services import cases, findings, queries

STATUS_STYLE = {FindingStatus.OVERDUE: "bold red", FindingStatus.DUE_SOON: "yellow", FindingStatus.OPEN: ""}


def check(
    tctx: typer.Context,
    rule: Annotated[str | None, typer.Option("--rule", help="只看此规则，如 ART41-STORED-24H / only this rule id "
                                             f"({', '.join(RULES)})")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="执法机构代码 / unit code")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open | due_soon | overdue")] = None,
    case: Annotated[str | None, typer.Option("--case", help="只看此案件（案件编号）及其记录、音像资料 / only this "
                                             "case (its number), its records and linked media")] = None,
    as_json: JsonOption = False,
) -> None:
    """合规检查：列出合规问题 / List the compliance findings.

    退出状态：无逾期问题为 0，有逾期问题为 1。
    Exit status: 0 when nothing is overdue, 1 when anything is overdue.
    """
    wanted = _status(status)
    with session(tctx) as cli:
        unit_id = queries.unit_by_code(cli.uow(), cli.ctx, unit).id if unit else None
        case_id = cases.find_case(cli.uow(), cli.ctx, case).id if case else None
        # Read-only: a long check does not hold SQLite's write lock (decision 0035).
        found = findings.evaluate(cli.uow(read_only=True), cli.ctx, cli.ctx.now, settings=cli.container.rules,
                                  catalogue=cli.container.catalogue, rule=rule,
                                  unit=unit_id, status=wanted, case=case_id)
    if as_json:
        emit_json([f.to_json() for f in found])
    elif not found:
        say("没有合规问题 / no findings")
    else:
        table = Table(title=f"合规问题 / findings: {len(found)}")
        for head in ("规则 / rule", "条款 / article", "对象 / subject", "状态 / status", "期限 / due",
                     "问题 / message"):
            table.add_column(head)
        for f in found:
            table.add_row(f.rule.id, f.rule.article, f.subject.name,
                          f"[{STATUS_STYLE[f.status]}]{STATUS_LABELS[f.status]} {f.status.value}[/]"
                          if STATUS_STYLE[f.status] else f"{STATUS_LABELS[f.status]} {f.status.value}",
                          local(f.due_at) if f.due_at else "—", f.message_zh)
        console.print(table)
    if any(f.status is FindingStatus.OVERDUE for f in found):
        raise typer.Exit(1)


def _status(value: str | None) -> FindingStatus | None:
    if value is None:
        return None
    try:
        return FindingStatus(value.strip())
    except ValueError:
        raise invalid("status", "状态须为 open、due_soon 或 overdue",
                      "status must be open, due_soon or overdue") from None
