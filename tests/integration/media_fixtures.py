"""Real media files for the probe tests, generated with ffmpeg and Pillow (small and fast).

``make_media(folder)`` writes every sample and returns {name: path}. Good samples carry known
metadata (the constants below) so the tests can check the parsed facts exactly; the broken ones
are made from the good ones (cut in half, the ``moov`` box renamed) or from scratch.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from PIL import Image

CREATION = "2026-11-20T08:15:00Z"
MAKE, MODEL, SERIAL = "Hikvision", "DSJ-T9", "HK2026X0042"
PHOTO_TIME_LOCAL, PHOTO_OFFSET = "2026:11:20 16:20:05", "+08:00"  # = 08:20:05Z
GPS_LAT, GPS_LON, GPS_ALT = 22.579612, 113.081523, 12.5  # Jiangmen, Guangdong
SIZE, RATE, SECONDS = "160x120", 25, 2
SAMPLE_RATE = 44100


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=60)


def _video_in(rate: int = RATE) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc=size={SIZE}:rate={rate}:duration={SECONDS}"]


def _audio_in(channels: int = 2) -> list[str]:
    layout = "stereo" if channels == 2 else "mono"
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={SAMPLE_RATE}:duration={SECONDS}",
            "-af", f"aformat=channel_layouts={layout}"]


def _tags(comment: str = f"S/N: {SERIAL}") -> list[str]:
    return ["-metadata", f"creation_time={CREATION}", "-metadata", f"make={MAKE}",
            "-metadata", f"model={MODEL}", "-metadata", f"comment={comment}"]


def make_av(folder: Path) -> dict[str, Path]:
    out = {name: folder / name for name in (
        "h264_aac.mp4", "h264_serial.mov", "hevc.mkv", "vp9.webm", "mjpeg.avi",
        "aac.m4a", "pcm.wav", "mp3.mp3", "local_mvhd.mp4", "naive_date.wav")}
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    _ffmpeg(*_video_in(), *_audio_in(), *x264, "-c:a", "aac", *_tags(),
            "-movflags", "+use_metadata_tags", str(out["h264_aac.mp4"]))
    _ffmpeg(*_video_in(30), *_audio_in(1), *x264, "-c:a", "aac", *_tags("body camera"),
            "-metadata", f"device_serial={SERIAL}", "-metadata", "location=+22.5796+113.0815+12.0/",
            "-movflags", "+use_metadata_tags", str(out["h264_serial.mov"]))
    _ffmpeg(*_video_in(), *_audio_in(), "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
            "log-level=none", "-c:a", "libopus", *_tags(), str(out["hevc.mkv"]))
    _ffmpeg(*_video_in(), "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "100k",
            *_tags(), str(out["vp9.webm"]))
    _ffmpeg(*_video_in(), *_audio_in(), "-c:v", "mjpeg", "-q:v", "10", "-c:a", "pcm_s16le",
            str(out["mjpeg.avi"]))
    _ffmpeg(*_audio_in(1), "-c:a", "aac", *_tags(), str(out["aac.m4a"]))
    _ffmpeg(*_audio_in(), "-c:a", "pcm_s16le", "-metadata", "comment=interview", str(out["pcm.wav"]))
    _ffmpeg(*_audio_in(), "-c:a", "libmp3lame", "-b:a", "64k", "-metadata", "title=询问笔录录音",
            "-metadata", f"creation_time={CREATION}", str(out["mp3.mp3"]))
    # A camera writing its local wall-clock time (16:15 in Jiangmen) into a text tag without a
    # zone, and one writing it into the MP4 header, whose binary time is UTC by definition.
    _ffmpeg(*_audio_in(), "-c:a", "pcm_s16le", "-metadata", "date=2026-11-20 16:15:00", str(out["naive_date.wav"]))
    _ffmpeg(*_video_in(), *x264, "-metadata", "creation_time=2026-11-20 16:15:00", str(out["local_mvhd.mp4"]))
    return out


def make_photos(folder: Path) -> dict[str, Path]:
    jpeg, png, cut = folder / "exif.jpg", folder / "plain.png", folder / "cut.jpg"
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = MAKE, MODEL, PHOTO_TIME_LOCAL
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x9003], exif_ifd[0x9011], exif_ifd[0xA431] = PHOTO_TIME_LOCAL, PHOTO_OFFSET, SERIAL
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", _dms(GPS_LAT)
    gps[3], gps[4] = "E", _dms(GPS_LON)
    gps[5], gps[6] = 0, GPS_ALT
    Image.new("RGB", (64, 48), (200, 30, 30)).save(jpeg, "JPEG", exif=exif)
    Image.new("RGB", (32, 24), (30, 200, 30)).save(png, "PNG")
    data = jpeg.read_bytes()
    cut.write_bytes(data[:-2])  # only the end-of-image marker is missing: facts readable
    (folder / "half.jpg").write_bytes(data[: len(data) // 2])
    return {"exif.jpg": jpeg, "plain.png": png, "cut.jpg": cut, "half.jpg": folder / "half.jpg"}


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def make_broken(folder: Path, good_mp4: Path) -> dict[str, Path]:
    """Zero bytes, an MP4 cut in the middle (moov at the end, so it is lost), one cut after a
    front moov (faststart: facts readable, data missing), fixed pseudo-random bytes, text, moov renamed."""
    out = {name: folder / name for name in (
        "empty.mp4", "cut.mp4", "cut_faststart.mp4", "random.mp4", "notes.txt", "no_moov.mp4")}
    out["empty.mp4"].write_bytes(b"")
    data = good_mp4.read_bytes()
    out["cut.mp4"].write_bytes(data[: len(data) // 2])
    faststart = folder / "faststart.mp4"
    _ffmpeg("-i", str(good_mp4), "-c", "copy", "-movflags", "+faststart", str(faststart))
    fs = faststart.read_bytes()
    out["cut_faststart.mp4"].write_bytes(fs[: int(len(fs) * 0.7)])
    out["random.mp4"].write_bytes(b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(256)))
    out["notes.txt"].write_text("现场检查笔录 — not a recording\n", encoding="utf-8")
    at = fs.index(b"moov")
    out["no_moov.mp4"].write_bytes(fs[:at] + b"junk" + fs[at + 4:])  # ffmpeg reads a moov hidden in "free"
    return out
