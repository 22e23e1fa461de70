"""Pages for records (记录): the form of a record kind generated from the catalogue's field types,
the record page (fields, signatures and refusals, attachments, every version with the changed
fields marked, the trail), correction, signing, refusing, attaching, the recorded read of a scan,
and the record catalogue page (记录事项清单) where the administrator edits it. Permission checks
live in the services."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from lawtrail.domain.cases import STAGE_LABELS, Case, Stage
from lawtrail.domain.catalogue import (
    AV_RULE_LABELS,
    CAPACITY_LABELS,
    FIELD_TYPE_LABELS,
    MAY_REFUSE,
    FieldType,
    RecordKind,
)
from lawtrail.domain.events import Action
from lawtrail.domain.findings import STATUS_LABELS
from lawtrail.domain.org import User, can_act_as_officer, local_date
from lawtrail.domain.record_prefill import OPINION_FIELDS, prefill
from lawtrail.domain.records import RIGHTS_METHOD_LABELS, SIGN_METHOD_LABELS, RecordVersion, writable
from lawtrail.domain.service import SERVICE_KINDS
from lawtrail.errors import LawtrailError, invalid
from lawtrail.services import approvals as approval_svc
from lawtrail.services import cases as case_svc
from lawtrail.services import catalogue as cat_svc
from lawtrail.services import record_reads as reads
from lawtrail.services import records as svc
from lawtrail.services import serving
from lawtrail.web.api.records import serve_file
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.forms import checked_form, done, form_state, text
from lawtrail.web.ui.render import page, templates
from lawtrail.web.ui.trail import ACTION_LABELS, ENUM_LABELS, FIELD_LABELS, SUBJECT_LABELS, SUBJECT_LINKS, _names, rows

router = APIRouter()
Who = Depends(ui_principal)

templates.env.globals.update(
    CAPACITY_LABELS={k.value: v for k, v in CAPACITY_LABELS.items()},
    RIGHTS_METHOD_LABELS={k.value: v for k, v in RIGHTS_METHOD_LABELS.items()},
    SIGN_METHOD_LABELS={k.value: v for k, v in SIGN_METHOD_LABELS.items()},
    FIELD_TYPE_LABELS={k.value: v for k, v in FIELD_TYPE_LABELS.items()},
    AV_RULE_LABELS={k.value: v for k, v in AV_RULE_LABELS.items()},
    MAY_REFUSE={c.value for c in MAY_REFUSE},
)

# The trail shows record events in words (labels added here, next to the pages that make them).
ACTION_LABELS.update({
    Action.RECORD_CREATE: "制作记录", Action.RECORD_CORRECT: "更正记录", Action.RECORD_SIGN: "签名",
    Action.RECORD_REFUSE_SIGN: "拒绝签名", Action.RECORD_ATTACH: "上传附件", Action.RECORD_READ: "查看记录附件",
    Action.CATALOGUE_UPDATE: "修改记录事项清单",
})
SUBJECT_LABELS.update({"record": "记录", "catalogue": "记录事项清单"})
SUBJECT_LINKS.update({"record": "/records/{}"})
FIELD_LABELS.update({
    "record_id": "记录", "catalogue_version": "清单版本", "catalogue_sha256": "清单摘要", "values": "内容",
    "officers": "在场执法人员", "rights_method": "权利告知方式", "av_media_ids": "同步音像",
    "av_waiver": "不适宜音像理由",
    "changed": "变更字段", "capacity": "签名身份", "signer": "签名人", "method": "签名方式", "signed_at": "签名时间",
    "person": "拒签人", "witness": "见证人", "witness_org": "见证人单位", "refused_at": "拒签时间",
    "scan": "扫描件", "attachment_id": "附件", "refused": "被拒绝", "case_id": "案件", "kinds": "记录事项数",
})
ENUM_LABELS.setdefault("capacity", {}).update({k.value: v for k, v in CAPACITY_LABELS.items()})
ENUM_LABELS.setdefault("method", {}).update({k.value: v for k, v in SIGN_METHOD_LABELS.items()})
ENUM_LABELS.setdefault("rights_method", {}).update({k.value: v for k, v in RIGHTS_METHOD_LABELS.items()})


def _uuid(raw: str, name: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise invalid(name, "选择无效", f"{name} is not a valid id") from None


def record_input(kind: RecordKind, form: FormData) -> svc.RecordInput:
    """The posted record form as the service's input: values by the kind's field types, the
    officers ticked with whether each showed the certificate, rights method, AV or its waiver."""
    values: dict[str, Any] = {}
    for f in kind.fields:
        key = f"values.{f.id}"
        if f.type is FieldType.MULTI_CHOICE:
            values[f.id] = [v for v in form.getlist(key) if isinstance(v, str)]
        else:
            values[f.id] = text(form, key)
    officers = [svc.OfficerInput(_uuid(raw, "officers"), text(form, f"cert_shown.{raw}") == "yes")
                for raw in form.getlist("officer_ids") if isinstance(raw, str)]
    media = [_uuid(raw, "av_media_ids") for raw in form.getlist("av_media_ids") if isinstance(raw, str)]
    return svc.RecordInput(values=values, officers=officers, rights_method=text(form, "rights_method"),
                           av_media_ids=media, av_waiver=text(form, "av_waiver"))


def _form_values(version: RecordVersion) -> dict[str, Any]:
    """A version's content as form values (to prefill a correction)."""
    out: dict[str, Any] = {}
    for key, value in version.values.items():
        if isinstance(value, bool):
            out[f"values.{key}"] = "yes" if value else "no"
        elif isinstance(value, list):
            out[f"values.{key}"] = "\n".join(value)
        elif isinstance(value, str) and len(value) >= 16 and value[4] == "-" and value[10] == "T":
            out[f"values.{key}"] = value[:16]  # a bureau-time date-time: the datetime-local value
        else:
            out[f"values.{key}"] = str(value)
    out["rights_method"] = version.rights_method.value if version.rights_method else ""
    out["av_waiver"] = version.av_waiver
    return out


def _form_lists(version: RecordVersion) -> dict[str, list[str]]:
    lists = {f"values.{k}": v for k, v in version.values.items() if isinstance(v, list)}
    lists["officer_ids"] = [str(o.user_id) for o in version.officers]
    lists["cert_shown"] = [str(o.user_id) for o in version.officers if o.cert_shown]
    lists["av_media_ids"] = [str(m) for m in version.av_media_ids]
    return lists


def _form_page(request: Request, who: Principal, case_id: UUID, kind_id: str, status: int = 200,
               correcting: reads.RecordDetail | None = None, **ctx: Any) -> Response:
    c, sctx = container(request), who.ctx(request)
    detail = case_svc.get_case(c.uow(), sctx, case_id)
    if correcting is not None:
        kind = correcting.kind
    else:
        catalogue = cat_svc.get_catalogue(c.uow(), sctx, c.catalogue).catalogue
        kind = catalogue.kind(kind_id)
    if kind is None:
        raise invalid("kind", f"记录事项清单中没有“{kind_id}”", f"no record kind {kind_id!r}")
    today = local_date(c.clock.now())
    officers: list[User] = [u for _h, u in detail.handlers if u is not None]
    with contextlib.suppress(LawtrailError):
        known = {u.id for u in officers}
        officers += [u for u in case_svc.officers_of(c.uow(), sctx, detail.case.unit_id) if u.id not in known]
    return page(request, "record_form.html", status=status, case=detail.case, kind=kind, d=detail,
                officers=officers, can_sign={u.id: can_act_as_officer(u, today) for u in officers},
                correcting=correcting, **ctx)


def _case_kinds(request: Request, who: Principal, case: Case) -> list[RecordKind]:
    c = container(request)
    catalogue = cat_svc.get_catalogue(c.uow(), who.ctx(request), c.catalogue).catalogue
    return [k for k in catalogue.for_stage(case.stage) if k.applies_to(case.action_type, case.procedure, case.origin)]


def case_records_context(request: Request, who: Principal, case: Case) -> dict[str, Any]:
    """What the case page's 记录 section needs (empty when the actor may not see records)."""
    c, sctx = container(request), who.ctx(request)
    try:
        found = reads.case_records(c.uow(), sctx, c.catalogue, case.id)
        gaps = reads.case_gaps(c.uow(), sctx, c.catalogue, case.id)
        kinds = _case_kinds(request, who, case) if case.stage is not Stage.ARCHIVE else []
    except LawtrailError:
        return {"records_visible": False}
    out: dict[str, Any] = {"records_visible": True, "records_by_stage": found, "record_gaps": gaps,
                           "record_kinds": kinds, "service_visible": False}
    if case.stage in (Stage.SERVICE, Stage.EXECUTION):
        state = serving.case_findings(c.uow(), sctx, case.id, c.clock.now(), c.rules.due_soon)
        out.update(service_visible=True, service_findings=state.findings, receipt_complete=state.receipt_complete,
                   NEXT_KIND=serving.NEXT_KIND,
                   FINDING_STATUS_LABELS={k.value: v for k, v in STATUS_LABELS.items()},
                   SERVICE_METHODS=[(k.id, k.name) for k in kinds if k.id in SERVICE_KINDS])
    return out


@router.get("/cases/{case_id}/records/new", response_class=HTMLResponse)
def record_new(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    kind_id = request.query_params.get("kind", "")
    c, sctx = container(request), who.ctx(request)
    values: dict[str, str] = {}
    if kind_id in OPINION_FIELDS or kind_id == "initiation_form":
        found = approval_svc.case_approvals(c.uow(), sctx, case_id)
        parties = case_svc.get_case(c.uow(), sctx, case_id).parties
        values = prefill(kind_id, found.approvals, parties, found.names)
    prefilled = [k.removeprefix("values.") for k in values]
    # ``stage``: an earlier stage the record completes (the 阶段清单 links a missing record there)
    stage = request.query_params.get("stage", "")
    if stage:
        values["stage"] = stage
    return _form_page(request, who, case_id, kind_id, values=values, value_lists={}, prefilled=prefilled)


@router.post("/cases/{case_id}/records/new")
async def record_create(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    kind_id = text(form, "kind_id")
    c = container(request)
    try:
        catalogue = cat_svc.get_catalogue(c.uow(), who.ctx(request), c.catalogue).catalogue
        kind = catalogue.kind(kind_id)
        if kind is None:
            raise invalid("kind_id", "记录事项无效", f"unknown kind {kind_id!r}")
        version = svc.create_record(c.uow(), who.ctx(request), c.catalogue, case_id, kind_id=kind_id,
                                    data=record_input(kind, form), stage=text(form, "stage"))
    except LawtrailError as exc:
        return _form_page(request, who, case_id, kind_id, 422, **form_state(form, exc))
    return done(f"/records/{version.record_id}", f"已制作：{version.kind_name}")


# ---- one record -------------------------------------------------------------------------------------

def _record_page(request: Request, who: Principal, record_id: UUID, status: int = 200, **ctx: Any) -> Response:
    c, sctx = container(request), who.ctx(request)
    d = reads.get_record(c.uow(), sctx, c.catalogue, record_id)
    events = reads.record_trail(c.uow(), sctx, record_id, limit=50)
    officers: list[User] = []
    with contextlib.suppress(LawtrailError):
        officers = case_svc.officers_of(c.uow(), sctx, d.case.unit_id)
    media = {m.id: m for m in case_svc.get_case(c.uow(), sctx, d.case.id).media}
    return page(request, "record_detail.html", status=status, d=d, case=d.case, kind=d.kind, officers=officers,
                media=media, trail_rows=rows(events, _names(request, who)), STAGE_LABELS=STAGE_LABELS,
                manage=writable(d.case, d.latest.version.kind_id), **ctx)


@router.get("/records/{record_id}", response_class=HTMLResponse)
def record_detail(request: Request, record_id: UUID, who: Principal = Who) -> Response:
    return _record_page(request, who, record_id)


@router.get("/records/{record_id}/correct", response_class=HTMLResponse)
def record_correct_form(request: Request, record_id: UUID, who: Principal = Who) -> Response:
    c = container(request)
    d = reads.get_record(c.uow(), who.ctx(request), c.catalogue, record_id)
    latest = d.latest.version
    return _form_page(request, who, d.case.id, latest.kind_id, correcting=d, values=_form_values(latest),
                      value_lists=_form_lists(latest))


@router.post("/records/{record_id}/correct")
async def record_correct(request: Request, record_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    d = reads.get_record(c.uow(), who.ctx(request), c.catalogue, record_id)
    try:
        if d.kind is None:
            raise invalid("kind", "记录事项缺失", "the record kind is missing")
        base = text(form, "base_version")
        svc.correct_record(c.uow(), who.ctx(request), c.catalogue, record_id, data=record_input(d.kind, form),
                           reason=text(form, "reason"), base_version=int(base) if base.isdigit() else None)
    except LawtrailError as exc:
        return _form_page(request, who, d.case.id, d.latest.version.kind_id, 422, correcting=d,
                          **form_state(form, exc))
    return done(f"/records/{record_id}", "已更正，生成新版本")


def _upload(form: FormData, name: str) -> svc.Upload | None:
    item = form.get(name)
    if isinstance(item, UploadFile) and item.filename:
        return svc.Upload(name=item.filename, content_type=item.content_type or "", source=item.file)
    return None


@router.post("/records/{record_id}/sign")
async def record_sign(request: Request, record_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    raw_user = text(form, "signer_user_id")
    try:
        data = svc.SignatureInput(capacity=text(form, "capacity"), signer_name=text(form, "signer_name"),
                                  signer_user_id=_uuid(raw_user, "signer_user_id") if raw_user else None,
                                  method=text(form, "method"))
        svc.sign_record(c.uow(), who.ctx(request), c.blobs, record_id, data, _upload(form, "scan"))
    except LawtrailError as exc:
        return _record_page(request, who, record_id, 422, which="sign", **form_state(form, exc))
    return done(f"/records/{record_id}", "签名已记录")


@router.post("/records/{record_id}/refuse")
async def record_refuse(request: Request, record_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    data = svc.RefusalInput(capacity=text(form, "capacity"), signer_name=text(form, "signer_name"),
                            reason=text(form, "reason"), witness_name=text(form, "witness_name"),
                            witness_org=text(form, "witness_org"))
    try:
        svc.refuse_signature(c.uow(), who.ctx(request), c.blobs, record_id, data, _upload(form, "scan"))
    except LawtrailError as exc:
        return _record_page(request, who, record_id, 422, which="refuse", **form_state(form, exc))
    return done(f"/records/{record_id}", "拒签情况已记录")


@router.post("/records/{record_id}/attach")
async def record_attach(request: Request, record_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    try:
        upload = _upload(form, "file")
        if upload is None:
            raise invalid("file", "请选择文件", "choose a file")
        svc.add_attachment(c.uow(), who.ctx(request), c.blobs, record_id, upload)
    except LawtrailError as exc:
        return _record_page(request, who, record_id, 422, which="attach", **form_state(form, exc))
    return done(f"/records/{record_id}", "附件已保存")


@router.get("/records/{record_id}/files/{attachment_id}")
def record_file(request: Request, record_id: UUID, attachment_id: UUID, who: Principal = Who) -> Response:
    """The stored scan, inline; the read is recorded (``case:record:read``)."""
    c = container(request)
    return serve_file(reads.open_attachment(c.uow(), who.ctx(request), c.blobs, record_id, attachment_id),
                      download=False)


# ---- the catalogue ----------------------------------------------------------------------------------

def _catalogue_page(request: Request, who: Principal, status: int = 200, **ctx: Any) -> Response:
    c = container(request)
    raw = request.query_params.get("version", "")
    view = cat_svc.get_catalogue(c.uow(), who.ctx(request), c.catalogue, int(raw) if raw.isdigit() else None)
    return page(request, "catalogue.html", status=status, view=view, cat=view.catalogue, **ctx)


@router.get("/admin/catalogue", response_class=HTMLResponse)
def catalogue_page(request: Request, who: Principal = Who) -> Response:
    return _catalogue_page(request, who)


@router.post("/admin/catalogue")
async def catalogue_update(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    base = text(form, "base_version")
    try:
        new = cat_svc.update_catalogue(c.uow(), who.ctx(request), c.catalogue, text=text(form, "text"),
                                       reason=text(form, "reason"), base_version=int(base) if base.isdigit() else None)
    except LawtrailError as exc:
        return _catalogue_page(request, who, 422, **form_state(form, exc))
    return done("/admin/catalogue", f"记录事项清单已更新为第{new.version}版")
