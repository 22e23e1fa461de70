"""Pages of the evidence vault: the 音像资料 list and one original with its player, facts, Art. 42
registration form, registration history and 留痕 trail.

Rendering an original's page opens it (one recorded ``media:original:view``) and issues a ticket;
the player's range requests go to ``/media/{id}/content?ticket=…`` and are not recorded again
(docs/decisions/0010). Permission checks live in ``services.media``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from lawtrail.domain.access import Role
from lawtrail.domain.findings import STATUS_LABELS
from lawtrail.domain.media import MediaType
from lawtrail.domain.media_ticket import ticket_key
from lawtrail.domain.org import User
from lawtrail.domain.rules import RULES
from lawtrail.domain.vault import CATEGORY_LABELS, ITEM_LABELS, EnforcementCategory, Registration, missing_items
from lawtrail.errors import LawtrailError, PermissionDenied, invalid
from lawtrail.services import derived as derived_svc
from lawtrail.services import devices as dev_svc
from lawtrail.services import media as media_svc
from lawtrail.services import media_findings
from lawtrail.services import org as org_svc
from lawtrail.services import prefill as prefill_svc
from lawtrail.services import users as user_svc
from lawtrail.services.prefill import SuggestionSource
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ranges import serve
from lawtrail.web.ui import media_context as media_ctx
from lawtrail.web.ui.forms import checked_form, done, form_state, optional_uuid, text
from lawtrail.web.ui.render import LOCAL_TZ, page, templates
from lawtrail.web.ui.trail import FRAGMENT_SIZE, _names, rows

router = APIRouter(include_in_schema=False)
Who = Depends(ui_principal)

PER_PAGE = 25
TEXT_FILTERS = ("device", "party", "case")
FILTERS = ("unit", "category", "device", "officer", "from", "to", "party", "case", "type", "incomplete", "rule",
           "fstatus")
MEDIA_TYPE_LABELS = {MediaType.VIDEO.value: "视频", MediaType.AUDIO.value: "录音", MediaType.PHOTO.value: "照片",
                     MediaType.UNKNOWN.value: "无法识别"}
LABELS = {"CATEGORY_LABELS": {k.value: v for k, v in CATEGORY_LABELS.items()},
          "MEDIA_TYPE_LABELS": MEDIA_TYPE_LABELS,
          "ITEM_LABELS": {k.value: v for k, v in ITEM_LABELS.items()},
          "FINDING_STATUS_LABELS": {s.value: label for s, label in STATUS_LABELS.items()}}


def _key(request: Request) -> bytes:
    return ticket_key(container(request).settings.secret_key)


def _day(raw: str, name: str, *, end: bool) -> datetime | None:
    """A YYYY-MM-DD filter as the start (or end) of that day in the bureau's time zone."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise invalid(name, "日期格式应为 YYYY-MM-DD", f"{name} must be a date YYYY-MM-DD") from None
    moment = datetime.combine(day, time.min, LOCAL_TZ)
    return moment + timedelta(days=1) - timedelta(microseconds=1) if end else moment


def _local_moment(form: FormData, name: str, label: str) -> datetime | None:
    """A ``datetime-local`` field, read in the bureau's time zone (China Standard Time)."""
    raw = text(form, name).strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid(name, f"{label}格式应为 年-月-日 时:分", f"{name} must be a date and time") from None
    return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value


def _uuid(raw: str, name: str) -> UUID | None:
    try:
        return UUID(raw) if raw else None
    except ValueError:
        raise invalid(name, "选择无效", f"{name} is not a valid id") from None


def duration(seconds: float | None) -> str:
    """``1:02:03`` / ``2:03`` for a duration in seconds; ``—`` when unknown."""
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


templates.env.filters["duration"] = duration
FORM_TIME = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class Prefill:
    """One field of the registration form: its value and, when suggested, where it came from."""

    value: str
    note: str = ""


def _shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime(FORM_TIME)
    return str(value)


def _note(source: SuggestionSource | None) -> str:
    """Where a suggested value came from, in words for the archivist."""
    if source is None:
        return "建议值（来自本文件和设备记录），请核对"
    if source.via == "activity":
        return f"建议值：来自现场执法活动“{source.name}”，请核对"
    if source.via == "case":
        return f"建议值：来自承办案件 {source.name}，请核对"
    near = "同一设备" if source.via == "device" else "同一执法人员"
    return f"建议值：来自{near}相隔 {duration(source.seconds_apart)} 的“{source.name}”，请核对"


def prefill(current: Registration | None, suggestion: prefill_svc.Suggestion | None, *,
            picked: UUID | None = None) -> dict[str, Prefill]:
    """The form's starting values: the current version's items; an item it leaves empty is taken
    from the suggestion, with a note saying where from (the archivist confirms instead of
    typing). The items of the candidate the archivist ``picked`` (its id) replace the current ones."""
    out: dict[str, Prefill] = {}
    for name in ("unit_name", "category", "device_number", "officer_id", "used_from", "used_to", "party",
                 "case_name"):
        have = _shown(getattr(current, name)) if current else ""
        offered = _shown(getattr(suggestion, name)) if suggestion else ""
        source = suggestion.sources.get(name) if suggestion else None
        chosen = picked is not None and source is not None and source.subject_id == picked
        if not offered or (have and not chosen) or have == offered:
            out[name] = Prefill(have)
            continue
        out[name] = Prefill(offered, _note(source))
    return out


def history(versions: list[Registration]) -> list[tuple[Registration, set[str]]]:
    """Newest version first, each with the items it changed against the one before it."""
    out: list[tuple[Registration, set[str]]] = []
    previous: Registration | None = None
    for reg in versions:
        changed: set[str] = set()
        if previous is not None:
            pairs = {"unit_name": ("unit_name",), "category": ("category",), "device_number": ("device_number",),
                     "officer": ("officer_id", "officer_name"), "time_of_use": ("used_from", "used_to"),
                     "party": ("party",), "case_name": ("case_name",)}
            changed = {item for item, names in pairs.items()
                       if any(getattr(reg, n) != getattr(previous, n) for n in names)}
        out.append((reg, changed))
        previous = reg
    return list(reversed(out))


def _people(request: Request, who: Principal) -> list[User]:
    with contextlib.suppress(LawtrailError):  # someone who may not list people still sees the page
        return user_svc.list_users(container(request).uow(), who.ctx(request))
    return []


# ---- the list -------------------------------------------------------------------------------


@router.get("/media", response_class=HTMLResponse)
def media_list(request: Request, who: Principal = Who) -> Response:
    q = {key: request.query_params.get(key, "").strip() for key in FILTERS}
    c, ctx = container(request), who.ctx(request)
    page_no = int(q_page) if (q_page := request.query_params.get("page", "1")).isdigit() else 1
    error, found, listing = None, None, None
    try:
        listing = media_findings.list_with_findings(
            c.uow(), ctx, rules=c.rules, rule=q["rule"] or None, status=q["fstatus"] or None,
            unit_id=_uuid(q["unit"], "unit"), category=q["category"] or None,
            device_number=q["device"], officer_id=_uuid(q["officer"], "officer"),
            used_from=_day(q["from"], "from", end=False), used_to=_day(q["to"], "to", end=True),
            party=q["party"], case_name=q["case"], media_type=q["type"] or None,
            incomplete=True if q["incomplete"] == "1" else None, page=max(1, page_no), per_page=PER_PAGE)
        found = listing.page
    except PermissionDenied:
        raise
    except LawtrailError as exc:
        error = exc
    units = org_svc.list_units(c.uow(), ctx)
    officers = [u for u in _people(request, who) if Role.OFFICER in u.roles]
    kept = {k: v for k, v in q.items() if v}
    thumbs = derived_svc.thumbnails(c.uow(), [r.media.id for r in found.rows]) if found else {}
    return page(request, "media.html", status=422 if error else 200, found=found, filters=q, error=error,
                units=units, officers=officers, categories=list(EnforcementCategory),
                media_types=list(MediaType), query=urlencode(kept), missing_items=missing_items,
                filtered=bool(kept), row_findings=listing.findings if listing else {}, thumbs=thumbs,
                RULES=RULES, **LABELS)


# ---- one original ---------------------------------------------------------------------------


def _media_page(request: Request, who: Principal, media_id: UUID, status: int = 200, **ctx: object) -> Response:
    c, sctx = container(request), who.ctx(request)
    detail = media_svc.get_media(c.uow(), sctx, media_id)
    original = None
    if detail.media.media_type is not MediaType.UNKNOWN:
        original = media_svc.open_original(c.uow(), sctx, c.blobs, media_id, purpose="view", ticket_key=_key(request))
    suggestion, picked, use = None, None, ""
    with contextlib.suppress(PermissionDenied):  # a viewer without media:register sees no form
        suggestion = prefill_svc.suggest_registration(c.uow(), sctx, media_id)
        use = request.query_params.get("use", "")
        with contextlib.suppress(ValueError):
            picked = prefill_svc.with_candidate(suggestion, UUID(use)) if use else None
    context = media_ctx.page_context(c, sctx, detail.media, previewable=original is not None)
    devices: list[str] = []
    with contextlib.suppress(LawtrailError):
        devices = [d.number for d in dev_svc.list_devices(c.uow(), sctx)]
    units = [u.name for u in org_svc.list_units(c.uow(), sctx)]
    officers = [u for u in _people(request, who) if Role.OFFICER in u.roles and u.active]
    return page(request, "media_detail.html", status=status, detail=detail, media=detail.media,
                current=detail.current, original=original, suggestion=suggestion, device_numbers=devices,
                unit_names=units, officers=officers, categories=list(EnforcementCategory),
                missing=missing_items(detail.current), history=history(detail.registrations),
                prefill=prefill(detail.current, picked or suggestion, picked=UUID(use) if picked else None),
                case_link=_case_link(detail.current, picked or suggestion, picked is not None), picked=picked,
                **context, **LABELS, **ctx)


def _case_link(current: Registration | None, suggestion: prefill_svc.Suggestion | None, picked: bool
               ) -> prefill_svc.Candidate | None:
    """The case candidate that saving the form links the original to: the one the prefilled case
    name came from, when the form shows it (not when the current registration already names
    another case name, unless the archivist picked the case)."""
    if suggestion is None or suggestion.case_id is None:
        return None
    if not picked and current is not None and current.case_name.strip() and current.case_name != suggestion.case_name:
        return None
    return next((c for c in suggestion.candidates if c.case_id == suggestion.case_id), None)


@router.get("/media/{media_id}", response_class=HTMLResponse)
def media_detail(request: Request, media_id: UUID, who: Principal = Who) -> Response:
    return _media_page(request, who, media_id)


@router.get("/media/{media_id}/content")
def media_content(request: Request, media_id: UUID, ticket: str = "", who: Principal = Who) -> Response:
    """The original's bytes for the player or a download, under the ticket of a recorded opening."""
    c = container(request)
    original = media_svc.ticketed_original(c.uow(), who.ctx(request), c.blobs, media_id, ticket,
                                           ticket_key=_key(request))
    return serve(request, size=original.size, etag=original.etag, media_type=original.content_type,
                 filename=original.media.original_name, download=original.purpose == "download",
                 open_range=lambda start, end: media_svc.read_range(c.blobs, original, start, end))


@router.post("/media/{media_id}/download")
async def media_download(request: Request, media_id: UUID, who: Principal = Who) -> Response:
    """Record one download, then hand the browser the ticketed content URL."""
    await checked_form(request, who)
    c = container(request)
    original = media_svc.open_original(c.uow(), who.ctx(request), c.blobs, media_id, purpose="download",
                                       ticket_key=_key(request))
    return RedirectResponse(f"/media/{media_id}/content?{urlencode({'ticket': original.ticket or ''})}",
                            status_code=303)


@router.post("/media/{media_id}/registration")
async def media_register(request: Request, media_id: UUID, who: Principal = Who) -> Response:
    form = await checked_form(request, who)
    base = text(form, "base_version")
    try:
        media_svc.correct_registration(
            container(request).uow(), who.ctx(request), media_id, unit_name=text(form, "unit_name"),
            category=text(form, "category"), device_number=text(form, "device_number"),
            officer_id=optional_uuid(form, "officer_id", "执法人员"),
            used_from=_local_moment(form, "used_from", "使用开始时间"),
            used_to=_local_moment(form, "used_to", "使用结束时间"), party=text(form, "party"),
            case_name=text(form, "case_name"), reason=text(form, "reason"),
            base_version=int(base) if base.isdigit() else None,
            case_id=optional_uuid(form, "case_id", "案件"))
    except LawtrailError as exc:
        return _media_page(request, who, media_id, 422, **form_state(form, exc))
    return done(f"/media/{media_id}", "登记信息已更正（新版本已保存）")


@router.get("/media/{media_id}/trail", response_class=HTMLResponse)
def media_trail(request: Request, media_id: UUID, who: Principal = Who) -> Response:
    """The 留痕 of one original, for the bottom of its page (htmx)."""
    try:
        events = media_svc.media_trail(container(request).uow(), who.ctx(request), media_id, limit=FRAGMENT_SIZE)
    except PermissionDenied:
        return page(request, "_trail_fragment.html", rows=[], denied=True, subject_type="media",
                    subject_id=media_id, more=False)
    return page(request, "_trail_fragment.html", rows=rows(events, _names(request, who)), denied=False,
                subject_type="media", subject_id=media_id, more=len(events) == FRAGMENT_SIZE)


__all__ = ["LABELS", "router"]
