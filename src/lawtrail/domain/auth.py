"""Sessions, API tokens and login throttling: the pure parts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID


@dataclass(frozen=True)
class Session:
    """A browser session. The cookie carries a random token; only its SHA-256 is stored."""

    id: UUID
    user_id: UUID
    token_hash: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    totp_pending: bool = False

    def expired(self, now: datetime, idle: timedelta, absolute: timedelta) -> bool:
        """True once ended, idle for longer than ``idle``, or older than ``absolute``."""
        return (
            self.ended_at is not None
            or now - self.last_seen_at > idle
            or now - self.created_at > absolute
        )


@dataclass(frozen=True)
class ApiToken:
    """A machine credential (a collection station). Only its SHA-256 is stored."""

    id: UUID
    user_id: UUID
    name: str
    token_hash: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta

    def locked(self, recent_failures: list[datetime], now: datetime) -> datetime | None:
        """If locked out, the time the lock lifts; otherwise None.

        Locked when ``max_failures`` failures fall inside ``window`` before ``now``; the lock
        lifts ``window`` after the latest of them.
        """
        inside = sorted(t for t in recent_failures if now - t < self.window)
        if len(inside) >= self.max_failures:
            return inside[-1] + self.window
        return None
