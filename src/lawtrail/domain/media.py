"""Facts read from a media file, and the pure arithmetic around them (Art. 32–37, 40–42).

``MediaFacts`` is what a media probe (``services.ports.MediaProbe``) says about one original:
what kind of recording it is, when the device says it started and ended, how it was encoded,
which device made it and where. Nothing here reads a file; the adapter does that and hands
plain strings and numbers to the helpers below.

Times: every datetime in ``MediaFacts`` is timezone-aware UTC. Containers and EXIF often carry
a local wall-clock time without a zone (most body cameras sold in China do); such a naive time
is read as China Standard Time (``domain.org.BUREAU_TZ``) — see docs/decisions/0008.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import Any

from lawtrail.domain.org import BUREAU_TZ


class MediaType(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    PHOTO = "photo"
    UNKNOWN = "unknown"  # kept as an original, marked as not probeable; never dropped


@dataclass(frozen=True, slots=True)
class MediaFacts:
    """What a probe found. ``probe_ok`` is False when the file could not be read as media (or
    only partly, e.g. truncated); ``probe_error`` then says why, and any facts that could still
    be read are kept."""

    media_type: MediaType
    probe_ok: bool
    probe_error: str | None = None
    container: str | None = None  # e.g. "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "JPEG"
    duration_s: float | None = None
    captured_start: datetime | None = None  # aware UTC
    captured_end: datetime | None = None  # aware UTC; start + duration for audio/video
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    device_make: str | None = None
    device_model: str | None = None
    device_serial: str | None = None
    gps_lat: float | None = None  # decimal degrees, north positive
    gps_lon: float | None = None  # decimal degrees, east positive
    gps_alt: float | None = None  # metres above sea level
    raw_tags: Mapping[str, str] = field(default_factory=dict)  # a bounded subset, for display

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (times as ISO 8601 UTC strings), e.g. for ``lawtrail ingest --json``."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, MediaType):
                value = value.value
            elif isinstance(value, datetime):
                value = value.isoformat().replace("+00:00", "Z")
            elif isinstance(value, Mapping):
                value = dict(value)
            out[name] = value
        return out


def not_probeable(reason: str, *, container: str | None = None) -> MediaFacts:
    """Facts for a file that is not readable media: unknown type, ``probe_ok`` False."""
    return MediaFacts(media_type=MediaType.UNKNOWN, probe_ok=False, probe_error=reason, container=container)


def clock_offset(device_time: datetime, station_time: datetime) -> timedelta:
    """How far the device clock is ahead of the station clock at hand-in (negative: behind).

    Raise ValueError if either time is naive — a naive time cannot be compared honestly."""
    if device_time.utcoffset() is None or station_time.utcoffset() is None:
        raise ValueError("clock_offset needs timezone-aware datetimes")
    return device_time - station_time


def capture_end(start: datetime | None, duration_s: float | None) -> datetime | None:
    """``start + duration``, or None when either is unknown or the duration is not a finite ≥ 0."""
    if start is None or duration_s is None or not math.isfinite(duration_s) or duration_s < 0:
        return None
    return start + timedelta(seconds=duration_s)


_TIME_RE = re.compile(
    r"^(\d{4})[-:/](\d{2})[-:/](\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*"
    r"(Z|UTC|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
# QuickTime/MP4 store seconds since 1904; a zero there (or a 1970 zero) means "not set".
_UNSET_YEARS = frozenset({1904, 1970})


def parse_offset(text: str | None) -> tzinfo | None:
    """``+08:00`` / ``-0530`` / ``Z`` → a fixed tzinfo; None for empty or malformed text."""
    if not text:
        return None
    text = text.strip()
    if text.upper() in ("Z", "UTC"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text)
    if m is None:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 14 or minutes > 59:
        return None
    sign = -1 if m.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_capture_time(text: str | None, *, offset: str | None = None,
                       naive_tz: tzinfo = BUREAU_TZ) -> datetime | None:
    """A container or EXIF time string as aware UTC; None if absent, malformed or unset.

    Accepts ISO 8601 (``2026-11-20T08:15:00.000000Z``, ``2026-11-20 16:15:00+0800``) and EXIF
    (``2026:11:20 16:15:00``). The zone is, in order: the one in the text, ``offset`` (EXIF
    OffsetTimeOriginal), else ``naive_tz`` (the bureau's China Standard Time)."""
    if not text:
        return None
    m = _TIME_RE.match(text.strip().rstrip("\x00"))
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if year in _UNSET_YEARS and (month, day) == (1, 1):
        return None
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = parse_offset(m.group(8)) or parse_offset(offset) or naive_tz
    try:
        local = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    except ValueError:
        return None
    return local.astimezone(UTC)


def dms_to_degrees(degrees: float, minutes: float, seconds: float, ref: str | None) -> float | None:
    """EXIF degrees/minutes/seconds plus N/S/E/W → signed decimal degrees; None if out of range."""
    values = (degrees, minutes, seconds)
    if not all(math.isfinite(v) and v >= 0 for v in values) or minutes >= 60 or seconds >= 60:
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if value > 180:
        return None
    return -value if (ref or "").strip().upper() in ("S", "W") else value


_ISO6709_RE = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?(?:CRS[^/]*)?/?$")


def parse_iso6709(text: str | None) -> tuple[float, float, float | None] | None:
    """QuickTime ``location`` (ISO 6709 decimal, e.g. ``+22.5796+113.0815+12.0/``) → lat, lon, alt."""
    if not text:
        return None
    m = _ISO6709_RE.match(text.strip())
    if m is None:
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    if abs(lat) > 90 or abs(lon) > 180:
        return None
    return lat, lon, float(m.group(3)) if m.group(3) else None


def parse_rate(text: str | None) -> float | None:
    """A frame rate as ffprobe writes it (``30000/1001``, ``25``) → frames per second, or None."""
    if not text:
        return None
    num, _, den = text.partition("/")
    try:
        value = float(num) / float(den) if den else float(num)
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) and value > 0 else None
