"""Full verification through the fast path on a real SQLite file: the log cut into chunks of
four leaves, scanned by two worker processes. Every tampering test of test_ledger_db.py runs
again here and must name the same leaf and kind; a sound log must pass through the workers
alone. (PostgreSQL has no fast path: ``leaf_chunks`` says so, and it is audited row by row.)"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from lawtrail.adapters.db import ledger_scan
from lawtrail.adapters.db.engine import make_engine, upgrade
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.signer import Ed25519Signer, note_checker
from lawtrail.domain.ledger.audit import AuditInput, audit, certify
from lawtrail.services import ledger
from tests.integration import test_ledger_db as scenarios
from tests.integration.test_ledger_db import _pg_engine, append, build, ctx, signer

__all__ = ["signer"]  # a fixture, imported for the scenarios
SCENARIOS = [
    scenarios.test_changed_event_is_named, scenarios.test_changed_event_with_its_stored_hash_is_named,
    scenarios.test_checkpoint_of_the_empty_log, scenarios.test_deleted_event_is_missing,
    scenarios.test_deleted_last_event_is_missing, scenarios.test_forged_checkpoint_is_named,
    scenarios.test_inserted_event_is_named, scenarios.test_latest_checkpoint_removed_is_rolled_back,
    scenarios.test_latest_checkpoint_replaced_by_older_is_rolled_back, scenarios.test_swapped_events_are_reordered,
    scenarios.test_verify_passes_on_an_untouched_log, scenarios.test_verify_while_writers_append,
]


@pytest.fixture
def engine(migrated_sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """SQLite only: a copy of the worker's migrated template (decision 0043)."""
    path = tmp_path / "ledger.db"
    shutil.copyfile(migrated_sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def parallel(monkeypatch: pytest.MonkeyPatch) -> list[list[Any]]:
    """Force the worker processes on tiny logs; record what each parallel scan returned."""
    monkeypatch.setattr(ledger_scan, "PARALLEL_MIN", 0)
    monkeypatch.setattr(ledger_scan, "CHUNK_BITS", 2)
    monkeypatch.setattr(ledger_scan, "worker_count", lambda: 2)
    scans: list[list[Any]] = []
    real = ledger_scan.scan_parallel

    def spy(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        scans.append(found)
        return found

    monkeypatch.setattr(ledger_scan, "scan_parallel", spy)
    return scans


def _use(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Verify here and in the workers by ``path``: ``c-api`` the default build (a worker's chunk
    scanned in C through SQLite's C API, decision 0045), ``rows`` rows fetched by the sqlite3
    module with the per-row C work (0032), ``python`` no C at all."""
    if path == "c-api" and ledger_scan._native is not None and ledger_scan._scan_file is None \
            and os.environ.get("CI") == "true":
        raise AssertionError("the C extension was built without SQLite's C API")
    if path in ("rows", "python"):
        monkeypatch.setattr(ledger_scan, "_scan_file", None)
        monkeypatch.setenv("LAWTRAIL_LEDGER_NATIVE", "rows")
    if path == "python":
        monkeypatch.setattr(ledger_scan, "_native", None)
        monkeypatch.setenv("LAWTRAIL_LEDGER_NATIVE", "0")


@pytest.mark.parametrize("path", ["c-api", "rows"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.removeprefix("test_"))
def test_scenario_through_the_workers(scenario: Any, path: str, engine: Engine, signer: Ed25519Signer,
                                      parallel: list[list[Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    _use(path, monkeypatch)
    scenario(engine, signer)
    assert parallel, "the workers were not used"


@pytest.fixture(params=["c-api", "rows", "python"])
def native(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each verification path, here and in the workers (``_use``)."""
    _use(request.param, monkeypatch)
    return str(request.param)


def test_a_sound_log_passes_on_the_workers_alone(engine: Engine, signer: Ed25519Signer,
                                                 parallel: list[list[Any]], native: str) -> None:
    build(engine, signer)  # 17 leaves, checkpoints 10 and 16 inside chunks of 4
    append(engine, 6)
    with SqlUnitOfWork(engine) as uow:
        checkpoints = uow.checkpoints.list()
        given = AuditInput(checkpoints=checkpoints, head_size=uow.events.count(),
                           check_note=note_checker(signer.vkey()), recorded_size=uow.ledger_nodes.recorded_size(),
                           locate=uow.ledger_nodes.locate_leaf)
        chunks = uow.ledger_nodes.leaf_chunks(given.head_size, [c.size for c in checkpoints])
        sequential = audit(uow.ledger_nodes.leaf_rows(), given)
    assert chunks is not None and [c.start for c in chunks] == [0, 4, 8, 12, 16, 20]
    assert all(c.clean for c in chunks) and sum(c.count for c in chunks) == 23
    assert [i for c in chunks for i, _ in c.announcements] == [10, 16]
    assert certify(chunks, given) == sequential and sequential.ok
    assert ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey())) == sequential


def test_a_tampered_chunk_stops_the_scan(engine: Engine, signer: Ed25519Signer, native: str) -> None:
    append(engine, 20)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER events_no_update"))
        conn.execute(text("UPDATE events SET actor_name = 'x' WHERE seq = 5"))
    with SqlUnitOfWork(engine) as uow:
        chunks = uow.ledger_nodes.leaf_chunks(20, [])
    assert chunks is not None and chunks[-1].start == 4 and not chunks[-1].clean and chunks[-1].count == 1


def test_a_worker_that_sees_another_log_size_reports_nothing_clean(engine: Engine) -> None:
    append(engine, 5)
    path = engine.url.database
    assert path is not None
    assert ledger_scan._worker_task(path, 5, 0, None, []).clean
    assert not ledger_scan._worker_task(path, 6, 0, None, []).clean


def test_one_scan_on_the_connection_below_the_parallel_threshold(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                                 parallel: list[list[Any]]) -> None:
    monkeypatch.setattr(ledger_scan, "PARALLEL_MIN", 1000)
    append(engine, 9)
    with SqlUnitOfWork(engine) as uow:
        chunks = uow.ledger_nodes.leaf_chunks(9, [])
    assert chunks is not None and len(chunks) == 1 and chunks[0].clean and chunks[0].count == 9
    assert not parallel


@pytest.mark.postgres
def test_postgresql_has_no_fast_path() -> None:
    for engine in _pg_engine():
        upgrade(engine)
        append(engine, 3)
        with SqlUnitOfWork(engine) as uow:
            assert uow.ledger_nodes.leaf_chunks(3, []) is None


def test_workers_that_cannot_start_leave_the_scan_to_this_process(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                                  signer: Ed25519Signer) -> None:
    build(engine, signer)
    monkeypatch.setattr(ledger_scan.sys, "executable", "/nonexistent/python")
    with SqlUnitOfWork(engine) as uow:
        chunks = uow.ledger_nodes.leaf_chunks(17, [10, 16])
    assert chunks is not None and len(chunks) == 1 and chunks[0].clean and chunks[0].count == 17
    assert ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey())).ok
