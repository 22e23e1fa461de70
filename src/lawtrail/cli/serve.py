"""``lawtrail serve``: migrate, optionally load the demo data, then run the web app."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from lawtrail.cli.common import data_dir_of, load, opened, options, say
from lawtrail.cli.demo import print_logins
from lawtrail.cli.init import generate_signing_keys
from lawtrail.config import Settings, write_secret
from lawtrail.services.demo import load_demo

APP_FACTORY = "lawtrail.web.app:create_app_from_env"


def serve(
    tctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="监听地址 / listen address (LAWTRAIL_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="监听端口 / listen port (LAWTRAIL_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(help="进程数 / worker processes (LAWTRAIL_WORKERS)")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="演示模式并载入演示数据 / demo mode with demo data")]
    = False,
) -> None:
    """Migrate the database, load the demo data in demo mode, print the URL and serve."""
    if demo:
        # A demo folder gets a generated secret like any other, so later CLI commands on it
        # (`lawtrail ledger verify`, …) work without demo mode.
        write_secret(data_dir_of(options(tctx)))
    settings = load(options(tctx), host=host, port=port, workers=workers, demo=True if demo else None)
    generate_signing_keys(settings)
    with opened(settings) as container:
        container.migrate()
        summary = load_demo(container) if settings.demo else None
    export_environment(settings)
    say(f"lawtrail 已启动 / running at http://{settings.host}:{settings.port}/")
    if summary is not None:
        print_logins(summary)
    import uvicorn  # only here: the other commands do not pay for the web server's imports

    uvicorn.run(APP_FACTORY, factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_level=settings.log_level.lower())


def export_environment(settings: Settings) -> None:
    """Hand the settings decided here to the app factory, which reads only the environment.

    The secret is not exported: the app reads it from the data folder (or, in demo mode,
    falls back to the demo secret) just as this process did.
    """
    os.environ["LAWTRAIL_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["LAWTRAIL_DEMO"] = "true" if settings.demo else "false"
    os.environ["LAWTRAIL_HOST"] = settings.host
    os.environ["LAWTRAIL_PORT"] = str(settings.port)
    os.environ["LAWTRAIL_WORKERS"] = str(settings.workers)
