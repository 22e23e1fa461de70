"""What SQLite itself allows for the batched-append target (≥ 50,000 events/s): the ledger
benchmark's events inserted into its plain copy of ``events`` with every parameter bound before
the clock starts, so that no Python work per row is timed — only ``executemany`` and COMMIT,
1,000 rows per transaction — first with the table's three secondary indexes (subject, actor,
action and time: what the trail's reads need), then with each one alone and with none.

``python -m benchmarks.ledger_ceiling [--events 100000] [--sync NORMAL|FULL]``

The ledger can only be slower than the first line: it inserts the same rows plus its own
(head, Merkle nodes). Results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from benchmarks.ledger import _PLAIN_INSERT, make_events, new_engine, plain_rows, rate
from benchmarks.report import Result, render
from lawtrail.adapters.db.ledger_repo import event_params

#: The plain table's secondary indexes (``benchmarks.ledger.plain_table``), as ``events`` has them.
INDEXES = ("ix_plain_subject", "ix_plain_actor", "ix_plain_action_time")
BATCH = 1_000


def measure(folder: Path, count: int, sync: str, keep: Sequence[str]) -> float:
    """Rows per second into a fresh plain table that keeps only the secondary indexes ``keep``."""
    engine = new_engine(folder, f"ceiling-{len(keep)}-{'-'.join(keep) or 'none'}.db", sync)
    try:
        with engine.begin() as conn:
            for name in INDEXES:
                if name not in keep:
                    conn.exec_driver_sql(f"DROP INDEX {name}")
        with engine.connect() as conn:
            params = event_params(conn.dialect, plain_rows(list(make_events(count, seed=3)), 0))
        start = time.perf_counter()
        for first in range(0, count, BATCH):
            with engine.begin() as conn:
                conn.exec_driver_sql(_PLAIN_INSERT, params[first:first + BATCH])
        return rate(count, time.perf_counter() - start)
    finally:
        engine.dispose()


def run(count: int, sync: str, folder: Path) -> list[Result]:
    every = measure(folder, count, sync, INDEXES)
    results = [Result(f"plain insert, pre-bound, all three indexes ({sync})", every, None, "", "rows/s",
                      "≥ 50,000", every >= 50_000)]
    for name in INDEXES:
        results.append(Result(f"  only {name}", measure(folder, count, sync, (name,)), every,
                              "all three indexes", "rows/s", "—", None))
    results.append(Result("  no secondary index", measure(folder, count, sync, ()), every, "all three indexes",
                          "rows/s", "—", None))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000, help="rows per measurement (default 100,000)")
    parser.add_argument("--sync", choices=("NORMAL", "FULL"), default="NORMAL")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    with tempfile.TemporaryDirectory() as folder:
        results = run(args.events, args.sync, Path(folder))
    title = f"SQLite ceiling for batched appends ({args.events:,} rows each)"
    Console(width=max(Console().width, 120)).print(render(title, results, quick=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
