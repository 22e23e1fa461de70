"""The fast path of full verification on SQLite: scan the event rows in chunks of 2**k leaves,
in parallel worker processes, and summarise each chunk for ``domain.ledger.audit.certify``.

A chunk scan re-derives every leaf's canonical bytes straight from the stored columns
(``leaf_bytes``), hashes them, compares with the stored and the recorded leaf hash and folds the
hashes into the chunk's perfect subtrees; the parent combines the chunk roots in O(n / chunk).
Anything unexpected (a gap, a foreign value shape, a hash that differs) only marks the chunk
not clean: the caller then runs the sequential ``audit``, which names the problem exactly as
before. The fast path can therefore only ever confirm a log that the sequential walk also
confirms (see ``leaf_bytes`` for why its bytes are the sequential walk's bytes).

Workers are ``python -m lawtrail.adapters.db.ledger_scan`` subprocesses (no fork of a process
that may hold threads and connections; only this module and the ledger domain are imported).
Each opens the database read-only. Where the C extension was built with SQLite's C API
(decision 0045), a worker's chunk is scanned wholly in C (``scan_file``: no Python object per
row); whatever that scan will not decide goes through ``scan_chunk`` as before. They all read
the same state: the parent holds its verification transaction, which on SQLite begins
IMMEDIATE and so holds the write lock for the whole scan (no commit can happen in between);
each worker (in either scan) also checks that it sees the parent's log size, and a chunk that
does not is not clean.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import IO, Any

import orjson

from lawtrail.domain.ledger.audit import CHECKPOINT_ACTION, ChunkSummary
from lawtrail.domain.ledger.canonical import canonical_json

_native: ModuleType | None
try:  # the compiled per-row work (decision 0032); without it the same bytes come from Python
    from lawtrail.adapters.db import _ledger_native as _native
except ImportError:  # a build without the C extension
    _native = None
# Diagnostics and the benchmark's A/B lines: "0" no C at all, "rows" the per-row C work on rows
# fetched by the sqlite3 module (decision 0032) without the C chunk scan of decision 0045.
_NATIVE_MODE = os.environ.get("LAWTRAIL_LEDGER_NATIVE")
if _NATIVE_MODE == "0":
    _native = None
#: The C leaf writer of a raw row (``leaf_bytes``'s bytes, or None where it declines), when built.
native_leaf_bytes = getattr(_native, "leaf_bytes", None)
#: The chunk scan through SQLite's C API, when the extension was built with SQLite's header.
_scan_file = getattr(_native, "scan_file", None) if _NATIVE_MODE != "rows" else None

__all__ = ["ScanPlan", "json_canonical", "leaf_bytes", "scan_chunk", "scan_file", "scan_parallel", "worker_count"]

#: Chunks are 2**CHUNK_BITS leaves (65,536): few enough tasks, each long enough to amortise
#: a worker's query start; the parent's work is O(log n) per chunk.
CHUNK_BITS = 16
#: Below this many events one in-process scan is quicker than starting worker processes.
PARALLEL_MIN = 200_000
#: Worker processes; at most this many, and at most the machine's cores.
MAX_WORKERS = 4

_EVENTS = ("SELECT seq, id, occurred_at, actor_id, actor_name, action, subject_type, subject_id, subject_name,"
           " before, after, request_id, leaf_hash FROM events")
_NODES = "SELECT idx, hash FROM ledger_nodes WHERE level = 0"

# RFC 8785 and orjson agree byte for byte on the compact, key-sorted form of a value made only
# of dicts with str keys, lists, str, bool, None and ints within ±(2**53 - 1) whose keys hold no
# character at or above U+E000: orjson sorts keys by UTF-8 bytes, i.e. by code point, RFC 8785
# by UTF-16 code units, and the two orders differ only for keys holding such characters
# (surrogates cannot occur: orjson refuses lone ones). orjson escapes exactly '"', '\\' and
# U+0000..U+001F (\b \t \n \f \r short, else \u00xx in lowercase), as RFC 8785 does, and with
# OPT_STRICT_INTEGER refuses integers beyond ±(2**53 - 1). ``_plain`` rules out the rest
# (floats, whose notation differs, and such keys). Checked by tests/unit/ledger/test_ledger_scan.py.
_HIGH_KEY = "\ue000"
_SORTED_STRICT = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_quote = json.encoder.encode_basestring  # C: escapes '"', '\\', U+0000..U+001F as RFC 8785 does
_sha256 = hashlib.sha256


def json_canonical(text: str | None) -> str | None:
    """The RFC 8785 text of the value of a stored JSON column (SQL NULL reads as JSON null);
    ``ValueError`` when ``text`` is not JSON or its value has no RFC 8785 form. Values that
    orjson parses and writes exactly as RFC 8785 (the usual case) take orjson; all others are
    parsed by the standard library, as the column type does, and written by ``canonical_json``."""
    if text is None or text == "null":
        return "null"
    try:
        value = orjson.loads(text)
        if _plain((value,)):
            return orjson.dumps(value, option=_SORTED_STRICT).decode()
    except (orjson.JSONDecodeError, TypeError):  # not strict JSON, or an integer beyond 2**53
        pass
    return canonical_json(json.loads(text)).decode()


def _plain(items: Iterable[object]) -> bool:
    """True when every value (as orjson.loads gives them) has the same compact sorted form in
    orjson as in RFC 8785: no float anywhere, no key with a character at or above U+E000."""
    for item in items:
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            keys = "".join(item)  # type: ignore[arg-type]
            if not keys.isascii() and max(keys) >= _HIGH_KEY:
                return False
            if not _plain(item.values()):  # type: ignore[attr-defined]
                return False
        elif kind is list:
            if not _plain(item):  # type: ignore[arg-type]
                return False
        else:  # float
            return False
    return True


def leaf_bytes(row: Sequence[Any]) -> bytes | None:
    """The canonical leaf bytes of one raw ``events`` row from SQLite, in ``_EVENTS`` column
    order, or None when a column is not in the shape the ``events`` column types write.

    The bytes equal those of ``Event.to_leaf_dict()`` of the row read through SQLAlchemy (the
    sequential verification's leaf) whenever they equal the leaf's recorded bytes: every
    column is written into the leaf by an injective map (JSON string quoting; the 32 hex digits
    of a UUID split at fixed places; the stored time with its one separator checked; the JSON
    columns re-parsed and canonicalised), so bytes equal to the recorded leaf mean each column
    holds what the column type wrote for that leaf, which the sequential walk reads the same.
    """
    seq, id_, at, actor_id, actor_name, action, stype, sid, sname, before, after, rid = row[:12]
    if (type(seq) is not int or type(id_) is not str or len(id_) != 32 or type(at) is not str or len(at) != 26
            or at[10] != " " or type(actor_name) is not str or type(action) is not str or type(stype) is not str
            or type(sid) is not str or type(sname) is not str):
        return None
    if actor_id is None:
        actor = "null"
    elif type(actor_id) is str and len(actor_id) == 32:
        actor = f'"{actor_id[:8]}-{actor_id[8:12]}-{actor_id[12:16]}-{actor_id[16:20]}-{actor_id[20:]}"'
    else:
        return None
    if rid is None:
        request = "null"
    elif type(rid) is str:
        request = _quote(rid)
    else:
        return None
    if not ((before is None or type(before) is str) and (after is None or type(after) is str)):
        return None
    try:
        text = (f'{{"action":{_quote(action)},"actor":{{"id":{actor},"name":{_quote(actor_name)}}},'
                f'"after":{json_canonical(after)},"before":{json_canonical(before)},'
                f'"id":"{id_[:8]}-{id_[8:12]}-{id_[12:16]}-{id_[16:20]}-{id_[20:]}","request_id":{request},'
                f'"seq":{seq},"subject":{{"id":{_quote(sid)},"name":{_quote(sname)},"type":{_quote(stype)}}},'
                f'"time":"{at[:10]}T{at[11:]}Z","v":1}}')
        return text.encode()
    except (ValueError, TypeError):  # not JSON, not canonicalisable, a lone surrogate
        return None


def _bounds(start: int, end: int | None) -> tuple[str, tuple[int, ...]]:
    """WHERE bounds on the leaf index; the first chunk is open below (a row with a negative
    index must show) and the last open above (rows beyond the log size must show)."""
    lower = ([" AND {col} >= ?"], [start]) if start else ([], [])
    upper = ([" AND {col} < ?"], [end]) if end is not None else ([], [])
    return "".join(lower[0] + upper[0]), tuple(lower[1] + upper[1])


#: Rows fetched per round trip of each cursor.
FETCH = 4096
_NO_STOP = (1 << 63) - 1  # no checkpoint size ahead (the native scan takes a 64-bit index)


class _Scan:
    """The state of one chunk scan: the next leaf index and the compact range of the leaves
    ``[start, index)`` taken so far."""

    __slots__ = ("announcements", "index", "stack", "start")

    def __init__(self, start: int) -> None:
        self.start = self.index = start
        self.stack: list[bytes] = []
        self.announcements: list[tuple[int, dict[str, Any]]] = []

    def take(self, row: Sequence[Any], node: Sequence[Any]) -> bool:
        """Check one row and its recorded leaf hash (the pure-Python path); fold it in and
        return True when it is leaf ``index`` exactly as recorded, else False."""
        index = self.index
        if row[0] != index or node[0] != index:
            return False
        data = leaf_bytes(row)
        if data is None:
            return False
        current = _sha256(b"\x00" + data).digest()
        if current != row[12] or current != node[1]:
            return False
        if row[5] == CHECKPOINT_ACTION:
            self.announcements.append((index, {"action": row[5], "after": json.loads(row[10] or "null")}))
        stack, bits = self.stack, index - self.start
        while bits & 1:
            current = _sha256(b"\x01" + stack.pop() + current).digest()
            bits >>= 1
        stack.append(current)
        self.index = index + 1
        return True

    def take_all(self, rows: list[Any], nodes: list[Any], stop: int) -> int:
        """Take rows in step with ``nodes`` until ``stop`` is reached or a row is not as
        recorded; return how many were taken. The native scan (when built) takes the usual rows;
        each row it leaves (an unusual shape, a checkpoint announcement, a mismatch) goes through
        ``take``, which decides as the pure-Python path always has."""
        pos, count = 0, min(len(rows), len(nodes))
        while pos < count and self.index < stop:
            if _native is not None:
                moved = _native.scan(rows, nodes, pos, self.index, self.start, self.stack, stop, CHECKPOINT_ACTION)
                self.index += moved - pos
                pos = moved
                if pos == count or self.index == stop:
                    break
            if not self.take(rows[pos], nodes[pos]):
                return pos
            pos += 1
        return pos


def scan_chunk(conn: sqlite3.Connection, start: int, end: int | None, sizes: Iterable[int] = ()) -> ChunkSummary:
    """Scan leaves ``[start, end)`` (``end`` None: to the last row) on ``conn`` (a raw sqlite3
    connection, inside the transaction that fixes the snapshot); ``sizes`` are the checkpoint
    sizes in ``(start, end]`` whose compact ranges the parent needs."""
    where, params = _bounds(start, end)
    events = conn.execute(f"{_EVENTS} WHERE 1 = 1{where.format(col='seq')} ORDER BY seq", params)
    nodes = conn.execute(f"{_NODES}{where.format(col='idx')} ORDER BY idx", params)
    stops = sorted(s for s in set(sizes) if s > start)
    stacks: dict[int, tuple[bytes, ...]] = {}
    scan = _Scan(start)
    try:
        while True:
            rows, recorded = events.fetchmany(FETCH), nodes.fetchmany(FETCH)
            pos = 0
            while True:  # up to each checkpoint size in turn
                stop = stops[0] if stops else _NO_STOP
                pos += scan.take_all(rows[pos:] if pos else rows, recorded[pos:] if pos else recorded, stop)
                if scan.index == stop:
                    stacks[stop] = tuple(scan.stack)
                    stops.pop(0)
                    continue
                break
            if pos < min(len(rows), len(recorded)) or len(rows) != len(recorded):
                # a row not as recorded, or more rows than recorded leaf hashes (or the other way)
                return ChunkSummary(start, scan.index - start, clean=False)
            if not rows:
                break
    finally:
        events.close()
        nodes.close()
    return ChunkSummary(start, scan.index - start, True, tuple(scan.stack), stacks, tuple(scan.announcements))


def scan_file(path: str, head: int, start: int, end: int | None, sizes: Iterable[int] = ()) -> ChunkSummary | None:
    """``scan_chunk`` of leaves ``[start, end)`` done wholly by the C extension through SQLite's C
    API on the file ``path`` (read-only, in its own read transaction, after checking that the
    log size there is ``head``); None when the extension lacks it or the scan would not decide
    (another snapshot, an SQL error, text that is not UTF-8, ...): then scan the chunk with
    ``scan_chunk``. The same queries, the same checks and the same ``leaf_bytes`` for every row
    the C writer declines, so the summary is the one ``scan_chunk`` gives (decision 0045)."""
    if _scan_file is None:
        return None
    where, params = _bounds(start, end)
    stops = sorted(s for s in set(sizes) if s > start)
    found = _scan_file(path, head, f"{_EVENTS} WHERE 1 = 1{where.format(col='seq')} ORDER BY seq",
                       f"{_NODES}{where.format(col='idx')} ORDER BY idx", params, start, stops, CHECKPOINT_ACTION,
                       leaf_bytes)
    if found is None:
        return None
    index, clean, subtrees, stacks, announced = found
    if not clean:
        return ChunkSummary(start, index - start, clean=False)
    return ChunkSummary(start, index - start, True, tuple(subtrees), {size: tuple(stack) for size, stack in stacks},
                        tuple((i, {"action": CHECKPOINT_ACTION, "after": json.loads(after or "null")})
                              for i, after in announced))


class ScanPlan:
    """How a log of ``size`` leaves is cut: chunk ``i`` covers ``[i·2**bits, (i+1)·2**bits)``,
    the last one open-ended; ``sizes`` are the checkpoint sizes to report."""

    def __init__(self, size: int, sizes: Iterable[int], bits: int | None = None) -> None:
        self.size, self.bits = size, CHUNK_BITS if bits is None else bits
        self.sizes = sorted(set(sizes))
        self.count = max(1, -(-size >> self.bits))

    def task(self, i: int) -> tuple[int, int | None, list[int]]:
        start = i << self.bits
        end = None if i == self.count - 1 else (i + 1) << self.bits
        return start, end, [s for s in self.sizes if s > start and (end is None or s <= end)]


# --- worker processes ------------------------------------------------------------------------

def _summary_json(summary: ChunkSummary) -> str:
    return json.dumps({
        "start": summary.start, "count": summary.count, "clean": summary.clean,
        "subtrees": [h.hex() for h in summary.subtrees],
        "stacks": [[size, [h.hex() for h in stack]] for size, stack in summary.stacks.items()],
        "announcements": [[i, leaf] for i, leaf in summary.announcements],
    }, ensure_ascii=True)


def _summary_from_json(line: str) -> ChunkSummary:
    data = json.loads(line)
    return ChunkSummary(
        start=data["start"], count=data["count"], clean=data["clean"],
        subtrees=tuple(bytes.fromhex(h) for h in data["subtrees"]),
        stacks={size: tuple(bytes.fromhex(h) for h in stack) for size, stack in data["stacks"]},
        announcements=tuple((i, leaf) for i, leaf in data["announcements"]),
    )


def _worker_task(path: str, head: int, start: int, end: int | None, sizes: list[int]) -> ChunkSummary:
    found = scan_file(path, head, start, end, sizes)
    if found is not None:
        return found
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("BEGIN")
        seen = conn.execute("SELECT size FROM ledger_head WHERE id = 1").fetchone()
        if seen is None or seen[0] != head:  # not the parent's snapshot: let the parent decide
            return ChunkSummary(start, 0, clean=False)
        return scan_chunk(conn, start, end, sizes)
    finally:
        conn.close()


def _worker_main(stdin: IO[str], stdout: IO[str]) -> None:
    """One task per input line (JSON ``[path, head, start, end, sizes]``), one summary per
    output line; ends at end of input."""
    for line in stdin:
        path, head, start, end, sizes = json.loads(line)
        try:
            summary = _worker_task(path, head, start, end, sizes)
        except sqlite3.Error:
            summary = ChunkSummary(start, 0, clean=False)
        stdout.write(_summary_json(summary) + "\n")
        stdout.flush()


def worker_count() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def scan_parallel(path: str, head: int, plan: ScanPlan, workers: int) -> list[ChunkSummary]:
    """Scan every chunk of ``plan`` in ``workers`` subprocesses (tasks handed out as workers
    free up); return the summaries in chunk order. Stops handing out tasks after the first
    chunk that is not clean (the sequential audit takes over then)."""
    tasks: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(plan.count):
        tasks.put(i)
    results: list[ChunkSummary | None] = [None] * plan.count
    failed = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        # -P: do not put the working directory first on sys.path (the parent's sys.path is passed)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        proc: subprocess.Popen[str] | None = None
        try:
            proc = subprocess.Popen([sys.executable, "-P", "-m", __name__], stdin=subprocess.PIPE,  # noqa: S603
                                    stdout=subprocess.PIPE, text=True, env=env)
            assert proc.stdin is not None and proc.stdout is not None
            while not failed.is_set():
                try:
                    i = tasks.get_nowait()
                except queue.Empty:
                    break
                start, end, sizes = plan.task(i)
                proc.stdin.write(json.dumps([path, head, start, end, sizes]) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError("ledger scan worker ended early")
                results[i] = summary = _summary_from_json(line)
                if not summary.clean:
                    failed.set()
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
            failed.set()
        finally:
            if proc is not None:
                for stream in (proc.stdin, proc.stdout):
                    if stream is not None:
                        with contextlib.suppress(OSError):
                            stream.close()
                proc.wait()

    threads = [threading.Thread(target=run, daemon=True) for _ in range(max(1, min(workers, plan.count)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    out: list[ChunkSummary] = []
    for summary in results:
        if summary is None:
            out.append(ChunkSummary(len(out) << plan.bits, 0, clean=False))
            break
        out.append(summary)
        if not summary.clean:
            break
    return out


if __name__ == "__main__":
    _worker_main(sys.stdin, sys.stdout)
