"""Count the SQL statements sent to an engine: the set-based reads promise a fixed number of
statements whatever the data (DESIGN.md), and the tests and the case benchmark check it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent to ``engine`` inside the block (an executemany counts once)."""
    statements: list[str] = []

    def on_execute(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
