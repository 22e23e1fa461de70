"""Translate domain errors once: problem+json for the API, a page for the UI (DESIGN.md rule 5)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from lawtrail import errors as e
from lawtrail.web.auth import TOTP_ENROLMENT_REQUIRED

log = logging.getLogger("lawtrail.web")

STATUS: dict[type[e.LawtrailError], int] = {
    e.ValidationFailed: 422,
    e.NotFound: 404,
    e.Conflict: 409,
    e.Unauthenticated: 401,
    e.PermissionDenied: 403,
    e.TooManyAttempts: 429,
    e.PayloadTooLarge: 413,
    e.StorageFull: 507,
    e.InvalidTransition: 409,
    e.RuleViolation: 422,
    e.IntegrityError: 500,
    e.ConfigurationError: 500,
}

TITLES = {400: "请求无效", 401: "未登录", 403: "无权访问", 404: "未找到", 405: "方法不允许",
          409: "冲突", 412: "协议版本不符", 415: "内容类型不符",
          413: "请求过大", 507: "存储空间不足", 422: "输入有误", 429: "尝试过于频繁", 500: "服务器错误"}


#: Codes whose HTTP status the tus protocol fixes (decision 0011), over the class's status.
CODE_STATUS: dict[str, int] = {"upload.tus_version": 412, "upload.bad_content_type": 415,
                               "upload.bad_request": 400}


def status_for(exc: e.LawtrailError) -> int:
    if exc.code in CODE_STATUS:
        return CODE_STATUS[exc.code]
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(status: int, body: dict[str, Any], request: Request) -> JSONResponse:
    data = {"type": "about:blank", "title": TITLES.get(status, "错误"), "status": status, **body,
            "instance": request.url.path}
    if rid := getattr(request.state, "request_id", None):
        data["request_id"] = rid
    return JSONResponse(data, status_code=status, media_type="application/problem+json")


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.LawtrailError)
    status = status_for(exc)
    if is_api(request):
        return problem(status, exc.as_dict(), request)
    if exc.code == TOTP_ENROLMENT_REQUIRED:
        return RedirectResponse("/me?enrol=1", status_code=303)
    if status == 401:
        target = request.url.path if request.method == "GET" else "/"
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        login = f"/login?{urlencode({'next': target, 'reason': exc.code})}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": login})
        return RedirectResponse(login, status_code=303)
    from lawtrail.web.ui.render import error_page

    return error_page(request, status, exc)


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        problems.append(e.FieldProblem(loc or "request", f"{loc}：{err.get('msg')}", f"{loc}: {err.get('msg')}"))
    first = problems[0] if problems else e.FieldProblem("request", "请求无效", "invalid request")
    err = e.ValidationFailed(f"输入有误：{first.message_zh}", f"Invalid input: {first.message_en}",
                             code="validation_failed", problems=problems)
    return await on_domain_error(request, err)


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    zh = TITLES.get(exc.status_code, "错误")
    err = e.LawtrailError(zh, str(exc.detail), code=f"http_{exc.status_code}")
    if is_api(request):
        return problem(exc.status_code, err.as_dict(), request)
    from lawtrail.web.ui.render import error_page

    return error_page(request, exc.status_code, err)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path)
    err = e.LawtrailError("服务器内部错误，请联系管理员", "internal server error", code="internal")
    if is_api(request):
        return problem(500, err.as_dict(), request)
    from lawtrail.web.ui.render import error_page

    return error_page(request, 500, err)
