"""Use cases of disposal (销毁) after retention (Art. 43, 44; docs/decisions/0021).

Two people, always: an archivist proposes (``archive:manage``), a leader other than the proposer
approves or rejects (``archive:approve``). Every original is checked again at each step — a
hold placed or an evidence mark made meanwhile stops it — and a refusal writes nothing.

Carrying out an approved disposal deletes the bytes (``BlobStore.dispose``) and then, in one
transaction, records the ``archive:disposal:execute`` event and the disposal certificate: a JSON
document listing every digest with the ledger index of that event, signed with the ledger's
Ed25519 key. The media rows, their digests and every ledger entry stay. When the object store
still holds an Object Lock the deletion is refused (``vault.retention_locked``): the disposal
stays approved and is carried out again once the lock ends.
"""

from __future__ import annotations

import base64
import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from lawtrail.domain.access import Permission
from lawtrail.domain.archive import (
    DecisionKind,
    Disposal,
    DisposalDecision,
    DisposalItem,
    check_decision,
    disposal_refusals,
    effective_retention,
    refusal_error,
)
from lawtrail.domain.events import Action, format_time
from lawtrail.domain.evidence import RetentionPolicy
from lawtrail.domain.ledger.canonical import canonical_json
from lawtrail.domain.ledger.checkpoint import format_vkey
from lawtrail.domain.org import Problems, clean_text
from lawtrail.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import BlobStore, Signer, UnitOfWork
from lawtrail.services.retention import bureau_items, bureau_of
from lawtrail.services.trail import record

CERTIFICATE_TYPE = "lawtrail/disposal-certificate"
MAX_ITEMS = 1000


def _text(value: str, field: str, label: str, required: bool = True) -> str:
    problems = Problems()
    text = clean_text(value, field, label, problems, max_len=1000, required=required)
    problems.raise_if_any()
    return text


def _check_items(uow: UnitOfWork, ctx: Ctx, policy: RetentionPolicy, media_ids: Sequence[UUID]
                 ) -> list[DisposalItem]:
    """The items for ``media_ids`` if every one may be disposed of now; raise NotFound or the
    RuleViolation of the first refused original (inside ``with uow``)."""
    bureau_id = bureau_of(ctx)
    found = {f.media.id: f for f in bureau_items(uow, bureau_id, ctx.now, set(media_ids))}
    items = []
    for media_id in dict.fromkeys(media_ids):
        facts = found.get(media_id)
        if facts is None:
            raise NotFound("原始文件不存在", f"no such original {media_id}", code="media.not_found")
        refusals = disposal_refusals(facts, policy, ctx.now)
        if refusals:
            raise refusal_error(f"{facts.media.original_name}（{facts.media.sha256[:12]}）", refusals)
        kept = effective_retention(facts, policy)
        items.append(DisposalItem(media_id=media_id, sha256=facts.media.sha256, size=facts.media.size,
                                  name=facts.media.original_name, retention=kept.retention, retain_until=kept.until))
    return items


def _load(uow: UnitOfWork, ctx: Ctx, disposal_id: UUID) -> Disposal:
    disposal = uow.archive.disposal(disposal_id)
    if disposal is None or disposal.bureau_id != ctx.actor.bureau_id:
        raise NotFound("销毁申请不存在", "no such disposal", code="archive.disposal_not_found")
    return disposal


def _items_json(items: Sequence[DisposalItem]) -> list[dict[str, Any]]:
    return [{"media_id": str(i.media_id), "name": i.name, "sha256": i.sha256, "size": i.size,
             "retention": i.retention.value, "retain_until": format_time(i.retain_until) if i.retain_until else None}
            for i in items]


def propose_disposal(uow: UnitOfWork, ctx: Ctx, *, policy: RetentionPolicy, media_ids: Sequence[UUID],
                     reason: str) -> Disposal:
    """Propose disposing of ``media_ids`` (1–1000 originals), each past its retention, not held,
    not evidence, not long-term. Needs archive:manage. Raise ValidationFailed, NotFound, Conflict
    ``archive.pending`` (already in a proposal), RuleViolation (``archive.held``,
    ``archive.evidence``, ``archive.long_term``, ``archive.unexpired``; Art. 43, 44) writing
    nothing; one ``archive:disposal:propose`` event."""
    why = _text(reason, "reason", "销毁理由")
    if not 1 <= len(media_ids) <= MAX_ITEMS:
        raise ValidationFailed(f"请选择 1–{MAX_ITEMS} 个原始文件", f"choose 1 to {MAX_ITEMS} originals",
                               code="archive.bad_items")
    bureau_id = bureau_of(ctx)
    require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=bureau_id)
    with uow:
        pending = uow.archive.pending_media(bureau_id)
        taken = [m for m in media_ids if m in pending]
        if taken:
            raise Conflict("所选原始文件已在其他销毁申请中", "an original is already in another disposal",
                           code="archive.pending", details={"media_ids": [str(m) for m in taken]})
        items = _check_items(uow, ctx, policy, media_ids)
        disposal = Disposal(id=uuid.uuid4(), bureau_id=bureau_id, reason=why, proposed_by_id=ctx.actor.user_id,
                            proposed_by_name=ctx.actor.name[:100], proposed_at=ctx.now, items=tuple(items))
        uow.archive.add_disposal(disposal)
        record(uow, ctx, Action.DISPOSAL_PROPOSE, subject_type="disposal", subject_id=disposal.id,
               subject_name=f"销毁申请（{len(items)} 件）",
               after_dict={"reason": why, "items": _items_json(items)})
        uow.commit()
    return disposal


def _decide(uow: UnitOfWork, ctx: Ctx, policy: RetentionPolicy, disposal_id: UUID, kind: DecisionKind,
            note: str) -> Disposal:
    bureau_id = bureau_of(ctx)
    require(ctx.actor, Permission.ARCHIVE_APPROVE, bureau_id=bureau_id)
    with uow:
        disposal = _load(uow, ctx, disposal_id)
        check_decision(disposal, kind, ctx.actor.user_id)
        if kind is DecisionKind.APPROVE:
            _check_items(uow, ctx, policy, [i.media_id for i in disposal.items])
        decision = DisposalDecision(disposal_id=disposal.id, kind=kind, actor_id=ctx.actor.user_id,
                                    actor_name=ctx.actor.name[:100], at=ctx.now, note=note)
        uow.archive.add_decision(decision)
        action = Action.DISPOSAL_APPROVE if kind is DecisionKind.APPROVE else Action.DISPOSAL_REJECT
        record(uow, ctx, action, subject_type="disposal", subject_id=disposal.id,
               subject_name=f"销毁申请（{len(disposal.items)} 件）", after_dict={"note": note})
        uow.commit()
        decided = _load(uow, ctx, disposal_id)
    return decided


@dataclass(frozen=True)
class Outcome:
    """An approval's result: the disposal, and the Object Lock refusal when the bytes could not go yet."""

    disposal: Disposal
    locked: Conflict | None = None


def approve_disposal(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, signer: Signer, *,
                     policy: RetentionPolicy, disposal_id: UUID, note: str = "") -> Outcome:
    """Approve a proposal (a leader, not its proposer: ``archive.same_person``) after checking
    every original again, then carry it out (``execute_disposal``). Needs archive:approve."""
    _decide(uow, ctx, policy, disposal_id, DecisionKind.APPROVE, _text(note, "note", "审批意见", required=False))
    try:
        return Outcome(_execute(uow, ctx, blobs, signer, policy, disposal_id))
    except Conflict as exc:
        if exc.code != "vault.retention_locked":
            raise
        with uow:
            return Outcome(_load(uow, ctx, disposal_id), exc)


def reject_disposal(uow: UnitOfWork, ctx: Ctx, *, policy: RetentionPolicy, disposal_id: UUID,
                    note: str) -> Disposal:
    """Reject a proposal with a reason (a leader, not its proposer). Needs archive:approve."""
    return _decide(uow, ctx, policy, disposal_id, DecisionKind.REJECT, _text(note, "note", "驳回理由"))


def _may_read(ctx: Ctx) -> None:
    """archive:manage (the proposers) or archive:approve (the approvers) may see disposals."""
    bureau_id = bureau_of(ctx)
    try:
        require(ctx.actor, Permission.ARCHIVE_APPROVE, bureau_id=bureau_id)
    except PermissionDenied:
        require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=bureau_id)


def execute_disposal(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, signer: Signer, *,
                     policy: RetentionPolicy, disposal_id: UUID) -> Disposal:
    """Carry out an approved disposal again (after an Object Lock refusal): delete the bytes and
    record the certificate. Needs archive:manage; raise as ``_execute``."""
    require(ctx.actor, Permission.ARCHIVE_MANAGE, bureau_id=bureau_of(ctx))
    return _execute(uow, ctx, blobs, signer, policy, disposal_id)


def _execute(uow: UnitOfWork, ctx: Ctx, blobs: BlobStore, signer: Signer, policy: RetentionPolicy,
             disposal_id: UUID) -> Disposal:
    """Every original is checked again first (a hold placed since the approval stops it). Raise
    InvalidTransition ``archive.not_approved``, RuleViolation, Conflict ``vault.retention_locked``
    (the object store's lock has not ended: nothing recorded, run again later)."""
    with uow:
        disposal = _load(uow, ctx, disposal_id)
        check_decision(disposal, DecisionKind.EXECUTE, ctx.actor.user_id)
        _check_items(uow, ctx, policy, [i.media_id for i in disposal.items])
    for item in disposal.items:
        # NotFound: gone already (an earlier run deleted it before an Object Lock stopped the rest)
        with contextlib.suppress(NotFound):
            blobs.dispose(item.sha256)
    with uow:
        event = record(uow, ctx, Action.DISPOSAL_EXECUTE, subject_type="disposal", subject_id=disposal.id,
                       subject_name=f"销毁（{len(disposal.items)} 件）",
                       after_dict={"items": [{"sha256": i.sha256, "size": i.size} for i in disposal.items]})
        certificate = _certificate(uow, ctx, disposal, signer, event.seq, str(event.id))
        uow.archive.add_decision(DisposalDecision(
            disposal_id=disposal.id, kind=DecisionKind.EXECUTE, actor_id=ctx.actor.user_id,
            actor_name=ctx.actor.name[:100], at=ctx.now, note="", ledger_index=event.seq, certificate=certificate))
        uow.commit()
        return _load(uow, ctx, disposal_id)


def _certificate(uow: UnitOfWork, ctx: Ctx, disposal: Disposal, signer: Signer, index: int,
                 event_id: str) -> dict[str, Any]:
    bureau = uow.bureaus.get(disposal.bureau_id)
    approval = disposal.decision(DecisionKind.APPROVE)
    assert approval is not None
    body: dict[str, Any] = {
        "type": CERTIFICATE_TYPE, "version": 1, "disposal_id": str(disposal.id),
        "bureau": {"code": bureau.code if bureau else "", "name": bureau.name if bureau else ""},
        "reason": disposal.reason,
        "proposed": {"by": disposal.proposed_by_name, "at": format_time(disposal.proposed_at)},
        "approved": {"by": approval.actor_name, "at": format_time(approval.at), "note": approval.note},
        "executed": {"by": ctx.actor.name, "at": format_time(ctx.now)},
        "ledger": {"origin": signer.name, "index": index, "event_id": event_id},
        "items": _items_json(disposal.items),
        "articles": "《执法全过程记录制度》第四十三条、第四十四条",
    }
    signature = signer.sign(canonical_json(body))
    return {"body": body, "signature": {"alg": "Ed25519", "vkey": format_vkey(signer.name, signer.public_key),
                                        "value": base64.b64encode(signature).decode()}}


def list_disposals(uow: UnitOfWork, ctx: Ctx) -> list[Disposal]:
    """Every disposal of the bureau, newest first; needs archive:manage or archive:approve."""
    _may_read(ctx)
    with uow:
        return uow.archive.disposals(bureau_of(ctx))


def get_disposal(uow: UnitOfWork, ctx: Ctx, disposal_id: UUID) -> Disposal:
    _may_read(ctx)
    with uow:
        return _load(uow, ctx, disposal_id)
