"""Resumable uploads of originals over HTTP: tus 1.0 core + creation + termination (decision 0011).

``POST /api/v1/uploads`` creates (``Upload-Length``, ``Upload-Metadata``), ``HEAD`` gives the
offset, ``PATCH`` appends (``Upload-Offset``, ``application/offset+octet-stream``; the body is
read with ``request.stream()``, never buffered whole), ``DELETE`` terminates, ``OPTIONS``
describes the server. The PATCH that brings the last byte finalises the upload; its outcome is
in the ``Lawtrail-*`` response headers and in ``GET /api/v1/uploads/{id}`` (JSON).
Every response of these routes, errors included, carries ``Tus-Resumable: 1.0.0``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from lawtrail.domain.uploads import TUS_EXTENSIONS, TUS_VERSION, check_version
from lawtrail.errors import LawtrailError
from lawtrail.services import uploads as up_svc
from lawtrail.services.ports import UploadAppender
from lawtrail.services.vault import IngestResult
from lawtrail.web import errors as handlers
from lawtrail.web.auth import Principal, api_principal, container

#: Bytes gathered from the request stream before one write+hash in a worker thread.
BLOCK = 4 * 1024 * 1024
UPLOADS = "/api/v1/uploads"


class TusRoute(APIRoute):
    """A route whose every answer, an error too, says ``Tus-Resumable: 1.0.0``. Errors are
    still translated by the one handler (``web.errors``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await inner(request)
            except LawtrailError as exc:
                response = await handlers.on_domain_error(request, exc)
            response.headers["Tus-Resumable"] = TUS_VERSION
            return response

        return handler


router = APIRouter(prefix="/api/v1", route_class=TusRoute, tags=["uploads"])
Who = Annotated[Principal, Depends(api_principal)]


def _result_headers(result: IngestResult | None) -> dict[str, str]:
    if result is None:
        return {}
    headers: dict[str, str] = {"Lawtrail-Status": str(result.status)}
    if result.media_id:
        headers["Lawtrail-Media-Id"] = str(result.media_id)
    if result.sha256:
        headers["Lawtrail-Sha256"] = result.sha256
    return headers


def _content_length(request: Request) -> int | None:
    raw = request.headers.get("content-length", "")
    return int(raw) if raw.isdigit() else None


@router.options("/uploads", status_code=204)
def upload_options(request: Request, who: Who) -> Response:
    up_svc.allowed(who.ctx(request))
    return Response(status_code=204, headers={
        "Tus-Version": TUS_VERSION, "Tus-Extension": ",".join(TUS_EXTENSIONS),
        "Tus-Max-Size": str(container(request).settings.upload_max_bytes)})


@router.get("/uploads/devices/{number}")
def upload_device(request: Request, who: Who, number: str) -> dict[str, Any]:
    """The device, if the caller may hand in its footage (a client checks this before sending)."""
    device = up_svc.check_device(container(request).uow(), who.ctx(request), number)
    return {"id": str(device.id), "number": device.number, "unit_id": str(device.unit_id)}


@router.post("/uploads", status_code=201)
def create_upload(request: Request, who: Who) -> Response:
    check_version(request.headers.get("tus-resumable"))
    c = container(request)
    info = up_svc.create_upload(c.uow(), who.ctx(request), c.uploads, length=request.headers.get("upload-length"),
                                metadata=request.headers.get("upload-metadata"),
                                max_bytes=c.settings.upload_max_bytes)
    return Response(status_code=201, headers={"Location": f"{UPLOADS}/{info.id}", "Upload-Offset": "0"})


@router.head("/uploads/{upload_id}")
def upload_head(request: Request, who: Who, upload_id: str) -> Response:
    check_version(request.headers.get("tus-resumable"))
    info = up_svc.upload_status(who.ctx(request), container(request).uploads, upload_id)
    return Response(status_code=200, headers={
        "Upload-Offset": str(info.offset), "Upload-Length": str(info.length), "Cache-Control": "no-store",
        **_result_headers(info.result)})


@router.get("/uploads/{upload_id}")
def upload_get(request: Request, who: Who, upload_id: str) -> dict[str, Any]:
    info = up_svc.upload_status(who.ctx(request), container(request).uploads, upload_id)
    return {"id": info.id, "length": info.length, "offset": info.offset, "complete": info.complete,
            "filename": info.meta.filename, "device": info.meta.device, "created_by": info.created_by,
            "result": info.result.to_json() if info.result else None}


async def _pump(request: Request, appender: UploadAppender) -> None:
    """Copy the request body into ``appender`` in BLOCK-sized writes, each in a worker thread
    while the next block is received; keep what arrived if the client goes away."""
    buf = bytearray()
    pending: asyncio.Future[None] | None = None
    try:
        async for chunk in request.stream():
            buf += chunk
            if len(buf) >= BLOCK:
                if pending is not None:
                    await pending
                block, buf = bytes(buf), bytearray()
                pending = asyncio.ensure_future(run_in_threadpool(appender.write, block))
    except ClientDisconnect:
        pass  # a cut connection: what arrived is kept and acknowledged by the next HEAD
    finally:
        if pending is not None:
            await pending
    if buf:
        await run_in_threadpool(appender.write, bytes(buf))


@router.patch("/uploads/{upload_id}", status_code=204)
async def upload_patch(request: Request, who: Who, upload_id: str) -> Response:
    check_version(request.headers.get("tus-resumable"))
    c = container(request)
    ctx = who.ctx(request)
    info, appender = await run_in_threadpool(
        up_svc.begin_append, ctx, c.uploads, upload_id, offset=request.headers.get("upload-offset"),
        content_type=request.headers.get("content-type"), content_length=_content_length(request))
    try:
        await _pump(request, appender)
    finally:
        offset = await run_in_threadpool(appender.close)
    result = info.result
    if offset == info.length and result is None:
        result = await run_in_threadpool(up_svc.finalise, c.uow(), ctx, c.uploads, c.blobs, c.probe, upload_id)
    return Response(status_code=204, headers={"Upload-Offset": str(offset), **_result_headers(result)})


@router.delete("/uploads/{upload_id}", status_code=204)
def upload_delete(request: Request, who: Who, upload_id: str) -> Response:
    check_version(request.headers.get("tus-resumable"))
    up_svc.terminate(who.ctx(request), container(request).uploads, upload_id)
    return Response(status_code=204)

