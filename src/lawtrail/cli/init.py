"""``lawtrail init``: secret, schema, the bureau, its first unit and the first administrator.

Idempotent: a second run finds the bureau with its administrator and says so. A run that
stopped half-way (for example the database went away) is completed by the next one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from lawtrail.adapters.signer import create_key
from lawtrail.bootstrap import Container
from lawtrail.cli.common import data_dir_of, load, opened, options, read_password, say
from lawtrail.config import Settings, write_secret
from lawtrail.domain.access import Role
from lawtrail.domain.org import Bureau, Problems, Unit, UnitKind, check_code, check_username, clean_text
from lawtrail.services import org, queries, users
from lawtrail.services.context import Ctx
from lawtrail.services.users import check_password

INIT_ACTOR = "lawtrail init"
FIRST_UNIT = ("ADMIN", "办公室", UnitKind.BUSINESS_SECTION)


def init(
    tctx: typer.Context,
    bureau_code: Annotated[str, typer.Option(help="机关代码 / bureau code")] = "JMSCJG",
    bureau_name: Annotated[str, typer.Option(help="机关名称 / bureau name")] = "江门市市场监督管理局",
    admin_username: Annotated[str, typer.Option(help="管理员用户名 / administrator's username")] = "admin",
    admin_name: Annotated[str, typer.Option(help="管理员姓名 / administrator's name")] = "系统管理员",
    admin_password: Annotated[str | None, typer.Option(
        help="管理员密码（省略则提示输入） / administrator's password (asked for when omitted)")] = None,
) -> None:
    """Create the secret, migrate, then the bureau, unit ADMIN and the administrator."""
    opts = options(tctx)
    write_secret(data_dir_of(opts))
    settings = load(opts)
    with opened(settings) as container:
        container.migrate()
        generate_signing_keys(settings)
        ctx = container.system_ctx(INIT_ACTOR)
        done = _initialised_bureau(container, ctx)
        if done is not None:
            say(f"数据目录 {settings.data_dir} 已初始化（机关 {done.code} {done.name}） / already initialised")
            return
        password = read_password(admin_password, "管理员密码 / administrator's password")
        _validate(container, bureau_code, bureau_name, admin_username, admin_name, password)
        bureau = _bureau(container, ctx, bureau_code, bureau_name)
        ctx = replace(ctx, actor=replace(ctx.actor, bureau_id=bureau.id))
        unit = _first_unit(container, ctx, bureau)
        users.create_user(container.uow(), ctx, container.deps, unit_id=unit.id, username=admin_username,
                          display_name=admin_name, roles=[Role.ADMIN.value], password=password)
    say(f"已初始化数据目录 {settings.data_dir}：机关 {bureau.code} {bureau.name}，管理员 {admin_username}"
        f" / initialised: bureau {bureau.code}, administrator {admin_username}")


def generate_signing_keys(settings: Settings) -> None:
    """Create the ledger's Ed25519 signing key in the data folder (mode 0600), once."""
    create_key(settings.data_dir)


def _initialised_bureau(container: Container, ctx: Ctx) -> Bureau | None:
    """A bureau that already has an active administrator, if any."""
    for bureau in queries.list_bureaus(container.uow(), ctx):
        scoped = replace(ctx, actor=replace(ctx.actor, bureau_id=bureau.id))
        people = users.list_users(container.uow(), scoped)
        if any(u.active and Role.ADMIN in u.roles for u in people):
            return bureau
    return None


def _validate(container: Container, code: str, name: str, username: str, display_name: str,
              password: str) -> None:
    """Check every input first, so that bad input writes nothing at all."""
    problems = Problems()
    check_code(code, "bureau_code", "机关代码", problems)
    clean_text(name, "bureau_name", "机关名称", problems)
    username = check_username(username, problems)
    clean_text(display_name, "admin_name", "姓名", problems, max_len=50)
    check_password(password, username, container.deps, problems)
    problems.raise_if_any()


def _bureau(container: Container, ctx: Ctx, code: str, name: str) -> Bureau:
    """The bureau left by an interrupted run, or a new one."""
    existing = queries.bureau_by_code(container.uow(), ctx, code)
    return existing or org.create_bureau(container.uow(), ctx, code=code, name=name)


def _first_unit(container: Container, ctx: Ctx, bureau: Bureau) -> Unit:
    code, name, kind = FIRST_UNIT
    for unit in org.list_units(container.uow(), ctx, bureau_id=bureau.id):
        if unit.code == code:
            return unit
    return org.create_unit(container.uow(), ctx, bureau_id=bureau.id, code=code, name=name, kind=kind)
