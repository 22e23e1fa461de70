"""``lawtrail handin``: hand-ins of footage (交接登记, Art. 41): record, complete, list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from lawtrail.cli.common import JsonOption, console, emit_json, say, session
from lawtrail.domain.events import format_time
from lawtrail.domain.evidence import HANDIN_EXCEPTION_LABELS, HandinException
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.rules.common import local
from lawtrail.errors import invalid
from lawtrail.services import handins, queries

app = typer.Typer(no_args_is_help=True)
EXCEPTIONS = ", ".join(e.value for e in HandinException)


def _time(value: str | None, name: str) -> datetime | None:
    """ISO 8601; a time without a zone is the bureau's (China Standard Time)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise invalid(name, f"{name} 须为 ISO 8601 时间，如 2026-11-26T18:00", f"{name} must be ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BUREAU_TZ)


@app.command("record", help="登记交接 / Record a hand-in of a device's footage")
def record(tctx: typer.Context,
           device: Annotated[str, typer.Option("--device", help="设备编号 / device number")],
           at: Annotated[str | None, typer.Option("--at", help="交接时间（默认现在） / hand-in time")] = None,
           officer: Annotated[str | None, typer.Option("--officer", help="执法人员用户名 / username")] = None,
           exception: Annotated[str | None, typer.Option("--exception", help=f"例外情形 / {EXCEPTIONS}")] = None,
           returned: Annotated[str | None, typer.Option("--returned", help="返回单位时间 / return time")] = None,
           note: Annotated[str, typer.Option("--note", help="说明 / note")] = "",
           as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        officer_id = queries.user_by_username(cli.uow(), cli.ctx, officer).id if officer else None
        h = handins.record_handin(cli.uow(), cli.ctx, device_number=device, handed_in_at=_time(at, "at"),
                                  officer_id=officer_id, exception=exception, returned_at=_time(returned, "returned"),
                                  note=note)
    if as_json:
        emit_json({"id": str(h.id), "device": h.device_number, "deadline": format_time(h.deadline)})
    else:
        say(f"已登记交接 / hand-in recorded: {h.id}; 须于 {local(h.deadline)} 前储存 / store by then")


@app.command("complete", help="交接完成储存，关联已入库文件 / Complete a hand-in, linking stored originals")
def complete(tctx: typer.Context, handin_id: Annotated[UUID, typer.Argument(help="交接编号 / hand-in id")],
             media: Annotated[list[UUID] | None, typer.Option(
                 "--media", help="原始文件编号（默认：该设备未关联的文件） / media ids")] = None,
             as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        done = handins.complete_handin(cli.uow(), cli.ctx, handin_id, media_ids=media or None)
    if as_json:
        emit_json({"handin_id": str(done.handin_id), "media_ids": [str(m) for m in done.media_ids]})
    else:
        say(f"交接已完成储存 / hand-in completed: {len(done.media_ids)} originals")


@app.command("list", help="交接登记列表 / List hand-ins")
def list_(tctx: typer.Context,
          open_only: Annotated[bool, typer.Option("--open", help="只看未完成 / open only")] = False,
          as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        rows = handins.list_handins(cli.uow(), cli.ctx, open_only=open_only)
    if as_json:
        emit_json([{"id": str(h.id), "device": h.device_number, "handed_in_at": format_time(h.handed_in_at),
                    "exception": h.exception.value if h.exception else None, "deadline": format_time(h.deadline),
                    "completed": c is not None} for h, c in rows])
        return
    table = Table(title="交接登记 / hand-ins")
    for head in ("编号 / id", "设备 / device", "交接 / handed in", "例外 / exception", "期限 / deadline",
                 "状态 / state"):
        table.add_column(head)
    for h, c in rows:
        table.add_row(str(h.id), h.device_number, local(h.handed_in_at),
                      HANDIN_EXCEPTION_LABELS[h.exception] if h.exception else "—", local(h.deadline),
                      "已完成 / done" if c else "待储存 / open")
    console.print(table)
