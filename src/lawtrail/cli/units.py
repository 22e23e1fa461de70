"""``lawtrail unit``: enforcement units (业务科室、直属单位、受委托组织, Art. 5, 50)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from lawtrail.cli.common import JsonOption, console, emit_json, say, session
from lawtrail.domain.org import UNIT_KIND_LABELS, Unit, UnitKind
from lawtrail.services import org, queries

app = typer.Typer(no_args_is_help=True)

KINDS = ", ".join(k.value for k in UnitKind)
CodeArg = Annotated[str, typer.Argument(help="机构代码 / unit code")]


def unit_dict(unit: Unit) -> dict[str, object]:
    return {"code": unit.code, "name": unit.name, "kind": unit.kind.value,
            "kind_label": UNIT_KIND_LABELS[unit.kind], "active": unit.active}


@app.command("add", help="新增执法机构 / Add a unit")
def add(
    tctx: typer.Context,
    code: CodeArg,
    name: Annotated[str, typer.Argument(help="机构名称 / unit name")],
    kind: Annotated[str, typer.Option(help=f"类型 / kind: {KINDS}")] = UnitKind.BUSINESS_SECTION.value,
) -> None:
    with session(tctx) as cli:
        unit = org.create_unit(cli.uow(), cli.ctx, bureau_id=cli.bureau.id, code=code, name=name, kind=kind)
    say(f"已新增执法机构 {unit.code} {unit.name}（{UNIT_KIND_LABELS[unit.kind]}） / unit added")


@app.command("list", help="列出执法机构 / List the units")
def list_(tctx: typer.Context, as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        units = org.list_units(cli.uow(), cli.ctx)
    if as_json:
        emit_json([unit_dict(u) for u in units])
        return
    table = Table(title=f"{cli.bureau.name} 执法机构 / units")
    for header in ("代码 / code", "名称 / name", "类型 / kind", "状态 / status"):
        table.add_column(header)
    for u in units:
        table.add_row(u.code, u.name, UNIT_KIND_LABELS[u.kind], "启用" if u.active else "停用")
    console.print(table)


@app.command("edit", help="修改执法机构 / Edit a unit")
def edit(
    tctx: typer.Context,
    code: CodeArg,
    name: Annotated[str | None, typer.Option(help="新名称 / new name")] = None,
    kind: Annotated[str | None, typer.Option(help=f"新类型 / new kind: {KINDS}")] = None,
) -> None:
    with session(tctx) as cli:
        unit = queries.unit_by_code(cli.uow(), cli.ctx, code)
        unit = org.update_unit(cli.uow(), cli.ctx, unit.id, name=name, kind=kind)
    say(f"执法机构 {unit.code}：{unit.name}（{UNIT_KIND_LABELS[unit.kind]}） / unit saved")


def _set_active(tctx: typer.Context, code: str, active: bool) -> None:
    with session(tctx) as cli:
        unit = queries.unit_by_code(cli.uow(), cli.ctx, code)
        org.update_unit(cli.uow(), cli.ctx, unit.id, active=active)
    if active:
        say(f"已启用执法机构 {unit.code} / unit reactivated")
    else:
        say(f"已停用执法机构 {unit.code} / unit deactivated")


@app.command("deactivate", help="停用执法机构 / Deactivate a unit")
def deactivate(tctx: typer.Context, code: CodeArg) -> None:
    _set_active(tctx, code, False)


@app.command("reactivate", help="重新启用执法机构 / Reactivate a unit")
def reactivate(tctx: typer.Context, code: CodeArg) -> None:
    _set_active(tctx, code, True)
