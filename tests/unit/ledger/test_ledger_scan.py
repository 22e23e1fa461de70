"""The verification fast path's canonical form of a stored row (``adapters.db.ledger_scan``):
orjson where it provably writes RFC 8785, the exact writer otherwise; never a different byte
from the sequential walk (``json.loads`` of the column, then ``canonical_json``)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from lawtrail.adapters.db.ledger_scan import _plain, json_canonical, leaf_bytes
from lawtrail.domain.events import Event
from lawtrail.domain.ledger.canonical import MAX_SAFE_INTEGER, canonical_json, canonical_json_exact

TRICKY = st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\x7f\u2028\u2029\ue000\uffff\ufeff\uff08\U00010000\U0001f600')
TEXT = st.text(st.one_of(st.characters(codec="utf-8"), st.characters(max_codepoint=0x7F), TRICKY), max_size=8)
KEYS = TEXT | st.sampled_from(["\ue000", "\U00010000", "\uffff", "a\U0001f600", "a\ufb33", "（改）", "\u20ac", ""])
SAFE = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
JSON_PLAIN = st.recursive(
    st.none() | st.booleans() | SAFE | TEXT,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)
JSON_ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)


def sequential(text: str | None) -> str:
    """What the sequential verification makes of a stored JSON column."""
    return canonical_json(None if text is None else json.loads(text)).decode()


def outcome(fn: Any, text: str | None) -> tuple[str, str]:
    try:
        return "ok", fn(text)
    except ValueError:
        return "error", ""


@settings(max_examples=1500)
@given(JSON_PLAIN)
def test_orjson_writes_rfc8785_for_the_values_it_is_trusted_with(value: Any) -> None:
    if _plain((value,)):
        assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER) \
            == canonical_json_exact(value) == rfc8785.dumps(value)


@settings(max_examples=1500)
@given(JSON_ANY, st.booleans(), st.booleans())
def test_a_stored_column_canonicalises_as_the_sequential_walk_does(value: Any, ascii_: bool, sort: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_, sort_keys=sort)  # what a JSON column may hold
    assert outcome(json_canonical, text) == outcome(sequential, text)


@settings(max_examples=1500)
@given(st.text(st.sampled_from('{}[]":,0123456789.eE-+ tfrunl\\ua\ue000\U00010000'), max_size=24))
def test_any_text_gives_the_sequential_result_or_the_same_error(text: str) -> None:
    assert outcome(json_canonical, text) == outcome(sequential, text)


@pytest.mark.parametrize("text", [
    '{"a": 1, "a": 2}', "9007199254740993", "18446744073709551616", "1e400", "NaN", '"\\ud800"', "1.0", "-0",
    '{"\\ue000": 1, "\\ud800\\udc00": 2}', '{"（改）": 1, "\U0001f600": 2}', " [1] ", '"a\nb"', "[1]x",
])
def test_edge_texts_agree(text: str) -> None:
    assert outcome(json_canonical, text) == outcome(sequential, text)


def test_null_and_sql_null_are_json_null() -> None:
    assert json_canonical(None) == json_canonical("null") == "null"


def _row(event: Event) -> tuple[Any, ...]:
    """The row as the ``events`` column types store it on SQLite."""
    at = event.occurred_at.astimezone(UTC).replace(tzinfo=None)
    return (event.seq, event.id.hex, at.strftime("%Y-%m-%d %H:%M:%S.%f"),
            event.actor_id.hex if event.actor_id else None, event.actor_name, event.action, event.subject_type,
            event.subject_id, event.subject_name, json.dumps(event.before), json.dumps(event.after),
            event.request_id, b"\x00" * 32)


EVENTS = st.builds(
    Event, id=st.uuids(), seq=st.integers(min_value=0, max_value=2**40),
    occurred_at=st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(UTC))
    | st.just(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8)))),
    actor_id=st.none() | st.uuids(), actor_name=TEXT, action=TEXT, subject_type=TEXT, subject_id=TEXT,
    subject_name=TEXT, before=st.none() | st.dictionaries(KEYS, JSON_ANY, max_size=4),
    after=st.none() | st.dictionaries(KEYS, JSON_PLAIN, max_size=4), request_id=st.none() | TEXT,
)


@settings(max_examples=800)
@given(EVENTS)
def test_a_row_gives_the_events_leaf_bytes(event: Event) -> None:
    try:
        expected = canonical_json(event.to_leaf_dict())
    except ValueError:  # an integer beyond 2**53: no leaf at all, and no fast-path bytes
        assert leaf_bytes(_row(event)) is None
        return
    assert leaf_bytes(_row(event)) == expected


@pytest.mark.parametrize("change", [
    {0: "1"}, {1: "a" * 31}, {1: 7}, {2: "2026-11-26T08:30:00.000000"}, {2: "2026-11-26 08:30:00"},
    {3: b"x" * 16}, {4: None}, {9: b"{}"}, {10: "{"}, {11: 5},
])
def test_an_unexpected_column_shape_leaves_the_fast_path(change: dict[int, Any]) -> None:
    event = Event(id=uuid.uuid4(), occurred_at=datetime(2026, 11, 26, 8, 30, tzinfo=UTC), actor_id=uuid.uuid4(),
                  actor_name="张三", action="org:user:update", subject_type="user", subject_id="7",
                  subject_name="李四", before={"a": 1}, after=None, request_id="r", seq=3)
    row = list(_row(event))
    assert leaf_bytes(row) == canonical_json(event.to_leaf_dict())
    for index, value in change.items():
        row[index] = value
    assert leaf_bytes(row) is None
