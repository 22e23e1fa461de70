"""Prove that a change to the compliance engine keeps its results: build a fixed case fixture
once, dump every finding of ``services.findings.evaluate`` over it (sorted, one JSON line each:
rule, subject, status, due_at, messages, unit, people), and compare later dumps with it.

``python -m benchmarks.rules_golden make --dir D [--cases 10000] [--engine postgresql]``  the fixture
(kept: a SQLite file in D, or a new PostgreSQL database whose URL is kept in D)
``python -m benchmarks.rules_golden dump --dir D --out F [--profile P]``  evaluate, write F
``python -m benchmarks.rules_golden check --dir D --golden F``  evaluate, exit 1 if F differs

``dump`` and ``check`` store the findings of the cases computed by the evaluation (decision
0048, 0050; ``--no-keep``: not), so a second ``check`` proves the findings read back from the store.

Each dump prints the CPU time, wall time and SQL statements of the evaluation (the fixture's
ids are random, so a golden file belongs to its fixture folder; ``now`` is kept beside it).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from benchmarks.case_fixture import fill, make_template
from benchmarks.cases import PG_ADMIN, Target, new_pg_database, open_target, uptime
from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.statements import counting
from lawtrail.domain.access import system_actor
from lawtrail.domain.findings import Finding
from lawtrail.services import findings


def make(folder: Path, count: int, engine: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    template = make_template(folder / "template")
    now = template.latest + timedelta(days=2)
    (folder / "now.txt").write_text(now.isoformat())
    if engine == "postgresql":
        url, _drop = new_pg_database(PG_ADMIN)
        (folder / "pg_url.txt").write_text(url)
    else:
        path = folder / "cases.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    target = open_target(engine, url, folder, now)
    try:
        fill([target.container.engine], template, count, lambda n: None)
        if engine == "postgresql":
            with target.container.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
    finally:
        target.container.close()


def _target(folder: Path, now: datetime) -> Target:
    if (folder / "pg_url.txt").exists():
        return open_target("postgresql", (folder / "pg_url.txt").read_text(), folder, now)
    return open_target("sqlite", f"sqlite:///{folder / 'cases.db'}", folder, now)


def line(f: Finding) -> str:
    return json.dumps(f.to_json(), ensure_ascii=False, sort_keys=True)


def evaluate(folder: Path, profile: Path | None = None, keep: bool = True) -> list[str]:
    now = datetime.fromisoformat((folder / "now.txt").read_text())
    target = _target(folder, now)
    c = target.container
    try:
        with c.engine.connect() as conn:
            bureau_id = conn.execute(select(t.bureaus.c.id)).scalar_one()
        ctx = c.ctx(system_actor("bench", bureau_id))
        prof = cProfile.Profile() if profile else None
        with counting(c.engine) as statements:
            start, cpu = time.perf_counter(), time.process_time()
            if prof:
                prof.enable()
            found = findings.evaluate(c.uow(), ctx, ctx.now, settings=c.rules, catalogue=c.catalogue, keep=keep)
            if prof:
                prof.disable()
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        if prof and profile:
            prof.dump_stats(str(profile))
        with c.engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(t.case_findings)).scalar_one()
        print(f"{target.name}: {len(found):,} findings; CPU {cpu:.2f} s, wall {wall:.2f} s, "
              f"{len(statements)} statements, load {uptime()}; {stored:,} cases' findings stored "
              f"{'(kept by this run)' if keep else '(not kept)'}", file=sys.stderr)
        return sorted(line(f) for f in found)
    finally:
        c.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rules_golden", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("command", choices=("make", "dump", "check"))
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite", help="for make")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--golden", type=Path)
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the evaluation here")
    parser.add_argument("--no-keep", action="store_true",
                        help="do not store the findings of cases (decisions 0048, 0050); stored ones are still read")
    args = parser.parse_args(argv)
    if args.command == "make":
        make(args.dir, args.cases, args.engine)
        return 0
    lines = evaluate(args.dir, args.profile, keep=not args.no_keep)
    if args.command == "dump":
        (args.out or args.dir / "golden.jsonl").write_text("".join(x + "\n" for x in lines))
        return 0
    golden = (args.golden or args.dir / "golden.jsonl").read_text().splitlines()
    if golden == lines:
        print(f"same {len(lines):,} findings", file=sys.stderr)
        return 0
    old, new = set(golden), set(lines)
    print(f"DIFFERENT: {len(old - new)} missing, {len(new - old)} new", file=sys.stderr)
    for x in sorted(old - new)[:5]:
        print("- " + x, file=sys.stderr)
    for x in sorted(new - old)[:5]:
        print("+ " + x, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
