"""Pure media arithmetic: capture times, clock offset, GPS, frame rates (domain.media)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from lawtrail.domain.media import (
    MediaType,
    capture_end,
    clock_offset,
    dms_to_degrees,
    not_probeable,
    parse_capture_time,
    parse_iso6709,
    parse_offset,
    parse_rate,
)

T = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)


@pytest.mark.parametrize(("text", "offset", "expected"), [
    ("2026-11-20T08:15:00.000000Z", None, T),
    ("2026-11-20T08:15:00Z", "+05:00", T),  # a zone in the text wins over the EXIF offset
    ("2026-11-20 16:15:00+0800", None, T),
    ("2026-11-20T16:15:00+08:00", None, T),
    ("2026:11:20 16:15:00", "+08:00", T),  # EXIF DateTimeOriginal + OffsetTimeOriginal
    ("2026:11:20 16:15:00", None, T),  # naive: China Standard Time
    ("2026:11:20 09:15:00", "+01:00", T),
    ("2026-11-20T08:15:00.5Z", None, T + timedelta(milliseconds=500)),
    ("2026:11:20 16:15:00\x00", None, T),
])
def test_parse_capture_time(text: str, offset: str | None, expected: datetime) -> None:
    got = parse_capture_time(text, offset=offset)
    assert got == expected and got is not None and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", [None, "", "2026", "0000:00:00 00:00:00", "1904-01-01T00:00:00Z",
                                  "1970-01-01 00:00:00", "2026-13-40 25:00:00", "yesterday"])
def test_parse_capture_time_unset_or_malformed(text: str | None) -> None:
    assert parse_capture_time(text) is None


def test_parse_capture_time_other_naive_zone() -> None:
    assert parse_capture_time("2026-11-20 08:15:00", naive_tz=UTC) == T


@pytest.mark.parametrize(("text", "minutes"), [("Z", 0), ("+08:00", 480), ("-0530", -330), ("+8", None),
                                               ("+15:00", None), (None, None)])
def test_parse_offset(text: str | None, minutes: int | None) -> None:
    zone = parse_offset(text)
    if minutes is None:
        assert zone is None
    else:
        assert zone is not None and zone.utcoffset(None) == timedelta(minutes=minutes)


def test_clock_offset_sign_and_naive_refused() -> None:
    station = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert clock_offset(station + timedelta(seconds=93), station) == timedelta(seconds=93)
    assert clock_offset(station.astimezone(timezone(timedelta(hours=8))), station) == timedelta(0)
    assert clock_offset(station - timedelta(minutes=2), station) == -timedelta(minutes=2)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock_offset(datetime(2026, 11, 20, 10, 0), station)  # a naive time: the point of the test


def test_capture_end() -> None:
    assert capture_end(T, 2.5) == T + timedelta(seconds=2.5)
    assert capture_end(None, 2.5) is None and capture_end(T, None) is None
    assert capture_end(T, float("nan")) is None and capture_end(T, -1) is None


def test_dms_to_degrees() -> None:
    assert dms_to_degrees(22, 34, 46.6, "N") == pytest.approx(22.579611, abs=1e-6)
    assert dms_to_degrees(113, 4, 53.5, "W") == pytest.approx(-113.081528, abs=1e-6)
    assert dms_to_degrees(33, 52, 4, "S") == pytest.approx(-33.867778, abs=1e-6)
    assert dms_to_degrees(10, 60, 0, "N") is None and dms_to_degrees(float("nan"), 0, 0, "N") is None
    assert dms_to_degrees(181, 0, 0, "E") is None


def test_parse_iso6709() -> None:
    assert parse_iso6709("+22.5796+113.0815+012.000/") == (22.5796, 113.0815, 12.0)
    assert parse_iso6709("-33.8678+151.2073/") == (-33.8678, 151.2073, None)
    assert parse_iso6709("+95.0+10.0/") is None and parse_iso6709("garbage") is None and parse_iso6709(None) is None


@pytest.mark.parametrize(("text", "fps"), [("25/1", 25.0), ("30000/1001", 29.97002997), ("24", 24.0),
                                           ("0/0", None), ("x/y", None), (None, None)])
def test_parse_rate(text: str | None, fps: float | None) -> None:
    assert parse_rate(text) == (pytest.approx(fps) if fps else None)


def test_not_probeable_is_unknown_and_serialises() -> None:
    facts = not_probeable("empty file (0 bytes)")
    assert facts.media_type is MediaType.UNKNOWN and not facts.probe_ok
    assert facts.to_json()["media_type"] == "unknown" and facts.to_json()["captured_start"] is None
