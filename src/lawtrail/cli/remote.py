"""``lawtrail ingest --remote URL --token T``: push originals to another lawtrail over its
resumable upload API (tus 1.0, decision 0011) with httpx.

Each file is checked locally first (symlink, directory, special or empty file: refused without
contacting the server), then created on the server, sent in one streamed PATCH from the server's
offset, and hashed on the way; after a broken connection, a timeout or a 5xx/busy answer the
client waits (back-off), asks the server's offset with HEAD and goes on from there, at most
``retries`` times in a row without progress. The server's digest must equal the local one.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from lawtrail.domain.uploads import TUS_VERSION, encode_metadata
from lawtrail.errors import Conflict, IntegrityError, LawtrailError, NotFound
from lawtrail.services.vault import IngestResult, file_refusal

BLOCK = 4 * 1024 * 1024
RETRY_STATUS = frozenset({409, 423, 429, 500, 502, 503, 504})


def _error(response: httpx.Response) -> LawtrailError:
    """The server's problem+json as an error of our hierarchy (same code and messages)."""
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    return LawtrailError(body.get("message_zh") or f"远程服务器错误（HTTP {response.status_code}）",
                         body.get("message_en") or f"remote server error (HTTP {response.status_code})",
                         code=body.get("code") or f"remote.http_{response.status_code}")


def unreachable(url: str, exc: Exception) -> LawtrailError:
    return LawtrailError(f"无法连接远程服务器 {url}：{exc}", f"cannot reach the remote server {url}: {exc}",
                         code="remote.unreachable")


class Remote:
    """A client of one remote lawtrail's upload API, authenticated by an API token."""

    def __init__(self, url: str, token: str, *, retries: int = 5, backoff: float = 0.5,
                 timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.Client(base_url=self.url, timeout=timeout, headers={
            "Authorization": f"Bearer {token}", "Tus-Resumable": TUS_VERSION, "User-Agent": "lawtrail-ingest"})

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise unreachable(self.url, exc) from exc

    def check_device(self, number: str) -> None:
        """Raise the server's error (``device.not_found``, ``permission_denied``…) unless the
        token may hand in footage of device ``number``."""
        response = self._call("GET", f"/api/v1/uploads/devices/{number}")
        if response.status_code != 200:
            raise _error(response)

    def officer_id(self, username: str) -> str:
        """The id of the person with this username, from the remote's user list."""
        response = self._call("GET", "/api/v1/users")
        if response.status_code != 200:
            raise _error(response)
        for user in response.json():
            if user.get("username") == username.strip():
                return str(user["id"])
        raise NotFound(f"用户名 {username} 不存在", f"no user {username!r}", code="user.not_found")

    def push(self, path: Path, *, device: str, officer_id: str | None = None,
             on_bytes: Callable[[int], None] | None = None) -> IngestResult:
        """Upload one file; return its outcome like the local ingest (stored/duplicate/refused).

        Raise LawtrailError when the server refuses the whole command (unknown device, no
        permission, bad token) or cannot be reached after the retries."""
        refusal = file_refusal(path)
        if refusal is not None:
            return IngestResult(path=str(path), status="refused", reason=f"{refusal[0]} / {refusal[1]}")
        size = path.lstat().st_size
        meta = {"filename": path.name, "device": device, **({"officer": officer_id} if officer_id else {})}
        created = self._call("POST", "/api/v1/uploads", headers={
            "Upload-Length": str(size), "Upload-Metadata": encode_metadata(meta)})
        if created.status_code != 201:
            err = _error(created)
            if created.status_code in (413, 422):  # this file is refused; the others may go
                return IngestResult(path=str(path), status="refused", reason=f"{err.message_zh} / {err.message_en}")
            raise err
        upload = created.headers["Location"]
        try:
            digest = self._send(path, upload, size, on_bytes)
        except LawtrailError as exc:
            if exc.code in ("upload.digest_mismatch", "upload.beyond_length", "vault.empty"):
                return IngestResult(path=str(path), status="refused", reason=f"{exc.message_zh} / {exc.message_en}")
            raise
        return self._outcome(path, upload, digest)

    def _send(self, path: Path, upload: str, size: int, on_bytes: Callable[[int], None] | None) -> str:
        """PATCH until the server has every byte; return the SHA-256 of the file as sent."""
        failures = 0
        offset = 0
        hasher = hashlib.sha256()
        while True:
            try:
                response = self._http.patch(upload, content=self._body(path, offset, size, hasher, on_bytes),
                                            headers={"Upload-Offset": str(offset), "Content-Length": str(size - offset),
                                                     "Content-Type": "application/offset+octet-stream"})
                if response.status_code == 204 and int(response.headers["Upload-Offset"]) == size:
                    return hasher.hexdigest()
                if response.status_code not in RETRY_STATUS and response.status_code != 204:
                    raise _error(response)
            except httpx.TransportError as exc:
                last: Exception = exc
            else:
                last = _error(response)
            failures += 1
            if failures > self.retries:
                raise unreachable(self.url, last)
            time.sleep(self.backoff * 2 ** (failures - 1))
            new_offset = self._offset(upload)
            if new_offset > offset:
                failures = 0  # progress was made: the retry budget is for a stuck upload
            hasher = self._rehash(path, new_offset)
            if on_bytes is not None:
                on_bytes(new_offset - self._sent)
            offset = new_offset

    _sent = 0

    def _body(self, path: Path, offset: int, size: int, hasher: Any,
              on_bytes: Callable[[int], None] | None) -> Iterator[bytes]:
        """The file from ``offset`` in BLOCK reads, hashed and counted as they are handed to httpx."""
        self._sent = offset
        with path.open("rb", buffering=0) as f:
            f.seek(offset)
            while block := f.read(min(BLOCK, size - self._sent)):
                hasher.update(block)
                self._sent += len(block)
                if on_bytes is not None:
                    on_bytes(len(block))
                yield block

    def _offset(self, upload: str) -> int:
        for attempt in range(self.retries + 1):
            try:
                response = self._http.head(upload)
            except httpx.TransportError:
                time.sleep(self.backoff * 2**attempt)
                continue
            if response.status_code == 200:
                return int(response.headers["Upload-Offset"])
            if response.status_code not in RETRY_STATUS:
                raise _error(self._http.get(upload)) if response.status_code != 404 else NotFound(
                    "上传任务已不存在（可能已过期）", "the upload no longer exists (it may have expired)",
                    code="upload.not_found")
            time.sleep(self.backoff * 2**attempt)
        raise Conflict("无法取得上传进度", "cannot get the upload's offset", code="remote.unreachable")

    @staticmethod
    def _rehash(path: Path, offset: int) -> Any:
        hasher = hashlib.sha256()
        with path.open("rb", buffering=0) as f:
            left = offset
            while left and (block := f.read(min(BLOCK, left))):
                hasher.update(block)
                left -= len(block)
        return hasher

    def _outcome(self, path: Path, upload: str, digest: str) -> IngestResult:
        response = self._call("GET", upload)
        if response.status_code != 200:
            raise _error(response)
        result = response.json()["result"] or {}
        if result.get("sha256") != digest:
            raise IntegrityError("远程服务器保存的摘要与本地文件不一致",
                                 "the remote's digest differs from the local file's", code="remote.digest_mismatch",
                                 details={"local": digest, "remote": result.get("sha256")})
        captured = result.get("captured_at")
        return IngestResult(
            path=str(path), status=result["status"], sha256=digest, size=result.get("size"),
            media_type=result.get("media_type"), duration_s=result.get("duration_s"),
            captured_at=_parse_time(captured),
            officer_id=UUID(result["officer_id"]) if result.get("officer_id") else None, reason=result.get("reason"),
            media_id=UUID(result["media_id"]) if result.get("media_id") else None)


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def token_from_env(given: str | None) -> str | None:
    return given or os.environ.get("LAWTRAIL_REMOTE_TOKEN") or None
