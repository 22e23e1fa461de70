"""``lawtrail archive``: the case file (案卷, Art. 39) as a BagIt bag, its offline check, and
retention (Art. 43, 44): the list of originals with their retention, legal holds, and the
preview of a retention policy before it takes effect.

Disposal is not offered here: it needs two named people (an archivist and a leader), which the
console operator is not; it is done in the web pages or the API.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import DownloadColumn, Progress, SpinnerColumn, TransferSpeedColumn
from rich.table import Table

from lawtrail.adapters.bag import BagWriter
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.printing import record_pdf
from lawtrail.adapters.retention_file import load_retention
from lawtrail.adapters.signer import load_signer
from lawtrail.cli.common import JsonOption, console, emit_json, say, session
from lawtrail.domain.events import format_time
from lawtrail.domain.evidence import RETENTION_LABELS
from lawtrail.errors import ValidationFailed, invalid
from lawtrail.services import casefile, retention
from lawtrail.services.casefile_records import CaseRecords

app = typer.Typer(no_args_is_help=True)


@app.command("export", help="把已归档案件整理为 BagIt 案卷包 / Write a concluded case's file as a bag (Art. 39)")
def export(tctx: typer.Context,
           number: Annotated[str, typer.Argument(help="案件编号 / case number")],
           out: Annotated[Path, typer.Option("--out", help="输出目录（新的或空的） / output folder (new or empty)")],
           as_json: JsonOption = False) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationFailed(f"输出目录 {out} 已存在且不为空", f"the output folder {out} exists and is not empty",
                               code="archive.out_not_empty")
    with session(tctx) as cli:
        s = cli.container.settings
        uow = SqlUnitOfWork(cli.container.engine)
        casefile.concluded_case_id(uow, cli.ctx, number)  # refuse before a folder is made
        signer = load_signer(s.data_dir, s.ledger_origin, create=True)
        with Progress(SpinnerColumn(), "{task.description}", DownloadColumn(), TransferSpeedColumn(),
                      console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("写入案卷 / writing", total=None)
            result = casefile.export_case_file(uow, cli.ctx, cli.container.blobs, signer, BagWriter(out),
                                               number=number, origin=s.ledger_origin,
                                               sources=[CaseRecords(cli.container.catalogue, record_pdf)],
                                               on_bytes=lambda n: bar.advance(task, n))
    if as_json:
        emit_json({"case": result.case_number, "bag": str(out), "items": result.items,
                   "payload_oxum": result.payload_oxum, "checkpoint_size": result.checkpoint_size,
                   "ledger_index": result.ledger_index})
        return
    say(f"案卷已导出 / case file written: {out} — {result.items} 项 / items, Payload-Oxum {result.payload_oxum}, "
        f"检查点 / checkpoint {result.checkpoint_size}, 账本序号 / ledger index {result.ledger_index}")


@app.command("verify", help="离线核验案卷包（真实性、完整性、可用性、安全性） / Check a bag offline (DA/T 70)")
def verify(bag: Annotated[Path, typer.Argument(help="案卷包目录 / bag folder")],
           vkey: Annotated[str | None, typer.Option(
               "--vkey", help="机关公布的账本公钥（默认用包内的） / the published key (default: the bag's)")] = None,
           as_json: JsonOption = False) -> None:
    from lawtrail.adapters.casefile_verify import render, verify_bag  # only here (CLI memory)

    report = verify_bag(bag, vkey)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        say(render(report))
    if not report.ok:
        sys.stderr.write("错误 / error: 案卷包核验未通过 / the bag failed verification [archive.bag_invalid]\n")
        raise typer.Exit(1)


def _row_json(row: retention.RetentionRow) -> dict[str, Any]:
    m = row.facts.media
    return {"media_id": str(m.id), "name": m.original_name, "sha256": m.sha256, "size": m.size,
            "retention": row.retention.retention.value,
            "until": format_time(row.retention.until) if row.retention.until else None,
            "reasons": list(row.retention.reasons), "held": bool(row.facts.holds), "disposed": row.facts.disposed,
            "disposable": row.disposable, "refusals": list(row.refusals)}


@app.command("retention", help="原始文件的保存期限与可否销毁 / Retention of every original, and whether it may go")
def retention_list(tctx: typer.Context,
                   disposable: Annotated[bool, typer.Option(
                       "--disposable", help="只列出已可销毁的 / only those that may be disposed of")] = False,
                   as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        rows = retention.retention_list(cli.uow(), cli.ctx, cli.container.rules.retention, only_disposable=disposable)
    if as_json:
        emit_json([_row_json(r) for r in rows])
        return
    table = Table(title=f"保存期限 / retention ({len(rows)})")
    for col in ("原始文件 / original", "保存 / class", "截止 / until", "可销毁 / disposable"):
        table.add_column(col)
    for r in rows:
        until = f"{r.retention.until:%Y-%m-%d}" if r.retention.until else "—"
        table.add_row(r.facts.media.original_name, RETENTION_LABELS[r.retention.retention], until,
                      "是" if r.disposable else "否：" + "；".join(r.refusals))
    console.print(table)


@app.command("preview", help="新保存期限配置生效前，预览将变为可销毁的原始文件 / Preview a retention policy change")
def preview(tctx: typer.Context,
            policy_file: Annotated[Path, typer.Argument(help="新的 retention.yaml / the candidate retention.yaml")],
            as_json: JsonOption = False) -> None:
    candidate = load_retention(policy_file)
    with session(tctx) as cli:
        found = retention.preview_policy(cli.uow(), cli.ctx, cli.container.rules.retention, candidate)
    if as_json:
        emit_json([{"media_id": str(f.media.id), "name": f.media.original_name, "sha256": f.media.sha256,
                    "until": format_time(r.until) if r.until else None} for f, r in found])
        return
    say(f"新配置将使 {len(found)} 个原始文件变为可销毁 / the candidate policy would make {len(found)} disposable")
    for f, r in found:
        until = f"{r.until:%Y-%m-%d}" if r.until else "—"
        say(f"  {f.media.original_name}  {f.media.sha256[:16]}  至 / until {until}")


@app.command("hold", help="设置法律保全 / Place a legal hold on an original (media id) or a case (case id)")
def hold(tctx: typer.Context,
         target: Annotated[str, typer.Argument(help="media | case")],
         target_id: Annotated[str, typer.Argument(help="原始文件或案件编号（UUID） / media or case id")],
         reason: Annotated[str, typer.Option("--reason", help="保全理由 / reason")],
         as_json: JsonOption = False) -> None:
    try:
        ident = UUID(target_id)
    except ValueError:
        raise invalid("target_id", "请给出 UUID", "give a UUID") from None
    with session(tctx) as cli:
        placed = retention.place_hold(cli.uow(), cli.ctx, target=target, target_id=ident, reason=reason)
    if as_json:
        emit_json({"id": str(placed.id), "target": placed.target.value, "target_id": str(placed.target_id)})
        return
    say(f"已设置法律保全 / legal hold placed: {placed.id} on {placed.target_name}")


@app.command("release", help="解除法律保全 / Release a legal hold")
def release(tctx: typer.Context,
            hold_id: Annotated[str, typer.Argument(help="保全编号 / hold id")],
            reason: Annotated[str, typer.Option("--reason", help="解除理由 / reason")]) -> None:
    try:
        ident = UUID(hold_id)
    except ValueError:
        raise invalid("hold_id", "请给出 UUID", "give a UUID") from None
    with session(tctx) as cli:
        done = retention.release_hold(cli.uow(), cli.ctx, ident, reason=reason)
    say(f"已解除法律保全 / legal hold released: {done.id}")
