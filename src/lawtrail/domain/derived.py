"""Derived objects of an original (Art. 37, issue 4 item 7): a browser-playable preview and a
thumbnail, made from the original, never in its place.

A derived object is stored write-once in the same content-addressed blob store as the originals,
under its own SHA-256, and recorded as a row linked to its original (one per original and kind)
with a ``media:derived:create`` event. The original is never touched: it is only read.

Which originals need what (``wanted``):

- a thumbnail (a small JPEG) for every video (a poster frame) and photo (downscaled);
- a preview for video or audio a browser cannot play as stored: a video codec other than
  H.264, VP8, VP9 or AV1, or a container other than MP4/WebM (e.g. HEVC, MPEG-2, MJPEG/AVI),
  or audio other than AAC, MP3, Opus, Vorbis or FLAC (e.g. PCM WAV); the preview is H.264/AAC
  in MP4 (video) or AAC in MP4 (audio); and a photo in a format browsers do not show (TIFF,
  HEIC): a full-size JPEG.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from lawtrail.domain.media import MediaType

#: Error code of the Conflict raised when an original already has a derived object of that kind.
DERIVED_EXISTS = "derived.exists"


class DerivedKind(StrEnum):
    PREVIEW = "preview"
    THUMBNAIL = "thumbnail"


DERIVED_KIND_LABELS: dict[DerivedKind, str] = {DerivedKind.PREVIEW: "播放副本", DerivedKind.THUMBNAIL: "缩略图"}


@dataclass(frozen=True)
class DerivedObject:
    """One derived object: its bytes are ``sha256`` in the blob store; ``tool`` says how it was
    made (program, version and settings), so it can be made again and compared."""

    id: UUID
    media_id: UUID
    kind: DerivedKind
    sha256: str
    size: int
    content_type: str
    tool: str
    created_at: datetime
    created_by: str


BROWSER_VIDEO_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
BROWSER_AUDIO_CODECS = frozenset({"aac", "mp3", "opus", "vorbis", "flac"})
#: ffprobe's format names (or a part of them) of the containers browsers play.
BROWSER_CONTAINERS = ("mp4", "webm", "mp3", "ogg", "flac")
BROWSER_IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP"})


def _container_ok(container: str) -> bool:
    names = {part.strip().lower() for part in container.split(",")}
    return any(name in names for name in BROWSER_CONTAINERS)


def playable(media_type: MediaType, facts: Mapping[str, Any]) -> bool:
    """True when a browser can play (or show) the original as stored (see the module's rules)."""
    video, audio = facts.get("video_codec"), facts.get("audio_codec")
    container = str(facts.get("container") or "")
    if media_type is MediaType.PHOTO:
        return container.upper() in BROWSER_IMAGE_FORMATS
    if media_type is MediaType.VIDEO:
        return (video in BROWSER_VIDEO_CODECS and _container_ok(container)
                and (audio is None or audio in BROWSER_AUDIO_CODECS))
    if media_type is MediaType.AUDIO:
        return audio in BROWSER_AUDIO_CODECS and _container_ok(container)
    return False


def wanted(media_type: MediaType, facts: Mapping[str, Any], probe_ok: bool) -> tuple[DerivedKind, ...]:
    """The derived objects an original should have: none for media that could not be probed."""
    if media_type is MediaType.UNKNOWN or not probe_ok:
        return ()
    kinds: list[DerivedKind] = []
    if not playable(media_type, facts):
        kinds.append(DerivedKind.PREVIEW)
    if media_type in (MediaType.VIDEO, MediaType.PHOTO):
        kinds.append(DerivedKind.THUMBNAIL)
    return tuple(kinds)
