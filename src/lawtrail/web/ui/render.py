"""Page rendering: one Jinja2 environment with the labels every page needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from lawtrail.domain.access import ROLE_LABELS, Permission, Role, has_permission
from lawtrail.domain.devices import DEVICE_STATUS_LABELS, DEVICE_TYPE_LABELS, LOG_KIND_LABELS
from lawtrail.domain.org import BUREAU_TZ, CERT_STATUS_LABELS, UNIT_KIND_LABELS, CertStatus, cert_status
from lawtrail.errors import LawtrailError
from lawtrail.services import approvals as approvals_svc
from lawtrail.services import org as org_svc
from lawtrail.web.auth import Principal

TEMPLATES = Path(__file__).parent.parent / "templates"
LOCAL_TZ = BUREAU_TZ

templates = Jinja2Templates(directory=str(TEMPLATES))


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in China Standard Time (the bureau's clock)."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def by_id(items: Iterable[Any], attribute: str = "name") -> dict[str, Any]:
    """``{str(item.id): item.<attribute>}`` in the items' order: the choices of a filter (``m.filter_select``)."""
    return {str(item.id): getattr(item, attribute) for item in items}


templates.env.filters["local"] = local_time
templates.env.globals.update(
    ROLE_LABELS={r.value: label for r, label in ROLE_LABELS.items()},
    UNIT_KIND_LABELS={k.value: label for k, label in UNIT_KIND_LABELS.items()},
    CERT_STATUS_LABELS={k.value: label for k, label in CERT_STATUS_LABELS.items()},
    DEVICE_TYPE_LABELS={k.value: label for k, label in DEVICE_TYPE_LABELS.items()},
    DEVICE_STATUS_LABELS={k.value: label for k, label in DEVICE_STATUS_LABELS.items()},
    LOG_KIND_LABELS={k.value: label for k, label in LOG_KIND_LABELS.items()},
    Permission=Permission,
    Role=Role,
    cert_status=cert_status,
    by_id=by_id,
    CertStatus=CertStatus,
)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with the logged-in principal (if any), its CSRF token and helpers."""
    principal = getattr(request.state, "principal", None)
    container = request.app.state.container
    now = container.clock.now()
    base: dict[str, Any] = {
        "principal": principal,
        "me": principal.user if principal else None,
        "csrf": principal.session.csrf_token if principal and principal.session else "",
        "can": (lambda perm: has_permission(principal.actor, perm)) if principal else (lambda perm: False),
        "today": now.astimezone(LOCAL_TZ).date(),
        "now": now,
        "demo": container.settings.demo,
        "path": request.url.path,
        "my_unit": _unit_name(request, principal),
        "approvals_waiting": _approvals_waiting(request, principal),
        # Empty form state, so a page shown without a failed form needs no guards.
        "values": {}, "value_lists": {}, "errors": {}, "error": None,
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def _unit_name(request: Request, principal: Principal | None) -> str:
    """The name of the logged-in person's unit, for the navigation ('' when unknown)."""
    if principal is None:
        return ""
    try:
        unit = org_svc.get_unit(request.app.state.container.uow(read_only=True), principal.ctx(request),
                                principal.user.unit_id)
    except LawtrailError:
        return ""
    return unit.name


def _approvals_waiting(request: Request, principal: Principal | None) -> int:
    """How many approvals wait for the person (the 待我审批 badge); 0 for those who give none."""
    if principal is None or not has_permission(principal.actor, Permission.APPROVAL_ACT):
        return 0
    return approvals_svc.waiting_count(request.app.state.container.uow(read_only=True), principal.ctx(request))


def error_page(request: Request, status: int, exc: LawtrailError) -> HTMLResponse:
    return page(request, "error.html", status=status, error=exc, status_code=status)


__all__ = ["UTC", "error_page", "local_time", "page"]
