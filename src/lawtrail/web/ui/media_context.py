"""What the media page shows beside the original (issue 4 items 7 and 9): its derived objects
(the preview played when a browser cannot play the original, the thumbnail), its findings, and
the on-site activity it was recorded at (with a link to the continuity timeline); and the
routes serving previews and thumbnails and making them on demand.

Permission checks live in the services (``derived``, ``findings``, ``prefill``).
"""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from lawtrail.bootstrap import Container
from lawtrail.domain.activities import Activity
from lawtrail.domain.derived import DERIVED_KIND_LABELS
from lawtrail.domain.findings import Finding
from lawtrail.domain.media_ticket import ticket_key
from lawtrail.domain.vault import MediaRecord
from lawtrail.errors import PermissionDenied
from lawtrail.services import derived as derived_svc
from lawtrail.services import findings as findings_svc
from lawtrail.services import prefill as prefill_svc
from lawtrail.services.context import Ctx
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ranges import serve
from lawtrail.web.ui.forms import checked_form, done

router = APIRouter(include_in_schema=False)
Who = Depends(ui_principal)


def media_findings(c: Container, ctx: Ctx, media_id: UUID) -> list[Finding]:
    """The open findings of one original (empty for who may not see findings)."""
    with contextlib.suppress(PermissionDenied):
        return findings_svc.evaluate(c.uow(), ctx, ctx.now, settings=c.rules, subject=("media", str(media_id)))
    return []


def media_activities(c: Container, ctx: Ctx, media: MediaRecord) -> list[Activity]:
    """The on-site activities the clip was recorded at (those the actor may see)."""
    uow = c.uow()
    with uow:
        return prefill_svc.activities_of(uow, ctx, media)


def page_context(c: Container, ctx: Ctx, media: MediaRecord, *, previewable: bool) -> dict[str, Any]:
    """Template variables for the media page: ``derived`` (its DerivedState), ``findings`` and
    ``activities``. ``previewable`` False (unknown format) leaves the derived objects out."""
    state = derived_svc.state(c.uow(), ctx, media.id) if previewable else None
    return {"derived": state, "findings": media_findings(c, ctx, media.id),
            "activities": media_activities(c, ctx, media), "DERIVED_KIND_LABELS": {
                k.value: v for k, v in DERIVED_KIND_LABELS.items()}}


@router.get("/media/{media_id}/preview")
def media_preview(request: Request, media_id: UUID, ticket: str = "", who: Principal = Who) -> Response:
    """The browser-playable preview, under the ticket of the page's recorded opening."""
    c = container(request)
    opened = derived_svc.open_preview(c.uow(), who.ctx(request), c.blobs, media_id, ticket,
                                      ticket_key=ticket_key(c.settings.secret_key))
    d = opened.derived
    return serve(request, size=d.size, etag=opened.etag, media_type=d.content_type,
                 filename=f"preview-{opened.media.original_name}", download=False,
                 open_range=lambda start, end: derived_svc.read_range(c.blobs, opened, start, end))


@router.get("/media/{media_id}/thumbnail")
def media_thumbnail(request: Request, media_id: UUID, who: Principal = Who) -> Response:
    """The thumbnail of an original (media:view)."""
    c = container(request)
    opened = derived_svc.open_thumbnail(c.uow(), who.ctx(request), media_id)
    d = opened.derived
    response = serve(request, size=d.size, etag=opened.etag, media_type=d.content_type,
                     filename=f"thumbnail-{opened.media.original_name}.jpg", download=False,
                     open_range=lambda start, end: derived_svc.read_range(c.blobs, opened, start, end))
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@router.post("/media/{media_id}/derived")
async def media_derive(request: Request, media_id: UUID, who: Principal = Who) -> Response:
    """Make the preview and thumbnail the original lacks, now (the background worker would);
    a failure (corrupt media) is shown on the error page with its reason."""
    await checked_form(request, who)
    c = container(request)
    made = await run_in_threadpool(derived_svc.derive, c.uow(), who.ctx(request), c.blobs, c.transcoder, media_id)
    labels = "、".join(DERIVED_KIND_LABELS[d.kind] for d in made) or "无需生成"
    return done(f"/media/{media_id}", f"已生成：{labels}（原始文件未改动）")
