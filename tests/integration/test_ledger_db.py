"""The ledger on a real database, both engines: stored subtrees, proofs, checkpoints and
tamper detection (raw SQL with the append-only triggers dropped)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.exc import DBAPIError, IntegrityError

from lawtrail.adapters.db import ledger_scan, tables
from lawtrail.adapters.db.engine import ReadOnlyViolation, check, make_engine, upgrade
from lawtrail.adapters.db.ledger_repo import event_params
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.adapters.signer import Ed25519Signer, load_signer, note_checker
from lawtrail.domain.access import system_actor
from lawtrail.domain.events import Event
from lawtrail.domain.ledger.audit import ProblemKind
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.checkpoint import format_signed_note, note_message
from lawtrail.domain.ledger.leaf import event_leaf_bytes
from lawtrail.domain.ledger.merkle import leaf_hash, root_from_leaf_hashes
from lawtrail.services import ledger
from lawtrail.services.context import Ctx
from tests.unit.ledger.test_ledger_canonical_fast import ANY, TEXT

ORIGIN = "test.example/ledger"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def _pg_engine() -> Iterator[Engine]:
    name = f"lt_ledger_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except DBAPIError as exc:
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ``engine``: the integration layer's, a copy of the migrated template on each engine (decision 0043).


@pytest.fixture
def signer(tmp_path: Path) -> Ed25519Signer:
    return load_signer(tmp_path / "keys", ORIGIN)


def make_event(n: int) -> Event:
    return Event(id=uuid.uuid4(), occurred_at=T0 + timedelta(seconds=n), actor_id=None, actor_name="测试员",
                 action="org:unit:create", subject_type="unit", subject_id=str(n), subject_name=f"科室{n}",
                 before=None, after={"n": n, "名称": f"科室{n}"}, request_id=None)


def append(engine: Engine, count: int, *, batch: bool = False) -> None:
    with SqlUnitOfWork(engine) as uow:
        events = [make_event(i) for i in range(count)]
        if batch:
            uow.events.append_many(events)
        else:
            for e in events:
                uow.events.append(e)
        uow.commit()


def ctx() -> Ctx:
    return Ctx(actor=system_actor("test"), now=T0)


def leaves(engine: Engine) -> list[bytes]:
    with engine.connect() as conn:
        return [bytes(r[0]) for r in conn.execute(text("SELECT leaf_hash FROM events ORDER BY seq"))]


def test_stored_subtrees_give_roots_and_proofs(engine: Engine) -> None:
    append(engine, 7)
    append(engine, 30, batch=True)
    append(engine, 1)
    hashes = leaves(engine)
    assert len(hashes) == 38
    for size in (1, 2, 7, 8, 21, 38):
        for index in {0, size // 2, size - 1}:
            proof = ledger.inclusion_proof(SqlUnitOfWork(engine), ctx(), index, size)
            assert proof.leaf_hash == hashes[index]
            assert proof.verify(root_from_leaf_hashes(hashes[:size]))
    for first, second in ((0, 5), (1, 38), (7, 21), (21, 38), (38, 38)):
        cons = ledger.consistency_proof(SqlUnitOfWork(engine), ctx(), first, second)
        assert cons.verify(root_from_leaf_hashes(hashes[:first]), root_from_leaf_hashes(hashes[:second]))


def test_only_every_fourth_level_is_stored(engine: Engine) -> None:
    """Level 0 and the levels that are multiples of 4 (decision 0032): 300 leaves keep 300 + 18 + 1
    rows; every root and proof is hashed up from them, as
    test_stored_subtrees_give_roots_and_proofs checks."""
    append(engine, 45)
    append(engine, 255, batch=True)
    with engine.connect() as conn:
        levels = dict(conn.execute(text("SELECT level, count(*) FROM ledger_nodes GROUP BY level")).all())
    assert levels == {0: 300, 4: 300 // 16, 8: 1}
    hashes = leaves(engine)
    for size in (16, 255, 256, 257, 300):
        for index in {0, 15, size // 2, size - 1}:
            proof = ledger.inclusion_proof(SqlUnitOfWork(engine), ctx(), index, size)
            assert proof.verify(root_from_leaf_hashes(hashes[:size]))


def test_leaf_hash_is_the_canonical_event(engine: Engine) -> None:
    append(engine, 3)
    with SqlUnitOfWork(engine) as uow:
        rows = list(uow.ledger_nodes.leaf_rows())
    for row in rows:
        assert row.stored_hash == row.recorded_hash == leaf_hash(canonical_json(dict(row.leaf)))


@pytest.mark.parametrize("statement", ["UPDATE ledger_nodes SET hash = hash", "DELETE FROM ledger_nodes",
                                       "UPDATE checkpoints SET note = note", "DELETE FROM checkpoints"])
def test_ledger_tables_refuse_update_and_delete(engine: Engine, signer: Ed25519Signer, statement: str) -> None:
    append(engine, 3)
    ledger.create_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))


@pytest.mark.parametrize(("table", "sqlite", "postgresql"), [
    ("ledger_nodes", "INSERT OR REPLACE INTO ledger_nodes SELECT level, idx, :h FROM ledger_nodes",
     "INSERT INTO ledger_nodes SELECT level, idx, :h FROM ledger_nodes ON CONFLICT (level, idx) DO UPDATE"
     " SET hash = :h"),
    ("checkpoints", "INSERT OR REPLACE INTO checkpoints SELECT size, :h, note, created_at, NULL FROM checkpoints",
     "INSERT INTO checkpoints SELECT size, :h, note, created_at, NULL FROM checkpoints ON CONFLICT (size)"
     " DO UPDATE SET root = :h"),
])
def test_ledger_tables_refuse_upsert(engine: Engine, signer: Ed25519Signer, table: str, sqlite: str,
                                     postgresql: str) -> None:
    append(engine, 3)
    ledger.create_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN)
    statement = sqlite if engine.dialect.name == "sqlite" else postgresql
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement), {"h": b"\x07" * 32})
    assert ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey())).ok


def test_checkpoint_is_a_signed_note_announced_in_the_log(engine: Engine, signer: Ed25519Signer) -> None:
    append(engine, 10)
    cp = ledger.create_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN)
    assert cp.size == 10
    assert cp.root == root_from_leaf_hashes(leaves(engine)[:10])
    checkpoint = note_checker(signer.vkey())(cp.note)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ORIGIN, 10, cp.root)
    again = ledger.create_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN)
    assert again.size == 11  # the announcement event grew the log
    same = ledger.create_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN)
    assert same.size == 12
    assert ledger.inclusion_proof(SqlUnitOfWork(engine), ctx(), 3).tree_size == 12


def test_maybe_checkpoint_waits_for_enough_events(engine: Engine, signer: Ed25519Signer) -> None:
    append(engine, 4)
    assert ledger.maybe_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN, every=5) is None
    append(engine, 1)
    made = ledger.maybe_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN, every=5)
    assert made is not None and made.size == 5


def test_verify_passes_on_an_untouched_log(engine: Engine, signer: Ed25519Signer) -> None:
    result = ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey()))
    assert result.ok and result.size == 0
    build(engine, signer)
    result = ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey()))
    assert result.ok, result.problem
    assert (result.size, result.checkpoints, result.latest_checkpoint) == (17, 2, 16)


def build(engine: Engine, signer: Ed25519Signer) -> None:
    """10 events, checkpoint 10 (+ announcement), 5 events, checkpoint 16 (+ announcement)."""
    append(engine, 10)
    ledger.create_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN)
    append(engine, 5, batch=True)
    ledger.create_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN)


def drop_triggers(conn: object, table: str) -> None:
    assert hasattr(conn, "execute") and hasattr(conn, "dialect")
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"DROP TRIGGER {table}_no_update"))
        conn.execute(text(f"DROP TRIGGER {table}_no_delete"))
        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_replace"))
    else:
        conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))


def tamper(engine: Engine, table: str, *statements: str, **params: object) -> None:
    with engine.begin() as conn:
        drop_triggers(conn, table)
        for statement in statements:
            conn.execute(text(statement), params)


def problem_of(engine: Engine, signer: Ed25519Signer) -> tuple[ProblemKind, int | None, int | None]:
    result = ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey()))
    assert result.problem is not None
    return result.problem.kind, result.problem.leaf, result.problem.checkpoint_size


def test_changed_event_is_named(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    tamper(engine, "events", "UPDATE events SET subject_name = '篡改' WHERE seq = 4")
    assert problem_of(engine, signer) == (ProblemKind.CHANGED, 4, None)


def test_changed_event_with_its_stored_hash_is_named(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    with SqlUnitOfWork(engine) as uow:
        row = next(r for r in uow.ledger_nodes.leaf_rows() if r.leaf["seq"] == 6)
    forged = leaf_hash(canonical_json({**row.leaf, "subject": {**row.leaf["subject"], "name": "篡改"}}))
    tamper(engine, "events", "UPDATE events SET subject_name = '篡改', leaf_hash = :h WHERE seq = 6", h=forged)
    assert problem_of(engine, signer) == (ProblemKind.CHANGED, 6, None)


def test_deleted_event_is_missing(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    tamper(engine, "events", "DELETE FROM events WHERE seq = 12")
    assert problem_of(engine, signer) == (ProblemKind.MISSING, 12, None)


def test_deleted_last_event_is_missing(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    tamper(engine, "events", "DELETE FROM events WHERE seq = 16")
    assert problem_of(engine, signer) == (ProblemKind.MISSING, 16, None)


def test_inserted_event_is_named(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    fake = Event(**{**vars(make_event(99)), "seq": 17})
    tamper(engine, "events",
           "INSERT INTO events (seq, id, occurred_at, actor_id, actor_name, action, subject_type, subject_id,"
           " subject_name, before, after, request_id, leaf_hash) VALUES (17, :id, :at, NULL, 'x', 'a', 't', '1',"
           " 'n', NULL, NULL, NULL, :h)",
           id=str(fake.id) if engine.dialect.name == "postgresql" else fake.id.hex,
           at=T0.replace(tzinfo=None), h=b"\x01" * 32)
    assert problem_of(engine, signer) == (ProblemKind.INSERTED, 17, None)


def test_swapped_events_are_reordered(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    tamper(engine, "events", "UPDATE events SET seq = -1 WHERE seq = 3", "UPDATE events SET seq = 3 WHERE seq = 5",
           "UPDATE events SET seq = 5 WHERE seq = -1")
    assert problem_of(engine, signer) == (ProblemKind.REORDERED, 3, None)


def test_forged_checkpoint_is_named(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    other = Ed25519Signer(Ed25519PrivateKey.generate(), ORIGIN)
    with SqlUnitOfWork(engine) as uow:
        latest = uow.checkpoints.latest()
    assert latest is not None
    body = latest.note.split("\n\n")[0] + "\n"
    # the same body, signed by another key under the same name and key ID
    forged = format_signed_note(body, [(other.name, signer.key_id, other.sign(note_message(body)))])
    tamper(engine, "checkpoints", "UPDATE checkpoints SET note = :n WHERE size = 16", n=forged)
    assert problem_of(engine, signer) == (ProblemKind.CHECKPOINT_FORGED, None, 16)


def test_latest_checkpoint_replaced_by_older_is_rolled_back(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    with SqlUnitOfWork(engine) as uow:
        older = uow.checkpoints.get(10)
    assert older is not None
    tamper(engine, "checkpoints", "UPDATE checkpoints SET note = :n WHERE size = 16", n=older.note)
    assert problem_of(engine, signer) == (ProblemKind.ROLLED_BACK, None, 16)


def test_latest_checkpoint_removed_is_rolled_back(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    tamper(engine, "checkpoints", "DELETE FROM checkpoints WHERE size = 16")
    assert problem_of(engine, signer) == (ProblemKind.ROLLED_BACK, 16, 16)


def test_signing_key_is_private_and_stable(tmp_path: Path) -> None:
    first = load_signer(tmp_path, ORIGIN)
    assert (tmp_path / "ledger-signing.key").stat().st_mode & 0o777 == 0o600
    assert load_signer(tmp_path, ORIGIN).public_key == first.public_key
    assert first.vkey().startswith(ORIGIN + "+")


def test_parallel_writers_keep_the_tree_whole(engine: Engine, signer: Ed25519Signer) -> None:
    def writer(batch: bool) -> None:
        for _ in range(15):
            append(engine, 2, batch=batch)

    threads = [threading.Thread(target=writer, args=(i % 2 == 0,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    hashes = leaves(engine)
    assert len(hashes) == 120
    cp = ledger.create_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN)
    assert cp.root == root_from_leaf_hashes(hashes)
    assert ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey())).ok


def test_schema_matches_the_tables(engine: Engine) -> None:
    check(engine)


def test_migration_backfills_existing_events(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(eng, "0001")
    with eng.begin() as conn:
        for i in range(11):
            event = Event(**{**vars(make_event(i)), "seq": i})
            conn.execute(insert(tables.events).values(
                **vars(event), leaf_hash=leaf_hash(canonical_json(event.to_leaf_dict()))))
        conn.execute(text("UPDATE ledger_head SET size = 11"))
    upgrade(eng)
    hashes = leaves(eng)
    proof = ledger.inclusion_proof(SqlUnitOfWork(eng), ctx(), 4, 11)
    assert proof.verify(root_from_leaf_hashes(hashes))
    append(eng, 3)
    assert ledger.consistency_proof(SqlUnitOfWork(eng), ctx(), 11, 14).verify(
        root_from_leaf_hashes(hashes), root_from_leaf_hashes(leaves(eng)))
    eng.dispose()


def test_verify_while_writers_append(engine: Engine, signer: Ed25519Signer) -> None:
    build(engine, signer)
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            append(engine, 1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        results = [ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey())) for _ in range(15)]
    finally:
        stop.set()
        thread.join()
    assert all(r.ok for r in results), [r.problem for r in results if r.problem]
    assert results[-1].size > results[0].size or engine.dialect.name == "sqlite"


def test_checkpoint_of_the_empty_log(engine: Engine, signer: Ed25519Signer) -> None:
    cp = ledger.create_checkpoint(SqlUnitOfWork(engine), ctx(), signer, ORIGIN)
    assert cp.size == 0 and cp.root == root_from_leaf_hashes([])
    result = ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey()))
    assert result.ok and (result.size, result.checkpoints) == (1, 1)


def test_an_append_in_a_read_only_unit_of_work_is_refused_and_writes_nothing(engine: Engine) -> None:
    append(engine, 3)
    with SqlUnitOfWork(engine, read_only=True) as uow, pytest.raises(ReadOnlyViolation):
        uow.events.append(make_event(9))
    assert len(leaves(engine)) == 3


def test_a_failed_append_raises_the_database_error_and_leaves_the_log_whole(engine: Engine,
                                                                          signer: Ed25519Signer) -> None:
    """The statements after the first run on the driver's cursor (decision 0046); a database error
    there still arrives as SQLAlchemy's, and the transaction rolls back: no head, node or row moved."""
    append(engine, 5)
    with engine.connect() as conn:
        duplicate_id = uuid.UUID(hex=str(conn.execute(text("SELECT id FROM events WHERE seq = 2")).scalar_one()))
    before = leaves(engine)
    with SqlUnitOfWork(engine) as uow, pytest.raises(IntegrityError):
        uow.events.append_many([make_event(10), Event(**{**vars(make_event(11)), "id": duplicate_id})])
    assert leaves(engine) == before
    with SqlUnitOfWork(engine) as uow:
        assert uow.events.count() == 5
        assert uow.events.append(make_event(12)).seq == 5
        uow.commit()
    assert len(leaves(engine)) == 6
    assert ledger.verify(SqlUnitOfWork(engine), ctx(), note_checker(signer.vkey())).ok


def test_repositories_are_only_reachable_inside_the_unit_of_work(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    with pytest.raises(RuntimeError):
        _ = uow.events
    with uow:
        first = uow.events
        assert uow.events is first  # one repository per transaction
    with uow:
        assert uow.events is not first


_APPENDABLE = st.builds(
    Event, id=st.uuids(), occurred_at=st.datetimes(timezones=st.just(UTC)), actor_id=st.none() | st.uuids(),
    actor_name=TEXT, action=TEXT, subject_type=TEXT, subject_id=TEXT, subject_name=TEXT,
    before=st.none() | st.dictionaries(TEXT, ANY, max_size=4), after=st.none() | st.dictionaries(TEXT, ANY, max_size=4),
    request_id=st.none() | TEXT,
)  # snapshots are objects (a bare JSON number would be stored by the column's NUMERIC affinity)


@pytest.fixture(scope="module")
def sqlite_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('appendable') / 'ledger.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(_APPENDABLE, min_size=1, max_size=4), native=st.booleans())
def test_an_appended_leaf_is_the_events_canonical_bytes(sqlite_ledger: Engine, events: list[Event],
                                                        native: bool) -> None:
    """On SQLite the C extension writes each leaf from the very values SQLite stores (decision
    0047); it must give the bytes of the event's leaf dict — and of the row read back, which
    verification checks — or leave the event to ``event_leaf_bytes``."""
    events = [Event(**{**vars(e), "id": uuid.uuid4()}) for e in events if _canonical_or_none(e) is not None]
    if not events:
        return
    writer = ledger_scan.native_leaf_bytes if native else None
    with mock.patch.object(ledger_scan, "native_leaf_bytes", writer), SqlUnitOfWork(sqlite_ledger) as uow:
        stored = uow.events.append_many(events)
        uow.commit()
    with SqlUnitOfWork(sqlite_ledger) as uow:
        first = stored[0].seq
        rows = [row for row in uow.ledger_nodes.leaf_rows() if row.leaf["seq"] >= first]
    assert [row.stored_hash for row in rows] == [leaf_hash(event_leaf_bytes(e)) for e in stored]
    assert all(row.stored_hash == row.recorded_hash == leaf_hash(canonical_json(dict(row.leaf))) for row in rows)


def _canonical_or_none(event: Event) -> bytes | None:
    try:
        return event_leaf_bytes(Event(**{**vars(event), "seq": 0}))
    except (TypeError, ValueError):
        return None


@settings(max_examples=500)
@given(events=st.lists(_APPENDABLE | st.builds(
    Event, id=st.uuids(), occurred_at=st.datetimes(min_value=datetime(2, 1, 1),
                                                  timezones=st.sampled_from([timezone(timedelta(hours=8)), UTC])),
    actor_id=st.none() | st.uuids(), actor_name=TEXT, action=TEXT, subject_type=TEXT, subject_id=TEXT,
    subject_name=TEXT, before=st.none(), after=st.just({"a": [1, 2.5, None]}), request_id=st.none()), max_size=3))
def test_sqlite_event_parameters_are_those_of_the_column_types(events: list[Event]) -> None:
    """``event_params`` writes the usual shapes directly on SQLite; the values must be those of
    SQLAlchemy's bind processors of each column (what a Core insert would store)."""
    dialect = sqlite_dialect()
    rows = [{**vars(e), "seq": i, "leaf_hash": b"h" * 32} for i, e in enumerate(events)]
    binders = [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in tables.events.columns]
    expected = [tuple(bind(row[name]) if bind else row[name] for name, bind in binders) for row in rows]
    assert event_params(dialect, rows) == expected
