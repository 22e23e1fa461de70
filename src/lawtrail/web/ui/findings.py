"""Pages of the compliance engine: 合规问题 (the findings, by status), 交接登记 (hand-ins of footage,
Art. 41) and the evidence / retention marks of one original (Art. 43, 44).

Permission checks live in the services; a refused or invalid form re-renders its page with the
problems shown inline (status 422), a successful one redirects with a short message. Times are
typed and shown in the bureau's time (China Standard Time).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from lawtrail.domain.access import Permission, Role, has_permission
from lawtrail.domain.cases import Case
from lawtrail.domain.evidence import (
    HANDIN_EXCEPTION_LABELS,
    NOTE_ITEM_LABELS,
    RETENTION_LABELS,
    SITUATION_LABELS,
    MediaMark,
    RetentionClass,
)
from lawtrail.domain.findings import STATUS_LABELS, Finding, FindingStatus, status_at
from lawtrail.domain.org import BUREAU_TZ
from lawtrail.domain.rules import RULES
from lawtrail.errors import LawtrailError, invalid
from lawtrail.services import cases as case_svc
from lawtrail.services import devices as dev_svc
from lawtrail.services import evidence as evidence_svc
from lawtrail.services import findings as findings_svc
from lawtrail.services import handins as handin_svc
from lawtrail.services import org as org_svc
from lawtrail.services import users as user_svc
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.forms import checked_form, done, form_state, optional_date, optional_uuid, text
from lawtrail.web.ui.render import page

router = APIRouter()
Who = Depends(ui_principal)

#: The order the page shows the statuses in, most urgent first.
STATUS_ORDER = (FindingStatus.OVERDUE, FindingStatus.DUE_SOON, FindingStatus.OPEN)
LABELS: dict[str, Any] = {
    "STATUS_LABELS": {s.value: label for s, label in STATUS_LABELS.items()},
    "EXCEPTION_LABELS": {e.value: label for e, label in HANDIN_EXCEPTION_LABELS.items()},
    "SITUATION_LABELS": {s.value: label for s, label in SITUATION_LABELS.items()},
    "RETENTION_LABELS": {r.value: label for r, label in RETENTION_LABELS.items()},
    "NOTE_ITEM_LABELS": {k: zh for k, (zh, _en) in NOTE_ITEM_LABELS.items()},
    "RULES": RULES,
}


#: The classes a mark may choose; archival follows from archiving a case, never chosen by hand.
MARKABLE = [RetentionClass.STANDARD, RetentionClass.LONG_TERM]


def subject_link(f: Finding) -> str | None:
    """Where the subject of a finding is shown: an original, the hand-ins, an activity."""
    kind = f.subject.type
    if kind == "media":
        return f"/media/{f.subject.id}"
    if kind == "handin":
        return f"/handins#handin-{f.subject.id}"
    if kind == "activity":
        return f"/activities/{f.subject.id}"
    if kind == "case":
        return f"/cases/{f.subject.id}"
    if kind == "record":
        return f"/records/{f.subject.id}"
    return None


def local_datetime(form: FormData, name: str, label: str) -> datetime | None:
    """A ``datetime-local`` field (``YYYY-MM-DDTHH:MM``) read in the bureau's time; None when empty."""
    raw = text(form, name).strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid(name, f"{label}格式应为 年-月-日 时:分", f"{name} must be a date and time") from None
    return value if value.tzinfo else value.replace(tzinfo=BUREAU_TZ)


# ---- 合规问题 ----------------------------------------------------------------------------------

def _status_filter(raw: str) -> FindingStatus | None:
    if not raw:
        return None
    try:
        return FindingStatus(raw)
    except ValueError:
        raise invalid("status", "状态须为 已逾期、即将到期 或 待完成",
                      "status must be overdue, due_soon or open") from None


def _case_filter(request: Request, who: Principal, raw: str) -> Case | None:
    """The case whose findings alone are shown (``?case=ID``); None when not given."""
    if not raw:
        return None
    try:
        case_id = UUID(raw)
    except ValueError:
        raise invalid("case", "案件选择无效", "case is not a valid id") from None
    return case_svc.get_case(container(request).uow(), who.ctx(request), case_id).case


@router.get("/findings", response_class=HTMLResponse)
def findings_page(request: Request, who: Principal = Who) -> Response:
    c, ctx = container(request), who.ctx(request)
    chosen = {key: request.query_params.get(key, "").strip() for key in ("rule", "unit", "status", "case")}
    units = org_svc.list_units(c.uow(), ctx)
    found: list[Finding] = []
    status: FindingStatus | None = None
    problem: LawtrailError | None = None
    case: Case | None = None
    try:
        unit = UUID(chosen["unit"]) if chosen["unit"] else None
        status = _status_filter(chosen["status"])
        case = _case_filter(request, who, chosen["case"])
        found = findings_svc.evaluate(c.uow(read_only=True), ctx, ctx.now, settings=c.rules, catalogue=c.catalogue,
                                      rule=chosen["rule"] or None,
                                      unit=unit, case=case.id if case else None, keep=c.uow())
    except ValueError:
        problem = invalid("unit", "执法机构选择无效", "unit is not a valid id")
    except LawtrailError as exc:
        if exc.code == "permission_denied":
            raise
        problem = exc
    counts = {s.value: sum(1 for f in found if f.status is s) for s in STATUS_ORDER}
    shown = [f for f in found if status is None or f.status is status]
    groups = [(s.value, [f for f in shown if f.status is s]) for s in STATUS_ORDER]
    return page(request, "findings.html", status=422 if problem else 200, error=problem, groups=groups,
                counts=counts, total=len(found), shown=len(shown), filters=chosen, units=units, case=case,
                unit_names={str(u.id): u.name for u in units}, subject_link=subject_link, **LABELS)


# ---- 交接登记 ----------------------------------------------------------------------------------

def _choices(request: Request, who: Principal) -> dict[str, Any]:
    """Devices and officers to choose from (empty when the actor may see none)."""
    c, ctx = container(request), who.ctx(request)
    try:
        devices = [d for d in dev_svc.list_devices(c.uow(), ctx) if d.status.value != "retired"]
    except LawtrailError:
        devices = []
    try:
        officers = [u for u in user_svc.list_users(c.uow(), ctx) if u.active and Role.OFFICER in u.roles]
    except LawtrailError:
        officers = []
    return {"devices": sorted(devices, key=lambda d: d.number),
            "officers": sorted(officers, key=lambda u: u.display_name)}


def _handins_page(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    c, cctx = container(request), who.ctx(request)
    rows = handin_svc.list_handins(c.uow(), cctx)
    open_rows = sorted(((h, status_at(h.deadline, cctx.now, due_soon=c.rules.due_soon).value)
                        for h, d in rows if d is None), key=lambda pair: pair[0].deadline)
    done_rows = [(h, d) for h, d in rows if d is not None]
    choices = _choices(request, who)
    people = {u.id: u.display_name for u in choices["officers"]}
    return page(request, "handins.html", status=status, open_rows=open_rows, done_rows=done_rows,
                people=people, **choices, **LABELS, **ctx)


@router.get("/handins", response_class=HTMLResponse)
def handins_page(request: Request, who: Principal = Who) -> Response:
    return _handins_page(request, who)


@router.post("/handins")
async def handins_record(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        handin = handin_svc.record_handin(
            container(request).uow(), who.ctx(request), device_number=text(form, "device_number"),
            handed_in_at=local_datetime(form, "handed_in_at", "交接时间"),
            officer_id=optional_uuid(form, "officer_id", "执法人员"), exception=text(form, "exception") or None,
            returned_at=local_datetime(form, "returned_at", "返回单位时间"), note=text(form, "note"))
    except LawtrailError as exc:
        if exc.code == "permission_denied":  # a device of another unit: the 403 page, like every refusal
            raise
        return _handins_page(request, who, 422, which="record", **form_state(form, exc))
    deadline = handin.deadline.astimezone(BUREAU_TZ).strftime("%m月%d日 %H:%M")
    return done("/handins", f"已登记设备 {handin.device_number} 的交接，须于 {deadline} 前储存")


@router.post("/handins/{handin_id}/complete")
async def handins_complete(request: Request, handin_id: UUID, who: Principal = Who) -> Response:
    await checked_form(request, who)
    try:
        completion = handin_svc.complete_handin(container(request).uow(), who.ctx(request), handin_id)
    except LawtrailError as exc:
        if exc.code == "permission_denied":
            raise
        return _handins_page(request, who, 422, error=exc, failed_handin=str(handin_id))
    return done("/handins", f"交接已完成储存，关联 {len(completion.media_ids)} 个原始文件")


# ---- 证据与保存期限 -----------------------------------------------------------------------------

def _mark_defaults(latest: MediaMark | None) -> dict[str, Any]:
    """The form starts from the current version, so completing a note only adds what is missing."""
    if latest is None:
        return {"values": {}, "value_lists": {}}
    values = {"collector": latest.collector, "place": latest.place, "situation_note": latest.situation_note,
              "collected_at": latest.collected_at.astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M")
              if latest.collected_at else ""}
    if latest.evidence:
        values["evidence"] = "1"
    return {"values": values, "value_lists": {"situations": [s.value for s in latest.situations]}}


def _marks_page(request: Request, who: Principal, media_id: UUID, status: int = 200, **ctx: Any) -> Response:
    c, cctx = container(request), who.ctx(request)
    media, marks = evidence_svc.list_marks(c.uow(), cctx, media_id)
    found = findings_svc.evaluate(c.uow(), cctx, cctx.now, settings=c.rules, catalogue=c.catalogue,
                                  subject=("media", str(media.id)))
    state = ctx if "values" in ctx else {**_mark_defaults(marks[-1] if marks else None), **ctx}
    return page(request, "media_marks.html", status=status, media=media, marks=list(reversed(marks)),
                latest=marks[-1] if marks else None, found=found, subject_link=subject_link,
                may_mark=has_permission(who.actor, Permission.MEDIA_EVIDENCE), retention_classes=MARKABLE,
                **LABELS, **state)


@router.get("/media/{media_id}/marks", response_class=HTMLResponse)
def marks_page(request: Request, media_id: UUID, who: Principal = Who) -> Response:
    return _marks_page(request, who, media_id)


def _until(form: FormData) -> datetime | None:
    day = optional_date(form, "retain_until", "保存截止")
    return datetime.combine(day, time(23, 59, 59), BUREAU_TZ) if day else None


@router.post("/media/{media_id}/marks")
async def marks_add(request: Request, media_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    c = container(request)
    try:
        mark = evidence_svc.mark_media(
            c.uow(), who.ctx(request), media_id, policy=c.rules.retention, evidence=text(form, "evidence") == "1",
            collector=text(form, "collector"), collected_at=local_datetime(form, "collected_at", "取证时间"),
            place=text(form, "place"), situations=[v for v in form.getlist("situations") if isinstance(v, str)],
            situation_note=text(form, "situation_note"), retention=text(form, "retention") or None,
            retain_until=_until(form))
    except LawtrailError as exc:
        if exc.code in ("permission_denied", "media.not_found"):
            raise
        return _marks_page(request, who, media_id, 422, **form_state(form, exc))
    note = "" if not mark.missing_note_items() else "；文字说明尚不完整"
    return done(f"/media/{media_id}/marks", f"已保存第 {mark.version} 版标记{note}")
