"""``lawtrail ledger``: signed checkpoints, proofs, verification and offline export."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from lawtrail.adapters.ledger_export import TokenCheck

from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.signer import Ed25519Signer, load_signer, note_checker
from lawtrail.bootstrap import Container
from lawtrail.cli.common import JsonOption, emit_json, load, opened, operator_name, options, say
from lawtrail.domain.access import system_actor
from lawtrail.domain.ledger.audit import AuditResult, NoteCheck
from lawtrail.domain.ledger.checkpoint import Checkpoint
from lawtrail.errors import ConfigurationError, ValidationFailed
from lawtrail.services import ledger
from lawtrail.services.context import Ctx

app = typer.Typer(help="账本 / ledger", no_args_is_help=True)


@dataclass(frozen=True)
class LedgerCli:
    container: Container
    origin: str
    data_dir: Path
    every: int
    minutes: int

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.container.engine)

    def ctx(self) -> Ctx:
        """The console acts as a system actor (allowed everything), recorded by operator name."""
        return self.container.ctx(system_actor(operator_name()))

    def signer(self, *, create: bool) -> Ed25519Signer | None:
        try:
            return load_signer(self.data_dir, self.origin, create=create)
        except FileNotFoundError:
            return None


@contextmanager
def opened_ledger(tctx: typer.Context) -> Iterator[LedgerCli]:
    settings = load(options(tctx))
    with opened(settings) as container:
        yield LedgerCli(container, settings.ledger_origin, settings.data_dir, settings.checkpoint_every,
                        settings.checkpoint_minutes)


def _no_key(note: str) -> Checkpoint:
    raise ValueError("no ledger signing key in the data folder")


def _checker(cli: LedgerCli) -> NoteCheck:
    signer = cli.signer(create=False)
    return note_checker(signer.vkey()) if signer is not None else _no_key


def _report(result: AuditResult, as_json: bool, tokens: list[TokenCheck] | None = None) -> None:
    """Print a verification result (and an export's timestamp checks); exit 1 on any problem."""
    if as_json:
        data = result.to_json()
        if tokens is not None:
            data["timestamps"] = [t.to_json() for t in tokens]
        emit_json(data)
    elif result.ok:
        say(f"账本完整 / ledger verified: {result.size} events, {result.checkpoints} checkpoints "
            f"(latest {result.latest_checkpoint})")
        for t in tokens or []:
            say(f"checkpoint {t.size} timestamp: {t.status}" + (f" {t.time.isoformat()}" if t.time else "")
                + (f" ({t.detail})" if t.detail else ""))
    if result.problem is not None:
        p = result.problem
        where = f"leaf {p.leaf}" if p.leaf is not None else f"checkpoint {p.checkpoint_size}"
        sys.stderr.write(f"错误 / error: 账本校验失败 / ledger verification failed: {p.kind.value} at {where}: "
                         f"{p.detail} [ledger.{p.kind.value}]\n")
        raise typer.Exit(1)
    bad = next((t for t in tokens or [] if not t.ok), None)
    if bad is not None:
        sys.stderr.write(f"错误 / error: 时间戳校验失败 / timestamp verification failed: checkpoint {bad.size} "
                         f"{bad.status}: {bad.detail} [ledger.timestamp_{bad.status}]\n")
        raise typer.Exit(1)


@app.command("checkpoint", help="签发检查点 / Sign a checkpoint of the current tree")
def checkpoint(
    tctx: typer.Context,
    if_due: Annotated[bool, typer.Option(
        "--if-due", help="仅当到期时（LAWTRAIL_CHECKPOINT_EVERY 条或 LAWTRAIL_CHECKPOINT_MINUTES 分钟） / "
                         "only when due (enough events or time)")] = False,
    as_json: JsonOption = False,
) -> None:
    with opened_ledger(tctx) as cli:
        signer = cli.signer(create=True)
        assert signer is not None
        ctx = cli.ctx()
        stamper = cli.container.timestamper
        made = (ledger.maybe_checkpoint(cli.uow(), ctx, signer, cli.origin, cli.every, cli.minutes,
                                        timestamper=stamper) if if_due
                else ledger.create_checkpoint(cli.uow(), ctx, signer, cli.origin, timestamper=stamper))
    if made is None:
        if as_json:
            emit_json(None)
        else:
            say("尚未到签发检查点的时候 / no checkpoint due")
        return
    cp = made
    if as_json:
        emit_json({"size": cp.size, "root": cp.root.hex(), "note": cp.note})
    else:
        sys.stdout.write(cp.note)


@app.command("public-key", help="输出账本公钥（C2SP vkey） / Print the ledger's verifier key")
def public_key(tctx: typer.Context) -> None:
    with opened_ledger(tctx) as cli:
        signer = cli.signer(create=False)
    if signer is None:
        raise ConfigurationError("数据目录中没有账本签名密钥", "no ledger signing key in the data folder",
                                 code="ledger.no_key")
    say(signer.vkey())


@app.command("proof", help="存在性证明 / Inclusion proof of one event")
def proof(
    tctx: typer.Context,
    index: Annotated[int, typer.Argument(help="记录序号 / leaf index")],
    size: Annotated[int | None, typer.Option("--size", help="树大小（默认最新检查点） / tree size")] = None,
    as_json: JsonOption = False,
) -> None:
    with opened_ledger(tctx) as cli:
        found = ledger.inclusion_proof(cli.uow(), cli.ctx(), index, size)
    if as_json:
        emit_json(found.to_json())
        return
    say(f"leaf {found.leaf_index} in tree {found.tree_size}: {found.leaf_hash.hex()}")
    for value in found.hashes:
        say(value.hex())


@app.command("consistency", help="一致性证明 / Consistency proof between two sizes")
def consistency(
    tctx: typer.Context,
    first: Annotated[int, typer.Argument(help="较小的树大小 / first size")],
    second: Annotated[int, typer.Argument(help="较大的树大小 / second size")],
    as_json: JsonOption = False,
) -> None:
    with opened_ledger(tctx) as cli:
        found = ledger.consistency_proof(cli.uow(), cli.ctx(), first, second)
    if as_json:
        emit_json(found.to_json())
        return
    say(f"tree {found.first_size} -> {found.second_size}")
    for value in found.hashes:
        say(value.hex())


@app.command("verify", help="校验整个账本 / Verify the whole ledger")
def verify(tctx: typer.Context, as_json: JsonOption = False) -> None:
    with opened_ledger(tctx) as cli:
        result = ledger.verify(cli.uow(), cli.ctx(), _checker(cli))
    _report(result, as_json)


@app.command("export", help="导出账本供离线校验 / Export the ledger for offline verification")
def export(
    tctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="导出目录（须为空） / empty output folder")],
) -> None:
    with opened_ledger(tctx) as cli:
        signer = cli.signer(create=False)
        if signer is None:
            raise ConfigurationError("数据目录中没有账本签名密钥（先运行 lawtrail ledger checkpoint）",
                                     "no ledger signing key (run `lawtrail ledger checkpoint` first)",
                                     code="ledger.no_key")
        from lawtrail.adapters.ledger_export import FolderExport
        from lawtrail.adapters.tsa import TokenFiles

        try:
            with FolderExport(out, signer.vkey()) as sink:
                count = ledger.export(cli.uow(), cli.ctx(), TokenFiles(sink, out))
        except FileExistsError:
            raise ValidationFailed(f"导出目录 {out} 不为空", f"the export folder {out} is not empty",
                                   code="ledger.export_not_empty") from None
    say(f"已导出 {count} 条记录到 {out} / exported {count} events")


@app.command("verify-export", help="离线校验导出目录 / Verify an exported folder")
def verify_export_cmd(
    folder: Annotated[Path, typer.Argument(help="导出目录 / export folder")],
    vkey: Annotated[str | None, typer.Option("--vkey", help="公布的公钥 / published verifier key")] = None,
    tsa_ca: Annotated[Path | None, typer.Option(
        "--tsa-ca", help="时间戳机构的CA证书（PEM），同时校验可信时间戳 / "
                         "the TSA's CA bundle: also verify the RFC 3161 timestamps")] = None,
    as_json: JsonOption = False,
) -> None:
    # The offline verifier and the TSA client only for the commands that use them (CLI memory).
    from lawtrail.adapters.ledger_export import verify_export, verify_export_tokens
    from lawtrail.adapters.tsa import TimestampError, TokenVerifier

    try:
        result = verify_export(folder, vkey)
        tokens = verify_export_tokens(folder, TokenVerifier.from_file(tsa_ca)) if tsa_ca else None
    except TimestampError as exc:
        raise ValidationFailed(f"无法读取时间戳CA证书：{exc}", f"cannot read the TSA CA bundle: {exc}",
                               code="ledger.no_tsa_ca") from None
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise ValidationFailed(f"无法读取导出目录：{exc}", f"cannot read the export folder: {exc}",
                               code="ledger.export_unreadable") from None
    _report(result, as_json, tokens)


@app.command("timestamps", help="校验检查点的可信时间戳 / Verify the checkpoints' RFC 3161 timestamps")
def timestamps_cmd(tctx: typer.Context, as_json: JsonOption = False) -> None:
    from lawtrail.bootstrap import timestamp_verifier_from
    from lawtrail.services.timestamps import verify_timestamps

    with opened_ledger(tctx) as cli:
        verifier = timestamp_verifier_from(cli.container.settings)
        if verifier is None:
            raise ConfigurationError("未设置 LAWTRAIL_TSA_CA_FILE，无法校验时间戳",
                                     "set LAWTRAIL_TSA_CA_FILE to verify timestamps", code="ledger.no_tsa_ca")
        report = verify_timestamps(cli.uow(), cli.ctx(), verifier)
    if as_json:
        emit_json(report.to_json())
    else:
        for c in report.checks:
            say(f"checkpoint {c.size}: {c.status}" + (f" {c.time.isoformat()}" if c.time else "")
                + (f" ({c.detail})" if c.detail else ""))
    bad = next((c for c in report.checks if not c.ok), None)
    if bad is not None:
        sys.stderr.write(f"错误 / error: 时间戳校验失败 / timestamp verification failed: checkpoint {bad.size} "
                         f"{bad.status}: {bad.detail} [ledger.timestamp_{bad.status}]\n")
        raise typer.Exit(1)
