"""``lawtrail disclosure``: export an APPROVED disclosure request (Art. 37) as marked copies, each
with its own digest, a manifest and one zip, showing the progress of long transcodes.

Requests and approvals need named people (a requester, a leader), which the console operator is
not; they are made in the web pages or the API. The export itself is recorded as the operator's.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.watermark import FfmpegMarker
from lawtrail.bootstrap import disclosure_store_from
from lawtrail.cli.common import JsonOption, emit_json, say, session
from lawtrail.errors import ValidationFailed, invalid
from lawtrail.services import disclosure

app = typer.Typer(no_args_is_help=True)


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise invalid("request_id", "申请编号须为完整的 UUID", "the request id is a UUID") from None


@app.command("export", help="导出已批准的对外提供（加水印副本、清单、压缩包） / Export an approved disclosure")
def export(tctx: typer.Context,
           request_id: Annotated[str, typer.Argument(help="对外提供申请编号 / disclosure request id")],
           out: Annotated[Path, typer.Option("--out", help="输出目录（新的或空的） / output folder (new or empty)")],
           as_json: JsonOption = False) -> None:
    rid = _uuid(request_id)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValidationFailed(f"输出目录 {out} 已存在且不为空", f"the output folder {out} exists and is not empty",
                               code="disclosure.out_not_empty")
    with session(tctx) as cli:
        uow = SqlUnitOfWork(cli.container.engine)
        copies = disclosure_store_from(cli.container.settings)
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                      console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("制作加水印副本 / marking", total=1.0)

            def progress(index: int, count: int, fraction: float) -> None:
                bar.update(task, completed=(index + fraction) / max(count, 1),
                           description=f"制作加水印副本 / marking {index + 1}/{count}")

            result = disclosure.export(uow, cli.ctx, cli.container.blobs, copies, FfmpegMarker(), rid,
                                       on_progress=progress)
        out.mkdir(parents=True, exist_ok=True)
        bundle = out / f"disclosure-{str(rid)[:8]}.zip"
        with bundle.open("wb") as f:
            disclosure.write_bundle(uow, cli.ctx, copies, result.export.id, f)
        (out / "manifest.json").write_bytes(result.manifest)
    items = [c.as_dict() for c in result.export.copies]
    if as_json:
        emit_json({"request_id": str(rid), "export_id": str(result.export.id), "zip": str(bundle),
                   "manifest_sha256": result.export.manifest_sha256, "mark": result.mark, "items": items})
        return
    for c in result.export.copies:
        say(f"{c.name}: {c.original_sha256[:12]} → {c.copy_sha256[:12]} ({c.method.value})")
    say(f"已导出 / exported: {bundle} — {len(items)} 件 / items, 清单 / manifest {result.export.manifest_sha256}")
