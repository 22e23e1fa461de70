"""Read ``MediaFacts`` from a file: ffprobe for audio/video, Pillow for photos (decision 0008).

``MediaFileProbe.probe`` never raises on bad media — a zero-byte, truncated, corrupt or unknown
file gives ``probe_ok=False`` and a reason, with whatever facts could still be read. ffprobe
runs as a child process with an argument list (never a shell), reads local files only
(``-protocol_whitelist file``) and is killed with its whole process group after ``timeout_s``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
from collections.abc import Mapping
from dataclasses import replace
from datetime import tzinfo
from pathlib import Path
from typing import Any

from PIL import Image

from lawtrail.domain.media import (
    MediaFacts,
    MediaType,
    capture_end,
    dms_to_degrees,
    not_probeable,
    parse_capture_time,
    parse_iso6709,
    parse_rate,
)
from lawtrail.domain.org import BUREAU_TZ

_PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a")
_IMAGE_DEMUXERS = re.compile(r"^(image2|\w+_pipe)$")  # ffprobe's names for still-image formats
_ISOBMFF_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})
# Tag keys (lower-case) in the order they are trusted. Apple's creationdate carries a zone.
_TIME_KEYS = ("com.apple.quicktime.creationdate", "creation_time", "date_time_original", "date")
_MAKE_KEYS = ("com.apple.quicktime.make", "make", "manufacturer", "com.android.manufacturer")
_MODEL_KEYS = ("com.apple.quicktime.model", "model", "com.android.model")
_SERIAL_KEYS = ("device_serial", "serial", "serial_number", "serialnumber", "sn",
                "com.apple.quicktime.serialnumber", "com.apple.proapps.serialno", "camera_serial")
_LOCATION_KEYS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")
_SERIAL_IN_TEXT = re.compile(r"\b(?:S/?N|serial(?:[ _]?no\.?)?)\s*[:=#]\s*([A-Za-z0-9][A-Za-z0-9._-]{2,39})", re.I)
_MAX_TAGS, _MAX_TAG_LEN, _MAX_ERROR_LEN = 40, 200, 300
# FFmpeg's AVPROBE_SCORE_RETRY: at or below it the format is a guess (1 in ~40 random 8 KiB
# blocks "is" raw H.263 at 25); real containers score 50 (extension) to 100.
_WEAK_PROBE_SCORE = 25

# EXIF tag numbers (CIPA DC-008).
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _SOFTWARE, _DATETIME = 0x010F, 0x0110, 0x0131, 0x0132
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL, _OFFSET, _BODY_SERIAL = 0x9003, 0x9011, 0x9010, 0xA431
# What Pillow raises on bad bytes (UnidentifiedImageError is an OSError).
_PHOTO_ERRORS = (OSError, ValueError, SyntaxError, EOFError, KeyError, IndexError, struct.error,
                 Image.DecompressionBombError)


class MediaFileProbe:
    """The ``services.ports.MediaProbe`` for local files."""

    def __init__(self, *, ffprobe: str | None = None, timeout_s: float = 30.0,
                 naive_tz: tzinfo = BUREAU_TZ) -> None:
        self._ffprobe = ffprobe or shutil.which("ffprobe") or "ffprobe"
        self._timeout_s = timeout_s
        self._naive_tz = naive_tz

    def probe(self, path: Path) -> MediaFacts:
        """Facts about the file at ``path``; ``probe_ok=False`` with a reason if it is not
        readable media. Symlinks are followed; anything but a regular file is refused unread."""
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                return not_probeable("not a regular file")
            if st.st_size == 0:
                return not_probeable("empty file (0 bytes)")
            with open(path, "rb") as f:
                head = f.read(16)
        except OSError as e:
            return not_probeable(f"cannot read the file: {e.strerror or e}")
        if head.startswith(_PHOTO_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
            return self._probe_photo(path)
        facts = self._probe_av(path)
        if facts.container and _IMAGE_DEMUXERS.match(facts.container):
            return self._probe_photo(path)
        if facts.probe_ok and head[4:8] in _ISOBMFF_BOXES:
            problem = isobmff_truncation(path, st.st_size)
            if problem:
                return replace(facts, probe_ok=False, probe_error=problem)
        return facts

    # ---- audio / video -------------------------------------------------------------------
    def _probe_av(self, path: Path) -> MediaFacts:
        cmd = [self._ffprobe, "-v", "error", "-hide_banner", "-protocol_whitelist", "file",
               "-print_format", "json", "-show_format", "-show_streams",
               "-i", "file:" + str(path.absolute())]  # "file:" so a name is never read as a URL
        try:
            result = self._run(cmd)
        except FileNotFoundError:
            return not_probeable(f"ffprobe is not installed ({self._ffprobe})")
        if result is None:
            return not_probeable(f"ffprobe timed out after {self._timeout_s:g} s")
        code, out, err = result
        try:
            data = json.loads(out or b"{}")
        except ValueError:
            data = {}
        fmt = data.get("format") if isinstance(data, dict) else None
        if code != 0 or not isinstance(fmt, dict):
            return not_probeable(_ffprobe_reason(err, path) or f"ffprobe failed (exit {code})")
        if fmt.get("format_name") == "tty":  # ffprobe's catch-all for plain text
            return not_probeable("not a recognised media format", container="tty")
        score = _int(fmt, "probe_score")
        if score is not None and score <= _WEAK_PROBE_SCORE:
            return not_probeable(f"not a recognised media format (ffprobe only guessed "
                                 f"{fmt.get('format_name')}, score {score}/100)")
        streams = [s for s in data.get("streams") or [] if isinstance(s, dict)]
        return self._av_facts(fmt, streams)

    def _run(self, cmd: list[str]) -> tuple[int, bytes, bytes] | None:
        """(exit code, stdout, stderr), or None after killing the process group on timeout."""
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,  # noqa: S603 - argument list, no shell
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=self._timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None
        return proc.returncode, out, err

    def _av_facts(self, fmt: dict[str, Any], streams: list[dict[str, Any]]) -> MediaFacts:
        video = next((s for s in streams if s.get("codec_type") == "video"
                      and not (s.get("disposition") or {}).get("attached_pic")), None)
        audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
        container = str(fmt.get("format_name") or "") or None
        if video is None and audio is None:
            return not_probeable("no audio or video stream", container=container)
        tags = _lower_tags(fmt.get("tags"))
        stream_tags = [_lower_tags(s.get("tags")) for s in streams]
        duration = _float(fmt.get("duration")) or max(
            (d for s in streams if (d := _float(s.get("duration"))) is not None), default=None)
        start = None
        for source in (tags, *stream_tags):
            start = next((t for k in _TIME_KEYS if (t := parse_capture_time(
                source.get(k), naive_tz=self._naive_tz)) is not None), None)
            if start is not None:
                break
        location = parse_iso6709(_first(tags, _LOCATION_KEYS))
        return MediaFacts(
            media_type=MediaType.VIDEO if video is not None else MediaType.AUDIO,
            probe_ok=True, container=container, duration_s=duration,
            captured_start=start, captured_end=capture_end(start, duration),
            video_codec=_str(video, "codec_name"), width=_int(video, "width"), height=_int(video, "height"),
            frame_rate=(parse_rate(video.get("avg_frame_rate")) or parse_rate(video.get("r_frame_rate")))
            if video else None,
            audio_codec=_str(audio, "codec_name"), sample_rate=_int(audio, "sample_rate"),
            channels=_int(audio, "channels"),
            device_make=_first(tags, _MAKE_KEYS), device_model=_first(tags, _MODEL_KEYS),
            device_serial=_first(tags, _SERIAL_KEYS) or _serial_in_text(tags),
            gps_lat=location[0] if location else None, gps_lon=location[1] if location else None,
            gps_alt=location[2] if location else None,
            raw_tags=_bounded(tags),
        )

    # ---- photos ----------------------------------------------------------------------------
    def _probe_photo(self, path: Path) -> MediaFacts:
        try:
            with Image.open(path) as img:
                container, (width, height) = img.format or "image", img.size
                exif = img.getexif()
                exif_ifd, gps = exif.get_ifd(_EXIF_IFD), exif.get_ifd(_GPS_IFD)
                start = parse_capture_time(
                    _clean(exif_ifd.get(_DATETIME_ORIGINAL)) or _clean(exif.get(_DATETIME)),
                    offset=_clean(exif_ifd.get(_OFFSET_ORIGINAL)) or _clean(exif_ifd.get(_OFFSET)),
                    naive_tz=self._naive_tz)
                lat, lon, alt = _gps(gps)
                facts = MediaFacts(
                    media_type=MediaType.PHOTO, probe_ok=True, container=container,
                    captured_start=start, captured_end=start, width=width, height=height,
                    device_make=_clean(exif.get(_MAKE)), device_model=_clean(exif.get(_MODEL)),
                    device_serial=_clean(exif_ifd.get(_BODY_SERIAL)),
                    gps_lat=lat, gps_lon=lon, gps_alt=alt,
                    raw_tags=_bounded({name: v for name, tag, ifd in _PHOTO_RAW
                                       if (v := _clean((exif_ifd if ifd else exif).get(tag)))}),
                )
        except _PHOTO_ERRORS as e:
            return MediaFacts(media_type=MediaType.UNKNOWN, probe_ok=False,
                              probe_error=f"not a readable image: {_short(str(e) or type(e).__name__)}")
        if container == "JPEG" and not _jpeg_has_end(path):  # Pillow reads headers only
            return replace(facts, probe_ok=False, probe_error="truncated JPEG: no end-of-image marker")
        return facts


_PHOTO_RAW = (("Make", _MAKE, False), ("Model", _MODEL, False), ("Software", _SOFTWARE, False),
              ("DateTime", _DATETIME, False), ("DateTimeOriginal", _DATETIME_ORIGINAL, True),
              ("OffsetTimeOriginal", _OFFSET_ORIGINAL, True), ("BodySerialNumber", _BODY_SERIAL, True))


def isobmff_truncation(path: Path, size: int) -> str | None:
    """For an MP4/MOV/M4A file: a reason if a top-level box runs past the end of the file (the
    file was cut short), else None. Reads only the box headers."""
    try:
        return _walk_boxes(path, size)
    except OSError as e:
        return f"cannot read the box headers: {e.strerror or e}"


def _walk_boxes(path: Path, size: int) -> str | None:
    offset, boxes = 0, 0
    with open(path, "rb") as f:
        while offset < size and boxes < 10_000:
            f.seek(offset)
            header = f.read(16)
            if len(header) < 8:
                return f"truncated: {size - offset} stray bytes at the end"
            box_size, kind = struct.unpack(">I4s", header[:8])
            if box_size == 1 and len(header) == 16:
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:  # "to the end of the file"
                return None
            name = kind.decode("latin-1")
            if box_size < 8:
                return f"corrupt: box {name!r} has an impossible size {box_size}"
            if offset + box_size > size:
                return f"truncated: box {name!r} needs {box_size} bytes, only {size - offset} present"
            offset, boxes = offset + box_size, boxes + 1
    return None


def _jpeg_has_end(path: Path) -> bool:
    """Whether the last KiB holds the JPEG end-of-image marker (some cameras append a trailer)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 1024))
            return b"\xff\xd9" in f.read()
    except OSError:
        return False


def _gps(gps: Mapping[int, Any]) -> tuple[float | None, float | None, float | None]:
    def coord(value_tag: int, ref_tag: int) -> float | None:
        value = gps.get(value_tag)
        try:
            d, m, s = (float(x) for x in value) if value is not None else (None, None, None)
        except (TypeError, ValueError, ZeroDivisionError):
            return None
        if d is None or m is None or s is None:
            return None
        return dms_to_degrees(d, m, s, _clean(gps.get(ref_tag)))

    lat, lon = coord(2, 1), coord(4, 3)
    alt: float | None = None
    try:
        if gps.get(6) is not None:
            alt = float(gps[6])
            ref = gps.get(5)
            if ref in (1, b"\x01", "1"):  # 1 = below sea level
                alt = -alt
    except (TypeError, ValueError, ZeroDivisionError):
        alt = None
    return lat, lon, alt if alt is None or alt == alt else None  # NaN from a 0 denominator


def _ffprobe_reason(err: bytes, path: Path) -> str:
    """ffprobe's error lines without the demuxer address or the path, joined."""
    lines: list[str] = []
    for raw in err.decode("utf-8", "replace").splitlines():
        line = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", raw.strip())
        line = line.replace("file:" + str(path.absolute()) + ": ", "")
        if line and line not in lines:
            lines.append(line)
    return _short("; ".join(lines))


def _lower_tags(tags: object) -> dict[str, str]:
    if not isinstance(tags, dict):
        return {}
    return {str(k).lower(): str(v) for k, v in tags.items() if isinstance(v, str | int | float)}


def _first(tags: Mapping[str, str], keys: tuple[str, ...]) -> str | None:
    return next((v.strip() for k in keys if (v := tags.get(k)) and v.strip()), None)


def _serial_in_text(tags: Mapping[str, str]) -> str | None:
    for key in ("comment", "description", "title"):
        m = _SERIAL_IN_TEXT.search(tags.get(key, ""))
        if m:
            return m.group(1)
    return None


def _bounded(tags: Mapping[str, str]) -> dict[str, str]:
    return {k[:_MAX_TAG_LEN]: v[:_MAX_TAG_LEN] for k, v in list(tags.items())[:_MAX_TAGS]}


def _clean(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if value is None:
        return None
    text = str(value).strip().strip("\x00").strip()
    return text or None


def _short(text: str) -> str:
    return text if len(text) <= _MAX_ERROR_LEN else text[: _MAX_ERROR_LEN - 1] + "…"


def _float(value: object) -> float | None:
    try:
        result = float(value)  # type: ignore[arg-type]  # ffprobe gives strings or numbers
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) and result >= 0 else None


def _int(stream: Mapping[str, Any] | None, key: str) -> int | None:
    if stream is None:
        return None
    try:
        return int(stream.get(key))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _str(stream: Mapping[str, Any] | None, key: str) -> str | None:
    value = stream.get(key) if stream is not None else None
    return str(value) if value else None
