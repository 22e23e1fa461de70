"""RFC 8785 canonical JSON: fixed vectors from the RFC and a differential test against
the ``rfc8785`` package."""

from __future__ import annotations

import json
import math
import struct
from enum import IntEnum, StrEnum
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from lawtrail.domain.ledger.canonical import MAX_SAFE_INTEGER, canonical_json

# --------------------------------------------------------------------- fixed vectors


def test_rfc8785_section_3_2_2_example() -> None:
    value = json.loads(
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    ).encode()
    assert canonical_json(value) == expected


def test_rfc8785_section_3_2_3_sorting_example() -> None:
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(json.loads(canonical_json(value)))
    # UTF-16 order puts the emoji (surrogates D83D DE00) before U+FB33, unlike code points.
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


# RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "text"), APPENDIX_B)
def test_rfc8785_appendix_b_numbers(bits: str, text: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonical_json(value) == text.encode()
    assert rfc8785.dumps(value) == text.encode()


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_rfc8785_appendix_b_nan_and_infinity_rejected(bits: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    with pytest.raises(ValueError, match="not a JSON number"):
        canonical_json(value)


def test_escapes_and_literal_characters() -> None:
    text = '\x00\x1f\x7f\u2028\u2029\ud7ff\ue000\U0010ffff"\\/\b\f\n\r\t'
    assert (
        canonical_json(text)
        == ('"\\u0000\\u001f\x7f\u2028\u2029\ud7ff\ue000\U0010ffff\\"\\\\/\\b\\f\\n\\r\\t"').encode()
    )


def test_scalars_and_containers() -> None:
    assert canonical_json(None) == b"null"
    assert canonical_json(True) == b"true"
    assert canonical_json(False) == b"false"
    assert canonical_json(0) == b"0"
    assert canonical_json(-0.0) == b"0"
    assert canonical_json(1.0) == b"1"
    assert canonical_json(-MAX_SAFE_INTEGER) == b"-9007199254740991"
    assert canonical_json({}) == b"{}"
    assert canonical_json([]) == b"[]"
    assert canonical_json((1, (2, "x"))) == b'[1,[2,"x"]]'
    assert canonical_json({"b": [], "a": {"d": 1, "c": None}}) == b'{"a":{"c":null,"d":1},"b":[]}'


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


def test_enum_subclasses_are_written_as_their_values() -> None:
    assert canonical_json({Colour.RED: [Colour.RED, Level.HIGH]}) == b'{"red":["red",3]}'


@pytest.mark.parametrize(
    "value",
    [
        MAX_SAFE_INTEGER + 1,
        -MAX_SAFE_INTEGER - 1,
        2**64,
        "\ud800",
        {"\udfff": 1},
        [math.nan],
        {"x": -math.inf},
    ],
)
def test_unrepresentable_values_raise_value_error(value: object) -> None:
    with pytest.raises(ValueError):
        canonical_json(value)


@pytest.mark.parametrize("value", [{1: "x"}, {None: 1}, {(1,): 2}, b"bytes", {1, 2}, object(), [1j]])
def test_unsupported_types_raise_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(value)


# ----------------------------------------------------------------- differential test

# Text with plenty of non-BMP characters, control characters and escapes.
TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8"),  # every scalar value; no lone surrogates
        st.characters(codec="utf-8", min_codepoint=0x10000),
        st.characters(max_codepoint=0x7F),
        st.sampled_from('"\\\b\f\n\r\t\x00\x1f\u2028\ufeff'),
    )
)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
SAFE_INT = st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
SCALARS = st.none() | st.booleans() | SAFE_INT | FINITE | TEXT
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=6) | st.tuples(children, children) | st.dictionaries(TEXT, children, max_size=6)
    ),
    max_leaves=40,
)


@settings(max_examples=1500)
@given(JSON_VALUES)
def test_matches_rfc8785_package(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=3000)
@given(FINITE)
def test_floats_match_rfc8785_package_and_round_trip(value: float) -> None:
    text = canonical_json(value)
    assert text == rfc8785.dumps(value)
    assert float(text) == value


@given(st.floats(min_value=1e-7, max_value=1e21) | st.floats(min_value=1e20, max_value=1e22))
def test_floats_around_the_notation_switch_points(value: float) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=500)
@given(st.dictionaries(TEXT, SAFE_INT, min_size=2, max_size=12))
def test_keys_are_sorted_by_utf16_code_units(value: dict[str, int]) -> None:
    keys = list(json.loads(canonical_json(value)))
    units = [key.encode("utf-16-be") for key in keys]
    assert units == sorted(units)
    assert set(keys) == set(value)


@given(JSON_VALUES)
def test_output_is_utf8_json_that_parses_back_to_an_equal_value(value: Any) -> None:
    text = canonical_json(value)
    parsed = json.loads(text.decode("utf-8"), parse_int=float)  # 2.0**53 is written "9007199254740992"
    assert canonical_json(parsed) == text
