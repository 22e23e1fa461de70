"""``lawtrail demo``: load the demo data set (and the table of demo logins, shared by ``serve``)."""

from __future__ import annotations

import typer
from rich.table import Table

from lawtrail.cli.common import JsonOption, console, emit_json, load, opened, options, say
from lawtrail.services.demo import DemoSummary, load_demo


def demo(tctx: typer.Context, as_json: JsonOption = False) -> None:
    """Migrate, then load the demo data unless its bureau is already there."""
    # demo=True: a demo folder needs no secret of its own (the web app refuses it outside demo mode)
    with opened(load(options(tctx), demo=True)) as container:
        container.migrate()
        summary = load_demo(container)
    if as_json:
        emit_json(summary_dict(summary))
        return
    if summary.loaded:
        say(f"已载入演示数据：{summary.bureau_name}（{summary.bureau_code}），{summary.units} 个执法机构，"
            f"{summary.users} 名人员，{summary.devices} 台设备 / demo data loaded")
    else:
        say(f"机关 {summary.bureau_code} 已存在，未重复载入 / bureau {summary.bureau_code} exists; nothing loaded")
    print_logins(summary)


def summary_dict(summary: DemoSummary) -> dict[str, object]:
    return {
        "loaded": summary.loaded, "bureau": summary.bureau_code, "bureau_name": summary.bureau_name,
        "units": summary.units, "users": summary.users, "devices": summary.devices,
        "password": summary.password,
        "logins": [{"username": x.username, "name": x.name, "role": x.role.value, "role_label": x.role_label}
                   for x in summary.logins],
    }


def print_logins(summary: DemoSummary) -> None:
    """A table of the demo logins that work, with the shared demo password."""
    if not summary.logins:
        say("没有可用的演示账号 / no demo logins available")
        return
    table = Table(title="演示账号 / demo logins")
    for header in ("角色 / role", "姓名 / name", "用户名 / username", "密码 / password"):
        table.add_column(header)
    for login in summary.logins:
        table.add_row(login.role_label, login.name, login.username, summary.password)
    console.print(table)
    say(f"所有演示账号的密码 / password of every demo login: {summary.password}")
