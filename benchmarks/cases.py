"""Case benchmark (issue 5 "Speed"): every compliance rule over 100,000 cases, and the case list
page, on SQLite and on PostgreSQL, each beside a baseline measured in the same run, with the
number of SQL statements issued (DESIGN.md rules 3 and 10).

``python -m benchmarks.cases [--quick] [--cases N] [--repeat N] [--requests N] [--engine sqlite|postgresql]
[--pg-url URL] [--dir PATH]``; results are recorded in ``docs/benchmarks.md``.

* fixture: ``benchmarks/case_fixture.py`` (the demo bureau made through the services, its
  cases' rows copied N times with bulk inserts) into a fresh SQLite file and a fresh PostgreSQL
  database (created and dropped by the run).
* all rules: ``services.findings.evaluate`` over the whole bureau as the console operator,
  what ``/api/v1/findings`` calls (every evaluator, the record catalogue passed, the
  cases' findings kept: decisions 0048, 0050), median of ``--repeat`` runs after a first one that
  computes and keeps them (reported too), vs reading every row of the tables the rules read
  with a plain ``SELECT *`` through SQLAlchemy (the cost of just reading the data).
* case list: ``GET /cases?stage=S&page=P`` as the bureau's supervisor (``--user``; every case visible, no
  approval badge: ``--user leader`` adds the 待我审批 badge's cost to every page), S and P
  drawn at random over the six stages and all their pages, through the real app in-process
  (Starlette's TestClient: httpx over ASGI, the session cookie, middleware, service, template),
  p50 and p95 of ``--requests`` requests vs the same number of ``GET /login`` (the same app
  and base template, no query).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from benchmarks.case_fixture import Template, fill, make_template
from benchmarks.report import Result, render
from lawtrail.adapters.clock import FixedClock
from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.engine import make_engine, upgrade
from lawtrail.adapters.db.statements import counting
from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.domain.access import system_actor
from lawtrail.domain.cases import Stage
from lawtrail.domain.findings import FindingStatus
from lawtrail.services import findings
from lawtrail.services.demo import DEMO_PASSWORD

QUICK = {"cases": 300, "repeat": 1, "requests": 30}
FULL_SIZES = {"cases": 100_000, "repeat": 3, "requests": 300}
PG_ADMIN = os.environ.get("LAWTRAIL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
#: The tables the rules read (the baseline reads all of their rows).
READ_TABLES = [t.cases, t.case_stage_changes, t.case_handlers, t.case_media, t.record_versions, t.record_signatures,
               t.record_attachments, t.approval_requests, t.approval_actions, t.media, t.media_registrations,
               t.media_marks, t.users, t.user_roles, t.record_catalogues]




def uptime() -> str:
    """The 1-minute load average now (the machine may be shared)."""
    return f"{os.getloadavg()[0]:.2f}"


@dataclass
class Target:
    name: str
    url: str
    container: Container


def new_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A fresh, uniquely named database; return its URL and the function that drops it."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"lawtrail_bench_cases_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def open_target(name: str, url: str, folder: Path, now: Any) -> Target:
    settings = load_settings(data_dir=folder / f"data-{name}", demo=True, database_url=url)
    container = build(settings, fast_hashing=True, clock=FixedClock(now),
                      engine_factory=lambda u: make_engine(u, sqlite_synchronous="NORMAL"))
    upgrade(container.engine)
    return Target(name, url, container)


def build_fixture(targets: list[Target], template: Template, count: int, console: Console) -> dict[str, int]:
    columns = (TextColumn(f"writing {count:,} cases into {' + '.join(x.name for x in targets)}"), BarColumn(),
               MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("fill", total=count)
        written = fill([x.container.engine for x in targets], template, count, lambda n: progress.advance(task, n))
    for target in targets:
        if target.name == "postgresql":
            # VACUUM as autovacuum does after a bulk insert (PostgreSQL ≥ 13), so that counts and
            # id lists can be index-only scans (the visibility map), and ANALYZE for the planner.
            with target.container.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
    return written


def bench_rules(target: Target, repeat: int) -> list[Result]:
    """The compliance engine over all cases vs a plain read of the tables it reads."""
    c = target.container
    with c.engine.connect() as conn:
        bureau_id = conn.execute(select(t.bureaus.c.id)).scalar_one()
    ctx = c.ctx(system_actor("bench", bureau_id))
    times, cpu, counts, found = [], [], [], []
    # One evaluation first that computes everything and keeps the cases' findings
    # (decisions 0048, 0050): what the first one after a new catalogue or a new version costs; then the
    # timed ones, which read them back as every later evaluation does.
    with counting(c.engine) as statements:
        start, start_cpu = time.perf_counter(), time.process_time()
        findings.evaluate(c.uow(), ctx, ctx.now, settings=c.rules, catalogue=c.catalogue, keep=True)
        first = (time.perf_counter() - start, time.process_time() - start_cpu, len(statements))
    for _ in range(repeat):
        with counting(c.engine) as statements:
            start, start_cpu = time.perf_counter(), time.process_time()
            result = findings.evaluate(c.uow(), ctx, ctx.now, settings=c.rules, catalogue=c.catalogue, keep=True)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        counts.append(len(statements))
        found.append(result)
    load = uptime()
    plain, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        with c.engine.connect() as conn:
            rows = sum(len(conn.execute(select(table)).all()) for table in READ_TABLES)
        plain.append(time.perf_counter() - start)
    seconds, base = statistics.median(times), statistics.median(plain)
    last = found[-1]
    overdue = sum(1 for f in last if f.status is FindingStatus.OVERDUE)
    rules = len({f.rule.id for f in last})
    return [
        Result(f"{target.name}: all rules over all cases (median of {repeat})", seconds, base,
               f"plain SELECT of {rows:,} rows", "s", "≤ 10 s", seconds <= 10),
        Result(f"  {target.name}: findings / overdue / rules hit", float(len(last)), None, "", "", "—", None,
               note=f"{len(last):,} / {overdue:,} / {rules}"),
        Result(f"  {target.name}: SQL statements per evaluation", float(counts[-1]), None, "", "", "fixed", None,
               note=f"{counts[-1]} (load {load})"),
        # On a shared machine the wall time is mostly waiting for a core; the process's own CPU
        # time (the database server's excluded) shows what the evaluation itself costs.
        Result(f"  {target.name}: CPU time of this process per evaluation", statistics.median(cpu), None, "",
               "s", "—", None),
        Result(f"  {target.name}: first evaluation, keeping the cases' findings", first[0], None, "",
               "s", "—", None, note=f"CPU {first[1]:.2f} s, {first[2]} statements"),
    ]


def _login(client: TestClient, username: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    done = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf": token.group(1)},
                       follow_redirects=False)
    assert done.status_code in (302, 303), done.text[:300]


def _timed(client: TestClient, engine: Engine, paths: Sequence[str]) -> tuple[list[float], list[int]]:
    times, counts = [], []
    for path in paths:
        with counting(engine) as statements:
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: {response.status_code} {response.text[:300]}")
        counts.append(len(statements))
    return times, counts


def bench_list(target: Target, requests: int, user: str = "supervisor", seed: int = 3) -> list[Result]:
    """``GET /cases?stage=…&page=N`` vs ``GET /login``: p50/p95 and statements per request."""
    from lawtrail.web.app import create_app  # the web stack only for this figure

    c = target.container
    rng = random.Random(seed)  # noqa: S311 (reproducible request mix)
    with c.engine.connect() as conn:
        per_stage = {Stage(s): n for s, n in conn.execute(text("SELECT stage, count(*) FROM cases GROUP BY stage"))}
    stages = [s for s in Stage if per_stage.get(s)]
    paths = []
    for _ in range(requests):
        stage = rng.choice(stages)
        pages = max(1, -(-per_stage[stage] // 20))
        paths.append(f"/cases?stage={stage.value}&page={rng.randint(1, pages)}")
    with TestClient(create_app(c, checkpoint_interval=None)) as client:
        _login(client, user)
        _timed(client, c.engine, paths[:10] + ["/login"] * 10)  # warm up (templates compiled, pool filled)
        times, counts = _timed(client, c.engine, paths)
        load = uptime()
        base, base_counts = _timed(client, c.engine, ["/login"] * requests)
    p50, p95 = statistics.median(times) * 1000, _p95(times) * 1000
    return [
        Result(f"{target.name}: GET /cases?stage=…&page=N as {user}, p95 of {requests}", p95, _p95(base) * 1000,
               "GET /login p95", "ms", "≤ 100 ms", p95 <= 100),
        Result(f"  {target.name}: same, p50", p50, statistics.median(base) * 1000, "GET /login p50", "ms", "—", None),
        Result(f"  {target.name}: SQL statements per request", float(statistics.median(counts)), None, "", "",
               "fixed", None, note=f"{min(counts)}–{max(counts)} (/login: {max(base_counts)}; load {load})"),
    ]


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench-cases", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, figures meaningless")
    parser.add_argument("--cases", type=int, help="synthetic cases (default 100,000)")
    parser.add_argument("--repeat", type=int, help="evaluations timed per engine (default 3; the median)")
    parser.add_argument("--requests", type=int, help="case list requests per engine (default 300)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), action="append",
                        help="only this engine (repeatable; default both)")
    parser.add_argument("--pg-url", default=PG_ADMIN, help="a PostgreSQL URL allowed to CREATE and DROP DATABASE")
    parser.add_argument("--user", action="append", help="the demo login that pages through the case list "
                        "(repeatable; default supervisor: every case, no badge; leader: every case and the 待我审批 "
                        "badge on every page; officer: the cases of his unit)")
    parser.add_argument("--skip-rules", action="store_true", help="time the case list only (not the rules)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (its URL is printed)")
    parser.add_argument("--dir", type=Path,
                        help="where the SQLite file and the template go (default: a temporary folder)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL_SIZES
    for name, default in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    args.engine = args.engine or ["sqlite", "postgresql"]
    args.user = args.user or ["supervisor"]
    return args


def run(args: argparse.Namespace, folder: Path, console: Console) -> list[Result]:
    console.print(f"template: the demo bureau through the services (load {uptime()}) …")
    template = make_template(folder / "template")
    now = template.latest + timedelta(days=2)
    targets: list[Target] = []
    drops: list[Callable[[], None]] = []
    try:
        if "sqlite" in args.engine:
            path = folder / "cases.db"
            path.unlink(missing_ok=True)
            targets.append(open_target("sqlite", f"sqlite:///{path}", folder, now))
        if "postgresql" in args.engine:
            url, drop = new_pg_database(args.pg_url)
            if args.keep:
                console.print(f"PostgreSQL database kept: {make_url(url).render_as_string()}")
            else:
                drops.append(drop)
            targets.append(open_target("postgresql", url, folder, now))
        start = time.perf_counter()
        written = build_fixture(targets, template, args.cases, console)
        console.print(f"fixture: {sum(written.values()):,} rows per engine in {time.perf_counter() - start:.0f} s "
                      f"({template.rows_per_case:.1f} rows per case): "
                      + ", ".join(f"{k} {v:,}" for k, v in sorted(written.items())))
        results: list[Result] = []
        for target in targets:
            if not args.skip_rules:
                console.print(f"{target.name}: all rules (load {uptime()}) …")
                results += bench_rules(target, args.repeat)
            for user in args.user:
                console.print(f"{target.name}: case list as {user} (load {uptime()}) …")
                results += bench_list(target, args.requests, user)
        return results
    finally:
        for target in targets:
            target.container.close()
        for drop in drops:
            drop()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    console = Console(width=max(Console().width, 160))
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        results = run(args, args.dir, console)
    else:
        with tempfile.TemporaryDirectory(prefix="lawtrail-bench-cases-") as tmp:
            results = run(args, Path(tmp), console)
    console.print(render(f"lawtrail case benchmark ({args.cases:,} cases)", results, args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
