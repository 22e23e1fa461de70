"""Real video clips of a chosen length and start time (ffmpeg), for continuity tests."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path


def make_clip(path: Path, start: datetime, seconds: int) -> Path:
    """A tiny real H.264 video of ``seconds`` whose container creation time is ``start`` (aware)."""
    stamp = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size=32x32:rate=1:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-metadata", f"creation_time={stamp}", str(path)],
                   check=True, timeout=120)
    return path
