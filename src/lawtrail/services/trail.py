"""Append the event of a change in the same transaction as the change (DESIGN.md rule 1)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from lawtrail.domain.events import Action, Event, format_time
from lawtrail.services.context import Ctx
from lawtrail.services.ports import UnitOfWork

#: Fields never copied into the trail: secrets stay out of a log that is exported.
SECRET_FIELDS = frozenset({"password_hash", "totp_secret", "token_hash", "csrf_token"})


def snapshot(obj: object | None) -> dict[str, Any] | None:
    """A JSON-ready copy of a dataclass for before/after, without secret fields."""
    if obj is None:
        return None
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"cannot snapshot {type(obj).__name__}")
    return {
        f.name: _plain(getattr(obj, f.name))
        for f in dataclasses.fields(obj)
        if f.name not in SECRET_FIELDS
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return snapshot(value)
    raise TypeError(f"cannot put {type(value).__name__} into an event")


def record(uow: UnitOfWork, ctx: Ctx, action: Action, *, subject_type: str, subject_id: object,
           subject_name: str, before: object | None = None, after: object | None = None,
           before_dict: dict[str, Any] | None = None, after_dict: dict[str, Any] | None = None
           ) -> Event:
    """Append one event for ``action`` on the subject; return it with its ledger index."""
    event = Event(
        id=uuid.uuid4(),
        occurred_at=ctx.now,
        actor_id=ctx.actor.user_id,
        actor_name=ctx.actor.name,
        action=action.value,
        subject_type=subject_type,
        subject_id=str(subject_id),
        subject_name=subject_name,
        before=before_dict if before_dict is not None else snapshot(before),
        after=after_dict if after_dict is not None else snapshot(after),
        request_id=ctx.request_id,
    )
    return uow.events.append(event)
