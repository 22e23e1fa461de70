"""RFC 8785 JSON Canonicalization Scheme (JCS).

``canonical_json`` turns a JSON value into the one byte string that every conforming
implementation produces for it, so that hashing the bytes gives a hash of the *value*.

Accepted values (anything else raises ``TypeError``):

* ``dict`` with ``str`` keys, ``list`` and ``tuple`` (both become JSON arrays);
* ``str`` (must be valid Unicode: lone surrogates raise ``ValueError``);
* ``bool`` and ``None``;
* ``int`` in the I-JSON safe range ``[-(2**53 - 1), 2**53 - 1]`` (else ``ValueError``);
* finite ``float`` (NaN and infinities raise ``ValueError``), written as ECMAScript's
  ``Number.prototype.toString`` writes it (RFC 8785 section 3.2.2.3).

Subclasses (``StrEnum``, ``IntEnum``...) are serialised as their plain base value.
Object members are sorted by the UTF-16 code units of their keys (section 3.2.3).
Self-referencing containers are not detected and end in ``RecursionError``.

Speed: most values (no floats, keys below U+D800) are written by the standard library's C
JSON encoder, whose output for them is provably the RFC 8785 output (see ``_is_plain``);
everything else takes the exact pure-Python writer ``canonical_json_exact``. Both give the
same bytes, checked against each other and the ``rfc8785`` package by a property test.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

__all__ = ["MAX_SAFE_INTEGER", "canonical_json", "canonical_json_exact"]

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer that an IEEE 754 double (the JSON number model) holds exactly."""

_ESCAPES: dict[int, str] = {code: f"\\u{code:04x}" for code in range(0x20)}
_ESCAPES.update({ord("\b"): "\\b", ord("\t"): "\\t", ord("\n"): "\\n", ord("\f"): "\\f", ord("\r"): "\\r"})
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\"})


# For plain values (see ``_is_plain``) this encoder writes exactly what RFC 8785 asks:
# no whitespace; strings escape only '"', '\\', and U+0000..U+001F (\b \t \n \f \r short,
# the rest as lowercase \u00xx), everything else literal, U+2028/2029 included; ints as
# decimal; members sorted by code point, which equals UTF-16 code-unit order when no key
# holds a character at or above U+D800 (below it both orders compare the same numbers).
# check_circular=False: a cycle ends in RecursionError, as in the exact writer.
_PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                                  check_circular=False, allow_nan=False)
_SURROGATE_START = "\ud800"
# The one-shot C encoder that ``_PLAIN_ENCODER.encode`` builds on every call (json/encoder.py,
# ``iterencode(o, _one_shot=True)``), built once: the same function with the same arguments.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_plain_chunks = (None if _c_make_encoder is None else _c_make_encoder(
    None, _PLAIN_ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False, False))


def _plain_text(value: object) -> str:
    if _plain_chunks is None:  # an interpreter without the C accelerator
        return _PLAIN_ENCODER.encode(value)
    return "".join(_plain_chunks(value, 0))


def canonical_json(value: object) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of ``value``.

    Raises ``TypeError`` for a value or key of an unsupported type and ``ValueError`` for
    a supported type holding an unrepresentable value (NaN, infinity, an integer outside
    the safe range, a string with lone surrogates).
    """
    if _is_plain(value):
        text = _plain_text(value)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("string is not valid Unicode (lone surrogate)") from exc
    return canonical_json_exact(value)


def _is_plain(value: object) -> bool:
    """True when the C encoder's output for ``value`` is its RFC 8785 form: only str, safe
    int, bool, None, list, tuple and dict with str keys below U+D800; no floats (their
    notation differs), no int subclasses (IntEnum), nothing unsupported. False sends the
    value to the exact writer, which also raises the right errors."""
    return _all_plain((value,))


def _plain_keys(members: dict[Any, object]) -> bool:
    for key in members:  # noqa: SIM110 (a plain loop is faster than all() over a generator)
        if type(key) is not str or (not key.isascii() and max(key) >= _SURROGATE_START):
            return False
    return True


def _all_plain(items: Iterable[object]) -> bool:
    # Scalars are checked inline and containers recursed into directly: this loop runs for
    # every value hashed into the ledger.
    for item in items:
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:  # type: ignore[operator]
                return False
        elif kind is dict:
            if not (_plain_keys(item) and _all_plain(item.values())):  # type: ignore[arg-type, attr-defined]
                return False
        elif kind is list or kind is tuple:
            if not _all_plain(item):  # type: ignore[arg-type]
                return False
        elif not isinstance(item, str):  # StrEnum and other str subclasses: written as their text
            return False
    return True


def canonical_json_exact(value: object) -> bytes:
    """The reference writer (pure Python, every case); same contract as ``canonical_json``."""
    parts: list[str] = []
    _write(value, parts)
    text = "".join(parts)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("string is not valid Unicode (lone surrogate)") from exc


def _write(value: object, out: list[str]) -> None:
    """Append the canonical text of ``value`` to ``out``."""
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(_number(float(value)))
    elif isinstance(value, dict):
        _write_object(value, out)
    elif isinstance(value, list | tuple):
        _write_array(value, out)
    else:
        raise TypeError(f"type {type(value).__name__} is not a JSON value")


def _write_array(items: list[object] | tuple[object, ...], out: list[str]) -> None:
    """Append ``[item,item,...]`` with no whitespace."""
    out.append("[")
    for position, item in enumerate(items):
        if position:
            out.append(",")
        _write(item, out)
    out.append("]")


def _write_object(members: dict[object, object], out: list[str]) -> None:
    """Append ``{"key":value,...}`` with members sorted by UTF-16 code units."""
    keys: list[str] = []
    for key in members:
        if not isinstance(key, str):
            raise TypeError(f"object keys must be str, not {type(key).__name__}")
        keys.append(key)
    keys.sort(key=_utf16_sort_key)
    out.append("{")
    for position, key in enumerate(keys):
        if position:
            out.append(",")
        out.append(_string(key))
        out.append(":")
        _write(members[key], out)
    out.append("}")


def _utf16_sort_key(key: str) -> bytes:
    """Big-endian UTF-16 bytes compare exactly like sequences of UTF-16 code units."""
    return key.encode("utf-16-be", "surrogatepass")


def _string(text: str) -> str:
    """JSON string literal as ECMAScript ``JSON.stringify`` writes it (RFC 8785 3.2.2.2).

    Only ``"``, ``\\`` and U+0000..U+001F are escaped (the short forms where JSON has
    them, else ``\\u00xx`` in lowercase hex); every other character is kept literally.
    """
    return '"' + str.translate(text, _ESCAPES) + '"'


def _integer(value: int) -> str:
    """Decimal integer, restricted to the range a double represents exactly."""
    number = int(value)
    if not -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
        raise ValueError(f"integer {number} is outside the JSON safe range ±(2**53 - 1)")
    return str(number)


def _number(value: float) -> str:
    """ECMAScript ``Number::toString`` of a finite double (ECMA-262 7.1.12.1 / RFC 8785).

    Python's ``repr`` yields the same shortest round-tripping digit string as ECMAScript;
    only the placement of the decimal point and exponent differs, which is redone here.
    """
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a JSON number (NaN and infinities are not allowed)")
    if value == 0.0:
        return "0"  # both +0 and -0
    if value < 0.0:
        return "-" + _number(-value)
    digits, point = _shortest_digits(value)
    return _place_point(digits, point)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Return ``(s, n)`` with value = 0.s × 10**n, ``s`` shortest, no leading/trailing zeros."""
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    leading_zeros = len(whole + fraction) - len(digits)
    point = len(whole) - leading_zeros + (int(exponent) if exponent else 0)
    return digits.rstrip("0"), point


def _place_point(digits: str, point: int) -> str:
    """Format digit string ``s`` (length k) with decimal exponent ``n`` as ECMAScript does."""
    k = len(digits)
    if k <= point <= 21:
        return digits + "0" * (point - k)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * (-point) + digits
    exponent = point - 1
    sign = "+" if exponent > 0 else "-"
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{sign}{abs(exponent)}"
