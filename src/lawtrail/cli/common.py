"""Shared by every command group: settings from ``--data-dir`` and ``LAWTRAIL_*``, the
container, the acting operator, one-line errors and ``--json`` output.

Errors are translated here and nowhere else (DESIGN.md rule 5): ``main`` catches every
``LawtrailError`` and prints ``错误 / error: <zh> / <en> [code]`` on stderr, exit status 1.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError, ProgrammingError

from lawtrail.bootstrap import Container, build
from lawtrail.config import Settings, load_settings
from lawtrail.domain.access import system_actor
from lawtrail.domain.org import Bureau, local_date
from lawtrail.errors import ConfigurationError, LawtrailError, NotFound, ValidationFailed, invalid
from lawtrail.services import queries
from lawtrail.services.context import Ctx, Deps
from lawtrail.services.ports import UnitOfWork

#: Piped output is not cut to 80 columns, so that `grep` sees whole cells.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")]


@dataclass(frozen=True)
class Options:
    """The global options, kept on the root Typer context."""

    data_dir: Path | None = None
    bureau: str | None = None


def options(tctx: typer.Context) -> Options:
    obj = tctx.find_root().obj
    return obj if isinstance(obj, Options) else Options()


def load(opts: Options, **overrides: object) -> Settings:
    """Settings from the environment, ``--data-dir`` winning over ``LAWTRAIL_DATA_DIR``."""
    return load_settings(data_dir=opts.data_dir, **overrides)


def data_dir_of(opts: Options) -> Path:
    """The data folder, found before a secret exists (``lawtrail init`` writes it).

    ``demo=True`` only lifts the secret check so the folder can be read from the environment
    the same way as everywhere else; these settings are used for nothing else.
    """
    return opts.data_dir or load_settings(demo=True).data_dir


@contextmanager
def opened(settings: Settings) -> Iterator[Container]:
    container = build(settings)
    try:
        yield container
    finally:
        container.close()


def os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container may run under a uid with no passwd entry
        return str(os.getuid())


def operator_name() -> str:
    """How the event trail names someone at the server's console."""
    return f"lawtrail-cli ({os_user()})"


@dataclass(frozen=True)
class Cli:
    """An open container, the bureau being administered and the operator's service context."""

    container: Container
    bureau: Bureau
    ctx: Ctx

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        return self.container.uow(read_only=read_only)

    @property
    def deps(self) -> Deps:
        return self.container.deps

    @property
    def today(self) -> date:
        """The bureau's calendar date (certificate status is a local-calendar question)."""
        return local_date(self.ctx.now)


@contextmanager
def session(tctx: typer.Context) -> Iterator[Cli]:
    """Open the data folder and act as the console operator on the chosen bureau."""
    opts = options(tctx)
    with opened(load(opts)) as container:
        bureau = pick_bureau(container, opts.bureau)
        actor = system_actor(operator_name(), bureau.id)
        yield Cli(container, bureau, container.ctx(actor))


def pick_bureau(container: Container, code: str | None) -> Bureau:
    """The bureau named by ``--bureau``, or the only one; raise when that is not clear."""
    bureaus = queries.list_bureaus(container.uow(), container.system_ctx())
    if not bureaus:
        raise ConfigurationError("数据目录尚未初始化：请先运行 lawtrail init",
                                 "the data folder is not initialised: run `lawtrail init` first",
                                 code="cli.not_initialised")
    if code is not None:
        found = next((b for b in bureaus if b.code == code.strip()), None)
        if found is None:
            raise NotFound(f"机关代码 {code} 不存在", f"unknown bureau code {code!r}", code="bureau.not_found")
        return found
    if len(bureaus) > 1:
        codes = ", ".join(b.code for b in bureaus)
        raise ValidationFailed(f"有多个机关，请用 --bureau 指定：{codes}",
                               f"several bureaus exist; choose one with --bureau: {codes}",
                               code="cli.bureau_ambiguous")
    return bureaus[0]


# ---- input ------------------------------------------------------------------------------


def parse_date(value: str | None, field_name: str, label: str) -> date | None:
    """``YYYY-MM-DD`` exactly, or None when not given; raise ValidationFailed otherwise."""
    if value is None:
        return None
    text = value.strip()
    if DATE_RE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise invalid(field_name, f"{label}须为 YYYY-MM-DD 格式的有效日期（收到 {value!r}）",
                  f"{field_name} must be a valid date YYYY-MM-DD (got {value!r})")


def read_password(given: str | None, label: str = "密码 / password") -> str:
    """The password from the option, or asked twice without echo."""
    if given is not None:
        return given
    return str(typer.prompt(label, hide_input=True,
                            confirmation_prompt="再输入一次 / repeat for confirmation"))


# ---- output -----------------------------------------------------------------------------


def emit_json(data: Any) -> None:
    """Pure JSON on stdout (no Rich markup), UTF-8 text kept readable."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def say(text: str) -> None:
    """One plain line on stdout (never interpreted as Rich markup)."""
    console.print(text, markup=False, soft_wrap=True)


def error_line(exc: LawtrailError) -> str:
    """``错误 / error: <zh> / <en> [code]`` on a single line, every bad field included."""
    zh, en = exc.message_zh, exc.message_en
    if len(exc.problems) > 1:
        zh = "输入有误：" + "；".join(p.message_zh for p in exc.problems)
        en = "Invalid input: " + "; ".join(p.message_en for p in exc.problems)
    tag = exc.code + (f", {exc.article}" if exc.article else "")
    return " ".join(f"错误 / error: {zh} / {en} [{tag}]".split())


def fail(exc: LawtrailError) -> NoReturn:
    sys.stderr.write(error_line(exc) + "\n")
    raise SystemExit(1)


def database_error(exc: OperationalError | ProgrammingError) -> ConfigurationError:
    reason = " ".join(str(exc.orig).split())[:200]
    return ConfigurationError(
        "无法使用数据库（未初始化或无法连接）：请先运行 lawtrail init 或 lawtrail db upgrade",
        f"cannot use the database (not initialised or unreachable; run `lawtrail init` or "
        f"`lawtrail db upgrade`): {reason}",
        code="db.unavailable",
    )


def main(app: typer.Typer) -> None:
    """Run ``app``; the one place where domain and database errors become one stderr line."""
    try:
        app()
    except LawtrailError as exc:
        fail(exc)
    except (OperationalError, ProgrammingError) as exc:
        fail(database_error(exc))
