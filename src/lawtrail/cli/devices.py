"""``lawtrail device``: field recording devices, holders and maintenance log (Art. 7, 40)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from lawtrail.cli.common import Cli, JsonOption, console, emit_json, say, session
from lawtrail.domain.devices import (
    DEVICE_STATUS_LABELS,
    DEVICE_TYPE_LABELS,
    LOG_KIND_LABELS,
    MANUAL_LOG_KINDS,
    Device,
    DeviceLogEntry,
    DeviceStatus,
    DeviceType,
)
from lawtrail.services import devices, org, queries, users

app = typer.Typer(no_args_is_help=True)

TYPES = ", ".join(t.value for t in DeviceType)
STATUSES = ", ".join(s.value for s in DeviceStatus)
LOG_KINDS = ", ".join(sorted(k.value for k in MANUAL_LOG_KINDS))
SHOW_FIELDS = (("number", "编号 / number"), ("type_label", "类型 / type"), ("status_label", "状态 / status"),
               ("unit_name", "执法机构 / unit"), ("holder_name", "领用人 / holder"), ("make", "品牌 / make"),
               ("model", "型号 / model"), ("serial", "序列号 / serial"))
NumberArg = Annotated[str, typer.Argument(help="设备编号，如 JM-ZFJLY-001 / device number")]


class Names:
    """Unit codes and usernames by id, loaded once per command for display."""

    def __init__(self, cli: Cli) -> None:
        self.units = {u.id: (u.code, u.name) for u in org.list_units(cli.uow(), cli.ctx)}
        self.users = {u.id: (u.username, u.display_name) for u in users.list_users(cli.uow(), cli.ctx)}

    def user(self, user_id: UUID | None) -> tuple[str | None, str | None]:
        found = self.users.get(user_id) if user_id is not None else None
        return found if found is not None else (None, None)


def device_dict(device: Device, names: Names) -> dict[str, object]:
    unit_code, unit_name = names.units.get(device.unit_id, (None, None))
    holder, holder_name = names.user(device.holder_id)
    return {
        "number": device.number, "type": device.type.value, "type_label": DEVICE_TYPE_LABELS[device.type],
        "status": device.status.value, "status_label": DEVICE_STATUS_LABELS[device.status],
        "unit": unit_code, "unit_name": unit_name, "holder": holder, "holder_name": holder_name,
        "make": device.make, "model": device.model, "serial": device.serial,
    }


def log_dict(entry: DeviceLogEntry, names: Names) -> dict[str, object]:
    return {
        "at": entry.at.isoformat(), "kind": entry.kind.value, "kind_label": LOG_KIND_LABELS[entry.kind],
        "note": entry.note, "actor": entry.actor_name, "holder": names.user(entry.holder_id)[0],
        "status": entry.status.value if entry.status else None,
    }


@app.command("add", help="登记设备 / Register a device")
def add(
    tctx: typer.Context,
    number: NumberArg,
    type_: Annotated[str, typer.Option("--type", help=f"设备类型 / type: {TYPES}")],
    unit: Annotated[str, typer.Option("--unit", help="所属执法机构代码 / unit code")],
    make: Annotated[str, typer.Option(help="品牌 / make")] = "",
    model: Annotated[str, typer.Option(help="型号 / model")] = "",
    serial: Annotated[str, typer.Option(help="序列号 / serial number")] = "",
) -> None:
    with session(tctx) as cli:
        home = queries.unit_by_code(cli.uow(), cli.ctx, unit)
        device = devices.create_device(cli.uow(), cli.ctx, number=number, type=type_, unit_id=home.id,
                                       make=make, model=model, serial=serial)
    say(f"已登记设备 {device.number}（{DEVICE_TYPE_LABELS[device.type]}） / device registered")


@app.command("edit", help="修改设备信息 / Edit a device")
def edit(
    tctx: typer.Context,
    number: NumberArg,
    type_: Annotated[str | None, typer.Option("--type", help=f"设备类型 / type: {TYPES}")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="所属执法机构代码 / unit code")] = None,
    make: Annotated[str | None, typer.Option(help="品牌 / make")] = None,
    model: Annotated[str | None, typer.Option(help="型号 / model")] = None,
    serial: Annotated[str | None, typer.Option(help="序列号 / serial number")] = None,
) -> None:
    with session(tctx) as cli:
        device = devices.find_device(cli.uow(), cli.ctx, number)
        unit_id = queries.unit_by_code(cli.uow(), cli.ctx, unit).id if unit is not None else None
        devices.update_device(cli.uow(), cli.ctx, device.id, type=type_, unit_id=unit_id, make=make,
                              model=model, serial=serial)
    say(f"已保存设备 {device.number} / device saved")


@app.command("list", help="列出设备 / List the devices")
def list_(tctx: typer.Context, as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        names = Names(cli)
        rows = [device_dict(d, names) for d in devices.list_devices(cli.uow(), cli.ctx)]
    if as_json:
        emit_json(rows)
        return
    table = Table(title="现场执法记录设备 / devices")
    for header in ("编号", "类型", "状态", "执法机构", "领用人", "品牌型号"):
        table.add_column(header)
    for r in rows:
        table.add_row(str(r["number"]), str(r["type_label"]), str(r["status_label"]), str(r["unit"]),
                      str(r["holder_name"] or "—"), f"{r['make']} {r['model']}".strip() or "—")
    console.print(table)


@app.command("assign", help="领用或归还设备 / Hand a device out or take it back")
def assign(
    tctx: typer.Context,
    number: NumberArg,
    username: Annotated[str | None, typer.Argument(help="领用人用户名 / holder's username")] = None,
    returned: Annotated[bool, typer.Option("--return", help="归还 / return it to the store")] = False,
    note: Annotated[str, typer.Option(help="备注 / note")] = "",
) -> None:
    if (username is None) == (not returned):
        raise typer.BadParameter("请给出领用人用户名或 --return（二选一） / give a USERNAME or --return, not both")
    with session(tctx) as cli:
        device = devices.find_device(cli.uow(), cli.ctx, number)
        holder = queries.user_by_username(cli.uow(), cli.ctx, username) if username else None
        devices.assign_device(cli.uow(), cli.ctx, device.id, holder_id=holder.id if holder else None, note=note)
    if holder is None:
        say(f"设备 {device.number} 已归还 / device returned")
    else:
        say(f"设备 {device.number} 已由 {holder.display_name}（{holder.username}）领用 / device handed out")


@app.command("status", help="变更设备状态 / Change a device's status")
def status(
    tctx: typer.Context,
    number: NumberArg,
    new_status: Annotated[str, typer.Argument(metavar="STATUS", help=f"新状态 / new status: {STATUSES}")],
    reason: Annotated[str, typer.Option("--reason", help="原因 / reason")],
) -> None:
    with session(tctx) as cli:
        device = devices.find_device(cli.uow(), cli.ctx, number)
        device = devices.set_device_status(cli.uow(), cli.ctx, device.id, status=new_status, note=reason)
    say(f"设备 {device.number} 状态：{DEVICE_STATUS_LABELS[device.status]} / status changed")


@app.command("log", help="添加设备维护记录 / Add a maintenance log entry")
def log(
    tctx: typer.Context,
    number: NumberArg,
    note: Annotated[str, typer.Option("--note", help="内容 / what was done or found")],
    kind: Annotated[str, typer.Option(help=f"记录类型 / kind: {LOG_KINDS}")] = "maintenance",
) -> None:
    with session(tctx) as cli:
        device = devices.find_device(cli.uow(), cli.ctx, number)
        entry = devices.add_log_entry(cli.uow(), cli.ctx, device.id, kind=kind, note=note)
    say(f"已为设备 {device.number} 添加{LOG_KIND_LABELS[entry.kind]}记录 / log entry added")


@app.command("show", help="查看设备及其维护记录 / Show a device and its log")
def show(tctx: typer.Context, number: NumberArg, as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        found = devices.find_device(cli.uow(), cli.ctx, number)
        device, entries = devices.get_device(cli.uow(), cli.ctx, found.id)
        names = Names(cli)
    data = {**device_dict(device, names), "log": [log_dict(e, names) for e in entries]}
    if as_json:
        emit_json(data)
        return
    for key, label in SHOW_FIELDS:
        say(f"{label}: {data[key] if data[key] not in (None, '') else '—'}")
    table = Table(title="设备记录 / log")
    for header in ("时间", "类型", "内容", "操作人"):
        table.add_column(header)
    for e in entries:
        table.add_row(e.at.astimezone().strftime("%Y-%m-%d %H:%M"), LOG_KIND_LABELS[e.kind], e.note, e.actor_name)
    console.print(table)
