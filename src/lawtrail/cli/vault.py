"""``lawtrail vault``: the store of originals (Art. 37). ``verify`` re-hashes every original."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from lawtrail.cli.common import JsonOption, console, emit_json, say, session
from lawtrail.services import vault_verify

app = typer.Typer(no_args_is_help=True)
KIND_LABELS = {"changed": "内容被改动 / changed", "missing": "文件缺失 / missing",
               "untracked": "无登记记录 / untracked"}


@app.command("verify", help="重新计算每个原始文件的摘要 / Re-hash every stored original")
def verify(tctx: typer.Context, as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        total = sum(size for _, size in vault_verify.recorded_originals(cli.uow(), cli.ctx))
        with Progress("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                      TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                      disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("校验 / verifying", total=total)
            report = vault_verify.verify_vault(cli.uow(), cli.ctx, cli.container.blobs,
                                        on_checked=lambda _d, size: bar.advance(task, size))
    if as_json:
        emit_json(report.to_json())
    elif report.clean:
        say(f"存储完整 / vault verified: {report.checked} originals, {report.bytes} bytes; "
            f"{report.derived_checked} derived objects (previews, thumbnails), {report.derived_bytes} bytes"
            + (f"; 已依批准销毁 / disposed: {len(report.disposed)}" if report.disposed else ""))
    else:
        table = Table(title="存储校验问题 / vault problems")
        table.add_column("问题 / problem")
        table.add_column("SHA-256")
        for p in report.problems:
            table.add_row(KIND_LABELS[p.kind], p.sha256)
        for p in report.derived_problems:
            table.add_row("派生文件 / derived: " + KIND_LABELS[p.kind], p.sha256)
        console.print(table)
    if not report.clean:
        c = report.counts()
        sys.stderr.write(f"错误 / error: 存储校验发现问题 / vault verification failed: {c['changed']} changed, "
                         f"{c['missing']} missing, {c['untracked']} untracked; derived objects: "
                         f"{report.derived_counts()['changed']} changed, {report.derived_counts()['missing']} missing "
                         "[vault.verify_failed]\n")
        raise typer.Exit(1)
