"""Read-only look-ups by the names people type (codes, usernames), for the CLI and the demo.

Nothing here changes anything, so nothing here records an event. Each helper checks the same
permission as the matching ``get_*`` service.
"""

from __future__ import annotations

from lawtrail.domain.access import Permission
from lawtrail.domain.org import Bureau, Unit, User
from lawtrail.errors import NotFound
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import UnitOfWork


def list_bureaus(uow: UnitOfWork, ctx: Ctx) -> list[Bureau]:
    """Every bureau for the system actor; otherwise only the actor's own bureau."""
    with uow:
        bureaus = uow.bureaus.list()
    if ctx.actor.is_system:
        return bureaus
    return [b for b in bureaus if b.id == ctx.actor.bureau_id]


def bureau_by_code(uow: UnitOfWork, ctx: Ctx, code: str) -> Bureau | None:
    """The bureau with ``code`` if it exists and the actor may see it, else None."""
    return next((b for b in list_bureaus(uow, ctx) if b.code == code.strip()), None)


def unit_by_code(uow: UnitOfWork, ctx: Ctx, code: str) -> Unit:
    """The unit ``code`` of the actor's bureau; raise NotFound if there is none."""
    unit = None
    if ctx.actor.bureau_id is not None:
        with uow:
            unit = uow.units.by_code(ctx.actor.bureau_id, (code or "").strip())
    if unit is None:
        raise NotFound(f"执法机构代码 {code} 不存在", f"unknown unit code {code!r}", code="unit.not_found")
    require(ctx.actor, Permission.UNIT_VIEW, bureau_id=unit.bureau_id, unit_id=None)
    return unit


def user_by_username(uow: UnitOfWork, ctx: Ctx, username: str) -> User:
    """The user ``username`` of the actor's bureau; raise NotFound if there is none."""
    with uow:
        user = uow.users.by_username((username or "").strip().lower())
    if user is None or user.bureau_id != ctx.actor.bureau_id:
        raise NotFound(f"用户 {username} 不存在", f"unknown user {username!r}", code="user.not_found")
    if user.id != ctx.actor.user_id:
        require(ctx.actor, Permission.USER_VIEW, bureau_id=user.bureau_id, unit_id=user.unit_id)
    return user
