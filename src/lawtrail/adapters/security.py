"""Password hashing (Argon2id) and TOTP (RFC 6238) behind the service ports."""

from __future__ import annotations

import binascii
from datetime import datetime

import pyotp
from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Argon2Hasher:
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile).

    ``fast=True`` lowers the cost for the test suite only; never in a deployment.
    """

    def __init__(self, *, fast: bool = False) -> None:
        self._ph = _Argon2(time_cost=1, memory_cost=8, parallelism=1) if fast else _Argon2()

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._ph.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


class PyOtpChecker:
    """TOTP, 6 digits, 30 s steps, one step of clock drift either way."""

    def new_secret(self) -> str:
        return pyotp.random_base32()

    def verify(self, secret: str, code: str, at: datetime) -> bool:
        code = (code or "").strip().replace(" ", "")
        if not code.isdigit() or len(code) != 6:
            return False
        try:
            return bool(pyotp.TOTP(secret).verify(code, for_time=at, valid_window=1))
        except (ValueError, binascii.Error):  # not a base32 secret
            return False

    def uri(self, secret: str, account: str, issuer: str) -> str:
        return str(pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer))

    def now_code(self, secret: str, at: datetime) -> str:
        """The code an authenticator shows at ``at`` (used by tests and the demo)."""
        return str(pyotp.TOTP(secret).at(at))
