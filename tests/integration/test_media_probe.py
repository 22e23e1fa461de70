"""The media probe on real files generated with ffmpeg and Pillow, good and broken."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawtrail.adapters.media_probe import MediaFileProbe, isobmff_truncation
from lawtrail.domain.media import MediaFacts, MediaType, clock_offset
from lawtrail.services.ports import MediaProbe
from tests.integration.media_fixtures import (
    GPS_ALT,
    GPS_LAT,
    GPS_LON,
    MAKE,
    MODEL,
    RATE,
    SAMPLE_RATE,
    SECONDS,
    SERIAL,
    make_av,
    make_broken,
    make_photos,
)

START = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    av = make_av(folder)
    return {**av, **make_photos(folder), **make_broken(folder, av["h264_aac.mp4"])}


@pytest.fixture(scope="session")
def probe() -> MediaProbe:
    return MediaFileProbe(timeout_s=20)


@pytest.fixture(scope="session")
def facts(media: dict[str, Path], probe: MediaProbe) -> dict[str, MediaFacts]:
    return {name: probe.probe(path) for name, path in media.items()}


def test_mp4_h264_aac_all_facts(facts: dict[str, MediaFacts]) -> None:
    f = facts["h264_aac.mp4"]
    assert f.probe_ok and f.probe_error is None
    assert f.media_type is MediaType.VIDEO
    assert "mp4" in (f.container or "")
    assert f.duration_s == pytest.approx(SECONDS, abs=0.05)
    assert f.captured_start == START and f.captured_start.tzinfo is not None
    assert f.captured_end == datetime(2026, 11, 20, 8, 15, SECONDS, tzinfo=UTC)
    assert (f.video_codec, f.width, f.height, f.frame_rate) == ("h264", 160, 120, RATE)
    assert (f.audio_codec, f.sample_rate, f.channels) == ("aac", SAMPLE_RATE, 2)
    assert (f.device_make, f.device_model) == (MAKE, MODEL)
    assert f.device_serial == SERIAL  # found as "S/N: …" in the comment
    assert f.raw_tags["comment"] == f"S/N: {SERIAL}"


def test_mov_serial_tag_location_mono_30fps(facts: dict[str, MediaFacts]) -> None:
    f = facts["h264_serial.mov"]
    assert f.probe_ok and f.media_type is MediaType.VIDEO
    assert f.device_serial == SERIAL and (f.device_make, f.device_model) == (MAKE, MODEL)
    assert f.frame_rate == 30 and f.channels == 1
    assert f.captured_start == START
    assert f.gps_lat == pytest.approx(22.5796, abs=1e-5)
    assert f.gps_lon == pytest.approx(113.0815, abs=1e-5)
    assert f.gps_alt == pytest.approx(12.0)


@pytest.mark.parametrize(("name", "container", "vcodec", "acodec"), [
    ("hevc.mkv", "matroska", "hevc", "opus"),
    ("vp9.webm", "webm", "vp9", None),
    ("mjpeg.avi", "avi", "mjpeg", "pcm_s16le"),
])
def test_other_video_containers(facts: dict[str, MediaFacts], name: str, container: str,
                                vcodec: str, acodec: str | None) -> None:
    f = facts[name]
    assert f.probe_ok and f.media_type is MediaType.VIDEO
    assert container in (f.container or "")
    assert (f.video_codec, f.audio_codec) == (vcodec, acodec)
    assert (f.width, f.height) == (160, 120) and f.frame_rate == pytest.approx(RATE)
    assert f.duration_s == pytest.approx(SECONDS, abs=0.05)


def test_matroska_tags_give_time_and_device(facts: dict[str, MediaFacts]) -> None:
    f = facts["hevc.mkv"]
    assert f.captured_start == START and (f.device_make, f.device_model, f.device_serial) == (MAKE, MODEL, SERIAL)


def test_avi_without_tags_has_no_capture_time(facts: dict[str, MediaFacts]) -> None:
    f = facts["mjpeg.avi"]
    assert f.captured_start is None and f.captured_end is None and f.device_make is None


@pytest.mark.parametrize(("name", "codec", "channels", "has_time"), [
    ("aac.m4a", "aac", 1, True),
    ("pcm.wav", "pcm_s16le", 2, False),
    ("mp3.mp3", "mp3", 2, True),
])
def test_audio_only(facts: dict[str, MediaFacts], name: str, codec: str, channels: int, has_time: bool) -> None:
    f = facts[name]
    assert f.probe_ok and f.media_type is MediaType.AUDIO
    assert (f.audio_codec, f.sample_rate, f.channels) == (codec, SAMPLE_RATE, channels)
    assert f.video_codec is None and f.width is None and f.frame_rate is None
    assert f.duration_s == pytest.approx(SECONDS, abs=0.1)
    assert (f.captured_start == START) if has_time else f.captured_start is None


def test_mp3_tags_kept_in_raw_tags(facts: dict[str, MediaFacts]) -> None:
    assert facts["mp3.mp3"].raw_tags["title"] == "询问笔录录音"


def test_naive_text_time_is_china_standard_time(facts: dict[str, MediaFacts]) -> None:
    # "2026-11-20 16:15:00" without a zone, from a recorder set to Beijing time = 08:15 UTC.
    f = facts["naive_date.wav"]
    assert f.raw_tags["date"] == "2026-11-20 16:15:00"
    assert f.captured_start == START


def test_mp4_header_time_is_utc_and_a_local_clock_shows_as_offset(facts: dict[str, MediaFacts]) -> None:
    # The MP4 header holds seconds since 1904 UTC; a camera that writes local time there reads
    # 8 h fast, which is what clock_offset at hand-in records (decision 0008).
    f = facts["local_mvhd.mp4"]
    assert f.captured_start == datetime(2026, 11, 20, 16, 15, tzinfo=UTC)
    device_now, station_now = datetime(2026, 11, 20, 18, 0, tzinfo=UTC), datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert clock_offset(device_now, station_now) == timedelta(hours=8)


def test_jpeg_exif_time_camera_serial_gps(facts: dict[str, MediaFacts]) -> None:
    f = facts["exif.jpg"]
    assert f.probe_ok and f.media_type is MediaType.PHOTO and f.container == "JPEG"
    assert f.captured_start == datetime(2026, 11, 20, 8, 20, 5, tzinfo=UTC)  # 16:20:05 +08:00
    assert f.captured_end == f.captured_start and f.duration_s is None
    assert (f.width, f.height) == (64, 48)
    assert (f.device_make, f.device_model, f.device_serial) == (MAKE, MODEL, SERIAL)
    assert f.gps_lat == pytest.approx(GPS_LAT, abs=1e-5)
    assert f.gps_lon == pytest.approx(GPS_LON, abs=1e-5)
    assert f.gps_alt == pytest.approx(GPS_ALT)
    assert f.raw_tags["OffsetTimeOriginal"] == "+08:00"


def test_png_without_exif(facts: dict[str, MediaFacts]) -> None:
    f = facts["plain.png"]
    assert f.probe_ok and f.media_type is MediaType.PHOTO and f.container == "PNG"
    assert (f.width, f.height) == (32, 24)
    assert f.captured_start is None and f.gps_lat is None and f.device_make is None


@pytest.mark.parametrize(("name", "reason"), [
    ("empty.mp4", "empty file"),
    ("cut.mp4", "moov atom not found"),
    ("no_moov.mp4", "moov atom not found"),
    ("random.mp4", "Invalid data"),
    ("notes.txt", "Invalid data"),
    ("half.jpg", "not a readable image"),
])
def test_broken_files_are_unknown_and_not_probeable(facts: dict[str, MediaFacts], name: str, reason: str) -> None:
    f = facts[name]
    assert f.media_type is MediaType.UNKNOWN and not f.probe_ok
    assert reason in (f.probe_error or ""), f.probe_error
    assert str(Path("/")) not in (f.probe_error or "")  # no file paths leak into the reason


def test_cut_after_front_moov_keeps_partial_facts_with_reason(facts: dict[str, MediaFacts]) -> None:
    f = facts["cut_faststart.mp4"]
    assert not f.probe_ok and "truncated: box 'mdat'" in (f.probe_error or "")
    assert f.media_type is MediaType.VIDEO and f.video_codec == "h264"


def test_jpeg_missing_end_marker_keeps_facts_with_reason(facts: dict[str, MediaFacts]) -> None:
    f = facts["cut.jpg"]
    assert not f.probe_ok and f.probe_error == "truncated JPEG: no end-of-image marker"
    assert f.media_type is MediaType.PHOTO and f.device_make == MAKE


def test_good_mp4_passes_the_box_walk(media: dict[str, Path]) -> None:
    path = media["h264_aac.mp4"]
    assert isobmff_truncation(path, path.stat().st_size) is None


def test_missing_directory_and_fifo_are_refused_unread(tmp_path: Path, probe: MediaProbe) -> None:
    missing = probe.probe(tmp_path / "nope.mp4")
    assert not missing.probe_ok and "cannot read" in (missing.probe_error or "")
    assert probe.probe(tmp_path).probe_error == "not a regular file"
    fifo = tmp_path / "pipe.mp4"
    os.mkfifo(fifo)  # opening it for reading would block forever
    assert probe.probe(fifo).probe_error == "not a regular file"


def test_symlink_to_media_is_followed(media: dict[str, Path], tmp_path: Path, probe: MediaProbe) -> None:
    link = tmp_path / "link.m4a"
    link.symlink_to(media["aac.m4a"])
    assert probe.probe(link).media_type is MediaType.AUDIO


def test_odd_file_names_are_never_read_as_urls_or_options(media: dict[str, Path], tmp_path: Path,
                                                          probe: MediaProbe) -> None:
    odd = tmp_path / "-i http:" / "concat:a|b 记录.mp4"
    odd.parent.mkdir()
    odd.write_bytes(media["h264_aac.mp4"].read_bytes())
    f = probe.probe(odd)
    assert f.probe_ok and f.video_codec == "h264"


def _fake_ffprobe(folder: Path, body: str) -> Path:
    script = folder / "ffprobe"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def slow_ffprobe(tmp_path: Path) -> Iterator[Path]:
    yield _fake_ffprobe(tmp_path, "exec sleep 30")


def test_a_weak_format_guess_is_not_media(media: dict[str, Path], tmp_path: Path) -> None:
    # What ffprobe says for about 1 in 40 blocks of random bytes.
    guess = {"format": {"format_name": "h263", "probe_score": 25},
             "streams": [{"codec_type": "video", "codec_name": "h263", "width": 128, "height": 96}]}
    fake = _fake_ffprobe(tmp_path, f"echo '{json.dumps(guess)}'")
    f = MediaFileProbe(ffprobe=str(fake)).probe(media["random.mp4"])
    assert f.media_type is MediaType.UNKNOWN and not f.probe_ok
    assert f.probe_error == "not a recognised media format (ffprobe only guessed h263, score 25/100)"


def test_garbage_json_from_ffprobe_is_a_reason_not_an_exception(media: dict[str, Path], tmp_path: Path) -> None:
    fake = _fake_ffprobe(tmp_path, "echo '{not json'; exit 0")
    f = MediaFileProbe(ffprobe=str(fake)).probe(media["h264_aac.mp4"])
    assert not f.probe_ok and f.probe_error == "ffprobe failed (exit 0)"


def test_ffprobe_that_hangs_is_killed_after_the_timeout(media: dict[str, Path], slow_ffprobe: Path) -> None:
    f = MediaFileProbe(ffprobe=str(slow_ffprobe), timeout_s=0.3).probe(media["h264_aac.mp4"])
    assert f.media_type is MediaType.UNKNOWN and not f.probe_ok
    assert f.probe_error == "ffprobe timed out after 0.3 s"


def test_photos_do_not_need_ffprobe(media: dict[str, Path], tmp_path: Path) -> None:
    without = MediaFileProbe(ffprobe=str(tmp_path / "no-such-ffprobe"))
    assert without.probe(media["exif.jpg"]).probe_ok
    f = without.probe(media["h264_aac.mp4"])
    assert not f.probe_ok and "ffprobe is not installed" in (f.probe_error or "")


def test_facts_as_json(facts: dict[str, MediaFacts]) -> None:
    out = facts["h264_aac.mp4"].to_json()
    assert type(out["media_type"]) is str and out["media_type"] == "video"
    assert out["captured_start"] == "2026-11-20T08:15:00Z" and out["captured_end"] == "2026-11-20T08:15:02Z"
    assert json.loads(json.dumps(out)) == out
    assert out["duration_s"] == pytest.approx(2.0) and isinstance(out["raw_tags"], dict)
