"""The 账本 page: the latest signed checkpoint, the public key, the last verification and its
result; for ledger:verify, buttons that verify now and sign a checkpoint now; for everyone
who may see the page, an inclusion proof of any event as a JSON download.

Permission checks live in ``services.ledger``; the verification runs synchronously (htmx
shows a spinner meanwhile and swaps the result in; without htmx the page redirects).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from lawtrail.domain.events import Event
from lawtrail.errors import LawtrailError, invalid
from lawtrail.services import ledger as ledger_svc
from lawtrail.web import ledger_runtime as rt
from lawtrail.web.auth import Principal, container, ui_principal
from lawtrail.web.ui.forms import checked_form, done, form_state
from lawtrail.web.ui.render import page

router = APIRouter()
Who = Depends(ui_principal)

PROBLEM_LABELS = {
    "changed": "记录被修改", "missing": "记录缺失", "inserted": "记录被插入", "reordered": "记录顺序被调换",
    "checkpoint_forged": "检查点签名伪造或无效", "rolled_back": "检查点被回退",
}


def verification_view(event: Event | None) -> dict[str, Any] | None:
    """The last verification as the template shows it: when, who, ok, the first problem."""
    if event is None:
        return None
    result = event.after or {}
    problem = result.get("problem") if isinstance(result.get("problem"), dict) else None
    return {"at": event.occurred_at, "by": event.actor_name, "ok": bool(result.get("ok")),
            "size": result.get("size"), "checkpoints": result.get("checkpoints"), "problem": problem,
            "problem_label": PROBLEM_LABELS.get(str(problem.get("kind")), "") if problem else ""}


def _ledger_page(request: Request, who: Principal, status: int = 200, **ctx: object) -> Response:
    c, cctx = container(request), who.ctx(request)
    latest = ledger_svc.latest_checkpoint(rt.uow(c), cctx)
    checkpoints = ledger_svc.list_checkpoints(rt.uow(c), cctx)
    return page(request, "ledger.html", status=status, latest=latest,
                recent=list(reversed(checkpoints[-10:])), checkpoint_count=len(checkpoints),
                vkey=ledger_svc.public_key(cctx, rt.signer(c)), origin=c.settings.ledger_origin,
                last=verification_view(ledger_svc.last_verification(rt.uow(c), cctx)),
                problem_labels=PROBLEM_LABELS, **ctx)


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, who: Principal = Who) -> Response:
    return _ledger_page(request, who)


@router.post("/ledger/verify")
async def ledger_verify(request: Request, who: Principal = Who) -> Response:
    """Verify the whole ledger now; an htmx request gets the result card, a plain form a redirect."""
    await checked_form(request, who)
    c, cctx = container(request), who.ctx(request)
    result = ledger_svc.run_verification(rt.uow(c), cctx, rt.checker(c), c.settings.ledger_origin)
    if request.headers.get("hx-request") == "true":
        last = verification_view(ledger_svc.last_verification(rt.uow(c), cctx))
        return page(request, "_ledger_verification.html", last=last, fresh=True)
    return done("/ledger", "核验通过：账本完整" if result.ok else "核验未通过：发现问题，详见下方")


@router.post("/ledger/checkpoint")
async def ledger_checkpoint(request: Request, who: Principal = Who) -> Response:
    await checked_form(request, who)
    c = container(request)
    cp = ledger_svc.create_checkpoint(rt.uow(c), who.ctx(request), rt.signer(c), c.settings.ledger_origin,
                                      timestamper=c.timestamper)
    return done("/ledger", f"已签发检查点：树大小 {cp.size}")


def _index(raw: str | None, name: str, label: str, *, required: bool) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise invalid(name, f"请填写{label}", f"{name} is required")
        return None
    if not raw.isdigit():
        raise invalid(name, f"{label}应为非负整数", f"{name} must be a non-negative integer")
    return int(raw)


@router.get("/ledger/proof")
def ledger_proof(request: Request, who: Principal = Who) -> Response:
    """The inclusion proof of one event as a JSON attachment (``index``, optional ``size``)."""
    q = request.query_params
    try:
        index = _index(q.get("index"), "index", "记录序号", required=True)
        size = _index(q.get("size"), "size", "树大小", required=False)
        assert index is not None
        proof = ledger_svc.inclusion_proof(rt.uow(container(request)), who.ctx(request), index, size)
    except LawtrailError as exc:
        state = form_state(None, exc)
        state["values"] = {"index": q.get("index", ""), "size": q.get("size", "")}
        if not exc.problems:  # a leaf or size that does not exist: show it at the index field
            state["errors"], state["error"] = {"index": exc}, None
        return _ledger_page(request, who, 422, proof_form=True, **state)
    body = json.dumps(proof.to_json(), indent=2) + "\n"
    name = f"inclusion-proof-{proof.leaf_index}-of-{proof.tree_size}.json"
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
