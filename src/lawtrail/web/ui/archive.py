"""Pages of the archive (档案, Art. 39–44): 保存期限 (retention, with the policy preview),
法律保全 (legal holds), 销毁 (disposal proposals and approvals, certificates) and 案卷导出
(a concluded case's bag, written in the background with a progress bar). Permission checks
live in the services; a bag download is checked again here against the export's owner."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from lawtrail.adapters.bag import BagWriter
from lawtrail.adapters.casefile_verify import verify_bag
from lawtrail.adapters.printing import record_pdf
from lawtrail.bootstrap import Container
from lawtrail.domain.access import Permission, has_permission
from lawtrail.domain.archive import DISPOSAL_STATUS_LABELS, DisposalStatus
from lawtrail.domain.evidence import RETENTION_LABELS, RetentionPolicy, parse_retention
from lawtrail.errors import LawtrailError, NotFound, PermissionDenied, invalid
from lawtrail.services import casefile, disposal, retention
from lawtrail.services import cases as case_svc
from lawtrail.services.casefile_records import CaseRecords
from lawtrail.services.context import Ctx
from lawtrail.services.evidence import resolve_media
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ledger_runtime import signer, uow
from lawtrail.web.tarstream import tar_stream
from lawtrail.web.ui.forms import checked_form, done, form_state, text
from lawtrail.web.ui.render import page, templates

router = APIRouter()
Who = Depends(ui_principal)
templates.env.globals.update(
    RETENTION_CLASS_LABELS={k.value: v for k, v in RETENTION_LABELS.items()},
    DISPOSAL_STATUS_LABELS={k.value: v for k, v in DISPOSAL_STATUS_LABELS.items()},
)


def _policy(c: Container) -> RetentionPolicy:
    return c.rules.retention


# ---- 保存期限 ---------------------------------------------------------------------------------

def _months(raw: str, label: str, name: str) -> int:
    if not raw.strip().isdigit():
        raise invalid(name, f"{label}须为整数月数", f"{name} must be a whole number of months")
    return int(raw)


@router.get("/archive", response_class=HTMLResponse)
def archive_home(request: Request, who: Principal = Who) -> Response:
    return _disposals_page(request, who)


@router.get("/archive/retention", response_class=HTMLResponse)
def retention_page(request: Request, who: Principal = Who, standard: str = "", archival: str = "") -> Response:
    c, ctx = container(request), who.ctx(request)
    current = _policy(c)
    rows = retention.retention_list(c.uow(), ctx, current)
    preview, error, candidate = None, None, None
    if standard or archival:
        try:
            candidate = parse_retention({"version": 1, "classes": {
                "standard": {"months": _months(standard or str(current.standard_months), "一般保存", "standard")},
                "long_term": {"months": None},
                "archival": {"months": _months(archival or str(current.archival_months), "归档保存", "archival")}}})
            preview = retention.preview_policy(c.uow(), ctx, current, candidate)
        except LawtrailError as exc:
            error = exc
    return page(request, "archive_retention.html", rows=rows, policy=current, preview=preview, candidate=candidate,
                error=error, values={"standard": standard, "archival": archival})


# ---- 法律保全 ---------------------------------------------------------------------------------

def _holds_page(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    c = container(request)
    holds = retention.list_holds(c.uow(), who.ctx(request))
    return page(request, "archive_holds.html", status=status, holds=holds, **ctx)


@router.get("/archive/holds", response_class=HTMLResponse)
def holds_page(request: Request, who: Principal = Who) -> Response:
    return _holds_page(request, who, values={"target": "case"})


def _target_id(request: Request, who: Principal, kind: str, raw: str) -> UUID:
    """A case number, a case id, a media id or a media SHA-256, as the form allows."""
    raw = raw.strip()
    c, ctx = container(request), who.ctx(request)
    if kind == "case":
        try:
            return UUID(raw)
        except ValueError:
            return case_svc.find_case(c.uow(), ctx, raw).id
    return resolve_media(c.uow(), ctx, raw)


@router.post("/archive/holds")
async def hold_place(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        kind = text(form, "target")
        target = _target_id(request, who, kind, text(form, "ref"))
        retention.place_hold(container(request).uow(), who.ctx(request), target=kind, target_id=target,
                             reason=text(form, "reason"))
    except LawtrailError as exc:
        return _holds_page(request, who, 422, which="place", **form_state(form, exc))
    return done("/archive/holds", "已设置法律保全")


@router.post("/archive/holds/{hold_id}/release")
async def hold_release(request: Request, hold_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        retention.release_hold(container(request).uow(), who.ctx(request), hold_id, reason=text(form, "reason"))
    except LawtrailError as exc:
        return _holds_page(request, who, 422, which=f"release-{hold_id}", **form_state(form, exc))
    return done("/archive/holds", "已解除法律保全")


# ---- 销毁 -------------------------------------------------------------------------------------

def _disposals_page(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    c, sctx = container(request), who.ctx(request)
    items = disposal.list_disposals(c.uow(), sctx)
    candidates = []
    if has_permission(who.actor, Permission.ARCHIVE_MANAGE):
        candidates = retention.retention_list(c.uow(), sctx, _policy(c), only_disposable=True)
        pending = {i.media_id for d in items if d.status is not DisposalStatus.REJECTED for i in d.items}
        candidates = [r for r in candidates if r.facts.media.id not in pending]
    return page(request, "archive_disposals.html", status=status, disposals=items, candidates=candidates,
                me_id=who.user.id, **ctx)


@router.post("/archive/disposals")
async def disposal_propose(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    try:
        ids = []
        for raw in form.getlist("media_ids"):
            try:
                ids.append(UUID(raw if isinstance(raw, str) else ""))
            except ValueError:
                raise invalid("media_ids", "原始文件选择无效", "invalid original") from None
        disposal.propose_disposal(c.uow(), who.ctx(request), policy=_policy(c), media_ids=ids,
                                  reason=text(form, "reason"))
    except LawtrailError as exc:
        return _disposals_page(request, who, 422, which="propose", **form_state(form, exc))
    return done("/archive", "销毁申请已提交，待领导审批")


@router.post("/archive/disposals/{disposal_id}/decide")
async def disposal_decide(request: Request, disposal_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c, ctx = container(request), who.ctx(request)
    try:
        if text(form, "decision") == "reject":
            disposal.reject_disposal(uow(c), ctx, policy=_policy(c), disposal_id=disposal_id, note=text(form, "note"))
            return done("/archive", "已驳回销毁申请")
        outcome = disposal.approve_disposal(uow(c), ctx, c.blobs, signer(c), policy=_policy(c),
                                            disposal_id=disposal_id, note=text(form, "note"))
    except LawtrailError as exc:
        return _disposals_page(request, who, 422, which=f"decide-{disposal_id}", **form_state(form, exc))
    if outcome.locked is not None:
        return done("/archive", "已批准；" + outcome.locked.message_zh)
    return done("/archive", "已批准并销毁，销毁证明已生成")


@router.post("/archive/disposals/{disposal_id}/execute")
async def disposal_execute(request: Request, disposal_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    try:
        disposal.execute_disposal(uow(c), who.ctx(request), c.blobs, signer(c), policy=_policy(c),
                                  disposal_id=disposal_id)
    except LawtrailError as exc:
        return _disposals_page(request, who, 422, which=f"decide-{disposal_id}", **form_state(form, exc))
    return done("/archive", "已销毁，销毁证明已生成")


@router.get("/archive/disposals/{disposal_id}/certificate.json")
def disposal_certificate(request: Request, disposal_id: UUID, who: Principal = Who) -> Response:
    found = disposal.get_disposal(container(request).uow(), who.ctx(request), disposal_id)
    execute = next((d for d in found.decisions if d.certificate is not None), None)
    if execute is None:
        raise NotFound("尚无销毁证明", "no disposal certificate yet", code="archive.no_certificate")
    body = json.dumps(execute.certificate, ensure_ascii=False, indent=2)
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="disposal-{disposal_id}.json"'})


# ---- 案卷导出 (in the background, with progress) -------------------------------------------------

@dataclass
class ExportJob:
    id: str
    case_number: str
    case_id: UUID
    bureau_id: UUID | None
    folder: Path
    total: int
    done_bytes: int = 0
    state: str = "running"  # running | done | failed
    message: str = ""
    verified: bool | None = None
    result: dict[str, object] = field(default_factory=dict)


_JOBS: dict[str, ExportJob] = {}
_LOCK = threading.Lock()


def _run(c: Container, ctx: Ctx, job: ExportJob) -> None:
    def progress(n: int) -> None:
        job.done_bytes += n

    try:
        result = casefile.export_case_file(uow(c), ctx, c.blobs, signer(c), BagWriter(job.folder),
                                           number=job.case_number, origin=c.settings.ledger_origin,
                                           sources=[CaseRecords(c.catalogue, record_pdf)], on_bytes=progress)
        report = verify_bag(job.folder)
        job.verified = report.ok
        job.result = {"items": result.items, "oxum": result.payload_oxum, "checkpoint": result.checkpoint_size,
                      "ledger_index": result.ledger_index, "report": report.to_json()}
        job.state = "done"
    except LawtrailError as exc:
        job.state, job.message = "failed", exc.message_zh
    except Exception as exc:  # a background thread must report, not vanish
        job.state, job.message = "failed", f"导出失败：{type(exc).__name__}"


@router.post("/cases/{case_id}/casefile")
async def export_start(request: Request, case_id: UUID, who: Principal = Who) -> Response:
    await checked_form(request, who)
    c, ctx = container(request), who.ctx(request)
    detail = case_svc.get_case(c.uow(), ctx, case_id)
    casefile.concluded_case_id(c.uow(), ctx, detail.case.number)  # permission and stage, before a folder
    job_id = uuid.uuid4().hex
    folder = c.settings.data_dir / "casefiles" / f"{detail.case.year}-{detail.case.serial:05d}-{job_id[:8]}"
    job = ExportJob(job_id, detail.case.number, detail.case.id, ctx.actor.bureau_id, folder,
                    total=sum(m.size for m in detail.media))
    with _LOCK:
        _JOBS[job_id] = job
    threading.Thread(target=_run, args=(c, ctx, job), name=f"casefile-{job_id[:8]}", daemon=True).start()
    return done(f"/archive/exports/{job_id}", "案卷导出已开始")


def _job(request: Request, who: Principal, job_id: str) -> ExportJob:
    job = _JOBS.get(job_id)
    if job is None or job.bureau_id != who.actor.bureau_id:
        raise NotFound("没有这个导出任务", "no such export", code="archive.export_not_found")
    if not has_permission(who.actor, Permission.ARCHIVE_MANAGE):
        raise PermissionDenied("无权下载案卷（需要权限 archive:manage）", "archive:manage is required",
                               code="permission_denied")
    return job


@router.get("/archive/exports/{job_id}", response_class=HTMLResponse)
def export_page(request: Request, job_id: str, who: Principal = Who) -> Response:
    return page(request, "archive_export.html", job=_job(request, who, job_id))


@router.get("/archive/exports/{job_id}/progress", response_class=HTMLResponse)
def export_progress(request: Request, job_id: str, who: Principal = Who) -> Response:
    return page(request, "_archive_progress.html", job=_job(request, who, job_id))


@router.get("/archive/exports/{job_id}/bag.tar")
def export_download(request: Request, job_id: str, who: Principal = Who) -> Response:
    job = _job(request, who, job_id)
    if job.state != "done":
        raise NotFound("案卷尚未导出完成", "the bag is not ready", code="archive.export_not_ready")
    name = job.folder.name
    stream: Iterator[bytes] = tar_stream(job.folder, name)
    return StreamingResponse(stream, media_type="application/x-tar",
                             headers={"Content-Disposition": f'attachment; filename="{name}.tar"'})
