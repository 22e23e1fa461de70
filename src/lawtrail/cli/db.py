"""``lawtrail db``: bring the schema up to date, or check it against the code."""

from __future__ import annotations

import typer

from lawtrail.adapters.db.engine import check
from lawtrail.cli.common import load, opened, options, say
from lawtrail.errors import IntegrityError

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade", help="升级数据库结构到最新版本 / Upgrade the schema to the latest version")
def upgrade(tctx: typer.Context) -> None:
    with opened(load(options(tctx))) as container:
        container.migrate()
    say("数据库结构已是最新版本 / the database schema is up to date")


@app.command("check", help="检查数据库结构与代码是否一致 / Check that the schema matches the code")
def check_schema(tctx: typer.Context) -> None:
    from alembic.util import CommandError  # Alembic only for this command (CLI memory)

    with opened(load(options(tctx))) as container:
        try:
            check(container.engine)
        except CommandError as exc:
            reason = " ".join(str(exc).split())[:300]
            raise IntegrityError("数据库结构与代码不一致（请运行 lawtrail db upgrade）",
                                 f"the database schema differs from the code: {reason}",
                                 code="db.schema_drift") from None
    say("数据库结构与代码一致 / the database schema matches the code")
