"""``lawtrail case``: list, show and open cases (案件) from the console."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from lawtrail.cli.common import JsonOption, console, emit_json, say, session
from lawtrail.domain.cases import (
    ACTION_TYPE_LABELS,
    CLOSED_KIND_LABELS,
    ORIGIN_LABELS,
    PROCEDURE_LABELS,
    STAGE_LABELS,
    ActionType,
    Case,
    CaseFilter,
    Origin,
    Procedure,
    Stage,
)
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.parties import PARTY_KIND_LABELS, PartyInput
from lawtrail.errors import invalid
from lawtrail.services import cases, org, queries
from lawtrail.services.case_input import CaseDetails

app = typer.Typer(no_args_is_help=True)

STAGES = ", ".join(s.value for s in Stage)
TYPES = ", ".join(t.value for t in ActionType)
ORIGINS = ", ".join(o.value for o in Origin)
PAGE = 100


def case_dict(case: Case, unit_codes: dict[Any, str]) -> dict[str, Any]:
    return {
        "number": case.number, "name": case.name, "cause": case.cause, "stage": case.stage.value,
        "stage_label": STAGE_LABELS[case.stage], "action_type": case.action_type.value,
        "action_type_label": ACTION_TYPE_LABELS[case.action_type], "procedure": case.procedure.value,
        "origin": case.origin.value, "unit": unit_codes.get(case.unit_id), "opened_at": case.opened_at.isoformat(),
        "opened_local": case.opened_at.astimezone(BUREAU_TZ).strftime("%Y-%m-%d %H:%M"),
        "closed_kind": case.closed_kind.value if case.closed_kind else None, "closed_reason": case.closed_reason,
    }


def _choice(kind: Any, value: str | None, name: str) -> Any:
    if value is None:
        return None
    try:
        return kind(value.strip())
    except ValueError:
        allowed = ", ".join(k.value for k in kind)
        raise invalid(name, f"{name} 须为：{allowed}", f"{name} must be one of {allowed}") from None


@app.command("list", help="列出案件 / List the cases")
def list_(
    tctx: typer.Context,
    stage: Annotated[str | None, typer.Option("--stage", help=f"环节 / stage: {STAGES}")] = None,
    action_type: Annotated[str | None, typer.Option("--type", help=f"执法行为类别 / action type: {TYPES}")] = None,
    party: Annotated[str, typer.Option("--party", help="当事人名称包含 / party name contains")] = "",
    as_json: JsonOption = False,
) -> None:
    flt = CaseFilter(stage=_choice(Stage, stage, "stage"), action_type=_choice(ActionType, action_type, "type"),
                     party=party.strip())
    with session(tctx) as cli:
        codes = {u.id: u.code for u in org.list_units(cli.uow(), cli.ctx)}
        found: list[Case] = []
        page = 1
        while True:  # every match, a page at a time
            chunk = cases.list_cases(cli.uow(), cli.ctx, flt, page=page, page_size=PAGE)
            found.extend(chunk.items)
            if page >= chunk.pages:
                break
            page += 1
    rows = [case_dict(c, codes) for c in found]
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"案件 / cases（{len(rows)}）")
    for header in ("案件编号", "案件名称", "类别", "环节", "执法机构", "立案时间"):
        table.add_column(header)
    for r in rows:
        table.add_row(r["number"], r["name"], r["action_type_label"], r["stage_label"], str(r["unit"]),
                      r["opened_local"])
    console.print(table)


@app.command("show", help="查看案件 / Show a case")
def show(tctx: typer.Context, number: Annotated[str, typer.Argument(help="案件编号 / case number")],
         as_json: JsonOption = False) -> None:
    with session(tctx) as cli:
        case = cases.find_case(cli.uow(), cli.ctx, number)
        detail = cases.get_case(cli.uow(), cli.ctx, case.id)
        codes = {u.id: u.code for u in org.list_units(cli.uow(), cli.ctx)}
    data = {**case_dict(case, codes),
            "parties": [{"kind": p.kind.value, "name": p.name, "id_number": p.id_number, "legal_rep": p.legal_rep,
                         "address": p.address, "phone": p.phone} for p in detail.parties],
            "handlers": [{"username": u.username if u else None, "name": u.display_name if u else None,
                          "lead": h.lead} for h, u in detail.handlers],
            "stages": [{"from": s.from_stage.value if s.from_stage else None, "to": s.to_stage.value,
                        "at": s.at.isoformat(), "by": s.actor_name, "reason": s.reason,
                        "correction": s.correction} for s in detail.stages],
            "media": [{"sha256": m.sha256, "name": m.original_name} for m in detail.media]}
    if as_json:
        emit_json(data)
        return
    say(f"案件编号 / number: {case.number}")
    say(f"案件名称 / name: {case.name}")
    say(f"案由 / cause: {case.cause}")
    say(f"类别 / type: {ACTION_TYPE_LABELS[case.action_type]}（{PROCEDURE_LABELS[case.procedure]}）")
    say(f"来源 / origin: {ORIGIN_LABELS[case.origin]} {case.origin_detail}".rstrip())
    closed = f"（{CLOSED_KIND_LABELS[case.closed_kind]}：{case.closed_reason}）" if case.closed_kind else ""
    say(f"环节 / stage: {STAGE_LABELS[case.stage]}{closed}")
    for p in detail.parties:
        say(f"当事人 / party: {p.name}（{PARTY_KIND_LABELS[p.kind]}，{p.id_number}）")
    for h, u in detail.handlers:
        say(f"承办人 / handler: {u.display_name if u else h.user_id}{'（主办）' if h.lead else ''}")


@app.command("open", help="立案（程序启动） / Open a case")
def open_(
    tctx: typer.Context,
    unit: Annotated[str, typer.Option("--unit", help="执法机构代码 / unit code")],
    action_type: Annotated[str, typer.Option("--type", help=f"执法行为类别 / action type: {TYPES}")],
    origin: Annotated[str, typer.Option("--origin", help=f"来源 / origin: {ORIGINS}")],
    name: Annotated[str, typer.Option("--name", help="案件名称 / case name")],
    cause: Annotated[str, typer.Option("--cause", help="案由 / cause")],
    procedure: Annotated[str, typer.Option("--procedure", help="程序 / general or simplified")] = "general",
    origin_detail: Annotated[str, typer.Option("--origin-detail", help="来源说明 / origin details")] = "",
    complainant: Annotated[str, typer.Option("--complainant", help="实名投诉举报人 / real-name complainant")] = "",
    contact: Annotated[str, typer.Option("--contact", help="投诉举报人联系方式 / complainant contact")] = "",
    anonymous: Annotated[bool, typer.Option("--anonymous", help="匿名投诉举报 / anonymous complaint")] = False,
    handler: Annotated[list[str] | None, typer.Option("--handler", help="承办人用户名（可多次） / handler")] = None,
    party_name: Annotated[str, typer.Option("--party-name", help="当事人名称 / party name")] = "",
    party_id: Annotated[str, typer.Option("--party-id", help="身份证号或统一社会信用代码 / ID number")] = "",
    party_kind: Annotated[str, typer.Option("--party-kind", help="citizen, legal_person, other_org")] = "legal_person",
    legal_rep: Annotated[str, typer.Option("--legal-rep", help="法定代表人或负责人 / legal representative")] = "",
    as_json: JsonOption = False,
) -> None:
    real_name = (not anonymous) if origin.strip() == Origin.COMPLAINT.value else None
    details = CaseDetails(action_type=action_type, procedure=procedure, origin=origin, name=name, cause=cause,
                          origin_detail=origin_detail, complainant_real_name=real_name,
                          complainant_name=complainant, complainant_contact=contact)
    parties = [PartyInput(kind=party_kind, name=party_name, id_number=party_id, legal_rep=legal_rep)] \
        if party_name or party_id else []
    with session(tctx) as cli:
        home = queries.unit_by_code(cli.uow(), cli.ctx, unit)
        ids = [queries.user_by_username(cli.uow(), cli.ctx, h).id for h in handler or []]
        case = cases.open_case(cli.uow(), cli.ctx, unit_id=home.id, details=details, parties=parties,
                               handler_ids=ids)
    if as_json:
        emit_json(case_dict(case, {home.id: home.code}))
        return
    say(f"已立案 {case.number}（{PROCEDURE_LABELS[Procedure(case.procedure)]}） / case opened")
