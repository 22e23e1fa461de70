"""Read tickets for originals: one recorded opening, many range requests (docs/decisions/0010).

A player fetches a video in many HTTP range requests. The opening is recorded once (a
``media:original:view`` or ``…:download`` event) and a ticket is issued with it; the requests that
follow present the ticket instead of being recorded one by one. A ticket is an HMAC-SHA256
over ``user id : media id : purpose : expiry``, so it is bound to one person, one original and one
purpose, cannot be forged without the server's key, and stops working at its expiry.
Pure: the caller supplies the key and the current time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID

Purpose = Literal["view", "download"]
PURPOSES: tuple[Purpose, ...] = ("view", "download")
#: How long a ticket serves range requests: one viewing of a long recording, not a standing grant.
TICKET_TTL = timedelta(hours=2)
_CONTEXT = b"lawtrail media ticket v1\x00"


@dataclass(frozen=True)
class Ticket:
    user_id: UUID
    media_id: UUID
    purpose: Purpose
    expires_at: datetime


def ticket_key(secret: str) -> bytes:
    """The ticket key derived from the server secret (never the secret itself)."""
    return hmac.new(secret.encode(), b"media-ticket", hashlib.sha256).digest()


def _payload(user_id: UUID, media_id: UUID, purpose: str, expires: int) -> str:
    return f"{user_id.hex}.{media_id.hex}.{purpose}.{expires}"


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, _CONTEXT + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(key: bytes, *, user_id: UUID, media_id: UUID, purpose: Purpose, now: datetime,
          ttl: timedelta = TICKET_TTL) -> str:
    """A ticket string (URL-safe) valid until ``now + ttl``."""
    expires = int((now + ttl).timestamp())
    payload = _payload(user_id, media_id, purpose, expires)
    return f"{payload}.{_mac(key, payload)}"


def check(key: bytes, ticket: str, *, user_id: UUID, media_id: UUID, now: datetime) -> Ticket | None:
    """The ticket if it is genuine, unexpired and for exactly this user and original; else None."""
    parts = (ticket or "").split(".")
    if len(parts) != 5 or parts[2] not in PURPOSES or not parts[3].isdigit():
        return None
    payload = ".".join(parts[:4])
    if not hmac.compare_digest(_mac(key, payload), parts[4]):
        return None
    if parts[0] != user_id.hex or parts[1] != media_id.hex:
        return None
    expires = datetime.fromtimestamp(int(parts[3]), UTC)
    if expires <= now:
        return None
    purpose: Purpose = "view" if parts[2] == "view" else "download"
    return Ticket(user_id=user_id, media_id=media_id, purpose=purpose, expires_at=expires)
