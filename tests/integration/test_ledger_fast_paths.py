"""The SQLite fast paths of the ledger store the same values and read back the same leaves as
SQLAlchemy's own column types: appends (driver executemany with the columns' bind processors)
against a Core insert, and the raw verification stream against the typed rows."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Engine, select

from lawtrail.adapters.db import tables as t
from lawtrail.adapters.db.ledger_repo import _slow_leaf, _sqlite_leaf
from lawtrail.adapters.db.uow import SqlUnitOfWork
from lawtrail.domain.events import Event
from tests.integration.support import only_sqlite


def _events() -> list[Event]:
    base = datetime(2026, 11, 26, 8, 30, 0, 1, tzinfo=UTC)
    return [
        Event(id=uuid.uuid4(), occurred_at=base, actor_id=uuid.uuid4(), actor_name="张三", action="org:user:update",
              subject_type="user", subject_id="7", subject_name="李四\u2028", before={"n": 1.5, "k": [None, True]},
              after={"名称": "一科", "\U0001f600": "\x00"}, request_id="req-1"),
        Event(id=uuid.uuid4(), occurred_at=base.astimezone(timezone(timedelta(hours=8))), actor_id=None,
              actor_name="system", action="system:deployment:init", subject_type="deployment", subject_id="",
              subject_name="", before=None, after=None, request_id=None),
    ]


@only_sqlite
def test_appended_rows_and_streamed_leaves_match_the_column_types(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    with uow:
        stored = uow.events.append_many(_events())
        uow.commit()
    with uow:
        typed = [r._mapping for r in uow.connection.execute(select(t.events).order_by(t.events.c.seq))]
        streamed = [row.leaf for row in uow.ledger_nodes.leaf_rows()]
    expected = [e.to_leaf_dict() for e in stored]
    assert [Event(**{k: v for k, v in m.items() if k != "leaf_hash"}).to_leaf_dict() for m in typed] == expected
    assert streamed == expected


@only_sqlite
def test_an_unusual_stored_time_takes_the_typed_path(engine: Engine) -> None:
    uow = SqlUnitOfWork(engine)
    with uow:
        uow.events.append_many(_events()[:1])
        uow.commit()
    path = engine.url.database
    assert path is not None
    with sqlite3.connect(path) as conn:
        row = list(conn.execute("SELECT * FROM events").fetchone())
    row[2] = "2026-11-26 08:30:00"  # no fraction: what SQLite's own datetime() writes
    leaf = _sqlite_leaf(row, engine.dialect)
    assert leaf == _slow_leaf(row, engine.dialect)
    assert leaf["time"] == "2026-11-26T08:30:00.000000Z"
