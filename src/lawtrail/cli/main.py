"""The ``lawtrail`` command: one Typer app, one module per command group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lawtrail.cli import (
    archive,
    cases,
    db,
    demo,
    devices,
    disclosure,
    evidence,
    findings,
    handins,
    ingest,
    init,
    ledger,
    oversight,
    serve,
    units,
    users,
    vault,
)
from lawtrail.cli.common import Options, main

app = typer.Typer(
    name="lawtrail",
    help="执法全过程记录系统 / Whole-process recording of administrative enforcement",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold passwords
)


@app.callback()
def global_options(
    tctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="数据目录（默认取 LAWTRAIL_DATA_DIR，否则 ./data） / data folder "
                           "(default: LAWTRAIL_DATA_DIR, else ./data)")] = None,
    bureau: Annotated[str | None, typer.Option(
        "--bureau", help="机关代码（只有一个机关时可省略） / bureau code (optional when there is one)")] = None,
) -> None:
    """执法全过程记录系统 / Whole-process recording of administrative enforcement."""
    tctx.obj = Options(data_dir=data_dir, bureau=bureau)


app.command("init", help="初始化数据目录 / Initialise the data folder")(init.init)
app.command("serve", help="启动网页服务 / Run the web server")(serve.serve)
app.command("demo", help="载入演示数据 / Load the demo data")(demo.demo)
app.command("ingest", help="原始音像文件入库 / Ingest original media files")(ingest.ingest)
app.command("check", help="合规检查（有逾期问题时退出状态为 1） / Compliance findings (exit 1 when any is overdue)")(
    findings.check)
app.add_typer(handins.app, name="handin", help="交接登记 / Hand-ins of footage (Art. 41)")
app.add_typer(evidence.app, name="evidence", help="证据与保存期限 / Evidence use and retention (Art. 43, 44)")
app.add_typer(vault.app, name="vault", help="原始文件存储 / The store of originals")
app.add_typer(db.app, name="db", help="数据库 / Database schema")
app.add_typer(units.app, name="unit", help="执法机构 / Enforcement units")
app.add_typer(users.app, name="user", help="人员与账号 / People and accounts")
app.add_typer(devices.app, name="device", help="现场执法记录设备 / Field recording devices")
app.add_typer(ledger.app, name="ledger", help="账本：检查点、证明与校验 / Ledger: checkpoints, proofs, verification")
app.add_typer(cases.app, name="case", help="案件 / Cases")
app.add_typer(oversight.app, name="oversight", help="执法监督：看板快照 / Supervision: dashboard snapshots")
app.add_typer(disclosure.app, name="disclosure", help="对外提供（第三十七条） / Disclosure (Art. 37)")
app.add_typer(archive.app, name="archive", help="案卷、保存期限与法律保全 / Case files, retention, holds (Art. 39–44)")


def run() -> None:
    """Entry point of the ``lawtrail`` script."""
    main(app)


if __name__ == "__main__":
    run()
