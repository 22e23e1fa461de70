"""What every service call receives besides its unit of work: who, when, which request,
and the policies and helpers built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lawtrail.domain.access import Actor
from lawtrail.domain.auth import ThrottlePolicy
from lawtrail.services.ports import PasswordHasher, TotpChecker


@dataclass(frozen=True)
class Policy:
    cert_number_pattern: str
    password_min_length: int
    session_idle: timedelta
    session_absolute: timedelta
    throttle: ThrottlePolicy
    totp_issuer: str


@dataclass(frozen=True)
class Deps:
    policy: Policy
    hasher: PasswordHasher
    totp: TotpChecker


@dataclass(frozen=True)
class Ctx:
    """The acting person, the time the request began (UTC) and the request id."""

    actor: Actor
    now: datetime
    request_id: str | None = None
