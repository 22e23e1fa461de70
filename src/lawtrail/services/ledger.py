"""The ledger's use cases: signed checkpoints, inclusion and consistency proofs, and full
verification of the stored trail (Art. 3: a trace that can be followed back).

Proofs read only the O(log n) stored subtrees they need, in one query; verification streams
the trail once (see ``lawtrail.domain.ledger.audit``).
"""

from __future__ import annotations

import uuid

from lawtrail.domain.events import Event
from lawtrail.domain.ledger.audit import (
    CHECKPOINT_ACTION,
    AuditInput,
    AuditResult,
    NoteCheck,
    StoredCheckpoint,
    audit,
)
from lawtrail.domain.ledger.checkpoint import format_checkpoint_body, format_signed_note, note_message
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
from lawtrail.services.ports import LedgerExportSink, LedgerUnitOfWork, Signer


def create_checkpoint(uow: LedgerUnitOfWork, ctx: Ctx, signer: Signer, origin: str) -> StoredCheckpoint:
    """Sign the current tree head as a C2SP checkpoint note and store it; the log then
    records an event announcing it. Return the existing checkpoint when the log has not
    grown since; raise Conflict if a larger checkpoint than the log exists (rollback)."""
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
        checkpoint = StoredCheckpoint(size=size, root=head, note=note, created_at=ctx.now)
        uow.checkpoints.add(checkpoint)
        uow.events.append(Event(
            id=uuid.uuid4(), occurred_at=ctx.now, actor_id=ctx.actor.user_id, actor_name=ctx.actor.name,
            action=CHECKPOINT_ACTION, subject_type="ledger", subject_id=str(size), subject_name=origin,
            before=None, after={"size": size, "root": head.hex()}, request_id=ctx.request_id,
        ))
        uow.commit()
        return checkpoint


def maybe_checkpoint(uow: LedgerUnitOfWork, ctx: Ctx, signer: Signer, origin: str,
                     every: int) -> StoredCheckpoint | None:
    """Create a checkpoint when ``every`` or more events have come since the latest one."""
    with uow:
        latest = uow.checkpoints.latest()
        due = uow.events.count() - (latest.size if latest else 0) >= every
    return create_checkpoint(uow, ctx, signer, origin) if due else None


def latest_checkpoint(uow: LedgerUnitOfWork) -> StoredCheckpoint | None:
    with uow:
        return uow.checkpoints.latest()


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


def inclusion_proof(uow: LedgerUnitOfWork, index: int, size: int | None = None) -> InclusionProof:
    """PATH(index, D[size]) with the leaf hash; ``size`` defaults to the latest checkpoint.

    Raise NotFound unless 0 <= index < size <= the log size.
    """
    with uow:
        tree_size = _tree_size(uow, size)
        if not 0 <= index < tree_size:
            raise NotFound(f"第 {index} 条记录不在大小为 {tree_size} 的树中",
                           f"leaf {index} is not in the tree of size {tree_size}", code="ledger.leaf_not_found")
        keys = inclusion_proof_keys(index, tree_size)
        nodes = uow.ledger_nodes.get_many([*keys, (0, index)])
    hashes = assemble_inclusion_proof(index, tree_size, nodes)
    return InclusionProof(index, tree_size, nodes[(0, index)], tuple(hashes))


def consistency_proof(uow: LedgerUnitOfWork, first: int, second: int) -> ConsistencyProof:
    """PROOF(first, D[second]); raise ValidationFailed unless 0 <= first <= second, NotFound
    when ``second`` exceeds the log."""
    if not 0 <= first <= second:
        raise ValidationFailed("一致性证明要求 0 ≤ M ≤ N", "a consistency proof needs 0 <= M <= N",
                               code="ledger.bad_sizes")
    with uow:
        _tree_size(uow, second)
        nodes = uow.ledger_nodes.get_many(consistency_proof_keys(first, second))
    return ConsistencyProof(first, second, tuple(assemble_consistency_proof(first, second, nodes)))


def verify(uow: LedgerUnitOfWork, check_note: NoteCheck) -> AuditResult:
    """Re-derive every leaf from the stored rows, rebuild the tree, check every checkpoint
    (signature via ``check_note``, root, announcement in the log); report the first problem."""
    with uow:
        uow.ledger_nodes.snapshot()
        given = AuditInput(
            checkpoints=uow.checkpoints.list(),
            head_size=uow.events.count(),
            check_note=check_note,
            recorded_size=uow.ledger_nodes.recorded_size(),
            locate=uow.ledger_nodes.locate_leaf,
        )
        return audit(uow.ledger_nodes.leaf_rows(), given)


def export(uow: LedgerUnitOfWork, sink: LedgerExportSink) -> int:
    """Write every event (leaf form, leaf order) and every checkpoint to ``sink``, all read
    in one transaction; return the number of events."""
    count = 0
    with uow:
        uow.ledger_nodes.snapshot()
        checkpoints = uow.checkpoints.list()
        for row in uow.ledger_nodes.leaf_rows():
            sink.write_event(dict(row.leaf))
            count += 1
        sink.write_checkpoints(checkpoints)
    return count
