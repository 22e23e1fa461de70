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

    def locked(self, failures: list[datetime], now: datetime) -> datetime | None:
        """If locked out at ``now``, the time the lock lifts; otherwise None.

        ``max_failures`` failures within one ``window`` lock the account until ``window``
        after the latest failure (refused attempts during the lock count as failures, so
        hammering keeps it locked). Callers pass the failures of the last two windows.
        """
        times = sorted(t for t in failures if t <= now)
        if len(times) < self.max_failures:
            return None
        until = times[-1] + self.window
        if now >= until:
            return None
        k = self.max_failures
        if any(times[i] - times[i - k + 1] <= self.window for i in range(k - 1, len(times))):
            return until
        return None
