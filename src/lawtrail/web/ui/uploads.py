"""The upload page (上传音像): choose the device (and officer), pick or drop files; the browser
sends each file in chunks over the resumable upload API (``/api/v1/uploads``, decision 0011)
with ``/static/uploads.js``. The page itself only lists what may be chosen."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from lawtrail.domain.access import Role
from lawtrail.errors import LawtrailError
from lawtrail.services import uploads as up_svc
from lawtrail.services import users as user_svc
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.render import page

router = APIRouter()
Who = Depends(ui_principal)
#: Bytes per PATCH sent by the browser: big enough for speed, small enough to resume cheaply.
CHUNK_BYTES = 8 * 1024 * 1024


@router.get("/media/upload", response_class=HTMLResponse)
def upload_page(request: Request, who: Principal = Who) -> Response:
    c = container(request)
    ctx = who.ctx(request)
    devices = up_svc.devices_for_upload(c.uow(), ctx)
    try:
        people = user_svc.list_users(c.uow(), ctx)
    except LawtrailError:
        people = []
    officers = sorted((u for u in people if u.active and Role.OFFICER in u.roles), key=lambda u: u.display_name)
    # Preselect what the person holds, a body camera first (the usual hand-in).
    held = sorted((d for d in devices if d.holder_id == who.user.id),
                  key=lambda d: (d.type.value != "body_camera", d.number))
    mine = held[0] if held else None
    return page(request, "uploads.html", devices=devices, officers=officers, chosen_device=mine,
                chunk_bytes=CHUNK_BYTES, max_bytes=c.settings.upload_max_bytes)
