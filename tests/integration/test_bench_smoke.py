"""The ledger benchmark still runs (``--quick``, tiny sizes), so it cannot rot. Nothing here
looks at the figures: tests never assert wall-clock times (DESIGN.md rule 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import ledger as bench


def test_quick_benchmark_runs_and_reports_every_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = bench.parse(["--quick", "--events", "300", "--single", "5", "--batched", "120", "--batch-size", "50",
                        "--sync", "NORMAL", "--dir", str(tmp_path)])
    results = bench.run(args, tmp_path, bench.Console(width=200))
    # verification by each path (C API, per-row C, Python), each with its CPU per event (decision 0045)
    assert [r.unit for r in results] == ["tx/s", "events/s", "rows", "ms"] + ["events/s", "µs"] * 3
    rates = [r for r in results if r.unit != "µs"]  # CPU per event rounds to 0 at these sizes
    assert all(r.value is not None and r.value > 0 for r in rates)
    assert all(r.baseline is not None and r.baseline > 0 for r in rates if r.unit != "rows")
    assert all(r.value is not None and r.value >= 0 for r in results if r.unit == "µs")
    assert "load" in results[0].figure
    assert bench.main(["--quick", "--events", "100", "--single", "3", "--batched", "40", "--sync", "FULL",
                       "--dir", str(tmp_path / "main")]) == 0
    assert "full verification of 100" in capsys.readouterr().out


def test_quick_case_benchmark_runs_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The case benchmark (``--quick``, a few dozen cases, SQLite only: the PostgreSQL path
    creates its own database and is the same code) reports every figure with its statement count."""
    from benchmarks import cases as case_bench

    args = case_bench.parse(["--quick", "--cases", "40", "--requests", "4", "--engine", "sqlite",
                             "--dir", str(tmp_path)])
    results = case_bench.run(args, tmp_path, case_bench.Console(width=200))
    timed = [r for r in results if r.baseline is not None]
    assert len(timed) == 3 and all(r.value and r.baseline for r in timed)
    notes = {r.figure.strip(): r.note for r in results if r.note}
    assert int(notes["sqlite: SQL statements per evaluation"].split()[0]) > 0
    assert notes["sqlite: findings / overdue / rules hit"].split(" / ")[0] != "0"
    assert case_bench.main(["--quick", "--cases", "20", "--requests", "2", "--engine", "sqlite",
                            "--dir", str(tmp_path / "main")]) == 0
    assert "GET /cases?stage=…&page=N" in capsys.readouterr().out


def test_the_ledger_ceiling_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """``benchmarks.ledger_ceiling``: the plain table with every parameter bound beforehand, each
    index alone and none (the ceiling of the batched-append target, docs/benchmarks.md)."""
    from benchmarks import ledger_ceiling

    assert ledger_ceiling.main(["--events", "50"]) == 0
    out = capsys.readouterr().out
    assert "all three indexes" in out and "no secondary index" in out
