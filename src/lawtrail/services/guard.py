"""The one place where permissions are checked (DESIGN.md rule 2)."""

from __future__ import annotations

from uuid import UUID

from lawtrail.domain.access import Actor, Permission, allows, unit_scope
from lawtrail.errors import PermissionDenied


def require(actor: Actor, perm: Permission, *, bureau_id: UUID | None = None,
            unit_id: UUID | None = None) -> None:
    """Return if ``actor`` may use ``perm`` here; raise PermissionDenied otherwise."""
    if not allows(actor, perm, bureau_id=bureau_id or actor.bureau_id, unit_id=unit_id):
        raise PermissionDenied(
            message_zh=f"无权执行此操作（需要权限 {perm.value}）",
            message_en=f"not allowed: permission {perm.value} is required",
            code="permission_denied",
            details={"permission": perm.value},
        )


def require_bureau_wide(actor: Actor, perm: Permission) -> None:
    """Like ``require``, for things spanning every unit: a unit-limited role is not enough."""
    require(actor, perm)
    if unit_scope(actor, perm) is not None:
        raise PermissionDenied(
            message_zh=f"无权查看全局信息（需要全局权限 {perm.value}）",
            message_en=f"not allowed: bureau-wide {perm.value} is required",
            code="permission_denied",
            details={"permission": perm.value},
        )


def visible_units(actor: Actor, perm: Permission) -> frozenset[UUID] | None:
    """The units whose objects ``actor`` may list with ``perm`` (None: the whole bureau).

    Raise PermissionDenied when the actor may see nothing at all.
    """
    scope = unit_scope(actor, perm)
    if scope is not None and not scope:
        require(actor, perm)
    return scope
