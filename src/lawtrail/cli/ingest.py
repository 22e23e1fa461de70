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
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
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

if TYPE_CHECKING:
    from lawtrail.cli.remote import Remote

from lawtrail.cli.common import Cli, JsonOption, console, say, session
from lawtrail.domain.media import parse_capture_time
from lawtrail.domain.prefill import CasePrefill
from lawtrail.errors import invalid
from lawtrail.services import ingest as ingest_svc
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


def _run(cli: Cli, files: list[Path], device: str, officer_id: UUID | None, as_json: bool,
         handed_in_at: datetime | None, clock_offset_s: float | None,
         case: CasePrefill | None = None) -> list[IngestResult]:
    """Store ``files`` in this lawtrail: several at once, recorded in batches (services/ingest.py)."""
    c = cli.container
    with _Bars(files, as_json) as bars:
        return ingest_svc.ingest_paths(cli.uow(), cli.ctx, c.blobs, c.probe, files, device_number=device,
                                       officer_id=officer_id, handed_in_at=handed_in_at,
                                       clock_offset_s=clock_offset_s, on_start=bars.start, on_result=bars.done,
                                       case=case)


class _Bars:
    """Rich progress on stderr (a bar per file in flight and one in total: bytes, speed, ETA)
    and, with ``--json``, one JSON line per finished file on stdout. Thread-safe."""

    def __init__(self, files: list[Path], as_json: bool) -> None:
        self.sizes = {p: _size(p) for p in files}
        self.as_json = as_json
        self.bar = _progress()
        self.tasks: dict[str, TaskID] = {}
        self.lock = threading.Lock()

    def __enter__(self) -> _Bars:
        self.bar.__enter__()
        self.total = self.bar.add_task("合计 / total", total=sum(self.sizes.values()))
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)

    def start(self, path: Path) -> Callable[[int], None]:
        one = self.bar.add_task(path.name[:40], total=self.sizes.get(path) or None)
        with self.lock:
            self.tasks[str(path)] = one

        def advance(n: int) -> None:
            self.bar.advance(one, n)
            self.bar.advance(self.total, n)
        return advance

    def done(self, result: IngestResult) -> None:
        with self.lock:
            one = self.tasks.pop(result.path, None)
        if one is not None:
            self.bar.remove_task(one)
        if self.as_json:
            sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
            sys.stdout.flush()


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
    """Upload ``files`` to the remote lawtrail, one after the other, with the same progress and
    JSON lines as ``_run``."""
    remote.check_device(device)  # an unknown device fails before any byte is sent
    officer_id = remote.officer_id(officer) if officer else None
    results: list[IngestResult] = []
    with _Bars(files, as_json) as bars:
        for path in files:
            result = remote.push(path, device=device, officer_id=officer_id, on_bytes=bars.start(path))
            bars.done(result)
            results.append(result)
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
    handed_in: Annotated[str | None, typer.Option(
        "--handed-in-at", help="交接时间（默认为现在；无时区按北京时间），第四十一条24小时从此起算 / when the "
                               "footage was handed in (default now; no zone = Beijing time): Art. 41's 24 h run "
                               "from it")] = None,
    case_number: Annotated[str | None, typer.Option(
        "--case", help="案件编号：每个新入库文件关联该案件，登记第1版预填案由、当事人、执法类别和执法机构 / case "
                       "number: link every stored original to it and prefill registration v1 from it")] = None,
    device_clock: Annotated[str | None, typer.Option(
        "--device-clock", help="交接时读取的设备时钟（记录设备与采集站的时差） / the device's clock as read at "
                               "hand-in: its difference to this station's clock is recorded")] = None,
) -> None:
    if remote_url is not None:
        if handed_in or device_clock or case_number:
            raise invalid("remote", "--handed-in-at、--device-clock 与 --case 仅用于本机入库",
                          "--handed-in-at, --device-clock and --case are for a local ingest only")
        results = _remote(remote_url, token, list(walk(paths)), device, officer, as_json)
    else:
        with session(tctx) as cli:
            vault.find_device(cli.uow(), cli.ctx, device)  # an unknown device fails before any file is read
            # so does an unknown (or archived) case
            case = ingest_svc.case_for_ingest(cli.uow(), cli.ctx, case_number) if case_number else None
            officer_id = queries.user_by_username(cli.uow(), cli.ctx, officer).id if officer else None
            now = cli.ctx.now
            handed_in_at = _time_option("handed-in-at", handed_in, now) if handed_in else None
            offset = (_time_option("device-clock", device_clock, None) - now).total_seconds() if device_clock else None
            results = _run(cli, list(walk(paths)), device, officer_id, as_json, handed_in_at, offset, case)
    if not as_json:
        _summary(results)
    refused = sum(1 for r in results if r.status == "refused")
    if refused:
        sys.stderr.write(f"错误 / error: {refused} 个文件被拒收 / {refused} file(s) refused [vault.refused]\n")
        raise typer.Exit(1)


def _time_option(name: str, text: str, not_after: datetime | None) -> datetime:
    """``--name`` as an aware time (ISO 8601 or ``YYYY-MM-DD HH:MM:SS``; no zone = Beijing time);
    raise ValidationFailed when it cannot be read or lies after ``not_after``."""
    value = parse_capture_time(text)
    if value is None:
        raise invalid(name, f"--{name}：无法识别的时间 {text}（例如 2026-12-01 18:30:00）",
                      f"--{name}: cannot read the time {text!r} (e.g. 2026-12-01 18:30:00)")
    if not_after is not None and value > not_after + timedelta(minutes=1):
        raise invalid(name, f"--{name}：交接时间不能晚于现在", f"--{name}: the hand-in time cannot be in the future")
    return value


def _remote(url: str, token: str | None, files: list[Path], device: str, officer: str | None,
            as_json: bool) -> list[IngestResult]:
    from lawtrail.cli.remote import Remote, token_from_env  # httpx only when pushing (decision 0009: memory)

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
