"""Pages for on-site activities (现场执法活动): the list with a form to record one, and the
activity page with its continuity timeline (inline SVG, no inline style or script: the CSP
forbids both), its findings, its interruptions and the forms to record and complete them.

Permission checks live in ``services.activities``; a refused or invalid form re-renders its
page with the problems shown inline (status 422), a successful one redirects with a message.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from lawtrail.domain.access import Role
from lawtrail.domain.activities import (
    ACTIVITY_KIND_LABELS,
    INTERRUPTION_REASON_LABELS,
    ActivityKind,
    InterruptionReason,
    Span,
)
from lawtrail.domain.cases import Case, CaseFilter, Stage
from lawtrail.domain.org import BUREAU_TZ, User
from lawtrail.domain.rules.continuity import DeviceTimeline, duration_zh
from lawtrail.errors import LawtrailError, invalid
from lawtrail.services import activities as svc
from lawtrail.services import cases as case_svc
from lawtrail.services import devices as dev_svc
from lawtrail.services import org as org_svc
from lawtrail.services import users as user_svc
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.forms import checked_form, done, form_state, optional_uuid, text
from lawtrail.web.ui.render import page, templates

router = APIRouter(include_in_schema=False)
Who = Depends(ui_principal)

#: Width of the timeline drawing in SVG user units (it scales to the page).
WIDTH = 1000.0

templates.env.globals.update(
    ACTIVITY_KIND_LABELS={k.value: v for k, v in ACTIVITY_KIND_LABELS.items()},
    INTERRUPTION_REASON_LABELS={k.value: v for k, v in INTERRUPTION_REASON_LABELS.items()},
)


def local_input(value: datetime | None) -> str:
    """A UTC time as the value of a ``datetime-local`` input in the bureau's time."""
    return value.astimezone(BUREAU_TZ).strftime("%Y-%m-%dT%H:%M:%S") if value else ""


templates.env.filters["local_input"] = local_input


def form_time(form: FormData, name: str, label: str) -> datetime | None:
    """A ``datetime-local`` value read as China Standard Time, returned as aware UTC; None when
    empty (the service says whether it is required). Raise ValidationFailed when malformed."""
    raw = text(form, name).strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid(name, f"{label}格式应为 年-月-日 时:分", f"{name} must be a date and time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=BUREAU_TZ)
    return value.astimezone(UTC)


def uuids(form: FormData, name: str, label: str) -> list[UUID]:
    out = []
    for raw in form.getlist(name):
        try:
            out.append(UUID(str(raw)))
        except ValueError:
            raise invalid(name, f"{label}选择无效", f"{name} holds an invalid id") from None
    return out


def activity_input(form: FormData) -> svc.ActivityInput:
    return svc.ActivityInput(
        kind=text(form, "kind"), title=text(form, "title"), place=text(form, "place"), party=text(form, "party"),
        arrived_at=form_time(form, "arrived_at", "到达现场时间"),
        departed_at=form_time(form, "departed_at", "离开现场时间"),
        officer_ids=uuids(form, "officer_ids", "执法人员"), device_ids=uuids(form, "device_ids", "记录设备"),
        uninterrupted_required=text(form, "uninterrupted_required") == "on",
        av_unsuitable_reason=text(form, "av_unsuitable_reason"), case_id=optional_uuid(form, "case_id", "关联案件"))


# ---- the list -------------------------------------------------------------------------------

def _choices(request: Request, who: Principal) -> dict[str, object]:
    """Units the actor may record for, and the officers and devices to choose from (own unit first)."""
    c = container(request)
    ctx = who.ctx(request)
    units = [u for u in org_svc.list_units(c.uow(), ctx) if u.active]
    try:
        people = [u for u in user_svc.list_users(c.uow(), ctx) if u.active and Role.OFFICER in u.roles]
    except LawtrailError:
        people = [who.user]
    try:
        cams = [d for d in dev_svc.list_devices(c.uow(), ctx) if d.active]
    except LawtrailError:
        cams = []
    mine = who.user.unit_id
    cases: list[Case] = []
    with contextlib.suppress(LawtrailError, ValueError):  # my open cases, then the one the case page sent
        cases = [x for x in case_svc.list_cases(c.uow(read_only=True), ctx, CaseFilter(handler_id=who.user.id),
                                                page_size=case_svc.PAGE_SIZE_MAX).items if x.stage is not Stage.ARCHIVE]
        wanted = request.query_params.get("case", "")
        if wanted and wanted not in {str(x.id) for x in cases}:
            cases.insert(0, case_svc.get_case(c.uow(), ctx, UUID(wanted)).case)
    people.sort(key=lambda u: (u.unit_id != mine, str(u.unit_id), u.display_name))
    cams.sort(key=lambda d: (d.unit_id != mine, str(d.unit_id), d.number))
    return {"units": units, "unit_names": {u.id: u.name for u in units}, "officers": people, "cams": cams,
            "kinds": list(ActivityKind), "case_options": [(x.id, f"{x.number} {x.name}") for x in cases]}


def _list_page(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    c = container(request)
    activities = svc.list_activities(c.uow(), who.ctx(request))
    policy = svc.continuity_policy(c.settings)
    findings = svc.activity_findings(c.uow(), who.ctx(request), c.clock.now(), policy)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.subject.id] = counts.get(f.subject.id, 0) + 1
    return page(request, "activities.html", status=status, activities=activities, finding_counts=counts,
                **_choices(request, who), **ctx)


@router.get("/activities", response_class=HTMLResponse)
def activities_list(request: Request, who: Principal = Who) -> Response:
    return _list_page(request, who)


@router.post("/activities")
async def activities_create(request: Request, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        unit_id = optional_uuid(form, "unit_id", "执法机构") or who.user.unit_id
        activity = svc.create_activity(container(request).uow(), who.ctx(request), unit_id=unit_id,
                                       data=activity_input(form))
    except LawtrailError as exc:
        return _list_page(request, who, 422, **form_state(form, exc))
    return done(f"/activities/{activity.id}", "现场执法活动已登记")


# ---- one activity: the continuity timeline ---------------------------------------------------

@dataclass(frozen=True)
class Bar:
    """One rectangle of a device's bar, in SVG user units."""

    kind: str  # clip | explained | gap
    x: float
    width: float
    title: str
    label: str = ""
    href: str = ""
    start: datetime | None = None
    end: datetime | None = None


def _x(span: Span, when: datetime) -> float:
    total = span.length.total_seconds()
    return round(max(0.0, min(1.0, (when - span.start).total_seconds() / total)) * WIDTH, 2)


def _bar(span: Span, piece: Span, kind: str, title: str, **kw: str) -> Bar:
    x0, x1 = _x(span, piece.start), _x(span, piece.end)
    return Bar(kind, x0, max(x1 - x0, 1.5), title, start=piece.start, end=piece.end, **kw)


def bars(timeline: DeviceTimeline) -> list[Bar]:
    """Clips (green, linking to the media page), explained stretches (amber, with the reason)
    and unexplained gaps (red, with their length)."""
    span = timeline.span
    hhmm = "%H:%M:%S"
    out = [_bar(span, Span(max(p.span.start, span.start), min(p.span.end, span.end)), "clip",
                f"{p.clip.original_name}：{_local(p.span.start, hhmm)}–{_local(p.span.end, hhmm)}",
                href=f"/media/{p.clip.media_id}") for p in timeline.clips]
    for stop in timeline.interruptions:
        reason = INTERRUPTION_REASON_LABELS[stop.reason] if stop.reason else "原因未填"
        for piece in timeline.explained:
            stop_span = stop.span(span.end)
            if piece.start < stop_span.end and stop_span.start < piece.end:
                clipped = Span(max(piece.start, stop_span.start), min(piece.end, stop_span.end))
                out.append(_bar(span, clipped, "explained", f"已登记中断（{reason}）", label=reason))
    for gap in timeline.unexplained:
        out.append(_bar(span, gap, "gap", f"间断 {_local(gap.start, hhmm)}–{_local(gap.end, hhmm)}，"
                        f"{duration_zh(gap.length)}", label=duration_zh(gap.length)))
    return out


def _local(value: datetime, fmt: str) -> str:
    return value.astimezone(BUREAU_TZ).strftime(fmt)


def ticks(span: Span, count: int = 6) -> list[tuple[float, str]]:
    """Axis ticks at round minutes in the bureau's time."""
    seconds = span.length.total_seconds()
    step = next((s for s in (60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
                 if seconds / s <= count), 86400)
    first = span.start.astimezone(BUREAU_TZ).replace(second=0, microsecond=0)
    first += timedelta(seconds=-(first.minute * 60) % step)
    out, t = [(0.0, _local(span.start, "%H:%M:%S"))], first
    while t <= span.end:
        x = _x(span, t)
        if t >= span.start and 90 < x < WIDTH - 90:  # keep clear of the arrival and departure labels
            out.append((x, t.strftime("%H:%M")))
        t += timedelta(seconds=step)
    return [*out, (WIDTH, _local(span.end, "%H:%M:%S"))]


def _activity_page(request: Request, who: Principal, activity_id: UUID, status: int = 200,
                   **ctx: object) -> Response:
    c = container(request)
    result = svc.continuity(c.uow(), who.ctx(request), activity_id, svc.continuity_policy(c.settings))
    versions = svc.activity_versions(c.uow(), who.ctx(request), activity_id)
    people = _people(request, who)
    heads = [u for u in people.values() if u.active and u.roles & svc.HEAD_ROLES]
    rows = [(t, result.devices.get(t.device_id), bars(t)) for t in result.timelines]
    return page(request, "activity_detail.html", status=status, a=result.activity, rows=rows,
                ticks=ticks(result.activity.span), findings=result.findings, stops=result.interruptions,
                devices=result.devices, people=people, heads=heads, versions=list(reversed(versions)),
                reasons=list(InterruptionReason), unit_name=_unit_name(request, who, result.activity.unit_id),
                gap_choice=_gap_choice(request, result.timelines), **ctx)


def _people(request: Request, who: Principal) -> dict[UUID, User]:
    try:
        return {u.id: u for u in user_svc.list_users(container(request).uow(), who.ctx(request))}
    except LawtrailError:
        return {}


def _unit_name(request: Request, who: Principal, unit_id: UUID) -> str:
    try:
        return org_svc.get_unit(container(request).uow(), who.ctx(request), unit_id).name
    except LawtrailError:
        return ""


def _gap_choice(request: Request, timelines: list[DeviceTimeline]) -> dict[str, str]:
    """Prefill the interruption form from a gap picked on the timeline (``?device=&start=&end=``)."""
    q = request.query_params
    if not q.get("device"):
        first = next(((t.device_id, g) for t in timelines for g in t.unexplained), None)
        if first is None:
            return {}
        return {"device_id": str(first[0]), "started_at": local_input(first[1].start),
                "ended_at": local_input(first[1].end)}
    return {"device_id": q.get("device", ""), "started_at": q.get("start", ""), "ended_at": q.get("end", "")}


@router.get("/activities/{activity_id}", response_class=HTMLResponse)
def activity_detail(request: Request, activity_id: UUID, who: Principal = Who) -> Response:
    return _activity_page(request, who, activity_id)


@router.post("/activities/{activity_id}/interruptions")
async def interruption_record(request: Request, activity_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    resumed = text(form, "resumed") == "yes"
    try:
        device_id = optional_uuid(form, "device_id", "记录设备")
        if device_id is None:
            raise invalid("device_id", "请选择记录设备", "choose the device")
        started_at = form_time(form, "started_at", "中断开始时间")
        if started_at is None:
            raise invalid("started_at", "请填写中断开始时间", "started_at is required")
        svc.record_interruption(
            container(request).uow(), who.ctx(request), activity_id, device_id=device_id, started_at=started_at,
            ended_at=form_time(form, "ended_at", "恢复记录时间") if resumed else None,
            resumed=resumed, reason=text(form, "reason") or None, reason_text=text(form, "reason_text"),
            reported_to=optional_uuid(form, "reported_to", "报告对象"),
            reported_at=form_time(form, "reported_at", "报告时间"),
            explanation=text(form, "explanation"))
    except LawtrailError as exc:
        return _activity_page(request, who, activity_id, 422, which="record", **form_state(form, exc))
    return done(f"/activities/{activity_id}", "中断情况已登记")


@router.post("/activities/{activity_id}/interruptions/{interruption_id}")
async def interruption_complete(request: Request, activity_id: UUID, interruption_id: UUID,
                                who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    try:
        version = int(text(form, "expected_version") or "0")
        svc.complete_interruption(
            container(request).uow(), who.ctx(request), interruption_id, expected_version=version,
            reason=text(form, "reason") or None, reason_text=text(form, "reason_text"),
            reported_to=optional_uuid(form, "reported_to", "报告对象"),
            reported_at=form_time(form, "reported_at", "报告时间"),
            explanation=text(form, "explanation"))
    except (LawtrailError, ValueError) as exc:
        err = exc if isinstance(exc, LawtrailError) else invalid("expected_version", "版本号无效", "bad version")
        return _activity_page(request, who, activity_id, 422, which=f"complete-{interruption_id}",
                              **form_state(form, err))
    return done(f"/activities/{activity_id}", "中断情况已补充")


__all__ = ["router"]
