"""Resumable uploads (tus 1.0 core + creation + termination): the pure parts.

Header parsing, offset arithmetic and the decoding and validation of ``Upload-Metadata`` live
here, without I/O; ``services.uploads`` drives them and ``adapters.storage.uploads`` keeps the
bytes. The subset of the protocol is described in docs/decisions/0011.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from lawtrail.errors import Conflict, FieldProblem, NotFound, PayloadTooLarge, ValidationFailed

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = ("creation", "termination")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
#: Metadata keys understood; others (tus-js-client sends ``filetype``…) are ignored.
FILENAME_KEYS = ("filename", "name")
MAX_NAME = 255
MAX_METADATA = 4096
_ID = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_DIGITS = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class UploadMeta:
    """What the client says about the file it is about to send."""

    filename: str
    device: str
    officer_id: UUID | None = None
    sha256: str | None = None
    handed_in_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"filename": self.filename, "device": self.device,
                "officer_id": str(self.officer_id) if self.officer_id else None, "sha256": self.sha256,
                "handed_in_at": self.handed_in_at.isoformat() if self.handed_in_at else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UploadMeta:
        return cls(filename=data["filename"], device=data["device"],
                   officer_id=UUID(data["officer_id"]) if data.get("officer_id") else None,
                   sha256=data.get("sha256"),
                   handed_in_at=datetime.fromisoformat(data["handed_in_at"]) if data.get("handed_in_at") else None)


# --- errors ------------------------------------------------------------------------------------


def _bad(field: str, zh: str, en: str, code: str = "upload.bad_request") -> ValidationFailed:
    return ValidationFailed(message_zh=f"上传请求无效：{zh}", message_en=f"invalid upload request: {en}", code=code,
                            problems=[FieldProblem(field, zh, en)])


def upload_not_found(upload_id: str) -> NotFound:
    return NotFound(message_zh="上传任务不存在或已过期", message_en="no such upload (or it has expired)",
                    code="upload.not_found", details={"upload_id": upload_id[:40]})


def empty_upload() -> ValidationFailed:
    return ValidationFailed(message_zh="文件为空（0 字节），不予上传",
                            message_en="the file is empty (0 bytes); not accepted", code="upload.empty",
                            problems=[FieldProblem("Upload-Length", "文件为空", "empty file")])


def too_large(length: int, max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(message_zh=f"文件大小 {length} 字节超过上限 {max_bytes} 字节，不予上传",
                           message_en=f"the file ({length} bytes) exceeds the limit of {max_bytes} bytes",
                           code="upload.too_large", details={"length": length, "max_bytes": max_bytes})


def beyond_length(offset: int, incoming: int, length: int) -> PayloadTooLarge:
    return PayloadTooLarge(message_zh="发送的数据超出了声明的文件大小（Upload-Length），已拒收",
                           message_en="the data sent goes beyond the declared Upload-Length; refused",
                           code="upload.beyond_length",
                           details={"offset": offset, "incoming": incoming, "length": length})


def offset_mismatch(given: int, actual: int) -> Conflict:
    return Conflict(message_zh=f"上传偏移量不符：服务器已收到 {actual} 字节，请求从 {given} 开始",
                    message_en=f"Upload-Offset {given} does not match the {actual} bytes already received",
                    code="upload.offset_mismatch", details={"offset": actual, "given": given})


# --- headers -------------------------------------------------------------------------------------


def check_version(value: str | None) -> None:
    """Raise ValidationFailed (``upload.tus_version``, HTTP 412) unless ``Tus-Resumable: 1.0.0``."""
    if (value or "").strip() != TUS_VERSION:
        raise _bad("Tus-Resumable", f"需要 Tus-Resumable: {TUS_VERSION}", f"Tus-Resumable: {TUS_VERSION} is required",
                   code="upload.tus_version")


def parse_upload_id(value: str) -> str:
    """The id as given if it is 32 lower-case hex characters; raise NotFound otherwise (never a path)."""
    if not _ID.fullmatch(value):
        raise upload_not_found(value)
    return value


def _non_negative(field: str, value: str | None) -> int:
    text = (value or "").strip()
    if not _DIGITS.fullmatch(text):
        raise _bad(field, f"{field} 须为非负整数", f"{field} must be a non-negative integer")
    return int(text)


def parse_length(value: str | None, max_bytes: int) -> int:
    """``Upload-Length``: a positive integer not above ``max_bytes``.

    Raise ValidationFailed (``upload.bad_request``; ``upload.empty`` for 0) or PayloadTooLarge
    (``upload.too_large``)."""
    if value is None:
        raise _bad("Upload-Length", "缺少 Upload-Length（不支持延迟声明长度）",
                   "Upload-Length is required (deferred length is not supported)")
    length = _non_negative("Upload-Length", value)
    if length == 0:
        raise empty_upload()
    if length > max_bytes:
        raise too_large(length, max_bytes)
    return length


def parse_offset(value: str | None) -> int:
    """``Upload-Offset``: a non-negative integer; raise ValidationFailed otherwise."""
    return _non_negative("Upload-Offset", value)


def check_content_type(value: str | None) -> None:
    """Raise ValidationFailed (``upload.bad_content_type``, HTTP 415) unless the PATCH body is
    ``application/offset+octet-stream``."""
    if (value or "").split(";")[0].strip().lower() != OFFSET_CONTENT_TYPE:
        raise _bad("Content-Type", f"PATCH 的 Content-Type 须为 {OFFSET_CONTENT_TYPE}",
                   f"a PATCH must have Content-Type {OFFSET_CONTENT_TYPE}", code="upload.bad_content_type")


def check_patch(offset: int, current: int, length: int, incoming: int | None) -> None:
    """Offset arithmetic of a PATCH: ``offset`` must equal the bytes already received
    (Conflict ``upload.offset_mismatch``), and ``offset + incoming`` (the Content-Length, when
    given) must not pass ``length`` (PayloadTooLarge ``upload.beyond_length``)."""
    if offset != current:
        raise offset_mismatch(offset, current)
    if incoming is not None and offset + incoming > length:
        raise beyond_length(offset, incoming, length)


def room_left(offset: int, length: int, block: int) -> None:
    """Raise PayloadTooLarge when ``block`` more bytes at ``offset`` would pass ``length``."""
    if offset + block > length:
        raise beyond_length(offset, block, length)


# --- metadata ------------------------------------------------------------------------------------


def decode_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (value may be absent).

    Raise ValidationFailed for a malformed pair, a repeated key, bad base64 or non-UTF-8 text."""
    if header is None or not header.strip():
        return {}
    if len(header) > MAX_METADATA:
        raise _bad("Upload-Metadata", "Upload-Metadata 过长", "Upload-Metadata is too long")
    out: dict[str, str] = {}
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if len(parts) > 2 or not _KEY.fullmatch(key) or key in out:
            raise _bad("Upload-Metadata", f"元数据项 {key[:20]!r} 格式不正确", f"malformed metadata pair {key[:20]!r}")
        try:
            out[key] = base64.b64decode(parts[1], validate=True).decode("utf-8") if len(parts) == 2 else ""
        except (binascii.Error, UnicodeDecodeError):
            raise _bad("Upload-Metadata", f"元数据项 {key} 不是有效的 base64/UTF-8",
                       f"metadata {key} is not valid base64 of UTF-8 text") from None
    return out


def encode_metadata(values: dict[str, str]) -> str:
    """The ``Upload-Metadata`` header for ``values`` (what a client sends)."""
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def clean_filename(raw: str) -> str:
    """The last path component, NFC-normalised, control characters refused, at most 255 chars."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1].strip())
    if not name or name in (".", ".."):
        raise _bad("filename", "缺少文件名", "the file name is missing")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise _bad("filename", "文件名含有控制字符", "the file name contains control characters")
    return name[:MAX_NAME]


def _uuid(field: str, value: str) -> UUID:
    try:
        return UUID(value.strip())
    except ValueError:
        raise _bad(field, "执法人员编号无效", f"{field} is not a valid id") from None


def _time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise _bad("handed_in_at", "交接时间须为带时区的 ISO 8601 时间",
                   "handed_in_at must be an ISO 8601 time with a time zone")
    return at


def parse_metadata(header: str | None, now: datetime) -> UploadMeta:
    """Decode and validate the creation metadata: ``filename`` (or ``name``) and ``device`` are
    required; ``officer`` (a user id), ``sha256`` (64 hex) and ``handed_in_at`` (ISO 8601 with
    a zone, not in the future) are optional. Raise ValidationFailed listing every bad field."""
    values = decode_metadata(header)
    problems: list[FieldProblem] = []
    meta: dict[str, Any] = {}
    checks: dict[str, Callable[[], Any]] = {
        "filename": lambda: clean_filename(next((values[k] for k in FILENAME_KEYS if values.get(k)), "")),
        "device": lambda: _device(values.get("device", "")),
        "officer_id": lambda: _uuid("officer", values["officer"]) if values.get("officer", "").strip() else None,
        "sha256": lambda: _digest(values.get("sha256", "")),
        "handed_in_at": lambda: _handed_in(values.get("handed_in_at", ""), now),
    }
    for name, check in checks.items():
        try:
            meta[name] = check()
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        zh = "；".join(p.message_zh for p in problems)
        en = "; ".join(p.message_en for p in problems)
        raise ValidationFailed(f"上传请求无效：{zh}", f"invalid upload request: {en}", code="upload.bad_metadata",
                               problems=problems)
    return UploadMeta(**meta)


def _device(value: str) -> str:
    number = value.strip()
    if not number or len(number) > 64:
        raise _bad("device", "缺少设备编号", "the device number is missing")
    return number


def _digest(value: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    if not _HEX64.fullmatch(text):
        raise _bad("sha256", "声明的 SHA-256 摘要格式不正确（应为 64 位十六进制）",
                   "the claimed sha256 must be 64 hex characters")
    return text.lower()


def _handed_in(value: str, now: datetime) -> datetime | None:
    if not value.strip():
        return None
    at = _time(value)
    if (at - now).total_seconds() > 300:  # five minutes of clock skew between station and server
        raise _bad("handed_in_at", "交接时间不能晚于当前时间", "handed_in_at is in the future")
    return at
