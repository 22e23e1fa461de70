"""Marked copies for disclosure (Art. 37, docs/decisions/0025): ffmpeg ``drawtext`` burns the
mark into a video, Pillow draws it on a photo, any other file is copied unchanged with a notice
file beside it. Implements ``services.ports.CopyMarker``.

Memory stays bounded: ffmpeg streams, the unchanged copy is copied in chunks; only a photo is
decoded whole (photos are small)."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from lawtrail.domain.disclosure import Method
from lawtrail.errors import LawtrailError

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
LINE_CHARS = 28  # characters per line of the mark: two or three lines across a 16:9 frame
NOTICE_SUFFIX = ".对外提供说明.txt"


def _failed(zh: str, en: str, detail: str = "") -> LawtrailError:
    return LawtrailError(f"生成对外提供副本失败：{zh}", f"making the marked copy failed: {en}",
                         code="disclosure.mark_failed", details={"detail": detail[-500:]} if detail else {})


def wrap(text: str) -> str:
    """The mark broken into lines of at most ``LINE_CHARS`` characters."""
    return "\n".join(textwrap.wrap(text, LINE_CHARS, break_long_words=True, break_on_hyphens=False))


class FfmpegMarker:
    def __init__(self, *, ffmpeg: str = "ffmpeg", ffprobe: str = "ffprobe", font: Path = FONT) -> None:
        self.ffmpeg, self.ffprobe, self.font = ffmpeg, ffprobe, font

    def mark(self, source: Path, dest_dir: Path, *, method: Method, text: str, name: str,
             on_progress: Callable[[float], None] | None = None) -> list[Path]:
        """See ``CopyMarker.mark``."""
        stem = Path(name).stem or "copy"
        if method is Method.VIDEO:
            out = [self._video(source, dest_dir / f"{stem}.marked.mp4", text, on_progress)]
        elif method is Method.IMAGE:
            out = [self._image(source, dest_dir / f"{stem}.marked{_image_suffix(name)}", text)]
        else:
            copy = dest_dir / Path(name).name
            shutil.copyfile(source, copy)  # chunked copy, unchanged bytes
            notice = dest_dir / f"{Path(name).name}{NOTICE_SUFFIX}"
            notice.write_text(text + "\n", encoding="utf-8")
            out = [copy, notice]
        if on_progress is not None:
            on_progress(1.0)
        return out

    def duration(self, source: Path) -> float:
        """Seconds of media in ``source`` (0 when ffprobe cannot tell)."""
        done = subprocess.run([self.ffprobe,  # noqa: S603 - argument list, no shell
                               "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                               str(source)], capture_output=True, text=True, check=False, timeout=60)
        try:
            return float(done.stdout.strip())
        except ValueError:
            return 0.0

    def _video(self, source: Path, out: Path, text: str, on_progress: Callable[[float], None] | None) -> Path:
        # The text goes through a file: no escaping of the filter syntax for names and purposes.
        text_file = out.with_suffix(".mark.txt")
        text_file.write_text(wrap(text), encoding="utf-8")
        total = self.duration(source)
        draw = (f"drawtext=fontfile={self.font}:textfile={text_file}:fontcolor=white:fontsize=h/22"
                ":box=1:boxcolor=black@0.55:boxborderw=8:line_spacing=6:x=12:y=12")
        cmd = [self.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
               "-vf", draw, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-movflags", "+faststart", "-progress", "pipe:1", "-nostats", str(out)]
        with subprocess.Popen(cmd,  # noqa: S603 - argument list, no shell
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            for line in proc.stdout:  # key=value lines; out_time_us is how far the encoder got
                key, _, value = line.strip().partition("=")
                if key == "out_time_us" and total > 0 and on_progress is not None and value.isdigit():
                    on_progress(min(int(value) / 1e6 / total, 0.99))
            errors = proc.stderr.read()
            code = proc.wait()
        text_file.unlink(missing_ok=True)
        if code != 0 or not out.exists() or out.stat().st_size == 0:
            out.unlink(missing_ok=True)
            raise _failed("视频转码失败", "ffmpeg failed", errors)
        return out

    def _image(self, source: Path, out: Path, text: str) -> Path:
        try:
            with Image.open(source) as img:
                base = img.convert("RGB")
        except (OSError, ValueError) as exc:
            raise _failed("无法读取图片", "cannot read the image", str(exc)) from None
        size = max(14, base.width // 30)
        font = ImageFont.truetype(str(self.font), size)
        layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        lines = wrap(text)
        box = draw.multiline_textbbox((12, 12), lines, font=font, spacing=6)
        draw.rectangle((box[0] - 8, box[1] - 8, box[2] + 8, box[3] + 8), fill=(0, 0, 0, 140))
        draw.multiline_text((12, 12), lines, font=font, fill=(255, 255, 255, 255), spacing=6)
        marked = Image.alpha_composite(base.convert("RGBA"), layer).convert("RGB")
        marked.save(out, quality=92) if out.suffix == ".jpg" else marked.save(out)
        return out


def _image_suffix(name: str) -> str:
    return ".png" if name.lower().endswith(".png") else ".jpg"


__all__ = ["NOTICE_SUFFIX", "FfmpegMarker", "wrap"]
