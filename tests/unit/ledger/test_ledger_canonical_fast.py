"""The fast path of ``canonical_json`` (the C JSON encoder for plain values) writes exactly
the bytes of the exact pure-Python writer and of the ``rfc8785`` package, and sends every
value it cannot prove equal to the exact writer."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from lawtrail.domain.ledger.canonical import MAX_SAFE_INTEGER, _is_plain, canonical_json, canonical_json_exact

# Characters where JSON encoders tend to differ: controls, escapes, the line separators,
# DEL, the private-use / specials range U+E000..U+FFFF and characters above U+FFFF (these
# two together make code-point order and UTF-16 order disagree).
TRICKY = st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\x7f\u2028\u2029\ue000\uffff\ufeff\U00010000\U0001f600')
TEXT = st.text(st.one_of(st.characters(codec="utf-8"), st.characters(max_codepoint=0x7F), TRICKY), max_size=8)
KEYS = TEXT | st.sampled_from(["\ue000", "\U00010000", "\uffff", "a\U0001f600", "a\ufb33", "\u20ac", ""])


class Colour(StrEnum):
    RED = "红"
    ASTRAL = "\U0001f600"


class Level(IntEnum):
    HIGH = 3


INTS = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER) | st.sampled_from(
    [0, -1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER])
SCALARS = st.none() | st.booleans() | INTS | TEXT | st.sampled_from([Colour.RED, Colour.ASTRAL, Level.HIGH])
PLAIN = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.tuples(children, children)
    | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)
ANY = st.recursive(
    SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)


@settings(max_examples=1500)
@given(PLAIN)
def test_fast_equals_exact_equals_rfc8785_for_values_without_floats(value: Any) -> None:
    fast = canonical_json(value)
    assert fast == canonical_json_exact(value)
    assert fast == rfc8785.dumps(value)


@settings(max_examples=600)
@given(ANY)
def test_fast_equals_exact_for_any_value(value: Any) -> None:
    assert canonical_json(value) == canonical_json_exact(value) == rfc8785.dumps(value)


@given(st.dictionaries(st.sampled_from(["\ue000", "\U00010000", "\uffff", "a", "\U0010ffff", "\ud7ff"]), INTS,
                       min_size=2))
def test_keys_that_order_differently_in_utf16_leave_the_fast_path(value: dict[str, int]) -> None:
    assert canonical_json(value) == canonical_json_exact(value) == rfc8785.dumps(value)


def test_utf16_order_differs_from_code_point_order_and_is_kept() -> None:
    value = {"\ue000": 1, "\U00010000": 2}
    assert not _is_plain(value)
    assert canonical_json(value) == '{"\U00010000":2,"\ue000":1}'.encode()


def test_typical_event_takes_the_fast_path() -> None:
    leaf = {"v": 1, "seq": 7, "actor": {"id": None, "name": "张三"}, "after": {"名称": "一科", "n": [1, 2]},
            "action": Colour.RED, "before": None}
    assert _is_plain(leaf)
    assert canonical_json(leaf) == rfc8785.dumps(leaf)


@pytest.mark.parametrize("value", [1.0, [0.5], {"a": 1e21}, Level.HIGH, {1: 2}, {"k": MAX_SAFE_INTEGER + 1},
                                   {"\U00010000": 1}, {Colour.RED: 1}])
def test_values_the_fast_path_cannot_prove_go_to_the_exact_writer(value: object) -> None:
    assert not _is_plain(value)


@pytest.mark.parametrize(("value", "error"), [
    ({"k": MAX_SAFE_INTEGER + 1}, ValueError), ([-(2**53)], ValueError), ("\ud800", ValueError),
    ({"a": "x\udfff"}, ValueError), ({1: "x"}, TypeError), ({"a": b"x"}, TypeError), ({"a": {1, 2}}, TypeError),
])
def test_errors_are_the_exact_writers(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        canonical_json(value)
    with pytest.raises(error):
        canonical_json_exact(value)
