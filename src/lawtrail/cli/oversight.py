"""``lawtrail oversight``: supervision. ``snapshot`` stores today's dashboard counts of every unit
(for cron, e.g. at 23:55; the running app also refreshes it hourly). Not a ledger event."""

from __future__ import annotations

import typer

from lawtrail.cli.common import JsonOption, emit_json, say, session
from lawtrail.services import oversight

app = typer.Typer(no_args_is_help=True)


@app.command("snapshot", help="保存今日监督看板快照 / Store today's dashboard snapshot")
def snapshot(tctx: typer.Context, as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        written = oversight.take_snapshot(cli.uow(), cli.ctx, settings=cli.container.rules,
                                          catalogue=cli.container.catalogue)
    if as_json:
        emit_json({"bureaus": {str(b): n for b, n in written.items()}, "rows": sum(written.values())})
    else:
        say(f"已保存快照 / snapshot stored: {len(written)} bureau(s), {sum(written.values())} rows")
