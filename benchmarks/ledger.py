"""Ledger benchmark: appends, inclusion proofs and full verification, each beside a baseline
measured in the same run, so the ledger's cost reads as a ratio (DESIGN.md rule 10).

``python -m benchmarks.ledger [--quick] [--events N] [--single N] [--batched N] [--batch-size N]
[--sync FULL,NORMAL] [--dir PATH]``; results are recorded in ``docs/benchmarks.md``.

* single: N committed one-event transactions (unit of work + ``SqlEvents.append``) vs the
  same inserts, one per transaction, into a plain copy of the ``events`` table (same columns
  and indexes, no Merkle nodes, no head row).
* batched: N events through ``append_many`` in transactions of ``--batch-size`` vs the same
  rows inserted into the plain table in transactions of the same size.
* proof: inclusion proofs (the service, one transaction each) at ``--events`` leaves vs
  reading one event row by primary key in one transaction.
* verify: ``services.ledger.verify`` of ``--events`` leaves vs streaming the same rows with a
  plain ``SELECT`` on the raw DBAPI cursor.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Connection, Engine, Index, MetaData, Table, select

from benchmarks.report import Result, render
from lawtrail.adapters.db import ledger_scan
from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.engine import make_engine, upgrade
from lawtrail.adapters.db.ledger_repo import event_params
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.access import system_actor
from lawtrail.domain.events import Action, Event
from lawtrail.domain.ledger.checkpoint import Checkpoint
from lawtrail.services import ledger as ledger_service
from lawtrail.services.context import Ctx

QUICK = {"events": 3_000, "single": 40, "batched": 2_000}
FULL_SIZES = {"events": 1_000_000, "single": 3_000, "batched": 100_000}
T0 = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
CTX = Ctx(actor=system_actor("bench"), now=T0)
NAMES = ["张三", "李四", "王五", "赵六", "Zhang Wei"]


def make_events(count: int, seed: int = 1) -> Iterator[Event]:
    """``count`` realistic events: Chinese names, before/after snapshots, request ids."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
    actions = [a for a in Action if not a.value.startswith("ledger:")]  # no checkpoint announcements
    for n in range(count):
        name = rng.choice(NAMES)
        yield Event(
            id=uuid.UUID(int=rng.getrandbits(128), version=4), occurred_at=T0 + timedelta(microseconds=n * 1013),
            actor_id=uuid.UUID(int=rng.getrandbits(128), version=4), actor_name=name,
            action=rng.choice(actions).value, subject_type="user", subject_id=str(rng.randrange(10**6)),
            subject_name=f"{name}（执法人员）",
            before={"display_name": name, "active": True, "unit": "一科"} if n % 3 else None,
            after={"display_name": name + "（改）", "active": n % 2 == 0, "roles": ["officer", "reviewer"]},
            request_id=f"req-{n:08d}",
        )


def plain_table() -> Table:
    """A copy of ``events`` (same columns, unique id, same three indexes) outside the ledger: no
    head row, no Merkle nodes, no append-only triggers."""
    meta = MetaData()
    table = Table("plain_events", meta, *(column._copy() for column in t.events.columns))
    Index("ix_plain_subject", table.c.subject_type, table.c.subject_id, table.c.seq)
    Index("ix_plain_actor", table.c.actor_id, table.c.seq)
    Index("ix_plain_action_time", table.c.action, table.c.occurred_at)
    return table


def new_engine(folder: Path, name: str, sync: str) -> Engine:
    engine = make_engine(f"sqlite:///{folder / name}", sqlite_synchronous=sync)
    upgrade(engine)
    plain_table().metadata.create_all(engine)
    return engine


def plain_rows(events: Sequence[Event], first: int) -> list[dict[str, Any]]:
    # A 32-byte value in place of the leaf hash, so both tables store the same row sizes.
    return [{**vars(e), "seq": first + i, "leaf_hash": e.id.bytes * 2} for i, e in enumerate(events)]


_PLAIN_INSERT = (f"INSERT INTO plain_events ({', '.join(c.name for c in t.events.columns)}) "  # noqa: S608
                 f"VALUES ({', '.join('?' for _ in t.events.columns)})")


def plain_insert(conn: Connection, events: Sequence[Event], first: int) -> None:
    """The baseline insert, done the way ``SqlEvents.append_many`` inserts into ``events`` on
    SQLite (the columns' own bind processors, then the driver's executemany), so that the
    ratio is the ledger's own cost and not a difference in how rows reach the driver."""
    conn.exec_driver_sql(_PLAIN_INSERT, event_params(conn.dialect, plain_rows(events, first)))


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def bench_single(engine: Engine, count: int) -> tuple[float, float]:
    """Return (ledger, plain) committed single-event transactions per second."""
    events = list(make_events(count, seed=2))
    uow = SqlUnitOfWork(engine)
    start = time.perf_counter()
    for event in events:
        with uow:
            uow.events.append(event)
            uow.commit()
    ledger = rate(count, time.perf_counter() - start)
    start = time.perf_counter()
    for seq, event in enumerate(events):
        with engine.begin() as conn:
            plain_insert(conn, [event], seq)
    return ledger, rate(count, time.perf_counter() - start)


def append_batches(engine: Engine, events: Iterator[Event], batch: int, on_batch: Callable[[int], None]) -> None:
    uow = SqlUnitOfWork(engine)
    chunk: list[Event] = []
    for event in events:
        chunk.append(event)
        if len(chunk) == batch:
            _append_chunk(uow, chunk, on_batch)
            chunk = []
    if chunk:
        _append_chunk(uow, chunk, on_batch)


def _append_chunk(uow: SqlUnitOfWork, chunk: list[Event], on_batch: Callable[[int], None]) -> None:
    with uow:
        uow.events.append_many(chunk)
        uow.commit()
    on_batch(len(chunk))


def bench_batched(engine: Engine, count: int, batch: int) -> tuple[float, float]:
    """Return (ledger, plain) events per second, in transactions of ``batch`` events."""
    events = list(make_events(count, seed=3))
    start = time.perf_counter()
    append_batches(engine, iter(events), batch, lambda _n: None)
    ledger = rate(count, time.perf_counter() - start)
    start = time.perf_counter()
    for first in range(0, count, batch):
        with engine.begin() as conn:
            plain_insert(conn, events[first:first + batch], first)
    return ledger, rate(count, time.perf_counter() - start)


def build(engine: Engine, count: int, batch: int, console: Console) -> None:
    """Fill the ledger with ``count`` events, showing progress."""
    columns = (TextColumn("building the ledger"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("build", total=count)
        append_batches(engine, make_events(count, seed=4), batch, lambda n: progress.advance(task, n))


def bench_proof(engine: Engine, size: int, samples: int) -> tuple[float, float]:
    """Return (proof, primary-key lookup) median milliseconds, one transaction each."""
    rng = random.Random(5)  # noqa: S311 (reproducible sample of leaf indexes)
    indexes = [rng.randrange(size) for _ in range(samples)]
    uow = SqlUnitOfWork(engine)
    proof_times, lookup_times = [], []
    for index in indexes:
        start = time.perf_counter()
        proof = ledger_service.inclusion_proof(uow, CTX, index, size)
        proof_times.append(time.perf_counter() - start)
        assert proof.tree_size == size
        start = time.perf_counter()
        with uow:
            row = uow.connection.execute(select(t.events).where(t.events.c.seq == index)).first()
        lookup_times.append(time.perf_counter() - start)
        assert row is not None
    return statistics.median(proof_times) * 1000, statistics.median(lookup_times) * 1000


def _no_checkpoints(note: str) -> Checkpoint:
    raise ValueError("the benchmark ledger has no checkpoints")


#: The verification paths of the A/B lines: LAWTRAIL_LEDGER_NATIVE for the workers (decision 0045).
VERIFY_MODES = {"c-api": None, "rows": "rows", "python": "0"}


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the scan's worker processes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def time_verify(engine: Engine, size: int, mode: str = "c-api") -> tuple[float, float]:
    """(events per second, CPU µs per event of this process and its workers) of
    ``services.ledger.verify`` over the whole ledger. ``mode``: ``c-api`` the default build
    (chunks scanned in C through SQLite's C API, decision 0045), ``rows`` rows fetched by the
    sqlite3 module with the per-row C work (decision 0032), ``python`` no C extension at all."""
    env = VERIFY_MODES[mode]
    saved, saved_file = ledger_scan._native, ledger_scan._scan_file
    saved_env = os.environ.get("LAWTRAIL_LEDGER_NATIVE")
    if env is not None:
        os.environ["LAWTRAIL_LEDGER_NATIVE"] = env
        ledger_scan._scan_file = None
        if env == "0":
            ledger_scan._native = None
    try:
        cpu, start = _cpu(), time.perf_counter()
        result = ledger_service.verify(SqlUnitOfWork(engine), CTX, _no_checkpoints)
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    finally:
        ledger_scan._native, ledger_scan._scan_file = saved, saved_file
        if saved_env is None:
            os.environ.pop("LAWTRAIL_LEDGER_NATIVE", None)
        else:
            os.environ["LAWTRAIL_LEDGER_NATIVE"] = saved_env
    if not result.ok or result.size != size:
        raise SystemExit(f"verification failed: {result.to_json()}")
    return rate(size, seconds), cpu / size * 1e6


def bench_select(engine: Engine, size: int) -> tuple[float, float]:
    """(rows per second, CPU µs per row) of streaming the rows with a plain ``SELECT``."""
    cpu, start = _cpu(), time.perf_counter()
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("SELECT * FROM events ORDER BY seq")
        rows = 0
        while batch := cursor.fetchmany(5000):
            rows += len(batch)
        cursor.close()
    if rows != size:
        raise SystemExit(f"plain SELECT read {rows} rows, expected {size}")
    return rate(size, time.perf_counter() - start), (_cpu() - cpu) / size * 1e6


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench-ledger", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, figures meaningless")
    parser.add_argument("--events", type=int, help="ledger size for proof and verify (default 1,000,000)")
    parser.add_argument("--single", type=int, help="single-event transactions per mode (default 3,000)")
    parser.add_argument("--batched", type=int, help="events appended in batches per mode (default 100,000)")
    parser.add_argument("--batch-size", type=int, default=1000, help="events per batched transaction")
    parser.add_argument("--sync", default="FULL,NORMAL", help="SQLite synchronous modes for appends")
    parser.add_argument("--no-python-verify", dest="python_verify", action="store_false",
                        help="skip verifying again by the older paths (the A/B lines)")
    parser.add_argument("--verify-only", action="store_true",
                        help="no append or proof figures: verification of the ledger in --dir (built once)")
    parser.add_argument("--dir", type=Path, help="where the databases go (default: a temporary folder)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL_SIZES
    for name, default in sizes.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


def load() -> str:
    """The 1-minute load average now: the figures of a shared machine need it beside them."""
    return f" · load {os.getloadavg()[0]:.1f}"


def node_rows(engine: Engine) -> float:
    with engine.connect() as conn:
        nodes = conn.exec_driver_sql("SELECT count(*) FROM ledger_nodes").scalar_one()
        events = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
    return nodes / events if events else 0.0


def run(args: argparse.Namespace, folder: Path, console: Console) -> list[Result]:
    results: list[Result] = []
    for sync in [] if args.verify_only else [s.strip().upper() for s in args.sync.split(",") if s.strip()]:
        engine = new_engine(folder, f"single-{sync}.db", sync)
        ledger, plain = bench_single(engine, args.single)
        engine.dispose()
        results.append(Result(f"single-event tx/s (synchronous={sync}){load()}", ledger, plain, "plain insert tx/s",
                              "tx/s", "≥ 2,000", ledger >= 2000))
        engine = new_engine(folder, f"batched-{sync}.db", sync)
        ledger, plain = bench_batched(engine, args.batched, args.batch_size)
        engine.dispose()
        results.append(Result(f"batched events/s ({args.batch_size}/tx, synchronous={sync}){load()}", ledger, plain,
                              "plain insert events/s", "events/s", "≥ 50,000", ledger >= 50_000))
    reuse = args.verify_only and (folder / "big.db").exists()
    engine = new_engine(folder, "big.db", "NORMAL")
    if not reuse:
        build(engine, args.events, 10_000, console)
    if not args.verify_only:
        proof, lookup = bench_proof(engine, args.events, 200)
        results.append(Result(f"ledger_nodes rows per event at {args.events:,}", node_rows(engine), None, "", "rows",
                              "—", None))
        results.append(Result(f"inclusion proof at {args.events:,} (median){load()}", proof, lookup,
                              "PK lookup of one row", "ms", "< 5 ms", proof < 5))
    results.extend(verify_results(engine, args))
    engine.dispose()
    return results


def verify_results(engine: Engine, args: argparse.Namespace) -> list[Result]:
    """Verification by each path, in the same run, with the CPU time per event beside it."""
    verify, cpu = time_verify(engine, args.events)
    select_rate, select_cpu = bench_select(engine, args.events)
    results = [Result(f"full verification of {args.events:,}{load()}", verify, select_rate, "plain SELECT streaming",
                      "events/s", "≥ 300,000", verify >= 300_000),
               Result("  CPU per event, all processes", cpu, select_cpu, "plain SELECT, one process", "µs", "—", None)]
    if args.python_verify:
        for mode, label in (("rows", "rows fetched by the sqlite3 module, per-row C (0032)"),
                            ("python", "without the C extension")):
            slow, slow_cpu = time_verify(engine, args.events, mode)
            results.append(Result(f"  same, {label}{load()}", slow, select_rate, "plain SELECT streaming",
                                  "events/s", "—", None))
            results.append(Result("  CPU per event, all processes", slow_cpu, select_cpu,
                                  "plain SELECT, one process", "µs", "—", None))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    console = Console(width=max(Console().width, 150))
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
        results = run(args, args.dir, console)
    else:
        with tempfile.TemporaryDirectory(prefix="lawtrail-bench-") as tmp:
            results = run(args, Path(tmp), console)
    console.print(render("lawtrail ledger benchmark", results, args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
