"""``lawtrail ingest``: a collection station hands in a day's footage (Art. 40–42).

Walks the given folders (sorted, hidden files and folders skipped), stores every file as a
write-once original, shows Rich progress on stderr (per file and total bytes, speed, ETA), and
ends with a summary table — or, with ``--json``, prints one JSON object per file (JSON lines).
Exits 1 when any file was refused.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from lawtrail.cli.common import Cli, JsonOption, console, say, session
from lawtrail.cli.remote import Remote, token_from_env
from lawtrail.errors import invalid
from lawtrail.services import queries, vault
from lawtrail.services.vault import IngestResult

STATUS_LABELS = {"stored": "已入库 / stored", "duplicate": "已存在 / already in the vault",
                 "refused": "拒收 / refused"}


def walk(paths: list[Path]) -> Iterator[Path]:
    """Every file under ``paths``, folder by folder in sorted order; names starting with ``.``
    are skipped inside folders. A path that is not a folder (or is a symlink to one) is yielded
    as given, so the service can refuse it with a reason."""
    for root in paths:
        if root.is_dir() and not root.is_symlink():
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(folder) / name
        else:
            yield root


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size if path.is_file() and not path.is_symlink() else 0
    except OSError:
        return 0


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                    disable=not sys.stderr.isatty())


def _run(cli: Cli, files: list[Path], device: str, officer_id: UUID | None, as_json: bool) -> list[IngestResult]:
    c = cli.container
    sizes = [_size(p) for p in files]
    results: list[IngestResult] = []
    with _progress() as bar:
        total = bar.add_task("合计 / total", total=sum(sizes))
        for path, size in zip(files, sizes, strict=True):
            one: TaskID = bar.add_task(path.name[:40], total=size or None)

            def advance(n: int, one: TaskID = one) -> None:
                bar.advance(one, n)
                bar.advance(total, n)

            result = vault.ingest_file(cli.uow(), cli.ctx, c.blobs, c.probe, path=path, device_number=device,
                                       officer_id=officer_id, on_bytes=advance)
            bar.remove_task(one)
            results.append(result)
            if as_json:
                sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
    return results


def _summary(results: list[IngestResult]) -> None:
    counts: Counter[str] = Counter(r.status for r in results)
    sizes = {s: sum(r.size or 0 for r in results if r.status == s) for s in STATUS_LABELS}
    table = Table(title="入库结果 / ingest summary")
    for col in ("状态 / status", "文件 / files", "字节 / bytes"):
        table.add_column(col)
    for status, label in STATUS_LABELS.items():
        table.add_row(label, str(counts[status]), str(sizes[status]))
    console.print(table)
    for r in results:
        if r.status == "refused":
            say(f"拒收 / refused: {r.path}: {r.reason}")


def _push(files: list[Path], remote: Remote, device: str, officer: str | None, as_json: bool) -> list[IngestResult]:
    """Upload ``files`` to the remote lawtrail with the same progress and JSON lines as ``_run``."""
    remote.check_device(device)  # an unknown device fails before any byte is sent
    officer_id = remote.officer_id(officer) if officer else None
    sizes = [_size(p) for p in files]
    results: list[IngestResult] = []
    with _progress() as bar:
        total = bar.add_task("合计 / total", total=sum(sizes))
        for path, size in zip(files, sizes, strict=True):
            one: TaskID = bar.add_task(path.name[:40], total=size or None)

            def advance(n: int, one: TaskID = one) -> None:
                bar.advance(one, n)
                bar.advance(total, n)

            result = remote.push(path, device=device, officer_id=officer_id, on_bytes=advance)
            bar.remove_task(one)
            results.append(result)
            if as_json:
                sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
                sys.stdout.flush()
    return results


def ingest(
    tctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="文件或文件夹 / files or folders")],
    device: Annotated[str, typer.Option("--device", help="设备编号 / device number")],
    officer: Annotated[str | None, typer.Option(
        "--officer", help="执法人员用户名（省略时取拍摄时的领用人） / officer's username "
                          "(default: the device's holder at capture time)")] = None,
    as_json: JsonOption = False,
    remote_url: Annotated[str | None, typer.Option(
        "--remote", help="推送到远程 lawtrail（其网址） / push to a remote lawtrail at this URL")] = None,
    token: Annotated[str | None, typer.Option(
        "--token", help="远程 API 令牌（或 LAWTRAIL_REMOTE_TOKEN） / the remote's API token "
                        "(or LAWTRAIL_REMOTE_TOKEN)")] = None,
) -> None:
    if remote_url is not None:
        results = _remote(remote_url, token, list(walk(paths)), device, officer, as_json)
    else:
        with session(tctx) as cli:
            vault.find_device(cli.uow(), cli.ctx, device)  # an unknown device fails before any file is read
            officer_id = queries.user_by_username(cli.uow(), cli.ctx, officer).id if officer else None
            results = _run(cli, list(walk(paths)), device, officer_id, as_json)
    if not as_json:
        _summary(results)
    refused = sum(1 for r in results if r.status == "refused")
    if refused:
        sys.stderr.write(f"错误 / error: {refused} 个文件被拒收 / {refused} file(s) refused [vault.refused]\n")
        raise typer.Exit(1)


def _remote(url: str, token: str | None, files: list[Path], device: str, officer: str | None,
            as_json: bool) -> list[IngestResult]:
    key = token_from_env(token)
    if not key:
        raise invalid("token", "推送到远程需要 API 令牌（--token 或 LAWTRAIL_REMOTE_TOKEN）",
                      "pushing to a remote needs an API token (--token or LAWTRAIL_REMOTE_TOKEN)")
    if not url.startswith(("http://", "https://")):
        raise invalid("remote", "远程地址须以 http:// 或 https:// 开头", "--remote must start with http:// or https://")
    remote = Remote(url, key)
    try:
        return _push(files, remote, device, officer, as_json)
    finally:
        remote.close()
