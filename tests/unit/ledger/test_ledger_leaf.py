"""``event_leaf_bytes`` is ``canonical_json(event.to_leaf_dict())``: the same bytes, or the same
error, for every event (the append hashes it; the documented leaf is the dict's canonical form)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.ledger.test_ledger_canonical_fast import ANY, TEXT

from lawtrail.domain.events import Action, Event
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.leaf import event_leaf_bytes

ODD_TEXT = TEXT | st.sampled_from(["\ud800", "a\udfff"]) | st.sampled_from(list(Action))  # lone surrogates, StrEnum


def outcome(event: Event, fn: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(event)
    except (TypeError, ValueError) as exc:
        return "error", type(exc)


def expected(event: Event) -> bytes:
    return canonical_json(event.to_leaf_dict())


EVENTS = st.builds(
    Event, id=st.uuids(), seq=st.integers(min_value=-1, max_value=2**60) | st.sampled_from([2**53 - 1, 2**53]),
    occurred_at=st.datetimes(timezones=st.just(UTC))
    | st.just(datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8)))),
    actor_id=st.none() | st.uuids(), actor_name=ODD_TEXT, action=ODD_TEXT, subject_type=ODD_TEXT,
    subject_id=ODD_TEXT, subject_name=ODD_TEXT, before=st.none() | ANY, after=st.none() | ANY,
    request_id=st.none() | ODD_TEXT,
)


@settings(max_examples=2000)
@given(EVENTS)
def test_same_bytes_or_same_error_as_the_leaf_dict(event: Event) -> None:
    assert outcome(event, event_leaf_bytes) == outcome(event, expected)


@pytest.mark.parametrize("changes", [
    {"seq": True}, {"seq": 1.0}, {"actor_name": None}, {"action": 5}, {"request_id": b"r"}, {"actor_id": "x"},
    {"id": "not-a-uuid"}, {"before": {1: "int key"}}, {"after": {"x": float("nan")}},
    {"occurred_at": datetime(2026, 1, 1)},
])
def test_unusual_values_behave_as_the_leaf_dict(changes: dict[str, Any]) -> None:
    event = Event(id=uuid.uuid4(), occurred_at=datetime(2026, 11, 26, tzinfo=UTC), actor_id=None, actor_name="甲",
                  action="a:b:c", subject_type="t", subject_id="1", subject_name="n", before=None, after=None,
                  request_id=None, seq=0)
    odd = Event(**{**vars(event), **changes})
    assert outcome(odd, event_leaf_bytes) == outcome(odd, expected)
