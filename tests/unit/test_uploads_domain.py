"""The pure parts of the resumable upload (tus 1.0): headers, offsets, metadata."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lawtrail.domain import uploads as up
from lawtrail.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def meta(**values: str) -> str:
    return up.encode_metadata({"filename": "现场.mp4", "device": "ZFJLY-A001", **values})


def test_length_must_be_a_positive_integer_within_the_limit() -> None:
    assert up.parse_length("1024", 2048) == 1024
    assert up.parse_length(" 2048 ", 2048) == 2048
    empty = pytest.raises(ValidationFailed)
    with empty as info:
        up.parse_length("0", 2048)
    assert info.value.code == "upload.empty" and "0 字节" in info.value.message_zh
    with pytest.raises(PayloadTooLarge) as big:
        up.parse_length("2049", 2048)
    assert big.value.code == "upload.too_large"
    for bad in (None, "", "-1", "1e3", "12 34", "٣"):
        with pytest.raises(ValidationFailed) as err:
            up.parse_length(bad, 2048)
        assert err.value.code == "upload.bad_request"


def test_offsets_and_content_type() -> None:
    assert up.parse_offset("0") == 0 and up.parse_offset("123") == 123
    with pytest.raises(ValidationFailed):
        up.parse_offset("-5")
    up.check_content_type("application/offset+octet-stream")
    up.check_content_type("Application/Offset+Octet-Stream; charset=binary")
    with pytest.raises(ValidationFailed) as err:
        up.check_content_type("application/octet-stream")
    assert err.value.code == "upload.bad_content_type"


def test_patch_arithmetic() -> None:
    up.check_patch(100, 100, 1000, 900)
    up.check_patch(100, 100, 1000, None)
    with pytest.raises(Conflict) as wrong:
        up.check_patch(50, 100, 1000, 10)
    assert (wrong.value.code, wrong.value.details["offset"]) == ("upload.offset_mismatch", 100)
    with pytest.raises(PayloadTooLarge) as beyond:
        up.check_patch(100, 100, 1000, 901)
    assert beyond.value.code == "upload.beyond_length"
    up.room_left(990, 1000, 10)
    with pytest.raises(PayloadTooLarge):
        up.room_left(990, 1000, 11)


def test_version_and_ids() -> None:
    up.check_version("1.0.0")
    for bad in (None, "", "0.2.2"):
        with pytest.raises(ValidationFailed) as err:
            up.check_version(bad)
        assert err.value.code == "upload.tus_version"
    good = uuid.uuid4().hex
    assert up.parse_upload_id(good) == good
    for bad in ("../etc", good.upper(), good[:-1], good + "0", ""):
        with pytest.raises(NotFound):
            up.parse_upload_id(bad)


def test_metadata_is_decoded_and_validated() -> None:
    officer = uuid.uuid4()
    digest = "AB" * 32
    parsed = up.parse_metadata(meta(officer=str(officer), sha256=digest, handed_in_at="2026-11-26T09:30:00+08:00",
                                    filetype="video/mp4"), NOW)
    assert parsed == up.UploadMeta(filename="现场.mp4", device="ZFJLY-A001", officer_id=officer,
                                   sha256=digest.lower(), handed_in_at=datetime(2026, 11, 26, 1, 30, tzinfo=UTC))
    assert up.UploadMeta.from_json(parsed.to_json()) == parsed
    bare = up.parse_metadata("name " + base64.b64encode(b"a.wav").decode() + ",device " +
                             base64.b64encode(b" D1 ").decode() + ",flag", NOW)
    assert (bare.filename, bare.device, bare.officer_id, bare.sha256, bare.handed_in_at) == ("a.wav", "D1", None,
                                                                                           None, None)


def test_every_bad_metadata_field_is_named() -> None:
    future = (NOW + timedelta(hours=1)).isoformat()
    with pytest.raises(ValidationFailed) as err:
        up.parse_metadata(up.encode_metadata({"filename": "", "officer": "nobody", "sha256": "abc",
                                              "handed_in_at": future}), NOW)
    fields = sorted(p.field for p in err.value.problems)
    assert err.value.code == "upload.bad_metadata"
    assert fields == ["device", "filename", "handed_in_at", "officer", "sha256"]
    with pytest.raises(ValidationFailed):
        up.parse_metadata(meta(handed_in_at="2026-11-26T09:30:00"), NOW)  # no zone


@pytest.mark.parametrize("header", ["filename !!!", "filename YQ==,filename YQ==", "a b c", "bad/key YQ==",
                                    "filename " + base64.b64encode(b"\xff\xfe").decode()])
def test_malformed_metadata_headers_are_refused(header: str) -> None:
    with pytest.raises(ValidationFailed):
        up.decode_metadata(header)


def test_file_names_lose_their_folders_and_control_characters_are_refused() -> None:
    assert up.clean_filename("C:\\DCIM\\100\\clip.MP4") == "clip.MP4"
    assert up.clean_filename("../../etc/passwd") == "passwd"
    assert len(up.clean_filename("x" * 400)) == 255
    for bad in ("", "..", "a\nb", "dir/"):
        with pytest.raises(ValidationFailed):
            up.clean_filename(bad)
