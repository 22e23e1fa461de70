"""Confidentiality levels (Art. 47, 49) and the clearance that lets a person see them.

Four levels: 普通 (ordinary), 个人隐私 (personal privacy), 商业秘密 (trade secret), 国家秘密
(state secret). A clearance is a SET of levels (docs/decisions/0017): a trade-secret clearance
does not imply personal privacy, nor the reverse; ordinary is always in it. Without a recorded
clearance a person holds ``DEFAULT_CLEARANCE`` (ordinary + personal privacy: enforcement work
meets personal data every day). An item's effective level is the strictest of its own level
and the levels of the cases it belongs to.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from lawtrail.errors import PermissionDenied, ValidationFailed


class Level(StrEnum):
    ORDINARY = "ordinary"
    PERSONAL_PRIVACY = "personal_privacy"
    TRADE_SECRET = "trade_secret"
    STATE_SECRET = "state_secret"


LEVEL_LABELS: dict[Level, str] = {
    Level.ORDINARY: "普通", Level.PERSONAL_PRIVACY: "个人隐私", Level.TRADE_SECRET: "商业秘密",
    Level.STATE_SECRET: "国家秘密",
}
LEVEL_LABELS_EN: dict[Level, str] = {
    Level.ORDINARY: "ordinary", Level.PERSONAL_PRIVACY: "personal privacy", Level.TRADE_SECRET: "trade secret",
    Level.STATE_SECRET: "state secret",
}
#: Strictness, for "the strictest level wins" (an item in a trade-secret case is a trade secret).
RANK: dict[Level, int] = {Level.ORDINARY: 0, Level.PERSONAL_PRIVACY: 1, Level.TRADE_SECRET: 2,
                          Level.STATE_SECRET: 3}
DEFAULT_CLEARANCE: frozenset[Level] = frozenset({Level.ORDINARY, Level.PERSONAL_PRIVACY})
STATE_SECRET_ARTICLE = "第四十七条"


def parse_level(value: str | None, field_name: str = "level") -> Level:
    """The level named ``value``; raise ValidationFailed for anything else."""
    try:
        return Level(value or "")
    except ValueError:
        raise ValidationFailed(f"输入有误：密级无效（{value!r}）", f"Invalid input: unknown level {value!r}",
                               code="validation_failed") from None


def parse_clearance(values: Iterable[str]) -> frozenset[Level]:
    """A clearance from level names (ordinary is always added); raise ValidationFailed for an
    unknown name."""
    return frozenset({Level.ORDINARY, *(parse_level(v, "levels") for v in values)})


def strictest(levels: Iterable[Level | str]) -> Level:
    """The strictest of ``levels`` (ordinary when there are none)."""
    return max((Level(v) for v in levels), key=RANK.__getitem__, default=Level.ORDINARY)


def check_clearance(clearance: frozenset[Level], level: Level) -> None:
    """Return when ``clearance`` covers ``level``; raise PermissionDenied ``access.above_clearance``."""
    if level not in clearance:
        raise PermissionDenied(
            f"该材料密级为“{LEVEL_LABELS[level]}”，超出您的知悉范围，不得查阅（第四十七条）",
            f"the item is classified {LEVEL_LABELS_EN[level]}, above your clearance (Art. 47)",
            code="access.above_clearance", details={"level": level.value, "article": STATE_SECRET_ARTICLE})


def content_refused(level: Level) -> ValidationFailed:
    """The error for content of a state-secret item in a deployment not approved for it."""
    return ValidationFailed(
        f"本系统未获准存储国家秘密内容，{LEVEL_LABELS[level]}事项只登记、不存储原始内容（第四十七条）",
        "this deployment is not approved for state-secret content: such items are registered, "
        "their content is not stored (Art. 47)", code="secrecy.state_secret_content")


@dataclass(frozen=True)
class Clearance:
    """One recorded version of a person's clearance (append-only; the latest holds)."""

    user_id: UUID
    version: int
    levels: frozenset[Level]
    reason: str
    actor_id: UUID | None
    actor_name: str
    at: datetime


@dataclass(frozen=True)
class MediaLevel:
    """One recorded version of an original's own level (append-only; the latest holds)."""

    media_id: UUID
    version: int
    level: Level
    reason: str
    actor_id: UUID | None
    actor_name: str
    at: datetime
