"""The ledger's use cases: signed checkpoints, inclusion and consistency proofs, and full
verification of the stored trail (Art. 3: a trace that can be followed back).

Proofs read only the O(log n) stored subtrees they need, in one query; verification streams
the trail once (see ``lawtrail.domain.ledger.audit``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from lawtrail.domain.access import Permission
from lawtrail.domain.events import Action, Event
from lawtrail.domain.ledger.audit import (
    CHECKPOINT_ACTION,
    AuditInput,
    AuditResult,
    NoteCheck,
    StoredCheckpoint,
    audit,
    certify,
)
from lawtrail.domain.ledger.checkpoint import (
    format_checkpoint_body,
    format_signed_note,
    format_vkey,
    note_message,
)
from lawtrail.domain.ledger.merkle import (
    ConsistencyProof,
    InclusionProof,
    assemble_consistency_proof,
    assemble_inclusion_proof,
    consistency_proof_keys,
    inclusion_proof_keys,
    root,
)
from lawtrail.errors import Conflict, NotFound, ValidationFailed
from lawtrail.services.context import Ctx
from lawtrail.services.guard import require
from lawtrail.services.ports import LedgerExportSink, LedgerUnitOfWork, Signer, Timestamper
from lawtrail.services.timestamps import prestamp, settle

#: The code ``CheckpointRepo.add`` raises (as Conflict) when another process stored the same size.
CHECKPOINT_EXISTS = "ledger.checkpoint_exists"
#: Subject of the verification events: ``list(subject_type=..., subject_id=...)`` finds the latest.
VERIFICATION_SUBJECT = ("ledger", "verification")


def create_checkpoint(uow: LedgerUnitOfWork, ctx: Ctx, signer: Signer, origin: str,
                      timestamper: Timestamper | None = None) -> StoredCheckpoint:
    """Sign the current tree head as a C2SP checkpoint note and store it; the log then
    records an event announcing it. Return the existing checkpoint when the log has not
    grown since, or when another process stored one of the same size first (several app
    processes race harmlessly: the size is the primary key). Raise PermissionDenied without
    ledger:verify; Conflict if a larger checkpoint than the log exists (rollback)."""
    require(ctx.actor, Permission.LEDGER_VERIFY)
    try:
        return _create_checkpoint(uow, ctx, signer, origin, timestamper)
    except Conflict as exc:
        if exc.code != CHECKPOINT_EXISTS:
            raise
    with uow:  # the other process's transaction has committed: its checkpoint is the answer
        latest = uow.checkpoints.latest()
    assert latest is not None
    return latest


def _create_checkpoint(uow: LedgerUnitOfWork, ctx: Ctx, signer: Signer, origin: str,
                       timestamper: Timestamper | None) -> StoredCheckpoint:
    stamp = prestamp(uow, signer, origin, timestamper)  # outside the write transaction
    with uow:
        size = uow.events.count()
        latest = uow.checkpoints.latest()
        if latest is not None and latest.size == size:
            return latest
        if latest is not None and latest.size > size:
            raise Conflict(f"已有更大的签名检查点（{latest.size} > {size}），拒绝回退",
                           f"a larger checkpoint exists ({latest.size} > {size}); refusing to roll back",
                           code="ledger.checkpoint_rollback")
        head = root(uow.ledger_nodes, size)
        body = format_checkpoint_body(origin, size, head)
        note = format_signed_note(body, [(signer.name, signer.key_id, signer.sign(note_message(body)))])
        token, stamped = settle(stamp, note)
        checkpoint = StoredCheckpoint(size=size, root=head, note=note, created_at=ctx.now, timestamp_token=token)
        uow.checkpoints.add(checkpoint)
        uow.events.append(Event(
            id=uuid.uuid4(), occurred_at=ctx.now, actor_id=ctx.actor.user_id, actor_name=ctx.actor.name,
            action=CHECKPOINT_ACTION, subject_type="ledger", subject_id=str(size), subject_name=origin,
            before=None, after={"size": size, "root": head.hex(), **stamped}, request_id=ctx.request_id,
        ))
        uow.commit()
        return checkpoint


def maybe_checkpoint(uow: LedgerUnitOfWork, ctx: Ctx, signer: Signer, origin: str,
                     every: int, minutes: int = 0, timestamper: Timestamper | None = None
                     ) -> StoredCheckpoint | None:
    """Create a checkpoint when it is due, else return None (cheap: three indexed reads).

    Due when ``every`` or more events have come since the latest checkpoint, or when
    ``minutes`` (> 0) is set and the oldest event no checkpoint covers, other than the
    latest checkpoint's own announcement, is at least that old: every event is then under a
    signed checkpoint within about ``minutes``, and a quiet log gets no new checkpoints.
    Raise PermissionDenied without ledger:verify."""
    require(ctx.actor, Permission.LEDGER_VERIFY)
    with uow:
        latest = uow.checkpoints.latest()
        skip = 1 if latest else 0  # the announcement follows its checkpoint
        start = (latest.size if latest else 0) + skip
        grown = uow.events.count() - start + skip
        due = grown >= every or (minutes > 0 and grown > skip
                                 and _uncovered_since(uow, start) <= ctx.now - timedelta(minutes=minutes))
    return create_checkpoint(uow, ctx, signer, origin, timestamper) if due else None


def _uncovered_since(uow: LedgerUnitOfWork, start: int) -> datetime:
    """When leaf ``start`` (the first one no checkpoint covers) was appended."""
    first = uow.events.list(limit=1, before_seq=start + 1)
    return first[0].occurred_at if first else datetime.max.replace(tzinfo=UTC)


def latest_checkpoint(uow: LedgerUnitOfWork, ctx: Ctx) -> StoredCheckpoint | None:
    """The largest stored checkpoint (None before the first); needs ledger:view."""
    require(ctx.actor, Permission.LEDGER_VIEW)
    with uow:
        return uow.checkpoints.latest()


def list_checkpoints(uow: LedgerUnitOfWork, ctx: Ctx) -> list[StoredCheckpoint]:
    """Every stored checkpoint, smallest first; needs ledger:view."""
    require(ctx.actor, Permission.LEDGER_VIEW)
    with uow:
        return uow.checkpoints.list()


def _tree_size(uow: LedgerUnitOfWork, size: int | None) -> int:
    """``size`` checked against the log, or the latest checkpoint's (the log's when none)."""
    current = uow.events.count()
    if size is None:
        latest = uow.checkpoints.latest()
        return latest.size if latest is not None else current
    if not 0 <= size <= current:
        raise NotFound(f"账本没有大小为 {size} 的树（当前 {current}）",
                       f"the ledger has no tree of size {size} (it has {current} leaves)",
                       code="ledger.size_not_found")
    return size


def inclusion_proof(uow: LedgerUnitOfWork, ctx: Ctx, index: int, size: int | None = None) -> InclusionProof:
    """PATH(index, D[size]) with the leaf hash; ``size`` defaults to the latest checkpoint.

    Raise PermissionDenied without ledger:view; NotFound unless 0 <= index < size <= the log size.
    """
    require(ctx.actor, Permission.LEDGER_VIEW)
    with uow:
        tree_size = _tree_size(uow, size)
        if not 0 <= index < tree_size:
            raise NotFound(f"第 {index} 条记录不在大小为 {tree_size} 的树中",
                           f"leaf {index} is not in the tree of size {tree_size}", code="ledger.leaf_not_found")
        keys = inclusion_proof_keys(index, tree_size)
        nodes = uow.ledger_nodes.get_many([*keys, (0, index)])
    hashes = assemble_inclusion_proof(index, tree_size, nodes)
    return InclusionProof(index, tree_size, nodes[(0, index)], tuple(hashes))


def consistency_proof(uow: LedgerUnitOfWork, ctx: Ctx, first: int, second: int) -> ConsistencyProof:
    """PROOF(first, D[second]); raise PermissionDenied without ledger:view, ValidationFailed
    unless 0 <= first <= second, NotFound when ``second`` exceeds the log."""
    require(ctx.actor, Permission.LEDGER_VIEW)
    if not 0 <= first <= second:
        raise ValidationFailed("一致性证明要求 0 ≤ M ≤ N", "a consistency proof needs 0 <= M <= N",
                               code="ledger.bad_sizes")
    with uow:
        _tree_size(uow, second)
        nodes = uow.ledger_nodes.get_many(consistency_proof_keys(first, second))
    return ConsistencyProof(first, second, tuple(assemble_consistency_proof(first, second, nodes)))


def verify(uow: LedgerUnitOfWork, ctx: Ctx, check_note: NoteCheck) -> AuditResult:
    """Re-derive every leaf from the stored rows, rebuild the tree, check every checkpoint
    (signature via ``check_note``, root, announcement in the log); report the first problem.
    Records nothing (see ``run_verification``); raise PermissionDenied without ledger:verify."""
    require(ctx.actor, Permission.LEDGER_VERIFY)
    with uow:
        uow.ledger_nodes.snapshot()
        given = AuditInput(
            checkpoints=uow.checkpoints.list(),
            head_size=uow.events.count(),
            check_note=check_note,
            recorded_size=uow.ledger_nodes.recorded_size(),
            locate=uow.ledger_nodes.locate_leaf,
        )
        # Fast path first (chunks scanned in parallel); it only ever confirms a sound log.
        # Anything it cannot confirm is walked sequentially, which names the first problem.
        chunks = uow.ledger_nodes.leaf_chunks(given.head_size, [c.size for c in given.checkpoints])
        if chunks is not None and (passed := certify(chunks, given)) is not None:
            return passed
        return audit(uow.ledger_nodes.leaf_rows(), given)


def export(uow: LedgerUnitOfWork, ctx: Ctx, sink: LedgerExportSink) -> int:
    """Write every event (leaf form, leaf order) and every checkpoint to ``sink``, all read
    in one transaction; return the number of events. Needs ledger:verify (the whole trail)."""
    require(ctx.actor, Permission.LEDGER_VERIFY)
    count = 0
    with uow:
        uow.ledger_nodes.snapshot()
        checkpoints = uow.checkpoints.list()
        for row in uow.ledger_nodes.leaf_rows():
            sink.write_event(dict(row.leaf))
            count += 1
        sink.write_checkpoints(checkpoints)
    return count


def run_verification(uow: LedgerUnitOfWork, ctx: Ctx, check_note: NoteCheck, origin: str) -> AuditResult:
    """``verify``, then record who ran it, when, and its result as a
    ``ledger:verification:run`` event (the latest one is what ``last_verification`` shows)."""
    result = verify(uow, ctx, check_note)
    with uow:
        uow.events.append(Event(
            id=uuid.uuid4(), occurred_at=ctx.now, actor_id=ctx.actor.user_id, actor_name=ctx.actor.name,
            action=Action.LEDGER_VERIFICATION, subject_type=VERIFICATION_SUBJECT[0],
            subject_id=VERIFICATION_SUBJECT[1], subject_name=origin, before=None, after=result.to_json(),
            request_id=ctx.request_id,
        ))
        uow.commit()
    return result


def last_verification(uow: LedgerUnitOfWork, ctx: Ctx) -> Event | None:
    """The latest ``ledger:verification:run`` event (its ``after`` is the result), or None;
    needs ledger:view."""
    require(ctx.actor, Permission.LEDGER_VIEW)
    with uow:
        found = uow.events.list(subject_type=VERIFICATION_SUBJECT[0], subject_id=VERIFICATION_SUBJECT[1],
                                limit=1)
    return found[0] if found else None


def public_key(ctx: Ctx, signer: Signer) -> str:
    """The ledger's verifier key in C2SP ``vkey`` form; needs ledger:view."""
    require(ctx.actor, Permission.LEDGER_VIEW)
    return format_vkey(signer.name, signer.public_key)
