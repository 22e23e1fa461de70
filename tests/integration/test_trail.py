"""The event trail on both engines (DESIGN.md rules 1 and 4): gapless, hashed, append-only,
written in the change's transaction, and gapless under concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from lawtrail.adapters.db import tables
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.events import Action, Event
from lawtrail.domain.ledger import canonical_json, leaf_hash
from lawtrail.services import devices, org, users
from tests.integration.support import Seed, only_postgresql, only_sqlite, row_counts
from tests.unit.factories import PASSWORD, make_event

EVENT_COLUMNS = ("seq, id, occurred_at, actor_id, actor_name, action, subject_type, subject_id, subject_name, "
                 "before, after, request_id, leaf_hash")
LOG_COLUMNS = "id, device_id, at, kind, note, actor_id, actor_name, holder_id, status"


def all_events(engine: Engine) -> list[Event]:
    with SqlUnitOfWork(engine) as uow:
        return list(reversed(uow.events.list(limit=100_000)))


def dump(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]


def some_history(seed: Seed) -> None:
    """A handful of changes through the services: units, a person, a device and its log."""
    c = seed.container
    unit = org.create_unit(c.uow(), seed.ctx(), bureau_id=seed.bureau.id, code="JC2", name="执法稽查二科",
                           kind="business_section")
    officer = users.create_user(c.uow(), seed.ctx(), c.deps, unit_id=unit.id, username="zhang.san",
                                display_name="张三", roles=["officer"], password=PASSWORD)
    device = devices.create_device(c.uow(), seed.ctx(), number="ZFJLY-001", type="body_camera", unit_id=unit.id)
    devices.assign_device(c.uow(), seed.ctx(), device.id, holder_id=officer.id)
    devices.add_log_entry(c.uow(), seed.ctx(), device.id, kind="maintenance", note="清洁镜头")
    org.update_unit(c.uow(), seed.ctx(), unit.id, name="综合执法二科")


# ---- order and hashes ----------------------------------------------------------------------


def test_events_get_gapless_seq_in_commit_order(seed: Seed) -> None:
    some_history(seed)
    events = all_events(seed.container.engine)
    assert [e.seq for e in events] == list(range(len(events)))
    assert [e.action for e in events] == [
        Action.BUREAU_CREATE, Action.UNIT_CREATE, Action.USER_CREATE,  # the seed
        Action.UNIT_CREATE, Action.USER_CREATE, Action.DEVICE_CREATE, Action.DEVICE_ASSIGN, Action.DEVICE_LOG,
        Action.UNIT_UPDATE,
    ]
    with SqlUnitOfWork(seed.container.engine) as uow:
        assert uow.events.count() == len(events)


def test_stored_leaf_hash_is_the_hash_of_the_event_read_back(seed: Seed) -> None:
    some_history(seed)
    engine = seed.container.engine
    with engine.connect() as conn:
        stored = {seq: bytes(h) for seq, h in conn.execute(text("SELECT seq, leaf_hash FROM events"))}
    events = all_events(engine)
    assert len(stored) == len(events) == 9
    for event in events:
        assert stored[event.seq] == leaf_hash(canonical_json(event.to_leaf_dict())), f"seq {event.seq}"


# ---- append-only, enforced by the database ---------------------------------------------------

TAMPERING = [
    ("events", "UPDATE events SET actor_name = 'forged'"),
    ("events", "UPDATE events SET after = NULL WHERE seq = 1"),
    ("events", "DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)"),
    ("events", "DELETE FROM events"),
    ("device_log", "UPDATE device_log SET note = 'forged'"),
    ("device_log", "DELETE FROM device_log"),
]


@pytest.mark.parametrize(("table", "statement"), TAMPERING, ids=[s for _, s in TAMPERING])
def test_the_database_refuses_to_change_or_remove_recorded_rows(seed: Seed, table: str, statement: str) -> None:
    some_history(seed)
    engine = seed.container.engine
    before = dump(engine, table)
    assert before
    with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(statement))
        conn.commit()
    assert dump(engine, table) == before


@only_postgresql  # SQLite has no TRUNCATE; its DELETE is covered above
@pytest.mark.parametrize("table", ["events", "device_log"])
def test_the_database_refuses_truncate(seed: Seed, table: str) -> None:
    some_history(seed)
    before = dump(seed.container.engine, table)
    with seed.container.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(f"TRUNCATE {table}"))
    assert dump(seed.container.engine, table) == before


def _overwrite(dialect: str, table: str, columns: str, key: str, changed: str, value: str) -> str:
    """An upsert that rewrites an existing row in place, in the dialect's own syntax."""
    select_ = f"SELECT {columns.replace(changed, value)} FROM {table}"
    if dialect == "sqlite":
        return f"INSERT OR REPLACE INTO {table} ({columns}) {select_}"
    return f"INSERT INTO {table} ({columns}) {select_} ON CONFLICT ({key}) DO UPDATE SET {changed} = {value}"


@pytest.mark.parametrize(("table", "columns", "key", "changed"), [
    ("events", EVENT_COLUMNS, "seq", "actor_name"),
    ("device_log", LOG_COLUMNS, "id", "note"),
], ids=["events", "device_log"])
def test_the_database_refuses_to_overwrite_rows_by_upsert(seed: Seed, table: str, columns: str, key: str,
                                                         changed: str) -> None:
    # BUG on SQLite: INSERT OR REPLACE deletes the old row and inserts the new one; the
    # triggers only guard UPDATE and DELETE statements, and REPLACE's implicit delete fires
    # no DELETE trigger (recursive_triggers is off), so the recorded row is silently rewritten.
    some_history(seed)
    engine = seed.container.engine
    before = dump(engine, table)
    statement = _overwrite(engine.dialect.name, table, columns, key, changed, "'forged'")
    with engine.connect() as conn:
        try:
            conn.execute(text(statement))
            conn.commit()
        except DBAPIError:
            conn.rollback()
    assert dump(engine, table) == before


# ---- one transaction: the change and its event -----------------------------------------------


def test_a_service_failing_midway_leaves_neither_the_change_nor_its_event(seed: Seed) -> None:
    engine = seed.container.engine
    # Occupy the next leaf index behind the ledger's back, so the event insert of the next
    # change fails after the change itself (device, log entry, ledger head) was written.
    with SqlUnitOfWork(engine) as uow:
        size = uow.events.count()
    squatter = make_event(seq=size)
    with engine.begin() as conn:
        conn.execute(insert(tables.events).values(**vars(squatter), leaf_hash=b"\0" * 32))
    before = row_counts(engine)
    with pytest.raises(IntegrityError):
        devices.create_device(seed.container.uow(), seed.ctx(), number="ZFJLY-009", type="camera",
                              unit_id=seed.unit.id)
    assert row_counts(engine) == before
    with SqlUnitOfWork(engine) as uow:
        assert uow.devices.by_number("ZFJLY-009") is None


# ---- concurrent writers ------------------------------------------------------------------------


def _run_writers(engine: Engine, threads: int, per_thread: int) -> None:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for k in range(per_thread):
                with SqlUnitOfWork(engine) as uow:
                    uow.events.append(make_event(actor_name=f"writer-{n}", subject_id=f"{n}:{k}"))
                    uow.commit()
        except BaseException as exc:  # handed to the main thread, which fails the test
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []


def _assert_gapless(engine: Engine, threads: int, per_thread: int) -> None:
    events = all_events(engine)
    total = threads * per_thread
    assert [e.seq for e in events] == list(range(total))
    assert sorted(e.subject_id for e in events) == sorted(f"{n}:{k}" for n in range(threads)
                                                          for k in range(per_thread))
    for n in range(threads):  # each writer's own events keep its order
        mine = [int(e.subject_id.split(":")[1]) for e in events if e.actor_name == f"writer-{n}"]
        assert mine == list(range(per_thread))
    with engine.connect() as conn:
        stored = {int(seq): bytes(h) for seq, h in conn.execute(text("SELECT seq, leaf_hash FROM events"))}
    assert all(stored[e.seq] == leaf_hash(canonical_json(e.to_leaf_dict())) for e in events)
    with SqlUnitOfWork(engine) as uow:
        assert uow.events.count() == total


@only_postgresql
@pytest.mark.parametrize(("threads", "per_thread"), [(8, 50)])
def test_parallel_writers_on_postgresql_get_seq_without_gaps_or_duplicates(
        engine: Engine, threads: int, per_thread: int) -> None:
    _run_writers(engine, threads, per_thread)
    _assert_gapless(engine, threads, per_thread)


@only_sqlite
@pytest.mark.parametrize(("threads", "per_thread"), [(4, 50)])
def test_parallel_writers_on_sqlite_get_seq_without_gaps_or_duplicates(
        engine: Engine, threads: int, per_thread: int) -> None:
    _run_writers(engine, threads, per_thread)
    _assert_gapless(engine, threads, per_thread)


def test_parallel_service_calls_each_get_one_event(seed: Seed) -> None:
    """Concurrent real use cases (not bare appends) interleave without losing an event."""
    c = seed.container
    units = [org.create_unit(c.uow(), seed.ctx(), bureau_id=seed.bureau.id, code=f"P{n}", name=f"并发科{n}",
                             kind="business_section") for n in range(4)]
    start = row_counts(c.engine)["events"]
    rename: Callable[[int, int], object] = lambda n, k: org.update_unit(  # noqa: E731
        c.uow(), seed.ctx(), units[n].id, name=f"并发科{n}-第{k}次")
    barrier, errors = threading.Barrier(len(units)), []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for k in range(10):
                rename(n, k)
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(len(units))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    events = all_events(c.engine)
    assert [e.seq for e in events] == list(range(start + 40))
    assert sum(1 for e in events[start:] if e.action == Action.UNIT_UPDATE) == 40
