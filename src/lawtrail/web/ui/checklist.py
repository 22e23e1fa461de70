"""The 阶段清单 of the case page (``_case_checklist.html``): the service builds it; this module turns
each item's ``Act`` into a link, and says who may follow it (the permission checks of the acts
themselves live in the services they lead to)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request

from lawtrail.domain.access import Permission
from lawtrail.domain.checklist import ITEM_STATE_LABELS, STAGE_STATUS_LABELS, Act, ActKind
from lawtrail.domain.findings import STATUS_LABELS
from lawtrail.errors import LawtrailError
from lawtrail.services import checklist as svc
from lawtrail.web.auth import Principal, container
from lawtrail.web.ui.render import templates

#: Who may follow each kind of act (None: whoever sees the case page).
ACT_PERMISSIONS: dict[ActKind, Permission | None] = {
    ActKind.NEW_RECORD: Permission.RECORD_MANAGE, ActKind.CORRECT_RECORD: Permission.RECORD_MANAGE,
    ActKind.OPEN_RECORD: None, ActKind.APPROVAL: None, ActKind.SUBMIT_APPROVAL: Permission.CASE_MANAGE,
    ActKind.UPLOAD_MEDIA: Permission.MEDIA_INGEST, ActKind.ADVANCE: Permission.CASE_MANAGE,
    ActKind.EXPORT: Permission.ARCHIVE_MANAGE,
}


def act_href(case_id: UUID, act: Act) -> str:
    """Where an act leads: a page, or an anchor of the case page (its approval panel, stage bar)."""
    k, target = act.kind, act.target
    if k is ActKind.NEW_RECORD:
        stage = f"&stage={act.stage.value}" if act.stage is not None else ""
        return f"/cases/{case_id}/records/new?kind={target}{stage}"
    if k is ActKind.OPEN_RECORD:
        return f"/records/{target}"
    if k is ActKind.CORRECT_RECORD:
        return f"/records/{target}/correct"
    if k is ActKind.APPROVAL:
        return f"#approval-{target}"
    if k is ActKind.SUBMIT_APPROVAL:
        return f"#submit-{target}"
    if k is ActKind.UPLOAD_MEDIA:
        return "/media/upload"
    if k is ActKind.EXPORT:
        return "#casefile-export"
    return "#stage-actions"


templates.env.globals.update(
    act_href=act_href,
    ACT_PERMISSIONS={k.value: p for k, p in ACT_PERMISSIONS.items()},
    ITEM_STATE_LABELS={k.value: v for k, v in ITEM_STATE_LABELS.items()},
    STAGE_STATUS_LABELS={k.value: v for k, v in STAGE_STATUS_LABELS.items()},
    CHECKLIST_FINDING_LABELS={k.value: v for k, v in STATUS_LABELS.items()},
)


def checklist_context(request: Request, who: Principal, case_id: UUID) -> dict[str, Any]:
    """What the case page's checklist needs (None when the actor may not see the case's records)."""
    c = container(request)
    try:
        found = svc.case_checklist(c.uow(), who.ctx(request), c.catalogue, case_id, now=c.clock.now(),
                                   settings=c.rules)
    except LawtrailError:
        return {"checklist": None}
    return {"checklist": found}
