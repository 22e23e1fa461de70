"""Serving an original over HTTP: one byte range (RFC 9110 §14), streamed in bounded chunks.

Only single ranges are served as 206; a multi-range request is answered with the whole body (200),
which RFC 9110 allows. An unsatisfiable range gets 416 with ``Content-Range: bytes */size``; a
malformed Range header is ignored (200). ``If-Range`` with another validator gives the whole body.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from lawtrail.services.ports import BlobReader

#: Bytes read from the store per chunk: a 4 GB recording never enters memory.
CHUNK = 256 * 1024
_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    """The range lies outside the object (416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # exclusive

    @property
    def length(self) -> int:
        return self.end - self.start


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range ``header`` asks for, clipped to ``size``; None to send the whole body
    (no header, a malformed one, or several ranges). Raise Unsatisfiable for a range that starts
    at or past the end, or an empty suffix."""
    if not header or "," in header:
        return None
    m = _RANGE_RE.match(header)
    if m is None or (not m.group(1) and not m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - length), size)
    start = int(first)
    end = size if not last else int(last) + 1
    if last and int(last) < start:
        return None  # "bytes=5-2" is syntactically invalid: ignore it
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, min(end, size))


def _chunks(reader: BlobReader) -> Iterator[bytes]:
    try:
        while block := reader.read(CHUNK):
            yield block
    finally:
        reader.close()


def content_disposition(kind: str, filename: str) -> str:
    """``inline`` or ``attachment`` with an ASCII fallback and the RFC 5987 UTF-8 name."""
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in filename) or "media"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def serve(request: Request, *, size: int, etag: str, media_type: str, filename: str, download: bool,
          open_range: Callable[[int, int], BlobReader]) -> Response:
    """A 200, 206 or 416 response for ``request``, its body streamed from ``open_range(start, end)``."""
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Cache-Control": "private, no-store",
               "Content-Disposition": content_disposition("attachment" if download else "inline", filename)}
    if_range = request.headers.get("if-range")
    header = request.headers.get("range") if not if_range or if_range.strip() == etag else None
    try:
        wanted = parse_range(header, size)
    except Unsatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    span = wanted or ByteRange(0, size)
    headers["Content-Length"] = str(span.length)
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {span.start}-{span.end - 1}/{size}"
    return StreamingResponse(_chunks(open_range(span.start, span.end)), status_code=status, headers=headers,
                             media_type=media_type)
