"""One error hierarchy for the whole application (DESIGN.md, rule 5).

Every error carries a stable machine ``code``, a Chinese and an English message and,
when a rule of the regulation was broken, the article it cites. Nothing below ``web/``
knows about HTTP; the web layer maps each class to a status once, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input field: where, and what is wrong with it in both languages."""

    field: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message_zh": self.message_zh, "message_en": self.message_en}


@dataclass
class LawtrailError(Exception):
    """Base class. ``code`` is stable and documented; messages are for people."""

    message_zh: str
    message_en: str
    code: str = "error"
    article: str | None = None
    problems: list[FieldProblem] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message_en)

    def __str__(self) -> str:
        art = f" [{self.article}]" if self.article else ""
        return f"{self.message_zh} / {self.message_en}{art}"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        if self.article:
            data["article"] = self.article
        if self.problems:
            data["problems"] = [p.as_dict() for p in self.problems]
        if self.details:
            data["details"] = self.details
        return data


class ValidationFailed(LawtrailError):
    """Input does not meet its contract; ``problems`` lists each bad field."""


class NotFound(LawtrailError):
    """The thing asked for does not exist (or is not visible to the actor)."""


class Conflict(LawtrailError):
    """The change clashes with what is stored (a duplicate number, a stale version)."""


class Unauthenticated(LawtrailError):
    """No valid login: missing, wrong or expired credentials or session."""


class PermissionDenied(LawtrailError):
    """The actor is known but not allowed to do this."""


class TooManyAttempts(LawtrailError):
    """Throttled: too many failed attempts in a short time."""


class PayloadTooLarge(LawtrailError):
    """The request body is bigger than the configured limit."""


class StorageFull(LawtrailError):
    """The media store ran out of space; nothing partial was left behind."""


class InvalidTransition(LawtrailError):
    """A state change that the domain's transition table does not allow."""


class RuleViolation(LawtrailError):
    """A rule of the regulation forbids this; ``article`` says which."""


class IntegrityError(LawtrailError):
    """Stored data or a proof does not verify: something was altered or is missing."""


class ConfigurationError(LawtrailError):
    """The settings are unusable (for example a default secret outside demo mode)."""


def invalid(field_name: str, zh: str, en: str) -> ValidationFailed:
    """Build a ValidationFailed for a single field, with the field named in the message."""
    return ValidationFailed(
        message_zh=f"输入有误：{zh}",
        message_en=f"Invalid input: {en}",
        code="validation_failed",
        problems=[FieldProblem(field_name, zh, en)],
    )
