"""The compiled per-row work of the verification fast path (``adapters/db/_ledger_native.c``,
decision 0032) against the pure-Python path it stands in for: SHA-256 equals hashlib (with and
without the CPU's SHA extensions); every JSON text and every raw row it writes gives exactly the
bytes of the Python path (``ledger_scan.json_canonical`` / ``leaf_bytes``, themselves checked
against the exact RFC 8785 writer), and where it declines (None) the Python path decides; the
scan loop agrees with the Python loop row for row."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.ledger.test_ledger_scan import EVENTS, JSON_ANY, JSON_PLAIN, KEYS, _row

from lawtrail.adapters.db import ledger_scan
from lawtrail.domain.events import Event
from lawtrail.domain.ledger.audit import CHECKPOINT_ACTION
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.merkle import leaf_hash, node_hash

native = ledger_scan._native  # (hypothesis runs without deadlines here: no timed tests on a shared machine)
if native is None:  # pragma: no cover - depends on the build
    if os.environ.get("CI") == "true":
        raise AssertionError("the C extension lawtrail.adapters.db._ledger_native was not built")
    pytest.skip("the C extension is not built here (python setup.py build_ext --inplace)", allow_module_level=True)


@pytest.fixture(params=[False, True], ids=["sha-ext", "portable"])
def portable(request: pytest.FixtureRequest) -> Iterator[bool]:
    assert native is not None
    native.use_portable_sha(request.param)
    yield request.param
    native.use_portable_sha(False)


def test_sha256_is_hashlibs(portable: bool) -> None:
    assert native is not None
    for size in [*range(0, 200), 447, 448, 1000, 4096, 65537]:  # every padding case, several blocks
        data = os.urandom(size)
        assert native.sha256(data) == hashlib.sha256(data).digest(), size


def test_known_answers() -> None:
    assert native is not None
    assert native.sha256(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert native.sha256(b"").hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def python_json(text: str) -> tuple[str, str]:
    try:
        return "ok", ledger_scan.json_canonical(text) or ""
    except ValueError:
        return "error", ""


def agrees(text: str) -> bool:
    """The C writer gives the Python path's bytes, or declines; never bytes the walk would not."""
    assert native is not None
    mine = native.json_canonical(text)
    return mine is None or python_json(text) == ("ok", mine.decode())


@settings(max_examples=1500, deadline=None)
@given(JSON_ANY, st.booleans(), st.booleans(), st.sampled_from([None, 2]))
def test_a_stored_column_gives_the_python_bytes(value: Any, ascii_: bool, sort: bool, indent: int | None) -> None:
    text = json.dumps(value, ensure_ascii=ascii_, sort_keys=sort, indent=indent)
    assert agrees(text)


@settings(max_examples=1500, deadline=None)
@given(JSON_PLAIN, st.booleans())
def test_the_usual_values_are_written_not_declined(value: Any, ascii_: bool) -> None:
    assert native is not None
    assert native.json_canonical(json.dumps(value, ensure_ascii=ascii_)) == canonical_json(value)


@settings(max_examples=3000, deadline=None)
@given(st.text(st.sampled_from('{}[]":,0123456789.eE-+ \t\n\rtfrunlab\\/uU\x00\x1f\x7f\ud800\udc00\ue000D8C'),
               max_size=24))
def test_any_text_gives_the_python_bytes_or_is_declined(text: str) -> None:
    assert agrees(text)


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}', "9007199254740991", "9007199254740992", "-9007199254740991", "18446744073709551616",
    "1e400", "1E2", "NaN", "-Infinity", '"\\ud800"', '"\\udc00"', '"\\ud83d\\ude00"', '"\\ud83dx"', "1.0", "-0",
    "-", "01", "[01]", '"\\x"', '"a', '{"a" 1}', "{,}", "[1,]", '{"a":1,}', '{"\\ue000": 1, "\\ud800\\udc00": 2}',
    '{"\ue000": 1, "\U00010000": 2}', '{"（改）": 1, "\U0001f600": 2}', " [1] ", '"a\nb"', '"a\x7fb"', "[1]x", "",
    " ", "nul", "tru", "true ", "\ufeff[]", '"\\u00E9"', '"\\/"', "[" * 70 + "]" * 70, "[" * 10 + "]" * 10,
    '{"b":{"d":1,"c":2},"a":[{"z":0,"y":[]}]}', '{"a\\u0000":1,"a":2}',
])
def test_edge_texts(text: str) -> None:
    assert agrees(text)


@pytest.mark.parametrize("text", ["9007199254740991", '"\\ud83d\\ude00"', "-0", '{"\ue000": 1, "\U00010000": 2}',
                                  " [1] ", '{"b":{"d":1,"c":2},"a":[{"z":0,"y":[]}]}', '"\\u00E9\\/"'])
def test_edge_texts_that_are_written(text: str) -> None:
    assert native is not None
    assert native.json_canonical(text) is not None


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(KEYS, st.integers(0, 3), max_size=8))
def test_members_sort_by_utf16_code_units(value: dict[str, int]) -> None:
    assert native is not None
    mine = native.json_canonical(json.dumps(value))
    assert mine is None or mine == canonical_json(value)
    if all(ord(c) >= 0x20 and not 0xD800 <= ord(c) <= 0xDFFF for k in value for c in k):
        assert mine == canonical_json(value)


@settings(max_examples=1000, deadline=None)
@given(EVENTS)
def test_a_row_gives_the_python_leaf_bytes(event: Event) -> None:
    assert native is not None
    row = _row(event)
    mine = native.leaf_bytes(row)
    assert mine is None or mine == ledger_scan.leaf_bytes(row)


def usual_event(seq: int, **changes: Any) -> Event:
    values: dict[str, Any] = dict(
        id=uuid.uuid4(), occurred_at=datetime(2026, 11, 26, 8, 30, 0, 123456, tzinfo=UTC), actor_id=uuid.uuid4(),
        actor_name="张三", action="org:user:update", subject_type="user", subject_id="7", subject_name="李四（改）",
        before={"名称": "一科", "active": True, "n": -3}, after={"roles": ["officer", "reviewer"], "x": None},
        request_id="req-1", seq=seq)
    values.update(changes)
    return Event(**values)


@pytest.mark.parametrize("changes", [{}, {"actor_id": None}, {"request_id": None}, {"before": None},
                                     {"after": {"s": 'quote " back \\ tab \t nul \x00 del \x7f'}}])
def test_a_usual_row_is_written_not_declined(changes: dict[str, Any]) -> None:
    assert native is not None
    row = _row(usual_event(5, **changes))
    assert native.leaf_bytes(row) == ledger_scan.leaf_bytes(row) is not None


@pytest.mark.parametrize("change", [
    {0: "1"}, {0: 2**53}, {0: -1}, {1: "a" * 31}, {1: 7}, {1: "é" * 32}, {2: "2026-11-26T08:30:00.000000"},
    {2: "2026-11-26 08:30:00"}, {2: "２026-11-26 08:30:00.000000"}, {3: b"x" * 16}, {3: "a" * 31}, {4: None},
    {4: "\ud800"}, {5: 5}, {9: b"{}"}, {10: "{"}, {10: '{"a": 1.5}'}, {11: 5}, {7: None}, {8: b"x"},
])
def test_an_unexpected_column_shape_is_declined(change: dict[int, Any]) -> None:
    assert native is not None
    row = list(_row(usual_event(3)))
    for index, value in change.items():
        row[index] = value
    assert native.leaf_bytes(tuple(row)) is None


def chunk(events: list[Event]) -> tuple[list[tuple[Any, ...]], list[tuple[int, bytes]]]:
    rows, nodes = [], []
    for event in events:
        data = canonical_json(event.to_leaf_dict())
        row = list(_row(event))
        row[12] = leaf_hash(data)
        rows.append(tuple(row))
        nodes.append((event.seq, leaf_hash(data)))
    return rows, nodes


def python_fold(rows: list[tuple[Any, ...]], start: int) -> list[bytes]:
    stack: list[bytes] = []
    for index, row in enumerate(rows, start=start):
        current, bits = row[12], index - start
        while bits & 1:
            current = node_hash(stack.pop(), current)
            bits >>= 1
        stack.append(current)
    return stack


def test_the_scan_folds_as_python_does() -> None:
    assert native is not None
    rows, nodes = chunk([usual_event(i) for i in range(64, 64 + 37)])
    stack: list[bytes] = []
    assert native.scan(rows, nodes, 0, 64, 64, stack, 1 << 62, CHECKPOINT_ACTION) == 37
    assert stack == python_fold(rows, 64)
    stack = []
    assert native.scan(rows, nodes, 0, 64, 64, stack, 64 + 10, CHECKPOINT_ACTION) == 10  # stops at a size
    assert native.scan(rows, nodes, 10, 74, 64, stack, 1 << 62, CHECKPOINT_ACTION) == 37
    assert stack == python_fold(rows, 64)


@pytest.mark.parametrize("spoil", ["row-hash", "node-hash", "node-index", "row-index", "action", "float", "short"])
def test_the_scan_leaves_each_odd_row_to_python(spoil: str) -> None:
    assert native is not None
    rows, nodes = chunk([usual_event(i) for i in range(8)])
    row = list(rows[5])
    if spoil == "row-hash":
        row[12] = b"\x00" * 32
    elif spoil == "node-hash":
        nodes[5] = (5, b"\x00" * 32)
    elif spoil == "node-index":
        nodes[5] = (6, nodes[5][1])
    elif spoil == "row-index":
        row[0] = 6
    elif spoil == "action":
        row[5] = CHECKPOINT_ACTION
    elif spoil == "float":
        row[10] = '{"a": 1.5}'
    else:
        row = row[:12]
    rows[5] = tuple(row)
    stack: list[bytes] = []
    assert native.scan(rows, nodes, 0, 0, 0, stack, 1 << 62, CHECKPOINT_ACTION) == 5
    assert stack == python_fold(rows[:5], 0)


def test_native_and_python_chunk_scans_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole chunk scan on an in-memory table, with and without the C code."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE events (seq, id, occurred_at, actor_id, actor_name, action, subject_type, subject_id,"
                 " subject_name, before, after, request_id, leaf_hash)")
    conn.execute("CREATE TABLE ledger_nodes (level, idx, hash)")
    events = [usual_event(i, after={"size": i, "root": "00"} if i % 7 == 3 else {"v": 1.5} if i % 11 == 4 else
                          {"a": [i]}, action=CHECKPOINT_ACTION if i % 7 == 3 else "org:user:update")
              for i in range(50)]
    rows, nodes = chunk(events)
    conn.executemany(f"INSERT INTO events VALUES ({', '.join('?' * 13)})", rows)
    conn.executemany("INSERT INTO ledger_nodes VALUES (0, ?, ?)", nodes)
    with_native = ledger_scan.scan_chunk(conn, 0, None, [10, 17, 33, 50])
    monkeypatch.setattr(ledger_scan, "_native", None)
    without = ledger_scan.scan_chunk(conn, 0, None, [10, 17, 33, 50])
    assert with_native == without and with_native.clean and with_native.count == 50
    assert set(with_native.stacks) == {10, 17, 33, 50} and len(with_native.announcements) == 7
    monkeypatch.setattr(ledger_scan, "FETCH", 3)  # batches that end anywhere, checkpoint sizes across them
    assert ledger_scan.scan_chunk(conn, 0, None, [10, 17, 33, 50]) == without
    monkeypatch.setattr(ledger_scan, "_native", native)
    assert ledger_scan.scan_chunk(conn, 0, None, [10, 17, 33, 50]) == without
    conn.execute("UPDATE events SET actor_name = 'x' WHERE seq = 20")
    spoiled = ledger_scan.scan_chunk(conn, 0, None, [])
    assert not spoiled.clean and spoiled.count == 20
