"""Organisation: bureaus, enforcement units, people and their certificates (Art. 5, 50).

Plain dataclasses and pure validation. Nothing here is ever hard-deleted: people and units
are deactivated, and the event trail keeps what they were.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

from lawtrail.domain.access import Role
from lawtrail.errors import FieldProblem, ValidationFailed

NAME_MAX = 100
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
CERT_EXPIRING_DAYS = 30
#: The bureau's calendar: date rules (certificate validity, deadlines in days) use China time,
#: whatever the server's own time zone is (docs/decisions/0005).
BUREAU_TZ = ZoneInfo("Asia/Shanghai")


class UnitKind(StrEnum):
    BUSINESS_SECTION = "business_section"
    AFFILIATED_UNIT = "affiliated_unit"
    ENTRUSTED_ORG = "entrusted_org"


UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.BUSINESS_SECTION: "业务科室",
    UnitKind.AFFILIATED_UNIT: "直属单位",
    UnitKind.ENTRUSTED_ORG: "受委托组织",
}


class CertStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    MISSING = "missing"


CERT_STATUS_LABELS: dict[CertStatus, str] = {
    CertStatus.VALID: "有效",
    CertStatus.EXPIRING: "即将到期",
    CertStatus.EXPIRED: "已过期",
    CertStatus.NOT_YET_VALID: "未生效",
    CertStatus.MISSING: "无执法证",
}


@dataclass(frozen=True)
class Bureau:
    id: UUID
    code: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Unit:
    id: UUID
    bureau_id: UUID
    code: str
    name: str
    kind: UnitKind
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Certificate:
    """A Guangdong administrative enforcement certificate (广东省行政执法证)."""

    number: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class User:
    id: UUID
    bureau_id: UUID
    unit_id: UUID
    username: str
    display_name: str
    roles: frozenset[Role]
    active: bool
    password_hash: str
    created_at: datetime
    updated_at: datetime
    certificate: Certificate | None = None
    phone: str = ""
    totp_secret: str | None = None
    totp_enabled: bool = False
    totp_required: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def with_changes(self, **changes: object) -> User:
        return replace(self, **changes)  # type: ignore[arg-type]


def local_date(now: datetime) -> date:
    """The bureau's calendar date at the UTC instant ``now``."""
    return now.astimezone(BUREAU_TZ).date()


def cert_status(cert: Certificate | None, today: date) -> CertStatus:
    """Where a certificate stands on ``today``; EXPIRING within CERT_EXPIRING_DAYS of its end."""
    if cert is None:
        return CertStatus.MISSING
    if today < cert.valid_from:
        return CertStatus.NOT_YET_VALID
    if today > cert.valid_to:
        return CertStatus.EXPIRED
    if today + timedelta(days=CERT_EXPIRING_DAYS) >= cert.valid_to:
        return CertStatus.EXPIRING
    return CertStatus.VALID


def can_act_as_officer(user: User, today: date) -> bool:
    """Art. 5: only an active officer holding a certificate valid today may act or sign."""
    status = cert_status(user.certificate, today)
    return user.active and Role.OFFICER in user.roles and status in (CertStatus.VALID, CertStatus.EXPIRING)


# ---- validation -------------------------------------------------------------------------


class Problems:
    """Collects field problems so a form reports all of them at once, then raises."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field_name: str, zh: str, en: str) -> None:
        self.items.append(FieldProblem(field_name, zh, en))

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise ValidationFailed(
                message_zh=f"输入有误：{first.message_zh}",
                message_en=f"Invalid input: {first.message_en}",
                code="validation_failed",
                problems=list(self.items),
            )


def clean_text(value: str | None, field_name: str, label: str, problems: Problems,
               *, max_len: int = NAME_MAX, required: bool = True) -> str:
    """NFC-normalise and strip ``value``; record a problem if empty (when required) or too long."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        problems.add(field_name, f"{label}含有控制字符", f"{field_name} contains control characters")
    if required and not text:
        problems.add(field_name, f"{label}不能为空", f"{field_name} must not be empty")
    elif len(text) > max_len:
        problems.add(field_name, f"{label}不能超过{max_len}个字符",
                     f"{field_name} must be at most {max_len} characters")
    return text


def check_code(value: str, field_name: str, label: str, problems: Problems) -> str:
    code = (value or "").strip()
    if not CODE_RE.match(code):
        problems.add(field_name, f"{label}只能包含字母、数字和 _ . -，最长32位",
                     f"{field_name} must be 1-32 letters, digits, '_', '.' or '-'")
    return code


def check_username(value: str, problems: Problems) -> str:
    name = (value or "").strip().lower()
    if not USERNAME_RE.match(name):
        problems.add("username", "用户名须以小写字母开头，3–32位小写字母、数字或 _ . -",
                     "username must start with a letter and be 3-32 of a-z, 0-9, '_', '.', '-'")
    return name


def check_certificate(number: str | None, valid_from: date | None, valid_to: date | None,
                      pattern: str, problems: Problems) -> Certificate | None:
    """Validate an optional certificate: all three parts or none; the range must not end first."""
    number = unicodedata.normalize("NFKC", number or "").strip()
    if not number and valid_from is None and valid_to is None:
        return None
    if not re.fullmatch(pattern, number, flags=re.ASCII):
        problems.add("cert_number", "执法证号格式不正确（应为“粤”加8–14位数字，或仅数字）",
                     "malformed certificate number (expected optional '粤' and 8-14 digits)")
    if valid_from is None or valid_to is None:
        problems.add("cert_valid_to", "执法证须填写有效期起止日期",
                     "certificate needs both valid-from and valid-to dates")
        return None
    if valid_to < valid_from:
        problems.add("cert_valid_to", "执法证有效期的结束日期早于开始日期",
                     "certificate validity ends before it starts")
    return Certificate(number, valid_from, valid_to)


def check_roles(values: list[str] | frozenset[str], problems: Problems) -> frozenset[Role]:
    roles: set[Role] = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            problems.add("roles", f"未知角色：{value}", f"unknown role: {value}")
    if not values:
        problems.add("roles", "至少选择一个角色", "at least one role is required")
    return frozenset(roles)
