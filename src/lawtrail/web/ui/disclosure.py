"""Pages of disclosure (对外提供, Art. 37): the request form and my requests, the leader's
approvals, one request with its exports, and the export itself (marked copies made in the
background, with a progress bar polled by htmx, then one zip to download). Permission checks
live in the services; a download is checked again by ``write_bundle``."""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask

from lawtrail.adapters.watermark import FfmpegMarker
from lawtrail.bootstrap import Container, disclosure_store_from
from lawtrail.domain.access import Permission, has_permission
from lawtrail.domain.disclosure import STATUS_LABELS, Status
from lawtrail.errors import LawtrailError, NotFound
from lawtrail.services import disclosure as svc
from lawtrail.services.context import Ctx
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.access import _ids
from lawtrail.web.ui.forms import checked_form, done, form_state, text
from lawtrail.web.ui.render import page, templates

router = APIRouter(include_in_schema=False)
Who = Depends(ui_principal)
templates.env.globals.update(DISCLOSURE_STATUS_LABELS={k.value: v for k, v in STATUS_LABELS.items()})


def _list(request: Request, who: Principal, status: int = 200, **ctx: Any) -> Response:
    c, sctx = container(request), who.ctx(request)
    deciding = has_permission(who.actor, Permission.DISCLOSURE_APPROVE)
    found = svc.list_requests(c.uow(), sctx)
    ctx.setdefault("values", {"media_ids": request.query_params.get("media", ""),
                              "attachment_ids": request.query_params.get("attachment", "")})
    return page(request, "disclosures.html", status=status, deciding=deciding,
                pending=[d for d in found if deciding and d.status is Status.REQUESTED],
                others=[d for d in found if not (deciding and d.status is Status.REQUESTED)][:100],
                names=svc.item_names(c.uow(), sctx, found), **ctx)


@router.get("/disclosures", response_class=HTMLResponse)
def disclosures(request: Request, who: Principal = Who) -> Response:
    return _list(request, who)


@router.post("/disclosures")
async def disclosure_create(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        made = svc.request_disclosure(
            container(request).uow(), who.ctx(request), recipient_name=text(form, "recipient_name"),
            recipient_org=text(form, "recipient_org"), purpose=text(form, "purpose"),
            media_ids=_ids(text(form, "media_ids"), "media_ids", "音像资料"),
            attachment_ids=_ids(text(form, "attachment_ids"), "attachment_ids", "记录附件"),
            publish=text(form, "publish") == "1",
            secret_confirmed=text(form, "secret_confirmed") == "1")
    except LawtrailError as exc:
        return _list(request, who, 422, **form_state(form, exc))
    return done(f"/disclosures/{made.request.id}", "对外提供申请已提交，待机关负责人审批")


def _detail(request: Request, who: Principal, request_id: UUID, status: int = 200, **ctx: Any) -> Response:
    c, sctx = container(request), who.ctx(request)
    found, exports = svc.get_request(c.uow(), sctx, request_id)
    return page(request, "disclosure_detail.html", status=status, d=found, exports=exports,
                names=svc.item_names(c.uow(), sctx, [found]),
                can_decide=has_permission(who.actor, Permission.DISCLOSURE_APPROVE)
                and who.actor.user_id != found.request.requester_id and found.status is Status.REQUESTED,
                can_withdraw=who.actor.user_id == found.request.requester_id and found.status is Status.REQUESTED,
                **ctx)


@router.get("/disclosures/{request_id}", response_class=HTMLResponse)
def disclosure_detail(request: Request, request_id: UUID, who: Principal = Who) -> Response:
    return _detail(request, who, request_id)


@router.post("/disclosures/{request_id}/{move}")
async def disclosure_move(request: Request, request_id: UUID, move: str, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    if move == "export":
        return _start_export(request, who, request_id)
    moves: dict[str, tuple[Callable[..., Any], str]] = {
        "approve": (svc.approve, "已批准对外提供"), "refuse": (svc.refuse, "已不予批准"),
        "withdraw": (svc.withdraw, "申请已撤回")}
    if move not in moves:
        raise NotFound("页面不存在", "no such page", code="not_found")
    call, message = moves[move]
    try:
        call(container(request).uow(), who.ctx(request), request_id, reason=text(form, "reason"))
    except LawtrailError as exc:
        return _detail(request, who, request_id, 422, **form_state(form, exc))
    return done(f"/disclosures/{request_id}", message)


# ---- the export, in the background ----------------------------------------------------------------

@dataclass
class ExportJob:
    id: str
    request_id: UUID
    user_id: UUID | None
    bureau_id: UUID | None
    count: int = 0
    index: int = 0
    fraction: float = 0.0
    state: str = "running"  # running | done | failed
    message: str = ""
    export_id: UUID | None = None
    manifest_sha256: str = ""

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(100 * (self.index + self.fraction) / self.count) if self.count else 0


_JOBS: dict[str, ExportJob] = {}
_LOCK = threading.Lock()


def _run(c: Container, ctx: Ctx, job: ExportJob) -> None:
    def progress(index: int, count: int, fraction: float) -> None:
        job.index, job.count, job.fraction = index, count, fraction

    try:
        result = svc.export(c.uow(), ctx, c.blobs, disclosure_store_from(c.settings), FfmpegMarker(),
                            job.request_id, on_progress=progress)
        job.export_id, job.manifest_sha256, job.state = result.export.id, result.export.manifest_sha256, "done"
    except LawtrailError as exc:
        job.state, job.message = "failed", exc.message_zh
    except Exception as exc:  # a background thread must report, not vanish
        job.state, job.message = "failed", f"导出失败：{type(exc).__name__}"


def _start_export(request: Request, who: Principal, request_id: UUID) -> Response:
    c, ctx = container(request), who.ctx(request)
    found, _ = svc.get_request(c.uow(), ctx, request_id)
    if found.status is not Status.APPROVED:  # refuse (and register) before a job exists
        try:
            svc.export(c.uow(), ctx, c.blobs, disclosure_store_from(c.settings), FfmpegMarker(), request_id)
        except LawtrailError as exc:
            return _detail(request, who, request_id, 403, **form_state(None, exc))
    job = ExportJob(uuid.uuid4().hex, request_id, who.actor.user_id, who.actor.bureau_id,
                    count=len(found.request.media_ids))
    with _LOCK:
        _JOBS[job.id] = job
    threading.Thread(target=_run, args=(c, ctx, job), name=f"disclosure-{job.id[:8]}", daemon=True).start()
    return done(f"/disclosures/exports/{job.id}", "正在制作加水印副本")


def _job(who: Principal, job_id: str) -> ExportJob:
    job = _JOBS.get(job_id)
    if job is None or job.bureau_id != who.actor.bureau_id or job.user_id != who.actor.user_id:
        raise NotFound("没有这个导出任务", "no such export", code="disclosure.export_not_found")
    return job


@router.get("/disclosures/exports/{job_id}", response_class=HTMLResponse)
def export_page(request: Request, job_id: str, who: Principal = Who) -> Response:
    return page(request, "disclosure_export.html", job=_job(who, job_id))


@router.get("/disclosures/exports/{job_id}/progress", response_class=HTMLResponse)
def export_progress(request: Request, job_id: str, who: Principal = Who) -> Response:
    return page(request, "_disclosure_progress.html", job=_job(who, job_id))


@router.get("/disclosures/bundles/{export_id}.zip")
def bundle(request: Request, export_id: UUID, who: Principal = Who) -> Response:
    c = container(request)
    fd, name = tempfile.mkstemp(prefix="lawtrail-bundle-", suffix=".zip")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            svc.write_bundle(c.uow(), who.ctx(request), disclosure_store_from(c.settings), export_id, out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type="application/zip", filename=f"disclosure-{str(export_id)[:8]}.zip",
                        background=BackgroundTask(path.unlink, missing_ok=True))
