"""Helpers shared by the page handlers: forms, CSRF, redirects, inline errors."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from lawtrail.errors import FieldProblem, LawtrailError, ValidationFailed, invalid
from lawtrail.web.auth import Principal, check_csrf


async def checked_form(request: Request, who: Principal) -> FormData:
    """The posted form, after its CSRF token was checked against the session."""
    form = await request.form()
    token = form.get("csrf")
    check_csrf(request, who, token if isinstance(token, str) else None)
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def optional_date(form: FormData, name: str, label: str) -> date | None:
    raw = text(form, name).strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise invalid(name, f"{label}日期格式应为 YYYY-MM-DD", f"{name} must be a date YYYY-MM-DD") from None


def optional_uuid(form: FormData, name: str, label: str) -> UUID | None:
    """The id chosen in a select (None when empty); a tampered value is a field problem, not a 500."""
    raw = text(form, name).strip()
    if not raw:
        return None
    try:
        return UUID(raw)
    except ValueError:
        raise invalid(name, f"{label}选择无效", f"{name} is not a valid id") from None


def field_errors(exc: LawtrailError) -> dict[str, FieldProblem]:
    """Problems keyed by field for inline display (first problem per field)."""
    out: dict[str, FieldProblem] = {}
    for p in exc.problems:
        out.setdefault(p.field, p)
    return out


def done(url: str, message: str) -> RedirectResponse:
    """Redirect after a successful POST, carrying a short success message to show."""
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}ok={quote(message)}", status_code=303)


def form_state(form: FormData | None, exc: LawtrailError | None) -> dict[str, Any]:
    """Template context for re-showing a form with what was typed and what was wrong."""
    values = {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrf"} if form else {}
    # Checkbox groups (roles) post one value per ticked box: keep them all to re-tick them.
    lists: dict[str, list[str]] = {}
    for k, v in form.multi_items() if form else ():
        if isinstance(v, str) and k != "csrf":
            lists.setdefault(k, []).append(v)
    return {"values": values, "value_lists": lists, "error": exc, "errors": field_errors(exc) if exc else {}}


__all__ = ["ValidationFailed", "checked_form", "done", "field_errors", "form_state", "optional_date",
           "optional_uuid", "text"]
