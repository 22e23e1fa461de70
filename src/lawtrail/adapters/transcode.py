"""Make derived objects (previews, thumbnails) from a stored original: ffmpeg for audio and video,
Pillow for photos (``services.ports.Transcoder``; docs/decisions/0019).

ffmpeg runs as a child process with an argument list (never a shell), reads local files only
(``-protocol_whitelist file``), drops the source's metadata from the copy (``-map_metadata -1``:
a preview is for watching; the facts stay with the original) and is killed with its whole
process group after ``timeout_s``. The original is opened read-only; the output is written to
the path the caller gives (a temporary folder), never next to the original.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import PIL
from PIL import Image, ImageOps

from lawtrail.domain.derived import DerivedKind
from lawtrail.domain.media import MediaType
from lawtrail.errors import ValidationFailed

THUMB_SIZE = 320
PREVIEW_MAX_WIDTH = 1280
VIDEO_PREVIEW = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p",
                 "-vf", f"scale='min({PREVIEW_MAX_WIDTH},iw)':-2", "-c:a", "aac", "-b:a", "128k",
                 "-movflags", "+faststart")
AUDIO_PREVIEW = ("-vn", "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart")


def failed(kind: DerivedKind, reason: str) -> ValidationFailed:
    label = "播放副本" if kind is DerivedKind.PREVIEW else "缩略图"
    return ValidationFailed(f"无法生成{label}：{reason[:200]}", f"cannot make the {kind.value}: {reason[:200]}",
                            code="derived.failed")


class FfmpegTranscoder:
    """Previews with ffmpeg (H.264/AAC MP4, AAC M4A), thumbnails with ffmpeg (poster frame) or
    Pillow (photos)."""

    def __init__(self, ffmpeg: str | None = None, timeout_s: float = 3600.0) -> None:
        self.ffmpeg = ffmpeg or shutil.which("ffmpeg") or "ffmpeg"
        self.timeout_s = timeout_s

    def make(self, kind: DerivedKind, media_type: MediaType, source: Path, target_dir: Path,
             duration_s: float | None = None) -> tuple[Path, str, str]:
        """Write the derived object of ``kind`` for the original at ``source`` into
        ``target_dir``; return (its path, its content type, how it was made). Raise
        ValidationFailed ``derived.failed`` when it cannot be made (corrupt media, no video
        stream, ffmpeg missing or timed out)."""
        if kind is DerivedKind.THUMBNAIL:
            out = target_dir / "thumbnail.jpg"
            if media_type is MediaType.PHOTO:
                self._photo(source, out, THUMB_SIZE, kind)
                return out, "image/jpeg", f"Pillow {PIL.__version__} thumbnail {THUMB_SIZE}px q80"
            at = f"{min(1.0, (duration_s or 0) / 2):.3f}"
            self._run(kind, "-ss", at, "-i", str(source), "-map", "0:v:0", "-frames:v", "1",
                      "-vf", f"scale={THUMB_SIZE}:-2", "-q:v", "5", "-f", "image2", str(out))
            return out, "image/jpeg", f"ffmpeg poster frame at {at}s scale={THUMB_SIZE}"
        if media_type is MediaType.PHOTO:
            out = target_dir / "preview.jpg"
            self._photo(source, out, None, kind)
            return out, "image/jpeg", f"Pillow {PIL.__version__} JPEG q90"
        if media_type is MediaType.AUDIO:
            out = target_dir / "preview.m4a"
            self._run(kind, "-i", str(source), *AUDIO_PREVIEW, "-f", "mp4", str(out))
            return out, "audio/mp4", "ffmpeg " + " ".join(AUDIO_PREVIEW)
        out = target_dir / "preview.mp4"
        self._run(kind, "-i", str(source), "-map", "0:v:0", "-map", "0:a:0?", *VIDEO_PREVIEW, "-f", "mp4", str(out))
        return out, "video/mp4", "ffmpeg " + " ".join(VIDEO_PREVIEW)

    def _photo(self, source: Path, out: Path, size: int | None, kind: DerivedKind) -> None:
        try:
            with Image.open(source) as img:
                shown = ImageOps.exif_transpose(img).convert("RGB")
                if size is not None:
                    shown.thumbnail((size, size))
                shown.save(out, "JPEG", quality=80 if size else 90)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise failed(kind, str(exc)) from None

    def _run(self, kind: DerivedKind, *args: str) -> None:
        argv = [self.ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-protocol_whitelist", "file",
                "-y", *args[:-1], "-map_metadata", "-1", args[-1]]
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,  # noqa: S603 (argument list)
                                    start_new_session=True)
        except OSError as exc:
            raise failed(kind, f"ffmpeg: {exc.strerror}") from None
        try:
            _, err = proc.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise failed(kind, f"ffmpeg timed out after {self.timeout_s:.0f} s") from None
        out = Path(args[-1])
        if proc.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            raise failed(kind, err.decode("utf-8", "replace").strip().splitlines()[-1] if err.strip()
                         else f"ffmpeg exit {proc.returncode}")
