"""SQL repository of retention overrides, legal holds and disposals (``services.ports.ArchiveRepo``).

Append-only (the triggers of migration 0013 refuse UPDATE and DELETE). The bureau-wide reads
are set-based: a fixed number of statements whatever the number of originals or cases.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Row, and_, insert, select
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from lawtrail.adapters.db import tables as t
from lawtrail.domain.archive import (
    ArchivedIn,
    DecisionKind,
    Disposal,
    DisposalDecision,
    DisposalItem,
    HoldRelease,
    HoldTarget,
    LegalHold,
    RetentionOverride,
)
from lawtrail.domain.evidence import RetentionClass
from lawtrail.errors import Conflict

#: Error codes of the Conflicts raised here (services and tests agree on them).
OVERRIDE_VERSION_TAKEN = "archive.override_version_taken"
DECIDED = "archive.decided"
RELEASED = "archive.hold_released"


def _override(row: Row[Any]) -> RetentionOverride:
    data = dict(row._mapping)
    data["retention"] = RetentionClass(data["retention"])
    return RetentionOverride(**data)


def _decision(row: Row[Any]) -> DisposalDecision:
    data = dict(row._mapping)
    data["kind"] = DecisionKind(data["kind"])
    return DisposalDecision(**data)


def _item(row: Row[Any]) -> DisposalItem:
    data = dict(row._mapping)
    data.pop("disposal_id")
    data["retention"] = RetentionClass(data["retention"])
    return DisposalItem(**data)


class SqlArchive:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- retention overrides ------------------------------------------------------------------

    def add_override(self, override: RetentionOverride) -> None:
        values = vars(override) | {"retention": override.retention.value}
        try:
            self.conn.execute(insert(t.retention_overrides).values(**values))
        except SqlIntegrityError:
            raise Conflict("保存期限已被他人同时修改，请刷新后重试", "the retention was changed meanwhile; reload",
                           code=OVERRIDE_VERSION_TAKEN) from None

    def overrides_for(self, media_id: UUID) -> list[RetentionOverride]:
        q = select(t.retention_overrides).where(t.retention_overrides.c.media_id == media_id)
        return [_override(r) for r in self.conn.execute(q.order_by(t.retention_overrides.c.version))]

    def latest_overrides(self, bureau_id: UUID) -> dict[UUID, RetentionOverride]:
        o = t.retention_overrides
        q = (select(o).join(t.media, t.media.c.id == o.c.media_id).where(t.media.c.bureau_id == bureau_id)
             .order_by(o.c.media_id, o.c.version))
        return {row.media_id: _override(row) for row in self.conn.execute(q)}

    # --- legal holds ----------------------------------------------------------------------------

    def add_hold(self, hold: LegalHold) -> None:
        self.conn.execute(insert(t.legal_holds).values(
            id=hold.id, bureau_id=hold.bureau_id, target=hold.target.value, target_id=hold.target_id,
            target_name=hold.target_name, reason=hold.reason, placed_by_id=hold.placed_by_id,
            placed_by_name=hold.placed_by_name, placed_at=hold.placed_at))

    def add_release(self, release: HoldRelease) -> None:
        """Raise Conflict ``archive.hold_released`` when the hold was released already."""
        try:
            self.conn.execute(insert(t.legal_hold_releases).values(**vars(release)))
        except SqlIntegrityError:
            raise Conflict("该保全已解除", "the hold was already released", code=RELEASED) from None

    def _holds(self, *where: Any) -> list[LegalHold]:
        h, r = t.legal_holds, t.legal_hold_releases
        q = (select(h, r.c.reason.label("release_reason"), r.c.actor_id, r.c.actor_name, r.c.at)
             .outerjoin(r, r.c.hold_id == h.c.id).where(*where).order_by(h.c.placed_at.desc()))
        out = []
        for row in self.conn.execute(q):
            m = row._mapping
            out.append(LegalHold(
                id=m["id"], bureau_id=m["bureau_id"], target=HoldTarget(m["target"]), target_id=m["target_id"],
                target_name=m["target_name"], reason=m["reason"], placed_by_id=m["placed_by_id"],
                placed_by_name=m["placed_by_name"], placed_at=m["placed_at"], released_at=m["at"],
                released_by_id=m["actor_id"], released_by_name=m["actor_name"] or "",
                release_reason=m["release_reason"] or ""))
        return out

    def hold(self, hold_id: UUID) -> LegalHold | None:
        found = self._holds(t.legal_holds.c.id == hold_id)
        return found[0] if found else None

    def holds(self, bureau_id: UUID) -> list[LegalHold]:
        """Every hold of the bureau, newest first, with its release when released."""
        return self._holds(t.legal_holds.c.bureau_id == bureau_id)

    # --- disposals ------------------------------------------------------------------------------

    def add_disposal(self, disposal: Disposal) -> None:
        self.conn.execute(insert(t.disposals).values(
            id=disposal.id, bureau_id=disposal.bureau_id, reason=disposal.reason,
            proposed_by_id=disposal.proposed_by_id, proposed_by_name=disposal.proposed_by_name,
            proposed_at=disposal.proposed_at))
        self.conn.execute(insert(t.disposal_items), [
            vars(item) | {"disposal_id": disposal.id, "retention": item.retention.value} for item in disposal.items])

    def add_decision(self, decision: DisposalDecision) -> None:
        """Raise Conflict ``archive.decided`` when that decision exists (a concurrent one)."""
        try:
            self.conn.execute(insert(t.disposal_decisions).values(
                vars(decision) | {"kind": decision.kind.value}))
        except SqlIntegrityError:
            raise Conflict("该销毁申请已被他人同时处理", "the disposal was decided by someone else meanwhile",
                           code=DECIDED) from None

    def _disposals(self, *where: Any) -> list[Disposal]:
        d, i, dec = t.disposals, t.disposal_items, t.disposal_decisions
        heads = list(self.conn.execute(select(d).where(*where).order_by(d.c.proposed_at.desc())))
        ids = [row.id for row in heads]
        items: dict[UUID, list[DisposalItem]] = defaultdict(list)
        decisions: dict[UUID, list[DisposalDecision]] = defaultdict(list)
        if ids:
            for row in self.conn.execute(select(i).where(i.c.disposal_id.in_(ids)).order_by(i.c.name, i.c.sha256)):
                items[row.disposal_id].append(_item(row))
            for row in self.conn.execute(select(dec).where(dec.c.disposal_id.in_(ids)).order_by(dec.c.at)):
                decisions[row.disposal_id].append(_decision(row))
        return [Disposal(id=row.id, bureau_id=row.bureau_id, reason=row.reason, proposed_by_id=row.proposed_by_id,
                         proposed_by_name=row.proposed_by_name, proposed_at=row.proposed_at,
                         items=tuple(items[row.id]), decisions=tuple(decisions[row.id])) for row in heads]

    def disposal(self, disposal_id: UUID) -> Disposal | None:
        found = self._disposals(t.disposals.c.id == disposal_id)
        return found[0] if found else None

    def disposals(self, bureau_id: UUID) -> list[Disposal]:
        return self._disposals(t.disposals.c.bureau_id == bureau_id)

    def authorised_digests(self) -> set[str]:
        """Digests whose disposal was approved (and not rejected): their bytes may be absent."""
        i, dec = t.disposal_items, t.disposal_decisions
        q = (select(i.c.sha256).join(dec, and_(dec.c.disposal_id == i.c.disposal_id,
                                                dec.c.kind == DecisionKind.APPROVE.value)))
        return {row.sha256 for row in self.conn.execute(q)}

    def pending_media(self, bureau_id: UUID) -> dict[UUID, UUID]:
        """media id → disposal id of every original in a disposal not rejected (proposed,
        approved or carried out): such an original cannot be proposed again."""
        d, i, dec = t.disposals, t.disposal_items, t.disposal_decisions
        rejected = select(dec.c.disposal_id).where(dec.c.kind == DecisionKind.REJECT.value)
        q = (select(i.c.media_id, i.c.disposal_id).join(d, d.c.id == i.c.disposal_id)
             .where(d.c.bureau_id == bureau_id, i.c.disposal_id.not_in(rejected)))
        return {row.media_id: row.disposal_id for row in self.conn.execute(q)}

    def disposed_media(self, bureau_id: UUID) -> set[UUID]:
        i, d, dec = t.disposal_items, t.disposals, t.disposal_decisions
        q = (select(i.c.media_id).join(d, d.c.id == i.c.disposal_id)
             .join(dec, and_(dec.c.disposal_id == i.c.disposal_id, dec.c.kind == DecisionKind.EXECUTE.value))
             .where(d.c.bureau_id == bureau_id))
        return {row.media_id for row in self.conn.execute(q)}

    # --- the cases originals belong to ----------------------------------------------------------

    def case_links(self, bureau_id: UUID) -> dict[UUID, list[ArchivedIn | UUID]]:
        """media id → the cases it is currently linked to: an ``ArchivedIn`` for a case in stage
        归档, the bare case id for any other. One statement (the link log folded here)."""
        cm, c = t.case_media, t.cases
        q = (select(cm.c.case_id, cm.c.media_id, cm.c.linked, c.c.number, c.c.stage, c.c.ended_at, c.c.updated_at)
             .join(c, c.c.id == cm.c.case_id).where(c.c.bureau_id == bureau_id).order_by(cm.c.at, cm.c.id))
        current: dict[tuple[UUID, UUID], Any] = {}
        for row in self.conn.execute(q):
            current[(row.case_id, row.media_id)] = row if row.linked else None
        out: dict[UUID, list[ArchivedIn | UUID]] = defaultdict(list)
        for (case_id, media_id), link in current.items():
            if link is None:
                continue
            if link.stage == "archive":
                out[media_id].append(ArchivedIn(case_id, link.number, link.ended_at or link.updated_at))
            else:
                out[media_id].append(case_id)
        return dict(out)
