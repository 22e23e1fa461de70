"""ASGI middleware: request ids, a body-size limit and security headers."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
]


class _TooLarge(Exception):
    pass


class RequestLimits:
    """Give every request an id (``X-Request-ID``), refuse bodies over ``max_bytes`` with 413
    (by Content-Length up front, or while streaming), and add security headers."""

    def __init__(self, app: ASGIApp, max_bytes: int, exempt_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        rid = headers.get("x-request-id", "")
        rid = rid if REQUEST_ID_RE.match(rid) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        limited = not scope["path"].startswith(self.exempt)

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode()),
                                      *SECURITY_HEADERS]
            await send(message)

        length = headers.get("content-length", "")
        if limited and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, send_wrapped)
            return
        seen = 0

        async def receive_counted() -> Message:
            nonlocal seen
            message = await receive()
            if limited and message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, receive_counted, send_wrapped)
        except _TooLarge:
            await self._reject(scope, send_wrapped)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body = json.dumps({
            "type": "about:blank", "title": "请求过大", "status": 413, "code": "request.too_large",
            "message_zh": f"请求内容超过上限（{self.max_bytes}字节）",
            "message_en": f"request body exceeds the limit of {self.max_bytes} bytes",
            "instance": scope["path"],
        }, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
