"""The chunk scan through SQLite's C API (``_ledger_native.scan_file``, decision 0045) against the
chunk scan of rows fetched by the sqlite3 module (``ledger_scan.scan_chunk``, with the per-row C
work and without any C): on the same file it gives the same ``ChunkSummary`` byte for byte —
Chinese text, nulls, nested JSON, escapes, values only the Python path writes, checkpoint
announcements, every way of cutting the log into chunks — and a tampered row makes the chunk not
clean at the same leaf. Where it will not decide (another snapshot, text that is not UTF-8, a
REAL index) it returns None and the worker scans the chunk the old way."""

from __future__ import annotations

import io
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.ledger.test_ledger_native import usual_event
from tests.unit.ledger.test_ledger_scan import EVENTS, _row

from lawtrail.adapters.db import ledger_scan
from lawtrail.domain.events import Event
from lawtrail.domain.ledger.audit import CHECKPOINT_ACTION, ChunkSummary
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.merkle import leaf_hash

native = ledger_scan._native
if native is None or not hasattr(native, "scan_file"):  # pragma: no cover - depends on the build
    if os.environ.get("CI") == "true":
        raise AssertionError("the C extension lawtrail.adapters.db._ledger_native was not built with SQLite's C API")
    pytest.skip("the C extension is not built with SQLite here (libsqlite3-dev; python setup.py build_ext --inplace)",
                allow_module_level=True)


def make_file(path: Path, events: list[Event], head: int | None = None, encoding: str = "UTF-8") -> sqlite3.Connection:
    """An SQLite file (WAL) with the three tables the scan reads, one row per event, each with
    its true leaf hash stored and recorded (a random one where the event has no leaf)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA encoding = '{encoding}'")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE events (seq BIGINT NOT NULL PRIMARY KEY, id, occurred_at, actor_id, actor_name, action,"
                 " subject_type, subject_id, subject_name, before, after, request_id, leaf_hash)")
    conn.execute("CREATE TABLE ledger_nodes (level INTEGER, idx INTEGER, hash, PRIMARY KEY (level, idx))")
    conn.execute("CREATE TABLE ledger_head (id INTEGER PRIMARY KEY, size INTEGER)")
    rows = []
    for event in events:
        try:
            digest = leaf_hash(canonical_json(event.to_leaf_dict()))
        except ValueError:  # an integer beyond 2**53: no leaf; the chunk is not clean there
            digest = os.urandom(32)
        rows.append((*_row(event)[:12], digest))
    conn.executemany(f"INSERT INTO events VALUES ({', '.join('?' * 13)})", rows)
    conn.executemany("INSERT INTO ledger_nodes VALUES (0, ?, ?)", [(row[0], row[12]) for row in rows])
    conn.execute("INSERT INTO ledger_head VALUES (1, ?)", (len(events) if head is None else head,))
    return conn


def python_scans(conn: sqlite3.Connection, start: int, end: int | None, sizes: list[int]) -> list[ChunkSummary]:
    """``scan_chunk`` with the per-row C work and without any C: they must agree."""
    with_rows = ledger_scan.scan_chunk(conn, start, end, sizes)
    saved = ledger_scan._native
    ledger_scan._native = None
    try:
        without = ledger_scan.scan_chunk(conn, start, end, sizes)
    finally:
        ledger_scan._native = saved
    return [with_rows, without]


def cuts(size: int) -> Iterator[tuple[int, int | None]]:
    """The whole log, and chunks of 2**bits for small bits (the last one open-ended)."""
    yield 0, None
    for bits in (2, 3):
        plan = ledger_scan.ScanPlan(size, [], bits)
        for i in range(plan.count):
            start, end, _ = plan.task(i)
            yield start, end


def agree(conn: sqlite3.Connection, path: Path, head: int, sizes: list[int]) -> list[ChunkSummary]:
    found = []
    for start, end in cuts(head):
        mine = ledger_scan.scan_file(str(path), head, start, end, sizes)
        assert mine is not None
        assert [mine, mine] == python_scans(conn, start, end, sizes), (start, end)
        found.append(mine)
    return found


def varied(count: int) -> list[Event]:
    afters: list[Any] = [
        {"名称": "一科（改）", "roles": ["officer", "reviewer"], "n": -3, "ok": True},
        None,
        {"s": 'quote " back \\ tab \t nul \x00 del \x7f \u2028 \U0001f600 \ue000'},
        {"b": {"d": [1, {"z": None, "y": []}], "c": "二"}, "a": [[[]]], "\ue000": 1, "\U00010000": 2},
        {"v": 1.5, "e": 1e-7, "n": -0.0},  # floats: only the Python path writes them
        {"size": 3, "root": "00"},
    ]
    events = []
    for i in range(count):
        checkpoint = i % 9 == 5
        events.append(usual_event(
            i, after={"size": i, "root": "ab" * 32} if checkpoint else afters[i % len(afters)],
            before=None if i % 4 == 1 else {"名称": "一科", "active": i % 2 == 0},
            action=CHECKPOINT_ACTION if checkpoint else "org:user:update",
            actor_id=None if i % 5 == 2 else usual_event(0).actor_id, request_id=None if i % 3 == 0 else f"请求-{i}",
            actor_name="张三\n\"李\"" if i % 7 == 0 else "王五", subject_name="李四（改）\\/"))
    return events


def test_the_file_scan_gives_the_chunk_scan_summaries(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    conn = make_file(path, varied(45))
    found = agree(conn, path, 45, [5, 8, 17, 32, 45])
    whole = found[0]
    assert whole.clean and whole.count == 45 and set(whole.stacks) == {5, 8, 17, 32, 45}
    assert [i for i, _ in whole.announcements] == [5, 14, 23, 32, 41]
    assert whole.announcements[0][1] == {"action": CHECKPOINT_ACTION, "after": {"size": 5, "root": "ab" * 32}}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(EVENTS, min_size=1, max_size=12), st.lists(st.integers(1, 12), max_size=3))
def test_any_events_give_the_chunk_scan_summaries(tmp_path: Path, drawn: list[Event], sizes: list[int]) -> None:
    events = [Event(**{**vars(event), "seq": seq}) for seq, event in enumerate(drawn)]
    path = tmp_path / f"any-{os.urandom(6).hex()}.db"
    conn = make_file(path, events)
    for start, end in cuts(len(events)):
        stops = [s for s in sizes if s > start and (end is None or s <= end)]
        mine = ledger_scan.scan_file(str(path), len(events), start, end, stops)
        assert mine is not None
        assert [mine, mine] == python_scans(conn, start, end, stops)
    conn.close()


TAMPER = {
    "actor name": "UPDATE events SET actor_name = '张三 ' WHERE seq = 20",
    "after": """UPDATE events SET after = '{"a": 2}' WHERE seq = 20""",
    "after reordered": """UPDATE events SET after = '{"x": null, "roles": ["officer", "reviewer"]}' WHERE seq = 20""",
    "stored hash": "UPDATE events SET leaf_hash = zeroblob(32) WHERE seq = 20",
    "recorded hash": "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE idx = 20",
    "hash as text": "UPDATE events SET leaf_hash = hex(leaf_hash) WHERE seq = 20",
    "short hash": "UPDATE events SET leaf_hash = substr(leaf_hash, 1, 31) WHERE seq = 20",
    "row gone": "DELETE FROM events WHERE seq = 20",
    "node gone": "DELETE FROM ledger_nodes WHERE idx = 20",
    "last row gone": "DELETE FROM events WHERE seq = 44",
    "row beyond": "INSERT INTO events SELECT 45, id, occurred_at, actor_id, actor_name, action, subject_type,"
                  " subject_id, subject_name, before, after, request_id, leaf_hash FROM events WHERE seq = 3",
    "node beyond": "INSERT INTO ledger_nodes VALUES (0, 45, zeroblob(32))",
    "row before": "INSERT INTO events SELECT -1, id, occurred_at, actor_id, actor_name, action, subject_type,"
                  " subject_id, subject_name, before, after, request_id, leaf_hash FROM events WHERE seq = 3",
    "seq as text": "UPDATE events SET seq = '二十' WHERE seq = 20",
    "actor id as blob": "UPDATE events SET actor_id = CAST(actor_id AS BLOB) WHERE seq = 20",
    "action as number": "UPDATE events SET action = 7 WHERE seq = 20",
    "time with T": "UPDATE events SET occurred_at = replace(occurred_at, ' ', 'T') WHERE seq = 20",
    "duplicate key": """UPDATE events SET after = '{"a": 1, "a": 1}' WHERE seq = 20""",
    "checkpoint after": """UPDATE events SET after = '{"size": 6, "root": "00"}' WHERE seq = 5""",
}


@pytest.mark.parametrize("spoil", list(TAMPER))
def test_a_tampered_row_makes_the_same_chunk_not_clean(tmp_path: Path, spoil: str) -> None:
    path = tmp_path / "ledger.db"
    conn = make_file(path, varied(45))
    conn.execute(TAMPER[spoil])
    results = []
    for start, end in cuts(45):
        mine = ledger_scan.scan_file(str(path), 45, start, end, [17])
        assert mine is not None
        assert [mine, mine] == python_scans(conn, start, end, [17]), (start, end)
        results.append(mine)
    assert not all(summary.clean for summary in results)


def run_worker(path: Path, head: int) -> ChunkSummary:
    """One task of the whole log through a worker's main loop (``python -m ...ledger_scan``)."""
    out = io.StringIO()
    ledger_scan._worker_main(io.StringIO(json.dumps([str(path), head, 0, None, []]) + "\n"), out)
    return ledger_scan._summary_from_json(out.getvalue())


@pytest.mark.parametrize("spoil", [
    "UPDATE events SET actor_name = CAST(x'e5bca0ff' AS TEXT) WHERE seq = 20",  # not UTF-8
    "UPDATE events SET subject_name = CAST(x'eda080' AS TEXT) WHERE seq = 20",  # an encoded surrogate
    "UPDATE events SET seq = 20.0 + 0.5 WHERE seq = 20",  # a REAL index
    "UPDATE ledger_nodes SET hash = CAST(x'c0af' AS TEXT) WHERE idx = 20",  # an overlong form
])
def test_what_the_file_scan_will_not_decide_goes_the_old_way(tmp_path: Path, spoil: str) -> None:
    path = tmp_path / "ledger.db"
    conn = make_file(path, varied(45))
    conn.execute(spoil)
    assert ledger_scan.scan_file(str(path), 45, 0, None, []) is None
    worker = run_worker(path, 45)  # the worker falls back to scan_chunk
    try:
        expected = ledger_scan.scan_chunk(conn, 0, None, [])
    except sqlite3.Error:  # the sqlite3 module refuses the text: the worker reports nothing clean
        expected = ChunkSummary(0, 0, clean=False)
    assert worker == expected and not worker.clean


def test_another_snapshot_or_no_file_is_not_decided(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    make_file(path, varied(10))
    assert ledger_scan.scan_file(str(path), 10, 0, None, []) is not None
    assert ledger_scan.scan_file(str(path), 9, 0, None, []) is None  # the parent's log size differs
    assert run_worker(path, 9) == ChunkSummary(0, 0, clean=False)
    assert ledger_scan.scan_file(str(tmp_path / "none.db"), 10, 0, None, []) is None
    assert not (tmp_path / "none.db").exists()  # opened read-only: nothing created


def test_rows_mode_and_no_c_mode_leave_the_file_scan_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    make_file(path, varied(10))
    monkeypatch.setattr(ledger_scan, "_scan_file", None)  # LAWTRAIL_LEDGER_NATIVE=rows or =0
    assert ledger_scan.scan_file(str(path), 10, 0, None, []) is None
    assert run_worker(path, 10).clean


def test_announcements_parse_as_take_does(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    events = varied(12)
    conn = make_file(path, events)
    summary = ledger_scan.scan_file(str(path), 12, 0, None, [])
    assert summary is not None and summary == python_scans(conn, 0, None, [])[0]
    assert [leaf for _, leaf in summary.announcements] == [
        {"action": CHECKPOINT_ACTION, "after": json.loads(json.dumps(events[5].after))}]


def test_a_utf16_database_goes_the_old_way(tmp_path: Path) -> None:
    """The C scan reads TEXT as stored, which is UTF-8 only in a UTF-8 database."""
    path = tmp_path / "ledger16.db"
    conn = make_file(path, varied(10), encoding="UTF-16le")
    assert conn.execute("PRAGMA encoding").fetchone()[0] == "UTF-16le"
    assert ledger_scan.scan_file(str(path), 10, 0, None, []) is None
    assert run_worker(path, 10) == ledger_scan.scan_chunk(conn, 0, None, []) and run_worker(path, 10).clean
