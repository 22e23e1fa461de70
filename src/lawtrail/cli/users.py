"""``lawtrail user``: people, their roles and certificates (Art. 5), passwords and API tokens."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from lawtrail.cli.common import Cli, JsonOption, console, emit_json, parse_date, read_password, say, session
from lawtrail.domain.access import ROLE_LABELS, Role
from lawtrail.domain.org import CERT_STATUS_LABELS, Certificate, User, cert_status
from lawtrail.services import auth, org, queries, users

app = typer.Typer(no_args_is_help=True)

ROLES = ", ".join(r.value for r in Role)
UsernameArg = Annotated[str, typer.Argument(help="用户名 / username")]
RoleOpt = Annotated[list[str] | None, typer.Option("--role", help=f"角色，可重复 / role, repeatable: {ROLES}")]
NewRolesOpt = Annotated[list[str] | None, typer.Option(
    "--role", help=f"新角色，可重复，替换原有角色 / new roles, repeatable, replacing the current ones: {ROLES}")]
CertNumberOpt = Annotated[str | None, typer.Option(help="执法证号 / certificate number")]
CertFromOpt = Annotated[str | None, typer.Option(help="执法证有效期起 YYYY-MM-DD / valid from")]
CertToOpt = Annotated[str | None, typer.Option(help="执法证有效期止 YYYY-MM-DD / valid to")]
PasswordOpt = Annotated[str | None, typer.Option(
    help="密码（省略则提示输入两次） / password (asked for twice when omitted)")]
Cert = tuple[str | None, date | None, date | None]


def user_dict(user: User, unit_codes: dict[UUID, str], today: date) -> dict[str, object]:
    cert, status = user.certificate, cert_status(user.certificate, today)
    return {
        "username": user.username, "name": user.display_name, "unit": unit_codes.get(user.unit_id),
        "roles": sorted(r.value for r in user.roles), "active": user.active, "phone": user.phone,
        "certificate": None if cert is None else {
            "number": cert.number, "valid_from": cert.valid_from.isoformat(),
            "valid_to": cert.valid_to.isoformat()},
        "cert_status": status.value, "cert_status_label": CERT_STATUS_LABELS[status],
        "totp_enabled": user.totp_enabled, "totp_required": user.totp_required,
    }


def _unit_codes(cli: Cli) -> dict[UUID, str]:
    return {u.id: u.code for u in org.list_units(cli.uow(), cli.ctx)}


@app.command("add", help="新增人员 / Add a person")
def add(
    tctx: typer.Context,
    username: UsernameArg,
    name: Annotated[str, typer.Option("--name", help="姓名 / full name")],
    unit: Annotated[str, typer.Option("--unit", help="执法机构代码 / unit code")],
    role: RoleOpt = None,
    cert_number: CertNumberOpt = None,
    cert_from: CertFromOpt = None,
    cert_to: CertToOpt = None,
    phone: Annotated[str, typer.Option(help="电话 / phone")] = "",
    password: PasswordOpt = None,
) -> None:
    valid_from = parse_date(cert_from, "cert_valid_from", "执法证有效期起")
    valid_to = parse_date(cert_to, "cert_valid_to", "执法证有效期止")
    with session(tctx) as cli:
        home = queries.unit_by_code(cli.uow(), cli.ctx, unit)
        user = users.create_user(cli.uow(), cli.ctx, cli.deps, unit_id=home.id, username=username,
                                 display_name=name, roles=role or [], password=read_password(password),
                                 cert_number=cert_number, cert_valid_from=valid_from,
                                 cert_valid_to=valid_to, phone=phone)
    say(f"已新增人员 {user.display_name}（{user.username}） / user added")


@app.command("list", help="列出人员及执法证状态 / List people and certificate status")
def list_(tctx: typer.Context, as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        people, codes, today = users.list_users(cli.uow(), cli.ctx), _unit_codes(cli), cli.today
    rows = [user_dict(u, codes, today) for u in people]
    if as_json:
        emit_json(rows)
        return
    table = Table(title="人员 / people")
    for header in ("用户名", "姓名", "执法机构", "角色", "执法证号", "有效期至", "证件状态", "账号"):
        table.add_column(header)
    for row, user in zip(rows, people, strict=True):
        cert = user.certificate
        table.add_row(user.username, user.display_name, str(row["unit"]),
                      "、".join(ROLE_LABELS[r] for r in sorted(user.roles)),
                      cert.number if cert else "—", cert.valid_to.isoformat() if cert else "—",
                      str(row["cert_status_label"]), "启用" if user.active else "停用")
    console.print(table)


def _certificate(current: Certificate | None, number: str | None, cert_from: str | None,
                 cert_to: str | None, remove: bool) -> Cert | None:
    """The new certificate for an edit: given parts replace the current ones; None = unchanged."""
    if remove:
        return (None, None, None)
    if number is None and cert_from is None and cert_to is None:
        return None
    return (number if number is not None else (current.number if current else None),
            parse_date(cert_from, "cert_valid_from", "执法证有效期起") or (current.valid_from if current else None),
            parse_date(cert_to, "cert_valid_to", "执法证有效期止") or (current.valid_to if current else None))


@app.command("edit", help="修改人员信息 / Edit a person")
def edit(
    tctx: typer.Context,
    username: UsernameArg,
    name: Annotated[str | None, typer.Option("--name", help="姓名 / full name")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="执法机构代码 / unit code")] = None,
    role: NewRolesOpt = None,
    phone: Annotated[str | None, typer.Option(help="电话 / phone")] = None,
    cert_number: CertNumberOpt = None,
    cert_from: CertFromOpt = None,
    cert_to: CertToOpt = None,
    no_cert: Annotated[bool, typer.Option("--no-cert", help="删除执法证信息 / remove the certificate")] = False,
    totp_required: Annotated[bool | None, typer.Option(
        "--totp-required/--totp-optional", help="是否必须使用动态验证码 / require TOTP")] = None,
) -> None:
    with session(tctx) as cli:
        user = queries.user_by_username(cli.uow(), cli.ctx, username)
        unit_id = queries.unit_by_code(cli.uow(), cli.ctx, unit).id if unit is not None else None
        cert = _certificate(user.certificate, cert_number, cert_from, cert_to, no_cert)
        user = users.update_user(cli.uow(), cli.ctx, cli.deps, user.id, display_name=name, unit_id=unit_id,
                                 roles=role or None, phone=phone, certificate=cert,
                                 totp_required=totp_required)
    say(f"已保存人员 {user.display_name}（{user.username}） / user saved")


def _set_active(tctx: typer.Context, username: str, active: bool) -> None:
    with session(tctx) as cli:
        user = queries.user_by_username(cli.uow(), cli.ctx, username)
        users.update_user(cli.uow(), cli.ctx, cli.deps, user.id, active=active)
    say(f"已启用账号 {user.username} / user reactivated" if active
        else f"已停用账号 {user.username} / user deactivated")


@app.command("deactivate", help="停用账号 / Deactivate a person's account")
def deactivate(tctx: typer.Context, username: UsernameArg) -> None:
    _set_active(tctx, username, False)


@app.command("reactivate", help="重新启用账号 / Reactivate a person's account")
def reactivate(tctx: typer.Context, username: UsernameArg) -> None:
    _set_active(tctx, username, True)


@app.command("reset-password", help="重置密码 / Reset a password")
def reset_password(tctx: typer.Context, username: UsernameArg, password: PasswordOpt = None) -> None:
    with session(tctx) as cli:
        user = queries.user_by_username(cli.uow(), cli.ctx, username)
        new = read_password(password, "新密码 / new password")
        users.reset_password(cli.uow(), cli.ctx, cli.deps, user.id, password=new)
    say(f"已重置 {user.username} 的密码，其会话已全部结束 / password reset; sessions ended")


@app.command("token", help="签发 API 令牌（只显示一次） / Issue an API token (shown once)")
def token(
    tctx: typer.Context,
    username: UsernameArg,
    name: Annotated[str, typer.Option("--name", help="令牌名称，如 采集站01 / token name")],
    days: Annotated[int, typer.Option(help="有效天数 / days valid")] = 365,
    as_json: JsonOption = False,
) -> None:
    with session(tctx) as cli:
        owner = queries.user_by_username(cli.uow(), cli.ctx, username)
        issued, secret = auth.create_token(cli.uow(), cli.ctx, owner_id=owner.id, name=name, days=days)
    if as_json:
        emit_json({"name": issued.name, "username": owner.username, "prefix": issued.prefix,
                   "expires_at": issued.expires_at.isoformat() if issued.expires_at else None,
                   "token": secret})
        return
    say(f"已为 {owner.username} 签发令牌 {issued.name}，有效期至 {issued.expires_at:%Y-%m-%d} / token issued")
    say("请立即保存，此令牌不会再次显示 / store it now, it is not shown again:")
    say(secret)
